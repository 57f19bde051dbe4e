"""Evaluation pages: lists, the evidence of one evaluation, and the forms with
which officers and assigned evaluators record results and reports, and officers
and named reviewers rate the evidence."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.permissions import EVALUATORS, OFFICERS, PROGRAMME_READERS, RECIPIENTS, role_required
from audit.downloads import stored_file
from audit.models import DownloadRecord
from core import data_version
from core.lifecycle import IllegalStatusChange
from core.paging import sort_and_page
from evaluations.forms import (
    EvaluationForm,
    EvaluatorEvaluationForm,
    OutcomeMeasureForm,
    OutcomeResultForm,
    ReportUploadForm,
    plain_number,
)
from evaluations.history import evidence_history
from evaluations.impact import figure
from evaluations.models import Evaluation, EvaluationReport, OutcomeMeasure, OutcomeResult
from evaluations.rating_form import EvidenceRatingForm
from evaluations.services import add_report, rate_evaluation, save_result
from evaluations.tables import EvaluationTable, OutcomeMeasureTable
from projects.models import Project

READERS = (*PROGRAMME_READERS, *EVALUATORS, *RECIPIENTS)
EDITORS = (*OFFICERS, *EVALUATORS)


def _count_of(model):
    """How many of ``model``'s rows belong to the outer evaluation: a subquery, worked out only for the
    rows a page shows. Counting through joins instead would multiply every evaluation's results by its
    reports and group all of them before the page is cut, and the paginator's count would repeat it."""
    rows = model.objects.filter(evaluation=OuterRef("pk")).order_by().values("evaluation")
    return Coalesce(Subquery(rows.annotate(count=Count("pk")).values("count")), 0)


def _listed(queryset, user):
    """Evaluations for a table: one query for the rows, one for their projects."""
    return (
        queryset.select_related("evaluator_organisation")
        .prefetch_related(Prefetch("projects", queryset=Project.objects.for_user(user).order_by("reference")))
        .annotate(result_count=_count_of(OutcomeResult), report_count=_count_of(EvaluationReport))
        .order_by("title", "pk")
    )


def _show_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, next to the field it is about."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def _editable(evaluation, user) -> bool:
    return Evaluation.objects.editable_by(user).filter(pk=evaluation.pk).exists()


@role_required(*EVALUATORS)
def yours(request):
    """The evaluations the evaluator carries out, and apart from them those it is named to review."""
    user = request.user
    assigned = Evaluation.evaluators.through.objects.filter(evaluation=OuterRef("pk"), user=user)
    rows = list(_listed(Evaluation.objects.for_user(user), user).annotate(assigned=Exists(assigned)))
    # Two short lists split from one query, in title order: neither is sorted nor paged.
    evaluations = [row for row in rows if row.assigned]
    reviewing = [row for row in rows if not row.assigned]
    return render(
        request,
        "evaluations/yours.html",
        {
            "evaluations": evaluations,
            "reviewing": reviewing,
            "table": EvaluationTable(evaluations, caption="Your evaluations", orderable=False),
            "reviewing_table": EvaluationTable(
                reviewing,
                caption="Evaluations you review",
                orderable=False,
                attrs={"class": "govuk-table", "id": "reviewing-table"},
            ),
        },
    )


@role_required(*PROGRAMME_READERS)
def evaluation_list(request):
    table = sort_and_page(request, EvaluationTable(_listed(Evaluation.objects.for_user(request.user), request.user)))
    rows = [row.record for row in table.page.object_list]
    return render(request, "evaluations/list.html", {"evaluations": rows, "table": table})


