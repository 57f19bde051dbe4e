"""The programme board pack: one PDF that tells a programme board where the
money, the work and the evidence stand at the end of a chosen day.

Five sections, each built from the module that owns its figures rather than
summed again here:

- the spending summary by financial year and in total, from the spending
  report (``reports/spending.py``) read "as at" the day: payments made on or
  before it, spend returns for quarters that had ended by it, and each
  allocation's forecast from the latest of those returns;
- reconciliation (``grants/reconciliation.py``), which checks the records as they
  stand now, since a difference found today is one the board must hear about;
- milestones overdue on the day: due before it and, by the milestone's status
  history, not delivered on it;
- projects by RAG rating, red first: those running or to come on the day;
- the impact summary (``evaluations/impact.py``), stronger evidence apart from weaker.

The number of queries is fixed, however many projects there are.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django import forms
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Role, User
from accounts.permissions import PROGRAMME_READERS, role_required
from audit.models import DownloadRecord, record_download
from evaluations.impact import build_report, results_for
from evaluations.models import Judgement
from grants.financial_year import FIRST_YEAR, FinancialQuarter, FinancialYear
from grants.models import Grant, Programme, SpendReturn
from grants.reconciliation import find_discrepancies
from projects.models import Milestone, MilestoneStatusChange, Project, ProjectStatusChange
from reports.spending import FINANCIAL_YEAR, SpendingFilters, SpendingReport
from ui.forms import GovukForm
from ui.pdf import pdf_response, render_pdf

TITLE = "Programme board pack"
PDF_TEMPLATE = "pdf/board_pack.html"
LIST_LIMIT = 100
EARLIEST = dt.date(FIRST_YEAR, 4, 1)  # the first day of the first financial year the service records


# --- Spending, as at a day ------------------------------------------------------


def last_quarter_ended(as_at: dt.date) -> tuple[int, int]:
    """(starting year, number) of the financial quarter that had ended by ``as_at``:
    the quarter ending that day, or the one before. Number 0 means none of that year yet."""
    quarter = FinancialQuarter.of(as_at)
    return quarter.year.start_year, quarter.number if as_at == quarter.end else quarter.number - 1


class SpendingAsAt(SpendingReport):
    """The spending report for the whole programme as it stood at the end of one day.

    An adapter: the spending report's own cut-off is the end of a quarter of one
    financial year, while a board pack needs a day across every year. It narrows
    only the rows the report sums (payments, spend returns and the latest return
    whose forecast counts); every sum is still the report's. Allocations and
    awards are as recorded now: they carry no date of their own.
    """

    def __init__(self, user, as_at: dt.date):
        super().__init__(user, SpendingFilters(), FINANCIAL_YEAR)
        self.as_at = as_at
        self.year, self.quarter = last_quarter_ended(as_at)

    def _ended(self, prefix: str = "") -> Q:
        """Spend returns for quarters that had ended by the day."""
        return Q(**{f"{prefix}allocation__financial_year__lt": self.year}) | Q(
            **{f"{prefix}allocation__financial_year": self.year, f"{prefix}quarter__lte": self.quarter}
        )

    @property
    def payments(self):
        return super().payments.filter(paid_on__lte=self.as_at)

    @property
    def spend_lines(self):
        return super().spend_lines.filter(self._ended())

    @property
    def latest_returns(self):
        # A return for a quarter that had not ended by the day does not hide an earlier one.
        later = SpendReturn.objects.filter(
            self._ended(), allocation=OuterRef("allocation"), quarter__gt=OuterRef("quarter")
        )
        return self.spend_lines.filter(~Exists(later))


# --- Milestones, as at a day ----------------------------------------------------


@dataclass(frozen=True)
class LateMilestone:
    milestone: Milestone
    status: str  # on the day
    days: int

    @property
    def status_label(self) -> str:
        return Milestone.Status(self.status).label


def end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def status_on(day: dt.date, changes) -> Coalesce:
    """An object's status at the end of ``day``, from its status history ``changes``
    (the history rows of the outer row): the last change by then, or, when every
    change came later, the status the first of them moved from (empty when the
    object did not yet exist). An object with no history has always had its present status."""
    end = end_of(day)
    return Coalesce(
        Subquery(changes.filter(changed_at__lt=end).order_by("-changed_at", "-pk").values("new_status")[:1]),
        Subquery(changes.filter(changed_at__gte=end).order_by("changed_at", "pk").values("old_status")[:1]),
        "status",
    )


def milestones_late_on(as_at: dt.date) -> list[LateMilestone]:
    """Milestones due before the day and not accepted on it (by their status history), most overdue first."""
    rows = (
        Milestone.objects.filter(due_date__lt=as_at)
        .annotate(status_then=status_on(as_at, MilestoneStatusChange.objects.filter(milestone=OuterRef("pk"))))
        .filter(status_then__in=[*Milestone.OPEN_STATUSES, Milestone.Status.SUBMITTED])
        .select_related("project", "organisation")
        .order_by("due_date", "project__reference", "pk")
    )
    return [LateMilestone(row, row.status_then, (as_at - row.due_date).days) for row in rows]


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


def projects_by_rag(as_at: dt.date) -> tuple[list[RagGroup], int]:
    """Projects proposed, active or closing on the day (by their status history), by RAG
    rating, red first; and how many had closed or been withdrawn by then.

    The rating is the one recorded now, shown with when it was given: ratings keep
    no dated history of their own.
    """
    projects = Project.objects.annotate(
        status_then=status_on(as_at, ProjectStatusChange.objects.filter(project=OuterRef("pk")))
    )
    order = Case(*(When(rag=rag, then=Value(n)) for n, rag in enumerate(RAG_ORDER)), output_field=IntegerField())
    live = list(
        projects.filter(status_then__in=LIVE).select_related("lead_organisation").order_by(order, "reference")
    )
    groups = [RagGroup(rag, RAG_LABELS[rag], [project for project in live if project.rag == rag]) for rag in RAG_ORDER]
    return groups, projects.filter(status_then__in=FINISHED).count()


# --- The impact summary ---------------------------------------------------------


def impact_summary(user):
    """The programme's impact report without its money (spend there is not "as at" the day),
    and per evidence strength how many results improved, worsened, stayed the same or await follow-up."""
    report = build_report(results_for(user), show_money=False)
    tallies = []
    for strength, label, rows in report.groups:
        counts = Counter(row.result.judgement for row in rows)
        short = label.split(":")[0]  # "Stronger evidence", without how it is defined (said above the table)
        tallies.append((strength, short, [(judgement.label, counts[judgement]) for judgement in Judgement]))
    return report, tallies


# --- The pack -------------------------------------------------------------------


def programme_reader() -> User:
    """Who a board pack built without a request reads as: a viewer, who sees the whole programme."""
    return User(role=Role.VIEWER, is_active=True)


def returns_counted(year: int, quarter: int) -> str:
    """The last quarter whose spend returns count, in words: "Q3 of 2016-17"."""
    if quarter == 0:
        if year == FIRST_YEAR:
            return ""
        year, quarter = year - 1, 4
    return f"Q{quarter} of {FinancialYear(year)}"


def discrepancies_with_projects() -> list[tuple]:
    """Every discrepancy with its grant's project, fetched in one query whatever the number of discrepancies."""
    discrepancies = find_discrepancies(Grant.objects.all())
    projects = Project.objects.in_bulk({discrepancy.grant.project_id for discrepancy in discrepancies})
    return [(discrepancy, projects[discrepancy.grant.project_id]) for discrepancy in discrepancies]


