"""The reconciliation: find_discrepancies, the reconcile command and the page.

The world's Reclaiming Social Work grant is £1,000,000 with £700,000
allocated; Kent's is £500,000 with £250,000 allocated. Figures the services
refuse (overpayments, a milestone paid twice) are made by writing rows directly,
as an import or an admin correction could. Rows written directly bypass the
kept balances, so each test brings the balances in step (``_in_step``) unless
it means to leave one out of step.
"""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from grants import money
from grants.financial_year import FinancialYear
from grants.models import Allocation, AllocationBalance, Grant, Payment, SpendReturn
from grants.reconciliation import find_discrepancies
from grants.services import record_payment, record_recovery

PAID_ON = dt.date(2016, 1, 15)
URL = reverse("grants:reconciliation")


def _in_step():
    for pk in Allocation.objects.values_list("pk", flat=True):
        money.refresh_balance(pk)


@pytest.fixture(autouse=True)
def _balances_kept(world):
    # The world's milestones are written directly: their commitments need a balance.
    _in_step()


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
    assert differs.message == ("Allocations total £700,000.00, £300,000.00 less than the award of £1,000,000.00")
    [kent] = _of(find_discrepancies(), "allocations_differ_from_award", world.other_grant)
    assert kent.difference == Decimal("250000.00")


def test_a_grant_with_no_allocations_differs_by_its_whole_award(world):
    grant = Grant.objects.create(
        project=world.other_project,
        round=world.round,
        recipient=world.kent,
        title="Unallocated",
        amount_awarded=Decimal("1234.50"),
        award_date=dt.date(2015, 2, 1),
        planned_start=dt.date(2015, 2, 1),
        planned_end=dt.date(2015, 12, 31),
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
        Decimal("60000.00"),
        Decimal("100000.00"),
        Decimal("40000.00"),
    )
    assert over.message == (
        "Net payments to Morning Lane Associates for 2015-16 of £100,000.00 are £40,000.00 more than "
        "its allocation of £60,000.00"
    )


def test_payments_over_a_grants_allocations_are_listed_for_the_grant_and_the_allocation(world):
    # £225,000 is the headroom: the other £25,000 is committed to the "Hubs open" milestone.
    _pay(world, world.other_allocation, "225000.00")
    record_recovery(
        allocation=world.other_allocation,
        amount=Decimal("0.50"),
        paid_on=PAID_ON,
        by=world.users.finance,
        reason="Overclaimed",
        recovery_reason="overpayment",
    )
    _shrink(world.other_allocation, "200000.00")

    found = _of(find_discrepancies(), "payments_exceed_allocation", world.other_grant)

    grant_level, allocation_level = found
    assert grant_level.allocation is None
    assert (grant_level.expected, grant_level.actual, grant_level.difference) == (
        Decimal("200000.00"),
        Decimal("224999.50"),
        Decimal("24999.50"),
    )
    assert grant_level.message == (
        "Net payments of £224,999.50 are £24,999.50 more than the grant's allocations of £200,000.00"
    )
    assert allocation_level.allocation == world.other_allocation
    assert allocation_level.difference == Decimal("24999.50")
    # Paid past the allocation is listed once, not again as commitments past it.
    assert not _of(find_discrepancies(), "commitments_exceed_allocation")


def test_spend_over_net_payments_is_listed(world):
    derbyshire = world.allocations["GB-LAE-DBY"]
    _pay(world, derbyshire, "80000.00")
    record_recovery(
        allocation=derbyshire,
        amount=Decimal("30000.00"),
        paid_on=PAID_ON,
        by=world.users.finance,
        reason="Underspent",
        recovery_reason="underspend_returned",
    )
    SpendReturn.objects.create(allocation=derbyshire, quarter=1, spent=Decimal("35000.25"), forecast=Decimal("0"))
    SpendReturn.objects.create(allocation=derbyshire, quarter=2, spent=Decimal("25000.25"), forecast=Decimal("0"))
    _in_step()

    [over] = _of(find_discrepancies(), "spend_exceeds_payments", world.grant)

    assert (over.expected, over.actual, over.difference) == (
        Decimal("50000.00"),
        Decimal("60000.50"),
        Decimal("10000.50"),
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
            allocation=world.allocations["GB-LAE-DBY"],
            amount=Decimal("50000.00"),
            paid_on=PAID_ON,
            milestone=world.derbyshire_milestone,
            recorded_by=world.users.finance,
        )
    _in_step()

    [twice] = _of(find_discrepancies(), "milestone_paid_twice")

    assert twice.grant == world.grant
    assert (twice.expected, twice.actual, twice.difference) == (
        Decimal("50000.00"),
        Decimal("100000.00"),
        Decimal("50000.00"),
    )
    assert twice.message == "Milestone “Family breakdown unit running” was paid 2 times, £100,000.00 in all"


