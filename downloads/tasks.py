"""The worker's side of a background download: take the job, hold it while making its file,
store the file; and put back in the queue the jobs whose worker died."""

import logging
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from downloads import ledger
from downloads.models import ExportJob

log = logging.getLogger(__name__)

FAILED_MESSAGE = "Something went wrong on our side while making the file."
STOPPED_MESSAGE = (
    "The file was started {attempts} times and each time the computer making it stopped before it finished."
)


class LeaseLost(Exception):
    """The job was given to another worker while this one was still making it (this one
    stalled for longer than the lease): this one stops and leaves the job to the other."""


class _Holding(threading.Thread):
    """Renews the lease every third of its length while the job is made, so a slow step (a
    long PDF, a slow query) does not lose the job as long as the worker is alive."""

    def __init__(self, job: ExportJob):
        super().__init__(name=f"lease-{job.pk}", daemon=True)
        self.job = job
        self.done = threading.Event()
        self.lost = False

    def run(self):
        try:
            while not self.done.wait(settings.EXPORT_JOB_LEASE_SECONDS / 3):
                try:
                    if not self.job.renew():
                        self.lost = True
                        return
                except DatabaseError:  # the next beat tries again; the lease covers two misses
                    log.warning("Could not renew the lease of export %s", self.job.pk, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    def stop(self):
        self.done.set()
        self.join()


def _make_ledger(job: ExportJob, path: Path, progress) -> None:
    rows = ledger.ledger_rows(job.user)
    if job.kind == ExportJob.Kind.LEDGER_CSV:
        with open(path, "w", newline="", encoding="utf-8") as out:
            ledger.write_csv(out, rows, progress)
    else:
        ledger.write_xlsx(path, rows, progress)


# What makes each kind of file, given the job, a path to write and a progress callback. The
# reports' makers are named, not imported: the report views start jobs from this module, so
# importing reports here would make each import the other.
MAKERS = {
    ExportJob.Kind.LEDGER_CSV: _make_ledger,
    ExportJob.Kind.LEDGER_XLSX: _make_ledger,
    ExportJob.Kind.SPENDING_XLSX: "reports.jobs.make_spending_xlsx",
    ExportJob.Kind.SPENDING_PDF: "reports.jobs.make_spending_pdf",
    ExportJob.Kind.BOARD_PACK_PDF: "reports.jobs.make_board_pack_pdf",
    ExportJob.Kind.IMPACT_XLSX: "reports.jobs.make_impact_xlsx",
    ExportJob.Kind.IMPACT_PDF: "reports.jobs.make_impact_pdf",
}


def _maker(kind: str):
    maker = MAKERS[kind]
    return import_string(maker) if isinstance(maker, str) else maker


@task(takes_context=True)
def make_export(context, job_id: str) -> None:
    """Make the job's file, if no other worker has taken the job, renewing the lease as it goes."""
    worker = context.task_result.worker_ids[-1] if context.task_result.worker_ids else ""
    job = ExportJob.objects.claim(job_id, worker=worker)
    if job is None:
        return  # taken by another worker, finished, or failed
    log.info("Export %s (%s) for %s started, attempt %s", job.pk, job.kind, job.user.username, job.attempts)
    holding = _Holding(job)
    holding.start()

    def progress(written):
        if holding.lost or not job.renew(written):
            raise LeaseLost

    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / job.filename
            _maker(job.kind)(job, path, progress)
            if holding.lost:
                raise LeaseLost
            with open(path, "rb") as made:
                job.file.save(job.filename, File(made), save=False)
        if not job.finish(job.file.name):
            job.file.delete(save=False)
            raise LeaseLost
        log.info("Export %s finished", job.pk)
    except LeaseLost:
        log.warning("Export %s was given to another worker while this one made it; this one stops", job.pk)
    except Exception:
        job.fail(FAILED_MESSAGE)
        log.exception("Export %s failed", job.pk)
        raise
    finally:
        holding.stop()


def enqueue(job: ExportJob) -> None:
    """Put the job in the worker's queue, remembering the queue's row for it."""
    result = make_export.enqueue(str(job.pk))
    ExportJob.objects.filter(pk=job.pk).update(task_id=result.id)


def background_job(user, kind: str, *, size: int, params: dict | None = None) -> ExportJob:
    """The user's job already waiting or running for this file (the same report filters), or a
    new one. A job whose worker died is first put back in the queue or failed, so asking again
    never returns a job that nobody is making; after a failure it makes a new one."""
    params = params or {}
    mine = ExportJob.objects.for_user(user)
    recover_stalled(mine)
    waiting = mine.waiting_or_running().filter(kind=kind)
    # Few jobs wait for one user at once; comparing the filters here is the same on every database.
    job = next((job for job in waiting if job.params == params), None)
    if job is None:
        with transaction.atomic():
            job = ExportJob.objects.create(user=user, kind=kind, rows_total=size, params=params)
            enqueue(job)
    return job


def recover_stalled(jobs=None) -> list[ExportJob]:
    """Put back in the queue each job (of ``jobs``, by default all) whose worker stopped renewing
    its lease, or fail it once it has used all its attempts. Each move is a conditional UPDATE of
    the stalled attempt, so two workers (or a worker and a page) noticing the same job at once
    move it once. Returns the jobs moved."""
    moved = []
    for job in (jobs if jobs is not None else ExportJob.objects).stalled():
        stalled = ExportJob.objects.stalled().filter(pk=job.pk, attempts=job.attempts)
        dead_task, now = job.task_id, timezone.now()
        with transaction.atomic():
            if job.attempts >= settings.EXPORT_JOB_ATTEMPTS:
                message = STOPPED_MESSAGE.format(attempts=job.attempts)
                if not stalled.update(status=ExportJob.Status.FAILED, finished_at=now, error=message):
                    continue
                log.warning("Export %s failed: its worker stopped on each of %s attempts", job.pk, job.attempts)
            else:
                if not stalled.update(status=ExportJob.Status.QUEUED, lease_until=None, worker="", rows_written=0):
                    continue
                enqueue(job)
                log.warning("Export %s put back in the queue: worker %s stopped", job.pk, job.worker)
            # The queue's row for the dead attempt would say "running" for ever.
            DBTaskResult.objects.filter(id=dead_task or None, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{__name__}.LeaseLost",
                traceback=f"Worker {job.worker} stopped renewing its lease",
            )
        moved.append(job)
    return moved
