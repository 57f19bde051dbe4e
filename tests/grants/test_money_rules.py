"""Each money rule of issue 13, through the services: bad input gets a message that says what the
figures are and what to do, and changes nothing (no row, no balance, no history).

The world's Reclaiming Social Work grant is £1,000,000 (awarded 5 January 2015, planned to end
31 December 2016) with three 2015-16 allocations: Morning Lane £100,000, Derbyshire £300,000 (its
milestone commits £50,000) and Harrow £300,000 (its milestone commits £40,000).
"""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from functools import cache

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import Role
from grants import money, reconciliation
from grants.financial_year import FinancialYear
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Payment,
    RecoveryReason,
    SpendReturn,
    Variation,
)
from grants.services import (
    MoneyRuleError,
    decide_variation,
    pay_milestone,
    record_payment,
    record_recovery,
    save_allocation,
    save_grant,
)
from projects.models import Milestone, MilestoneStatusChange, Project, ProjectStatusChange
from projects.services import review_milestone, save_milestone, submit_milestone
from tests.factories import (
    AllocationFactory,
    GrantFactory,
    MilestoneFactory,
    OrganisationFactory,
    PaymentFactory,
    ProjectFactory,
    SpendReturnFactory,
    UserFactory,
)

TODAY = dt.date(2016, 1, 15)
D = Decimal


@cache
def _history_count_sql() -> str:
    """One query that counts the rows of every history (audit and status) a money service writes to."""
    tables = [
        model._meta.db_table
        for model in (
            Grant.history.model,
            Allocation.history.model,
            Payment.history.model,
            SpendReturn.history.model,
            Milestone.history.model,
            Project.history.model,
            GrantStatusChange,
            ProjectStatusChange,
            MilestoneStatusChange,
        )
    ]
    return "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)


def snapshot() -> dict:
    """Every row and figure a money service could write, and the histories that record who wrote it."""
    with connection.cursor() as cursor:
        cursor.execute(_history_count_sql())
        history = cursor.fetchone()
    return {
        "grants": list(Grant.objects.order_by("pk").values_list("pk", "amount_awarded", "status")),
        "allocations": list(
            Allocation.objects.order_by("pk").values_list("pk", "recipient", "financial_year", "resource", "capital")
        ),
        "payments": list(Payment.objects.order_by("pk").values_list("pk", "kind", "amount", "paid_on", "milestone")),
        "returns": list(SpendReturn.objects.order_by("pk").values_list("pk", "quarter", "spent", "forecast")),
        "milestones": list(
            Milestone.objects.order_by("pk").values_list("pk", "status", "payment_amount", "allocation")
        ),
        "variations": list(
            Variation.objects.order_by("pk").values_list("pk", "status", "amount_after", "releases_recovered")
        ),
        "projects": list(Project.objects.order_by("pk").values_list("pk", "status")),
        "balances": list(AllocationBalance.objects.order_by("pk").values_list("pk", *money.BALANCE_FIELDS)),
        "history": history,
    }


def assert_balances_match_the_ledger():
    assert list(reconciliation.balances_out_of_step(Allocation.objects.all())) == []


@contextmanager
def refused(*fragments, error=MoneyRuleError):
    """The block must be refused with a message holding every fragment, and leave everything as it was."""
    before = snapshot()
    with pytest.raises(error) as caught:
        yield caught
    text = " ".join(caught.value.messages) if isinstance(caught.value, ValidationError) else str(caught.value)
    for fragment in fragments:
        assert fragment in text
    assert snapshot() == before
    assert_balances_match_the_ledger()


def figures(allocation) -> money.Figures:
    """The allocation's figures from its balance, checked against its ledger rows."""
    balance = money.allocation_figures(Allocation.objects.select_related("balance").get(pk=allocation.pk))
    assert balance == money.ledger_figures(allocation.pk)
    return balance


