"""The money rules of issue 13 at the end of a project, and the dates a move may bear, through the
services: closing only when the money is settled (or with a recorded exception), a closed project's
grants taking only recoveries, and payments, recoveries and returns dated where they fit. The world
and its figures are those of tests/grants/test_money_rules.py.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from grants.financial_year import FinancialYear
from grants.models import (
    Grant,
    RecoveryReason,
)
from grants.services import (
    decide_variation,
    pay_milestone,
    save_allocation,
    save_grant,
)
from grants.spend_returns import submit_spend_return
from projects.models import Project, ProjectStatusChange
from projects.services import close_project, closure_problems, save_milestone
from tests.grants.test_money_rules import (
    TODAY,
    D,
    accept,
    figures,
    pay,
    plan,
    recover,
    refused,
    vary,
)

# --- Closure --------------------------------------------------------------------------------


def _closing(world):
    world.project.set_status(Project.Status.CLOSING, by=world.users.officer, reason="Delivery finished")
    return world.project


def test_a_project_with_money_unsettled_cannot_close(world):
    project = _closing(world)
    pay(world, world.allocations["GB-LAE-HRW"], "100000.00")
    with refused(
        "The project's money is not settled, so it cannot close",
        "2 milestone payments of £90,000.00 committed and not yet paid: pay them, or remove the payments",
        "No spend return for Q4 of 2015-16 from Derbyshire County Council",
        "No spend return for Q4 of 2015-16 from London Borough of Harrow",
        "No spend return for Q4 of 2015-16 from Morning Lane Associates",
        "Net paid £100,000.00 is £100,000.00 more than spent £0.00: recover the difference first",
        "or record an exception",
    ):
        close_project(project=project, by=world.users.officer, reason="Done")


def _settle(world):
    """Pay both milestones, and make each allocation's last return, with all that was paid spent."""
    for milestone in (world.derbyshire_milestone, world.harrow_milestone):
        accept(world, milestone)
        pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.finance)
    for allocation, spent in zip(world.allocations.values(), ("0.00", "50000.00", "40000.00"), strict=True):
        submit_spend_return(allocation=allocation, by=world.users.officer, quarter=4, spent=D(spent), forecast=0)


def test_a_project_whose_money_is_settled_closes(world):
    _settle(world)
    project = _closing(world)
    assert closure_problems(project) == []
    close_project(project=project, by=world.users.officer, reason="Delivered and accounted for")
    assert Project.objects.get(pk=project.pk).status == "closed"


def test_net_paid_above_spent_is_settled_by_a_recovery(world):
    _settle(world)
    pay(world, world.allocations["GB-LAE-HRW"], "10000.00")
    project = _closing(world)
    assert closure_problems(project) == [
        "Net paid £100,000.00 is £10,000.00 more than spent £90,000.00: recover the difference first"
    ]
    recover(world, world.allocations["GB-LAE-HRW"], "10000.00", recovery_reason=RecoveryReason.UNDERSPEND)
    close_project(project=project, by=world.users.officer, reason="Underspend returned")
    assert Project.objects.get(pk=project.pk).status == "closed"


def test_a_project_closes_unsettled_only_with_a_recorded_exception(world):
    project = _closing(world)
    close_project(
        project=project,
        by=world.users.officer,
        reason="Lead organisation dissolved",
        exception="Morning Lane Associates was dissolved in June 2019; returns cannot be obtained",
    )
    change = ProjectStatusChange.objects.filter(project=project).latest("pk")
    assert (change.old_status, change.new_status, change.changed_by) == ("closing", "closed", world.users.officer)
    assert "Closed with an exception: Morning Lane Associates was dissolved in June 2019" in change.reason
    assert "2 milestone payments of £90,000.00 committed and not yet paid" in change.reason


def test_a_project_ending_mid_year_makes_its_last_return_for_the_quarter_it_ends_in(world):
    # The project ends on 31 December 2016: no return can be made for Q4 of 2016-17.
    allocation = save_allocation(
        grant=world.grant,
        recipient=world.harrow,
        financial_year=FinancialYear(2016),
        resource=D("10000.00"),
        capital=D("0"),
    )
    with refused("2016-17 Q4 starts after the project ended on 31 December 2016", error=ValidationError):
        submit_spend_return(allocation=allocation, by=world.users.harrow, quarter=4, spent=D("0"), forecast=D("0"))
    assert "No spend return for Q3 of 2016-17 from London Borough of Harrow" in closure_problems(world.project)
    submit_spend_return(allocation=allocation, by=world.users.harrow, quarter=3, spent=D("0"), forecast=D("0"))
    assert not [p for p in closure_problems(world.project) if "2016-17" in p]


# --- A closed project's grants take only recoveries ---------------------------------------------


@pytest.fixture
def closed(world):
    """Harrow paid £100,000 and its milestone accepted, then the project closed with an exception."""
    pay(world, world.allocations["GB-LAE-HRW"], "100000.00")
    accept(world, world.harrow_milestone)
    close_project(project=_closing(world), by=world.users.officer, exception="Closed early by the minister")
    return world


