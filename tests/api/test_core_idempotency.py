"""Idempotency-Key: a retried write is done once and answered as the first time; a different request under a
used key is refused; a key in use is refused while its first request runs; failures let the key go."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from api.idempotency import forget_old
from api.models import IdempotentRequest
from grants.models import Organisation
from tests.api.conftest import bearer_client, make_token

URL = "/api/v1/probe/organisations"


def _post(client, key, name="New charity", url=URL):
    return client.post(url, {"name": name, "amount": "1.00"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def client(world, probe_api):
    return bearer_client(make_token(world.users.finance, scope="read_write")[1])


@pytest.mark.django_db
def test_a_retry_is_answered_from_the_first_and_writes_once(client):
    before = Organisation.objects.count()
    key = str(uuid.uuid4())
    first = _post(client, key)
    again = _post(client, key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert again["Content-Type"] == first["Content-Type"]
    assert Organisation.objects.count() == before + 1
    record = IdempotentRequest.objects.get(key=key)
    assert record.state == IdempotentRequest.State.DONE and record.status_code == 201


@pytest.mark.django_db
def test_without_a_key_each_request_writes(client):
    before = Organisation.objects.count()
    client.post(URL, {"name": "A", "amount": "1.00"}, content_type="application/json")
    client.post(URL, {"name": "A", "amount": "1.00"}, content_type="application/json")
    assert Organisation.objects.count() == before + 2


@pytest.mark.django_db
def test_the_same_key_for_a_different_request_is_refused(client):
    key = str(uuid.uuid4())
    assert _post(client, key, name="First").status_code == 201
    response = _post(client, key, name="Second")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Organisation.objects.filter(name="Second").exists()


@pytest.mark.django_db
def test_keys_are_per_person(world, probe_api, client):
    other = bearer_client(make_token(world.users.derbyshire, scope="read_write")[1])
    key = str(uuid.uuid4())
    assert _post(client, key).status_code == 201
    assert _post(other, key).status_code == 201
    assert IdempotentRequest.objects.filter(key=key).count() == 2


@pytest.mark.django_db
def test_a_key_in_progress_is_a_conflict(world, client):
    key = str(uuid.uuid4())
    IdempotentRequest.objects.create(user=world.users.finance, key=key, fingerprint="0" * 64)
    # While the first runs nobody can tell whether it will succeed: 409, whatever this request is.
    assert _post(client, key).status_code == 409
    IdempotentRequest.objects.filter(key=key).delete()
    first = _post(client, key)
    IdempotentRequest.objects.filter(key=key).update(state=IdempotentRequest.State.IN_PROGRESS)
    again = _post(client, key)
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_bad_key_is_a_400_problem(client, key):
    response = _post(client, key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.django_db
def test_a_failure_lets_the_key_go(client):
    key = str(uuid.uuid4())
    response = _post(client, key, url="/api/v1/probe/boom")
    assert response.status_code == 500
    assert not IdempotentRequest.objects.filter(key=key).exists()


@pytest.mark.django_db
def test_a_refused_token_keeps_no_key(world, probe_api):
    key = str(uuid.uuid4())
    assert _post(bearer_client("mig_unknown"), key).status_code == 401
    assert not IdempotentRequest.objects.filter(key=key).exists()


@pytest.mark.django_db
def test_a_refusal_by_the_rules_is_kept_and_replayed(client):
    key = str(uuid.uuid4())
    first = client.post(
        "/api/v1/probe/rules", {"name": "x", "amount": "5"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    again = client.post(
        "/api/v1/probe/rules", {"name": "x", "amount": "5"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert first.status_code == again.status_code == 422
    assert again["Content-Type"] == "application/problem+json"
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_multipart_retry_with_a_new_boundary_matches(client):
    key = str(uuid.uuid4())

    def send(content=b"%PDF-1.4 evidence"):
        return client.post(
            "/api/v1/probe/evidence",
            {"narrative": "Done", "file": SimpleUploadedFile("report.pdf", content, "application/pdf")},
            HTTP_IDEMPOTENCY_KEY=key,
        )

    first = send()
    # Django's test client picks one boundary; a body made by hand with another stands for a client library's.
    body = (
        b"--OTHERBOUNDARY\r\n"
        b'Content-Disposition: form-data; name="narrative"\r\n\r\nDone\r\n'
        b"--OTHERBOUNDARY\r\n"
        b'Content-Disposition: form-data; name="file"; filename="report.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 evidence\r\n"
        b"--OTHERBOUNDARY--\r\n"
    )
    again = client.post(
        "/api/v1/probe/evidence",
        body,
        content_type="multipart/form-data; boundary=OTHERBOUNDARY",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert send(b"%PDF-1.4 other evidence").status_code == 422


@pytest.mark.django_db
def test_keys_are_forgotten_after_a_day(world, client):
    key = str(uuid.uuid4())
    assert _post(client, key, name="First").status_code == 201
    IdempotentRequest.objects.filter(key=key).update(created_at=timezone.now() - timedelta(hours=25))
    assert _post(client, key, name="Second").status_code == 201  # the old key is forgotten, not a mismatch
    IdempotentRequest.objects.filter(key=key).update(created_at=timezone.now() - timedelta(hours=25))
    assert forget_old() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent requests need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_write_once(world, probe_api):
    client_a = bearer_client(make_token(world.users.finance, scope="read_write")[1])
    _, key_b = make_token(world.users.finance, scope="read_write", name="second token, same person")
    client_b = bearer_client(key_b)
    before = Organisation.objects.count()
    key = str(uuid.uuid4())
    probe_api.hold = threading.Event()
    answers = {}

    def send(name, client):
        try:
            answers[name] = _post(client, key)
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first", client_a))
    first.start()
    # Wait until the first request has claimed the key, then send its twin while the first is held.
    for _ in range(200):
        if IdempotentRequest.objects.filter(key=key).exists():
            break
        threading.Event().wait(0.05)
    second = threading.Thread(target=send, args=("second", client_b))
    second.start()
    second.join(timeout=20)
    probe_api.hold.set()
    first.join(timeout=20)
    assert answers["first"].status_code == 201
    assert answers["second"].status_code == 409
    assert Organisation.objects.count() == before + 1
    assert _post(client_b, key)["Idempotent-Replayed"] == "true"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent requests need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_many_requests_with_one_key_at_once_write_once(world, probe_api):
    _, key_token = make_token(world.users.finance, scope="read_write")
    before = Organisation.objects.count()
    key = str(uuid.uuid4())
    start = threading.Barrier(6)
    statuses = []

    def send():
        try:
            start.wait(timeout=10)
            statuses.append(_post(bearer_client(key_token), key).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(statuses) == 6
    assert set(statuses) <= {201, 409}
    assert Organisation.objects.count() == before + 1


@pytest.mark.django_db
def test_a_read_only_refusal_is_not_kept_so_a_write_token_can_retry(world, probe_api):
    key = str(uuid.uuid4())
    read_only = bearer_client(make_token(world.users.finance, scope="read")[1])
    assert _post(read_only, key).status_code == 403
    assert not IdempotentRequest.objects.filter(key=key).exists()
    writer = bearer_client(make_token(world.users.finance, scope="read_write")[1])
    assert _post(writer, key).status_code == 201
