"""Object storage is chosen by the environment: the disk without AWS_STORAGE_BUCKET_NAME, a
private S3-compatible bucket with it, and a half-made or mistyped configuration stops the
service at start-up instead of losing files at the first upload."""

import pytest

from tests.storage.s3 import default_storage_of, settings_process

S3 = {
    "AWS_STORAGE_BUCKET_NAME": "grants-files",
    "AWS_S3_ENDPOINT_URL": "https://objects.example.net",
    "AWS_S3_REGION_NAME": "eu-west-2",
}


def test_without_a_bucket_files_stay_on_the_disk():
    assert default_storage_of() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_bucket_makes_the_default_storage_a_private_s3_bucket_with_the_keys_left_in_the_environment():
    storage = default_storage_of(**S3, AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="secret-example")
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "grants-files",
        "https://objects.example.net",
        "eu-west-2",
    )
    assert (options["default_acl"], options["file_overwrite"], options["querystring_auth"]) == (None, False, True)
    assert "AKIAEXAMPLE" not in str(storage) and "secret-example" not in str(storage)


def test_amazon_s3_itself_needs_only_the_bucket_and_production_starts_with_it():
    storage = default_storage_of(
        AWS_STORAGE_BUCKET_NAME="grants-files",
        DJANGO_DEVELOPMENT="0",
        DJANGO_SECRET_KEY="k" * 60,
        DJANGO_ALLOWED_HOSTS="grants.example.gov.uk",
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (storage["OPTIONS"]["endpoint_url"], storage["OPTIONS"]["region_name"]) == (None, None)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"AWS_S3_ENDPOINT_URL": "https://objects.example.net"}, "need AWS_STORAGE_BUCKET_NAME"),
        ({"AWS_S3_REGION_NAME": "eu-west-2"}, "need AWS_STORAGE_BUCKET_NAME"),
        ({"AWS_STORAGE_BUCKET_NAME": "Grants_Files"}, "AWS_STORAGE_BUCKET_NAME must be a bucket's name"),
        ({**S3, "AWS_S3_ENDPOINT_URL": "objects.example.net"}, "AWS_S3_ENDPOINT_URL must be"),
        ({**S3, "AWS_S3_ENDPOINT_URL": "https://objects.example.net/grants-files"}, "AWS_S3_ENDPOINT_URL must be"),
        ({**S3, "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:ninety"}, "AWS_S3_ENDPOINT_URL must be"),
        ({**S3, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together"),
        ({**S3, "DJANGO_PRIVATE_FILES": "/srv/grants/files"}, "not both"),
    ],
)
def test_a_half_made_or_mistyped_storage_setting_stops_the_service(env, message):
    result = settings_process(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
