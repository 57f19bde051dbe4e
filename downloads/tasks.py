import logging
import tempfile
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from downloads import ledger
from downloads.models import ExportJob

log = logging.getLogger(__name__)


@task()
def make_export(job_id: str) -> None:
    """Write the job's file row by row, recording progress as it goes."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if job.status != ExportJob.Status.QUEUED:
        return  # already taken by another worker, or finished
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, started_at=timezone.now())
    log.info("Export %s (%s) for %s started", job.pk, job.kind, job.user.username)

    def progress(written):
        ExportJob.objects.filter(pk=job.pk).update(rows_written=written)

    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / job.filename
            rows = ledger.ledger_rows(job.user)
            if job.kind == ExportJob.Kind.LEDGER_CSV:
                with open(path, "w", newline="", encoding="utf-8") as out:
                    ledger.write_csv(out, rows, progress)
            else:
                ledger.write_xlsx(path, rows, progress)
            with transaction.atomic(), open(path, "rb") as made:
                job.refresh_from_db()
                job.file.save(job.filename, File(made), save=False)
                job.status = ExportJob.Status.DONE
                job.finished_at = timezone.now()
                job.save(update_fields=["file", "status", "finished_at"])
        log.info("Export %s finished: %s rows", job.pk, job.rows_written)
    except Exception as error:  # the user sees that it failed; the worker log has the detail
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, finished_at=timezone.now(), error=type(error).__name__
        )
        log.exception("Export %s failed", job.pk)
        raise
