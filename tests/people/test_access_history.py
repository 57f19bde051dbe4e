"""Every change to a person's access is recorded, with who made it, and shown on their page."""

import re

from django.test import Client

from accounts.models import Role, SecurityEvent, User
from people.models import AccessEvent
from tests.people.conftest import accept


def history_rows(page):
    table = page[page.index('id="history"') :]
    return [
        [
            re.sub(r"\s+", " ", cell).strip()
            for cell in re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row, re.S)
        ]
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table, re.S)
    ]


def test_invited_joined_changed_and_disabled_are_all_on_the_persons_page(client, world, send_invitation):
    officer = world.users.officer
    _, link = send_invitation(
        officer, email="rita@harrow.example.gov.uk", role="recipient", organisation=world.harrow.pk
    )
    accept(Client(), link, username="rita")
    rita = User.objects.get(username="rita")

    client.force_login(officer)
    response = client.post(
        f"/people/{rita.pk}/access/",
        {"role": "recipient", "organisation": world.derbyshire.pk, "is_lead_contact": "on"},
    )
    assert response.status_code == 302
    client.post(f"/people/{rita.pk}/access/", {"role": "viewer", "organisation": world.derbyshire.pk})
    client.post(f"/people/{rita.pk}/disable/")
    client.post(f"/people/{rita.pk}/enable/")
    SecurityEvent.objects.create(user=rita, kind=SecurityEvent.Kind.RECOVERY_CODES_RENEWED)

    rows = history_rows(client.get(f"/people/{rita.pk}/").content.decode())
    what = [(row[1], row[2], row[3]) for row in rows if row]
    assert what == [
        ("New recovery codes made", "", "Themselves"),
        ("Enabled", "", "Officer Tester"),
        ("Disabled", "", "Officer Tester"),
        ("No longer lead contact", "", "Officer Tester"),
        ("Role changed", "Grant recipient → Viewer", "Officer Tester"),
        ("Made lead contact", "", "Officer Tester"),
        ("Organisation changed", "London Borough of Harrow → Derbyshire County Council", "Officer Tester"),
        ("Accepted the invitation and joined", "Grant recipient at London Borough of Harrow", "Themselves"),
        ("Invited", "Grant recipient at London Borough of Harrow", "Officer Tester"),
    ]
    rita.refresh_from_db()
    assert rita.role == Role.VIEWER and rita.organisation == world.derbyshire and not rita.is_lead_contact


def test_saving_with_no_change_records_nothing(client, world):
    client.force_login(world.users.officer)
    harrow = world.users.harrow
    client.post(f"/people/{harrow.pk}/access/", {"role": "recipient", "organisation": world.harrow.pk})
    assert not AccessEvent.objects.exists()


def test_a_lead_contact_must_be_a_grant_recipient(client, world):
    client.force_login(world.users.officer)
    finance = world.users.finance
    response = client.post(
        f"/people/{finance.pk}/access/", {"role": "finance", "organisation": world.dfe.pk, "is_lead_contact": "on"}
    )
    assert "Only a grant recipient can be their organisation" in response.content.decode()
    finance.refresh_from_db()
    assert not finance.is_lead_contact and not AccessEvent.objects.exists()


def test_an_officer_cannot_change_their_own_access(client, world):
    officer = world.users.officer
    client.force_login(officer)
    assert "You cannot change your own access" in client.get(f"/people/{officer.pk}/access/").content.decode()
    client.post(f"/people/{officer.pk}/access/", {"role": "viewer", "organisation": ""})
    officer.refresh_from_db()
    assert officer.role == Role.OFFICER and not AccessEvent.objects.exists()