@role_required(*READERS)
def detail(request, evaluation_pk):
    user = request.user
    evaluation = get_object_or_404(
        Evaluation.objects.for_user(user)
        .select_related("evaluator_organisation")
        .prefetch_related(
            # A recipient sees only the evaluated projects it takes part in.
            Prefetch("projects", queryset=Project.objects.for_user(user).order_by("reference")),
            "evaluators",
            "reviewers",
        ),
        pk=evaluation_pk,
    )
    results = list(
        evaluation.results.with_outside()
        .select_related("measure", "authority", "source_report")
        .order_by("measure__name", "comparison_group", F("authority__name").asc(nulls_first=True), "pk")
    )
    for result in results:
        unit = result.measure.unit
        result.shown = {
            name: figure(getattr(result, name), unit)
            for name in ("baseline_value", "target_value", "followup_value", "comparison_value")
        }
        result.shown.update(
            {name: plain_number(getattr(result, name)) for name in ("effect_size", "ci_lower", "ci_upper", "p_value")}
        )
    labels = dict(Evaluation.Status.choices)
    ratings = list(evaluation.ratings.select_related("rated_by").order_by("scale"))
    evaluator_ids = {person.pk for person in evaluation.evaluators.all()}
    for rating in ratings:
        # Rated before the rule that no one rates their own evaluation: shown, to be rated again.
        rating.by_own_evaluator = rating.rated_by_id in evaluator_ids
    status_changes = list(evaluation.status_changes.select_related("changed_by"))
    for change in status_changes:
        change.old_label = labels.get(change.old_status, change.old_status)
        change.new_label = labels.get(change.new_status, change.new_status)
    history, history_total = evidence_history(evaluation)
    if user.is_evaluator:
        back_url = reverse("evaluations:yours")
    elif user.sees_whole_programme:
        back_url = reverse("evaluations:list")
    else:
        back_url = reverse("home")
    return render(
        request,
        "evaluations/detail.html",
        {
            "evaluation": evaluation,
            "results": results,
            "outside": [result for result in results if result.outside],
            "ratings": ratings,
            "reports": evaluation.reports.order_by("published_on", "pk"),
            "status_changes": status_changes,
            "evidence_history": history,
            "evidence_history_total": history_total,
            "can_edit": _editable(evaluation, user),
            "can_rate": Evaluation.objects.ratable_by(user).filter(pk=evaluation.pk).exists(),
            "back_url": back_url,
        },
    )


def _result_form_page(request, form, evaluation, *, result=None):
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_result(result=form.save(commit=False), by=request.user)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            verb = "changed" if result else "added"
            messages.success(request, f"Result for {saved.measure.name} {verb}")
            return redirect(reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk}) + "#results")
    return render(request, "evaluations/result_form.html", {"form": form, "evaluation": evaluation, "result": result})


@role_required(*EDITORS)
def result_create(request, evaluation_pk):
    evaluation = get_object_or_404(Evaluation.objects.editable_by(request.user), pk=evaluation_pk)
    form = OutcomeResultForm(
        request.POST if request.method == "POST" else None, instance=OutcomeResult(evaluation=evaluation)
    )
    return _result_form_page(request, form, evaluation)


@role_required(*EDITORS)
def result_edit(request, result_pk):
    result = get_object_or_404(
        OutcomeResult.objects.editable_by(request.user).select_related("evaluation"), pk=result_pk
    )
    form = OutcomeResultForm(request.POST if request.method == "POST" else None, instance=result)
    return _result_form_page(request, form, result.evaluation, result=result)


