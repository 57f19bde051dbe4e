"""POST /api/v1/payments and POST /api/v1/recoveries: a finance system records money paid and recovered through
grants.services, the pages' services, under every money rule of DESIGN.md; a refusal is a 422 problem naming the
field, and nothing is written.

In the world, Derbyshire's allocation is £300,000 and its planned milestone commits £50,000 of it: £250,000 of
headroom. The grant was awarded on 5 January 2015 and its planned end is 31 December 2016."""

import json
from decimal import Decimal

import pytest

from accounts.models import Role
from grants import money
from grants.models import Allocation, Payment
from notifications.catalogue import Kind
from notifications.models import Message
from projects.models import Project
from projects.services import review_milestone, submit_milestone

PAID_ON = "2016-01-15"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def pay(client, body):
    return post(client, "/api/v1/payments", body)


def recover(client, body):
    return post(client, "/api/v1/recoveries", body)


def kept(allocation) -> money.Figures:
    """The allocation's kept balance, which pages and reports add up, checked against its rows."""
    figures = money.allocation_figures(Allocation.objects.select_related("balance").get(pk=allocation.pk))
    assert figures == money.ledger_figures(allocation.pk)
    return figures


def errors_of(response) -> dict:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {error["field"]: error["message"] for error in response.json()["errors"]}


@pytest.fixture
def allocation(world):
    return world.allocations["GB-LAE-DBY"]


@pytest.fixture
def finance(api_client_for):
    return api_client_for("finance", scope="read_write")


@pytest.fixture
def payment(allocation):
    return {"allocation_id": allocation.pk, "amount": "10000.00", "paid_on": PAID_ON, "reference": "REM-2016-001"}


@pytest.fixture
def accepted(world):
    milestone = world.derbyshire_milestone
    submit_milestone(milestone=milestone, by=world.users.derbyshire, narrative="The unit is running")
    review_milestone(milestone=milestone, by=world.users.officer, decision="accepted")
    return milestone


def test_finance_records_a_payment_with_its_remittance_reference(world, finance, allocation, payment):
    response = pay(finance, payment | {"reference": " REM-2016-001 ", "note": "First instalment"})

    assert response.status_code == 201, response.content
    made = Payment.objects.get()
    body = response.json()
    assert body == {
        "id": made.pk,
        "kind": "payment",
        "allocation_id": allocation.pk,
        "amount": "10000.00",
        "paid_on": "2016-01-15",
        "milestone_id": None,
        "in_advance": False,
        "advance_reason": "",
        "recovery_reason": "",
        "reference": "REM-2016-001",
        "note": "First instalment",
        "recorded_at": body["recorded_at"],
        "illustrative": False,
    }
    assert (made.amount, made.recorded_by) == (Decimal("10000.00"), world.users.finance)
    figures = kept(allocation)
    assert (figures.paid, figures.net_paid, figures.committed, figures.headroom) == (
        Decimal("10000.00"),
        Decimal("10000.00"),
        Decimal("50000.00"),
        Decimal("240000.00"),
    )
    # The page's notice: Derbyshire's staff hear of the payment and its reference.
    told = Message.objects.get(kind=Kind.PAYMENT_MADE, key=f"payment:{made.pk}")
    assert told.user == world.users.derbyshire
    assert "£10,000.00" in told.body and "REM-2016-001" in told.body


def test_the_history_row_names_the_token_owner_and_says_it_came_through_the_api(world, finance, payment):
    pay(finance, payment)

    row = Payment.history.get()
    assert row.history_user == world.users.finance
    assert row.history_change_reason == f"Through the API (token “finance read_write”, {finance.api_token.prefix}…)"


