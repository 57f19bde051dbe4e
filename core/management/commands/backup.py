"""`manage.py backup [FILE]` (`make backup`): the database and every stored file in one archive, which
`manage.py restore` brings back into an empty database and an empty storage.

The archive, a .tar.gz readable with tar, holds:

    database.dump   pg_dump's custom format, taken in one snapshot, so its rows agree with each other
    files/<name>    every stored file (evidence, reports, imports, downloads), read through Django's
                    storage API, so a backup of files on S3 is made the same way as one of the local disk
    manifest.json   when it was made, the migrations applied, and the size and sha256 of the dump and of
                    each file, which the restore checks before it changes anything

The database is dumped first and the files are copied after it. A file uploaded in between is in the
archive with no row naming it, which is harmless; only the scheduled clean-up removes files, and a file
it removes in between is left out. The archive holds everything the service knows, password hashes
included: it is written readable by its owner only, and belongs wherever the database's own copies go.
"""

import hashlib
import io
import json
import logging
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core.health import STORAGE_MARKER

log = logging.getLogger(__name__)

FORMAT = 1
DUMP = "database.dump"
FILES = "files/"
MANIFEST = "manifest.json"
CHUNK = 1 << 20


def needs_postgresql(connection, doing: str) -> None:
    if connection.vendor != "postgresql":
        raise CommandError(
            f"{doing} needs PostgreSQL (DATABASE_URL=postgres://...): this database is {connection.display_name}. "
            "For a SQLite database, stop the service and copy its file and the folder of stored files."
        )


def run_postgres_program(program: str, connection, *arguments: str) -> None:
    """Run ``program`` (pg_dump, pg_restore) against ``connection``'s database, connected as Django's own
    `dbshell` connects: user, host and port as options; the password, service and certificates in the
    environment, never on a command line that anyone on the machine can read."""
    # Django puts its extra parameters just before the database's name: "--dbname NAME" for both programs.
    args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, ["--dbname"])
    try:
        finished = subprocess.run(
            [program, *args[1:], *arguments], env={**os.environ, **(env or {})}, capture_output=True, text=True
        )
    except FileNotFoundError:
        raise CommandError(
            f"{program} was not found: install PostgreSQL's client programs (Debian: postgresql-client), "
            "of the server's version or newer"
        ) from None
    if finished.returncode != 0:
        raise CommandError(f"{program} failed: {finished.stderr.strip()}")


def stored_files(storage, folder: str = ""):
    """The name of every stored file, folder by folder, through the storage API (listdir works alike on
    the local disk and on S3). The health check's marker is not data and is left out."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # no file stored yet, or a folder emptied while the walk went on
        return
    for name in sorted(files):
        path = f"{folder}/{name}" if folder else name
        if path != STORAGE_MARKER:
            yield path
    for name in sorted(folders):
        yield from stored_files(storage, f"{folder}/{name}" if folder else name)


def copy_hashing(source, target) -> tuple[int, str]:
    """Copy ``source`` to ``target`` in chunks; the number of bytes and their sha256."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: source.read(CHUNK), b""):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _add(archive: tarfile.TarFile, name: str, source) -> tuple[int, str]:
    """Add ``source`` to the archive as ``name``. A tar entry states its size before its bytes, so the
    bytes go through a temporary file first: the size and sha256 recorded are those of the bytes written."""
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as spooled:
        size, sha256 = copy_hashing(source, spooled)
        spooled.seek(0)
        entry = tarfile.TarInfo(name)
        entry.size, entry.mode, entry.mtime = size, 0o600, int(timezone.now().timestamp())
        archive.addfile(entry, spooled)
    return size, sha256


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database (one consistent pg_dump) and every stored file, with a manifest of "
        "their sizes and sha256, into one .tar.gz: backups/<date-time>.tar.gz unless a file is named."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="where to write the backup (default backups/<date-time>.tar.gz)")

    def handle(self, *args, file, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        needs_postgresql(connection, "A backup")
        made_at = timezone.now()
        target = Path(file) if file else settings.BASE_DIR / "backups" / f"{made_at:%Y-%m-%d-%H%M%S}.tar.gz"
        if target.exists():
            raise CommandError(f"{target} exists already: name another file")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.partial")
        try:
            with tempfile.TemporaryDirectory() as work:
                dump = Path(work) / DUMP
                run_postgres_program("pg_dump", connection, "--format=custom", f"--file={dump}")
                migrations = sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())
                # Readable by its owner only, from the moment it exists: it holds every record and password hash.
                with (
                    os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw,
                    tarfile.open(fileobj=raw, mode="w:gz") as archive,
                ):
                    with dump.open("rb") as source:
                        dump_size, dump_sha256 = _add(archive, DUMP, source)
                    files = []
                    for name in stored_files(default_storage):
                        try:
                            with default_storage.open(name, "rb") as source:
                                size, sha256 = _add(archive, FILES + name, source)
                        except FileNotFoundError:  # removed by the clean-up since the folder was listed
                            log.info("Backup: %s was removed while the backup was made; left out", name)
                            continue
                        files.append({"name": name, "size": size, "sha256": sha256})
                    manifest = {
                        "format": FORMAT,
                        "made_at": made_at.isoformat(),
                        "database": {"file": DUMP, "size": dump_size, "sha256": dump_sha256},
                        "migrations": migrations,
                        "files": files,
                    }
                    _add(archive, MANIFEST, io.BytesIO(json.dumps(manifest, indent=1).encode()))
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        total = sum(entry["size"] for entry in files)
        self.stdout.write(
            f"Backed up the database ({len(migrations)} migrations applied) and {len(files):,} stored "
            f"file{'' if len(files) == 1 else 's'} ({total:,} bytes) to {target}"
        )
