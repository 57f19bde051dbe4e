"""API tokens: stored hashed, refused when unknown, revoked, expired or their owner is disabled; a read
token cannot write; the owner is who the request acts as."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.auth import LAST_USED_PRECISION
from api.models import ApiToken
from tests.api.conftest import bearer_client, make_token

pytestmark = pytest.mark.django_db

ORGANISATIONS = "/api/v1/probe/organisations"


def test_the_key_is_in_no_column(world):
    token, key = make_token(world.users.finance, name="Finance ledger feed")
    assert key.startswith("mig_") and len(key) > 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()
    assert all(key not in str(value) for value in row)
    assert token.prefix == key[:12]
    assert len(token.key_hash) == 64


def test_a_live_token_reads_as_its_owner(world, probe_api):
    token, key = make_token(world.users.derbyshire)
    response = bearer_client(key).get(ORGANISATIONS)
    assert response.status_code == 200
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer mig_not-a-real-key", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000],
)
def test_no_token_or_an_unknown_one_is_refused(world, probe_api, header):
    client = Client() if header is None else Client(headers={"Authorization": header})
    response = client.get(ORGANISATIONS)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_a_revoked_token_is_refused(world, probe_api):
    token, key = make_token(world.users.derbyshire)
    client = bearer_client(key)
    assert client.get(ORGANISATIONS).status_code == 200
    assert token.revoke(by=world.users.derbyshire) is True
    assert token.revoke(by=world.users.officer) is False  # the first revocation stands
    token.refresh_from_db()
    assert token.revoked_by == world.users.derbyshire
    assert client.get(ORGANISATIONS).status_code == 401


def test_an_expired_token_is_refused(world, probe_api):
    token, key = make_token(world.users.derbyshire)
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert bearer_client(key).get(ORGANISATIONS).status_code == 401
    token.refresh_from_db()
    assert token.state == "Expired"


def test_a_disabled_owners_token_is_refused(world, probe_api):
    _, key = make_token(world.users.harrow)
    world.users.harrow.is_active = False
    world.users.harrow.save()
    assert bearer_client(key).get(ORGANISATIONS).status_code == 401


def test_a_read_token_may_not_write(world, probe_api):
    _, key = make_token(world.users.finance, scope="read")
    response = bearer_client(key).post(
        ORGANISATIONS, {"name": "New charity", "amount": "1.00"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "read only" in response.json()["detail"]


def test_a_viewers_write_token_may_not_write(world, probe_api):
    # The form never offers a viewer read-and-write; a token made another way still writes nothing.
    _, key = make_token(world.users.viewer, scope="read_write")
    response = bearer_client(key).post(
        ORGANISATIONS, {"name": "New charity", "amount": "1.00"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_a_write_token_writes(world, probe_api):
    _, key = make_token(world.users.finance, scope="read_write")
    response = bearer_client(key).post(
        ORGANISATIONS, {"name": "New charity", "amount": "1.00"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["name"] == "New charity"


def test_last_used_is_written_at_most_once_a_minute(world, probe_api):
    token, key = make_token(world.users.derbyshire)
    client = bearer_client(key)
    client.get(ORGANISATIONS)
    token.refresh_from_db()
    first = token.last_used_at
    client.get(ORGANISATIONS)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - LAST_USED_PRECISION)
    client.get(ORGANISATIONS)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_active_leaves_out_revoked_and_expired(world):
    live, _ = make_token(world.users.derbyshire, name="live")
    revoked, _ = make_token(world.users.derbyshire, name="revoked")
    revoked.revoke(by=world.users.derbyshire)
    expired, _ = make_token(world.users.derbyshire, name="expired")
    ApiToken.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(days=1)
    )
    assert list(ApiToken.objects.active()) == [live]
