"""`manage.py run_scheduled`: the reconciliation's findings in the log with their count, the stored files
of old finished imports removed (the batch kept), old finished downloads deleted with their files. Each
step is safe twice over and when another machine runs it at the same moment."""

import hashlib
import io
import logging
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Role
from core.management.commands import run_scheduled
from downloads.models import ExportJob
from imports.models import ImportBatch
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
WORKBOOK = b"PK\x03\x04 a workbook's bytes"


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def run(*args) -> str:
    out = io.StringIO()
    call_command("run_scheduled", *args, stdout=out)
    return out.getvalue()


def batch(user, *, status, days_ago):
    when = timezone.now() - days_ago * DAY
    made = ImportBatch(
        user=user,
        kind=ImportBatch.Kind.SPEND_RETURNS,
        original_name="returns.xlsx",
        size_bytes=len(WORKBOOK),
        sha256=hashlib.sha256(WORKBOOK).hexdigest(),
        status=status,
        created_at=when - DAY,
        applied_at=when if status == ImportBatch.Status.APPLIED else None,
        cancelled_at=when if status == ImportBatch.Status.CANCELLED else None,
    )
    made.file.save("upload.xlsx", ContentFile(WORKBOOK), save=True)
    return made


@pytest.fixture
def batches(db):
    user = UserFactory(role=Role.OFFICER)
    return {
        "applied long ago": batch(user, status=ImportBatch.Status.APPLIED, days_ago=91),
        "cancelled long ago": batch(user, status=ImportBatch.Status.CANCELLED, days_ago=120),
        "applied lately": batch(user, status=ImportBatch.Status.APPLIED, days_ago=89),
        # Never confirmed: its owner may still confirm it, however old it is.
        "pending": batch(user, status=ImportBatch.Status.PENDING, days_ago=400),
    }


def stored(name) -> bool:
    return bool(name) and default_storage.exists(name)


def test_old_finished_import_files_go_and_their_batches_stay(batches):
    names = {label: made.file.name for label, made in batches.items()}
    assert "import-files: removed 2 import files older than 90 days" in run("--only", "import-files")
    for label in ("applied long ago", "cancelled long ago"):
        kept = ImportBatch.objects.get(pk=batches[label].pk)
        assert kept.file.name == ""
        assert not stored(names[label])
        assert (kept.original_name, kept.size_bytes, kept.status) == (
            "returns.xlsx",
            len(WORKBOOK),
            batches[label].status,
        )
    for label in ("applied lately", "pending"):
        assert ImportBatch.objects.get(pk=batches[label].pk).file.name == names[label]
        assert default_storage.open(names[label]).read() == WORKBOOK
    assert ImportBatch.objects.count() == 4
    # Again: nothing left to do, nothing else touched.
    assert "removed 0 import files" in run("--only", "import-files")
    assert ImportBatch.objects.exclude(file="").count() == 2


def test_the_kept_days_are_a_setting(batches, settings):
    settings.IMPORT_FILES_KEPT_DAYS = 200
    assert "removed 0 import files older than 200 days" in run("--only", "import-files")
    settings.IMPORT_FILES_KEPT_DAYS = 30
    assert "removed 3 import files older than 30 days" in run("--only", "import-files")
    assert ImportBatch.objects.get(pk=batches["pending"].pk).file.name != ""


def test_a_dry_run_removes_nothing(batches):
    before = list(ImportBatch.objects.order_by("pk").values_list("file", flat=True))
    assert "would remove 2 import files" in run("--only", "import-files", "--dry-run")
    assert list(ImportBatch.objects.order_by("pk").values_list("file", flat=True)) == before
    assert all(default_storage.exists(name) for name in before)


def other_machine_runs_within(monkeypatch, model, step) -> list[str]:
    """Make the other machine run the whole ``step`` between this one's removing its first file and its own
    conditional change of the row; returns (once this machine has run) what the other machine said."""
    storage = model._meta.get_field("file").storage
    delete = storage.delete
    others = []

    def delete_then_the_other_machine_runs(name):
        delete(name)
        if not others:
            others.append("running")  # the other machine's own deletes go straight through
            others[0] = step(dry_run=False)[0]

    monkeypatch.setattr(storage, "delete", delete_then_the_other_machine_runs)
    return others