def pay(world, allocation, amount, **kwargs):
    kwargs.setdefault("paid_on", TODAY)
    return record_payment(allocation=allocation, amount=D(amount), by=world.users.finance, **kwargs)


def recover(world, allocation, amount, **kwargs):
    kwargs.setdefault("paid_on", TODAY)
    kwargs.setdefault("recovery_reason", RecoveryReason.OVERPAYMENT)
    kwargs.setdefault("reason", "Paid twice for the same quarter")
    return record_recovery(allocation=allocation, amount=D(amount), by=world.users.finance, **kwargs)


def plan(world, allocation, amount, title="Second unit running"):
    milestone = Milestone(
        project=allocation.grant.project,
        organisation=allocation.recipient,
        title=title,
        due_date=dt.date(2016, 3, 31),
        payment_amount=D(amount),
        allocation=allocation,
    )
    return save_milestone(milestone=milestone, by=world.users.officer)


def accept(world, milestone):
    submitter = {world.derbyshire.pk: world.users.derbyshire, world.harrow.pk: world.users.harrow}
    submit_milestone(milestone=milestone, by=submitter[milestone.organisation_id], narrative="Delivered as planned")
    review_milestone(milestone=milestone, by=world.users.officer, decision="accepted")


def vary(world, allocation, amount, *, reason="Re-profiled after the mid-year review", by=None):
    return save_allocation(
        grant=allocation.grant,
        recipient=allocation.recipient,
        financial_year=allocation.financial_year,
        resource=D(amount),
        capital=D("0"),
        allocation=allocation,
        by=by or world.users.officer,
        reason=reason,
    )


def test_the_world_and_the_factories_start_with_balances_equal_to_their_rows(world):
    assert_balances_match_the_ledger()
    assert figures(world.allocations["GB-LAE-DBY"]).committed == D("50000.00")
    allocation = AllocationFactory()
    PaymentFactory(allocation=allocation, amount=D("1000.10"))
    PaymentFactory(allocation=allocation, kind=Payment.Kind.RECOVERY, amount=D("10.01"))
    SpendReturnFactory(allocation=allocation, quarter=1, spent=D("500.00"), forecast=D("99000.00"))
    MilestoneFactory(project=allocation.grant.project, payment_amount=D("2000.00"), allocation=allocation)
    assert_balances_match_the_ledger()
    assert figures(allocation) == money.Figures(
        allocated=D("100000.00"),
        paid=D("1000.10"),
        recovered=D("10.01"),
        committed=D("2000.00"),
        spent=D("500.00"),
        forecast=D("99000.00"),
    )


# --- Commitments and headroom ---------------------------------------------------------------


def test_a_milestone_payment_is_committed_from_the_moment_it_is_planned(world):
    allocation = world.allocations["GB-LAE-DBY"]
    plan(world, allocation, "30000.00")
    assert (figures(allocation).committed, figures(allocation).headroom) == (D("80000.00"), D("220000.00"))


def test_no_milestone_payment_is_planned_on_a_fully_paid_allocation(world):
    # The first dead end: £25,000 planned on an allocation already paid in full.
    allocation = world.allocations["GB-LAE-DBY"]
    pay(world, allocation, "250000.00")
    with refused(
        "The allocation's headroom is £0.00 (allocated £300,000.00, net paid £250,000.00, "
        "committed to milestones £50,000.00)",
        "can be at most £0.00",
        "ask for a variation of the allocation first",
    ):
        plan(world, allocation, "25000.00")


def test_a_milestone_payment_may_take_the_headroom_to_the_penny_but_not_pass_it(world):
    allocation = world.allocations["GB-LAE-DBY"]
    pay(world, allocation, "200000.00")
    with refused("can be at most £50,000.00"):
        plan(world, allocation, "50000.01")
    plan(world, allocation, "50000.00")
    assert figures(allocation).headroom == D("0.00")


