"""The write operations as the served description (/api/v1/openapi.json) tells a client to call them: money as
a decimal string, dates as ISO 8601, the recovery reasons listed, unknown fields refused, and the success each
answers."""

import pytest


@pytest.fixture
def description(client, db):
    return client.get("/api/v1/openapi.json").json()


def body_schema(description, path, method):
    content = description["paths"][path][method]["requestBody"]["content"]
    if "application/json" not in content:
        return content["multipart/form-data"]["schema"]
    name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    return description["components"]["schemas"][name]


@pytest.mark.parametrize(
    ("path", "method", "success", "required"),
    [
        ("/api/v1/spend-returns", "post", "201", ["allocation_id", "quarter", "spent", "forecast"]),
        ("/api/v1/spend-returns/{spend_return_id}", "put", "200", ["spent", "forecast"]),
        ("/api/v1/payments", "post", "201", ["allocation_id", "amount", "paid_on"]),
        ("/api/v1/recoveries", "post", "201", ["allocation_id", "amount", "paid_on", "recovery_reason", "note"]),
        ("/api/v1/milestones/{milestone_id}/submissions", "post", "201", ["narrative"]),
    ],
)
def test_each_write_is_described_with_its_body_and_success(description, path, method, success, required):
    operation = description["paths"][path][method]
    schema = body_schema(description, path, method)

    assert success in operation["responses"]
    assert {"403", "404", "422"} <= set(operation["responses"])
    assert operation["security"] == [{"WriteToken": []}]
    assert schema["required"] == required
    if "multipart" not in str(operation["requestBody"]["content"]):
        assert schema["additionalProperties"] is False


def test_money_is_a_decimal_string_and_dates_are_iso(description):
    payment = body_schema(description, "/api/v1/payments", "post")["properties"]

    assert payment["amount"]["anyOf"][0] == {
        "type": "string",
        "pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$",
        "examples": ["1250.50"],
    }
    assert payment["paid_on"]["type"] == "string" and payment["paid_on"]["format"] == "date"
    assert description["components"]["schemas"]["RecoveryReasonChoice"]["enum"] == [
        "underspend_returned",
        "overpayment",
        "breach_of_conditions",
    ]
