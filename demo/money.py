"""The demo's money: grants, allocations, milestones, payments, the recovery, spend returns
and the closure of settled projects, all through the services."""

import datetime as dt
from decimal import Decimal
from functools import partial

from django.utils import timezone

from accounts.models import Role
from demo.common import _advance, _at, _closed_on, _grant_path, _live_project, _project_events, _set_changed
from demo.money_records import (
    ADVANCE_PAYMENT,
    LAST_YEAR_RETURNED_QUARTERS,
    LATE_FINAL_PAYMENT,
    MILESTONES,
    QUARTER_SHARES,
    RECOVERY,
    SCHEDULED_PAYMENTS,
    UNDERSPENT,
)
from demo.records import PROJECT_DATA, PROJECTS, gbp
from grants import money
from grants.financial_year import FinancialYear
from grants.models import (
    Allocation,
    Grant,
    Payment,
    SpendReturn,
)
from grants.services import (
    record_payment,
    record_recovery,
    save_allocation,
    save_grant,
)
from grants.spend_returns import review_spend_return, submit_spend_return
from projects.models import (
    Milestone,
    MilestoneReview,
    Project,
)
from projects.services import close_project, review_milestone, save_milestone, submit_milestone


def _load_grant(project, round_, data, source, officer, clock) -> Grant:
    note = data.get("grant_note")
    values = {
        "recipient": project.lead_organisation,
        "title": data["title"],
        "description": f"{data['summary']}\n\n{note}" if note else data["summary"],
        "unallocated_reason": data.get("unallocated_reason", ""),
        "amount_awarded": data["amount"],
        "award_date": data["award_date"],
        "planned_start": data["start"],
        "planned_end": data["end"],
        # The amount and recipient are the source's; what is not is marked (records.PROJECTS).
        "source": source,
        "illustrative": data.get("amount_is_illustrative", False),
        "dates_are_illustrative": data.get("dates_are_illustrative", True),
    }
    grant = Grant.objects.filter(project=project, round=round_).order_by("pk").first()
    if grant is None:
        with clock.on(_at(data["award_date"])):
            grant = save_grant(grant=Grant(project=project, round=round_, **values), by=officer)
    elif _set_changed(grant, values):
        grant = save_grant(grant=grant, by=officer, reason="The demo's figures were corrected.")
    # A closed grant closes with its project, once the money is settled (_close_projects).
    path = [step for step in _grant_path(data) if step[0] != Grant.Status.CLOSED]
    _advance(grant, path, by=officer, clock=clock)
    return grant


def _load_allocation(grant, recipient, financial_year, resource, capital, purpose, *, by, when, clock) -> Allocation:
    values = {"resource": resource, "capital": capital, "purpose": purpose, "illustrative": True}
    allocation = Allocation.objects.filter(grant=grant, recipient=recipient, financial_year=financial_year).first()
    if allocation is None:
        with clock.on(when):
            allocation = save_allocation(
                grant=grant, recipient=recipient, financial_year=financial_year, by=by, **values
            )
    elif _set_changed(allocation, values):
        allocation = save_allocation(
            grant=grant,
            recipient=recipient,
            financial_year=financial_year,
            allocation=allocation,
            by=by,
            reason="The demo's figures were corrected.",
            **values,
        )
    return allocation


def _load_milestones(projects, allocations, organisations, users, clock):
    officer, finance = users["officer"], users["finance"]
    recipients = {user.organisation_id: user for user in users.values() if user.role == Role.RECIPIENT}
    for data in MILESTONES:
        project = projects[data["project"]]
        due = data["due"] if "due" in data else timezone.localdate() + dt.timedelta(days=data["due_in_days"])
        allocation = amount = None
        if "pay" in data:
            pounds, year, _, _ = data["pay"]
            amount = gbp(pounds)
            # Drawn from the milestone owner's own allocation under this project's grant.
            allocation = allocations[data["project"], data["organisation"], year]
        values = {
            "organisation": organisations[data["organisation"]],
            "due_date": due,
            "payment_amount": amount,
            "allocation": allocation,
            "illustrative": True,
        }
        milestone = Milestone.objects.filter(project=project, title=data["title"]).order_by("pk").first()
        if milestone is None:
            # Planned when the grant was awarded: its payment is committed from then on.
            with clock.on(_at(PROJECT_DATA[data["project"]]["award_date"], 11)):
                milestone = save_milestone(
                    milestone=Milestone(project=project, title=data["title"], **values), by=officer
                )
        elif _set_changed(milestone, values):
            # Only the milestone kept "due soon" changes, when the demo is loaded again another day.
            milestone = save_milestone(milestone=milestone, by=officer)
        if data["life"]:
            recipient = recipients[milestone.organisation_id]
            _live(milestone, data["life"], recipient=recipient, officer=officer, clock=clock)
        if "pay" in data and data["pay"][2]:
            _, _, paid_on, reference = data["pay"]
            # pay_milestone() with the illustrative mark, which it does not take.
            _record_once(
                {"milestone": milestone, "kind": Payment.Kind.PAYMENT},
                partial(
                    record_payment,
                    allocation=allocation,
                    amount=amount,
                    paid_on=paid_on,
                    by=finance,
                    milestone=milestone,
                    reference=reference,
                    note="Released by the accepted milestone.",
                    illustrative=True,
                ),
                on=paid_on,
                clock=clock,
            )


