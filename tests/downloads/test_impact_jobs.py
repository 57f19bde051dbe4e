"""The impact report's Excel file and PDF of many results are made by the worker, for the same filters and
the same reader, with the job page that shows when they are ready; a few results stay in the request."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from downloads.models import ExportJob
from tests.downloads.test_report_jobs import made_file, run_worker
from tests.reports.test_impact_report import REPORT, impact, project_url  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits, as a real one does


def results_sheet(content: bytes) -> list[list]:
    return [[cell.value for cell in row] for row in load_workbook(io.BytesIO(content))["Results"].iter_rows()]


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_a_long_impact_report_is_made_by_the_worker_the_same_as_in_the_request(client, impact, settings, fmt):
    client.force_login(impact.users.officer)
    area = impact.entering_care.outcome_area.pk  # one of the two measures' results: the filters go with the job
    query = {"outcome_area": area, "format": fmt}
    direct = client.get(REPORT, query)
    assert direct.status_code == 200
    results = direct.content

    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, fmt: 0}
    response = client.get(REPORT, query)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("downloads:job", kwargs={"job_pk": job.pk})
    assert (job.kind, job.status, job.rows_total) == (f"impact_{fmt}", "queued", 1)
    assert job.params == {"query": f"outcome_area={area}", "project": None}
    page = client.get(response["Location"]).content.decode()
    assert "Waiting to start." in page and reverse("impact:report") in page

    run_worker()
    job.refresh_from_db()
    assert job.status == "done" and job.filename.startswith("impact-") and job.filename.endswith(f".{fmt}")
    made = made_file(client, job)
    if fmt == "xlsx":
        assert results_sheet(made) == results_sheet(results)
        assert len(results_sheet(made)) == 2  # the header, and the one result of the area
        assert "Children entering care" in str(results_sheet(made)[1])
    else:
        ours, theirs = pdf_text(made), pdf_text(results)
        assert ours.split("Generated")[0] == theirs.split("Generated")[0]
        assert len(PdfReader(io.BytesIO(made)).pages) == len(PdfReader(io.BytesIO(results)).pages)


def test_an_evaluators_project_report_is_theirs_alone_and_carries_no_money(client, impact, settings):
    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, "xlsx": 0}
    client.force_login(impact.users.evaluator)
    response = client.get(project_url(impact.project), {"format": "xlsx"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.params["project"] == impact.project.pk
    assert (
        reverse("impact:project", kwargs={"project_pk": impact.project.pk})
        in client.get(response["Location"]).content.decode()
    )
    run_worker()
    sheet = results_sheet(made_file(client, job))
    assert "Spent to date" not in sheet[0] and len(sheet) > 1

    client.force_login(impact.users.officer)
    assert client.get(response["Location"]).status_code == 404
    assert client.get(reverse("downloads:job-file", kwargs={"job_pk": job.pk})).status_code == 404


def test_a_bad_filter_makes_no_job(client, impact, settings):
    settings.EXPORT_IN_REQUEST_ROWS = {**settings.EXPORT_IN_REQUEST_ROWS, "xlsx": 0, "pdf": 0}
    client.force_login(impact.users.officer)
    for fmt in ("xlsx", "pdf"):
        response = client.get(REPORT, {"outcome_area": "not-a-number", "format": fmt})
        assert response.status_code in (200, 400)
    assert not ExportJob.objects.exists()