def test_two_machines_at_once_remove_each_file_once(batches, monkeypatch):
    """The other machine runs the whole step between this one's removing a file and clearing its name."""
    others = other_machine_runs_within(monkeypatch, ImportBatch, run_scheduled.import_files)
    mine, _ = run_scheduled.import_files(dry_run=False)
    # The other machine cleared both names (the first file already gone); this one counted only the second.
    assert others == ["removed 2 import files older than 90 days"]
    assert mine == "removed 0 import files older than 90 days"
    assert ImportBatch.objects.exclude(file="").count() == 2


def job(user, *, status, days_ago, with_file=True):
    when = timezone.now() - days_ago * DAY
    made = ExportJob(user=user, kind=ExportJob.Kind.LEDGER_CSV, status=status, created_at=when - DAY)
    if status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
        made.finished_at = when
    if status == ExportJob.Status.RUNNING:
        made.lease_until = timezone.now() + DAY
    if with_file:
        made.file.save("ledger.csv", ContentFile(b"Date,Amount\r\n"), save=False)
    made.save()
    return made


@pytest.fixture
def jobs(db):
    user = UserFactory(role=Role.FINANCE)
    return {
        "done long ago": job(user, status=ExportJob.Status.DONE, days_ago=8),
        "failed long ago": job(user, status=ExportJob.Status.FAILED, days_ago=30, with_file=False),
        "done lately": job(user, status=ExportJob.Status.DONE, days_ago=6),
        "running": job(user, status=ExportJob.Status.RUNNING, days_ago=30, with_file=False),
        "queued": job(user, status=ExportJob.Status.QUEUED, days_ago=30, with_file=False),
    }


def test_old_finished_downloads_go_with_their_files(jobs):
    old_file = jobs["done long ago"].file.name
    assert default_storage.exists(old_file)
    assert "export-jobs: deleted 2 finished downloads older than 7 days" in run("--only", "export-jobs")
    assert not default_storage.exists(old_file)
    left = {label for label, made in jobs.items() if ExportJob.objects.filter(pk=made.pk).exists()}
    assert left == {"done lately", "running", "queued"}
    assert default_storage.open(jobs["done lately"].file.name).read() == b"Date,Amount\r\n"
    assert "deleted 0 finished downloads" in run("--only", "export-jobs")


def test_a_dry_run_deletes_no_download(jobs):
    assert "would delete 2 finished downloads" in run("--only", "export-jobs", "--dry-run")
    assert ExportJob.objects.count() == 5
    assert default_storage.exists(jobs["done long ago"].file.name)


def test_two_machines_at_once_delete_each_download_once(jobs, monkeypatch):
    others = other_machine_runs_within(monkeypatch, ExportJob, run_scheduled.export_jobs)
    mine, _ = run_scheduled.export_jobs(dry_run=False)
    assert others == ["deleted 2 finished downloads older than 7 days"]
    assert mine == "deleted 0 finished downloads older than 7 days"
    assert ExportJob.objects.count() == 3


def test_a_programme_that_reconciles_is_logged_as_such(caplog):
    with caplog.at_level(logging.INFO, logger="core.management.commands.run_scheduled"):
        assert "reconciliation: All grants reconcile." in run("--only", "reconciliation")
    assert "Reconciliation: All grants reconcile." in caplog.messages


def test_differences_go_to_the_log_with_their_count_and_the_run_fails(world, caplog):
    # Reclaiming Social Work's £1,000,000 award has £700,000 allocated; Kent's £500,000, £250,000.
    with caplog.at_level(logging.INFO, logger="core.management.commands.run_scheduled"):
        with pytest.raises(CommandError, match="differences that need action"):
            run("--only", "reconciliation")
    findings = [record for record in caplog.records if record.getMessage().startswith("Reconciliation: Grant ")]
    assert len(findings) >= 2
    assert all(record.levelno == logging.WARNING for record in findings)
    assert any(str(world.grant.pk) in record.getMessage() for record in findings)
    summary = caplog.messages[-1]
    assert summary == f"Reconciliation: {len(findings)} discrepancies in 2 grants."


def test_every_step_runs_and_a_failing_one_does_not_stop_the_rest(batches, jobs, monkeypatch, caplog):
    def broken(*, dry_run):
        raise OSError("the disk is full")

    monkeypatch.setitem(run_scheduled.STEPS, "import-files", broken)
    with pytest.raises(CommandError, match="Failed: import-files"):
        run()
    assert ExportJob.objects.count() == 3
    assert "Scheduled step import-files failed" in caplog.messages
