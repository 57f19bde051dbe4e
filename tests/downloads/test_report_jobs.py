"""Report files too large for a request (the spending report's Excel with a long ledger, the board
pack PDF of a large programme) are made by the worker as background jobs: the same file the request
would have sent, for the same filters, with the same progress page; small ones stay in the request."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from downloads.models import ExportJob
from tests.downloads.test_ledger_downloads import ledger_world  # noqa: F401
from tests.reports.board_pack_setup import pdf_pages, squash

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits, as a real one does

SPENDING = reverse("reports:spending")
BOARD_PACK = reverse("reports:board-pack")


def run_worker():
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def made_file(client, job: ExportJob) -> bytes:
    response = client.get(reverse("downloads:job-file", kwargs={"job_pk": job.pk}))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def sheets(content: bytes, *names) -> dict:
    workbook = load_workbook(io.BytesIO(content))
    return {name: [[cell.value for cell in row] for row in workbook[name].iter_rows()] for name in names}


def test_a_spending_excel_with_a_long_ledger_is_made_by_the_worker_for_the_same_filters(client, ledger_world, settings):
    client.force_login(ledger_world.users.officer)
    query = {"group": "organisation", "format": "xlsx"}
    direct = client.get(SPENDING, query)
    assert direct.status_code == 200 and direct["Content-Type"].startswith("application/vnd.openxmlformats")

    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, "xlsx": 4}  # the ledger has 5 lines
    response = client.get(SPENDING, query)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("downloads:job", kwargs={"job_pk": job.pk})
    assert (job.kind, job.status, job.rows_total, job.params) == (
        "spending_xlsx",
        "queued",
        5,
        {"query": "group=organisation"},
    )
    waiting = client.get(response["Location"]).content.decode()
    assert "Being made" not in waiting and "Waiting to start." in waiting and 'http-equiv="refresh"' in waiting
    assert "Back to reports" in waiting
    # The same filters again: the same job; other filters: a job of their own.
    assert client.get(SPENDING, query)["Location"] == response["Location"]
    client.get(SPENDING, {"group": "project", "format": "xlsx"})
    assert ExportJob.objects.count() == 2

    run_worker()
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 1
    made = made_file(client, job)
    names = ("By organisation", "Ledger")
    assert sheets(made, *names) == sheets(direct.content, *names)
    assert "Your file is ready" in client.get(response["Location"]).content.decode()


def test_a_spending_pdf_of_many_rows_is_made_by_the_worker_for_the_same_filters(client, ledger_world, settings):
    client.force_login(ledger_world.users.officer)
    query = {"group": "project", "format": "pdf"}
    direct = client.get(SPENDING, query)
    assert direct.status_code == 200 and direct["Content-Type"] == "application/pdf"

    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, "pdf": 1}  # the world has 2 projects
    response = client.get(SPENDING, query)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("downloads:job", kwargs={"job_pk": job.pk})
    assert (job.kind, job.rows_total, job.params) == ("spending_pdf", 2, {"query": "group=project"})
    # Grouped by financial year the report has one row: it is made in the request.
    assert client.get(SPENDING, {"group": "financial_year", "format": "pdf"})["Content-Type"] == "application/pdf"
    assert ExportJob.objects.count() == 1

    run_worker()
    job.refresh_from_db()
    assert job.status == "done" and job.filename.startswith("spending-") and job.filename.endswith(".pdf")
    made = made_file(client, job)
    ours, theirs = squash(" ".join(pdf_pages(made))), squash(" ".join(pdf_pages(direct.content)))
    assert ours.split("Generated")[0] == theirs.split("Generated")[0]
    assert len(pdf_pages(made)) == len(pdf_pages(direct.content))


def test_a_board_pack_of_a_large_programme_is_made_by_the_worker(client, ledger_world, settings):
    client.force_login(ledger_world.users.officer)
    direct = client.get(BOARD_PACK, {"date": "31/12/2016"})
    assert direct.status_code == 200 and direct["Content-Type"] == "application/pdf"

    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, "pdf": 1}  # the world has 2 projects
    response = client.get(BOARD_PACK, {"date": "31/12/2016"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and (job.kind, job.params) == ("board_pack_pdf", {"date": "2016-12-31"})
    run_worker()
    job.refresh_from_db()
    assert job.status == "done" and job.filename.startswith("board-pack-") and job.filename.endswith(".pdf")
    made = made_file(client, job)
    assert made.startswith(b"%PDF")
    ours, theirs = squash(" ".join(pdf_pages(made))), squash(" ".join(pdf_pages(direct.content)))
    assert "31 December 2016" in ours
    assert len(pdf_pages(made)) == len(pdf_pages(direct.content))
    assert ours.split("Generated")[0] == theirs.split("Generated")[0]


def test_a_bad_board_pack_date_makes_no_job(client, ledger_world, settings):
    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, "pdf": 0}
    client.force_login(ledger_world.users.officer)
    assert client.get(BOARD_PACK, {"date": "31/02/2016"}).status_code == 400
    assert not ExportJob.objects.exists()


def test_a_council_user_gets_no_background_report(client, ledger_world, settings):
    settings.EXPORT_IN_REQUEST_ROWS = {"csv": 0, "xlsx": 0, "pdf": 0}
    client.force_login(ledger_world.users.derbyshire)
    assert client.get(SPENDING, {"format": "xlsx"}).status_code == 403
    assert client.get(BOARD_PACK, {"date": "31/12/2016"}).status_code == 403
    assert not ExportJob.objects.exists()
