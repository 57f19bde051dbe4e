"""Partnerships changed and removed in the service, and the themes projects are tagged with: officers do it
through the real pages, a partner with money or milestones on record is kept with the reason, nobody else
may, and the audit history keeps who did each."""

import datetime as dt

import pytest
from django.urls import reverse

from projects.models import ProjectPartner, Theme

pytestmark = pytest.mark.django_db

NOT_OFFICERS = ["finance", "viewer", "morninglane", "derbyshire", "evaluator", "outsider"]


def partnerships():
    return list(ProjectPartner.objects.order_by("pk").values_list("project", "organisation", "role", "joined_on"))


@pytest.fixture
def university_partner(world):
    """A delivery partner with no share of the money and no milestone: free to leave."""
    return ProjectPartner.objects.create(project=world.project, organisation=world.university, role="delivery_partner")


def derbyshire_partnership(world):
    return ProjectPartner.objects.get(project=world.project, organisation=world.derbyshire)


def test_an_officer_changes_a_partners_role_and_the_date_it_joined(client, world):
    partnership = derbyshire_partnership(world)
    client.force_login(world.users.officer)
    url = reverse("projects:partner-edit", kwargs={"partnership_pk": partnership.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"role": "delivery_partner", "joined_on-day": "5", "joined_on-month": "1", "joined_on-year": "2015"}
    )
    assert response.status_code == 302
    partnership.refresh_from_db()
    assert (partnership.role, partnership.joined_on) == ("delivery_partner", dt.date(2015, 1, 5))
    latest = partnership.history.latest()
    assert latest.history_user == world.users.officer
    assert latest.prev_record.role == "partner_authority"
    page = client.get(response["Location"]).content.decode()
    assert "Derbyshire County Council is now a delivery partner of R1-01" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"role": ""}, "Choose the organisation&#x27;s role in the project"),
        ({"role": "lead"}, "Choose one of the roles listed"),
        (
            {"role": "delivery_partner", "joined_on-day": "31", "joined_on-month": "2", "joined_on-year": "2015"},
            "real date",
        ),
        (
            {"role": "delivery_partner", "joined_on-day": "1", "joined_on-month": "1", "joined_on-year": "2999"},
            "joined",
        ),
    ],
)
def test_a_bad_change_is_refused_with_its_message_and_nothing_changes(client, world, data, message):
    partnership = derbyshire_partnership(world)
    client.force_login(world.users.officer)
    before = partnerships()
    response = client.post(reverse("projects:partner-edit", kwargs={"partnership_pk": partnership.pk}), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert partnerships() == before


def test_an_officer_removes_a_partner_with_nothing_on_record_and_the_history_keeps_it(
    client, world, university_partner
):
    client.force_login(world.users.admin)
    url = reverse("projects:partner-remove", kwargs={"partnership_pk": university_partner.pk})
    page = client.get(url).content.decode()
    assert "Remove Example University from the project?" in page
    response = client.post(url)
    assert response.status_code == 302
    assert not ProjectPartner.objects.filter(pk=university_partner.pk).exists()
    removal = ProjectPartner.history.filter(id=university_partner.pk).latest()
    assert (removal.history_type, removal.history_user) == ("-", world.users.admin)
    assert "Example University removed from R1-01" in client.get(response["Location"]).content.decode()


def test_a_partner_with_allocations_and_milestones_stays_with_the_reason(client, world):
    partnership = derbyshire_partnership(world)
    client.force_login(world.users.officer)
    before = partnerships()
    url = reverse("projects:partner-remove", kwargs={"partnership_pk": partnership.pk})
    page = client.get(url).content.decode()
    assert "Derbyshire County Council cannot be removed" in page
    response = client.post(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "has 1 allocation(s) of the project" in page
    assert "delivers 1 of the project" in page
    assert partnerships() == before


def test_a_partner_that_receives_a_grant_stays(client, world, university_partner):
    world.grant.recipient = world.university
    world.grant.save()
    client.force_login(world.users.officer)
    before = partnerships()
    response = client.post(reverse("projects:partner-remove", kwargs={"partnership_pk": university_partner.pk}))
    assert "Example University receives one of the project" in response.content.decode()
    assert partnerships() == before


@pytest.mark.parametrize("persona", NOT_OFFICERS)
def test_no_one_but_an_officer_changes_or_removes_a_partner(client, world, university_partner, persona):
    client.force_login(getattr(world.users, persona))
    before = partnerships()
    edit = reverse("projects:partner-edit", kwargs={"partnership_pk": university_partner.pk})
    remove = reverse("projects:partner-remove", kwargs={"partnership_pk": university_partner.pk})
    for url in (edit, remove):
        assert client.get(url).status_code == 403
    assert client.post(edit, {"role": "partner_authority"}).status_code == 403
    assert client.post(remove).status_code == 403
    assert partnerships() == before


def test_an_unknown_partnership_is_not_found(client, world):
    client.force_login(world.users.officer)
    assert client.get(reverse("projects:partner-edit", kwargs={"partnership_pk": 999999})).status_code == 404
    assert client.post(reverse("projects:partner-remove", kwargs={"partnership_pk": 999999})).status_code == 404


def test_the_project_page_offers_an_officer_the_change_and_remove_links(client, world):
    partnership = derbyshire_partnership(world)
    edit = reverse("projects:partner-edit", kwargs={"partnership_pk": partnership.pk})
    client.force_login(world.users.officer)
    assert edit in client.get(reverse("projects:detail", kwargs={"project_pk": world.project.pk})).content.decode()
    client.force_login(world.users.viewer)
    assert edit not in client.get(reverse("projects:detail", kwargs={"project_pk": world.project.pk})).content.decode()


# Themes


def test_an_officer_adds_and_renames_a_theme(client, world):
    client.force_login(world.users.officer)
    assert (
        client.post(reverse("setup:theme-create"), {"name": "Family safeguarding", "description": ""}).status_code
        == 302
    )
    theme = Theme.objects.get(name="Family safeguarding")
    url = reverse("setup:theme-edit", kwargs={"theme_pk": theme.pk})
    assert client.post(url, {"name": "Family Safeguarding model", "description": "Hertfordshire's"}).status_code == 302
    theme.refresh_from_db()
    assert theme.name == "Family Safeguarding model"
    assert [record.history_user for record in theme.history.all()] == [world.users.officer] * 2
    page = client.get(reverse("setup:themes")).content.decode()
    assert "Family Safeguarding model" in page and "Reducing bureaucracy" in page


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "Enter the theme&#x27;s name"),
        ("Reducing bureaucracy", "Another theme already has this name"),
        ("x" * 101, "100 characters"),
    ],
)
def test_a_bad_theme_is_refused(client, world, name, message):
    client.force_login(world.users.officer)
    before = list(Theme.objects.values_list("name", flat=True))
    response = client.post(reverse("setup:theme-create"), {"name": name, "description": ""})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(Theme.objects.values_list("name", flat=True)) == before


@pytest.mark.parametrize("persona", NOT_OFFICERS)
def test_no_one_but_an_officer_adds_or_changes_a_theme(client, world, persona):
    client.force_login(getattr(world.users, persona))
    for url in (reverse("setup:theme-create"), reverse("setup:theme-edit", kwargs={"theme_pk": world.theme.pk})):
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "Renamed"}).status_code == 403
    assert list(Theme.objects.values_list("name", flat=True)) == ["Reducing bureaucracy"]
    expected = 200 if persona in ("finance", "viewer") else 403
    assert client.get(reverse("setup:themes")).status_code == expected
