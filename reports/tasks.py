"""What waits for each role: the task list a signed-in user's home page opens on (issue 20).

Each task is a count and a link to the list that shows those rows. The count is read from the same
scoped queryset as that list (``for_user``, and for a recipient the milestones its own organisation
delivers), so the number on the home page is the number of rows the list shows. Each role's counts
are a fixed number of queries however large the programme: a few aggregates, no rows (the officers'
reconciliation check too, whose queries do not grow with the programme either)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse

from accounts.models import Role
from evaluations.models import Evaluation, EvaluationReport, OutcomeResult
from grants import spend_returns
from grants.models import Allocation, SpendReturn, Variation
from grants.views import reconciliation_differences
from projects.models import Milestone


@dataclass(frozen=True)
class Task:
    title: str
    count: int
    url: str
    hint: str = ""


def _explained(count: int) -> str:
    listed = "Grants whose figures do not add up."
    if count:
        listed += f" {count:,} more {'is' if count == 1 else 'are'} listed as expected, explained by an officer."
    return listed


def _anchor(name: str, caption: str) -> str:
    """A link to one table of a page, by its caption's id (templates/projects/_milestone_rows.html)."""
    return f"{reverse(name)}#{caption}-caption"


def _officer(user, today) -> list[Task]:
    # The reconciliation page's own answer, shared with it and kept for a minute at most (grants/views.py).
    differences = reconciliation_differences(user)
    milestones = Milestone.objects.for_user(user).aggregate(
        submitted=Count("pk", filter=Q(status=Milestone.Status.SUBMITTED)),
        overdue=Count("pk", filter=Q(status__in=Milestone.OPEN_STATUSES, due_date__lt=today)),
    )
    return [
        Task(
            "Milestone evidence to review",
            milestones["submitted"],
            _anchor("projects:dashboard", "submissions-waiting-for-review"),
            "Accept it, releasing the milestone’s payment, or return it with what to change.",
        ),
        Task(
            "Spend returns to review",
            SpendReturn.objects.for_user(user).filter(status=SpendReturn.Status.SUBMITTED).count(),
            reverse("spend-returns-to-review"),
            "Quarterly statements of money spent and forecast.",
        ),
        Task(
            "Variations waiting for approval",
            Variation.objects.for_user(user).pending().count(),
            reverse("grants:variations"),
            "Changes to awards and allocations that need a second officer.",
        ),
        Task(
            "Overdue milestones",
            milestones["overdue"],
            _anchor("projects:dashboard", "overdue-milestones"),
            "Past their due date with no evidence accepted or waiting.",
        ),
        # Only the differences someone must put right wait; those an officer explained (money left
        # unallocated on purpose) are listed on the page, not counted here.
        Task(
            "Reconciliation differences to put right",
            sum(d.needs_action for d in differences),
            reverse("grants:reconciliation"),
            _explained(len(differences) - sum(d.needs_action for d in differences)),
        ),
    ]


def _finance(user, today) -> list[Task]:
    return [
        Task(
            "Payments waiting",
            Milestone.objects.for_user(user).waiting_for_payment().count(),
            reverse("grants:payments-waiting"),
            "Accepted milestones whose payment has not been recorded.",
        )
    ]


# A return is listed as due once it is due within this many days, as the reminders count it.
RETURNS_DUE_WITHIN_DAYS = 14


def spend_returns_due(user, today) -> list[spend_returns.OwedReturn]:
    """The spend returns due within 14 days or overdue that ``user`` sees: those their own organisation owes
    (a lead sees its partners' allocations, but each organisation accounts for its own spending), or for funder
    staff every one the programme is owed. One query."""
    allocations = Allocation.objects.for_user(user)
    if user.is_recipient:
        allocations = allocations.filter(recipient_id=user.organisation_id)
    return spend_returns.owed(allocations, due_by=today + dt.timedelta(days=RETURNS_DUE_WITHIN_DAYS))


def _recipient(user, today) -> list[Task]:
    owed = spend_returns_due(user, today)
    own = (
        Milestone.objects.submittable_by(user)
        .filter(status__in=Milestone.OPEN_STATUSES)
        .aggregate(
            open=Count("pk"),
            returned=Count("pk", filter=Q(status=Milestone.Status.RETURNED)),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
        )
    )
    return [
        Task(
            "Milestones that need your evidence",
            own["open"],
            _anchor("projects:yours", "milestones-that-need-your-evidence"),
            f"{own['returned']} returned for changes, {own['overdue']} overdue.",
        ),
        Task(
            "Spend returns due",
            len(owed),
            reverse("spend-returns-due"),
            f"Quarterly returns due in the next {RETURNS_DUE_WITHIN_DAYS} days, {sum(o.due < today for o in owed)} overdue.",
        ),
    ]


def _evaluator(user, today) -> list[Task]:
    assigned = Evaluation.objects.for_user(user).filter(
        pk__in=Evaluation.evaluators.through.objects.filter(user=user).values("evaluation")
    )
    missing = assigned.annotate(
        has_results=Exists(OutcomeResult.objects.filter(evaluation=OuterRef("pk"))),
        has_reports=Exists(EvaluationReport.objects.filter(evaluation=OuterRef("pk"))),
    ).aggregate(
        results=Count("pk", filter=Q(has_results=False)),
        reports=Count("pk", filter=Q(has_reports=False)),
    )
    yours = _anchor("evaluations:yours", "evaluations")
    return [
        Task(
            "Evaluations with no outcome results", missing["results"], yours, "Record baseline, target and follow-up."
        ),
        Task("Evaluations with no report uploaded", missing["reports"], yours, "Upload interim or final findings."),
    ]


def _viewer(user, today) -> list[Task]:
    return [
        Task(
            "Evaluation reports to read",
            EvaluationReport.objects.for_user(user).count(),
            reverse("evaluations:list"),
            "Interim and final findings uploaded by evaluators.",
        )
    ]


TASKS = {
    Role.OFFICER: _officer,
    Role.ADMIN: _officer,
    Role.FINANCE: _finance,
    Role.RECIPIENT: _recipient,
    Role.EVALUATOR: _evaluator,
    Role.VIEWER: _viewer,
}


def tasks_for(user, today: dt.date) -> list[Task]:
    """What waits for ``user`` on ``today``, in the order they would do it."""
    tasks = TASKS.get(user.role)
    return tasks(user, today) if tasks else []
