"""`manage.py backup` and `manage.py restore` on PostgreSQL: the demo and some stored files, backed up,
restored into a new database and an empty folder, come back with every row of every table and every
file's bytes equal; a restore into a database or storage that holds anything, or from an archive that
does not match its manifest, is refused and changes nothing."""

import io
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from psycopg import sql

from core.health import STORAGE_MARKER
from core.management.commands.backup import run_postgres_program

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FILES = {
    "evidence/2015/09/unit-running.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 40,
    "evidence/2015/09/Rapport d\u2019\u00e9valuation.docx": b"PK\x03\x04" + b"\x00\xff" * 3000,
    "imports/4f6c.xlsx": b"PK\x03\x04 a workbook",
    "exports/2026/12/ledger.csv": b"Date,Organisation\r\n2015-09-30,London Borough of Harrow\r\n",
}


def test_sqlite_is_told_that_backups_need_postgresql(db):
    if connection.vendor == "postgresql":
        pytest.skip("runs on SQLite: what a SQLite installation is told")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("backup", "unused.tar.gz")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("restore", "unused.tar.gz")


def table_digests(cursor) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: its row count and the md5 of all its rows in a fixed order."""
    cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
    digests = {}
    for (table,) in cursor.fetchall():
        cursor.execute(
            sql.SQL("SELECT COUNT(*), md5(COALESCE(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t").format(
                sql.Identifier(table)
            )
        )
        digests[table] = cursor.fetchone()
    return digests


def files_under(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def server() -> dict:
    """Where the test database is, and as whom: the new databases go beside it."""
    params = connection.get_connection_params()
    return {key: params[key] for key in ("host", "port", "user", "password") if params.get(key)}


def create_database(name: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **server()) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **server()) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def source_database(django_db_setup, django_db_blocker, tmp_path_factory):
    """A copy of the migrated test database that the test's connection uses and commits to, so that pg_dump,
    a process of its own, sees the rows; dropped afterwards, leaving the test database as it was."""
    if connection.vendor != "postgresql":
        pytest.skip("backup and restore need PostgreSQL (pg_dump and pg_restore); run with DATABASE_URL=postgres://...")
    with django_db_blocker.unblock():
        test_database = connection.settings_dict["NAME"]
        name = f"{test_database}_backup_{uuid.uuid4().hex[:8]}"
        create_database(name)
        # Copied by a dump rather than as a template, which would need every other connection closed.
        migrated = tmp_path_factory.mktemp("migrated") / "test-database.dump"
        run_postgres_program("pg_dump", connection, "--format=custom", f"--file={migrated}")
        connection.close()
        connection.settings_dict["NAME"] = name
        try:
            run_postgres_program("pg_restore", connection, "--no-owner", "--exit-on-error", str(migrated))
            yield name
        finally:
            connection.close()
            connection.settings_dict["NAME"] = test_database
            drop_database(name)


@pytest.fixture
def empty_database(source_database):
    """A new, empty PostgreSQL database beside the test database, dropped afterwards."""
    name = f"{source_database}_restore"
    create_database(name)
    yield name
    drop_database(name)


def restore_in_a_new_process(archive: Path, database: str, files: Path, server: dict):
    """`manage.py restore` as an operator runs it, against another database and folder than the test's."""
    user = server.get("user", "")
    password = f":{server['password']}" if server.get("password") else ""
    url = f"postgres://{user}{password}@{server.get('host', '127.0.0.1')}:{server.get('port', 5432)}/{database}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {"DATABASE_URL": url, "DJANGO_PRIVATE_FILES": str(files), "DJANGO_DEVELOPMENT": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(archive)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def public_tables(database: str, server: dict) -> int:
    with psycopg.connect(dbname=database, **server) as other:
        return other.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()[
            0
        ]


def tampered_copy(archive: Path, target: Path, name: str) -> None:
    """The same archive with one file's bytes changed and its manifest left as it was."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for entry in source:
            data = source.extractfile(entry).read()
            if entry.name == f"files/{name}":
                data = data.replace(b"Harrow", b"Barrow")
            copy.addfile(entry, io.BytesIO(data))


def test_the_demo_and_its_files_come_back_equal_and_nothing_is_restored_over_data(tmp_path, empty_database, settings):
    address = server()
    source_files = tmp_path / "source-files"
    settings.MEDIA_ROOT = source_files
    with override_settings(DEVELOPMENT=True, PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=io.StringIO())
    for name, data in FILES.items():
        assert default_storage.save(name, ContentFile(data)) == name
    default_storage.save(STORAGE_MARKER, ContentFile(b"Written by the health check.\n"))

    archive = tmp_path / "backups" / "demo.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert f"4 stored files ({sum(map(len, FILES.values())):,} bytes) to {archive}" in out.getvalue()
    assert archive.stat().st_mode & 0o077 == 0  # readable by its owner only
    with tarfile.open(archive, "r:gz") as made:
        assert sorted(made.getnames()) == sorted(["database.dump", "manifest.json", *(f"files/{n}" for n in FILES)])

    with connection.cursor() as cursor:
        before = table_digests(cursor)
    assert before["grants_grant"][0] > 0 and before["projects_milestone"][0] > 0

    # Into the database that holds the demo: refused, nothing changed.
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(archive))
    with connection.cursor() as cursor:
        assert table_digests(cursor) == before
    assert files_under(source_files) == FILES | {STORAGE_MARKER: b"Written by the health check.\n"}

    # Into a new database with files already in the storage: refused, the database left empty.
    empty = empty_database
    refused = restore_in_a_new_process(archive, empty, source_files, address)
    assert refused.returncode == 1
    assert "The file storage is not empty" in refused.stderr
    assert public_tables(empty, address) == 0

    # From an archive whose file differs from its manifest: refused before anything is written.
    forged = tmp_path / "forged.tar.gz"
    tampered_copy(archive, forged, "exports/2026/12/ledger.csv")
    refused = restore_in_a_new_process(forged, empty, tmp_path / "forged-files", address)
    assert refused.returncode == 1
    assert "exports/2026/12/ledger.csv" in refused.stderr and "sha256 differs" in refused.stderr
    assert public_tables(empty, address) == 0
    assert not (tmp_path / "forged-files").exists() or files_under(tmp_path / "forged-files") == {}

    # Into the new database, still empty, and an empty folder: every table's rows and every file's bytes equal.
    restored_files = tmp_path / "restored-files"
    restored = restore_in_a_new_process(archive, empty, restored_files, address)
    assert restored.returncode == 0, restored.stderr
    assert "Restored the database and 4 stored files" in restored.stdout
    with psycopg.connect(dbname=empty, **address) as other:
        after = table_digests(other.cursor())
    assert after == before
    assert files_under(restored_files) == FILES
