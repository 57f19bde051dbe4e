"""Allocation pages: officers add and change allocations through the money service;
the allocation page shows its payments, spend returns and underspend to those who
may see it, with the actions each may take."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.financial_year import FinancialYear
from grants.models import Allocation, SpendReturn
from grants.services import record_payment, record_recovery
from grants.spend_returns import submit_spend_return

TODAY = dt.date(2016, 1, 15)


def url(name, **kwargs):
    return reverse(f"grants:{name}", kwargs=kwargs)


def text(response):
    return response.content.decode()


def value_of(page, element_id):
    match = re.search(rf'id="{element_id}">\s*([^<]*)', page)
    assert match, f"no element {element_id}"
    return match.group(1).strip()


def allocated_total(grant):
    return Allocation.objects.filter(grant=grant).aggregate(total=Sum("amount"))["total"]


def data(world, **changes):
    values = {
        "recipient": world.derbyshire.pk,
        "financial_year": "2016-17",
        "resource": "250000.00",
        "capital": "50000.00",
        "purpose": "Family breakdown unit, second year",
    }
    values.update(changes)
    return values


# Adding an allocation


@pytest.mark.parametrize("persona", ["officer", "admin"])
def test_an_officer_adds_an_allocation_up_to_the_award_to_the_penny(client, world, persona):
    client.force_login(getattr(world.users, persona))
    page = text(client.get(url("allocation-create", grant_pk=world.grant.pk)))
    assert "At most <strong>£300,000.00</strong> can be allocated here" in page
    response = client.post(url("allocation-create", grant_pk=world.grant.pk), data(world))
    assert response.status_code == 302
    allocation = Allocation.objects.get(
        grant=world.grant, recipient=world.derbyshire, financial_year=FinancialYear(2016)
    )
    assert (allocation.resource, allocation.capital, allocation.amount) == (
        Decimal("250000.00"),
        Decimal("50000.00"),
        Decimal("300000.00"),
    )
    assert allocation.purpose == "Family breakdown unit, second year"
    assert allocated_total(world.grant) == Decimal("1000000.00")
    page = text(client.get(response["Location"]))
    assert "Allocation of £300,000.00 to Derbyshire County Council for 2016-17 added" in page
    assert re.search(r'id="unallocated">£0\.00', page)


def test_an_allocation_past_the_award_is_refused_and_changes_nothing(client, world):
    client.force_login(world.users.officer)
    response = client.post(url("allocation-create", grant_pk=world.grant.pk), data(world, capital="50000.01"))
    page = text(response)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "At most £300,000.00 can be allocated here." in page
    assert Allocation.objects.filter(grant=world.grant).count() == 3
    assert allocated_total(world.grant) == Decimal("700000.00")


def test_an_organisation_outside_the_project_is_not_offered_nor_accepted(client, world):
    client.force_login(world.users.officer)
    page = text(client.get(url("allocation-create", grant_pk=world.grant.pk)))
    assert f'<option value="{world.harrow.pk}">' in page
    assert f'<option value="{world.kent.pk}"' not in page
    response = client.post(url("allocation-create", grant_pk=world.grant.pk), data(world, recipient=world.kent.pk))
    assert "Choose an organisation that takes part in the project" in text(response)
    assert not Allocation.objects.filter(grant=world.grant, recipient=world.kent).exists()


def test_a_second_allocation_for_the_same_recipient_and_year_is_refused(client, world):
    client.force_login(world.users.officer)
    response = client.post(
        url("allocation-create", grant_pk=world.grant.pk),
        data(world, financial_year="2015-16", resource="1.00", capital=""),
    )
    assert response.status_code == 200
    assert "Derbyshire County Council already has an allocation from this grant for 2015-16" in text(response)
    assert Allocation.objects.filter(grant=world.grant).count() == 3


def test_an_empty_allocation_is_refused(client, world):
    client.force_login(world.users.officer)
    response = client.post(url("allocation-create", grant_pk=world.grant.pk), data(world, resource="", capital="0"))
    assert "Enter a resource or capital amount: an allocation must be more than £0" in text(response)
    assert Allocation.objects.filter(grant=world.grant).count() == 3


@pytest.mark.parametrize(
    "amount, message",
    [
        ("abc", "The resource amount must be a number, like 1250.50"),
        ("-1", "The resource amount must be £0 or more"),
        ("1e999", "The resource amount must be a number, like 1250.50"),
        ("1_000", "The resource amount must be a number, like 1250.50"),
        ("١٢٣", "The resource amount must be a number, like 1250.50"),
        ("12345678901234567", "The resource amount must be less than £1,000,000,000,000"),
        ("1.005", "no more than 2 decimal places"),
    ],
)
def test_bad_amounts_get_a_clear_error_and_change_nothing(client, world, amount, message):
    client.force_login(world.users.officer)
    response = client.post(url("allocation-create", grant_pk=world.grant.pk), data(world, resource=amount))
    assert response.status_code == 200
    assert message in text(response)
    assert Allocation.objects.filter(grant=world.grant).count() == 3


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"recipient": ""}, "Choose the recipient"),
        ({"financial_year": ""}, "Choose the financial year"),
        ({"financial_year": "2016-18"}, "Choose a financial year from the list"),
        ({"purpose": "x" * 301}, "The purpose must be 300 characters or fewer"),
    ],
)
def test_other_bad_input_gets_a_clear_error(client, world, changes, message):
    client.force_login(world.users.officer)
    response = client.post(url("allocation-create", grant_pk=world.grant.pk), data(world, **changes))
    assert message in text(response)
    assert Allocation.objects.filter(grant=world.grant).count() == 3


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "derbyshire", "evaluator", "outsider"])
def test_only_officers_add_allocations(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url("allocation-create", grant_pk=world.grant.pk)).status_code == 403
    assert client.post(url("allocation-create", grant_pk=world.grant.pk), data(world)).status_code == 403
    assert Allocation.objects.filter(grant=world.grant).count() == 3


# Changing an allocation


def test_an_officer_changes_an_allocation(client, world):
    harrow = world.allocations["GB-LAE-HRW"]
    client.force_login(world.users.officer)
    page = text(client.get(url("allocation-edit", allocation_pk=harrow.pk)))
    assert 'value="300000.00"' in page
    assert "At most <strong>£600,000.00</strong> can be allocated here" in page
    response = client.post(
        url("allocation-edit", allocation_pk=harrow.pk),
        data(
            world,
            recipient=world.harrow.pk,
            financial_year="2015-16",
            resource="250000.00",
            capital="0.01",
            reason="Harrow recruits later than planned",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == url("allocation", allocation_pk=harrow.pk)
    harrow.refresh_from_db()
    assert (harrow.resource, harrow.capital, harrow.amount) == (
        Decimal("250000.00"),
        Decimal("0.01"),
        Decimal("250000.01"),
    )


def test_a_change_past_the_award_is_refused(client, world):
    harrow = world.allocations["GB-LAE-HRW"]
    client.force_login(world.users.officer)
    response = client.post(
        url("allocation-edit", allocation_pk=harrow.pk),
        data(world, recipient=world.harrow.pk, financial_year="2015-16", resource="600000.01", capital="0"),
    )
    assert "At most £600,000.00 can be allocated here." in text(response)
    harrow.refresh_from_db()
    assert harrow.amount == Decimal("300000.00")


def test_an_allocation_cannot_shrink_below_what_was_paid(client, world):
    harrow = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=harrow, amount=Decimal("200000.00"), paid_on=TODAY, by=world.users.finance)
    client.force_login(world.users.officer)
    response = client.post(
        url("allocation-edit", allocation_pk=harrow.pk),
        data(world, recipient=world.harrow.pk, financial_year="2015-16", resource="199999.99", capital="0"),
    )
    page = text(response)
    assert "£200,000.00 has been paid (net of recoveries) and £40,000.00 is committed" in page
    assert "so it cannot be less than £240,000.00" in page
    harrow.refresh_from_db()
    assert harrow.amount == Decimal("300000.00")


def test_an_allocation_with_payments_or_milestones_keeps_its_recipient_and_year(client, world):
    derbyshire = world.allocations["GB-LAE-DBY"]  # a milestone is paid from it
    client.force_login(world.users.officer)
    page = text(client.get(url("allocation-edit", allocation_pk=derbyshire.pk)))
    assert "The recipient and year cannot change" in page
    assert re.search(r'<select name="recipient"[^>]*disabled', page)
    response = client.post(
        url("allocation-edit", allocation_pk=derbyshire.pk),
        data(world, recipient=world.harrow.pk, financial_year="2016-17", resource="300000.00", capital="0"),
    )
    assert response.status_code == 302
    derbyshire.refresh_from_db()
    assert (derbyshire.recipient, derbyshire.financial_year) == (world.derbyshire, FinancialYear(2015))


def test_an_allocation_with_nothing_against_it_may_move_year(client, world):
    morning_lane = world.allocations["GB-COH-07000001"]
    client.force_login(world.users.officer)
    response = client.post(
        url("allocation-edit", allocation_pk=morning_lane.pk),
        data(world, recipient=world.morning_lane.pk, financial_year="2016-17", resource="100000.00", capital="0"),
    )
    assert response.status_code == 302
    morning_lane.refresh_from_db()
    assert morning_lane.financial_year == FinancialYear(2016)


def test_the_service_refuses_to_move_an_allocation_with_payments(world):
    from grants.services import MoneyRuleError, save_allocation

    harrow = world.allocations["GB-LAE-HRW"]
    record_payment(allocation=harrow, amount=Decimal("10.00"), paid_on=TODAY, by=world.users.finance)
    with pytest.raises(MoneyRuleError, match="recipient and financial year cannot change"):
        save_allocation(
            grant=world.grant,
            recipient=world.derbyshire,
            financial_year=FinancialYear(2016),
            resource=Decimal("300000"),
            capital=Decimal("0"),
            allocation=harrow,
        )
    harrow.refresh_from_db()
    assert harrow.recipient == world.harrow


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "harrow", "evaluator"])
def test_only_officers_change_allocations(client, world, persona):
    harrow = world.allocations["GB-LAE-HRW"]
    client.force_login(getattr(world.users, persona))
    assert client.get(url("allocation-edit", allocation_pk=harrow.pk)).status_code == 403
    response = client.post(
        url("allocation-edit", allocation_pk=harrow.pk),
        data(world, recipient=world.harrow.pk, financial_year="2015-16", resource="1.00"),
    )
    assert response.status_code == 403
    harrow.refresh_from_db()
    assert harrow.amount == Decimal("300000.00")


# The allocation page


def returns(world):
    allocation = world.allocations["GB-LAE-DBY"]
    submit_spend_return(
        allocation=allocation,
        by=world.users.derbyshire,
        quarter=1,
        spent=Decimal("10000.50"),
        forecast=Decimal("250000.00"),
    )
    submit_spend_return(
        allocation=allocation,
        by=world.users.derbyshire,
        quarter=2,
        spent=Decimal("20000.25"),
        forecast=Decimal("200000.00"),
        comment="Recruitment slower",
    )
    return allocation


def test_the_allocation_page_shows_payments_returns_and_underspend_to_the_penny(client, world):
    allocation = returns(world)
    record_payment(
        allocation=allocation, amount=Decimal("75000.33"), paid_on=TODAY, by=world.users.finance, reference="REM-001"
    )
    record_recovery(
        allocation=allocation,
        amount=Decimal("0.33"),
        paid_on=TODAY,
        by=world.users.finance,
        reason="Overpaid by 33p",
        recovery_reason="overpayment",
    )
    client.force_login(world.users.viewer)
    page = text(client.get(url("allocation", allocation_pk=allocation.pk)))
    assert value_of(page, "allocated") == "£300,000.00"
    assert value_of(page, "paid") == "£75,000.00"
    assert value_of(page, "committed") == "£50,000.00"  # the Derbyshire milestone, not yet paid
    assert value_of(page, "held").startswith("£0.33")  # recovered, not payable until a variation
    assert value_of(page, "headroom").startswith("£174,999.67")  # 300,000 - 75,000 - 50,000 - 0.33
    assert value_of(page, "spent") == "£30,000.75"
    assert value_of(page, "forecast") == "£200,000.00"  # the latest quarter's, not the sum
    # 300,000.00 - 30,000.75 - 200,000.00, 23% of the allocation: past the 10% threshold
    assert re.search(r'id="variance">\s*£69,999.25\s*<strong[^>]*>Underspend</strong>', page)
    assert "REM-001" in page and "£75,000.33" in page and "-£0.33" in page and "Overpaid by 33p" in page
    assert "2015-16 Q1" in page and "2015-16 Q2" in page and "Recruitment slower" in page
    assert "£10,000.50" in page and "£20,000.25" in page
    assert "Family breakdown unit running" in page  # the milestone paid from it
    for name in ("allocation-edit", "payment-create", "recovery-create", "spend-return-create"):
        assert url(name, allocation_pk=allocation.pk) not in page
    assert "Mark as reviewed" not in page


def test_with_no_return_there_is_no_underspend_yet(client, world):
    client.force_login(world.users.officer)
    page = text(client.get(url("allocation", allocation_pk=world.allocations["GB-LAE-HRW"].pk)))
    assert "No spend return yet" in page
    assert "No payments yet." in page


def test_an_officer_gets_the_officers_actions(client, world):
    allocation = returns(world)
    client.force_login(world.users.officer)
    page = text(client.get(url("allocation", allocation_pk=allocation.pk)))
    assert url("allocation-edit", allocation_pk=allocation.pk) in page
    spend_return = SpendReturn.objects.get(allocation=allocation, quarter=1)
    assert url("spend-return-review", spend_return_pk=spend_return.pk) in page
    assert url("payment-create", allocation_pk=allocation.pk) not in page
    assert url("spend-return-create", allocation_pk=allocation.pk) not in page


def test_finance_gets_the_payment_actions(client, world):
    allocation = world.allocations["GB-LAE-DBY"]
    client.force_login(world.users.finance)
    page = text(client.get(url("allocation", allocation_pk=allocation.pk)))
    assert url("payment-create", allocation_pk=allocation.pk) in page
    assert url("recovery-create", allocation_pk=allocation.pk) in page
    assert url("allocation-edit", allocation_pk=allocation.pk) not in page
    assert "Mark as reviewed" not in page


def test_the_recipient_submits_and_changes_its_own_returns(client, world):
    allocation = returns(world)
    client.force_login(world.users.derbyshire)
    page = text(client.get(url("allocation", allocation_pk=allocation.pk)))
    assert url("spend-return-create", allocation_pk=allocation.pk) in page
    spend_return = SpendReturn.objects.get(allocation=allocation, quarter=2)
    assert url("spend-return-edit", spend_return_pk=spend_return.pk) in page
    assert "Mark as reviewed" not in page


def test_the_lead_sees_a_partners_allocation_but_cannot_submit_for_it(client, world):
    allocation = returns(world)
    client.force_login(world.users.morninglane)
    response = client.get(url("allocation", allocation_pk=allocation.pk))
    page = text(response)
    assert response.status_code == 200
    assert value_of(page, "spent") == "£30,000.75"
    assert url("spend-return-create", allocation_pk=allocation.pk) not in page
    assert "/edit/" not in page


def test_a_partner_cannot_see_another_partners_allocation(client, world):
    client.force_login(world.users.harrow)
    assert client.get(url("allocation", allocation_pk=world.allocations["GB-LAE-DBY"].pk)).status_code == 404
    assert client.get(url("allocation", allocation_pk=world.allocations["GB-LAE-HRW"].pk)).status_code == 200


@pytest.mark.parametrize("persona", ["outsider", "kent"])
def test_an_allocation_outside_the_users_projects_is_not_found(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url("allocation", allocation_pk=world.allocations["GB-LAE-DBY"].pk)).status_code == 404


def test_an_evaluator_sees_no_allocation(client, world):
    client.force_login(world.users.evaluator)
    assert client.get(url("allocation", allocation_pk=world.allocations["GB-LAE-DBY"].pk)).status_code == 403


def test_the_allocation_page_makes_the_same_queries_however_many_rows(client, world, django_assert_max_num_queries):
    allocation = world.allocations["GB-LAE-DBY"]
    client.force_login(world.users.officer)
    with CaptureQueriesContext(connection) as few:
        client.get(url("allocation", allocation_pk=allocation.pk))
    returns(world)
    submit_spend_return(
        allocation=allocation, by=world.users.derbyshire, quarter=3, spent=Decimal("1"), forecast=Decimal("1")
    )
    for amount in ("1.00", "2.00", "3.00", "4.00"):
        record_payment(allocation=allocation, amount=Decimal(amount), paid_on=TODAY, by=world.users.finance)
    record_recovery(
        allocation=allocation,
        amount=Decimal("1.00"),
        paid_on=TODAY,
        by=world.users.finance,
        reason="x",
        recovery_reason="overpayment",
    )
    with CaptureQueriesContext(connection) as many:
        client.get(url("allocation", allocation_pk=allocation.pk))
    assert len(many) == len(few)
    with django_assert_max_num_queries(10):
        client.get(url("allocation", allocation_pk=allocation.pk))
