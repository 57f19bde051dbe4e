"""The impact report (the programme, or one project) and a project's impact card,
as web pages, Excel workbooks and PDFs.

Who sees what: the programme-wide report is for the funder's staff and viewers.
A project's report and card are for anyone who may see the project (its lead and
partners, the evaluators of its evaluations, the funder); its money (awarded,
spent, cost per outcome) only for those who see the whole project's money: the
funder and the lead organisation, as on the project's own page. A partner
council sees only its own allocations, and an evaluator no money at all.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from accounts.permissions import EVALUATORS, PROGRAMME_READERS, RECIPIENTS, role_required
from audit.downloads import recorded
from core import data_version
from core.exports import ILLUSTRATIVE_COLUMN, XLSX_CONTENT_TYPE
from core.pdf import PDF_CONTENT_TYPE, pdf_response, render_pdf
from core.workbook import Column, new_workbook, workbook_bytes, write_key_values, write_table
from downloads.models import ExportJob
from downloads.tasks import background_job
from evaluations.filters import MARYLAND_LEVELS, ImpactFilter
from evaluations.models import Evaluation, EvidenceRating
from projects.models import Project
from reports.impact import (
    NO_AWARD,
    NO_SPEND,
    awarded_by_project,
    build_report,
    page_of_report,
    results_for,
    spend_by_project,
)

FORMATS = ("", "html", "xlsx", "pdf")
CARD_RESULTS = 6  # what fits on one A4 page beside the evidence and the money


def _sees_project_money(user, project) -> bool:
    return user.sees_whole_programme or project.is_led_by(user)


def _filter_summary(filterset) -> list[tuple[str, str]]:
    if not filterset.is_bound or not filterset.is_valid():
        return []
    levels = dict(MARYLAND_LEVELS)
    summary = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, ""):
            continue
        summary.append((filterset.form.fields[name].label, levels.get(value, str(value))))
    return summary


WEB_LIMIT = 50


@dataclass
class ImpactAsked:
    """The report a reader asked for: the results through the filters, and what the files say about them."""

    project: Project | None
    filterset: ImpactFilter
    valid: bool
    results: object  # the filtered results, or none when a filter is bad
    show_money: bool
    title: str
    filters: list[tuple[str, str]]


def _asked(user, query: QueryDict, project=None) -> ImpactAsked:
    filterset = ImpactFilter(query or None, queryset=results_for(user, project=project))
    valid = not filterset.is_bound or filterset.is_valid()
    return ImpactAsked(
        project,
        filterset,
        valid,
        filterset.qs if valid else filterset.queryset.none(),
        _sees_project_money(user, project) if project else True,
        f"Impact of {project.title}" if project else "Impact report",
        _filter_summary(filterset),
    )


def impact_file(user, query: QueryDict, fmt: str, project=None) -> bytes:
    """The Excel workbook or PDF of every result asked for: made in the request, or by the worker for a long
    report (reports/jobs.py), the same file either way."""
    asked = _asked(user, query, project)
    generated_at = timezone.localtime()
    report = build_report(asked.results, show_money=asked.show_money)
    if fmt == "xlsx":
        return workbook_bytes(_workbook(report, asked.title, asked.filters, generated_at))
    context = {
        "project": project,
        "title": asked.title,
        "filters": asked.filters,
        "generated_at": generated_at,
        "report": report,
    }
    return render_pdf("pdf/impact_report.html", context)


def _impact_page(request, *, project=None):
    user = request.user
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("Choose format=xlsx or format=pdf, or none for the web page.")
    asked = _asked(user, request.GET, project)
    results, show_money, title, filters = asked.results, asked.show_money, asked.title, asked.filters
    context = {
        "project": project,
        "title": title,
        "filter": asked.filterset,
        "form": asked.filterset.form,
        "filters": filters,
        "generated_at": timezone.localtime(),
    }
    name = f"impact-{slugify(project.reference) if project else 'programme'}-{timezone.localdate():%Y-%m-%d}"
    if fmt in ("xlsx", "pdf") and asked.valid:
        # The downloads hold every result: a long report is made by the worker, with a page that shows when
        # it is ready.
        size = results.count()
        if size > settings.EXPORT_IN_REQUEST_ROWS[fmt]:
            query = request.GET.copy()
            query.pop("format", None)
            params = {"query": urlencode(sorted(query.lists()), doseq=True), "project": project.pk if project else None}
            kind = ExportJob.Kind.IMPACT_XLSX if fmt == "xlsx" else ExportJob.Kind.IMPACT_PDF
            job = background_job(user, kind, size=size, params=params)
            return redirect("downloads:job", job_pk=job.pk)
        content = impact_file(user, request.GET, fmt, project)
        content_type = XLSX_CONTENT_TYPE if fmt == "xlsx" else PDF_CONTENT_TYPE
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return recorded(request, response, description=f"{title} ({'Excel' if fmt == 'xlsx' else 'PDF'})")

    # The web page lists and charts a page of at most WEB_LIMIT results of each group, and says how many there are.
    def report_html():
        report = page_of_report(results, user=user, show_money=show_money, per_page=WEB_LIMIT, pages=request.GET)
        body = {"report": report, "web_limit": WEB_LIMIT, "filters": filters}
        return render_to_string("reports/_impact_report_body.html", body, request=request)

    # A report is the same for everyone with the same view of it (the funder's staff of one role share the
    # programme's and each project's; each council and evaluator has their own, and with it whether they see
    # the money): rendered once for each change of the data and of the filters, and shared.
    key = ("project impact report", project.pk, user.role) if project else ("impact report",)
    shown = data_version.for_everyone_who_sees(user, *key, sorted(request.GET.lists()), build=report_html)
    context["report_html"] = mark_safe(shown)
    return render(request, "reports/impact_report.html", context)


@role_required(*PROGRAMME_READERS)
def report(request):
    return _impact_page(request)


@role_required(*PROGRAMME_READERS, *RECIPIENTS, *EVALUATORS)
def project_report(request, project_pk):
    project = get_object_or_404(
        Project.objects.for_user(request.user).select_related("lead_organisation"), pk=project_pk
    )
    return _impact_page(request, project=project)


@role_required(*PROGRAMME_READERS, *RECIPIENTS, *EVALUATORS)
def card(request, project_pk):
    """One page for a board: what the project achieved, how sure we are, what it cost."""
    user = request.user
    project = get_object_or_404(Project.objects.for_user(user).select_related("lead_organisation"), pk=project_pk)
    fmt = request.GET.get("format", "")
    if fmt not in ("", "html", "pdf"):
        return HttpResponseBadRequest("Choose format=pdf, or none for the web page.")
    show_money = _sees_project_money(user, project)
    report = build_report(results_for(user, project=project), show_money=show_money)
    # Stronger evidence first, then improvements, so the board reads the surest findings.
    order = {"stronger": 0, "weaker": 1, "not_rated": 2}
    key_rows = sorted(
        report.rows, key=lambda row: (order[row.evaluation.evidence_strength], row.result.judgement != "improved")
    )
    evaluations = (
        Evaluation.objects.for_user(user)
        .filter(pk__in=Evaluation.projects.through.objects.filter(project=project).values("evaluation"))
        .select_related("evaluator_organisation")
        .prefetch_related(Prefetch("ratings", queryset=EvidenceRating.objects.order_by("scale")))
        .order_by("title")
    )
    shown = key_rows[:CARD_RESULTS]
    context = {
        "project": project,
        "report": report,
        "key_rows": shown,
        "costed": [row for row in shown if row.cost_per_outcome is not None],
        "not_costed": sorted(
            {row.cost_note.removeprefix("Not worked out: ") for row in shown if row.cost_per_outcome is None}
        ),
        "more_rows": max(0, len(key_rows) - CARD_RESULTS),
        "evaluations": evaluations,
        "show_money": show_money,
        "awarded": awarded_by_project([project.pk]).get(project.pk, NO_AWARD) if show_money else None,
        "spent": spend_by_project([project.pk]).get(project.pk, NO_SPEND) if show_money else None,
        "generated_at": timezone.localtime(),
    }
    if fmt == "pdf":
        response = pdf_response(
            "pdf/impact_card.html", context, f"impact-card-{slugify(project.reference)}.pdf", request=request
        )
        return recorded(request, response, obj=project, description=f"Impact card: {project.title} (PDF)")
    return render(request, "reports/impact_card.html", context)


def _yes_no(value) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _workbook(report, title, filters, generated_at):
    workbook = new_workbook()
    about = workbook.create_sheet("About")
    write_key_values(
        about,
        [
            ("Generated", generated_at),
            *filters,
            ("Results", len(report.rows)),
            (
                "Evidence",
                "Stronger: compared with a group that did not get the project (Maryland level 3 to 5). "
                "Weaker: before and after with no comparison group (level 1 or 2).",
            ),
            (
                "Significance",
                "From the 95% confidence interval of the effect size when recorded (significant when it "
                "excludes 0), else from the p-value (below 0.05), else as the evaluator reported it.",
            ),
            (
                "Illustrative",
                "On Results, Yes marks a result whose figures, or the spending set against it, were invented for "
                "the demonstration, not taken from the programme’s record. On Projects, the column names the "
                "figures of a project that an invented row lies behind.",
            ),
        ],
        title=title,
    )
    columns = [
        Column("Evidence", width=14),
        Column("Measure", width=40),
        Column("Outcome area", width=22),
        Column("Unit", width=14),
        Column("Better when", width=16),
        Column("Projects", width=36),
        Column("Authority", width=28),
        Column("Evaluation", width=36),
        Column("Design", width=30),
        Column("Maryland level", "number", width=10),
        Column("WWCSC effectiveness", width=18),
        Column("WWCSC strength of evidence", width=18),
        Column("Baseline", "number", width=12),
        Column("Baseline from", "date", width=12),
        Column("Baseline to", "date", width=12),
        Column("Follow-up", "number", width=12),
        Column("Follow-up from", "date", width=12),
        Column("Follow-up to", "date", width=12),
        Column("Target", "number", width=12),
        Column("Change", "number", width=12),
        Column("Change %", "percent", width=10),
        Column("Judgement", width=14),
        Column("Target met", width=10),
        Column("Significance", width=16),
        Column("Significance from", width=40),
    ]
    if report.show_money:
        columns += [
            Column("Spent to date by the projects", "money", width=18),
            Column("Cost per outcome", "money", width=16),
            Column("Cost per outcome note", width=50),
        ]
    columns += [Column("Illustrative", width=10), Column("Source", width=30)]

    def rows():
        for row in report.rows:
            result, evaluation, rating = row.result, row.evaluation, row.rating
            significance = result.shown_significance
            values = [
                "Stronger"
                if evaluation.evidence_strength == "stronger"
                else "Weaker"
                if evaluation.evidence_strength == "weaker"
                else "Not rated",
                row.measure.name,
                row.measure.outcome_area.name,
                row.measure.get_unit_display(),
                "Lower" if row.measure.lower_is_better else "Higher",
                "; ".join(project.title for project in row.projects),
                row.where,
                evaluation.title,
                evaluation.get_design_display(),
                rating["maryland"],
                rating["effectiveness"].value_label if rating["effectiveness"] else "",
                rating["strength"].value_label if rating["strength"] else "",
                result.baseline_value,
                result.baseline_period_start,
                result.baseline_period_end,
                result.followup_value,
                result.followup_period_start,
                result.followup_period_end,
                result.target_value,
                result.change,
                None if result.change_percent is None else result.change_percent / 100,
                result.judgement_label,
                _yes_no(result.target_met),
                significance.label,
                significance.basis,
            ]
            if report.show_money:
                values += [row.spend, row.cost_per_outcome, row.cost_note]
            source = result.source_report.title if result.source_report_id else ""
            if result.source_location:
                source = f"{source}, {result.source_location}" if source else result.source_location
            values += [_yes_no(result.illustrative or (report.show_money and row.spend_illustrative)), source]
            yield values

    write_table(workbook.create_sheet("Results"), columns, rows(), totals_label=None)
    if report.show_money:
        money = workbook.create_sheet("Projects")
        write_table(
            money,
            [
                Column("Reference", width=16),
                Column("Project", width=44),
                Column("Lead organisation", width=36),
                Column("Awarded", "money", width=18, total=True),
                Column("Spent to date", "money", width=18, total=True),
                Column(ILLUSTRATIVE_COLUMN, width=24),
            ],
            (
                [
                    item.project.reference,
                    item.project.title,
                    item.project.lead_organisation.name,
                    item.awarded.value,
                    item.spent.value,
                    "; ".join(figure.label for figure in (item.awarded, item.spent) if figure.illustrative),
                ]
                for item in report.projects
            ),
        )
    return workbook
