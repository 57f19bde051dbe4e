"""An import from upload to confirmation.

Every run reads and checks the whole file, plans each row, and hands each
change to the service that owns it, inside one transaction. At upload the
writes are made and rolled back, so every refusal the services would give is
listed before a batch is kept; the confirmation makes them again against the
records as they are then, and keeps them only if every row was accepted. Either
all rows are written or none.
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.uploads import clean_name
from imports.importers import CHANGED, NEW, UNCHANGED, Change, Importer
from imports.models import ImportBatch
from imports.spreadsheet import Problem, Refused, check_workbook_upload, read_rows


@dataclass
class Outcome:
    changes: list[Change]
    problems: list[Problem]
    skipped: int = 0
    written: bool = False

    def _of(self, action):
        return [change for change in self.changes if change.action == action]

    @property
    def new(self):
        return self._of(NEW)

    @property
    def changed(self):
        return self._of(CHANGED)

    @property
    def unchanged(self):
        return self._of(UNCHANGED)


def run(importer: Importer, upload, *, commit: bool, write: bool = True) -> Outcome:
    """Read, check and write every row in one transaction; keep the writes only
    when ``commit`` and nothing was refused. Raise Refused when the file itself is unreadable.

    ``write=False`` only reads and plans: the services' own checks are left to the
    confirmation. The writes cost far more than the reading (each row is a locked,
    validated, audited save), so the preview page does not repeat them."""
    rows = read_rows(upload, importer.layout)
    with transaction.atomic():
        plan = importer.plan(rows)
        problems = list(plan.problems)
        if write:
            problems.extend(
                importer.write_all([change for change in importer.ordered(plan.changes) if change.action != UNCHANGED])
            )
        written = commit and not problems
        if not written:
            transaction.set_rollback(True)
    problems.sort(key=lambda problem: (problem.row or 0, problem.column))
    return Outcome(changes=plan.changes, problems=problems, skipped=plan.skipped, written=written)


def _sha256(file) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def start_batch(*, importer: Importer, upload) -> tuple[ImportBatch | None, Outcome]:
    """Check an uploaded file and, when every row can be imported, keep it as a
    pending batch for its owner to confirm. Raise ValidationError for a file that is
    not an Excel workbook, Refused for one whose shape is wrong."""
    check_workbook_upload(upload)
    outcome = run(importer, upload, commit=False)
    if outcome.problems:
        return None, outcome
    batch = ImportBatch(
        user=importer.user,
        kind=importer.kind,
        grant=importer.grant,
        evaluation=importer.evaluation,
        original_name=clean_name(upload.name or ""),
        size_bytes=upload.size,
        sha256=_sha256(upload),
        rows_new=len(outcome.new),
        rows_changed=len(outcome.changed),
        rows_unchanged=len(outcome.unchanged),
    )
    upload.seek(0)
    batch.file.save("upload.xlsx", upload, save=False)
    try:
        batch.full_clean(exclude=["file"])
        batch.save()
    except BaseException:
        batch.file.storage.delete(batch.file.name)
        raise
    return batch, outcome


def _stored_rows_check(batch: ImportBatch, file) -> None:
    if _sha256(file) != batch.sha256:
        raise Refused([Problem("The stored copy of the file has changed since it was uploaded: upload it again")])


def preview_batch(batch: ImportBatch, importer: Importer) -> Outcome:
    """What confirming would do now: the file read and planned again against today's
    records. The services checked every row when the file was uploaded, and check
    them again at the confirmation."""
    try:
        with batch.file.open("rb") as file:
            _stored_rows_check(batch, file)
            return run(importer, file, commit=False, write=False)
    except FileNotFoundError:
        raise Refused([Problem("The uploaded file is no longer stored: upload it again")]) from None


class NotPending(Exception):
    pass


def apply_batch(batch: ImportBatch, importer: Importer) -> Outcome:
    """Import every row of a pending batch, or none of them."""
    with transaction.atomic():
        # The lock makes a second click (or a second tab) wait, then find the batch applied.
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportBatch.Status.PENDING:
            raise NotPending(f"This import has already been {locked.get_status_display().lower()}")
        try:
            with locked.file.open("rb") as file:
                _stored_rows_check(locked, file)
                outcome = run(importer, file, commit=True)
        except FileNotFoundError:
            raise Refused([Problem("The uploaded file is no longer stored: upload it again")]) from None
        if outcome.written:
            locked.status = ImportBatch.Status.APPLIED
            locked.applied_at = timezone.now()
            locked.rows_new = len(outcome.new)
            locked.rows_changed = len(outcome.changed)
            locked.rows_unchanged = len(outcome.unchanged)
            locked.save(update_fields=["status", "applied_at", "rows_new", "rows_changed", "rows_unchanged"])
            batch.status, batch.applied_at = locked.status, locked.applied_at
    return outcome


def cancel_batch(batch: ImportBatch) -> None:
    changed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.CANCELLED, cancelled_at=timezone.now()
    )
    if not changed:
        batch.refresh_from_db()
        raise NotPending(f"This import has already been {batch.get_status_display().lower()}")
    batch.refresh_from_db()
