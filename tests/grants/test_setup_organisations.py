"""Organisations set up in the service: officers add and change them through the real pages with the
model's rules (org-id on a known register, GSS code, postcode, dates in order, successors), bad input is
refused with its message and changes nothing, the list filters, searches and pages, an organisation's page
lists its projects and grants, and every change keeps who made it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.paging import PER_PAGE
from grants.models import Organisation
from projects.models import Project
from tests.factories import AllocationFactory, GrantFactory, ProjectPartnerFactory

pytestmark = pytest.mark.django_db

NOT_OFFICERS = ["finance", "viewer", "morninglane", "derbyshire", "evaluator", "outsider"]


def organisation_data(**changes):
    data = {
        "name": "The Fostering Network",
        "short_name": "",
        "kind": "charity",
        "org_id": "GB-CHC-280852",
        "authority_type": "",
        "gss_code": "",
        "dfe_la_number": "",
        "valid_from-day": "",
        "valid_from-month": "",
        "valid_from-year": "",
        "valid_to-day": "",
        "valid_to-month": "",
        "valid_to-year": "",
        "replaced_by": "",
        "website": "",
        "postcode": "",
    }
    data.update(changes)
    return data


def authority_data(**changes):
    return organisation_data(
        **{
            "name": "North Northamptonshire Council",
            "kind": "local_authority",
            "org_id": "GB-LAE-NNC",
            "authority_type": "UA",
            "gss_code": "E06000061",
            "dfe_la_number": "940",
            "valid_from-day": "1",
            "valid_from-month": "4",
            "valid_from-year": "2021",
            **changes,
        }
    )


def snapshot():
    return list(Organisation.objects.order_by("pk").values_list("name", "org_id", "gss_code", "postcode", "valid_to"))


def test_an_officer_adds_a_charity_and_the_history_names_them(client, world):
    client.force_login(world.users.officer)
    response = client.post(
        reverse("setup:organisation-create"),
        organisation_data(postcode="se1 7hx", website="www.thefosteringnetwork.org.uk"),
    )
    assert response.status_code == 302
    charity = Organisation.objects.get(org_id="GB-CHC-280852")
    assert response["Location"] == reverse("setup:organisation", kwargs={"organisation_pk": charity.pk})
    assert (charity.kind, charity.postcode, charity.website) == (
        "charity",
        "SE1 7HX",
        "https://www.thefosteringnetwork.org.uk",
    )
    record = charity.history.get()
    assert (record.history_type, record.history_user) == ("+", world.users.officer)


def test_an_organisation_with_no_registered_number_is_given_one_under_the_publishers_prefix(client, world, settings):
    client.force_login(world.users.officer)
    for _ in range(2):
        response = client.post(
            reverse("setup:organisation-create"), organisation_data(name="Family Rights Group", org_id="")
        )
        assert response.status_code == 302
    ids = sorted(Organisation.objects.filter(name="Family Rights Group").values_list("org_id", flat=True))
    prefix = settings.THREESIXTYGIVING_PREFIX
    assert ids == [f"360G-{prefix}-org-family-rights-group", f"360G-{prefix}-org-family-rights-group-2"]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": ""}, "name", "Enter the organisation&#x27;s name"),
        ({"kind": ""}, "kind", "Choose the kind of organisation"),
        ({"org_id": "GB-XYZ-123"}, "org_id", "Enter an org-id on a register this service knows"),
        ({"org_id": "GB-CHC-12"}, "org_id", "GB-CHC-12 is not a number on GB-CHC"),
        ({"org_id": "GB-GOR-D6"}, "org_id", "Another organisation already has this org-id"),
        ({"gss_code": "E10000099"}, "gss_code", "only for a local authority"),
        ({"authority_type": "CTY"}, "authority_type", "only for a local authority"),
        ({"postcode": "NOT A POSTCODE"}, "postcode", "Enter a full UK postcode"),
        ({"website": "not a website"}, "website", "Enter the website"),
        (
            {
                "valid_from-day": "1",
                "valid_from-month": "4",
                "valid_from-year": "2019",
                "valid_to-day": "1",
                "valid_to-month": "4",
                "valid_to-year": "2018",
            },
            "valid_to",
            "must be the same as or after the date it started",
        ),
        ({"valid_to-day": "31", "valid_to-month": "2", "valid_to-year": "2019"}, "valid_to", ""),
        ({"replaced_by": "GB-LAE-ZZZ"}, "replaced_by", "No organisation has the org-id GB-LAE-ZZZ"),
        ({"replaced_by": "GB-LAE-DBY"}, "valid_to", "Enter the last day it existed"),
    ],
)
def test_bad_organisation_input_is_refused_with_its_message_and_nothing_is_added(
    client, world, changes, field, message
):
    client.force_login(world.users.officer)
    before = snapshot()
    response = client.post(reverse("setup:organisation-create"), organisation_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"authority_type": ""}, "authority_type", "Choose the authority type"),
        ({"gss_code": "X123"}, "gss_code", "Enter an ONS GSS code such as E10000007"),
        ({"gss_code": "E10000007"}, "gss_code", "Another organisation already has the GSS code E10000007"),
        ({"dfe_la_number": "94"}, "dfe_la_number", "must be three digits"),
        ({"org_id": "GB-LAE-nn1"}, "org_id", "not a number on GB-LAE"),
    ],
)
def test_a_local_authoritys_codes_are_checked(client, world, changes, field, message):
    client.force_login(world.users.officer)
    before = snapshot()
    response = client.post(reverse("setup:organisation-create"), authority_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert snapshot() == before


def test_an_authority_that_split_in_two_records_its_end_and_successors_with_who_did_it(client, world):
    """Northamptonshire ended on 31 March 2021, replaced by North and West Northamptonshire."""
    client.force_login(world.users.officer)
    assert client.post(reverse("setup:organisation-create"), authority_data()).status_code == 302
    west = authority_data(
        name="West Northamptonshire Council", org_id="GB-LAE-WNC", gss_code="E06000062", dfe_la_number="941"
    )
    assert client.post(reverse("setup:organisation-create"), west).status_code == 302
    northants = Organisation.objects.create(
        name="Northamptonshire County Council",
        kind="local_authority",
        org_id="GB-LAE-NTH",
        gss_code="E10000021",
        authority_type="CTY",
    )
    data = authority_data(
        name=northants.name,
        org_id="gb-lae-nth",  # typed in lower case: the same register code
        authority_type="CTY",
        gss_code="E10000021",
        dfe_la_number="928",
        replaced_by="GB-LAE-NNC\nGB-LAE-WNC",
        **{
            "valid_from-day": "",
            "valid_from-month": "",
            "valid_from-year": "",
            "valid_to-day": "31",
            "valid_to-month": "3",
            "valid_to-year": "2021",
        },
    )
    response = client.post(reverse("setup:organisation-edit", kwargs={"organisation_pk": northants.pk}), data)
    assert response.status_code == 302, response.context["form"].errors
    northants.refresh_from_db()
    assert northants.org_id == "GB-LAE-NTH"
    assert northants.valid_to == dt.date(2021, 3, 31)
    assert sorted(northants.replaced_by.values_list("org_id", flat=True)) == ["GB-LAE-NNC", "GB-LAE-WNC"]
    latest = northants.history.latest()
    assert latest.history_user == world.users.officer
    assert latest.history_change_reason == "Replaced by: GB-LAE-NNC, GB-LAE-WNC"

    page = client.get(response["Location"]).content.decode()
    assert "Replaced by" in page and "North Northamptonshire Council" in page
    assert "31 March 2021" in page
    assert "changed (DfE LA number, valid to). Replaced by: GB-LAE-NNC, GB-LAE-WNC, by Officer Tester" in page
    assert "by Officer Tester" in page
    edit_form = client.get(
        reverse("setup:organisation-edit", kwargs={"organisation_pk": northants.pk})
    ).content.decode()
    assert "GB-LAE-NNC\nGB-LAE-WNC" in edit_form


def test_an_organisation_cannot_replace_itself(client, world):
    client.force_login(world.users.officer)
    before = snapshot()
    url = reverse("setup:organisation-edit", kwargs={"organisation_pk": world.kent.pk})
    data = authority_data(
        name=world.kent.name,
        org_id="GB-LAE-KEN",
        authority_type="CTY",
        gss_code="E10000016",
        replaced_by="GB-LAE-KEN",
        **{"valid_to-day": "1", "valid_to-month": "1", "valid_to-year": "2022"},
    )
    response = client.post(url, data)
    assert "An organisation cannot replace itself" in response.content.decode()
    assert snapshot() == before


def test_the_list_filters_by_kind_searches_by_name_and_pages(client, world):
    for number in range(60):
        Organisation.objects.create(name=f"Charity {number:02}", kind="charity", org_id=f"GB-CHC-{1000000 + number}")
    client.force_login(world.users.viewer)
    url = reverse("setup:organisations")
    page = client.get(url, {"kind": "local_authority"}).content.decode()
    assert "Derbyshire County Council" in page and "Charity 01" not in page and "Morning Lane" not in page
    assert "4 organisations" in page

    page = client.get(url, {"q": "harrow"}).content.decode()
    assert "London Borough of Harrow" in page and "Derbyshire" not in page

    first = client.get(url, {"kind": "charity"})
    assert "60 organisations" in first.content.decode()
    assert "Charity 00" in first.content.decode() and "Charity 59" not in first.content.decode()
    second = client.get(url, {"kind": "charity", "page": "2"}).content.decode()
    assert "Charity 59" in second and "Charity 00" not in second
    assert "kind=charity" in second  # the pagination links keep the filter


def test_the_list_takes_a_constant_number_of_queries(client, world, django_assert_max_num_queries):
    for number in range(30):
        Organisation.objects.create(name=f"Charity {number:02}", kind="charity", org_id=f"GB-CHC-{1000000 + number}")
    client.force_login(world.users.officer)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("setup:organisations")).status_code == 200


def test_an_organisations_page_lists_its_projects_and_grants(client, world):
    client.force_login(world.users.viewer)
    page = client.get(reverse("setup:organisation", kwargs={"organisation_pk": world.derbyshire.pk})).content.decode()
    assert "R1-01" in page and "Partner authority" in page
    assert "Reclaiming Social Work" in page  # its share of the grant
    assert "R1-02" not in page and "Kent family hubs" not in page

    page = client.get(reverse("setup:organisation", kwargs={"organisation_pk": world.morning_lane.pk})).content.decode()
    assert "Lead organisation" in page and "£1,000,000.00" in page


def test_an_organisations_projects_and_grants_are_each_a_page_at_a_time(client, world, django_assert_num_queries):
    """A council can take part in a hundred grants: each list is paged by its own parameter, and the page
    reads the same number of queries however many there are."""
    url = reverse("setup:organisation", kwargs={"organisation_pk": world.derbyshire.pk})
    client.force_login(world.users.viewer)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(PER_PAGE + 1):
        partnership = ProjectPartnerFactory(organisation=world.derbyshire, project__programme=world.programme)
        grant = GrantFactory(project=partnership.project, round=world.round)
        AllocationFactory(grant=grant, recipient=world.derbyshire)
    projects, grants = Project.objects.filter(partnerships__organisation=world.derbyshire).count(), PER_PAGE + 2

    with django_assert_num_queries(len(few)):
        first = client.get(url).content.decode()
    assert f"Projects ({projects})" in first and f"Grants it receives or has a share of ({grants})" in first
    assert first.count("Partner authority") == PER_PAGE
    assert 'href="?projects_page=2#organisation-projects"' in first
    assert 'href="?grants_page=2#organisation-grants"' in first

    second = client.get(url, {"projects_page": 2, "grants_page": 2}).content.decode()
    assert second.count("Partner authority") == projects - PER_PAGE
    grants_table = second[second.index('id="organisation-grants"') :]
    assert grants_table.count('href="/grants/') == grants - PER_PAGE


@pytest.mark.parametrize("persona", ["officer", "admin", "finance", "viewer"])
def test_the_funders_staff_and_viewers_read_organisations(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(reverse("setup:organisations")).status_code == 200
    response = client.get(reverse("setup:organisation", kwargs={"organisation_pk": world.kent.pk}))
    assert response.status_code == 200
    edit = reverse("setup:organisation-edit", kwargs={"organisation_pk": world.kent.pk})
    assert (edit in response.content.decode()) == (persona in ("officer", "admin"))


@pytest.mark.parametrize("persona", NOT_OFFICERS)
def test_no_one_but_an_officer_adds_or_changes_an_organisation(client, world, persona):
    client.force_login(getattr(world.users, persona))
    before = snapshot()
    for url, data in (
        (reverse("setup:organisation-create"), organisation_data()),
        (reverse("setup:organisation-edit", kwargs={"organisation_pk": world.kent.pk}), authority_data(name="Renamed")),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["morninglane", "derbyshire", "evaluator", "outsider"])
def test_recipients_and_evaluators_do_not_read_organisations(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(reverse("setup:organisations")).status_code == 403
    assert client.get(reverse("setup:organisation", kwargs={"organisation_pk": world.derbyshire.pk})).status_code == 403


def test_an_unknown_organisation_is_not_found(client, world):
    client.force_login(world.users.officer)
    assert client.get(reverse("setup:organisation", kwargs={"organisation_pk": 999999})).status_code == 404
    assert client.get(reverse("setup:organisation-edit", kwargs={"organisation_pk": 999999})).status_code == 404
