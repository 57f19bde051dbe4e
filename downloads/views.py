"""The ledger download, and the background jobs that make the large ones."""

import tempfile
from datetime import timedelta

from django.conf import settings
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import PROGRAMME_READERS, RECIPIENTS, role_required
from audit.downloads import recorded, stored_file
from audit.models import DownloadRecord
from core.exports import XLSX_CONTENT_TYPE
from downloads import ledger
from downloads.models import ExportJob
from downloads.tasks import make_export

MONEY_READERS = (*PROGRAMME_READERS, *RECIPIENTS)
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}
KINDS = {"csv": ExportJob.Kind.LEDGER_CSV, "xlsx": ExportJob.Kind.LEDGER_XLSX}


def _limit(extension: str) -> int:
    """How many rows are made within the request; more go to the background."""
    return settings.EXPORT_IN_REQUEST_ROWS[extension]


@require_GET
@role_required(*MONEY_READERS)
def ledger_page(request):
    size = ledger.ledger_size(request.user)
    context = {
        "size": size,
        "background": {extension: size > _limit(extension) for extension in CONTENT_TYPES},
        "jobs": ExportJob.objects.for_user(request.user)[:10],
    }
    return render(request, "downloads/ledger.html", context)


@require_GET
@role_required(*MONEY_READERS)
def ledger_download(request, extension):
    if extension not in CONTENT_TYPES:
        raise Http404("No such format")
    user = request.user
    size = ledger.ledger_size(user)
    if size > _limit(extension):
        return redirect("downloads:job", job_pk=_background_job(user, KINDS[extension], size).pk)
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


def _background_job(user, kind, size) -> ExportJob:
    """The user's job already waiting or running for this file, or a new one."""
    recent = timezone.now() - timedelta(hours=1)
    job = (
        ExportJob.objects.for_user(user)
        .filter(kind=kind, status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING], created_at__gte=recent)
        .first()
    )
    if job is None:
        job = ExportJob.objects.create(user=user, kind=kind, rows_total=size)
        make_export.enqueue(str(job.pk))
    return job


@require_GET
@role_required(*MONEY_READERS)
def job_detail(request, job_pk):
    job = get_object_or_404(ExportJob.objects.for_user(request.user), pk=job_pk)
    return render(request, "downloads/job.html", {"job": job, "refresh": job.status in ("queued", "running")})


@require_GET
@role_required(*MONEY_READERS)
def job_file(request, job_pk):
    job = get_object_or_404(ExportJob.objects.for_user(request.user), pk=job_pk, status=ExportJob.Status.DONE)
    return stored_file(
        request,
        job.file,
        name=job.filename,
        content_type=CONTENT_TYPES[job.extension],
        kind=DownloadRecord.Kind.EXPORT,
        description=f"{job.get_kind_display()}, made in the background",
    )
