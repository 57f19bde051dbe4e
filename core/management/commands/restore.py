"""`manage.py restore FILE` (`make restore FILE=...`): a backup made by `manage.py backup`, brought back
into an empty PostgreSQL database and an empty file storage.

It refuses, changing nothing, unless the database has no tables and the storage holds no file, so it
can never mix a backup into live records. It then reads the whole archive and checks it against its
manifest (every file there, of the size and sha256 recorded, under a name the storage accepts, and
made by migrations this code knows) before it writes anything. pg_restore loads the dump in one
transaction, so a failure leaves the database empty; each file is then written through the storage
API and read back to check its sha256.
"""

import hashlib
import json
import tarfile
import tempfile
import zlib
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.utils import validate_file_name
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from core.management.commands.backup import (
    DUMP,
    FILES,
    FORMAT,
    MANIFEST,
    copy_hashing,
    needs_postgresql,
    run_postgres_program,
    stored_files,
)

# The manifest is read into memory: a few hundred bytes a file, so this is some hundred thousand files.
MANIFEST_MAX_BYTES = 64 * 1024 * 1024


def _public_tables(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'")
        return cursor.fetchone()[0]


def _unpack(path: Path, work: Path) -> tuple[dict, dict[str, tuple[Path, int, str]]]:
    """The manifest, and each entry of the archive copied to ``work`` with its size and sha256. Entries are
    copied under numbers, never under their own names, so an archive cannot write outside ``work``."""
    entries: dict[str, tuple[Path, int, str]] = {}
    manifest = None
    try:
        with tarfile.open(path, "r:gz") as archive:
            for number, entry in enumerate(archive):
                if not entry.isfile():
                    raise CommandError(f"{path} holds {entry.name}, which is not a file: it is not a backup")
                if entry.name in entries or (entry.name == MANIFEST and manifest is not None):
                    raise CommandError(f"{path} holds {entry.name} twice: it is not a backup")
                source = archive.extractfile(entry)
                if entry.name == MANIFEST:
                    if entry.size > MANIFEST_MAX_BYTES:
                        raise CommandError(f"{path} has a manifest too large to be a backup's")
                    manifest = json.loads(source.read())
                elif entry.name == DUMP or entry.name.startswith(FILES):
                    copy = work / str(number)
                    with copy.open("wb") as target:
                        size, sha256 = copy_hashing(source, target)
                    entries[entry.name] = (copy, size, sha256)
                else:
                    raise CommandError(f"{path} holds {entry.name}, which a backup does not: it is not a backup")
    except (tarfile.TarError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CommandError(f"{path} is not a whole backup made by manage.py backup ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CommandError(f"{path} has no manifest this version of the service can read: it is not a backup")
    return manifest, entries


def _checked(path: Path, manifest: dict, entries: dict) -> tuple[Path, list[tuple[str, Path, str]]]:
    """The dump and the files to write, once every one matches the manifest."""
    try:
        expected = {DUMP: manifest["database"]} | {FILES + entry["name"]: entry for entry in manifest["files"]}
        for name, recorded in expected.items():
            if name not in entries:
                raise CommandError(f"{path} lacks {name}, which its manifest lists: the backup is incomplete")
            _, size, sha256 = entries[name]
            if (size, sha256) != (recorded["size"], recorded["sha256"]):
                raise CommandError(f"{name} in {path} is not the file the backup recorded (its sha256 differs)")
    except (KeyError, TypeError) as error:
        raise CommandError(f"{path} has a manifest that lacks {error}: it is not a backup") from None
    unlisted = sorted(set(entries) - set(expected))
    if unlisted:
        raise CommandError(f"{path} holds {unlisted[0]}, which its manifest does not list: it is not a backup")
    files = []
    for name in sorted(expected):
        if name == DUMP:
            continue
        stored_name = name.removeprefix(FILES)
        try:
            validate_file_name(stored_name, allow_relative_path=True)
        except SuspiciousFileOperation:
            raise CommandError(f"{path} holds a file named {stored_name!r}, which no storage name can be") from None
        files.append((stored_name, entries[name][0], expected[name]["sha256"]))
    return entries[DUMP][0], files


def _sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stored:
        for chunk in iter(lambda: stored.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = (
        "Restore a backup made by manage.py backup into an empty PostgreSQL database and an empty file "
        "storage: refused, changing nothing, when either holds anything or the archive does not match its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup (.tar.gz) to restore")

    def handle(self, *args, file, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        needs_postgresql(connection, "A restore")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}")
        tables = _public_tables(connection)
        if tables:
            raise CommandError(
                f"The database {connection.settings_dict['NAME']} is not empty (it has {tables} tables): nothing "
                "was restored. Restore into a new database (python -m config.ensure_database creates the one "
                "DATABASE_URL names)."
            )
        stored = next(stored_files(default_storage), None)
        if stored is not None:
            raise CommandError(
                f"The file storage is not empty (it holds {stored}, among others): nothing was restored. "
                "Restore into an empty folder (DJANGO_PRIVATE_FILES) or bucket (AWS_STORAGE_BUCKET_NAME)."
            )
        with tempfile.TemporaryDirectory() as work:
            manifest, entries = _unpack(path, Path(work))
            dump, files = _checked(path, manifest, entries)
            known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
            unknown = sorted(set(manifest.get("migrations", [])) - known)
            if unknown:
                raise CommandError(
                    f"The backup was made by a newer version of the service (its database has migrations this "
                    f"code lacks: {', '.join(unknown[:3])}): install that version, then restore."
                )
            run_postgres_program(
                "pg_restore",
                connection,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                str(dump),
            )
            for name, copy, sha256 in files:
                with copy.open("rb") as source:
                    saved = default_storage.save(name, File(source, name=name))
                if saved != name or _sha256(default_storage, saved) != sha256:
                    raise CommandError(
                        f"The storage did not keep {name} as it was backed up: the database is restored, the files "
                        "only in part. Empty both and restore again."
                    )
        self.stdout.write(
            f"Restored the database and {len(files):,} stored file{'' if len(files) == 1 else 's'} from {path} "
            f"(made {manifest.get('made_at', 'at an unrecorded time')})."
        )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("This code has migrations the backup's database lacks: run manage.py migrate.")
