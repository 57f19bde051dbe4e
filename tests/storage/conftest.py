"""An S3-compatible server on loopback (moto's server mode) for the whole session, and for
each test a fresh private bucket behind the default storage, configured exactly as
config/settings.py configures it from the environment."""

import logging
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.downloads.test_ledger_downloads import ledger_world  # noqa: F401 (the export tests' fixture)
from tests.storage.s3 import REGION, Bucket, default_storage_of

# moto accepts any keys; the service's own storage signs with these like any client.
KEYS = {"access_key": "loopback-test-key", "secret_key": "loopback-test-secret"}


@pytest.fixture(scope="session")
def s3_endpoint():
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.ERROR)  # else a line for every request the server answers
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        werkzeug.setLevel(level)


@pytest.fixture(scope="session")
def s3_default_storage(s3_endpoint):
    """STORAGES["default"] as the settings make it for a bucket at the loopback server."""
    return default_storage_of(
        AWS_STORAGE_BUCKET_NAME="placeholder", AWS_S3_ENDPOINT_URL=s3_endpoint, AWS_S3_REGION_NAME=REGION
    )


@pytest.fixture(scope="session")
def s3_client(s3_endpoint):
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )


@pytest.fixture
def bucket(settings, tmp_path, s3_endpoint, s3_default_storage, s3_client):
    """A new bucket as the default storage. Setting STORAGES sends Django's setting_changed,
    which drops the cached storages, so file fields use this bucket now and the disk again
    after the test. MEDIA_ROOT points at an empty folder, which the tests find still empty."""
    name = f"grants-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    options = {**s3_default_storage["OPTIONS"], "bucket_name": name, **KEYS}
    settings.STORAGES = {**settings.STORAGES, "default": {**s3_default_storage, "OPTIONS": options}}
    settings.MEDIA_ROOT = tmp_path / "private"
    return Bucket(s3_client, name, s3_endpoint)
