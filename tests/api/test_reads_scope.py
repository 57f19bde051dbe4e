"""Every read operation of the API shows each persona exactly what its scoped queryset holds: every list
(followed page by page to its end) lists the queryset's ids, and every object by id is found inside the scope
and not found (a 404 problem) outside it. The operations are read from the OpenAPI description, so a new GET
operation cannot be added without this walk covering it."""

import re

import pytest

from api.api import api
from api.reads import organisations_for, programmes_for, rounds_for
from evaluations.models import Evaluation, OutcomeResult
from grants.models import Allocation, Grant, Organisation, Payment, Programme, Round, SpendReturn
from projects.models import Milestone, Project
from tests.api.reads_world import PERSONAS, add_both_sides

PREFIX = "/api/v1"

# Each list's path -> (its model, the persona's scope of it, as the pages give it).
SCOPES = {
    "/programmes": (Programme, programmes_for),
    "/rounds": (Round, rounds_for),
    "/organisations": (Organisation, organisations_for),
    "/projects": (Project, Project.objects.for_user),
    "/milestones": (Milestone, Milestone.objects.for_user),
    "/grants": (Grant, Grant.objects.for_user),
    "/allocations": (Allocation, Allocation.objects.for_user),
    "/payments": (Payment, Payment.objects.for_user),
    "/spend-returns": (SpendReturn, SpendReturn.objects.for_user),
    "/evaluations": (Evaluation, Evaluation.objects.for_user),
    "/outcome-results": (OutcomeResult, OutcomeResult.objects.for_user),
}


def read_operations():
    """(lists, objects): the paths of every GET operation in the description, without the /api/v1 prefix;
    an object's path is its list's path and "/{id}"."""
    lists, objects = [], []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "get" not in operations:
            continue
        path = path.removeprefix(PREFIX)
        (objects if "{" in path else lists).append(path)
    return lists, objects


@pytest.fixture(autouse=True)
def unlimited(settings):
    # The walk makes a few hundred requests with each token: more than the rate limit lets through a minute.
    settings.API_RATE_LIMIT = "100000/minute"


@pytest.fixture
def both_sides(world):
    return add_both_sides(world)


def listed_ids(client, path, limit=2):
    """Every id the list gives, following next_cursor to the end (two a page, so paging is walked too)."""
    ids, cursor = [], None
    for _ in range(100):
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(PREFIX + path, params)
        assert response.status_code == 200, (path, response.content)
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError(f"{path} never reached its last page")


def test_every_read_operation_is_walked():
    lists, objects = read_operations()
    assert sorted(lists) == sorted(SCOPES)
    assert sorted(re.sub(r"/\{[a-z_]+\}$", "", path) for path in objects) == sorted(SCOPES)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_list_is_the_personas_scope(persona, world, both_sides, api_client_for):
    client = api_client_for(persona)
    user = getattr(world.users, persona)
    lists, _ = read_operations()
    for path in lists:
        _, scope = SCOPES[path]
        ids = listed_ids(client, path)
        assert ids == sorted(ids), f"{path} is not in id order"
        assert ids == sorted(scope(user).values_list("pk", flat=True)), f"{persona} {path}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_object_is_found_inside_the_scope_only(persona, world, both_sides, api_client_for):
    client = api_client_for(persona)
    user = getattr(world.users, persona)
    _, objects = read_operations()
    outcomes = {"found": 0, "not found": 0}
    for path in objects:
        model, scope = SCOPES[re.sub(r"/\{[a-z_]+\}$", "", path)]
        inside = set(scope(user).values_list("pk", flat=True))
        for pk in [*model._default_manager.values_list("pk", flat=True), 987654]:
            response = client.get(PREFIX + re.sub(r"\{[a-z_]+\}", str(pk), path))
            if pk in inside:
                assert response.status_code == 200, (path, pk, response.content)
                assert response.json()["id"] == pk
                outcomes["found"] += 1
            else:
                assert response.status_code == 404, (persona, path, pk, response.content)
                assert response["Content-Type"].startswith("application/problem+json")
                assert response.json()["status"] == 404
                outcomes["not found"] += 1
    # Everyone sees something, and only the programme-wide roles see everything.
    assert outcomes["found"] > 0
    assert (outcomes["not found"] == len(objects)) == user.sees_whole_programme


