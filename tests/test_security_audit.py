"""Every download of an evidence file, an evaluation report or an export is
recorded: who, when, what and from where. A refused download records nothing,
and the records can only be read, in the admin."""

import pytest
from django.core.files.base import ContentFile
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from audit.models import DownloadRecord
from evaluations.models import EvaluationReport
from projects.models import EvidenceFile, MilestoneSubmission
from tests import factories as f

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def evidence(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    submission = MilestoneSubmission.objects.create(
        milestone=world.derbyshire_milestone, narrative="Running", submitted_by=world.users.derbyshire
    )
    evidence = EvidenceFile(
        submission=submission,
        original_name="Unit report.pdf",
        content_type="application/pdf",
        size_bytes=len(PDF),
        sha256="0" * 64,
    )
    evidence.file.save("Unit report.pdf", ContentFile(PDF), save=True)
    return evidence


@pytest.fixture
def report(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = EvaluationReport(
        evaluation=world.evaluation,
        title="Interim evaluation report",
        kind="interim",
        original_name="interim.pdf",
        content_type="application/pdf",
        size_bytes=len(PDF),
    )
    report.file.save("interim.pdf", ContentFile(PDF), save=True)
    return report


def evidence_url(evidence):
    return reverse("projects:evidence", kwargs={"evidence_pk": evidence.pk})


def report_url(report):
    return reverse("evaluations:report-download", kwargs={"report_pk": report.pk})


def test_an_evidence_download_writes_one_record_of_who_what_and_where(client, world, evidence):
    client.force_login(world.users.derbyshire)
    response = client.get(evidence_url(evidence), REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 200
    record = DownloadRecord.objects.get()
    assert record.user == world.users.derbyshire
    assert (record.kind, record.object_id, record.description) == ("evidence_file", evidence.pk, "Unit report.pdf")
    assert record.path == evidence_url(evidence)
    assert (record.ip_address, record.forwarded_for) == ("203.0.113.7", "198.51.100.1")
    assert record.downloaded_at is not None


def test_a_report_download_writes_one_record(client, world, report):
    client.force_login(world.users.evaluator)
    assert client.get(report_url(report)).status_code == 200
    record = DownloadRecord.objects.get()
    assert (record.user, record.kind, record.object_id) == (world.users.evaluator, "evaluation_report", report.pk)
    assert record.description == "Interim evaluation report"
    assert record.ip_address == "127.0.0.1"


def test_each_download_is_a_record_of_its_own(client, world, evidence):
    client.force_login(world.users.officer)
    client.get(evidence_url(evidence))
    client.get(evidence_url(evidence))
    assert DownloadRecord.objects.filter(user=world.users.officer, object_id=evidence.pk).count() == 2


@pytest.mark.parametrize("persona", ["harrow", "kent", "outsider"])
def test_a_refused_evidence_download_records_nothing(client, world, evidence, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(evidence_url(evidence)).status_code == 404
    assert not DownloadRecord.objects.exists()


@pytest.mark.parametrize("persona", ["kent", "outsider"])
def test_a_refused_report_download_records_nothing(client, world, report, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(report_url(report)).status_code == 404
    assert not DownloadRecord.objects.exists()


def test_a_lost_file_records_nothing(client, world, evidence, report):
    evidence.file.storage.delete(evidence.file.name)
    report.file.storage.delete(report.file.name)
    client.force_login(world.users.officer)
    assert client.get(evidence_url(evidence)).status_code == 404
    assert client.get(report_url(report)).status_code == 404
    assert not DownloadRecord.objects.exists()


def test_a_signed_out_visitor_records_nothing(client, world, evidence):
    assert client.get(evidence_url(evidence)).status_code == 302
    assert not DownloadRecord.objects.exists()


# --- The admin only shows them -------------------------------------------------------------


def admin_url(view, *args):
    return reverse(f"admin:audit_downloadrecord_{view}", args=args)


@pytest.fixture
def record(world, evidence):
    officer = Client()
    officer.force_login(world.users.officer)
    officer.get(evidence_url(evidence))
    return DownloadRecord.objects.get()


@pytest.fixture
def admin_client(client, db):
    client.force_login(f.UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_the_admin_lists_and_shows_records(admin_client, record):
    listing = admin_client.get(admin_url("changelist"))
    assert listing.status_code == 200
    assert record in listing.context["cl"].result_list
    page = admin_client.get(admin_url("change", record.pk))
    assert page.status_code == 200
    assert "Unit report.pdf" in page.content.decode()


def test_the_admin_cannot_add_change_or_delete_a_record(admin_client, record):
    assert admin_client.get(admin_url("add")).status_code == 403
    assert admin_client.post(admin_url("change", record.pk), {"description": "Nothing to see"}).status_code == 403
    assert admin_client.get(admin_url("delete", record.pk)).status_code == 403
    assert admin_client.post(admin_url("delete", record.pk), {"post": "yes"}).status_code == 403
    admin_client.post(
        admin_url("changelist"), {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
    )
    record.refresh_from_db()
    assert record.description == "Unit report.pdf"


def test_a_user_with_download_records_cannot_be_deleted(record):
    with pytest.raises(ProtectedError):
        record.user.delete()