def test_raising_a_milestone_payment_beyond_headroom_is_refused(world):
    milestone = world.derbyshire_milestone  # commits £50,000 of Derbyshire's £300,000
    pay(world, milestone.allocation, "200000.00")
    milestone.payment_amount = D("100000.01")
    # Its own £50,000 counts once: it is moved, not added.
    with refused("The allocation's headroom is £50,000.00", "can be at most £100,000.00", "variation"):
        save_milestone(milestone=milestone, by=world.users.officer)
    milestone.payment_amount = D("100000.00")
    save_milestone(milestone=milestone, by=world.users.officer)
    assert (figures(milestone.allocation).committed, figures(milestone.allocation).headroom) == (D("100000.00"), 0)


def test_an_accepted_milestone_can_always_be_paid(world):
    # The headroom was spent elsewhere, but the milestone's own payment was kept for it.
    milestone = world.derbyshire_milestone
    pay(world, milestone.allocation, "250000.00")
    accept(world, milestone)
    payment = pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.finance)
    assert payment.amount == D("50000.00")
    after = figures(milestone.allocation)
    assert (after.paid, after.committed, after.headroom) == (D("300000.00"), D("0.00"), D("0.00"))


def test_a_milestone_pays_what_it_releases_now_not_what_it_released_when_read(world):
    milestone = world.derbyshire_milestone
    accept(world, milestone)
    stale = Milestone.objects.get(pk=milestone.pk)  # as a payment page read it: £50,000
    milestone.payment_amount = D("30000.00")
    save_milestone(milestone=milestone, by=world.users.officer)
    with refused("This milestone releases £30,000.00"):
        pay_milestone(milestone=stale, paid_on=TODAY, by=world.users.finance)
    assert pay_milestone(milestone=milestone, paid_on=TODAY, by=world.users.finance).amount == D("30000.00")


def test_paying_beyond_headroom_is_refused_with_the_headroom_and_the_way_on(world):
    allocation = world.allocations["GB-LAE-DBY"]
    with refused(
        "Payments to Derbyshire County Council cannot pass the allocation's headroom",
        "The allocation's headroom is £250,000.00 (allocated £300,000.00, net paid £0.00, "
        "committed to milestones £50,000.00)",
        "at most £250,000.00 can be paid",
        "a programme officer must vary the allocation",
    ):
        pay(world, allocation, "250000.01")
    pay(world, allocation, "250000.00")
    assert figures(allocation).net_paid + figures(allocation).committed == allocation.amount


def _programme_allocation(allocated):
    """A new project led by a company, its grant of £1,000,000 and one 2015-16 allocation to the lead."""
    officer = UserFactory(role=Role.OFFICER)
    lead = OrganisationFactory()
    project = ProjectFactory(lead_organisation=lead, status=Project.Status.ACTIVE)
    grant = GrantFactory(project=project, amount_awarded=D("1000000.00"))
    allocation = save_allocation(
        grant=grant,
        recipient=lead,
        financial_year=FinancialYear(2015),
        resource=D(allocated),
        capital=D("0"),
        by=officer,
    )
    return officer, allocation


