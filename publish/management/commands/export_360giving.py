import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from publish.schema import validation_errors
from publish.spreadsheet import workbook_for
from publish.threesixtygiving import package, publication

FORMATS = {".json": "JSON", ".xlsx": "Excel"}


class Command(BaseCommand):
    help = (
        "Write the 360Giving publication of the published grants to a file: a JSON data package "
        "(--output grants.json) or the flat spreadsheet (--output grants.xlsx). The data is checked "
        "against the 360Giving schema first; nothing is written if it does not validate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, metavar="FILE", help="A file ending in .json or .xlsx.")

    def handle(self, *args, output, **options):
        path = Path(output)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise CommandError(f"{output}: the file name must end in .json (data package) or .xlsx (spreadsheet).")
        if not path.parent.is_dir():
            raise CommandError(f"{output}: there is no folder {path.parent}.")
        published = publication()
        if not published.grants:
            raise CommandError(
                "No grants are published (none is marked publishable and not withdrawn), so nothing was written."
            )
        data = package(published, issued=timezone.now())
        errors = validation_errors(data)
        if errors:
            raise CommandError(
                "The publication does not validate against the 360Giving schema, so nothing was written:\n"
                + "\n".join(errors)
            )
        # Written beside the target and renamed into place, so a failure never leaves half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".360giving-", suffix=suffix)
        try:
            with os.fdopen(handle, "wb") as file:
                if suffix == ".json":
                    file.write(json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
                else:
                    workbook_for(published.grants).save(file)
            os.chmod(temporary, 0o644)  # open data; mkstemp makes files only their owner can read
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        count = len(published.grants)
        self.stdout.write(f"Wrote {count} grant{'s' if count != 1 else ''} to {path} ({FORMATS[suffix]}).")