def _live(milestone, life, *, recipient, officer, clock):
    """Submit and review through the milestone workflow, in order. Steps already on
    record are left as they are, so a second run adds nothing."""
    for index, step in enumerate(life):
        submissions = list(milestone.submissions.order_by("submitted_at", "pk"))
        if index < len(submissions):
            submission = submissions[index]
        else:
            with clock.on(_at(step["submitted"])):
                submission = submit_milestone(milestone=milestone, by=recipient, narrative=step["narrative"])
        decision = next((d for d in MilestoneReview.Decision.values if d in step), None)
        if decision and not MilestoneReview.objects.filter(submission=submission).exists():
            with clock.on(_at(step[decision], hour=15)):
                review_milestone(milestone=milestone, by=officer, decision=decision, reason=step.get("reason", ""))


def _record_once(lookup: dict, record, *, on: dt.date, clock) -> Payment:
    """Record a payment or recovery on its day unless it is on record: money is never
    edited or deleted here, and the services refuse anything that breaks a money rule."""
    payment = Payment.objects.filter(**lookup).order_by("pk").first()
    if payment is None:
        with clock.on(_at(on)):
            payment = record()
    return payment


def _load_payments(allocations, users, clock):
    finance = users["finance"]
    for project, recipient, year, pounds, paid_on, reference in SCHEDULED_PAYMENTS:
        allocation = allocations[project, recipient, year]
        _record_once(
            {"allocation": allocation, "reference": reference},
            partial(
                record_payment,
                allocation=allocation,
                amount=gbp(pounds),
                paid_on=paid_on,
                by=finance,
                reference=reference,
                note="Scheduled payment.",
                illustrative=True,
            ),
            on=paid_on,
            clock=clock,
        )
    data = ADVANCE_PAYMENT
    allocation = allocations[data["project"], data["recipient"], data["year"]]
    _record_once(
        {"allocation": allocation, "reference": data["reference"]},
        partial(
            record_payment,
            allocation=allocation,
            amount=gbp(data["amount"]),
            paid_on=data["paid_on"],
            by=finance,
            in_advance=True,
            advance_reason=data["advance_reason"],
            reference=data["reference"],
            illustrative=True,
        ),
        on=data["paid_on"],
        clock=clock,
    )


def _pay_in_arrears(allocation, quarter: int, reference: str, *, by, clock) -> None:
    """Invented. Once a quarter's return is in, the funder pays what the recipient has
    spent and not yet been paid, so that spend never runs ahead of payments for long and
    `reconcile` lists only the demo's one deliberate discrepancy (Havering's £300,000 not
    yet allocated), today or as at any quarter's end. Never beyond the headroom: what a
    milestone still to be accepted will release stays committed to it, so that milestone
    can always be paid."""
    if allocation.payments.filter(reference=reference).exists():
        return
    figures = money.ledger_figures(allocation.pk)
    owed = min(figures.spent - figures.net_paid, figures.headroom)
    if owed <= 0:
        return
    year = allocation.financial_year
    paid_on = min(year.quarter(quarter).end + dt.timedelta(days=30), timezone.localdate())
    planned_end = allocation.grant.planned_end
    late = LATE_FINAL_PAYMENT.format(year=year, end=planned_end) if paid_on > planned_end else ""
    _record_once(
        {"allocation": allocation, "reference": reference},
        partial(
            record_payment,
            allocation=allocation,
            amount=owed,
            paid_on=paid_on,
            by=by,
            reference=reference,
            note=f"Paid in arrears against the spend return for Q{quarter}.",
            late_reason=late,
            illustrative=True,
        ),
        on=paid_on,
        clock=clock,
    )


def _load_recovery(allocations, users, clock):
    data = RECOVERY
    allocation = allocations[data["project"], data["recipient"], data["year"]]
    _record_once(
        {"allocation": allocation, "reference": data["reference"]},
        partial(
            record_recovery,
            allocation=allocation,
            amount=gbp(data["amount"]),
            paid_on=data["paid_on"],
            by=users["finance"],
            reason=data["note"],
            recovery_reason=data["recovery_reason"],
            reference=data["reference"],
            illustrative=True,
        ),
        on=data["paid_on"],
        clock=clock,
    )


