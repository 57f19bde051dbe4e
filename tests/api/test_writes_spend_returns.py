"""POST /api/v1/spend-returns and PUT /api/v1/spend-returns/{id}: a council's quarterly return through
grants.spend_returns, the page's service, with the page's roles and scope and every refusal as a 422 problem
that wrote nothing."""

import json
from decimal import Decimal

import pytest

from grants import money
from grants.models import Allocation, SpendReturn
from grants.spend_returns import review_spend_return
from notifications.catalogue import Kind
from notifications.models import Message

URL = "/api/v1/spend-returns"


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def put(client, pk, body):
    return client.put(f"{URL}/{pk}", json.dumps(body), content_type="application/json")


def kept(allocation) -> money.Figures:
    """The allocation's kept balance, which pages and reports add up, checked against its rows."""
    figures = money.allocation_figures(Allocation.objects.select_related("balance").get(pk=allocation.pk))
    assert figures == money.ledger_figures(allocation.pk)
    return figures


def errors_of(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    return {error["field"]: error["message"] for error in response.json()["errors"]}


@pytest.fixture
def derbyshire(api_client_for):
    return api_client_for("derbyshire", scope="read_write")


@pytest.fixture
def body(world):
    return {
        "allocation_id": world.allocations["GB-LAE-DBY"].pk,
        "quarter": 2,
        "spent": "45000.50",
        "forecast": "120000",
        "comment": "  Recruitment caught up  ",
    }


def test_a_council_submits_its_return_and_the_allocation_and_the_officers_know(world, derbyshire, body):
    response = post(derbyshire, body)

    assert response.status_code == 201, response.content
    made = SpendReturn.objects.get()
    assert response.json() == {
        "id": made.pk,
        "allocation_id": world.allocations["GB-LAE-DBY"].pk,
        "financial_year": "2015-16",
        "quarter": 2,
        "spent": "45000.50",
        "forecast": "120000.00",
        "comment": "Recruitment caught up",
        "status": "submitted",
        "submitted_at": response.json()["submitted_at"],
        "reviewed_at": None,
        "illustrative": False,
    }
    assert (made.spent, made.forecast, made.submitted_by) == (
        Decimal("45000.50"),
        Decimal("120000.00"),
        world.users.derbyshire,
    )
    figures = kept(world.allocations["GB-LAE-DBY"])
    assert (figures.spent, figures.forecast, figures.variance) == (
        Decimal("45000.50"),
        Decimal("120000.00"),
        Decimal("134999.50"),
    )
    # The page's notice: the programme officer is told it waits for review.
    waiting = Message.objects.filter(kind=Kind.SUBMISSION_WAITING, key=f"spend_return:{made.pk}:submitted")
    assert list(waiting.values_list("user__username", flat=True)) == ["officer"]
    assert "spent £45,000.50, forecast £120,000.00" in waiting.first().body


def test_the_history_row_names_the_token_owner_and_says_it_came_through_the_api(world, derbyshire, body):
    made = post(derbyshire, body).json()
    put(derbyshire, made["id"], {"spent": "1.00", "forecast": "2.00"})

    rows = list(SpendReturn.history.order_by("history_id"))
    reason = f"Through the API (token “derbyshire read_write”, {derbyshire.api_token.prefix}…)"
    assert [(row.history_type, row.history_user, row.history_change_reason) for row in rows] == [
        ("+", world.users.derbyshire, reason),
        ("~", world.users.derbyshire, reason),
    ]


def test_a_return_is_corrected_while_it_waits_and_not_once_reviewed(world, derbyshire, body):
    made = post(derbyshire, body).json()

    response = put(derbyshire, made["id"], {"spent": "40000", "forecast": 100000, "comment": "Corrected"})

    assert response.status_code == 200, response.content
    assert (response.json()["spent"], response.json()["forecast"]) == ("40000.00", "100000.00")
    assert kept(world.allocations["GB-LAE-DBY"]).spent == Decimal("40000.00")

    review_spend_return(spend_return=SpendReturn.objects.get(), by=world.users.officer)
    refused = put(derbyshire, made["id"], {"spent": "1.00", "forecast": "1.00"})

    assert refused.status_code == 422
    assert errors_of(refused) == {None: "This return has been reviewed, so it can no longer be changed"}
    assert SpendReturn.objects.get().spent == Decimal("40000.00")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"quarter": 5}, "quarter", "Input should be less than or equal to 4"),
        ({"quarter": "2"}, "quarter", "Input should be a valid integer"),
        ({"spent": "-1.00"}, "spent", "The amount spent this quarter must be £0 or more"),
        ({"spent": -1}, "spent", "The amount spent this quarter must be £0 or more"),
        (
            {"forecast": "10.005"},
            "forecast",
            "The forecast for the rest of the year must be in pounds and pence, with no more than 2 decimal places",
        ),
        ({"spent": "NaN"}, "spent", "The amount spent this quarter must be a number, like 1250.50"),
        ({"spent": "1e3"}, "spent", "The amount spent this quarter must be a number, like 1250.50"),
        ({"spent": "1" * 13}, "spent", "The amount spent this quarter must be less than £1,000,000,000,000"),
        ({"spent": 1e300}, "spent", "The amount spent this quarter must be less than £1,000,000,000,000"),
        ({"comment": "x" * 2001}, "comment", "String should have at most 2000 characters"),
        ({"comment": "nul\x00"}, "comment", "The text cannot contain a NUL character"),
        ({"coment": "typo"}, "coment", "Extra inputs are not permitted"),
    ],
)
def test_bad_figures_are_refused_naming_the_field(world, derbyshire, body, change, field, message):
    response = post(derbyshire, body | change)

    assert response.status_code == 422
    assert errors_of(response) == {field: message}
    assert not SpendReturn.objects.exists()


