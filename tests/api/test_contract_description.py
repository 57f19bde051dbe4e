"""The served description itself (/api/v1/openapi.json): OpenAPI 3.1, every operation named, summarised,
tagged, behind the bearer token and documenting its problems; and every path refusing a request without a
token, or with a made-up one, with a 401 problem.

The walk is built from the description, so an operation added later is held to the same rules."""

import re

import pytest

from tests.api.contract_support import DESCRIPTION

pytestmark = pytest.mark.django_db

METHODS = ("get", "put", "post", "patch", "delete")
PROBLEM = "application/problem+json"
# Problems every operation documents, whatever it does: no token (401), an object outside the owner's
# scope or missing (404), input that breaks a rule (422).
DOCUMENTED_PROBLEMS = ("401", "404", "422")


@pytest.fixture
def description(client):
    response = client.get(DESCRIPTION)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def operations(description):
    found = [
        (path, method, operation)
        for path, item in description["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert found, "the served description has no operations"
    return found


def resolve(description, node):
    """A $ref followed to what it names (components only, as ninja writes them)."""
    while isinstance(node, dict) and "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = description["components"][section][name]
    return node


def bearer_schemes(description):
    schemes = description.get("components", {}).get("securitySchemes", {})
    return {
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    }


def test_the_description_is_openapi_3_1_with_a_bearer_scheme_and_says_what_the_api_is(description):
    assert re.fullmatch(r"3\.1\.\d+", description["openapi"])
    assert description["info"]["title"]
    assert description["info"]["version"] == "1"
    # What a reader needs before a first request: money as strings, paging, idempotency, rate limits, errors.
    about = description["info"].get("description", "").lower()
    for topic in ("decimal", "cursor", "idempotency-key", "rate", "problem"):
        assert topic in about, f"info.description says nothing about {topic}"
    assert bearer_schemes(description), "no HTTP bearer security scheme"


def test_every_operation_has_an_id_a_summary_tags_and_the_bearer_token(description):
    schemes = bearer_schemes(description)
    ids = []
    wrong = []
    for path, method, operation in operations(description):
        where = f"{method.upper()} {path}"
        ids.append(operation.get("operationId"))
        if not operation.get("operationId"):
            wrong.append(f"{where}: no operationId")
        if not operation.get("summary", "").strip():
            wrong.append(f"{where}: no summary")
        if not operation.get("tags"):
            wrong.append(f"{where}: no tags")
        security = operation.get("security", description.get("security", []))
        if not any(set(requirement) & schemes for requirement in security):
            wrong.append(f"{where}: not behind the bearer token (security: {security})")
    assert wrong == []
    assert len(ids) == len(set(ids)), "two operations share an operationId"


def test_every_operation_documents_its_success_and_the_401_404_and_422_problems(description):
    wrong = []
    for path, method, operation in operations(description):
        where = f"{method.upper()} {path}"
        responses = operation.get("responses", {})
        if not any(status.startswith("2") for status in responses):
            wrong.append(f"{where}: no success response")
        for status in DOCUMENTED_PROBLEMS:
            response = resolve(description, responses.get(status))
            if not response:
                wrong.append(f"{where}: {status} not documented")
                continue
            schema = resolve(description, response.get("content", {}).get(PROBLEM, {}).get("schema"))
            if not schema:
                wrong.append(f"{where}: {status} is not documented as {PROBLEM}")
                continue
            properties = schema.get("properties", {})
            missing = {"type", "title", "status", "detail", "errors"} - set(properties)
            if missing:
                wrong.append(f"{where}: the {status} problem has no {sorted(missing)}")
    assert wrong == []


def _schemas_answered(description):
    """The names of the component schemas a success response can contain, followed through every $ref."""
    found = set()
    todo = [
        media.get("schema", {})
        for _, _, operation in operations(description)
        for status, response in operation.get("responses", {}).items()
        if status.startswith("2")
        for media in resolve(description, response).get("content", {}).values()
    ]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] not in found:
                found.add(ref.rsplit("/", 1)[1])
                todo.append(description["components"]["schemas"][ref.rsplit("/", 1)[1]])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return found


def test_money_in_every_success_response_is_a_decimal_string_never_a_number(description):
    """A float cannot hold every penny: money figures a client reads are strings with two places ("1234.50").
    (Input may be a number too, which the writes read as a decimal; only what the API answers is held here.)"""
    money = re.compile(
        r"(^|_)(amount|awarded|allocated|committed|paid|recovered|net_paid|spent|forecast|headroom|variance|"
        r"underspend|overspend|resource|capital|budget|held)$"
    )
    numbers = []
    checked = 0
    schemas = description["components"]["schemas"]
    for name in _schemas_answered(description):
        for field, prop in schemas[name].get("properties", {}).items():
            prop = resolve(description, prop)
            kinds = {prop.get("type")} | {resolve(description, p).get("type") for p in prop.get("anyOf", [])}
            # A yes/no beside a figure (is it illustrative, is it past the underspend line) is not money.
            if not money.search(field) or kinds <= {"boolean", "null"}:
                continue
            checked += 1
            if {"number", "integer"} & kinds or "pattern" not in str(prop):
                numbers.append(f"{name}.{field}: {prop}")
    assert checked > 10, "the success responses carry (almost) no money"
    assert numbers == []


def _example_path(path):
    # Any integer will do: the token is checked before the object is looked for.
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer mig_made-up-key-that-was-never-issued", "Basic b2ZmaWNlcjpwYXNzd29yZA==", "Bearer "],
    ids=["no token", "made-up token", "another scheme", "empty bearer"],
)
def test_every_path_answers_401_problem_without_a_real_token(client, description, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    wrong = []
    for path, method, _ in operations(description):
        response = getattr(client, method)(_example_path(path), **headers)
        where = f"{method.upper()} {path}"
        if response.status_code != 401:
            wrong.append(f"{where}: {response.status_code}")
            continue
        if response["Content-Type"].split(";")[0] != PROBLEM:
            wrong.append(f"{where}: content type {response['Content-Type']}")
            continue
        problem = response.json()
        if problem.get("status") != 401 or not problem.get("title"):
            wrong.append(f"{where}: body {problem}")
        if not response.get("WWW-Authenticate", "").startswith("Bearer"):
            wrong.append(f"{where}: no WWW-Authenticate: Bearer header")
    assert wrong == []


def test_the_429_names_retry_after_and_the_401_www_authenticate(description):
    wrong = []
    for path, method, operation in operations(description):
        responses = operation.get("responses", {})
        for status, header in (("429", "Retry-After"), ("401", "WWW-Authenticate")):
            if header not in resolve(description, responses.get(status, {})).get("headers", {}):
                wrong.append(f"{method.upper()} {path}: the {status} does not document {header}")
    assert wrong == []


def test_every_write_documents_its_idempotency_key_header(description):
    """A client learns from the description that a write can be retried safely, and schemathesis sends the
    header too, good keys and bad ones (which are a 400 problem)."""
    wrong = []
    for path, method, operation in operations(description):
        if method == "get":
            continue
        headers = {
            parameter["name"].lower(): parameter
            for parameter in map(lambda p: resolve(description, p), operation.get("parameters", []))
            if parameter.get("in") == "header"
        }
        key = headers.get("idempotency-key")
        if key is None:
            wrong.append(f"{method.upper()} {path}: no Idempotency-Key header parameter")
        elif key.get("required") or key.get("schema", {}).get("maxLength") != 255:
            wrong.append(f"{method.upper()} {path}: Idempotency-Key should be optional, 1-255 characters: {key}")
    assert wrong == []
