"""One problem shape (RFC 9457) for every refusal, naming the field at fault, documented on every operation."""

import pytest

from tests.api.conftest import bearer_client, make_token

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


@pytest.fixture
def client(world, probe_api):
    return bearer_client(make_token(world.users.finance, scope="read_write")[1])


def _problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    return body


def test_not_found_says_nothing_of_the_object(client):
    body = _problem(client.get("/api/v1/probe/missing"), 404)
    assert "Kent" not in body["detail"]
    assert body["title"] == "Not Found"


def test_permission_denied_keeps_its_reason(client):
    body = _problem(client.get("/api/v1/probe/forbidden"), 403)
    assert body["detail"] == "Only finance officers record payments."


def test_a_django_validation_error_names_each_field(client):
    response = client.post("/api/v1/probe/rules", {"name": "x", "amount": "5.00"}, content_type="application/json")
    body = _problem(response, 422)
    assert {"field": "amount", "message": "Enter an amount of 100 or less"} in body["errors"]
    assert {"field": "name", "message": "Not a name"} in body["errors"]
    assert len(body["errors"]) == 3


def test_a_money_rule_is_a_problem_of_the_whole_request(client):
    response = client.post("/api/v1/probe/rules", {"name": "x", "amount": "500.00"}, content_type="application/json")
    body = _problem(response, 422)
    assert body["errors"] == [{"field": None, "message": "Payments to Derbyshire would pass its allocations by £1.00"}]
    assert body["detail"] == "Payments to Derbyshire would pass its allocations by £1.00"


def test_a_bad_body_value_names_the_field_without_its_source(client):
    response = client.post("/api/v1/probe/rules", {"name": "x", "amount": "lots"}, content_type="application/json")
    body = _problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["amount"]
    assert body["type"] == "urn:mig:problem:validation"


def test_a_missing_field_is_named(client):
    body = _problem(client.post("/api/v1/probe/rules", {"name": "x"}, content_type="application/json"), 422)
    assert [error["field"] for error in body["errors"]] == ["amount"]


def test_a_body_that_is_not_json_is_a_400_problem(client):
    _problem(client.post("/api/v1/probe/rules", "{not json", content_type="application/json"), 400)


def test_anything_else_is_a_500_problem_without_details(client, caplog):
    body = _problem(client.get("/api/v1/probe/boom"), 500)
    assert "secret" not in body["detail"]
    assert "secret internals" in caplog.text  # logged for the people who run the service


def test_every_operation_documents_the_problems_and_the_token(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"] == "3.1.0"
    assert "decimal string" in schema["info"]["description"]
    assert "Idempotency-Key" in schema["info"]["description"]
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == PROBLEM_KEYS
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "401", "403", "404", "409", "422", "429"):
                content = responses[status]["content"]["application/problem+json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Problem"}, (path, method, status)
            assert responses["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_the_probe_description_names_the_bearer_scheme(client):
    schema = client.get("/api/v1/probe/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {scheme["scheme"] for scheme in schemes.values()} == {"bearer"}
    assert all("/account/api-tokens/" in scheme["description"] for scheme in schemes.values())
    assert schema["paths"]["/api/v1/probe/organisations"]["get"]["responses"]["401"]


def test_the_service_api_answers_problems_too(world, api_client_for):
    client = api_client_for("derbyshire")
    assert client.get("/api/v1/projects").status_code == 200
    body = _problem(client.get(f"/api/v1/projects/{world.other_project.pk}"), 404)  # Kent's: outside the scope
    assert "Kent" not in body["detail"]
    _problem(client.get("/api/v1/projects", {"cursor": "forged"}), 422)
    _problem(client.get("/api/v1/projects", HTTP_AUTHORIZATION="Bearer mig_wrong"), 401)


def test_the_documentation_page_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.content.decode()
