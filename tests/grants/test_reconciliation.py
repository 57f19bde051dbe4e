"""The reconciliation: find_discrepancies, the reconcile command and the page.

The world's Reclaiming Social Work grant is £1,000,000 with £700,000
allocated; Kent's is £500,000 with £250,000 allocated. Figures the services
refuse (overpayments, a milestone paid twice) are made by writing rows directly,
as an import or an admin correction could.
"""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Payment, SpendReturn
from grants.reconciliation import find_discrepancies
from grants.services import record_payment, record_recovery

PAID_ON = dt.date(2016, 1, 15)
URL = reverse("grants:reconciliation")


def _pay(world, allocation, amount):
    return record_payment(allocation=allocation, amount=Decimal(amount), paid_on=PAID_ON, by=world.users.finance)


def _allocate(grant, recipient, amount, year=2016):
    return Allocation.objects.create(
        grant=grant, recipient=recipient, financial_year=FinancialYear(year), resource=Decimal(amount)
    )


def _balance(world):
    """Allocate the rest of both grants, so that nothing is left to report."""
    _allocate(world.grant, world.morning_lane, "300000.00")
    _allocate(world.other_grant, world.kent, "250000.00")


def _shrink(allocation, resource):
    # The services refuse to cut an allocation below what was paid; an admin correction would not.
    Allocation.objects.filter(pk=allocation.pk).update(resource=Decimal(resource), capital=Decimal("0"))


def _of(discrepancies, kind, grant=None):
    return [d for d in discrepancies if d.kind == kind and (grant is None or d.grant == grant)]


def test_allocations_short_of_the_award_are_listed_to_the_penny(world):
    [differs] = _of(find_discrepancies(), "allocations_differ_from_award", world.grant)

    assert differs.expected == Decimal("1000000.00")
    assert differs.actual == Decimal("700000.00")
    assert differs.difference == Decimal("300000.00")
    assert differs.message == (
        "Allocations total £700,000.00, £300,000.00 less than the award of £1,000,000.00"
    )
    [kent] = _of(find_discrepancies(), "allocations_differ_from_award", world.other_grant)
    assert kent.difference == Decimal("250000.00")


def test_a_grant_with_no_allocations_differs_by_its_whole_award(world):
    grant = Grant.objects.create(
        project=world.other_project, round=world.round, recipient=world.kent, title="Unallocated",
        amount_awarded=Decimal("1234.50"), award_date=dt.date(2015, 2, 1),
        planned_start=dt.date(2015, 2, 1), planned_end=dt.date(2015, 12, 31),
    )

    [differs] = _of(find_discrepancies(), "allocations_differ_from_award", grant)

    assert (differs.actual, differs.difference) == (Decimal("0.00"), Decimal("1234.50"))


def test_payments_over_one_allocation_are_listed_against_that_allocation(world):
    _balance(world)
    morning_lane = world.allocations["GB-COH-07000001"]
    _pay(world, morning_lane, "100000.00")
    _shrink(morning_lane, "60000.00")

    found = find_discrepancies()

    [over] = _of(found, "payments_exceed_allocation", world.grant)
    assert over.allocation == morning_lane
    assert (over.expected, over.actual, over.difference) == (
        Decimal("60000.00"), Decimal("100000.00"), Decimal("40000.00")
    )
    assert over.message == (
        "Net payments to Morning Lane Associates for 2015-16 of £100,000.00 are £40,000.00 more than "
        "its allocation of £60,000.00"
    )


def test_payments_over_a_grants_allocations_are_listed_for_the_grant_and_the_allocation(world):
    _pay(world, world.other_allocation, "250000.00")
    record_recovery(
        allocation=world.other_allocation, amount=Decimal("0.50"), paid_on=PAID_ON, by=world.users.finance,
        reason="Overclaimed",
    )
    _shrink(world.other_allocation, "200000.00")

    found = _of(find_discrepancies(), "payments_exceed_allocation", world.other_grant)

    grant_level, allocation_level = found
    assert grant_level.allocation is None
    assert (grant_level.expected, grant_level.actual, grant_level.difference) == (
        Decimal("200000.00"), Decimal("249999.50"), Decimal("49999.50")
    )
    assert grant_level.message == (
        "Net payments of £249,999.50 are £49,999.50 more than the grant's allocations of £200,000.00"
    )
    assert allocation_level.allocation == world.other_allocation
    assert allocation_level.difference == Decimal("49999.50")


def test_spend_over_net_payments_is_listed(world):
    derbyshire = world.allocations["GB-LAE-DBY"]
    _pay(world, derbyshire, "80000.00")
    record_recovery(allocation=derbyshire, amount=Decimal("30000.00"), paid_on=PAID_ON, by=world.users.finance,
                    reason="Underspent")
    SpendReturn.objects.create(allocation=derbyshire, quarter=1, spent=Decimal("35000.25"), forecast=Decimal("0"))
    SpendReturn.objects.create(allocation=derbyshire, quarter=2, spent=Decimal("25000.25"), forecast=Decimal("0"))

    [over] = _of(find_discrepancies(), "spend_exceeds_payments", world.grant)

    assert (over.expected, over.actual, over.difference) == (
        Decimal("50000.00"), Decimal("60000.50"), Decimal("10000.50")
    )
    assert over.message == "Spend returns total £60,000.50, £10,000.50 more than net payments of £50,000.00"


