"""The publication's two files, built once for each version of the data and kept in Django's cache.

Building a file reads every published grant: a handful of queries and, for a national programme, a
second or two of work. Reading whether anything changed is one query: ``version_stamp`` takes, for
each table the files draw on, the latest change (a modified or recorded time, or the highest id of a
table whose rows are only ever added, such as the audit history) and, where rows can be taken away,
the number of rows. A grant saved, a payment or recovery recorded, an allocation, organisation,
source, partner, theme, round or programme added or changed, through the services, the forms or the
admin (each of which saves a row, writes a history row or logs the change), moves the stamp, and the
next request builds the files afresh. A change made around all of them (a bare UPDATE in a shell that leaves the time alone)
leaves the stamp where it was; the files are rebuilt after ``REBUILD_AFTER`` whatever happens, so
such a change is published within the hour.

The bytes depend only on the data and on the address the service is reached at: the package's
``issued`` and the workbook's stamps are the publication's last change, not the moment of building.
So the ETag, a hash of the bytes, is the same in every process that builds them (each gunicorn worker
has its own cache), and a client's conditional request is answered 304 by any of them.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.cache import cache

from core import data_version
from grants.models import Allocation, AllocationBalance, Grant, Organisation, Payment, Programme, Round, Source
from projects.models import Project, ProjectPartner, Theme
from publish.spreadsheet import workbook_bytes
from publish.threesixtygiving import package, publication

JSON = "json"
XLSX = "xlsx"
REBUILD_AFTER = 60 * 60  # seconds


@dataclass(frozen=True)
class PublishedFile:
    content: bytes
    etag: str
    modified: dt.datetime | None  # the publication's last change: a grant's, or a payment's against it
    count: int  # grants in the file; none means there is nothing to publish

    @property
    def last_modified(self) -> int | None:
        """For the Last-Modified header: whole seconds since the epoch."""
        return int(self.modified.timestamp()) if self.modified else None


def _watched():
    """(model, the column that moves when a row is added or changed, whether rows can be taken away)."""
    return (
        (Grant, "modified_at", False),
        (Grant.history.model, "history_id", False),  # a save that leaves modified_at alone
        (Allocation, "id", True),
        (Allocation.history.model, "history_id", False),
        (AllocationBalance, "updated_at", True),
        (Payment, "id", False),
        (Payment.history.model, "history_id", False),
        (Organisation, "modified_at", True),
        (Source, "modified_at", True),
        (Project.history.model, "history_id", False),
        (ProjectPartner, "id", True),
        (Project.themes.through, "id", True),
        (Theme, "id", True),
        (Round.history.model, "history_id", False),
        (Programme.history.model, "history_id", False),
        # Themes keep no time of change: an edit in the admin is logged here.
        (LogEntry, "id", False),
    )


def version_stamp() -> str:
    """What the publication was built from, in one query: changes whenever anything it publishes changes."""
    return data_version.stamp(_watched())


def _json(published, *, page_url: str, download_url: str) -> bytes:
    data = package(published, issued=published.modified, download_url=download_url, access_url=page_url)
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _build(kind: str, *, page_url: str, download_url: str) -> PublishedFile:
    published = publication(page_url=page_url)
    if not published.grants:
        return PublishedFile(content=b"", etag="", modified=None, count=0)
    if kind == JSON:
        content = _json(published, page_url=page_url, download_url=download_url)
    else:
        content = workbook_bytes(published.grants, published.modified)
    return PublishedFile(
        content=content,
        etag=f'"{hashlib.sha256(content).hexdigest()[:40]}"',
        modified=published.modified,
        count=len(published.grants),
    )


def published_file(kind: str, *, page_url: str, download_url: str) -> PublishedFile:
    """The file of ``kind`` (JSON or XLSX) for the data as it stands: from the cache, or built and cached.
    ``page_url`` and ``download_url`` are absolute addresses written into the file, so they are part of its key."""
    version = "\n".join((kind, version_stamp(), settings.THREESIXTYGIVING_PREFIX, page_url, download_url))
    key = f"publish:{hashlib.sha256(version.encode('utf-8')).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = _build(kind, page_url=page_url, download_url=download_url)
        cache.set(key, found, REBUILD_AFTER)
    return found
