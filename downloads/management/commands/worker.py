"""``manage.py worker``: django-tasks' database worker (``db_worker``, the same options), with a
heartbeat that tells the health check the worker is alive, and the recovery of downloads whose
worker died. Several may run at once, on one machine or many: each job is taken by one only.

It lives in downloads, not core, because recovering a stalled download is the downloads app's
business and core imports no app of the service."""

import logging
import os
import threading

from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from core import worker as heartbeat
from downloads.tasks import recover_stalled

log = logging.getLogger(__name__)


class Heart(threading.Thread):
    """Every few seconds: say the worker is alive, and put back in the queue (or fail) any job
    whose worker stopped renewing its lease, so it runs again even when every other worker is busy."""

    def __init__(self, worker_id: str):
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def beat(self) -> None:
        try:
            heartbeat.beat(self.worker_id)
            for job in recover_stalled():
                log.info("Worker %s noticed that export %s had stalled", self.worker_id, job.pk)
        except DatabaseError:  # the database is away for a moment: the next beat tries again
            log.warning("Worker %s could not beat", self.worker_id, exc_info=True)
            connection.close()

    def run(self) -> None:
        try:
            # A stalled job is noticed within a third of a lease, however short the lease is set.
            every = min(heartbeat.BEAT_EVERY, settings.EXPORT_JOB_LEASE_SECONDS / 3)
            while not self.stopped.wait(every):
                self.beat()
        finally:
            connection.close()  # this thread's own connection


class Command(db_worker.Command):
    help = "Run the background worker, with a heartbeat and the recovery of stalled downloads"

    def handle(self, *, worker_id: str, reload: bool, **options) -> None:
        # With --reload the parent process only watches files: the child, which runs the tasks, beats.
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(worker_id=worker_id, reload=reload, **options)
        heart = Heart(worker_id)
        heartbeat.forget_stopped()
        heart.beat()  # before taking any work, and at once for the health check
        heart.start()
        try:
            super().handle(worker_id=worker_id, reload=reload, **options)
        finally:  # --batch and --max-tasks return; a signal ends the process, and the thread with it
            heart.stopped.set()
            heart.join()
