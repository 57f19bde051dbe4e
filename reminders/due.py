"""What is due on a day: the reminders `manage.py send_reminders` sends.

Each finder reads the domain for one day ``today`` and returns the messages it owes, as ``Reminder``s:
who, which kind, the key that makes it send once, and the names, dates, amounts and link its text
needs. A finder runs a fixed number of queries however many rows it finds; the fan-out to each
person is done in Python over rows already read.

Windows (days from ``today`` to the due date): 4 to 14 days is "due in 14 days", 0 to 3 "due in 3
days", and past it "overdue". They do not overlap, so a run after a gap sends the one that applies
now, never a stale "14 days" for something due tomorrow. Each is sent once per thing and due date (the
key holds the date, so a deadline that moves is reminded of again); an overdue reminder is sent once,
not weekly: the dashboard lists what is overdue, and a required kind repeated weekly would be a nag no
one could switch off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from core.templatetags.govuk import money as pounds
from evaluations.models import Evaluation, OutcomeResult
from grants import spend_returns
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, SpendReturn
from grants.notices import LIST_LIMIT, spend_return_line
from grants.reconciliation import find_discrepancies
from notifications.catalogue import Kind
from notifications.services import absolute_url, name_of, people
from notifications.services import long_date as day
from projects.models import Milestone, MilestoneReview, Project
from projects.notices import milestone_line
from reports.outturn import forecast_outturn

DUE_SOON_DAYS = 14
DUE_VERY_SOON_DAYS = 3
ENDED = (Project.Status.CLOSED, Project.Status.WITHDRAWN)
ENDED_GRANT = (Grant.Status.CLOSED, Grant.Status.WITHDRAWN)
QUARTER_MONTHS = {1: "April to June", 2: "July to September", 3: "October to December", 4: "January to March"}


@dataclass(frozen=True)
class Reminder:
    user: User
    kind: Kind
    key: str
    personalisation: dict[str, str]


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def window(due: dt.date, today: dt.date) -> str | None:
    """Which reminder a deadline is in on ``today``: "due_14", "due_3", "overdue" or None (not yet, or
    missed longer ago than REMINDER_OVERDUE_DAYS)."""
    days = (due - today).days
    if days < -settings.REMINDER_OVERDUE_DAYS:
        return None
    if days < 0:
        return "overdue"
    if days <= DUE_VERY_SOON_DAYS:
        return "due_3"
    if days <= DUE_SOON_DAYS:
        return "due_14"
    return None


def _in_days(due: dt.date, today: dt.date) -> str:
    days = (due - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 0:
        return f"in {days} days"
    return f"{_plural(-days, 'day')} ago"


def _people(role: str) -> list[User]:
    return list(people(roles=[role]))


def _staff_by_organisation(organisation_ids) -> dict[int, list[User]]:
    """Grant-recipient users of each organisation: the people who deliver its milestones and returns."""
    staff = defaultdict(list)
    for user in people(roles=[Role.RECIPIENT]).filter(organisation__in=set(organisation_ids)):
        staff[user.organisation_id].append(user)
    return staff


def _greeting(user: User) -> dict[str, str]:
    return {"name": name_of(user)}


def _live_project(prefix: str) -> Q:
    """Rows whose project (at ``prefix``) has not closed or been withdrawn."""
    return ~Q(**{f"{prefix}status__in": ENDED})


# --- To council and lead-organisation staff -----------------------------------------------------


MILESTONE_KINDS = {
    "due_14": Kind.MILESTONE_DUE_14,
    "due_3": Kind.MILESTONE_DUE_3,
    "overdue": Kind.MILESTONE_OVERDUE,
}


def milestones_due(today: dt.date) -> list[Reminder]:
    """Open milestones (planned, or returned for more evidence) of live projects and grants, due within 14
    days or overdue, to the staff of the organisation that delivers each. Two queries."""
    milestones = (
        (
            Milestone.objects.overdue(today).filter(
                due_date__gte=today - dt.timedelta(days=settings.REMINDER_OVERDUE_DAYS)
            )
            | Milestone.objects.due_within(DUE_SOON_DAYS, today)
        )
        .filter(_live_project("project__"))
        .filter(Q(allocation__isnull=True) | ~Q(allocation__grant__status__in=ENDED_GRANT))
        .select_related("project", "organisation")
        .order_by("due_date", "pk")
    )
    milestones = list(milestones)
    staff = _staff_by_organisation(m.organisation_id for m in milestones)
    found = []
    for milestone in milestones:
        which = window(milestone.due_date, today)
        details = {
            "milestone": milestone.title,
            "project": milestone.project.title,
            "organisation": milestone.organisation.name,
            "due_date": day(milestone.due_date),
            "when": _in_days(milestone.due_date, today),
            "status": milestone.get_status_display().lower(),
            "payment": pounds(milestone.payment_amount) if milestone.payment_amount else "",
            "link": absolute_url(reverse("projects:milestone", kwargs={"milestone_pk": milestone.pk})),
        }
        key = f"milestone:{milestone.pk}:{which}:{milestone.due_date:%Y-%m-%d}"
        for user in staff[milestone.organisation_id]:
            found.append(Reminder(user, MILESTONE_KINDS[which], key, {**_greeting(user), **details}))
    return found


SPEND_RETURN_KINDS = {
    "due_14": Kind.SPEND_RETURN_DUE_14,
    "due_3": Kind.SPEND_RETURN_DUE_3,
    "overdue": Kind.SPEND_RETURN_OVERDUE,
}


def spend_returns_due(today: dt.date) -> list[Reminder]:
    """Each spend return owed (grants.spend_returns.owed: a quarter of a live allocation's year within the
    grant and the project, with no return made): its recipient's staff are reminded 14 and 3 days before it
    is due and once when it is overdue. Two queries."""
    # A quarter is a candidate once its due date is no more than 14 days away.
    owed = [
        (owed_return.allocation, owed_return.quarter, owed_return.due, which)
        for owed_return in spend_returns.owed(Allocation.objects.all(), due_by=today + dt.timedelta(days=DUE_SOON_DAYS))
        if (which := window(owed_return.due, today))
    ]
    staff = _staff_by_organisation(allocation.recipient_id for allocation, *_ in owed)
    found = []
    for allocation, quarter, due, which in owed:
        details = {
            "organisation": allocation.recipient.name,
            "project": allocation.grant.project.title,
            "grant": allocation.grant.title,
            "financial_year": str(allocation.financial_year),
            "quarter": f"Q{quarter.number} of {allocation.financial_year} "
            f"({QUARTER_MONTHS[quarter.number]} {quarter.start.year})",
            "quarter_end": day(quarter.end),
            "due_date": day(due),
            "when": _in_days(due, today),
            "allocated": pounds(allocation.amount),
            "link": absolute_url(reverse("grants:spend-return-create", kwargs={"allocation_pk": allocation.pk})),
        }
        key = f"spend_return:{allocation.pk}:q{quarter.number}:{which}:{due:%Y-%m-%d}"
        for user in staff[allocation.recipient_id]:
            found.append(Reminder(user, SPEND_RETURN_KINDS[which], key, {**_greeting(user), **details}))
    return found


# --- To programme officers --------------------------------------------------------------------


def _lines(rows, more: int, where: str) -> str:
    lines = [f"- {row}" for row in rows]
    if more:
        lines.append(f"- and {more:,} more: {where}")
    return "\n".join(lines)


def submissions_waiting(today: dt.date) -> list[Reminder]:
    """Milestone evidence and spend returns submitted and not yet reviewed: one list a day to each programme
    officer, while there are any. Five queries."""
    officers = _people(Role.OFFICER)
    milestones = (
        Milestone.objects.filter(status=Milestone.Status.SUBMITTED)
        .annotate(submitted_at=Max("submissions__submitted_at"))
        .select_related("project", "organisation")
        .order_by("submitted_at", "pk")
    )
    returns = (
        SpendReturn.objects.filter(status=SpendReturn.Status.SUBMITTED)
        .select_related("allocation__recipient", "allocation__grant__project")
        .order_by("submitted_at", "pk")
    )
    milestone_count, return_count = milestones.count(), returns.count()
    if not officers or not milestone_count + return_count:
        return []
    shown_milestones = list(milestones[:LIST_LIMIT])
    shown_returns = list(returns[: max(LIST_LIMIT - len(shown_milestones), 0)])
    dashboard = absolute_url(reverse("projects:dashboard"))
    milestone_lines = [milestone_line(m, submitted_at=m.submitted_at) for m in shown_milestones]
    return_lines = [spend_return_line(r) for r in shown_returns]
    details = {
        "date": day(today),
        "count": str(milestone_count + return_count),
        "milestone_count": _plural(milestone_count, "milestone submission"),
        "return_count": _plural(return_count, "spend return"),
        "milestones": _lines(milestone_lines, milestone_count - len(shown_milestones), dashboard),
        "returns": _lines(return_lines, return_count - len(shown_returns), "on each allocation's page"),
        "link": dashboard,
    }
    key = f"waiting:{today:%Y-%m-%d}"
    return [Reminder(user, Kind.SUBMISSION_WAITING, key, {**_greeting(user), **details}) for user in officers]


def grants_off_forecast(today: dt.date) -> list[Reminder]:
    """Grants projected to end the financial year of ``today`` under- or overspent past the thresholds, as the
    dashboard's forecast outturn (reports/outturn.py) works them out: one message for each grant, year and
    direction, to each programme officer, sent when the grant is first flagged. Two queries."""
    officers = _people(Role.OFFICER)
    if not officers:
        return []
    year = FinancialYear.of(today)
    # Officers see the whole programme, so any of them stands for all in the scoped query.
    outturn = forecast_outturn(officers[0], year=year, limit=None)
    found = []
    for row in outturn.grants:
        flag = row.flag.lower()
        details = {
            "grant": row.grant.title,
            "project": row.grant.project.title,
            "financial_year": str(year),
            "direction": flag,
            "allocated": pounds(row.allocated),
            "spent": pounds(row.spent),
            "forecast": pounds(row.forecast),
            "outturn": pounds(row.outturn),
            "variance": pounds(abs(row.variance)),
            "percent": f"{abs(row.percent)}%",
            "threshold": f"{outturn.thresholds.underspend if flag == 'underspend' else outturn.thresholds.overspend}%",
            "link": absolute_url(reverse("grants:detail", kwargs={"grant_pk": row.grant.pk})),
        }
        key = f"grant:{row.grant.pk}:{year}:{flag}"
        found.extend(Reminder(user, Kind.GRANT_VARIANCE, key, {**_greeting(user), **details}) for user in officers)
    return found


def reconciliation_differences(today: dt.date) -> list[Reminder]:
    """The reconciliation's differences that need action (grants/reconciliation.py): one list to each programme
    officer for each new set of differences (the key is a digest of them), so an unchanged set is not sent
    again every day and a changed one is sent at once."""
    officers = _people(Role.OFFICER)
    if not officers:
        return []
    differences = [d for d in find_discrepancies() if d.needs_action]
    if not differences:
        return []
    digest = hashlib.sha256(
        "\n".join(
            f"{d.grant.pk}:{d.kind}:{d.allocation.pk if d.allocation else ''}:{d.expected}:{d.actual}"
            for d in differences
        ).encode()
    ).hexdigest()[:16]
    grants = len({d.grant.pk for d in differences})
    details = {
        "date": day(today),
        "count": _plural(len(differences), "difference"),
        "grant_count": _plural(grants, "grant"),
        "differences": _lines(
            [f"{d.grant.title}: {d.message}" for d in differences[:LIST_LIMIT]],
            max(len(differences) - LIST_LIMIT, 0),
            "on the reconciliation page",
        ),
        "link": absolute_url(reverse("grants:reconciliation")),
    }
    key = f"reconciliation:{digest}"
    return [Reminder(user, Kind.RECONCILIATION_DIFFERENCES, key, {**_greeting(user), **details}) for user in officers]


# --- To finance officers ----------------------------------------------------------------------


def payments_waiting(today: dt.date) -> list[Reminder]:
    """Each milestone accepted and waiting for its payment, once, to each finance officer. Two queries."""
    finance = _people(Role.FINANCE)
    if not finance:
        return []
    accepted_at = (
        MilestoneReview.objects.filter(submission__milestone=OuterRef("pk"), decision=MilestoneReview.Decision.ACCEPTED)
        .order_by("-reviewed_at")
        .values("reviewed_at")[:1]
    )
    milestones = (
        Milestone.objects.waiting_for_payment()
        .annotate(accepted_at=Subquery(accepted_at))
        .select_related("project", "allocation__recipient")
        .order_by("pk")
    )
    found = []
    for milestone in milestones:
        details = {
            "milestone": milestone.title,
            "project": milestone.project.title,
            "organisation": milestone.allocation.recipient.name,
            "amount": pounds(milestone.payment_amount),
            "financial_year": str(milestone.allocation.financial_year),
            "accepted_on": day(timezone.localdate(milestone.accepted_at)) if milestone.accepted_at else "",
            "link": absolute_url(reverse("grants:milestone-pay", kwargs={"milestone_pk": milestone.pk})),
        }
        key = f"milestone:{milestone.pk}:payment_waiting"
        found.extend(Reminder(user, Kind.PAYMENT_WAITING, key, {**_greeting(user), **details}) for user in finance)
    return found


# --- To evaluators ----------------------------------------------------------------------------


def results_due(today: dt.date) -> list[Reminder]:
    """Outcome results whose follow-up period has ended without a follow-up value, on evaluations not yet
    final, to the evaluators assigned to each: one message per evaluation and follow-up end, once. Two
    queries."""
    results = list(
        OutcomeResult.objects.filter(followup_value__isnull=True, followup_period_end__lt=today)
        .exclude(evaluation__status=Evaluation.Status.FINAL_PUBLISHED)
        .select_related("evaluation", "measure", "authority")
        .order_by("evaluation", "followup_period_end", "measure__name", "pk")
    )
    grouped = defaultdict(list)
    for result in results:
        grouped[(result.evaluation, result.followup_period_end)].append(result)
    evaluators = defaultdict(list)
    assigned = Evaluation.evaluators.through.objects.filter(
        evaluation__in={result.evaluation_id for result in results},
        user__in=people(roles=[Role.EVALUATOR]),
    ).select_related("user__message_preference")
    for row in assigned.order_by("user"):
        evaluators[row.evaluation_id].append(row.user)
    found = []
    for (evaluation, ended), rows in grouped.items():
        details = {
            "evaluation": evaluation.title,
            "period_end": day(ended),
            "count": _plural(len(rows), "result"),
            "results": _lines(
                [
                    f"{r.measure.name}, {r.where} (follow-up {day(r.followup_period_start)} to {day(ended)})"
                    for r in rows
                ],
                0,
                "",
            ),
            "link": absolute_url(reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk})),
        }
        key = f"evaluation:{evaluation.pk}:results_due:{ended:%Y-%m-%d}"
        found.extend(
            Reminder(user, Kind.RESULTS_DUE, key, {**_greeting(user), **details}) for user in evaluators[evaluation.pk]
        )
    return found


FINDERS = [
    milestones_due,
    spend_returns_due,
    submissions_waiting,
    grants_off_forecast,
    reconciliation_differences,
    payments_waiting,
    results_due,
]


def everything_due(today: dt.date) -> list[Reminder]:
    return [reminder for finder in FINDERS for reminder in finder(today)]
