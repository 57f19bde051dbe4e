"""A download whose worker dies is never left stuck (issue 18): real worker processes
(``manage.py worker``) on PostgreSQL are killed with SIGKILL in the middle of a job, and another
worker finishes it, or, once its attempts are used up, its user sees it failed and may ask again.
Two workers never make the same job."""

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from downloads.models import ExportJob
from downloads.tasks import make_export
from tests.downloads.test_ledger_downloads import ledger_world  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent.parent
LEASE = 2  # seconds: short, so a dead worker's job is noticed within the test
PAUSE = 0.6  # seconds a line for the slow worker: its five lines take three seconds

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
        reason="a worker process needs a database it can share with the test; SQLite's test database "
        "is in memory, so these run on PostgreSQL (DATABASE_URL=postgres://...)",
    ),
]


class Workers:
    """Worker processes on the test's database and file storage, stopped at the end of the test."""

    def __init__(self, media_root: Path):
        self.media_root = media_root
        self.started: list[subprocess.Popen] = []

    def start(self, *, slow: bool = False) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "AWS_"))}
        database = connection.settings_dict
        env.update(
            DJANGO_DEVELOPMENT="1",
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            DJANGO_PRIVATE_FILES=str(self.media_root),
            EXPORT_JOB_LEASE_SECONDS=str(LEASE),
        )
        command = ["-m", "tests.downloads.slow_worker", str(PAUSE)] if slow else ["manage.py", "worker"]
        log = open(self.media_root / f"worker-{len(self.started)}.log", "wb")  # read when a test fails
        process = subprocess.Popen(
            [sys.executable, *command, "--no-reload", "--no-startup-delay", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.started.append(process)
        return process

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.media_root.glob("worker-*.log")))


@pytest.fixture
def workers(ledger_world, settings, tmp_path):
    settings.EXPORT_IN_REQUEST_ROWS = {"csv": 0, "xlsx": 0}
    settings.EXPORT_JOB_LEASE_SECONDS = LEASE
    started = Workers(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def wait_for(job: ExportJob, test, workers: Workers, timeout: float = 20) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if test(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job still {job.status} ({job.rows_written} lines) after {timeout}s:\n{workers.logs()}")


def kill_mid_job(job: ExportJob, workers: Workers) -> None:
    """Start a slow worker, let it write some of the job's lines, and kill it without warning."""
    slow = workers.start(slow=True)
    wait_for(job, lambda job: job.status == "running" and job.rows_written >= 1, workers)
    slow.send_signal(signal.SIGKILL)
    slow.wait(timeout=10)
    job.refresh_from_db()
    assert job.status == "running" and job.rows_written < job.rows_total  # killed mid-job


def sheet_values(content: bytes) -> list[list]:
    return [[cell.value for cell in row] for row in load_workbook(io.BytesIO(content))["Ledger"].iter_rows()]


def test_a_job_whose_worker_is_killed_is_finished_by_another_worker(client, ledger_world, workers, settings):
    client.force_login(ledger_world.users.officer)
    settings.EXPORT_IN_REQUEST_ROWS = {"csv": 100, "xlsx": 100}
    direct = b"".join(client.get(reverse("downloads:ledger-xlsx")).streaming_content)
    settings.EXPORT_IN_REQUEST_ROWS = {"csv": 0, "xlsx": 0}
    client.get(reverse("downloads:ledger-xlsx"))
    job = ExportJob.objects.get()
    first_task = job.task_id

    kill_mid_job(job, workers)
    workers.start()
    job = wait_for(job, lambda job: job.status == "done", workers)

    assert (job.attempts, job.rows_written, job.error) == (2, 5, "")
    made = b"".join(client.get(reverse("downloads:job-file", kwargs={"job_pk": job.pk})).streaming_content)
    assert sheet_values(made) == sheet_values(direct)
    # The queue's row for the killed attempt is closed, not "running" for ever; the second ran.
    assert DBTaskResult.objects.get(id=first_task).status == "FAILED"
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()
    page = client.get(reverse("downloads:job", kwargs={"job_pk": job.pk})).content.decode()
    assert "Your file is ready" in page and 'http-equiv="refresh"' not in page


def test_a_job_killed_on_its_last_attempt_shows_failed_with_a_way_to_ask_again(client, ledger_world, workers, settings):
    settings.EXPORT_JOB_ATTEMPTS = 1
    client.force_login(ledger_world.users.officer)
    job = ExportJob.objects.get(pk=client.get(reverse("downloads:ledger-csv"))["Location"].split("/")[-2])

    kill_mid_job(job, workers)
    # No worker is running: the owner looking at the page is what notices the lease ran out.
    time.sleep(LEASE + 0.5)
    page = client.get(reverse("downloads:job", kwargs={"job_pk": job.pk})).content.decode()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 1)
    assert "The file could not be made" in page and "started 1 times" in page
    assert "Ask for the file again" in page and 'http-equiv="refresh"' not in page
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()

    # Asking again makes a new job; asking again while that one waits returns it.
    again = client.post(reverse("downloads:job-again", kwargs={"job_pk": job.pk}))
    new = ExportJob.objects.exclude(pk=job.pk).get()
    assert again.status_code == 302 and again["Location"] == reverse("downloads:job", kwargs={"job_pk": new.pk})
    assert (new.status, new.kind, new.attempts) == ("queued", "ledger_csv", 0)
    assert client.get(reverse("downloads:ledger-csv"))["Location"] == again["Location"]

    workers.start()
    new = wait_for(new, lambda job: job.status == "done", workers)
    assert (new.attempts, new.rows_written) == (1, 5)


def test_two_workers_given_the_same_job_make_it_once(client, ledger_world, workers):
    client.force_login(ledger_world.users.officer)
    client.get(reverse("downloads:ledger-csv"))
    job = ExportJob.objects.get()
    # The same job in the queue twice (a page and a worker both put it back, say): two slow workers
    # take one task each, so both try to take the job while it is being made.
    make_export.enqueue(str(job.pk))
    workers.start(slow=True)
    workers.start(slow=True)
    job = wait_for(job, lambda job: job.status == "done", workers)
    deadline = time.monotonic() + 20
    # Only the two export tasks: the world's payments also queued their messages to the paid organisations.
    exports = DBTaskResult.objects.filter(task_path=make_export.module_path)
    while exports.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(exports.values_list("status", flat=True)) == ["SUCCESSFUL", "SUCCESSFUL"]
    assert len({worker for task in exports for worker in task.worker_ids}) == 2
    assert (job.attempts, job.rows_written) == (1, 5)


def test_two_threads_claiming_one_job_at_once_take_it_once(ledger_world):
    job = ExportJob.objects.create(user=ledger_world.users.officer, kind="ledger_csv", rows_total=5)
    start = threading.Barrier(2)
    taken = {}

    def claim(name):
        try:
            start.wait()
            taken[name] = ExportJob.objects.claim(job.pk, worker=name)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, claimed in taken.items() if claimed is not None]
    assert len(taken) == 2 and len(winners) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == ("running", 1, winners[0])
