"""Pages of the spreadsheet imports: download a template, upload it, see what
will change, confirm or cancel.

A pending import (ImportBatch) belongs to the person who uploaded it; anyone
else gets 404. Its target (the grant) is fetched again through the user's
scoped queryset at every step, so losing access to it also ends the import.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import EVALUATORS, OFFICERS, RECIPIENTS, role_required
from audit.downloads import recorded
from core.workbook import workbook_response
from evaluations.models import Evaluation
from grants.models import Grant
from imports import services
from imports.allocations import AllocationImport
from imports.forms import UploadForm
from imports.models import ImportBatch
from imports.results import ResultImport
from imports.spend_returns import SpendReturnImport
from imports.spreadsheet import MAX_DATA_ROWS, Refused

# The preview lists at most this many rows of each kind; the counts are always whole.
SHOWN = 500


def _grant(user, grant_pk):
    return get_object_or_404(Grant.objects.for_user(user).select_related("project"), pk=grant_pk)


def _evaluation(user, evaluation_pk):
    """An evaluation the user may change: an officer any, an evaluator only those assigned to it."""
    return get_object_or_404(Evaluation.objects.editable_by(user), pk=evaluation_pk)


def _grant_from_query(request):
    """The optional ?grant= that narrows a spend-return template to one grant."""
    value = request.GET.get("grant", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise Http404("No such grant")
    return _grant(request.user, int(value))


def _importer(batch: ImportBatch, user):
    """The importer of a batch, for its owner, checked against what the owner may do today."""
    if batch.kind == ImportBatch.Kind.ALLOCATIONS:
        return AllocationImport(user, _grant(user, batch.grant_id))
    if batch.kind == ImportBatch.Kind.SPEND_RETURNS:
        return SpendReturnImport(user)
    return ResultImport(user, _evaluation(user, batch.evaluation_id))


def _download_template(request, importer):
    return recorded(
        request,
        workbook_response(importer.workbook(), importer.filename),
        description=f"Import template: {importer.title}",
    )


def _upload(request, importer, *, template_url, back_url, caption):
    form = UploadForm(request.POST or None, request.FILES or None)
    problems, outcome = [], None
    if request.method == "POST" and form.is_valid():
        try:
            batch, outcome = services.start_batch(importer=importer, upload=form.cleaned_data["file"])
        except ValidationError as error:
            form.add_error("file", error)
        except Refused as refused:
            problems = refused.problems
        else:
            if batch is not None:
                return redirect("imports:batch", token=batch.token)
            problems = outcome.problems
    context = {
        "form": form,
        "importer": importer,
        "problems": problems,
        "outcome": outcome,
        "template_url": template_url,
        "back_url": back_url,
        "caption": caption,
        "max_rows": MAX_DATA_ROWS,
    }
    refused = request.method == "POST" and (problems or form.errors)
    return render(request, "imports/upload.html", context, status=400 if refused else 200)


@role_required(*OFFICERS)
def allocations_template(request, grant_pk):
    return _download_template(request, AllocationImport(request.user, _grant(request.user, grant_pk)))


@role_required(*OFFICERS)
def allocations_upload(request, grant_pk):
    grant = _grant(request.user, grant_pk)
    return _upload(
        request,
        AllocationImport(request.user, grant),
        template_url=reverse("imports:allocations-template", kwargs={"grant_pk": grant.pk}),
        back_url=reverse("grants:detail", kwargs={"grant_pk": grant.pk}),
        caption=grant.title,
    )


@role_required(*OFFICERS, *RECIPIENTS)
def spend_returns_template(request):
    return _download_template(request, SpendReturnImport(request.user, _grant_from_query(request)))


@role_required(*OFFICERS, *RECIPIENTS)
def spend_returns_upload(request):
    grant = _grant_from_query(request)
    template_url = reverse("imports:spend-returns-template")
    if grant is not None:
        template_url += f"?grant={grant.pk}"
        back_url = reverse("grants:detail", kwargs={"grant_pk": grant.pk})
    else:
        back_url = reverse("projects:yours" if request.user.is_recipient else "projects:dashboard")
    caption = request.user.organisation.name if request.user.is_recipient else (grant.title if grant else "")
    return _upload(
        request, SpendReturnImport(request.user, grant), template_url=template_url, back_url=back_url, caption=caption
    )


@role_required(*OFFICERS, *EVALUATORS)
def results_template(request, evaluation_pk):
    return _download_template(request, ResultImport(request.user, _evaluation(request.user, evaluation_pk)))


@role_required(*OFFICERS, *EVALUATORS)
def results_upload(request, evaluation_pk):
    evaluation = _evaluation(request.user, evaluation_pk)
    return _upload(
        request,
        ResultImport(request.user, evaluation),
        template_url=reverse("imports:results-template", kwargs={"evaluation_pk": evaluation.pk}),
        back_url=reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk}),
        caption=evaluation.title,
    )


def _batch(request, token):
    batch = get_object_or_404(
        ImportBatch.objects.for_user(request.user).select_related("grant", "evaluation"), token=token
    )
    return batch, _importer(batch, request.user)


def _back_url(batch, user):
    if batch.grant_id:
        return reverse("grants:detail", kwargs={"grant_pk": batch.grant_id})
    if batch.evaluation_id:
        return reverse("evaluations:detail", kwargs={"evaluation_pk": batch.evaluation_id})
    return reverse("projects:yours" if user.is_recipient else "projects:dashboard")


def _render_batch(request, batch, importer, *, outcome=None, problems=(), status=200):
    context = {
        "batch": batch,
        "importer": importer,
        "outcome": outcome,
        "problems": list(problems) or (outcome.problems if outcome else []),
        "back_url": _back_url(batch, request.user),
        "shown": SHOWN,
    }
    return render(request, "imports/batch.html", context, status=status)


@role_required(*OFFICERS, *RECIPIENTS, *EVALUATORS)
def batch_detail(request, token):
    batch, importer = _batch(request, token)
    if not batch.is_pending:
        return _render_batch(request, batch, importer)
    try:
        outcome = services.preview_batch(batch, importer)
    except Refused as refused:
        return _render_batch(request, batch, importer, problems=refused.problems)
    return _render_batch(request, batch, importer, outcome=outcome)


@role_required(*OFFICERS, *RECIPIENTS, *EVALUATORS)
@require_POST
def batch_confirm(request, token):
    batch, importer = _batch(request, token)
    try:
        outcome = services.apply_batch(batch, importer)
    except services.NotPending as error:
        messages.error(request, str(error))
        return redirect("imports:batch", token=batch.token)
    except Refused as refused:
        return _render_batch(request, batch, importer, problems=refused.problems, status=400)
    if not outcome.written:
        return _render_batch(request, batch, importer, outcome=outcome, status=400)
    messages.success(
        request,
        f"Imported: {len(outcome.new):,} new, {len(outcome.changed):,} changed, {len(outcome.unchanged):,} unchanged",
    )
    return redirect("imports:batch", token=batch.token)


@role_required(*OFFICERS, *RECIPIENTS, *EVALUATORS)
@require_POST
def batch_cancel(request, token):
    batch, _ = _batch(request, token)
    try:
        services.cancel_batch(batch)
    except services.NotPending as error:
        messages.error(request, str(error))
        return redirect("imports:batch", token=batch.token)
    messages.success(request, "Import cancelled: nothing was changed")
    return redirect(_back_url(batch, request.user))
