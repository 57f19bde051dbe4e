"""An administrator revokes someone's API token in the admin (a person left, a key was exposed): the token stops
working at once and the record keeps who revoked it and when; the admin never shows the key's hash."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from tests import factories as f


def test_an_administrator_revokes_a_token_and_it_stops_working(db, client, superuser):
    owner = f.UserFactory(username="ledger-owner", role="finance")
    token, key = ApiToken.issue(
        user=owner, name="Ledger feed", scope="read_write", expires_at=timezone.now() + dt.timedelta(days=30)
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/programmes", **headers).status_code == 200

    page = client.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    assert token.key_hash not in page and key not in page
    response = client.post(
        reverse("admin:api_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == superuser and token.revoked_at is not None
    refused = client.get("/api/v1/programmes", **headers)
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