@pytest.mark.parametrize(
    ("allocated", "paid", "milestones", "cut_to", "floor"),
    [
        # The two cases: £150,000 of milestones to come; a £200,000 milestone awaiting review.
        ("1000000.00", "850000.00", ["100000.00", "50000.00"], "850000.00", "£1,000,000.00"),
        ("500000.00", "300000.00", ["200000.00"], "475000.00", "£500,000.00"),
    ],
)
def test_an_allocation_cannot_be_cut_below_net_paid_and_committed(db, allocated, paid, milestones, cut_to, floor):
    officer, allocation = _programme_allocation(allocated)
    recipient = UserFactory(role=Role.RECIPIENT, organisation=allocation.recipient)
    record_payment(
        allocation=allocation, amount=D(paid), paid_on=dt.date(2015, 6, 30), by=UserFactory(role=Role.FINANCE)
    )
    planned = []
    for n, amount in enumerate(milestones):
        milestone = Milestone(
            project=allocation.grant.project,
            organisation=allocation.recipient,
            title=f"M{n}",
            due_date=dt.date(2016, 3, 31),
            payment_amount=D(amount),
            allocation=allocation,
        )
        planned.append(save_milestone(milestone=milestone, by=officer))
    submit_milestone(milestone=planned[-1], by=recipient, narrative="Awaiting review")
    with refused(
        f"£{D(paid):,.2f} has been paid (net of recoveries) and £{D(allocated) - D(paid):,.2f} is committed to "
        f"milestone payments from this allocation, so it cannot be less than {floor}",
        "first reduce or remove the milestone payments still to be made",
    ):
        save_allocation(
            grant=allocation.grant,
            recipient=allocation.recipient,
            financial_year=allocation.financial_year,
            resource=D(cut_to),
            capital=D("0"),
            allocation=allocation,
            by=officer,
            reason="Less delivery than planned",
        )
    # The way on works: take the payment off the milestone still to come, then cut.
    first = planned[0]
    first.payment_amount, first.allocation = None, None
    save_milestone(milestone=first, by=officer)
    floor_now = D(allocated) - D(milestones[0])
    cut = save_allocation(
        grant=allocation.grant,
        recipient=allocation.recipient,
        financial_year=allocation.financial_year,
        resource=floor_now,
        capital=D("0"),
        allocation=allocation,
        by=officer,
        reason="Less delivery than planned",
    )
    if cut.pending_variation is not None:  # a cut of more than the threshold waits for a second officer
        decide_variation(variation=cut.pending_variation, by=UserFactory(role=Role.OFFICER), approve=True)
    assert Allocation.objects.get(pk=allocation.pk).amount == floor_now
    assert figures(allocation).headroom == D("0.00")


# --- Recoveries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recovery_reason", "reason", "message"),
    [
        ("", "Paid twice", "Choose why the money is recovered"),
        ("refund", "Paid twice", "Choose why the money is recovered"),
        (RecoveryReason.OVERPAYMENT, "  ", "Give the reason for the recovery"),
    ],
)
def test_a_recovery_needs_a_recovery_reason_and_the_officers_reason(world, recovery_reason, reason, message):
    allocation = world.allocations["GB-LAE-HRW"]
    pay(world, allocation, "1000.00")
    with refused(message):
        recover(world, allocation, "100.00", recovery_reason=recovery_reason, reason=reason)


def test_a_recovery_keeps_its_reasons(world):
    allocation = world.allocations["GB-LAE-HRW"]
    pay(world, allocation, "1000.00")
    recovery = recover(
        world,
        allocation,
        "100.00",
        recovery_reason=RecoveryReason.BREACH,
        reason="Spent on a car park, outside the grant's purpose",
    )
    assert (recovery.kind, recovery.recovery_reason, recovery.note) == (
        "recovery",
        "breach_of_conditions",
        "Spent on a car park, outside the grant's purpose",
    )
    assert figures(allocation).recovered == D("100.00")


def test_no_more_is_recovered_than_was_paid(world):
    allocation = world.allocations["GB-LAE-HRW"]
    pay(world, allocation, "1000.00")
    recover(world, allocation, "400.00")
    with refused("Only £600.00 has been paid against this allocation (net of recoveries)"):
        recover(world, allocation, "600.01")