def test_a_payment_past_the_headroom_is_refused_and_nothing_is_written(world, finance, allocation, payment):
    response = pay(finance, payment | {"amount": "250000.01"})

    assert errors_of(response) == {
        "amount": "Payments to Derbyshire County Council cannot pass the allocation's headroom. The allocation's "
        "headroom is £250,000.00 (allocated £300,000.00, net paid £0.00, committed to milestones £50,000.00), so "
        "at most £250,000.00 can be paid. To pay more, a programme officer must vary the allocation."
    }
    assert not Payment.objects.exists()
    assert not Message.objects.filter(kind=Kind.PAYMENT_MADE).exists()
    assert kept(allocation).headroom == Decimal("250000.00")

    assert pay(finance, payment | {"amount": 250000}).status_code == 201
    assert kept(allocation).headroom == Decimal("0.00")


def test_an_accepted_milestone_is_paid_once(world, finance, allocation, payment, accepted):
    milestone_payment = payment | {"amount": "50000.00", "milestone_id": accepted.pk}

    first = pay(finance, milestone_payment)
    again = pay(finance, milestone_payment)

    assert first.status_code == 201, first.content
    assert first.json()["milestone_id"] == accepted.pk
    assert errors_of(again) == {None: "This milestone's payment has already been made"}
    assert Payment.objects.get().milestone == accepted
    figures = kept(allocation)
    assert (figures.paid, figures.committed, figures.headroom) == (
        Decimal("50000.00"),
        Decimal("0.00"),
        Decimal("250000.00"),
    )


def test_an_accepted_milestone_is_paid_exactly_what_it_releases(finance, payment, accepted):
    response = pay(finance, payment | {"amount": "49999.99", "milestone_id": accepted.pk})

    assert errors_of(response) == {"amount": "This milestone releases £50,000.00, so its payment is that amount"}
    assert not Payment.objects.exists()


def test_the_officer_who_accepted_a_milestone_cannot_approve_its_payment(world, api_client_for, payment, accepted):
    # Separation of duties: the officer who accepted it has since moved to the finance team.
    world.users.officer.role = Role.FINANCE
    world.users.officer.save()

    response = pay(
        api_client_for("officer", scope="read_write"), payment | {"amount": "50000", "milestone_id": accepted.pk}
    )

    assert errors_of(response) == {None: "You accepted this milestone, so someone else must approve its payment"}
    assert not Payment.objects.exists()


def test_a_milestone_from_another_allocation_is_refused(world, finance, payment):
    response = pay(
        finance, payment | {"milestone_id": world.harrow_milestone.pk, "in_advance": True, "advance_reason": "x"}
    )

    assert errors_of(response) == {None: "This milestone's payment is drawn from a different allocation"}
    assert not Payment.objects.exists()


def test_a_payment_ahead_of_a_milestone_needs_a_reason(world, finance, allocation, payment):
    ahead = payment | {"amount": "50000.00", "milestone_id": world.derbyshire_milestone.pk}

    refused = pay(finance, ahead)
    made = pay(finance, ahead | {"in_advance": True, "advance_reason": "The unit opens in the new year"})

    assert errors_of(refused) == {
        None: "This milestone has not been accepted: a payment in advance needs a recorded reason"
    }
    assert made.status_code == 201, made.content
    assert (made.json()["in_advance"], made.json()["advance_reason"]) == (True, "The unit opens in the new year")
    assert kept(allocation).headroom == Decimal("250000.00")  # the milestone's own commitment became the payment