def board_pack_context(as_at: dt.date, user=None) -> dict:
    """Everything the board pack shows, as at the end of ``as_at``; ``user`` must see the whole programme."""
    user = user or programme_reader()
    spending = SpendingAsAt(user, as_at)
    late = milestones_late_on(as_at)
    discrepancies = discrepancies_with_projects()
    rag_groups, finished = projects_by_rag(as_at)
    impact, impact_tallies = impact_summary(user)
    return {
        "title": TITLE,
        "as_at": as_at,
        "generated_at": timezone.localtime(),
        "programmes": list(Programme.objects.order_by("name").values_list("name", flat=True)),
        "spending": spending,
        "years": spending.rows(FINANCIAL_YEAR),
        "totals": spending.totals,
        "returns_counted": returns_counted(spending.year, spending.quarter),
        "discrepancies": discrepancies,
        "overdue": [item for item in late if item.status != Milestone.Status.SUBMITTED],
        "awaiting_review": [item for item in late if item.status == Milestone.Status.SUBMITTED],
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
    """The board pack as PDF bytes, for a benchmark or a command."""
    return render_pdf(PDF_TEMPLATE, board_pack_context(as_at, user))


# --- The page -------------------------------------------------------------------


class BoardPackForm(GovukForm):
    date = forms.DateField(
        label="Date of the board pack",
        help_text="The figures are as at the end of this day. For example, 31/03/2016",
        widget=forms.DateInput(attrs={"class": "govuk-input--width-10"}),
        error_messages={
            "required": "Enter the date of the board pack",
            "invalid": "The date of the board pack must be a real date, like 31/03/2016",
        },
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date of the board pack must be today or in the past")
        if day < EARLIEST:
            raise forms.ValidationError(f"The date of the board pack must be on or after {EARLIEST:%-d %B %Y}")
        return day


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
    response = pdf_response(
        PDF_TEMPLATE, board_pack_context(as_at, request.user), f"board-pack-{as_at:%Y-%m-%d}.pdf", request=request
    )
    record_download(
        request, kind=DownloadRecord.Kind.EXPORT, description=f"{TITLE} as at {as_at:%-d %B %Y} (PDF)"
    )
    return response
