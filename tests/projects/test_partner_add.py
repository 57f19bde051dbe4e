"""An officer adds a partner organisation to a project, with its role."""

import datetime as dt

import pytest
from django.urls import reverse

from projects.models import ProjectPartner


def url(project):
    return reverse("projects:partner-add", kwargs={"project_pk": project.pk})


@pytest.fixture
def officer(client, world):
    client.force_login(world.users.officer)
    return client


def test_the_lead_and_existing_partners_are_not_offered(officer, world):
    page = officer.get(url(world.project)).content.decode()
    assert f'<option value="{world.kent.pk}">Kent County Council</option>' in page
    for organisation in (world.morning_lane, world.harrow, world.derbyshire):
        assert f'<option value="{organisation.pk}"' not in page
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Role</legend>' in page


def test_an_officer_adds_a_partner(officer, world):
    response = officer.post(
        url(world.project),
        {
            "organisation": world.kent.pk,
            "role": "delivery_partner",
            "joined_on": "01/06/2015",
        },
    )
    assert response.status_code == 302
    partner = ProjectPartner.objects.get(project=world.project, organisation=world.kent)
    assert (partner.role, partner.joined_on) == ("delivery_partner", dt.date(2015, 6, 1))
    page = officer.get(response["Location"]).content.decode()
    assert "Kent County Council added to R1-01 as delivery partner" in page


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"role": "partner_authority"}, "organisation", "Choose the organisation"),
        (
            {"organisation": "harrow", "role": "partner_authority"},
            "organisation",
            "Choose an organisation that is not already part of this project",
        ),
        (
            {"organisation": "morning_lane", "role": "partner_authority"},
            "organisation",
            "Choose an organisation that is not already part of this project",
        ),
        ({"organisation": "kent"}, "role", "Choose the organisation&#x27;s role in the project"),
        ({"organisation": "kent", "role": "boss"}, "role", "Select a valid choice"),
        (
            {"organisation": "kent", "role": "delivery_partner", "joined_on": "32/01/2015"},
            "joined_on",
            "The date it joined must be a real date",
        ),
        (
            {"organisation": "kent", "role": "delivery_partner", "joined_on-day": "1", "joined_on-year": "2015"},
            "joined_on",
            "The date it joined must include a month",
        ),
        (
            {"organisation": "kent", "role": "delivery_partner", "joined_on": "1/1/2999"},
            "joined_on",
            "The date it joined must be today or in the past",
        ),
    ],
)
def test_bad_input_adds_nothing(officer, world, data, field, message):
    data = {key: getattr(world, value).pk if key == "organisation" else value for key, value in data.items()}
    before = ProjectPartner.objects.count()
    response = officer.post(url(world.project), data)
    assert response.status_code == 200
    first_box = "-day" if field == "joined_on" else ""  # a date's summary link goes to its day box
    assert f'<a href="#id_{field}{first_box}">{message}' in response.content.decode()
    assert ProjectPartner.objects.count() == before


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "outsider"])
def test_other_roles_cannot_add_partners(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url(world.project)).status_code == 403
    assert (
        client.post(url(world.project), {"organisation": world.kent.pk, "role": "delivery_partner"}).status_code == 403
    )
    assert not ProjectPartner.objects.filter(organisation=world.kent).exists()