def test_a_closed_projects_grant_takes_no_payment_but_takes_a_recovery(world, finance, allocation, payment):
    assert pay(finance, payment).status_code == 201
    Project.objects.filter(pk=world.project.pk).update(status=Project.Status.CLOSED)

    refused = pay(finance, payment | {"amount": "1.00"})
    recovered = recover(
        finance,
        {
            "allocation_id": allocation.pk,
            "amount": "2500.00",
            "paid_on": "2016-02-01",
            "recovery_reason": "underspend_returned",
            "note": "Unspent at closure",
        },
    )

    assert errors_of(refused) == {
        None: "R1-01 is closed, so its grants take no new payment; only a recovery can be recorded"
    }
    assert recovered.status_code == 201, recovered.content
    assert Payment.objects.filter(kind=Payment.Kind.PAYMENT).count() == 1
    assert kept(allocation).net_paid == Decimal("7500.00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"paid_on": "2099-01-01"}, "The payment date cannot be in the future"),
        ({"paid_on": "2015-01-04"}, "The payment date cannot be before the grant was awarded on 5 January 2015"),
        (
            {"paid_on": "2017-01-02"},
            "The grant's planned end was 31 December 2016: give the reason for a final payment after it",
        ),
        ({"paid_on": "1066-10-14"}, "The date must be on or after 1 April 1990"),
        ({"paid_on": "2016-02-30"}, "The date must be a real date"),
        ({"paid_on": "15/01/2016"}, "The date must be written as YYYY-MM-DD, such as 2016-03-31"),
        ({"paid_on": 20160115}, "The date must be written as YYYY-MM-DD, such as 2016-03-31"),
    ],
)
def test_a_payment_date_outside_the_rules_is_refused(finance, payment, change, message):
    assert errors_of(pay(finance, payment | change)) == {"paid_on": message}
    assert not Payment.objects.exists()


def test_a_final_payment_after_the_planned_end_with_its_reason_is_recorded(finance, payment):
    response = pay(finance, payment | {"paid_on": "2017-01-02", "late_reason": "The final report came late"})

    assert response.status_code == 201, response.content
    assert Payment.objects.get().late_reason == "The final report came late"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than £0"),
        (0, "The amount must be more than £0"),
        ("-5.00", "The amount must be more than £0"),
        ("10.001", "The amount must be in pounds and pence, with no more than 2 decimal places"),
        (0.1 + 0.2, "The amount must be in pounds and pence, with no more than 2 decimal places"),
        ("Infinity", "The amount must be a number, like 1250.50"),
        # Python's JSON reader takes the bare literals NaN and Infinity, which JSON itself does not have.
        (float("nan"), "The amount must be a number, like 1250.50"),
        (float("inf"), "The amount must be a number, like 1250.50"),
        ("£10,000", 'The amount must be a decimal string, like "1250.50"'),
        (" 10.00", 'The amount must be a decimal string, like "1250.50"'),
        (True, 'The amount must be a decimal string, like "1250.50"'),
        (None, 'The amount must be a decimal string, like "1250.50"'),
        ("9" * 400, "The amount must be less than £1,000,000,000,000"),
    ],
)
def test_an_amount_that_is_not_pounds_and_pence_is_refused(finance, payment, amount, message):
    assert errors_of(pay(finance, payment | {"amount": amount})) == {"amount": message}
    assert not Payment.objects.exists()


def test_a_json_number_is_read_to_the_penny(finance, payment):
    response = pay(finance, payment | {"amount": 1234.5})

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "1234.50"
    assert Payment.objects.get().amount == Decimal("1234.50")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"refrence": "REM-1"}, "refrence", "Extra inputs are not permitted"),
        ({"reference": "R" * 61}, "reference", "String should have at most 60 characters"),
        ({"in_advance": "yes"}, "in_advance", "Input should be a valid boolean"),
        ({"allocation_id": "1"}, "allocation_id", "Input should be a valid integer"),
        ({"allocation_id": 0}, "allocation_id", "Input should be greater than or equal to 1"),
        ({"allocation_id": 2**64}, "allocation_id", "Input should be less than or equal to 9223372036854775807"),
    ],
)
def test_a_body_the_operation_does_not_know_is_refused(finance, payment, change, field, message):
    assert errors_of(pay(finance, payment | change)) == {field: message}
    assert not Payment.objects.exists()


def test_a_missing_allocation_or_milestone_is_not_found(finance, payment):
    assert pay(finance, payment | {"allocation_id": 2**62}).status_code == 404
    assert pay(finance, payment | {"milestone_id": 2**62}).status_code == 404
    assert not Payment.objects.exists()