def test_a_grant_whose_money_adds_up_is_not_listed(world):
    _allocate(world.other_grant, world.kent, "250000.00")
    _pay(world, world.other_allocation, "100000.00")
    SpendReturn.objects.create(
        allocation=world.other_allocation, quarter=1, spent=Decimal("100000.00"), forecast=Decimal("50000.00")
    )
    _in_step()

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
            project=world.other_project,
            round=world.round,
            recipient=world.kent,
            title=f"Extra {number}",
            amount_awarded=Decimal("1000.00"),
            award_date=dt.date(2015, 3, 1),
            planned_start=dt.date(2015, 3, 1),
            planned_end=dt.date(2016, 3, 31),
        )
        allocation = _allocate(grant, world.kent, "900.00")
        _pay(world, allocation, "900.00")
        _shrink(allocation, "800.00")
        SpendReturn.objects.create(allocation=allocation, quarter=1, spent=Decimal("950.00"), forecast=Decimal("0"))
        money.refresh_balance(allocation.pk)


@pytest.mark.parametrize("extra", [0, 8])
def test_the_number_of_queries_does_not_grow_with_grants(world, extra, django_assert_max_num_queries):
    _add_grants(world, extra)
    assert Grant.objects.count() == 2 + extra

    # One query each: grants against their balances, allocations' headroom, milestones paid twice, and seven
    # for balances against their ledger rows (each kind of row summed once, then the allocations out of step).
    with django_assert_max_num_queries(10):
        found = find_discrepancies()

    assert len(found) == 2 + 4 * extra


@pytest.mark.parametrize("extra", [0, 8])
def test_the_number_of_queries_does_not_grow_with_balances_out_of_step(world, extra, django_assert_max_num_queries):
    _add_grants(world, extra)
    AllocationBalance.objects.filter(allocation__grant__title__startswith="Extra").update(paid=Decimal("1.00"))

    with django_assert_max_num_queries(10):
        found = find_discrepancies()

    assert len(_of(found, "balance_out_of_step")) == extra


def _derbyshire_balance(world):
    return AllocationBalance.objects.filter(allocation=world.allocations["GB-LAE-DBY"])


def test_a_balance_knocked_out_of_step_with_its_payments_is_listed(world):
    derbyshire = world.allocations["GB-LAE-DBY"]
    _pay(world, derbyshire, "80000.00")
    _derbyshire_balance(world).update(paid=Decimal("79999.99"))

    [drift] = _of(find_discrepancies(), "balance_out_of_step")

    assert drift.grant == world.grant and drift.allocation == derbyshire
    assert (drift.expected, drift.actual, drift.difference) == (
        Decimal("80000.00"),
        Decimal("79999.99"),
        Decimal("0.01"),
    )
    assert drift.message == (
        "The kept balance of Derbyshire County Council's 2015-16 allocation says paid £79,999.99, but its payments "
        "add up to £80,000.00: £0.01 less"
    )


def test_each_figure_out_of_step_is_listed_on_its_own(world):
    _derbyshire_balance(world).update(
        committed=Decimal("0.00"),
        spent=Decimal("10.00"),
        forecast=Decimal("5.00"),
        recovered=Decimal("0.00"),
    )

    found = _of(find_discrepancies(), "balance_out_of_step")

    assert [d.message for d in found] == [
        "The kept balance of Derbyshire County Council's 2015-16 allocation says committed £0.00, but its "
        "milestones' unpaid payments add up to £50,000.00: £50,000.00 less",
        "The kept balance of Derbyshire County Council's 2015-16 allocation says spent £10.00, but its spend "
        "returns add up to £0.00: £10.00 more",
        "The kept balance of Derbyshire County Council's 2015-16 allocation says forecast £5.00, but its latest "
        "spend return forecasts £0.00: £5.00 more",
    ]


def test_rows_written_around_the_services_leave_the_balance_out_of_step(world):
    SpendReturn.objects.create(
        allocation=world.other_allocation, quarter=1, spent=Decimal("1234.56"), forecast=Decimal("100.00")
    )

    found = _of(find_discrepancies(), "balance_out_of_step")

    assert [(d.allocation, d.expected, d.actual) for d in found] == [
        (world.other_allocation, Decimal("1234.56"), Decimal("0.00")),
        (world.other_allocation, Decimal("100.00"), Decimal("0.00")),
    ]
    money.refresh_balance(world.other_allocation.pk)
    assert not _of(find_discrepancies(), "balance_out_of_step")


def test_an_allocation_with_money_but_no_balance_is_listed(world):
    AllocationBalance.objects.filter(allocation=world.other_allocation).delete()

    [missing] = _of(find_discrepancies(), "balance_out_of_step")

    assert missing.allocation == world.other_allocation
    assert missing.message == (
        "No balance is kept for Kent County Council's 2015-16 allocation, but its milestones' unpaid payments "
        "add up to £25,000.00"
    )


def test_an_allocation_with_no_money_needs_no_balance(world):
    _balance(world)  # allocations written directly: no balance row, and nothing for one to say

    assert not _of(find_discrepancies(), "balance_out_of_step")


