import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from imports import services
from imports.spend_returns import SpendReturnImport
from imports.spreadsheet import Refused, check_workbook_upload


class Command(BaseCommand):
    help = (
        "Import quarterly spend returns from a filled-in template (.xlsx), exactly as the upload page does: "
        "every row is checked and either all are written in one transaction or none is. Problems are listed "
        "with their sheet, row and column, and the command exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the workbook, made from the spend return template")
        parser.add_argument(
            "--user", help="username of the person the returns are submitted by (a recipient of the allocations)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")

    def handle(self, *args, file, user, dry_run, **options):
        if not user:
            raise CommandError("Name the person the returns are submitted by: --user USERNAME")
        try:
            submitter = get_user_model().objects.select_related("organisation").get(username=user, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no active user called {user}") from None
        try:
            importer = SpendReturnImport(submitter)
        except PermissionDenied as error:
            raise CommandError(f"{user} cannot import spend returns: {error}") from None
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}")
        started = time.perf_counter()
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            try:
                check_workbook_upload(upload)
                outcome = services.run(importer, upload, commit=not dry_run)
            except ValidationError as error:
                return self._fail([" ".join(error.messages)])
            except Refused as refused:
                return self._fail([str(problem) for problem in refused.problems])
        if outcome.problems:
            return self._fail([str(problem) for problem in outcome.problems])
        seconds = time.perf_counter() - started
        counts = f"{len(outcome.new):,} new, {len(outcome.changed):,} changed, {len(outcome.unchanged):,} unchanged" + (
            f", {outcome.skipped:,} rows without figures left out" if outcome.skipped else ""
        )
        if dry_run:
            self.stdout.write(f"Checked {path.name}: it would import {counts}. Nothing was written (--dry-run).")
        else:
            self.stdout.write(f"Imported {path.name} in {seconds:.1f}s: {counts}.")

    def _fail(self, lines):
        for line in lines:
            self.stderr.write(line)
        self.stderr.write(f"{len(lines):,} problem{'' if len(lines) == 1 else 's'}: nothing was imported.")
        self.stderr.flush()
        sys.exit(1)
