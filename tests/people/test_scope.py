"""Nobody grants a role or organisation beyond their own, whatever is posted; a council's lead
contact sees and manages its own grant recipients only; everyone else is refused."""

import pytest
from django.core import mail

from accounts.models import Role
from demo.records import DEMO_USERS
from people.models import AccessEvent, Invitation
from tests.people.conftest import INVITE


def nothing_sent():
    return not Invitation.objects.exists() and not AccessEvent.objects.exists() and mail.outbox == []


def test_a_lead_contact_invites_their_own_organisations_staff(lead, world, send_invitation):
    response, link = send_invitation(
        lead, email="new.worker@derbyshire.example.gov.uk", role="recipient", organisation=world.derbyshire.pk
    )
    assert response.status_code == 302 and link
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.organisation, invitation.invited_by) == (Role.RECIPIENT, world.derbyshire, lead)


@pytest.mark.parametrize(
    "role, organisation",
    [
        ("officer", "derbyshire"),  # a higher role
        ("admin", "derbyshire"),
        ("recipient", "harrow"),  # another council
        ("recipient", "kent"),
        ("officer", "dfe"),
        ("recipient", None),  # no organisation at all
    ],
)
def test_a_lead_contact_cannot_grant_beyond_their_scope(lead, world, send_invitation, role, organisation):
    data = {"email": "climber@example.gov.uk", "role": role}
    if organisation:
        data["organisation"] = getattr(world, organisation).pk
    response, _ = send_invitation(lead, **data)
    assert response.status_code == 200
    assert "You can invite only grant recipients of your own organisation" in response.content.decode()
    assert nothing_sent()


def test_an_officer_cannot_invite_an_administrator(world, send_invitation):
    response, _ = send_invitation(world.users.officer, email="boss@example.gov.uk", role="admin", organisation="")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert nothing_sent()


def test_a_recipient_must_have_an_organisation(world, send_invitation):
    response, _ = send_invitation(world.users.officer, email="x@example.gov.uk", role="recipient", organisation="")
    assert "Choose the organisation a grant recipient works for" in response.content.decode()
    assert nothing_sent()


@pytest.mark.parametrize("persona", ["harrow", "derbyshire", "finance", "viewer", "evaluator"])
def test_anyone_else_cannot_invite_or_list_people(client, world, persona, send_invitation):
    """A plain recipient (Derbyshire's staff member is not its lead contact here) and every other role."""
    response, _ = send_invitation(
        getattr(world.users, persona), email="x@example.gov.uk", role="recipient", organisation=world.harrow.pk
    )
    assert response.status_code == 403
    assert nothing_sent()
    client.force_login(getattr(world.users, persona))
    assert client.get("/people/").status_code == 403
    assert client.get(f"/people/{world.users.harrow.pk}/").status_code == 403


def test_the_lead_contacts_list_holds_only_their_organisations_recipients(client, lead, colleague, world):
    client.force_login(lead)
    page = client.get("/people/").content.decode()
    assert "Dana Second" in page and "Derbyshire Tester" in page
    assert f'href="/people/{colleague.pk}/"' in page
    for other in ("Harrow Tester", "Kent Tester", "Officer Tester", "Morninglane Tester"):
        assert other not in page
    assert client.get(f"/people/{colleague.pk}/").status_code == 200


def test_a_council_contact_cannot_see_or_disable_another_councils_users(client, lead, world):
    client.force_login(lead)
    harrow = world.users.harrow
    assert client.get(f"/people/{harrow.pk}/").status_code == 404
    assert client.post(f"/people/{harrow.pk}/disable/").status_code == 404
    assert client.post(f"/people/{world.users.officer.pk}/disable/").status_code == 404
    harrow.refresh_from_db()
    assert harrow.is_active and not AccessEvent.objects.exists()


def test_a_lead_contact_cannot_withdraw_another_councils_invitation(client, lead, world, send_invitation):
    send_invitation(world.users.officer, email="h@example.gov.uk", role="recipient", organisation=world.harrow.pk)
    invitation = Invitation.objects.get()
    client.force_login(lead)
    assert "h@example.gov.uk" not in client.get("/people/").content.decode()
    assert client.post(f"/people/invitations/{invitation.pk}/withdraw/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_a_lead_contact_cannot_change_roles(client, lead, colleague):
    client.force_login(lead)
    assert client.get(f"/people/{colleague.pk}/access/").status_code == 403
    response = client.post(f"/people/{colleague.pk}/access/", {"role": "officer", "organisation": ""})
    assert response.status_code == 403
    colleague.refresh_from_db()
    assert colleague.role == Role.RECIPIENT


def test_a_lead_contact_who_stops_being_a_recipient_loses_the_people_pages(client, lead, world):
    client.force_login(world.users.officer)
    client.post(f"/people/{lead.pk}/access/", {"role": "viewer", "organisation": world.derbyshire.pk})
    lead.refresh_from_db()
    assert lead.role == Role.VIEWER and not lead.is_lead_contact
    client.force_login(lead)
    assert client.get("/people/").status_code == 403


def test_an_officer_can_not_make_someone_an_administrator(client, world):
    client.force_login(world.users.officer)
    harrow = world.users.harrow
    response = client.post(f"/people/{harrow.pk}/access/", {"role": "admin", "organisation": world.harrow.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    harrow.refresh_from_db()
    assert harrow.role == Role.RECIPIENT


def test_people_pages_show_the_navigation_link_to_officers_and_lead_contacts(client, lead, world):
    # Officers reach People from "Set up", whose page links to it; a lead contact has it in the navigation.
    client.force_login(world.users.officer)
    assert 'href="/setup/"' in client.get("/account/password/change/").content.decode()
    assert 'href="/people/"' in client.get("/setup/").content.decode()
    client.force_login(lead)
    assert 'href="/people/"' in client.get("/account/password/change/").content.decode()
    client.force_login(world.users.harrow)
    assert 'href="/people/"' not in client.get("/account/password/change/").content.decode()


def test_the_list_filters_and_pages(client, world, django_assert_max_num_queries):
    client.force_login(world.users.officer)
    page = client.get("/people/", {"role": "recipient", "organisation": "GB-LAE-HRW"}).content.decode()
    assert "Harrow Tester" in page and "Derbyshire Tester" not in page and "1 person" in page
    page = client.get("/people/", {"active": "no"}).content.decode()
    assert "0 people" in page
    page = client.get("/people/", {"q": "kent"}).content.decode()
    assert "Kent Tester" in page and "Harrow Tester" not in page
    with django_assert_max_num_queries(20):
        assert client.get("/people/", {"page": "999", "sort": "nonsense"}).status_code == 200


def test_a_lead_contacts_invitation_form_fixes_the_role_and_organisation(client, lead):
    client.force_login(lead)
    page = client.get(INVITE).content.decode()
    assert "They will join as a grant recipient at Derbyshire County Council" in page
    assert 'type="radio"' not in page and "<select" not in page


def test_the_demo_has_one_lead_contact_derbyshire():
    assert [user[0] for user in DEMO_USERS if user[6]] == ["derbyshire"]
