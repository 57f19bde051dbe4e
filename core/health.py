"""/health/: whether this instance can serve, for a load balancer or a monitor polling every few seconds.

Each part the service needs is asked one cheap question: the database (one query, which also reads when
a background worker last beat), the cache (a set and a get of a short-lived key of this request's own) and
the file storage (whether its marker object exists, written the first time it is missing). The answer is
200 when every part is up and 503 when any is down, naming the part and a short, fixed reason. What went
wrong in detail (an address, a driver's message) goes to the server log only: the page is open to anyone.
"""

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core import worker

log = logging.getLogger(__name__)

# The storage check's object. It is not data: backups leave it out and restores ignore it.
STORAGE_MARKER = "health/marker.txt"


def _up(**facts) -> dict:
    return {"ok": True, **facts}


def _down(reason: str) -> dict:
    return {"ok": False, "reason": reason}


def _database_and_worker() -> tuple[dict, dict]:
    """One query answers two questions: the database answered it, and it says when a worker last beat."""
    try:
        seen = worker.last_seen()
    except DatabaseError:
        log.warning("Health: the database did not answer", exc_info=True)
        return _down("did not answer"), _down("unknown while the database is down")
    if seen is None:
        return _up(), _down("no worker has been seen")
    ago = max(0, int((timezone.now() - seen).total_seconds()))
    if ago > settings.HEALTH_WORKER_SEEN_WITHIN:
        return _up(), _down(f"last seen {ago} seconds ago")
    return _up(), _up(seen_seconds_ago=ago)


def _cache() -> dict:
    # A key of this request's own: two instances polled at once must not read each other's value.
    key, value = f"health:{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=10)
        if cache.get(key) != value:
            return _down("did not keep a value")
    except Exception:  # any failure of the cache backend (a refused connection, a timeout) means down
        log.warning("Health: the cache failed", exc_info=True)
        return _down("did not answer")
    return _up()


def _storage() -> dict:
    """Whether the marker exists: one call once it is there. On S3 a missing bucket answers "no such
    object" too, so a missing marker is written, which fails when the storage itself is missing."""
    try:
        if not default_storage.exists(STORAGE_MARKER):
            saved = default_storage.save(STORAGE_MARKER, ContentFile(b"Written by the health check.\n"))
            if saved != STORAGE_MARKER:  # another instance wrote the marker a moment earlier
                default_storage.delete(saved)
    except Exception:  # any failure of the storage backend (a full disk, refused credentials) means down
        log.warning("Health: the file storage failed", exc_info=True)
        return _down("did not answer")
    return _up()


@require_safe
@never_cache
def health(request):
    database, background_worker = _database_and_worker()
    checks = {"database": database, "cache": _cache(), "storage": _storage(), "worker": background_worker}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503)
