"""Milestone evidence uploaded through the page lands in the private bucket, not on the
disk, and goes back out only through the view that checks who asks: the bucket's own
address is never handed out and the object cannot be read without credentials."""

import hashlib

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from storages.backends.s3 import S3Storage

from projects.models import EvidenceFile

PDF = b"%PDF-1.4\nHarrow's recruitment evidence, kept in the bucket\n%%EOF\n"


@pytest.fixture
def evidence(client, world, bucket):
    client.force_login(world.users.harrow)
    response = client.post(
        reverse("projects:milestone-submit", kwargs={"milestone_pk": world.harrow_milestone.pk}),
        {"narrative": "All eight posts are filled.", "files": [SimpleUploadedFile("Unit report.pdf", PDF)]},
    )
    assert response.status_code == 302
    client.logout()
    return EvidenceFile.objects.get()


def url(evidence):
    return reverse("projects:evidence", kwargs={"evidence_pk": evidence.pk})


def test_the_upload_is_one_object_in_the_bucket_under_a_random_name_and_nothing_on_disk(evidence, bucket, settings):
    assert isinstance(storages["default"], S3Storage)
    assert evidence.file.name.startswith("evidence/") and evidence.file.name.endswith(".pdf")
    assert "Unit" not in evidence.file.name
    assert bucket.keys() == [evidence.file.name]
    assert bucket.read(evidence.file.name) == PDF
    assert (evidence.size_bytes, evidence.sha256) == (len(PDF), hashlib.sha256(PDF).hexdigest())
    assert not settings.MEDIA_ROOT.exists()


@pytest.mark.parametrize("persona", ["harrow", "officer"])
def test_those_who_may_see_it_get_the_same_bytes_through_the_service(client, world, evidence, persona):
    client.force_login(getattr(world.users, persona))
    response = client.get(url(evidence))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="Unit_report.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))


def test_another_council_gets_404_and_a_signed_out_visitor_is_sent_to_sign_in(client, world, evidence):
    client.force_login(world.users.derbyshire)
    assert client.get(url(evidence)).status_code == 404
    client.logout()
    response = client.get(url(evidence))
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


def test_the_object_is_private_in_the_bucket(evidence, bucket):
    assert bucket.grants_to_everyone(evidence.file.name) == []
    assert bucket.status_without_credentials(evidence.file.name) == 403


def test_no_page_or_download_gives_away_the_bucket_s_address(client, world, evidence, bucket):
    host = bucket.endpoint.removeprefix("http://")
    client.force_login(world.users.harrow)
    milestone_page = client.get(reverse("projects:milestone", kwargs={"milestone_pk": world.harrow_milestone.pk}))
    assert milestone_page.status_code == 200 and url(evidence) in milestone_page.content.decode()
    download = client.get(url(evidence))
    shown = milestone_page.content.decode() + str(download.headers) + str(milestone_page.headers)
    assert host not in shown and bucket.name not in shown and "X-Amz" not in shown


def test_an_object_gone_from_the_bucket_is_not_found_rather_than_an_error(client, world, evidence, bucket):
    bucket.delete(evidence.file.name)
    client.force_login(world.users.officer)
    assert client.get(url(evidence)).status_code == 404
