"""The work that runs on a clock rather than on a request: cron runs `manage.py run_scheduled` on one
machine every ten minutes (the README has the lines).

Every step is safe to run twice, and on two machines at once: it removes a file or a row only through
a conditional update or delete, and counts only what its own statement changed. A stored file goes
before the row that names it, so a run stopped halfway leaves a name whose file is gone, which the next
run finishes, never a file no row names.

core sits below the apps whose rows these steps tidy, so it reaches them by name, as migrations do:
their models through the app registry, and the reconciliation through grants' own `reconcile` command,
which was written for scheduled runs (it exits with 1 when a difference needs someone's action).
"""

import io
import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def reconciliation(*, dry_run: bool) -> tuple[str, bool]:
    """The check behind the reconciliation page, over every grant; each difference goes to the log.
    It only reads, so a dry run runs it too."""
    out = io.StringIO()
    try:
        call_command("reconcile", stdout=out)
        needs_action = False
    except SystemExit as exit_:
        needs_action = exit_.code not in (None, 0)
    *findings, summary = out.getvalue().splitlines() or ["The reconciliation printed nothing."]
    for finding in findings:
        log.log(logging.WARNING if needs_action else logging.INFO, "Reconciliation: %s", finding)
    log.log(logging.WARNING if needs_action else logging.INFO, "Reconciliation: %s", summary)
    return summary, needs_action


def import_files(*, dry_run: bool) -> tuple[str, bool]:
    """The stored workbook of each import applied or cancelled more than IMPORT_FILES_KEPT_DAYS ago.
    The batch stays, with who imported what and when, its counts and the file's name, size and sha256."""
    batch_model = apps.get_model("imports", "ImportBatch")
    days = settings.IMPORT_FILES_KEPT_DAYS
    before = timezone.now() - timedelta(days=days)
    # A pending batch has neither time, so it is never chosen: its owner may still confirm it.
    old = batch_model.objects.filter(Q(applied_at__lt=before) | Q(cancelled_at__lt=before)).exclude(file="")
    if dry_run:
        return f"would remove {_plural(old.count(), 'import file')} older than {days} days", False
    storage = batch_model._meta.get_field("file").storage
    removed = 0
    for pk, name in old.values_list("pk", "file").iterator():
        storage.delete(name)  # a file already gone (another machine, an earlier run) is no error
        removed += old.filter(pk=pk, file=name).update(file="")
    log.info("Removed %s of imports finished more than %s days ago", _plural(removed, "stored file"), days)
    return f"removed {_plural(removed, 'import file')} older than {days} days", False


def export_jobs(*, dry_run: bool) -> tuple[str, bool]:
    """Downloads made in the background that finished or failed more than EXPORT_JOBS_KEPT_DAYS ago:
    the job and its file. Ready and failed are final (asking again makes a new job), so a file removed
    here belongs to a job this step then deletes. Each download is recorded apart, in the audit."""
    job_model = apps.get_model("downloads", "ExportJob")
    days = settings.EXPORT_JOBS_KEPT_DAYS
    before = timezone.now() - timedelta(days=days)
    old = job_model.objects.filter(status__in=[job_model.Status.DONE, job_model.Status.FAILED]).filter(
        Q(finished_at__lt=before) | Q(finished_at__isnull=True, created_at__lt=before)
    )
    if dry_run:
        return f"would delete {_plural(old.count(), 'finished download')} older than {days} days", False
    storage = job_model._meta.get_field("file").storage
    deleted = 0
    for pk, name in old.values_list("pk", "file").iterator():
        if name:
            storage.delete(name)
        deleted += old.filter(pk=pk).delete()[0]
    log.info("Deleted %s finished more than %s days ago", _plural(deleted, "download"), days)
    # The queue's own record of each finished task goes after the same time.
    call_command("prune_db_task_results", min_age_days=days, queue_name="*", verbosity=0)
    return f"deleted {_plural(deleted, 'finished download')} older than {days} days", False


STEPS = {"reconciliation": reconciliation, "import-files": import_files, "export-jobs": export_jobs}


class Command(BaseCommand):
    help = (
        "Run the scheduled work: the reconciliation check (its findings go to the log), removal of the stored "
        "files of imports finished more than IMPORT_FILES_KEPT_DAYS ago, and of downloads finished more than "
        "EXPORT_JOBS_KEPT_DAYS ago. Safe to run twice or on two machines at once. Exits with status 1 when "
        "the reconciliation finds a difference that needs action or a step fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=list(STEPS), action="append", help="run this step only (repeatable)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")

    def handle(self, *args, only, dry_run, **options):
        failed, attention = [], False
        for name, step in STEPS.items():
            if only and name not in only:
                continue
            try:
                summary, needs_action = step(dry_run=dry_run)
            except Exception:  # one step's failure must not stop the others; the log has the detail
                log.exception("Scheduled step %s failed", name)
                failed.append(name)
                continue
            attention = attention or needs_action
            self.stdout.write(f"{name}: {summary}")
        if failed:
            raise CommandError(f"Failed: {', '.join(failed)} (the log says why)")
        if attention:
            raise CommandError("The reconciliation found differences that need action (listed in the log)")
