"""The programme board pack: one PDF that tells a programme board where the
money, the work and the evidence stood at the end of a chosen day.

Five sections, each built from the module that owns its figures rather than
summed again here, and each as recorded by the end of the day:

- the spending summary by financial year and in total: the spending report
  (``reports/spending.py``) as at the day, whose figures are grants.money's
  "as at" figures (payments made and recorded by then, spend returns submitted
  by then, allocations and awards as their history had them, and nothing from a
  financial year starting after the day);
- reconciliation: the checks of ``grants/reconciliation.py`` run over the money
  as recorded then, so a board reading an old pack sees what it could have seen;
- milestones overdue on the day: due before it and, by the milestone's status
  history, not delivered on it;
- projects by RAG rating, red first: those running or to come on the day (by
  their status history), each with the rating its audit history had then;
- the impact summary (``reports/impact.py``), stronger evidence apart from weaker.

The number of queries is fixed, however many projects there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, OuterRef, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Role, User
from accounts.permissions import PROGRAMME_READERS, role_required
from audit.downloads import recorded
from core.pdf import html_to_pdf, pdf_response, render_pdf_html
from downloads.models import ExportJob
from downloads.tasks import background_job
from evaluations.models import Judgement
from grants import as_recorded
from grants.models import Programme
from grants.reconciliation import find_discrepancies
from projects.models import Milestone, MilestoneStatusChange, Project, ProjectStatusChange
from reports.forms import BoardPackForm
from reports.impact import GroupPage, Row, page_of_report, results_for
from reports.spending import SpendingReport
from reports.spending_filters import SpendingFilters
from reports.spending_rows import FINANCIAL_YEAR

TITLE = "Programme board pack"
PDF_TEMPLATE = "pdf/board_pack.html"
LIST_LIMIT = 100


# --- Milestones, as at a day ----------------------------------------------------


@dataclass(frozen=True)
class LateMilestone:
    milestone: Milestone
    status: str  # on the day
    days: int

    @property
    def status_label(self) -> str:
        return Milestone.Status(self.status).label


def status_on(day: dt.date, changes) -> Coalesce:
    """An object's status at the end of ``day``, from its status history ``changes``
    (the history rows of the outer row): the last change by then, or, when every
    change came later, the status the first of them moved from (empty when the
    object did not yet exist). An object with no history has always had its present status."""
    end = as_recorded.end_of_day(day)
    return Coalesce(
        Subquery(changes.filter(changed_at__lt=end).order_by("-changed_at", "-pk").values("new_status")[:1]),
        Subquery(changes.filter(changed_at__gte=end).order_by("changed_at", "pk").values("old_status")[:1]),
        "status",
    )


@dataclass(frozen=True)
class LateMilestones:
    """Milestones past their due date on a day, in two lists (the first ``limit`` of each, most overdue first) and
    how many there are of each: still open (planned, or returned for more evidence) and awaiting review."""

    overdue: list[LateMilestone]
    overdue_count: int
    awaiting_review: list[LateMilestone]
    awaiting_review_count: int


def milestones_late_on(as_at: dt.date, limit: int) -> LateMilestones:
    """Milestones due before the day and not accepted on it (by their status history), most overdue first: each
    numbered and counted among those with its status on the day, in one query, and only the first ``limit`` of each
    status built (the first ``limit`` of the open ones are among the first of each open status)."""
    status_then = F("status_then")
    order = [F("due_date").asc(), F("project__reference").asc(), F("pk").asc()]
    rows = (
        Milestone.objects.filter(due_date__lt=as_at)
        .annotate(status_then=status_on(as_at, MilestoneStatusChange.objects.filter(milestone=OuterRef("pk"))))
        .filter(status_then__in=[*Milestone.OPEN_STATUSES, Milestone.Status.SUBMITTED])
        .annotate(
            position=Window(RowNumber(), partition_by=[status_then], order_by=order),
            of_status=Window(Count("pk"), partition_by=[status_then]),
        )
        .filter(position__lte=limit)
        .select_related("project", "organisation")
        .order_by(*order)
    )
    counts, overdue, awaiting = {}, [], []
    for row in rows:
        counts[row.status_then] = row.of_status
        late = LateMilestone(row, row.status_then, (as_at - row.due_date).days)
        (awaiting if row.status_then == Milestone.Status.SUBMITTED else overdue).append(late)
    return LateMilestones(
        overdue[:limit],
        sum(counts.get(status, 0) for status in Milestone.OPEN_STATUSES),
        awaiting,
        counts.get(Milestone.Status.SUBMITTED, 0),
    )


# --- Projects by RAG rating -----------------------------------------------------

RAG_ORDER = [Project.Rag.RED, Project.Rag.AMBER, Project.Rag.GREEN, ""]
RAG_LABELS = {**dict(Project.Rag.choices), "": "Not rated"}
LIVE = [Project.Status.PROPOSED, Project.Status.ACTIVE, Project.Status.CLOSING]
FINISHED = [Project.Status.CLOSED, Project.Status.WITHDRAWN]


@dataclass(frozen=True)
class RagGroup:
    rag: str
    label: str
    projects: list[Project]


def rating_on(day: dt.date, field: str) -> Subquery:
    """A project's ``field`` of its RAG rating (rag, rag_reason, rag_updated_at) at the end of ``day``, from
    its audit history: the last change recorded by then; none when it had no record yet."""
    recorded = Project.history.filter(id=OuterRef("pk"), history_date__lt=as_recorded.end_of_day(day))
    return Subquery(recorded.order_by("-history_date", "-history_id").values(field)[:1])


def projects_by_rag(as_at: dt.date) -> tuple[list[RagGroup], int]:
    """Projects proposed, active or closing on the day (by their status history), by the RAG
    rating they had then (by their audit history), red first; and how many had closed or
    been withdrawn by then. Each project carries ``status_then``, ``rag_then``,
    ``rag_reason_then`` and ``rag_updated_then``.
    """
    projects = Project.objects.annotate(
        status_then=status_on(as_at, ProjectStatusChange.objects.filter(project=OuterRef("pk")))
    )
    order = Case(
        *(When(rag_then=rag, then=Value(n)) for n, rag in enumerate(RAG_ORDER)),
        default=Value(len(RAG_ORDER) - 1),
        output_field=IntegerField(),
    )
    live = list(
        projects.filter(status_then__in=LIVE)
        .annotate(
            rag_then=Coalesce(rating_on(as_at, "rag"), Value("")),
            rag_reason_then=rating_on(as_at, "rag_reason"),
            rag_updated_then=rating_on(as_at, "rag_updated_at"),
        )
        .select_related("lead_organisation")
        .order_by(order, "reference")
    )
    groups = [
        RagGroup(rag, RAG_LABELS[rag], [project for project in live if project.rag_then == rag]) for rag in RAG_ORDER
    ]
    return groups, projects.filter(status_then__in=FINISHED).count()


# --- The impact summary ---------------------------------------------------------


@dataclass(frozen=True)
class ImpactSummary:
    """The programme's impact report as the pack lists it: per strength of evidence (stronger, weaker, not rated)
    its first ``LIST_LIMIT`` results in the report's order and how many there are, fetched in the database."""

    pages: list[GroupPage]

    @property
    def groups(self) -> list[tuple[str, str, list[Row]]]:
        """(strength, label, rows listed) of each strength with results, as ``ImpactReport.groups``."""
        return [(page.strength, page.label, page.rows) for page in self.pages]