@role_required(*EDITORS)
def report_upload(request, evaluation_pk):
    evaluation = get_object_or_404(Evaluation.objects.editable_by(request.user), pk=evaluation_pk)
    form = ReportUploadForm(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = add_report(
                evaluation=evaluation,
                by=request.user,
                title=data["title"],
                kind=data["kind"],
                published_on=data["published_on"],
                upload=data["file"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Report ‘{report.title}’ uploaded")
            return redirect(reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk}) + "#reports")
    return render(request, "evaluations/report_form.html", {"form": form, "evaluation": evaluation})


@role_required(*READERS)
def report_download(request, report_pk):
    report = get_object_or_404(EvaluationReport.objects.for_user(request.user).exclude(file=""), pk=report_pk)
    return stored_file(
        request,
        report.file,
        name=report.original_name or report.file.name.rsplit("/", 1)[-1],
        content_type=report.content_type or "application/octet-stream",
        kind=DownloadRecord.Kind.EVALUATION_REPORT,
        obj=report,
    )


@role_required(*EDITORS)
def rating(request, evaluation_pk):
    # An evaluation the user may not rate (one it carries out) is not found, as any
    # object out of a user's scope is: the page is not offered and a POST changes nothing.
    evaluation = get_object_or_404(Evaluation.objects.ratable_by(request.user), pk=evaluation_pk)
    form = EvidenceRatingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        scale, value = form.cleaned_data["rating"]
        try:
            saved, replaced = rate_evaluation(
                evaluation=evaluation,
                by=request.user,
                scale=scale,
                value=value,
                rationale=form.cleaned_data["rationale"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            scale_name = saved.get_scale_display()
            if replaced is None:
                message = f"Rated ‘{saved.value_label}’ on the {scale_name}"
            else:
                message = f"Rating on the {scale_name} changed from ‘{replaced}’ to ‘{saved.value_label}’"
            messages.success(request, message)
            return redirect(reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk}) + "#ratings")
    current = evaluation.ratings.select_related("rated_by").order_by("scale")
    return render(request, "evaluations/rating_form.html", {"form": form, "evaluation": evaluation, "current": current})


# --- The outcome measure catalogue ------------------------------------------


@role_required(*PROGRAMME_READERS)
def measure_list(request):
    # Counting every result of every measure is the costly part (100,000 results at 5,000 projects):
    # worked out once for each change of the data and shared by everyone who reads the catalogue.
    measures = data_version.for_everyone_who_sees(
        request.user,
        "measures",
        build=lambda: list(
            OutcomeMeasure.objects.select_related("outcome_area").annotate(result_count=Count("results"))
        ),
    )
    table = sort_and_page(request, OutcomeMeasureTable(measures, editable=request.user.is_officer))
    return render(request, "evaluations/measure_list.html", {"measures": measures, "table": table})


def _measure_form_page(request, form, measure=None):
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Measure ‘{saved.name}’ {'changed' if measure else 'added'}")
        return redirect("evaluations:measure-list")
    return render(request, "evaluations/measure_form.html", {"form": form, "measure": measure})


@role_required(*OFFICERS)
def measure_create(request):
    return _measure_form_page(request, OutcomeMeasureForm(request.POST if request.method == "POST" else None))


@role_required(*OFFICERS)
def measure_edit(request, measure_pk):
    measure = get_object_or_404(OutcomeMeasure, pk=measure_pk)
    form = OutcomeMeasureForm(request.POST if request.method == "POST" else None, instance=measure)
    return _measure_form_page(request, form, measure)


# --- Setting up and changing an evaluation --------------------------------------


@role_required(*OFFICERS)
def evaluation_create(request):
    form = EvaluationForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            evaluation = form.save(commit=False)
            evaluation.status = form.cleaned_data["status"]
            evaluation.save()
            form.save_m2m()
            evaluation.record_initial_status(by=request.user)
        messages.success(request, f"Evaluation ‘{evaluation.title}’ set up")
        return redirect("evaluations:detail", evaluation_pk=evaluation.pk)
    return render(request, "evaluations/evaluation_form.html", {"form": form, "evaluation": None})


@role_required(*EDITORS)
def evaluation_edit(request, evaluation_pk):
    """Officers change everything; an assigned evaluator changes the design, status,
    summary and dates, but not what is evaluated or who evaluates it. The status
    moves only by set_status: an illegal move is refused on the form."""
    evaluation = get_object_or_404(Evaluation.objects.editable_by(request.user), pk=evaluation_pk)
    form_class = EvaluationForm if request.user.is_officer else EvaluatorEvaluationForm
    form = form_class(request.POST if request.method == "POST" else None, instance=evaluation, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                # The status first: set_status locks the row and checks the move, and
                # the form's save then writes the status it moved to, never a stale one.
                if form.status_changed:
                    evaluation.set_status(
                        form.cleaned_data["status"], by=request.user, reason=form.cleaned_data["status_reason"].strip()
                    )
                else:
                    locked = Evaluation.objects.select_for_update().only("status").get(pk=evaluation.pk)
                    evaluation.status = locked.status
                form.save()
        except IllegalStatusChange as error:
            form.add_error("status", str(error))
        else:
            messages.success(request, f"Evaluation ‘{evaluation.title}’ changed")
            return redirect("evaluations:detail", evaluation_pk=evaluation.pk)
    return render(request, "evaluations/evaluation_form.html", {"form": form, "evaluation": evaluation})
