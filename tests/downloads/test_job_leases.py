"""The lease that lets a download recover from a dead worker, on every database: a stalled job is
put back in the queue once and only once, then failed after its last attempt; a worker that lost
its job cannot overwrite it; the page, the command and the worker each notice; and the worker's
heartbeat is what the health check reads."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import worker
from core.models import WorkerHeartbeat
from downloads.models import ExportJob
from downloads.tasks import enqueue, recover_stalled
from tests.downloads.test_ledger_downloads import ledger_world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def stalled(ledger_world, settings):
    """The officer's Excel ledger, taken by a worker that then died: its lease ran out a minute ago."""
    settings.EXPORT_IN_REQUEST_ROWS = {"csv": 0, "xlsx": 0}
    job = ExportJob.objects.create(user=ledger_world.users.officer, kind="ledger_xlsx", rows_total=5)
    enqueue(job)
    job = ExportJob.objects.claim(job.pk, worker="dead-worker")
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING")
    ExportJob.objects.filter(pk=job.pk).update(rows_written=2, lease_until=timezone.now() - dt.timedelta(minutes=1))
    job.refresh_from_db()
    return job


def test_a_stalled_job_goes_back_in_the_queue_once(stalled):
    assert recover_stalled() == [stalled]
    assert recover_stalled() == []  # already moved: a second look moves nothing
    job = ExportJob.objects.get()
    assert (job.status, job.attempts, job.rows_written, job.lease_until, job.worker) == ("queued", 1, 0, None, "")
    # The dead attempt's task is closed and a new one waits for a worker.
    assert DBTaskResult.objects.get(id=stalled.task_id).status == "FAILED"
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"


def test_a_job_with_a_live_lease_is_left_alone(stalled):
    ExportJob.objects.filter(pk=stalled.pk).update(lease_until=timezone.now() + dt.timedelta(seconds=30))
    assert recover_stalled() == []
    assert ExportJob.objects.get().status == "running"


def test_after_its_last_attempt_a_stalled_job_fails_in_words_its_user_understands(stalled, settings):
    settings.EXPORT_JOB_ATTEMPTS = 1
    out = StringIO()
    call_command("recover_jobs", stdout=out)
    assert f"{stalled.pk}: failed" in out.getvalue() and "1 stalled download(s) recovered" in out.getvalue()
    job = ExportJob.objects.get()
    assert job.status == "failed" and job.finished_at is not None
    assert job.error == (
        "The file was started 1 times and each time the computer making it stopped before it finished."
    )
    assert DBTaskResult.objects.count() == 1  # nothing queued again


def test_a_worker_that_lost_its_job_can_neither_renew_nor_finish_it(stalled):
    recover_stalled()
    again = ExportJob.objects.claim(stalled.pk, worker="second-worker")
    assert again.attempts == 2
    assert not stalled.renew(3) and not stalled.finish("exports/old.xlsx") and not stalled.fail("late")
    assert again.renew(4)
    job = ExportJob.objects.get()
    assert (job.status, job.worker, job.rows_written, job.file.name) == ("running", "second-worker", 4, "")


def test_a_job_already_taken_cannot_be_taken_again(stalled):
    assert ExportJob.objects.claim(stalled.pk, worker="another") is None
    assert ExportJob.objects.get().attempts == 1


def test_its_owner_looking_at_a_stalled_job_puts_it_back_in_the_queue(client, stalled):
    client.force_login(stalled.user)
    page = client.get(reverse("downloads:job", kwargs={"job_pk": stalled.pk})).content.decode()
    assert ExportJob.objects.get().status == "queued"
    assert "Waiting to start: 0 of 5 lines written" in page and 'http-equiv="refresh"' in page


def test_someone_else_looking_at_it_gets_404_and_changes_nothing(client, stalled, ledger_world):
    client.force_login(ledger_world.users.finance)
    assert client.get(reverse("downloads:job", kwargs={"job_pk": stalled.pk})).status_code == 404
    assert client.post(reverse("downloads:job-again", kwargs={"job_pk": stalled.pk})).status_code == 404
    assert ExportJob.objects.get().status == "running"


def test_asking_again_while_it_truly_runs_returns_the_running_job(client, stalled):
    ExportJob.objects.filter(pk=stalled.pk).update(lease_until=timezone.now() + dt.timedelta(seconds=30))
    client.force_login(stalled.user)
    response = client.get(reverse("downloads:ledger-xlsx"))
    assert response["Location"] == reverse("downloads:job", kwargs={"job_pk": stalled.pk})
    assert ExportJob.objects.count() == 1
    # Only a failed job may be asked for again; asking for a running one changes nothing.
    assert client.post(reverse("downloads:job-again", kwargs={"job_pk": stalled.pk})).status_code == 404
    assert client.get(reverse("downloads:job-again", kwargs={"job_pk": stalled.pk})).status_code == 405
    assert ExportJob.objects.count() == 1


def test_asking_again_for_a_stalled_job_returns_it_put_back_in_the_queue(client, stalled):
    client.force_login(stalled.user)
    response = client.get(reverse("downloads:ledger-xlsx"))
    assert response["Location"] == reverse("downloads:job", kwargs={"job_pk": stalled.pk})
    assert [(job.pk, job.status) for job in ExportJob.objects.all()] == [(stalled.pk, "queued")]


def test_the_heartbeat_says_when_a_worker_was_last_seen():
    assert worker.last_seen() is None
    before = timezone.now()
    worker.beat("worker-a")
    worker.beat("worker-b")
    worker.beat("worker-a")
    assert WorkerHeartbeat.objects.count() == 2
    assert before <= worker.last_seen() <= timezone.now()
    WorkerHeartbeat.objects.filter(worker_id="worker-b").update(last_seen=before - dt.timedelta(days=2))
    assert worker.forget_stopped() == 1
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["worker-a"]


# The worker closes its database connection between tasks, so this test commits.
@pytest.mark.django_db(transaction=True)
def test_the_worker_command_beats_recovers_and_makes_the_job(client, stalled):
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job = ExportJob.objects.get()
    assert (job.status, job.attempts, job.rows_written) == ("done", 2, 5)
    assert job.file.open("rb").read(2) == b"PK"  # an Excel file is a zip
    assert worker.last_seen() is not None