def impact_summary(user) -> tuple[ImpactSummary, list]:
    """The programme's impact report without its money (spend there is not "as at" the day),
    and per evidence strength how many results improved, worsened, stayed the same or await follow-up,
    counted in the database."""
    results = results_for(user)
    report = page_of_report(results, user=user, show_money=False, per_page=LIST_LIMIT, pages=QueryDict())
    # A comparison group's figure is not a result of the projects: it is not counted as one.
    counted = results.filter(comparison_group="").with_judgement().order_by()
    counts = {
        (row["evidence_strength"], row["judged"]): row["count"]
        for row in counted.values("evidence_strength", "judged").annotate(count=Count("pk"))
    }
    tallies = []
    for page in report.groups:
        short = page.label.split(":")[0]  # "Stronger evidence", without how it is defined (said above the table)
        tallies.append(
            (
                page.strength,
                short,
                [(judgement.label, counts.get((page.strength, judgement.value), 0)) for judgement in Judgement],
            )
        )
    return ImpactSummary(report.groups), tallies


# --- The pack -------------------------------------------------------------------


def programme_reader() -> User:
    """Who a board pack built without a request reads as: a viewer, who sees the whole programme."""
    return User(role=Role.VIEWER, is_active=True)


def discrepancies_with_projects(as_at: dt.date) -> list[tuple]:
    """Every discrepancy as at the day with its grant's project, fetched in one query whatever their number."""
    discrepancies = find_discrepancies(as_at=as_at)
    projects = Project.objects.in_bulk({discrepancy.grant.project_id for discrepancy in discrepancies})
    return [(discrepancy, projects[discrepancy.grant.project_id]) for discrepancy in discrepancies]


