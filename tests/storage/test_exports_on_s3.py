"""A ledger made in the background is written to the private bucket by the worker's task
and streamed back from it to the user who asked, and to nobody else.

The task runs on django-tasks' immediate backend, so the page that queues the job also
runs it, through the same task (downloads.tasks.make_export) a worker runs."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from downloads.models import ExportJob
from tests.downloads.test_ledger_downloads import csv_rows, streamed

pytestmark = pytest.mark.django_db


@pytest.fixture
def made_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def cells(content: bytes):
    return [[cell.value for cell in row] for row in load_workbook(io.BytesIO(content))["Ledger"].iter_rows()]


def background_ledger(client, settings, user, extension) -> ExportJob:
    settings.EXPORT_IN_REQUEST_ROWS = {"csv": 0, "xlsx": 0}
    client.force_login(user)
    response = client.get(reverse(f"downloads:ledger-{extension}"))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("downloads:job", kwargs={"job_pk": job.pk})
    return job


@pytest.mark.parametrize("extension, read", [("csv", csv_rows), ("xlsx", cells)])
def test_the_worker_s_file_is_in_the_bucket_and_equals_the_one_made_in_the_request(
    client, ledger_world, bucket, settings, made_at_once, extension, read
):
    officer = ledger_world.users.officer
    client.force_login(officer)
    in_request = streamed(client.get(reverse(f"downloads:ledger-{extension}")))

    job = background_ledger(client, settings, officer, extension)
    assert (job.status, job.rows_written) == ("done", 5)
    assert job.file.name.startswith("exports/") and job.file.name.endswith(f".{extension}")
    assert bucket.keys() == [job.file.name]
    assert bucket.grants_to_everyone(job.file.name) == []
    assert bucket.status_without_credentials(job.file.name) == 403
    assert not settings.MEDIA_ROOT.exists()

    response = client.get(reverse("downloads:job-file", kwargs={"job_pk": job.pk}))
    assert response.status_code == 200
    served = streamed(response)
    assert served == bucket.read(job.file.name)
    assert read(served) == read(in_request)
    page = client.get(reverse("downloads:job", kwargs={"job_pk": job.pk})).content.decode()
    assert "Your file is ready" in page and bucket.endpoint.removeprefix("http://") not in page


def test_another_user_gets_404_for_the_file_and_a_signed_out_visitor_is_sent_to_sign_in(
    client, ledger_world, bucket, settings, made_at_once
):
    job = background_ledger(client, settings, ledger_world.users.officer, "csv")
    assert job.status == "done"
    file_url = reverse("downloads:job-file", kwargs={"job_pk": job.pk})
    for other in (ledger_world.users.finance, ledger_world.users.derbyshire):
        client.force_login(other)
        assert client.get(file_url).status_code == 404
    client.logout()
    response = client.get(file_url)
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]
