"""The project list: a FilterSet and a django-tables2 table in GOV.UK style,
sortable, paginated, with the awarded total summed in SQL."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.models import Grant, Round
from projects.models import Project, ProjectPartner, Theme

URL = reverse("projects:list")


def make_projects(world, count, start=100):
    theme = Theme.objects.create(name=f"Theme from {start}")
    made = []
    for n in range(start, start + count):
        project = Project.objects.create(
            programme=world.programme,
            reference=f"X-{n:03d}",
            title=f"Generated project {n}",
            summary="Made for a test",
            lead_organisation=world.kent if n % 2 else world.morning_lane,
            start_date=dt.date(2015, 1, 1),
            end_date=dt.date(2016, 1, 1),
        )
        project.themes.add(theme)
        ProjectPartner.objects.create(project=project, organisation=world.derbyshire, role="partner_authority")
        Grant.objects.create(
            project=project,
            round=world.round,
            recipient=project.lead_organisation,
            title=f"Grant {n}",
            amount_awarded=Decimal(n),
            award_date=dt.date(2015, 1, 5),
            planned_start=dt.date(2015, 1, 1),
            planned_end=dt.date(2016, 1, 1),
        )
        made.append(project)
    return made


def rows(page):
    body = page[page.index('<tbody class="govuk-table__body">') : page.index("</tbody>")]
    return re.findall(
        r'<td class="govuk-table__cell"><a class="govuk-link" href="/projects/\d+/">([^<]+)</a></td>\s*<td', body
    )


@pytest.fixture
def officer(client, world):
    client.force_login(world.users.officer)
    return client


@pytest.mark.parametrize("persona", ["officer", "admin", "viewer", "finance"])
def test_programme_readers_see_every_project(client, world, persona):
    client.force_login(getattr(world.users, persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert rows(response.content.decode()) == ["R1-01", "R1-02"]


@pytest.mark.parametrize("persona", ["morninglane", "derbyshire", "evaluator", "outsider"])
def test_other_roles_are_refused(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(URL).status_code == 403


def test_only_officers_see_the_add_button(client, world):
    client.force_login(world.users.viewer)
    assert reverse("projects:create") not in client.get(URL).content.decode()
    client.force_login(world.users.officer)
    assert reverse("projects:create") in client.get(URL).content.decode()


def test_the_table_is_a_govuk_table_with_sortable_headers(officer, world):
    page = officer.get(URL).content.decode()
    assert '<table class="govuk-table">' in page
    assert '<thead class="govuk-table__head">' in page
    assert re.search(
        r'<th scope="col" class="govuk-table__header[^"]*" aria-sort="ascending">\s*<a [^>]*href="\?sort=-reference"',
        page,
    )
    assert re.search(r'aria-sort="none">\s*<a [^>]*href="\?sort=awarded_total"', page)
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">£1,000,000.00' in page
    assert '<strong class="govuk-tag govuk-tag--orange">Amber</strong>' in page
    assert "Not rated" in page


def test_sorting_by_awarded_total_both_ways(officer, world):
    make_projects(world, 3)  # awards of £100, £101 and £102
    page = officer.get(URL, {"sort": "-awarded_total"}).content.decode()
    assert rows(page) == ["R1-01", "R1-02", "X-102", "X-101", "X-100"]
    assert re.search(r'aria-sort="descending">\s*<a [^>]*href="\?sort=awarded_total"', page)
    assert rows(officer.get(URL, {"sort": "awarded_total"}).content.decode()) == [
        "X-100",
        "X-101",
        "X-102",
        "R1-02",
        "R1-01",
    ]


def test_sorting_by_lead_title_status_and_rag(officer, world):
    assert rows(officer.get(URL, {"sort": "lead"}).content.decode()) == ["R1-02", "R1-01"]  # Kent before Morning Lane
    assert rows(officer.get(URL, {"sort": "-title"}).content.decode()) == ["R1-01", "R1-02"]
    world.project.set_status(Project.Status.CLOSING, by=world.users.officer)
    assert rows(officer.get(URL, {"sort": "status"}).content.decode()) == ["R1-02", "R1-01"]  # active < closing
    assert rows(officer.get(URL, {"sort": "-rag"}).content.decode()) == ["R1-01", "R1-02"]


def test_an_unknown_sort_is_ignored(officer, world):
    response = officer.get(URL, {"sort": "password"})
    assert response.status_code == 200
    assert rows(response.content.decode()) == ["R1-01", "R1-02"]


def test_the_awarded_total_sums_every_grant_and_is_not_multiplied_by_filters(officer, world):
    round_2 = Round.objects.create(
        programme=world.programme,
        number=2,
        name="Round 2",
        budget=Decimal("36000000"),
        start_date=dt.date(2017, 1, 1),
        end_date=dt.date(2018, 3, 31),
    )
    Grant.objects.create(
        project=world.project,
        round=round_2,
        recipient=world.morning_lane,
        title="Scale-up",
        amount_awarded=Decimal("250000.50"),
        award_date=dt.date(2017, 2, 1),
        planned_start=dt.date(2017, 2, 1),
        planned_end=dt.date(2018, 3, 31),
    )
    for params in ({}, {"round": round_2.pk}, {"partner": world.harrow.pk}, {"theme": world.theme.pk}):
        page = officer.get(URL, params).content.decode()
        assert page.count("£1,250,000.50") == 1, params
    page = officer.get(URL, {"round": round_2.pk}).content.decode()
    assert rows(page) == ["R1-01"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "active"}, ["R1-01", "R1-02"]),
        ({"status": "proposed"}, []),
        ({"rag": "amber"}, ["R1-01"]),
        ({"rag": "none"}, ["R1-02"]),
        ({"rag": "red"}, []),
        ({"q": "reclaiming"}, ["R1-01"]),
        ({"q": "R1-02"}, ["R1-02"]),
        ({"q": "family hubs in"}, ["R1-02"]),  # the summary
        ({"q": "morning lane"}, ["R1-01"]),  # the lead's name
        ({"q": "nothing like this"}, []),
    ],
)
def test_filters(officer, world, params, expected):
    page = officer.get(URL, params).content.decode()
    assert rows(page) == expected
    if not expected:
        assert "No projects match these filters." in page


def test_filters_by_organisation_theme_and_round(officer, world):
    make_projects(world, 2)
    assert rows(officer.get(URL, {"lead_organisation": world.kent.pk}).content.decode()) == ["R1-02", "X-101"]
    assert rows(officer.get(URL, {"partner": world.harrow.pk}).content.decode()) == ["R1-01"]
    assert rows(officer.get(URL, {"partner": world.derbyshire.pk}).content.decode()) == ["R1-01", "X-100", "X-101"]
    assert rows(officer.get(URL, {"theme": world.theme.pk}).content.decode()) == ["R1-01"]
    assert rows(
        officer.get(URL, {"round": world.round.pk, "lead_organisation": world.morning_lane.pk}).content.decode()
    ) == ["R1-01", "X-100"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"lead_organisation": "kent"}, ["R1-02", "X-101"]),  # part of the name, in any case
        ({"lead_organisation": "GB-LAE-KEN"}, ["R1-02", "X-101"]),  # the whole org-id
        ({"lead_organisation": "GB-LAE"}, []),  # part of an org-id names no one
        ({"lead_organisation": "  Morning Lane  "}, ["R1-01", "X-100"]),
        ({"partner": "harrow"}, ["R1-01"]),
        ({"partner": "Derbyshire County Council"}, ["R1-01", "X-100", "X-101"]),
        ({"partner": "no such council"}, []),
        ({"partner": "99999999999999999999"}, []),  # a number past any key is no one, not an error
    ],
)
def test_an_organisation_is_found_by_what_is_typed(officer, world, params, expected):
    make_projects(world, 2)
    response = officer.get(URL, params)
    assert response.status_code == 200
    assert rows(response.content.decode()) == expected


def test_the_filters_render_no_more_options_as_organisations_grow(officer, world):
    def options():
        return officer.get(URL).content.decode().count("<option")

    before = options()
    make_projects(world, 2)
    for n in range(30):
        lead = world.kent.__class__.objects.create(name=f"Lead {n} Ltd", kind="company", org_id=f"GB-COH-{n:08d}")
        Project.objects.create(
            programme=world.programme,
            reference=f"L-{n:03d}",
            title=f"Led by {n}",
            summary="",
            lead_organisation=lead,
            start_date=dt.date(2015, 1, 1),
            end_date=dt.date(2016, 1, 1),
        )
    # One theme more (make_projects adds one); no option for any organisation.
    assert options() == before + 1


def test_the_filter_form_is_govuk_styled_and_keeps_its_values(officer, world):
    page = officer.get(URL, {"status": "active", "q": "social"}).content.decode()
    assert '<label class="govuk-label" for="id_status">Status</label>' in page
    assert '<select name="status" class="govuk-select" id="id_status">' in page
    assert '<option value="active" selected>Active</option>' in page
    assert 'value="social"' in page and 'class="govuk-input"' in page
    assert "Partner" in page and "RAG rating" in page and "Theme" in page and "Round" in page


def test_a_bad_filter_value_gets_a_message_not_an_error(officer, world):
    response = officer.get(URL, {"round": "abc", "status": "nonsense"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "govuk-select--error" in page
    assert rows(page) == ["R1-01", "R1-02"]  # the bad filters are left out, the others still apply


def test_pages_of_25_with_govuk_pagination(officer, world):
    make_projects(world, 30)  # 32 projects in all
    first = officer.get(URL).content.decode()
    assert len(rows(first)) == 25
    assert "32 projects" in first
    assert '<nav class="govuk-pagination" aria-label="Pagination">' in first
    assert re.search(r'href="\?page=1" aria-label="Page 1" aria-current="page"', first)
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = officer.get(URL, {"page": 2, "sort": "title"}).content.decode()
    assert len(rows(second)) == 7
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert re.search(r'href="\?page=1&amp;sort=title"|href="\?sort=title&amp;page=1"', second)
    # A page past the end shows the last page rather than an error.
    assert officer.get(URL, {"page": 99}).status_code == 200


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries), len(rows(response.content.decode()))


def test_the_number_of_queries_does_not_grow_with_rows(officer, world, django_assert_max_num_queries):
    make_projects(world, 3)
    few, shown = count_queries(officer)
    assert shown == 5
    make_projects(world, 25, start=200)
    many, shown = count_queries(officer)
    assert shown == 25
    assert many == few
    with django_assert_max_num_queries(12):
        officer.get(URL, {"q": "project", "round": world.round.pk, "sort": "-awarded_total"})


def test_the_download_links_carry_the_filters_in_use(client, world):
    client.force_login(world.users.officer)
    page = client.get("/projects/", {"status": "active"}).content.decode()
    assert 'href="/exports/projects.csv?status=active"' in page
    assert 'href="/exports/projects.xlsx?status=active"' in page
