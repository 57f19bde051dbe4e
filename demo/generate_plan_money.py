"""The plan of one generated project's money: its milestones (each through its status
path), the payments and recoveries of each allocation, its quarterly spend returns and
the balance the money services would keep; every row drawn from the seed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from demo.generate_plan import (
    ADVANCE_REASON,
    LATE_REASON,
    MILESTONE_TITLES,
    REASON,
    RETURN_REASON,
    _at,
    _fraction,
    _pounds,
    _status_path,
)
from grants.financial_year import FinancialYear
from grants.models import AllocationBalance, Payment, RecoveryReason, SpendReturn
from projects.models import Milestone, MilestoneReview, MilestoneStatusChange, MilestoneSubmission

# One project's 20 milestones: (kind, status, carries a payment, how it is paid).
MILESTONE_PLAN = (
    [("A", "accepted", True, "paid")] * 9
    + [("B", "accepted", True, "advance"), ("C", "accepted", True, "unpaid")]
    + [("D", "accepted", False, None)] * 2
    + [
        ("E", "submitted", True, "advance"),
        ("F", "submitted", True, "unpaid"),
        ("G", "submitted", False, None),
        ("H", "returned", True, "unpaid"),
        ("I", "returned", False, None),
        ("J", "planned", True, "unpaid"),
        ("K", "planned", False, None),
    ]
)

OPEN_KINDS = "EFGHIJK"


def _plan_milestones_and_money(ctx, chunk, project, participants, allocations, last_year, status) -> dt.date:
    """The project's milestones, payments, recoveries, spend returns and each allocation's
    balance; returns the day of its last payment (recoveries aside)."""
    rng, officer = ctx.rng, ctx.officer
    # A closed or withdrawn project takes no more payments, so none of its milestones still
    # commits one: a payment committed and never made would be a dead end, and closing
    # needs the money settled.
    finished = status in ("closed", "withdrawn")
    latest = [a for a in allocations if a[3] and a[2] == last_year]
    earlier = [a for a in allocations if a not in latest]
    open_paying = rng.sample(latest, 4)
    done_paying = rng.sample(earlier + [a for a in latest if a not in open_paying], 11)
    # Payments still to be made draw on the last grant's last year, whose grant is active
    # while the project runs; payments made, on any allocation.
    paying = {"unpaid": iter(open_paying), "made": iter(done_paying)}
    # allocation pk-free key (its position) -> (milestone, amount in pennies, paid on, advance)
    milestone_payments = {}
    committed = {}
    resubmitted = rng.randrange(9)
    for position, (kind, final, pays, how) in enumerate(MILESTONE_PLAN):
        pays = pays and not (finished and how == "unpaid")
        if pays:
            allocation, pennies, year, _ = next(paying["unpaid" if how == "unpaid" else "made"])
            organisation = allocation.recipient
            amount = _fraction(pennies, rng.uniform(0.2, 0.4) if how == "unpaid" else rng.uniform(0.35, 0.6))
        else:
            allocation, amount = None, None
            organisation = rng.choice(participants)
            year = last_year if kind in OPEN_KINDS else rng.choice([a[2] for a in allocations])
        fy = FinancialYear(year)
        # Nothing happens before the grant that pays for it was awarded and started.
        begins = max(fy.start, allocation.grant.planned_start if allocation else project.start_date)
        due = begins + dt.timedelta(days=rng.randint(120, 300) if kind in OPEN_KINDS else rng.randint(30, 200))
        milestone = chunk.add(
            Milestone(
                project=project,
                organisation=organisation,
                title=f"{rng.choice(MILESTONE_TITLES)} ({organisation.display_name}, {fy})"[:200],
                description="A generated milestone (illustrative).",
                due_date=due,
                payment_amount=_pounds(amount) if amount else None,
                allocation=allocation,
                illustrative=True,
            )
        )
        submitter = ctx.users[organisation.pk]
        path = [("planned", _at(begins, 9), officer, "")]
        paid_on = None
        if final != "planned":
            submitted = due - dt.timedelta(days=rng.randint(0, 10))
            path.append(("submitted", _at(submitted, 11), submitter, ""))
            _submission(chunk, milestone, submitted, submitter)
            if kind == "A" and position == resubmitted or kind == "H" or kind == "I":
                reviewed = submitted + dt.timedelta(days=rng.randint(5, 15))
                path.append(("returned", _at(reviewed, 15), officer, RETURN_REASON))
                _review(chunk, "returned", reviewed, officer)
                if final != "returned":
                    submitted = reviewed + dt.timedelta(days=rng.randint(10, 30))
                    path.append(("submitted", _at(submitted, 11), submitter, ""))
                    _submission(chunk, milestone, submitted, submitter)
            if how == "advance":
                paid_on = submitted + dt.timedelta(days=rng.randint(1, 5))
            if final == "accepted":
                accepted = max(submitted, paid_on or submitted) + dt.timedelta(days=rng.randint(5, 20))
                path.append(("accepted", _at(accepted, 15), officer, ""))
                _review(chunk, "accepted", accepted, officer)
                if how == "paid":
                    paid_on = accepted + dt.timedelta(days=rng.randint(3, 20))
        steps = _status_path(chunk, milestone, MilestoneStatusChange, path, reason=REASON)
        chunk.remember(Milestone, milestone, steps)
        if pays and how == "unpaid":
            committed[id(allocation)] = amount
        elif pays:
            milestone_payments[id(allocation)] = (milestone, amount, paid_on, how == "advance")

    last_paid = project.start_date
    for allocation, pennies, year, last_grant in allocations:
        fy = FinancialYear(year)
        released = milestone_payments.get(id(allocation))
        # Within the headroom: what a milestone still to be paid has committed stays free for it.
        available = pennies - committed.get(id(allocation), 0)
        if released:
            milestone, first, first_on, advance = released
        else:
            milestone, advance = None, rng.random() < 0.03
            first = _fraction(available, rng.uniform(0.35, 0.6))
            first_on = max(fy.start, allocation.grant.planned_start) + dt.timedelta(days=rng.randint(10, 90))
        payments = [_payment(ctx, chunk, allocation, first, first_on, milestone=milestone, advance=advance)]
        second_on = first_on + dt.timedelta(days=rng.randint(30, 120))
        pattern = rng.random()
        if pattern < 0.12:
            # A clawback after the year end of part of what was paid.
            recovered = _fraction(first, rng.uniform(0.05, 0.3))
            payments.append(
                _payment(
                    ctx,
                    chunk,
                    allocation,
                    recovered,
                    max(second_on, fy.end + dt.timedelta(days=rng.randint(30, 120))),
                    recovery=True,
                )
            )
            net = first - recovered
        else:
            rest = available - first
            second = rest if pattern < 0.8 or rest < 200 else _fraction(rest, rng.uniform(0.5, 0.95))
            payments.append(_payment(ctx, chunk, allocation, second, second_on))
            net = first + second
        paid = [p for p in payments if p["kind"] == Payment.Kind.PAYMENT]
        last_paid = max([last_paid] + [p["paid_on"] for p in paid])
        spent, forecast, last_return = _plan_spend_returns(
            ctx,
            chunk,
            allocation,
            pennies,
            net,
            fy,
            running=status in ("active", "closing") and last_grant,
            settled=status == "closed",
        )
        # The balance the money services keep, equal to the rows above.
        chunk.row(
            AllocationBalance,
            allocation_id=allocation,
            paid=sum((p["amount"] for p in paid), Decimal("0.00")),
            recovered=sum((p["amount"] for p in payments if p not in paid), Decimal("0.00")),
            released=Decimal("0.00"),
            committed=_pounds(committed.get(id(allocation), 0)),
            spent=_pounds(spent),
            forecast=_pounds(forecast),
            # Every generated row is illustrative, and every allocation has its four spend returns.
            invented_paid=bool(payments),
            invented_committed=id(allocation) in committed,
            invented_spent=True,
            updated_at=max([last_return] + [p["recorded_at"] for p in payments]),
        )
    return last_paid


def _submission(chunk, milestone, day, submitter):
    chunk.add(
        MilestoneSubmission(
            milestone=milestone,
            narrative="Delivered as planned: the evidence is held by the council (generated).",
            submitted_by=submitter,
            submitted_at=_at(day, 11),
        )
    )


def _review(chunk, decision, day, officer):
    submission = chunk.rows[MilestoneSubmission][-1]
    chunk.row(
        MilestoneReview,
        submission_id=submission,
        decision=decision,
        reason=RETURN_REASON if decision == "returned" else "",
        reviewed_by_id=officer,
        reviewed_at=_at(day, 15),
    )


def _payment(ctx, chunk, allocation, pennies, paid_on, *, milestone=None, advance=False, recovery=False):
    ctx.payment_number += 1
    if recovery:
        note = "Underspend recovered after the year end."
    elif milestone is not None and not advance:
        note = "Released by the accepted milestone."
    else:
        note = "Scheduled payment."
    recorded_at = _at(paid_on, 11)
    late = not recovery and paid_on > allocation.grant.planned_end
    payment = chunk.row(
        Payment,
        allocation_id=allocation,
        kind=Payment.Kind.RECOVERY if recovery else Payment.Kind.PAYMENT,
        amount=_pounds(pennies),
        paid_on=paid_on,
        milestone_id=milestone,
        in_advance=advance,
        advance_reason=ADVANCE_REASON if advance else "",
        reference=f"GEN{ctx.seed}-P{ctx.payment_number:08d}",
        note=note,
        recovery_reason=RecoveryReason.UNDERSPEND if recovery else "",
        late_reason=LATE_REASON if late else "",
        recorded_by_id=ctx.finance,
        recorded_at=recorded_at,
        illustrative=True,
    )
    chunk.remember(Payment, payment, [(recorded_at, ctx.finance, "+", REASON, {})])
    return payment


def _plan_spend_returns(ctx, chunk, allocation, pennies, net, fy, *, running: bool, settled: bool):
    """Four quarters that spend at most what was paid (of a closed project, exactly what was
    paid: its money is settled); the forecast is what is left of the spending plus part of
    what will not be spent. Returns (spent, the last quarter's forecast, when the last return
    was submitted or reviewed), in pennies."""
    rng = ctx.rng
    spent_total = _fraction(net, rng.uniform(0.75, 1.0))
    if settled:
        spent_total = net
    weights = [rng.uniform(0.15, 0.35) for _ in range(4)]
    shares = [int(spent_total * w / sum(weights)) for w in weights[:3]]
    shares.append(spent_total - sum(shares))
    unspent = pennies - spent_total
    submitter = ctx.users[allocation.recipient.pk]
    # The last return of a grant still running awaits the officer's review.
    awaiting = running and fy.end == allocation.grant.planned_end
    so_far = 0
    for quarter, spent in enumerate(shares, start=1):
        so_far += spent
        forecast = 0 if quarter == 4 else spent_total - so_far + _fraction(unspent, rng.uniform(0, 0.5))
        submitted = fy.quarter(quarter).end + dt.timedelta(days=rng.randint(10, 30))
        reviewed = None if awaiting and quarter == 4 else submitted + dt.timedelta(days=rng.randint(5, 20))
        submitted_at, reviewed_at = _at(submitted, 10), _at(reviewed, 16) if reviewed else None
        spend_return = chunk.row(
            SpendReturn,
            allocation_id=allocation,
            quarter=quarter,
            spent=_pounds(spent),
            forecast=_pounds(forecast),
            comment="Recruitment started late, so part of the year's money will not be spent."
            if quarter == 4 and unspent > pennies // 5
            else "",
            status=SpendReturn.Status.REVIEWED if reviewed else SpendReturn.Status.SUBMITTED,
            submitted_by_id=submitter,
            submitted_at=submitted_at,
            reviewed_by_id=ctx.officer if reviewed else None,
            reviewed_at=reviewed_at,
            illustrative=True,
        )
        steps = [
            (submitted_at, submitter, "+", REASON, {"status": "submitted", "reviewed_by_id": None, "reviewed_at": None})
        ]
        if reviewed:
            steps.append((reviewed_at, ctx.officer, "~", "", {}))
        chunk.remember(SpendReturn, spend_return, steps)
    return spent_total, forecast, reviewed_at or submitted_at