def test_recovered_money_is_held_and_not_payable_again(world, finance, allocation, payment):
    assert pay(finance, payment).status_code == 201

    response = recover(
        finance,
        {
            "allocation_id": allocation.pk,
            "amount": "4000.00",
            "paid_on": "2016-02-01",
            "recovery_reason": "overpayment",
            "note": " Paid twice in error ",
            "reference": "CLAW-7",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["amount"], body["recovery_reason"], body["note"], body["reference"]) == (
        "recovery",
        "4000.00",
        "overpayment",
        "Paid twice in error",
        "CLAW-7",
    )
    figures = kept(allocation)
    assert (figures.paid, figures.recovered, figures.net_paid, figures.held, figures.headroom) == (
        Decimal("10000.00"),
        Decimal("4000.00"),
        Decimal("6000.00"),
        Decimal("4000.00"),
        Decimal("240000.00"),
    )
    assert Payment.history.get(kind="recovery").history_user == world.users.finance
    # The £4,000 recovered is held: the headroom did not grow back.
    assert "amount" in errors_of(pay(finance, payment | {"amount": "240000.01"}))
    assert pay(finance, payment | {"amount": "240000.00"}).status_code == 201


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"amount": "10000.01"},
            "amount",
            "Only £10,000.00 has been paid against this allocation (net of recoveries), so no more than that can be recovered",
        ),
        ({"note": "   "}, "note", "Give the reason for the recovery"),
        (
            {"recovery_reason": "because"},
            "recovery_reason",
            "Input should be 'underspend_returned', 'overpayment' or 'breach_of_conditions'",
        ),
        (
            {"recovery_reason": None},
            "recovery_reason",
            "Input should be 'underspend_returned', 'overpayment' or 'breach_of_conditions'",
        ),
        ({"paid_on": "2099-01-01"}, "paid_on", "The recovery date cannot be in the future"),
    ],
)
def test_a_recovery_outside_the_rules_is_refused(finance, allocation, payment, change, field, message):
    assert pay(finance, payment).status_code == 201
    recovery = {
        "allocation_id": allocation.pk,
        "amount": "100.00",
        "paid_on": "2016-02-01",
        "recovery_reason": "breach_of_conditions",
        "note": "Conditions broken",
    }

    assert errors_of(recover(finance, recovery | change)) == {field: message}
    assert not Payment.objects.filter(kind=Payment.Kind.RECOVERY).exists()
    assert kept(allocation).net_paid == Decimal("10000.00")


def test_a_recovery_without_its_reason_is_refused(finance, allocation):
    response = recover(
        finance, {"allocation_id": allocation.pk, "amount": "1.00", "paid_on": "2016-02-01", "note": "x"}
    )

    assert errors_of(response) == {"recovery_reason": "Field required"}


@pytest.mark.parametrize("url", ["/api/v1/payments", "/api/v1/recoveries"])
@pytest.mark.parametrize("persona", ["officer", "admin", "evaluator", "derbyshire", "morninglane"])
def test_roles_other_than_finance_are_refused(world, api_client_for, allocation, url, persona):
    body = {
        "allocation_id": allocation.pk,
        "amount": "1.00",
        "paid_on": PAID_ON,
        **({"recovery_reason": "overpayment", "note": "x"} if "recover" in url else {}),
    }

    response = post(api_client_for(persona, scope="read_write"), url, body)

    assert response.status_code == 403
    assert response.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "This page is not for your role",
        "errors": [],
    }
    assert not Payment.objects.exists()


@pytest.mark.parametrize(("persona", "scope"), [("finance", "read"), ("viewer", "read_write")])
def test_a_read_only_token_or_a_viewer_cannot_pay(api_client_for, payment, persona, scope):
    response = pay(api_client_for(persona, scope=scope), payment)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert not Payment.objects.exists()


def test_no_token_is_a_401_problem(client, payment):
    response = pay(client, payment)

    assert response.status_code == 401
    assert not Payment.objects.exists()