def _return_quarters(data, year: int, last_year: int) -> tuple[list[int], list[int]]:
    """The quarters of ``year`` the project runs in (none ended before the award or starts
    after the project's end), and of those the quarters with a return on record."""
    fy = FinancialYear(year)
    running = [
        q for q in (1, 2, 3, 4) if fy.quarter(q).end >= data["award_date"] and fy.quarter(q).start <= data["end"]
    ]
    if data["round"] == 2 and year == last_year:
        return running, running[:LAST_YEAR_RETURNED_QUARTERS]
    return running, running


def _load_spend_returns(projects, allocations, users, clock):
    # Through the service, so that a return's quarter must fall within the grant's and the
    # project's dates. Most demo organisations have no user: a programme officer records
    # the returns they sent in, as the service allows. Each return is followed by the
    # payment in arrears it calls for.
    officer, finance = users["officer"], users["finance"]
    submitters = {user.organisation_id: user for user in users.values() if user.role == Role.RECIPIENT}
    last_year = {ref: max(year for (r, _, year) in allocations if r == ref) for ref in projects}
    for number, key in enumerate(sorted(allocations), start=1):
        ref, _, year = key
        allocation = allocations[key]
        data = PROJECT_DATA[ref]
        running, returned = _return_quarters(data, year, last_year[ref])
        # Work whose milestone payment is still committed is not yet spent: it stays in the
        # forecast, so spending never runs ahead of what the funder can pay.
        committed = money.ledger_figures(allocation.pk).committed
        figures = UNDERSPENT.get(key) or _even_spending(
            allocation.resource + allocation.capital, running, returned, not_yet_spent=committed
        )
        on_record = {r.quarter: r for r in allocation.spend_returns.all()}
        for quarter in returned:
            spend_return = on_record.get(quarter)
            end = FinancialYear(year).quarter(quarter).end
            if spend_return is None:
                spent, forecast, comment = figures[quarter]
                with clock.on(_at(end + dt.timedelta(days=21))):
                    spend_return = submit_spend_return(
                        allocation=allocation,
                        by=submitters.get(allocation.recipient_id, officer),
                        quarter=quarter,
                        spent=gbp(spent),
                        forecast=gbp(forecast),
                        comment=comment,
                    )
                    # submit_spend_return() takes no illustrative mark: the return, and its
                    # history, carry it as every invented figure does.
                    SpendReturn.objects.filter(pk=spend_return.pk).update(illustrative=True)
                    SpendReturn.history.filter(id=spend_return.pk).update(illustrative=True)
            _pay_in_arrears(
                allocation, quarter, f"CSCIP/{year % 100:02d}/S{number:03d}/Q{quarter}", by=finance, clock=clock
            )
            # The latest return of a project still running awaits the officer's review.
            awaiting = data["status"] != Project.Status.CLOSED and year == last_year[ref] and quarter == returned[-1]
            if not awaiting and spend_return.status == SpendReturn.Status.SUBMITTED:
                with clock.on(_at(end + dt.timedelta(days=35), hour=15)):
                    review_spend_return(spend_return=spend_return, by=officer)


def _even_spending(
    total: Decimal, running: list[int], returned: list[int], not_yet_spent: Decimal = Decimal("0.00")
) -> dict[int, tuple[Decimal, Decimal, str]]:
    # Spent in whole pounds; the year's last quarter spends what is left and the forecast
    # is what is left of the year, so spent + forecast is the allocation to the penny.
    figures, spent_so_far = {}, Decimal("0.00")
    spendable = total - not_yet_spent
    weight = sum(QUARTER_SHARES[quarter] for quarter in running)
    for quarter in returned:
        if quarter == running[-1]:
            spent = spendable - spent_so_far
        else:
            spent = (spendable * QUARTER_SHARES[quarter] / weight).quantize(Decimal("1"))
        spent_so_far += spent
        figures[quarter] = (spent, total - spent_so_far, "")
    return figures


def _close_projects(projects, grants, users, clock):
    """Close each project the story closes, through close_project, which checks that its
    money is settled; then its grant; then the project's ratings since."""
    officer = users["officer"]
    for data in PROJECTS:
        if data["status"] != Project.Status.CLOSED:
            continue
        project, grant = projects[data["reference"]], grants[data["reference"]]
        closes = _closed_on(data)
        if project.status == Project.Status.CLOSING:
            with clock.on(closes):
                close_project(project=project, by=officer, reason=data["closure_reason"])
        _advance(grant, _grant_path(data), by=officer, clock=clock)
        _live_project(project, data, [e for e in _project_events(data) if e[0] >= closes], by=officer, clock=clock)
