"""The ledger download, and the background jobs that make the large ones."""

import tempfile

from django.conf import settings
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import EVALUATORS, PROGRAMME_READERS, RECIPIENTS, role_required
from audit.downloads import recorded, stored_file
from audit.models import DownloadRecord
from core.exports import XLSX_CONTENT_TYPE
from downloads import ledger
from downloads.models import CONTENT_TYPES, ExportJob
from downloads.tables import ExportJobTable
from downloads.tasks import background_job, recover_stalled

MONEY_READERS = (*PROGRAMME_READERS, *RECIPIENTS)
# Whoever may ask for a file the worker makes: a project's impact report is an evaluator's too. Each sees
# only the jobs they asked for.
JOB_OWNERS = (*MONEY_READERS, *EVALUATORS)
KINDS = {"csv": ExportJob.Kind.LEDGER_CSV, "xlsx": ExportJob.Kind.LEDGER_XLSX}


def _limit(extension: str) -> int:
    """How many rows are made within the request; more go to the background."""
    return settings.EXPORT_IN_REQUEST_ROWS[extension]


@require_GET
@role_required(*MONEY_READERS)
def ledger_page(request):
    # Counted only as far as the largest limit: past it, every format is made in the background.
    counted_to = max(_limit(extension) for extension in KINDS)
    size = ledger.ledger_size(request.user, at_most=counted_to)
    jobs = ExportJob.objects.for_user(request.user)[:10]
    context = {
        "size": size,
        "more_than": counted_to if size > counted_to else None,
        "background": {extension: size > _limit(extension) for extension in KINDS},
        "jobs": jobs,
        "jobs_table": ExportJobTable(jobs),
    }
    return render(request, "downloads/ledger.html", context)


@require_GET
@role_required(*MONEY_READERS)
def ledger_download(request, extension):
    if extension not in KINDS:
        raise Http404("No such format")
    user = request.user
    size = ledger.ledger_size(user)
    if size > _limit(extension):
        return redirect("downloads:job", job_pk=background_job(user, KINDS[extension], size=size).pk)
    filename = f"ledger-{timezone.localtime():%Y-%m-%d}.{extension}"
    if extension == "csv":
        lines = ledger.stream_csv(ledger.ledger_rows(user))
        response = StreamingHttpResponse(_in_blocks(lines), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        # Written to a temporary file row by row, then sent from disk: memory stays flat.
        made = tempfile.NamedTemporaryFile(suffix=".xlsx")  # removed when the response closes it
        ledger.write_xlsx(made.name, ledger.ledger_rows(user))
        made.seek(0)
        response = FileResponse(made, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    return recorded(request, response, description=f"Ledger ({extension}, {size} rows)")


def _in_blocks(lines, size: int = 64 * 1024):
    """The CSV's lines joined into blocks of about ``size`` characters. The server sends each
    piece of a streamed response in a write of its own: one a line would be hundreds of
    thousands of writes for a national ledger."""
    block, length = [], 0
    for line in lines:
        block.append(line)
        length += len(line)
        if length >= size:
            yield "".join(block)
            block, length = [], 0
    if block:
        yield "".join(block)


def _back_link(job: ExportJob) -> tuple[str, str]:
    if job.counts_rows:
        return reverse("downloads:ledger"), "Back to the ledger"
    if job.kind in (ExportJob.Kind.IMPACT_XLSX, ExportJob.Kind.IMPACT_PDF):
        project = job.params.get("project")
        if project:
            return reverse("impact:project", kwargs={"project_pk": project}), "Back to the project's impact report"
        return reverse("impact:report"), "Back to the impact report"
    return reverse("reports:index"), "Back to reports"


@require_GET
@role_required(*JOB_OWNERS)
def job_detail(request, job_pk):
    mine = ExportJob.objects.for_user(request.user)
    recover_stalled(mine.filter(pk=job_pk))  # its owner looking is reason enough to check on it
    job = get_object_or_404(mine, pk=job_pk)
    back_url, back_text = _back_link(job)
    context = {"job": job, "refresh": job.status in ("queued", "running"), "back_url": back_url, "back_text": back_text}
    return render(request, "downloads/job.html", context)


@require_POST
@role_required(*JOB_OWNERS)
def job_again(request, job_pk):
    """Ask again for the file of a failed job: a new job with the same request."""
    failed = get_object_or_404(ExportJob.objects.for_user(request.user), pk=job_pk, status=ExportJob.Status.FAILED)
    job = background_job(request.user, failed.kind, size=failed.rows_total, params=failed.params)
    return redirect("downloads:job", job_pk=job.pk)


@require_GET
@role_required(*JOB_OWNERS)
def job_file(request, job_pk):
    job = get_object_or_404(ExportJob.objects.for_user(request.user), pk=job_pk, status=ExportJob.Status.DONE)
    return stored_file(
        request,
        job.file,
        name=job.filename,
        content_type=job.content_type,
        kind=DownloadRecord.Kind.EXPORT,
        description=f"{job.get_kind_display()}, made in the background",
    )