CLOSED = "is closed, so its grants take no new"


def test_a_closed_projects_grant_takes_no_new_allocation(closed):
    with refused(CLOSED + " allocation; only a recovery can be recorded"):
        save_allocation(
            grant=closed.grant,
            recipient=closed.harrow,
            financial_year=FinancialYear(2016),
            resource=D("1000.00"),
            capital=D("0"),
        )
    with refused(CLOSED + " allocation"):
        vary(closed, closed.allocations["GB-LAE-HRW"], "301000.00", reason="Top-up")
    grant = Grant.objects.get(pk=closed.grant.pk)
    grant.amount_awarded = D("1000001.00")
    with refused(CLOSED + " increase of its award"):
        save_grant(grant=grant, by=closed.users.officer, reason="Top-up")


def test_a_closed_projects_grant_takes_no_new_milestone_payment(closed):
    allocation = closed.allocations["GB-LAE-HRW"]
    with refused(CLOSED + " milestone payment"):
        plan(closed, allocation, "1000.00")
    milestone = closed.harrow_milestone
    milestone.payment_amount = D("40000.01")
    with refused(CLOSED + " milestone payment"):
        save_milestone(milestone=milestone, by=closed.users.officer)


def test_a_closed_projects_grant_takes_no_payment(closed):
    with refused(CLOSED + " payment"):
        pay(closed, closed.allocations["GB-LAE-HRW"], "1.00")
    with refused(CLOSED + " payment"):
        pay_milestone(milestone=closed.harrow_milestone, paid_on=TODAY, by=closed.users.finance)


def test_a_closed_projects_grant_takes_a_recovery_and_never_pays_it_out_again(closed):
    # The Isle of Wight case: £80,000 recovered, then £80,000 paid again on a closed project.
    allocation = closed.allocations["GB-LAE-HRW"]
    recover(closed, allocation, "80000.00", recovery_reason=RecoveryReason.UNDERSPEND, reason="Unspent")
    assert figures(allocation).net_paid == D("20000.00")
    with refused(CLOSED + " payment"):
        pay(closed, allocation, "80000.00")


def test_an_increase_asked_for_before_closure_is_not_approved_after_it(world):
    waiting = vary(world, world.allocations["GB-LAE-DBY"], "450000.00").pending_variation
    close_project(project=_closing(world), by=world.users.officer, exception="Closed early")
    with refused(CLOSED + " allocation"):
        decide_variation(variation=waiting, by=world.users.admin, approve=True)


# --- Dates that fit -----------------------------------------------------------------------------


def test_a_payment_before_the_award_is_refused(world):
    with refused("The payment date cannot be before the grant was awarded on 5 January 2015"):
        pay(world, world.allocations["GB-LAE-DBY"], "1000.00", paid_on=dt.date(1899, 5, 1))
    with refused("The recovery date cannot be before the grant was awarded on 5 January 2015"):
        recover(world, world.allocations["GB-LAE-DBY"], "1.00", paid_on=dt.date(2015, 1, 4))


def test_a_final_payment_after_the_planned_end_needs_its_reason(world):
    allocation = world.allocations["GB-LAE-DBY"]
    late = dt.date(2017, 1, 10)
    with refused("The grant's planned end was 31 December 2016: give the reason for a final payment after it"):
        pay(world, allocation, "1000.00", paid_on=late)
    payment = pay(world, allocation, "1000.00", paid_on=late, late_reason="Final claim held for the audit")
    assert payment.late_reason == "Final claim held for the audit"
    # A reason given for a payment on time is not kept: there is nothing late to explain.
    assert pay(world, allocation, "1000.00", late_reason="Not late").late_reason == ""


def test_no_payment_is_dated_in_the_future(world):
    with refused("The payment date cannot be in the future"):
        pay(world, world.allocations["GB-LAE-DBY"], "1.00", paid_on=dt.date.today() + dt.timedelta(days=1))


def test_a_spend_return_is_not_for_a_quarter_before_the_award_nor_after_the_project(world):
    # Awarded on 5 January 2015: Q3 of 2014-15 (October to December 2014) ended before it.
    early = save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2014),
        resource=D("10000.00"),
        capital=D("0"),
    )
    with refused("2014-15 Q3 ended before the grant was awarded on 5 January 2015", error=ValidationError):
        submit_spend_return(allocation=early, by=world.users.derbyshire, quarter=3, spent=D("1"), forecast=D("0"))
    submit_spend_return(allocation=early, by=world.users.derbyshire, quarter=4, spent=D("1"), forecast=D("0"))
    late = save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2016),
        resource=D("10000.00"),
        capital=D("0"),
    )
    with refused("starts after the project ended on 31 December 2016", error=ValidationError):
        submit_spend_return(allocation=late, by=world.users.derbyshire, quarter=4, spent=D("1"), forecast=D("0"))
    assert figures(early).spent == D("1.00")
