import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from publish.schema import is_uri, validation_errors
from publish.spreadsheet import workbook_bytes
from publish.threesixtygiving import package, publication, published_grants

FORMATS = {".json": "JSON", ".xlsx": "Excel"}


class Command(BaseCommand):
    help = (
        "Write the 360Giving publication of the published grants to a file: a JSON data package "
        "(--output grants.json) or the flat spreadsheet (--output grants.xlsx). The data is checked "
        "against the 360Giving schema first; nothing is written if it does not validate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, metavar="FILE", help="A file ending in .json or .xlsx.")
        parser.add_argument(
            "--page-url",
            default="",
            metavar="URL",
            help="The address of the publication's page on the service (https://.../publish/): the data source "
            "of each grant with no source of its own, and the package's access URL.",
        )

    def handle(self, *args, output, page_url, **options):
        path = Path(output)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise CommandError(f"{output}: the file name must end in .json (data package) or .xlsx (spreadsheet).")
        if not path.parent.is_dir():
            raise CommandError(f"{output}: there is no folder {path.parent}.")
        if page_url and not is_uri(page_url):
            raise CommandError(
                f"{page_url}: the page URL must be a full address, such as https://example.org/publish/."
            )
        unsourced = published_grants().filter(Q(source__isnull=True) | Q(source__url="")).count()
        if unsourced and not page_url:
            raise CommandError(
                f"Published grants with no source of their own ({unsourced}) name the publication's page as their "
                "data source: give its address with --page-url https://<the service>/publish/. Nothing was written."
            )
        published = publication(page_url=page_url)
        if not published.grants:
            raise CommandError(
                "No grants are published (none is marked publishable and not withdrawn), so nothing was written."
            )
        data = package(published, issued=published.modified, access_url=page_url)
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
                    file.write(workbook_bytes(published.grants, published.modified))
            os.chmod(temporary, 0o644)  # open data; mkstemp makes files only their owner can read
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        count = len(published.grants)
        self.stdout.write(f"Wrote {count} grant{'s' if count != 1 else ''} to {path} ({FORMATS[suffix]}).")
