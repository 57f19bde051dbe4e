"""Whether a background worker is alive. Each worker (``manage.py worker``) beats every few
seconds; the health check reads the latest beat of any worker."""

from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from core.models import WorkerHeartbeat

# How often a worker beats, in seconds. A worker unseen for a few beats has stopped.
BEAT_EVERY = 5
# A worker unseen for this long has stopped for good: its row is only clutter.
FORGOTTEN_AFTER = timedelta(days=1)


def beat(worker_id: str) -> None:
    """Record that the worker ``worker_id`` is alive now."""
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"last_seen": timezone.now()})


def last_seen() -> datetime | None:
    """When any worker last beat, or None if none ever has."""
    return WorkerHeartbeat.objects.aggregate(latest=Max("last_seen"))["latest"]


def forget_stopped() -> int:
    """Remove the beats of workers long gone (each start of a worker has an id of its own)."""
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=timezone.now() - FORGOTTEN_AFTER).delete()
    return deleted
