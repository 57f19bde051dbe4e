"""Evidence files are served only through a view that checks the user may see
them, always as downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.services import submit_milestone

PDF = b"%PDF-1.4\nDerbyshire's evidence\n"


@pytest.fixture
def evidence(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    submission = submit_milestone(
        milestone=world.derbyshire_milestone,
        by=world.users.derbyshire,
        narrative="Running",
        files=[SimpleUploadedFile("Unit report.pdf", PDF)],
    )
    return submission.evidence_files.get()


def url(evidence):
    return reverse("projects:evidence", kwargs={"evidence_pk": evidence.pk})


@pytest.mark.parametrize("persona", ["derbyshire", "morninglane", "officer", "admin", "finance", "viewer"])
def test_those_who_may_see_the_milestone_download_its_evidence(client, world, evidence, persona):
    client.force_login(getattr(world.users, persona))
    response = client.get(url(evidence))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Unit_report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("persona, status", [("harrow", 404), ("kent", 404), ("outsider", 404), ("evaluator", 403)])
def test_others_cannot_download_it(client, world, evidence, persona, status):
    client.force_login(getattr(world.users, persona))
    assert client.get(url(evidence)).status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, evidence):
    response = client.get(url(evidence))
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


def test_a_missing_file_is_not_found_rather_than_an_error(client, world, evidence):
    evidence.file.storage.delete(evidence.file.name)
    client.force_login(world.users.officer)
    assert client.get(url(evidence)).status_code == 404


def test_an_unknown_file_is_not_found(client, world):
    client.force_login(world.users.officer)
    assert client.get(reverse("projects:evidence", kwargs={"evidence_pk": 999999})).status_code == 404