def test_recovered_money_is_not_payable_again_until_a_variation_reprofiles_it(world):
    allocation = world.allocations["GB-LAE-DBY"]
    pay(world, allocation, "250000.00")
    recover(world, allocation, "5000.00", recovery_reason=RecoveryReason.UNDERSPEND, reason="Unit opened late")
    held = figures(allocation)
    # Not "still to pay £5,000": the money recovered is held.
    assert (held.net_paid, held.held, held.headroom) == (D("245000.00"), D("5000.00"), D("0.00"))
    with refused("recovered and held £5,000.00", "at most £0.00 can be paid", "vary the allocation"):
        pay(world, allocation, "5000.00")
    with refused("can be at most £0.00"):
        plan(world, allocation, "5000.00")
    # A variation that re-profiles it, even at the same amount, makes it payable again.
    vary(world, allocation, "300000.00", reason="Re-profile the returned £5,000 to the second unit")
    variation = Variation.objects.get(allocation=allocation)
    assert (variation.amount_before, variation.amount_after, variation.releases_recovered, variation.status) == (
        D("300000.00"),
        D("300000.00"),
        D("5000.00"),
        "approved",
    )
    assert (figures(allocation).released, figures(allocation).headroom) == (D("5000.00"), D("5000.00"))
    pay(world, allocation, "5000.00")
    assert figures(allocation).headroom == D("0.00")


# --- Variations -----------------------------------------------------------------------------


def test_a_variation_needs_a_reason_and_an_officer(world):
    allocation = world.allocations["GB-LAE-DBY"]
    with refused("Give the reason for the variation"):
        vary(world, allocation, "310000.00", reason="  ")
    with refused("must name the officer"):
        save_allocation(
            grant=world.grant,
            recipient=world.derbyshire,
            financial_year=allocation.financial_year,
            resource=D("310000.00"),
            capital=D("0"),
            allocation=allocation,
            reason="More families",
        )


def test_a_small_variation_applies_at_once_and_records_before_after_reason_who_and_when(world):
    allocation = world.allocations["GB-LAE-DBY"]
    varied = vary(world, allocation, "350000.00", reason="A third family breakdown unit")
    assert varied.pending_variation is None
    assert Allocation.objects.get(pk=allocation.pk).amount == D("350000.00")
    variation = Variation.objects.get(allocation=allocation)
    assert (variation.amount_before, variation.amount_after, variation.change, variation.reason) == (
        D("300000.00"),
        D("350000.00"),
        D("50000.00"),
        "A third family breakdown unit",
    )
    assert (variation.requested_by, variation.decided_by, variation.status) == (
        world.users.officer,
        world.users.officer,
        "approved",
    )
    assert variation.requested_at is not None and variation.decided_at is not None
    assert figures(allocation).headroom == D("300000.00")


def test_a_large_variation_waits_for_a_second_officer_who_is_not_the_requester(world):
    allocation = world.allocations["GB-LAE-DBY"]
    before = snapshot()
    varied = vary(world, allocation, "450000.00", reason="Scale-up to two more localities")
    variation = varied.pending_variation
    assert (variation.status, variation.amount_before, variation.amount_after) == (
        "pending",
        D("300000.00"),
        D("450000.00"),
    )
    assert (variation.decided_by, variation.decided_at) == (None, None)
    after = snapshot()
    assert {key for key in before if before[key] != after[key]} == {"variations"}
    assert Allocation.objects.get(pk=allocation.pk).amount == D("300000.00")

    with refused("You asked for this variation, so another programme officer must decide it"):
        decide_variation(variation=variation, by=world.users.officer, approve=True)
    with refused(error=PermissionDenied):
        decide_variation(variation=variation, by=world.users.finance, approve=True)

    approved = decide_variation(variation=variation, by=world.users.admin, approve=True, note="Agreed at board")
    assert (approved.status, approved.decided_by, approved.decision_note) == (
        "approved",
        world.users.admin,
        "Agreed at board",
    )
    assert Allocation.objects.get(pk=allocation.pk).amount == D("450000.00")
    assert figures(allocation).headroom == D("400000.00")
    with refused("already been decided"):
        decide_variation(variation=variation, by=world.users.admin, approve=False, note="Changed our minds")


