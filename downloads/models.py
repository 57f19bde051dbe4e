"""A download too large to make within a request is made in the background by a
worker (django-tasks, database backend). Its job row shows its progress, and only
the user who asked may see it or fetch its file.

A worker takes a job by a conditional UPDATE and holds it for a lease it renews as it
works. A worker killed mid-job stops renewing; once its lease has run out the job is put
back in the queue (tasks.recover_stalled) and another worker starts it again, up to
EXPORT_JOB_ATTEMPTS times, after which the user sees that it failed and may ask again."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.exports import XLSX_CONTENT_TYPE
from core.pdf import PDF_CONTENT_TYPE

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE, "pdf": PDF_CONTENT_TYPE}


def lease_end():
    return timezone.now() + timedelta(seconds=settings.EXPORT_JOB_LEASE_SECONDS)


class ExportJobQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def waiting_or_running(self):
        return self.filter(status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING])

    def stalled(self):
        """Jobs whose worker stopped renewing its lease: it died, or lost the database."""
        return self.filter(status=ExportJob.Status.RUNNING, lease_until__lt=timezone.now())

    def claim(self, pk, *, worker: str) -> "ExportJob | None":
        """Take the queued job ``pk`` for ``worker``, or None if another worker took it first.
        One UPDATE that changes the row only while it is still queued: two workers reading
        'queued' at once and both writing 'running' is the race this closes."""
        taken = self.filter(pk=pk, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.RUNNING,
            lease_until=lease_end(),
            attempts=F("attempts") + 1,
            worker=worker,
            started_at=timezone.now(),
        )
        return self.select_related("user").get(pk=pk) if taken else None


class ExportKind(models.TextChoices):
    """What a job makes (``ExportJob.Kind``): named here, outside the model, so its check constraint can list
    the values from the choices instead of a copy of them."""

    LEDGER_CSV = "ledger_csv", "Ledger (CSV)"
    LEDGER_XLSX = "ledger_xlsx", "Ledger (Excel)"
    SPENDING_XLSX = "spending_xlsx", "Spending report (Excel)"
    SPENDING_PDF = "spending_pdf", "Spending report (PDF)"
    BOARD_PACK_PDF = "board_pack_pdf", "Board pack (PDF)"
    IMPACT_XLSX = "impact_xlsx", "Impact report (Excel)"
    IMPACT_PDF = "impact_pdf", "Impact report (PDF)"


class ExportJob(models.Model):
    Kind = ExportKind

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being made"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    # A random key, so a job's address reveals nothing and cannot be guessed.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What the user asked for (a report's filters), so the worker makes the same file the page shows.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Each claim counts one attempt; the count also tells a worker whether the job is still its own.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=64, blank=True)
    # The queue's row for the latest attempt, closed when a stalled job is put back in the queue.
    task_id = models.CharField(max_length=64, blank=True)
    # Shown to the user: plain words, never a traceback (the worker's log has the detail).
    error = models.TextField(blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ExportKind.values), name="export_job_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="export_job_status_valid"
            ),
            models.CheckConstraint(condition=~Q(status="done") | ~Q(file=""), name="export_job_done_has_file"),
            models.CheckConstraint(
                condition=~Q(status="running") | Q(lease_until__isnull=False), name="export_job_running_has_lease"
            ),
        ]
        indexes = [models.Index(fields=["status", "lease_until"], name="export_job_stalled")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user}, {self.get_status_display().lower()}"

    @property
    def extension(self) -> str:
        return self.kind.rsplit("_", 1)[1]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]

    @property
    def filename(self) -> str:
        stem = self.kind.rsplit("_", 1)[0].replace("_", "-")
        return f"{stem}-{self.created_at:%Y-%m-%d-%H%M}.{self.extension}"

    @property
    def counts_rows(self) -> bool:
        """Only the ledgers are written line by line; a report is made in one piece."""
        return self.kind in (self.Kind.LEDGER_CSV, self.Kind.LEDGER_XLSX)

    @property
    def percent_done(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_written * 100 // self.rows_total)

    def _mine(self):
        """This job while this attempt still holds it: a worker whose lease ran out and whose job
        was given to another finds no row here, and stops instead of overwriting the other's work."""
        return ExportJob.objects.filter(pk=self.pk, status=self.Status.RUNNING, attempts=self.attempts)

    def renew(self, rows_written: int | None = None) -> bool:
        """Extend this attempt's lease (and record progress); False if the job is no longer its own."""
        changes = {"lease_until": lease_end()}
        if rows_written is not None:
            changes["rows_written"] = rows_written
        return self._mine().update(**changes) == 1

    def finish(self, name: str) -> bool:
        """Mark the job made, its file stored under ``name``; False if the job is no longer its own."""
        return self._mine().update(status=self.Status.DONE, file=name, finished_at=timezone.now()) == 1

    def fail(self, message: str) -> bool:
        return self._mine().update(status=self.Status.FAILED, finished_at=timezone.now(), error=message) == 1
