"""/health/ says whether each part this instance needs answers: 200 when all do, 503 naming the part that
does not, with a short reason and nothing private; open to anyone, no cookie, never cached, one query."""

import socket
import time
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError, connection
from django.test import override_settings
from django.utils import timezone

from core import worker
from core.health import STORAGE_MARKER
from core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def worker_beating():
    worker.beat("worker-on-machine-a")


def checks(response):
    return response.json()["checks"]


def test_all_up_is_200_with_every_part_named_in_one_query(client, worker_beating, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert {part: check["ok"] for part, check in body["checks"].items()} == {
        "database": True,
        "cache": True,
        "storage": True,
        "worker": True,
    }
    assert 0 <= body["checks"]["worker"]["seen_seconds_ago"] <= 5


def test_it_is_open_sets_no_cookie_and_is_never_cached(client, worker_beating):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"]
    assert client.head("/health/").status_code == 200
    assert client.post("/health/").status_code == 405


def test_the_storage_marker_is_written_once_then_only_looked_for(client, worker_beating, private_files):
    client.get("/health/")
    marker = private_files / STORAGE_MARKER
    assert marker.read_bytes() == b"Written by the health check.\n"
    written = marker.stat().st_mtime_ns
    client.get("/health/")
    assert marker.stat().st_mtime_ns == written
    assert [path.name for path in marker.parent.iterdir()] == ["marker.txt"]


def test_database_unreachable_is_503_naming_the_database_without_its_error(client, worker_beating):
    def refuse(execute, sql, params, many, context):
        raise OperationalError('connection to server at "db.internal" (10.0.0.5), port 5432 failed: password wrong')

    with connection.execute_wrapper(refuse):
        response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert checks(response)["database"] == {"ok": False, "reason": "did not answer"}
    assert checks(response)["worker"]["ok"] is False
    assert checks(response)["cache"]["ok"] and checks(response)["storage"]["ok"]
    assert b"10.0.0.5" not in response.content and b"password" not in response.content


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_at(port: int):
    # Restored by the end of the test, before the suite's own fixture empties the cache.
    location = f"redis://127.0.0.1:{port}/14"
    return override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    )


def test_cache_down_is_503_naming_the_cache(client, worker_beating):
    port = closed_port()
    started = time.monotonic()
    with redis_at(port):
        response = client.get("/health/")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert checks(response)["cache"] == {"ok": False, "reason": "did not answer"}
    assert checks(response)["database"]["ok"] and checks(response)["storage"]["ok"] and checks(response)["worker"]["ok"]
    assert str(port).encode() not in response.content


def redis_listening() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not redis_listening(), reason="no Redis on 127.0.0.1:6379")
def test_a_real_redis_is_up(client, worker_beating):
    with redis_at(6379):
        response = client.get("/health/")
    assert response.status_code == 200
    assert checks(response)["cache"] == {"ok": True}


def test_storage_failing_is_503_naming_the_storage(client, worker_beating, settings, tmp_path):
    # The storage's folder would have to be inside a file: every write fails, as on a broken mount.
    (tmp_path / "not-a-folder").write_bytes(b"a file")
    settings.MEDIA_ROOT = tmp_path / "not-a-folder" / "private"
    response = client.get("/health/")
    assert response.status_code == 503
    assert checks(response)["storage"] == {"ok": False, "reason": "did not answer"}
    assert checks(response)["database"]["ok"] and checks(response)["cache"]["ok"]
    assert b"not-a-folder" not in response.content


def test_storage_raising_is_503(client, worker_beating, monkeypatch):
    def refuse(name):
        raise PermissionError("Access Denied for bucket private-evidence")

    monkeypatch.setattr(default_storage, "exists", refuse)
    response = client.get("/health/")
    assert response.status_code == 503
    assert checks(response)["storage"] == {"ok": False, "reason": "did not answer"}
    assert b"private-evidence" not in response.content


def test_no_worker_ever_seen_is_503(client):
    response = client.get("/health/")
    assert response.status_code == 503
    assert checks(response)["worker"] == {"ok": False, "reason": "no worker has been seen"}
    assert checks(response)["database"]["ok"]


def test_a_worker_not_seen_lately_is_503_and_the_limit_is_a_setting(client, settings):
    WorkerHeartbeat.objects.create(worker_id="stopped", last_seen=timezone.now() - timedelta(seconds=300))
    response = client.get("/health/")
    assert response.status_code == 503
    assert checks(response)["worker"]["ok"] is False
    assert checks(response)["worker"]["reason"].startswith("last seen 30")
    settings.HEALTH_WORKER_SEEN_WITHIN = 600
    response = client.get("/health/")
    assert response.status_code == 200
    assert 300 <= checks(response)["worker"]["seen_seconds_ago"] < 310


def test_a_signed_in_user_gets_the_same_answer(client, worker_beating, django_user_model):
    user = django_user_model.objects.create_user("officer-health", "o@example.gov.uk", "a-long-test-password-1")
    client.force_login(user)
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