def board_pack_context(as_at: dt.date, user=None) -> dict:
    """Everything the board pack shows, as at the end of ``as_at``; ``user`` must see the whole programme."""
    user = user or programme_reader()
    spending = SpendingReport(user, SpendingFilters(as_at=as_at), FINANCIAL_YEAR)
    late = milestones_late_on(as_at, LIST_LIMIT)
    rag_groups, finished = projects_by_rag(as_at)
    impact, impact_tallies = impact_summary(user)
    return {
        "title": TITLE,
        "as_at": as_at,
        "generated_at": timezone.localtime(),
        "programmes": list(Programme.objects.order_by("name").values_list("name", flat=True)),
        "spending": spending,
        "years": spending.years,
        "totals": spending.totals,
        "discrepancies": discrepancies_with_projects(as_at),
        "overdue": late.overdue,
        "overdue_count": late.overdue_count,
        "awaiting_review": late.awaiting_review,
        "awaiting_review_count": late.awaiting_review_count,
        "rag_groups": rag_groups,
        "rag_count": sum(len(group.projects) for group in rag_groups),
        "finished_projects": finished,
        "impact": impact,
        "impact_tallies": impact_tallies,
        # A pack a board can read: each list shows at most this many rows, the counts
        # stay whole. At national scale the full lists run to thousands of rows.
        "list_limit": LIST_LIMIT,
        "list_limit_slice": f":{LIST_LIMIT}",
        "list_limit_negative": -LIST_LIMIT,
    }


def build_board_pack_pdf(as_at: dt.date, user=None) -> bytes:
    """The board pack as PDF bytes, for a benchmark or a command.

    The context is let go once it is rendered, before WeasyPrint lays the pages out: held (as
    ``render_pdf(PDF_TEMPLATE, context)`` holds it), its hundreds of thousands of objects were walked by
    every full garbage collection of the layout, about a second at N = 1,000."""
    return html_to_pdf(render_pdf_html(PDF_TEMPLATE, board_pack_context(as_at, user)))


# --- The page -------------------------------------------------------------------


@require_GET
@role_required(*PROGRAMME_READERS)
def board_pack(request):
    """The form; with a date chosen, the PDF."""
    if "date" not in request.GET:
        form = BoardPackForm(initial={"date": timezone.localdate()})
        return render(request, "reports/board_pack_form.html", {"form": form})
    form = BoardPackForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/board_pack_form.html", {"form": form}, status=400)
    as_at = form.cleaned_data["date"]
    size = Project.objects.count()
    if size > settings.EXPORT_IN_REQUEST_ROWS["pdf"]:  # too slow for a request: the worker makes it
        params = {"date": as_at.isoformat()}
        job = background_job(request.user, ExportJob.Kind.BOARD_PACK_PDF, size=size, params=params)
        return redirect("downloads:job", job_pk=job.pk)
    response = pdf_response(
        PDF_TEMPLATE, board_pack_context(as_at, request.user), f"board-pack-{as_at:%Y-%m-%d}.pdf", request=request
    )
    return recorded(request, response, description=f"{TITLE} as at {as_at:%-d %B %Y} (PDF)")