def test_net_paid_and_commitments_past_the_allocation_are_listed(world):
    derbyshire = world.allocations["GB-LAE-DBY"]
    _pay(world, derbyshire, "100000.00")
    _shrink(derbyshire, "120000.00")  # £50,000 is still committed to "Family breakdown unit running"

    found = find_discrepancies()

    [over] = _of(found, "commitments_exceed_allocation")
    assert over.allocation == derbyshire
    assert (over.expected, over.actual, over.difference) == (
        Decimal("120000.00"),
        Decimal("150000.00"),
        Decimal("30000.00"),
    )
    assert over.message == (
        "Net payments to Derbyshire County Council for 2015-16 of £100,000.00 and £50,000.00 committed to "
        "milestones are £30,000.00 more than its allocation of £120,000.00"
    )
    assert not [d for d in _of(found, "payments_exceed_allocation") if d.allocation is not None]


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


def test_the_page_lists_a_balance_out_of_step(client, world):
    _derbyshire_balance(world).update(spent=Decimal("10.00"))
    client.force_login(world.users.officer)

    page = client.get(URL).content.decode()

    assert (
        "The kept balance of Derbyshire County Council&#x27;s 2015-16 allocation says spent £10.00, but its spend "
        "returns add up to £0.00: £10.00 more"
    ) in page
    assert "Derbyshire County Council 2015-16</td>" in page
    assert reverse("money-glossary") + "#net-paid" in page


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

    with django_assert_max_num_queries(15):
        response = client.get(URL)

    assert response.status_code == 200
    assert response.content.decode().count('class="govuk-table__row"') == 1 + 2 + 4 * extra


def test_money_left_unallocated_on_purpose_is_listed_as_expected_and_the_nightly_check_passes(client, world):
    """Kent's £500,000 award has £250,000 allocated. Until an officer records why, the check fails; with the
    reason on the grant the difference is still listed, marked expected, and the command exits 0."""
    kent_only = Grant.objects.filter(pk=world.other_grant.pk)
    [shortfall] = _of(find_discrepancies(kent_only), "allocations_differ_from_award")
    assert shortfall.needs_action
    with pytest.raises(SystemExit):
        call_command("reconcile", stdout=StringIO())
    Grant.objects.filter(pk__in=Grant.objects.exclude(pk=world.other_grant.pk)).update(unallocated_reason="Held back")
    Grant.objects.filter(pk=world.other_grant.pk).update(unallocated_reason="Second year not yet agreed")
    [shortfall] = _of(find_discrepancies(kent_only), "allocations_differ_from_award")
    assert (shortfall.expected_because, shortfall.needs_action) == ("Second year not yet agreed", False)
    out = StringIO()
    call_command("reconcile", stdout=out)  # no SystemExit: nothing needs action
    assert "(expected: Second year not yet agreed)" in out.getvalue()
    client.force_login(world.users.officer)
    page = client.get(URL).content.decode()
    assert "On purpose: Second year not yet agreed" in page and "of them expected" in page


def test_the_forecast_checked_is_the_latest_quarters_whatever_order_the_returns_were_written_in(world):
    derbyshire = world.allocations["GB-LAE-DBY"]
    # Written out of quarter order, so the latest return is neither the first row nor the last.
    for quarter, forecast in ((1, "700.00"), (3, "300.00"), (2, "500.00")):
        SpendReturn.objects.create(
            allocation=derbyshire, quarter=quarter, spent=Decimal("0"), forecast=Decimal(forecast)
        )
    money.refresh_spend_balances([derbyshire.pk])
    assert _derbyshire_balance(world).get().forecast == Decimal("300.00")
    assert _of(find_discrepancies(), "balance_out_of_step") == []

    _derbyshire_balance(world).update(forecast=Decimal("500.00"))

    [drift] = _of(find_discrepancies(), "balance_out_of_step")
    assert (drift.expected, drift.actual) == (Decimal("300.00"), Decimal("500.00"))


@pytest.mark.parametrize("quarters", [(2, 4), (4, 1), (1,), (3, 1)])
def test_the_forecast_checked_is_the_highest_quarters_with_quarters_missing(world, quarters):
    derbyshire = world.allocations["GB-LAE-DBY"]
    for quarter in quarters:
        SpendReturn.objects.create(
            allocation=derbyshire, quarter=quarter, spent=Decimal("1.00"), forecast=Decimal(f"{quarter}00.00")
        )
    money.refresh_spend_balances([derbyshire.pk])
    assert _of(find_discrepancies(), "balance_out_of_step") == []
    latest = Decimal(f"{max(quarters)}00.00")
    _derbyshire_balance(world).update(forecast=Decimal("999.99"))

    [drift] = _of(find_discrepancies(), "balance_out_of_step")
    assert (drift.expected, drift.actual) == (latest, Decimal("999.99"))
