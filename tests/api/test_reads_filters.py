"""The lists' filters: the pages' own FilterSets where there are any (projects, organisations, outcome
results), the API's for the rest; a bad value or a parameter no filter names is a 422 problem naming it."""

import pytest

from api.api import api
from projects.models import Project
from tests.api.reads_world import add_both_sides


@pytest.fixture(autouse=True)
def unlimited(settings):
    settings.API_RATE_LIMIT = "100000/minute"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_projects_by_status(world, api_client_for):
    Project.objects.filter(pk=world.other_project.pk).update(status=Project.Status.CLOSING)
    client = api_client_for("officer")
    assert ids(client.get("/api/v1/projects", {"status": "closing"})) == [world.other_project.pk]
    assert ids(client.get("/api/v1/projects", {"status": "active"})) == [world.project.pk]
    # Filters narrow the scope, never widen it: Derbyshire does not see Kent's project by naming its status.
    assert ids(api_client_for("derbyshire").get("/api/v1/projects", {"status": "closing"})) == []


def test_projects_by_the_pages_search_and_lead(world, api_client_for):
    client = api_client_for("viewer")
    assert ids(client.get("/api/v1/projects", {"q": "Kent family"})) == [world.other_project.pk]
    assert ids(client.get("/api/v1/projects", {"lead_organisation": "GB-COH-07000001"})) == [world.project.pk]


def test_payments_by_kind(world, api_client_for):
    rows = add_both_sides(world)
    client = api_client_for("finance")
    assert ids(client.get("/api/v1/payments", {"kind": "recovery"})) == [rows["recovery"].pk]
    assert ids(client.get("/api/v1/payments", {"kind": "payment"})) == sorted(
        [rows["payment"].pk, rows["other_payment"].pk]
    )
    assert ids(client.get("/api/v1/payments", {"kind": "payment", "project": world.project.pk})) == [rows["payment"].pk]
    assert ids(client.get("/api/v1/payments", {"paid_from": "2015-07-01", "paid_to": "2016-03-31"})) == [
        rows["recovery"].pk
    ]


def test_allocations_by_year_and_recipient(world, api_client_for):
    client = api_client_for("officer")
    harrow = world.allocations["GB-LAE-HRW"].pk
    assert ids(client.get("/api/v1/allocations", {"financial_year": "2015-16", "recipient": world.harrow.pk})) == [
        harrow
    ]
    assert ids(client.get("/api/v1/allocations", {"financial_year": "2016-17"})) == []


def test_outcome_results_by_the_impact_reports_filters(world, api_client_for):
    client = api_client_for("officer")
    area = world.measure.outcome_area_id
    assert ids(client.get("/api/v1/outcome-results", {"outcome_area": area})) == [
        world.result.pk,
        world.other_result.pk,
    ]


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/api/v1/projects", {"status": "finished"}, "status"),
        ("/api/v1/projects", {"round": "first"}, "round"),
        ("/api/v1/projects", {"round": "99999999999999999999999"}, "round"),
        ("/api/v1/payments", {"kind": "refund"}, "kind"),
        ("/api/v1/payments", {"paid_from": "31/03/2016"}, "paid_from"),
        ("/api/v1/payments", {"paid_to": "2016-02-30"}, "paid_to"),
        ("/api/v1/payments", {"allocation": "1.5"}, "allocation"),
        ("/api/v1/allocations", {"financial_year": "2016-18"}, "financial_year"),
        ("/api/v1/allocations", {"financial_year": "9999-00"}, "financial_year"),
        ("/api/v1/allocations", {"grant": "99999999999999999999999"}, "grant"),
        ("/api/v1/spend-returns", {"quarter": "5"}, "quarter"),
        ("/api/v1/outcome-results", {"min_rating": "9"}, "min_rating"),
        ("/api/v1/evaluations", {"design": "anecdote"}, "design"),
        # A parameter no filter names is refused, not ignored: a misspelt filter would otherwise list everything.
        ("/api/v1/payments", {"knd": "recovery"}, "knd"),
        ("/api/v1/programmes", {"name": "x"}, "name"),
    ],
)
def test_a_bad_filter_is_a_problem_naming_it(path, params, field, world, api_client_for):
    response = api_client_for("officer").get(path, params)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert field in [error["field"] for error in problem["errors"]]


def test_a_bad_cursor_or_limit_is_a_problem(world, api_client_for):
    client = api_client_for("officer")
    for params in ({"cursor": "not-a-cursor"}, {"limit": "0"}, {"limit": "201"}, {"limit": "many"}):
        response = client.get("/api/v1/projects", params)
        assert response.status_code in (400, 422), (params, response.content)
        assert response["Content-Type"].startswith("application/problem+json")


def test_a_bad_id_is_a_problem_not_an_error(world, api_client_for):
    client = api_client_for("officer")
    assert client.get("/api/v1/projects/99999999999999999999999").status_code == 404
    response = client.get("/api/v1/projects/abc")
    assert response.status_code in (404, 422)
    assert response["Content-Type"].startswith("application/problem+json")


def test_a_filter_naming_an_object_that_is_not_there_lists_nothing(world, api_client_for):
    # A well-formed id (as the description says a filter takes) is a question with an answer, not a mistake:
    # a round or theme no one has lists nothing, as an id of an existing one lists its projects.
    client = api_client_for("officer")
    assert ids(client.get("/api/v1/projects", {"round": world.round.pk})) == [world.project.pk, world.other_project.pk]
    assert ids(client.get("/api/v1/projects", {"round": 987654})) == []
    assert ids(client.get("/api/v1/outcome-results", {"authority": 987654})) == []


def test_each_filter_is_described_with_what_it_takes():
    parameters = {
        (path, parameter["name"]): parameter["schema"]["anyOf"][0]
        for path, operations in api.get_openapi_schema()["paths"].items()
        for parameter in operations.get("get", {}).get("parameters", [])
        if "anyOf" in parameter["schema"]
    }
    assert parameters[("/api/v1/projects", "round")]["type"] == "integer"
    assert parameters[("/api/v1/projects", "status")]["enum"] == [
        "proposed",
        "active",
        "closing",
        "closed",
        "withdrawn",
    ]
    assert parameters[("/api/v1/payments", "paid_from")] == {"type": "string", "format": "date"}
    assert "2016-17" in parameters[("/api/v1/allocations", "financial_year")]["enum"]
    assert "2016-18" not in parameters[("/api/v1/allocations", "financial_year")]["enum"]
