"""Uploading an evaluation report, and downloading it only when the evaluation is in scope."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations.models import EvaluationReport

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload_url(evaluation):
    return reverse("evaluations:report-upload", kwargs={"evaluation_pk": evaluation.pk})


def download_url(report):
    return reverse("evaluations:report-download", kwargs={"report_pk": report.pk})


def form(**changes):
    values = {
        "title": "Interim evaluation report",
        "kind": "interim",
        "published_on": "01/07/2016",
        "file": SimpleUploadedFile("Interim report (final).pdf", PDF, content_type="application/pdf"),
    }
    values.update(changes)
    return values


@pytest.fixture
def stored_report(world, media):
    report = EvaluationReport(
        evaluation=world.evaluation,
        title="Final report",
        kind="final",
        original_name="final-report.pdf",
        content_type="application/pdf",
        size_bytes=len(PDF),
    )
    report.file.save("final-report.pdf", ContentFile(PDF), save=True)
    return report


# Upload


@pytest.mark.parametrize("name", ["evaluator", "officer", "admin"])
def test_an_editor_uploads_a_report(client, world, media, name):
    client.force_login(getattr(world.users, name))
    response = client.post(upload_url(world.evaluation), form())
    assert response.status_code == 302
    assert response["Location"].endswith("#reports")
    report = EvaluationReport.objects.get(evaluation=world.evaluation)
    assert report.title == "Interim evaluation report"
    assert report.kind == "interim"
    assert report.published_on == dt.date(2016, 7, 1)
    assert report.original_name == "Interim_report_final.pdf"
    assert report.content_type == "application/pdf"
    assert report.size_bytes == len(PDF)
    assert report.uploaded_by == getattr(world.users, name)
    # Stored privately under a random name, not the name it was given.
    files = stored_files(media)
    assert len(files) == 1
    assert files[0].read_bytes() == PDF
    assert files[0].parent.name == "reports"
    assert "Interim" not in files[0].name and files[0].suffix == ".pdf"
    assert report.file.name == f"reports/{files[0].name}"
    assert "Report ‘Interim evaluation report’ uploaded" in client.get(response["Location"]).content.decode()


def test_the_upload_page_is_a_multipart_form_with_labels(client, world, media):
    client.force_login(world.users.evaluator)
    page = client.get(upload_url(world.evaluation)).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'class="govuk-back-link"' in page
    for name in ("title", "kind", "published_on-day", "file"):
        assert f'for="id_{name}"' in page
    assert 'class="govuk-file-upload"' in page


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.pdf", b"Just some plain text, not a PDF at all.\n", "is not what its name says"),
        ("page.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "is not what its name says"),
        ("image.pdf", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "is not what its name says"),
        (
            "program.exe",
            b"MZ\x90\x00\x03",
            "The selected file must be a PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG file",
        ),
        (
            "report.html",
            b"<html></html>",
            "The selected file must be a PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG file",
        ),
        ("empty.pdf", b"", "The selected file is empty"),
    ],
)
def test_a_file_that_is_not_allowed_is_refused_and_nothing_is_written(client, world, media, name, content, message):
    client.force_login(world.users.evaluator)
    response = client.post(upload_url(world.evaluation), form(file=SimpleUploadedFile(name, content)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert 'href="#id_file"' in page
    assert EvaluationReport.objects.count() == 0
    assert stored_files(media) == []


def test_a_file_over_the_size_limit_is_refused(client, world, media, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    client.force_login(world.users.evaluator)
    response = client.post(upload_url(world.evaluation), form(file=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000)))
    assert "The selected file must be smaller than" in response.content.decode()
    assert EvaluationReport.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "Enter the title of the report"),
        ({"title": "x" * 201}, "The title must be 200 characters or fewer"),
        ({"kind": ""}, "Choose the kind of report"),
        ({"kind": "secret"}, "Choose the kind of report"),
        ({"published_on": "yesterday"}, "The date the report was published must be a real date"),
        ({"file": ""}, "Choose the report file to upload"),
    ],
)
def test_bad_report_details_are_explained_and_nothing_is_written(client, world, media, changes, message):
    client.force_login(world.users.evaluator)
    response = client.post(upload_url(world.evaluation), form(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert EvaluationReport.objects.count() == 0
    assert stored_files(media) == []


def test_an_evaluator_cannot_upload_to_an_evaluation_not_assigned_to_them(client, world, media):
    client.force_login(world.users.evaluator)
    assert client.get(upload_url(world.other_evaluation)).status_code == 404
    assert client.post(upload_url(world.other_evaluation), form()).status_code == 404
    assert EvaluationReport.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize("name", ["viewer", "finance", "morninglane", "derbyshire", "outsider"])
def test_other_roles_cannot_upload(client, world, media, name):
    client.force_login(getattr(world.users, name))
    assert client.get(upload_url(world.evaluation)).status_code == 403
    assert client.post(upload_url(world.evaluation), form()).status_code == 403
    assert EvaluationReport.objects.count() == 0
    assert stored_files(media) == []


# Download


@pytest.mark.parametrize("name", ["officer", "finance", "viewer", "evaluator", "morninglane", "harrow"])
def test_people_who_see_the_evaluation_download_its_report(client, world, stored_report, name):
    client.force_login(getattr(world.users, name))
    response = client.get(download_url(stored_report))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="final-report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["kent", "outsider"])
def test_people_outside_the_evaluation_get_404(client, world, stored_report, name):
    client.force_login(getattr(world.users, name))
    assert client.get(download_url(stored_report)).status_code == 404


def test_an_evaluator_cannot_download_another_evaluations_report(client, world, media):
    report = EvaluationReport(
        evaluation=world.other_evaluation,
        title="Kent report",
        kind="final",
        original_name="kent.pdf",
        content_type="application/pdf",
        size_bytes=len(PDF),
    )
    report.file.save("kent.pdf", ContentFile(PDF), save=True)
    client.force_login(world.users.evaluator)
    assert client.get(download_url(report)).status_code == 404


def test_download_needs_sign_in(client, world, stored_report):
    response = client.get(download_url(stored_report))
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]


def test_a_report_without_a_file_or_with_a_lost_file_is_not_found(client, world, stored_report):
    linked = EvaluationReport.objects.create(
        evaluation=world.evaluation, title="On GOV.UK", kind="final", url="https://www.gov.uk/report"
    )
    client.force_login(world.users.officer)
    assert client.get(download_url(linked)).status_code == 404
    stored_report.file.storage.delete(stored_report.file.name)
    assert client.get(download_url(stored_report)).status_code == 404


def test_an_uploaded_report_can_be_downloaded_from_the_evaluation_page(client, world, media):
    client.force_login(world.users.evaluator)
    client.post(upload_url(world.evaluation), form())
    report = EvaluationReport.objects.get()
    page = client.get(reverse("evaluations:detail", kwargs={"evaluation_pk": world.evaluation.pk})).content.decode()
    assert download_url(report) in page
    client.force_login(world.users.derbyshire)
    response = client.get(download_url(report))
    assert b"".join(response.streaming_content) == PDF
    assert 'filename="Interim_report_final.pdf"' in response["Content-Disposition"]