@pytest.mark.parametrize(
    "persona, path, name, status",
    [
        # A partner sees its own allocation, money and milestone, never another partner's.
        ("harrow", "/allocations", "derbyshire_allocation", 404),
        ("harrow", "/milestones", "derbyshire_milestone", 404),
        ("harrow", "/payments", "payment", 404),
        ("harrow", "/spend-returns", "spend_return", 404),
        ("harrow", "/allocations", "harrow_allocation", 200),
        ("harrow", "/projects", "project", 200),
        ("derbyshire", "/payments", "payment", 200),
        # The lead sees all of its project's money.
        ("morninglane", "/payments", "recovery", 200),
        ("morninglane", "/spend-returns", "spend_return", 200),
        # Kent's project is outside every other recipient's scope.
        ("derbyshire", "/projects", "other_project", 404),
        ("derbyshire", "/grants", "other_grant", 404),
        ("derbyshire", "/payments", "other_payment", 404),
        ("outsider", "/projects", "project", 404),
        ("kent", "/spend-returns", "other_spend_return", 200),
        # The evaluator sees its evaluation and its results, not another, and no money.
        ("evaluator", "/evaluations", "evaluation", 200),
        ("evaluator", "/evaluations", "other_evaluation", 404),
        ("evaluator", "/outcome-results", "result", 200),
        ("evaluator", "/outcome-results", "other_result", 404),
        ("evaluator", "/allocations", "harrow_allocation", 404),
        ("evaluator", "/payments", "payment", 404),
    ],
)
def test_the_pages_boundaries(persona, path, name, status, world, both_sides, api_client_for):
    objects = {
        **vars(world),
        **both_sides,
        "derbyshire_allocation": world.allocations["GB-LAE-DBY"],
        "harrow_allocation": world.allocations["GB-LAE-HRW"],
    }
    response = api_client_for(persona).get(f"{PREFIX}{path}/{objects[name].pk}")
    assert response.status_code == status, response.content


def test_a_partner_sees_the_grant_but_not_its_whole_money(world, api_client_for):
    """As on the grant page: the partner sees the award, and its own allocations' money at /allocations; the
    grant-wide figures would tell it the other partners' money."""
    body = api_client_for("harrow").get(f"{PREFIX}/grants/{world.grant.pk}").json()
    assert body["amount_awarded"] == "1000000.00"
    assert body["money"] is None
    lead = api_client_for("morninglane").get(f"{PREFIX}/grants/{world.grant.pk}").json()
    assert lead["money"]["allocated"] == "700000.00"


def test_an_evaluation_names_only_the_projects_its_reader_sees(world, api_client_for):
    world.evaluation.projects.add(world.other_project)
    harrow = api_client_for("harrow").get(f"{PREFIX}/evaluations/{world.evaluation.pk}").json()
    officer = api_client_for("officer").get(f"{PREFIX}/evaluations/{world.evaluation.pk}").json()
    assert harrow["project_ids"] == [world.project.pk]
    assert sorted(officer["project_ids"]) == sorted([world.project.pk, world.other_project.pk])


def test_a_milestone_lists_its_evidence_by_name_and_size_only(world, both_sides, api_client_for):
    body = api_client_for("derbyshire").get(f"{PREFIX}/milestones/{world.derbyshire_milestone.pk}").json()
    [submission] = body["submissions"]
    assert submission["narrative"] == "Done"
    assert submission["review"] is None
    [evidence] = submission["evidence_files"]
    assert evidence["name"] == "unit-report.pdf"
    assert evidence["size_bytes"] == 2048
    assert set(evidence) == {"id", "name", "content_type", "size_bytes", "uploaded_at"}


def test_without_a_token_nothing_is_read(world, client):
    for path in SCOPES:
        response = client.get(PREFIX + path)
        assert response.status_code == 401, path
