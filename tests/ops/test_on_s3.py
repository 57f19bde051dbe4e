"""The health check, the backup's walk of the storage and the scheduled clean-up, on S3-compatible
object storage (moto's server on loopback, set up as tests/storage sets it up), through the storage API."""

import pytest
from django.core.files.storage import default_storage

from core.health import STORAGE_MARKER
from core.management.commands.backup import stored_files
from core.management.commands.run_scheduled import import_files
from core.worker import beat
from imports.models import ImportBatch
from tests.ops.test_run_scheduled import batches  # noqa: F401 (finished and pending imports)
from tests.storage.conftest import bucket, s3_client, s3_default_storage, s3_endpoint  # noqa: F401

pytestmark = pytest.mark.django_db


def test_health_on_a_bucket_writes_its_marker_once_and_is_up(client, bucket):
    beat("worker-on-machine-a")
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["storage"] == {"ok": True}
    assert bucket.keys() == [STORAGE_MARKER]
    assert client.get("/health/").status_code == 200
    assert bucket.keys() == [STORAGE_MARKER]
    assert bucket.endpoint.encode() not in response.content


def test_health_with_its_bucket_gone_is_503_naming_the_storage(client, bucket, s3_client):
    beat("worker-on-machine-a")
    s3_client.delete_bucket(Bucket=bucket.name)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"ok": False, "reason": "did not answer"}
    assert bucket.name.encode() not in response.content


def test_the_backup_walks_every_object_of_the_bucket_but_the_health_marker(bucket):
    for key in ("evidence/2015/09/a.pdf", "evidence/2016/b.pdf", "imports/c.xlsx", "top.csv", STORAGE_MARKER):
        bucket.write(key, b"bytes of " + key.encode())
    assert list(stored_files(default_storage)) == [
        "top.csv",
        "evidence/2015/09/a.pdf",
        "evidence/2016/b.pdf",
        "imports/c.xlsx",
    ]


def test_old_import_files_are_removed_from_the_bucket(bucket, batches):  # noqa: F811
    assert len(bucket.keys()) == 4
    summary, _ = import_files(dry_run=False)
    assert summary == "removed 2 import files older than 90 days"
    kept = set(ImportBatch.objects.exclude(file="").values_list("file", flat=True))
    assert set(bucket.keys()) == kept and len(kept) == 2