def test_a_milestone_paid_twice_is_listed(world):
    # The partial unique index milestone_paid_once refuses the second row; drop it inside
    # this test's transaction (SQLite and PostgreSQL both roll the DDL back afterwards)
    # to stand for rows from before the constraint or a restore without it.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX milestone_paid_once")
    for _ in range(2):
        Payment.objects.create(
            allocation=world.allocations["GB-LAE-DBY"], amount=Decimal("50000.00"), paid_on=PAID_ON,
            milestone=world.derbyshire_milestone, recorded_by=world.users.finance,
        )

    [twice] = _of(find_discrepancies(), "milestone_paid_twice")

    assert twice.grant == world.grant
    assert (twice.expected, twice.actual, twice.difference) == (
        Decimal("50000.00"), Decimal("100000.00"), Decimal("50000.00")
    )
    assert twice.message == "Milestone “Family breakdown unit running” was paid 2 times, £100,000.00 in all"


def test_a_grant_whose_money_adds_up_is_not_listed(world):
    _allocate(world.other_grant, world.kent, "250000.00")
    _pay(world, world.other_allocation, "100000.00")
    SpendReturn.objects.create(allocation=world.other_allocation, quarter=1, spent=Decimal("100000.00"),
                               forecast=Decimal("50000.00"))

    found = find_discrepancies()

    assert world.other_grant not in {d.grant for d in found}
    assert [d.kind for d in found] == ["allocations_differ_from_award"]


def test_the_command_lists_each_discrepancy_and_fails(world):
    out = StringIO()

    with pytest.raises(SystemExit) as exit:
        call_command("reconcile", stdout=out)

    assert exit.value.code == 1
    assert out.getvalue().splitlines() == [
        f"Grant {world.grant.pk} Reclaiming Social Work: "
        "Allocations total £700,000.00, £300,000.00 less than the award of £1,000,000.00",
        f"Grant {world.other_grant.pk} Kent family hubs: "
        "Allocations total £250,000.00, £250,000.00 less than the award of £500,000.00",
        "2 discrepancies in 2 grants.",
    ]


def test_the_command_succeeds_when_everything_adds_up(world):
    _balance(world)
    _pay(world, world.other_allocation, "100000.00")
    out = StringIO()

    call_command("reconcile", stdout=out)  # no SystemExit: status 0

    assert out.getvalue() == "All grants reconcile.\n"


def _add_grants(world, count):
    for number in range(count):
        grant = Grant.objects.create(
            project=world.other_project, round=world.round, recipient=world.kent, title=f"Extra {number}",
            amount_awarded=Decimal("1000.00"), award_date=dt.date(2015, 3, 1),
            planned_start=dt.date(2015, 3, 1), planned_end=dt.date(2015, 12, 31),
        )
        allocation = _allocate(grant, world.kent, "900.00")
        _pay(world, allocation, "900.00")
        _shrink(allocation, "800.00")
        SpendReturn.objects.create(allocation=allocation, quarter=1, spent=Decimal("950.00"), forecast=Decimal("0"))


@pytest.mark.parametrize("extra", [0, 8])
def test_the_number_of_queries_does_not_grow_with_grants(world, extra, django_assert_max_num_queries):
    _add_grants(world, extra)
    assert Grant.objects.count() == 2 + extra

    with django_assert_max_num_queries(3):
        found = find_discrepancies()

    assert len(found) == 2 + 4 * extra


def test_the_page_lists_the_discrepancies_for_an_officer(client, world):
    client.force_login(world.users.officer)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-table" in page
    assert reverse("grants:detail", kwargs={"grant_pk": world.grant.pk}) in page
    assert "Allocations total £700,000.00, £300,000.00 less than the award of £1,000,000.00" in page
    assert "£300,000.00" in page
    assert "All grants reconcile" not in page


def test_the_page_says_when_all_grants_reconcile(client, world):
    _balance(world)
    client.force_login(world.users.viewer)

    response = client.get(URL)

    assert response.status_code == 200
    assert "All grants reconcile." in response.content.decode()
    assert "govuk-table" not in response.content.decode()


def test_a_recipient_is_refused(client, world):
    client.force_login(world.users.derbyshire)

    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("extra", [0, 8])
def test_the_page_queries_do_not_grow_with_grants(client, world, extra, django_assert_max_num_queries):
    _add_grants(world, extra)
    client.force_login(world.users.finance)

    with django_assert_max_num_queries(8):
        response = client.get(URL)

    assert response.status_code == 200
    assert response.content.decode().count('class="govuk-table__row"') == 1 + 2 + 4 * extra