def test_a_second_return_for_the_same_quarter_is_refused(world, derbyshire, body):
    assert post(derbyshire, body).status_code == 201

    response = post(derbyshire, body | {"spent": "1.00"})

    assert response.status_code == 422
    assert errors_of(response) == {"quarter": "A return for 2015-16 Q2 has already been made: change that one instead"}
    assert SpendReturn.objects.get().spent == Decimal("45000.50")
    assert kept(world.allocations["GB-LAE-DBY"]).spent == Decimal("45000.50")


def test_a_quarter_outside_the_award_is_refused(world, derbyshire, body):
    # The grant was awarded on 5 January 2015; an allocation for 2014-15 has quarters that ended before it.
    earlier = Allocation.objects.create(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=world.allocations["GB-LAE-DBY"].financial_year + -1,
        resource=Decimal("1000.00"),
    )

    response = post(derbyshire, body | {"allocation_id": earlier.pk, "quarter": 1})

    assert response.status_code == 422
    assert errors_of(response) == {"quarter": "2014-15 Q1 ended before the grant was awarded on 5 January 2015"}
    assert not SpendReturn.objects.exists()


@pytest.mark.parametrize("persona", ["morninglane", "harrow", "outsider"])
def test_another_organisations_allocation_is_not_found(world, api_client_for, body, persona):
    # The lead sees Derbyshire's allocation but, as on the page, each organisation sends its own returns.
    response = post(api_client_for(persona, scope="read_write"), body)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not SpendReturn.objects.exists()


def test_an_allocation_that_does_not_exist_is_not_found(world, derbyshire, body):
    response = post(derbyshire, body | {"allocation_id": 2**62})

    assert response.status_code == 404


def test_a_return_of_another_organisation_cannot_be_corrected(world, derbyshire, api_client_for, body):
    made = post(derbyshire, body).json()

    response = put(api_client_for("morninglane", scope="read_write"), made["id"], {"spent": "1", "forecast": "1"})

    assert response.status_code == 404
    assert SpendReturn.objects.get().spent == Decimal("45000.50")


@pytest.mark.parametrize("persona", ["officer", "finance", "evaluator"])
def test_roles_that_do_not_send_returns_are_refused(world, api_client_for, body, persona):
    response = post(api_client_for(persona, scope="read_write"), body)

    assert response.status_code == 403
    assert response.json()["detail"] == "This page is not for your role"
    assert not SpendReturn.objects.exists()


@pytest.mark.parametrize("persona", ["derbyshire", "viewer"])
def test_a_read_only_token_or_a_viewer_is_refused(world, api_client_for, body, persona):
    scope = "read" if persona == "derbyshire" else "read_write"
    response = post(api_client_for(persona, scope=scope), body)

    assert response.status_code == 403
    assert not SpendReturn.objects.exists()


def test_the_lead_sends_the_return_of_its_own_allocation(world, api_client_for, body):
    response = post(
        api_client_for("morninglane", scope="read_write"),
        body | {"allocation_id": world.allocations["GB-COH-07000001"].pk},
    )

    assert response.status_code == 201, response.content
    assert SpendReturn.objects.get().allocation == world.allocations["GB-COH-07000001"]


def test_a_quarter_after_the_project_ended_is_refused(world, derbyshire, body):
    later = Allocation.objects.create(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=world.allocations["GB-LAE-DBY"].financial_year + 2,
        resource=Decimal("1000.00"),
    )

    response = post(derbyshire, body | {"allocation_id": later.pk, "quarter": 1})

    assert response.status_code == 422
    assert errors_of(response) == {"quarter": "2017-18 Q1 starts after the project ended on 31 December 2016"}
    assert not SpendReturn.objects.exists()