def test_rejecting_a_variation_needs_a_reason_and_changes_nothing_else(world):
    allocation = world.allocations["GB-LAE-DBY"]
    variation = vary(world, allocation, "450000.00").pending_variation
    with refused("Say why the variation is rejected"):
        decide_variation(variation=variation, by=world.users.admin, approve=False)
    before = snapshot()
    rejected = decide_variation(variation=variation, by=world.users.admin, approve=False, note="No case made")
    assert (rejected.status, rejected.decided_by, rejected.decision_note) == (
        "rejected",
        world.users.admin,
        "No case made",
    )
    after = snapshot()
    assert {key for key in before if before[key] != after[key]} == {"variations"}
    assert Allocation.objects.get(pk=allocation.pk).amount == D("300000.00")


def test_the_approval_threshold_is_a_setting(world, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 1000
    allocation = world.allocations["GB-LAE-DBY"]
    assert vary(world, allocation, "301000.00").pending_variation is None
    assert vary(world, allocation, "302000.01").pending_variation.status == "pending"
    assert vary(world, allocation, "300000.00").pending_variation is None


def test_a_variation_asked_for_before_another_change_is_not_applied_over_it(world):
    allocation = world.allocations["GB-LAE-DBY"]
    waiting = vary(world, allocation, "450000.00").pending_variation
    vary(world, allocation, "320000.00", reason="Small top-up agreed meanwhile")
    with refused("asked for when the amount was £300,000.00; it is now £320,000.00"):
        decide_variation(variation=waiting, by=world.users.admin, approve=True)
    decide_variation(variation=waiting, by=world.users.admin, approve=False, note="Overtaken")
    assert Allocation.objects.get(pk=allocation.pk).amount == D("320000.00")


def test_a_variation_waiting_for_approval_never_asks_for_a_negative_figure(world):
    allocation = world.allocations["GB-LAE-DBY"]
    with refused(error=ValidationError):
        save_allocation(
            grant=world.grant,
            recipient=world.derbyshire,
            financial_year=allocation.financial_year,
            resource=D("-10000.00"),
            capital=D("460000.00"),
            allocation=allocation,
            by=world.users.officer,
            reason="Capital for a new building",
        )


def test_an_approved_variation_still_keeps_the_allocation_within_paid_and_committed(world):
    allocation = world.allocations["GB-LAE-DBY"]
    pay(world, allocation, "100000.00")
    waiting = vary(world, allocation, "150000.00", reason="Unit closing").pending_variation
    assert waiting.status == "pending"
    pay(world, allocation, "100000.00")  # meanwhile: 200,000 paid and 50,000 committed
    with refused("£250,000.00 is now paid or committed from this allocation"):
        decide_variation(variation=waiting, by=world.users.admin, approve=True)


def test_an_award_variation_records_its_reason_and_waits_when_large(world):
    grant = Grant.objects.get(pk=world.grant.pk)
    grant.amount_awarded = D("650000.00")
    with refused("£700,000.00 of this grant is already allocated"):
        save_grant(grant=grant, by=world.users.officer, reason="Cut")
    grant.amount_awarded = D("950000.00")
    with refused("Give the reason for the variation"):
        save_grant(grant=grant, by=world.users.officer, reason="")
    save_grant(grant=grant, by=world.users.officer, reason="Savings found at the spending review")
    assert Grant.objects.get(pk=grant.pk).amount_awarded == D("950000.00")

    grant.amount_awarded = D("1500000.00")
    saved = save_grant(grant=grant, by=world.users.officer, reason="Round 2 scale-up")
    assert saved.pending_variation.status == "pending"
    assert Grant.objects.get(pk=grant.pk).amount_awarded == D("950000.00")
    decide_variation(variation=saved.pending_variation, by=world.users.admin, approve=True)
    assert Grant.objects.get(pk=grant.pk).amount_awarded == D("1500000.00")
    assert [(v.amount_before, v.amount_after) for v in Variation.objects.filter(allocation=None).order_by("pk")] == [
        (D("1000000.00"), D("950000.00")),
        (D("950000.00"), D("1500000.00")),
    ]
