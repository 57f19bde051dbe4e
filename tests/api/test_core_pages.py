"""The pages where people make, see and revoke their API tokens."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SecurityEvent
from api.models import ApiToken
from tests.api.conftest import bearer_client, make_token

pytestmark = pytest.mark.django_db

LIST, NEW = reverse("api:tokens"), reverse("api:token-create")


def _expiry(days):
    day = timezone.localdate() + dt.timedelta(days=days)
    return {"expires_on-day": day.day, "expires_on-month": day.month, "expires_on-year": day.year}


def _make(client, scope="read", days=30, name="Finance ledger feed"):
    return client.post(NEW, {"name": name, "scope": scope, **_expiry(days)})


def test_signed_out_people_are_sent_to_sign_in(client, world):
    for url in (LIST, NEW):
        response = client.get(url)
        assert response.status_code == 302 and "/account/sign-in/" in response["Location"]


def test_make_a_token_see_it_once_and_use_it(client, world):
    client.force_login(world.users.finance)
    form = client.get(NEW)
    assert form.status_code == 200
    assert 'value="read_write"' in form.content.decode()
    response = _make(client, scope="read_write", days=90)
    token = ApiToken.objects.get(user=world.users.finance)
    assert response.status_code == 302 and response["Location"] == reverse("api:token-made", args=[token.pk])
    assert token.scope == "read_write"
    assert timezone.localtime(token.expires_at).date() == timezone.localdate() + dt.timedelta(days=91)

    shown = client.get(response["Location"]).content.decode()
    key = re.search(r'id="api-key" type="text" value="(mig_[^"]+)"', shown).group(1)
    assert key.startswith(token.prefix)
    assert f"Bearer {key}" in shown  # the curl example

    reloaded = client.get(response["Location"]).content.decode()
    assert key not in reloaded and 'id="key-gone"' in reloaded
    assert bearer_client(key).get("/api/v1/projects").status_code == 200

    listing = client.get(LIST).content.decode()
    assert "Finance ledger feed" in listing and token.prefix in listing and key not in listing
    assert SecurityEvent.objects.get(user=world.users.finance).kind == SecurityEvent.Kind.API_TOKEN_MADE


@pytest.mark.parametrize("persona", ["officer", "evaluator", "admin"])
def test_roles_that_cannot_write_get_read_only_tokens(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert 'value="read_write"' not in client.get(NEW).content.decode()
    response = _make(client, scope="read_write")  # a crafted POST
    assert response.status_code == 200
    assert "Choose what the token may do" in response.content.decode()
    assert not ApiToken.objects.filter(user=getattr(world.users, persona)).exists()
    assert _make(client, scope="read").status_code == 302
    assert ApiToken.objects.get(user=getattr(world.users, persona)).scope == "read"


def test_viewers_make_read_only_tokens(client, world):
    client.force_login(world.users.viewer)
    page = client.get(NEW).content.decode()
    assert 'value="read"' in page and 'value="read_write"' not in page
    assert _make(client, scope="read_write").status_code == 200  # a crafted POST
    assert not ApiToken.objects.exists()
    assert _make(client, scope="read").status_code == 302
    token = ApiToken.objects.get(user=world.users.viewer)
    assert token.scope == "read"
    assert client.post(reverse("api:token-revoke", args=[token.pk])).status_code == 302


def test_grant_recipients_may_make_read_write_tokens(client, world):
    client.force_login(world.users.derbyshire)
    assert _make(client, scope="read_write").status_code == 302
    assert ApiToken.objects.get(user=world.users.derbyshire).scope == "read_write"


@pytest.mark.parametrize(("days", "message"), [(-1, "today or in the future"), (366, "on or before")])
def test_the_expiry_is_today_to_a_year_ahead(client, world, days, message):
    client.force_login(world.users.derbyshire)
    response = _make(client, days=days)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_name_is_needed(client, world):
    client.force_login(world.users.derbyshire)
    response = _make(client, name="")
    assert "Enter a name for the token" in response.content.decode()


def test_revoke_your_own_token(client, world):
    token, key = make_token(world.users.derbyshire)
    client.force_login(world.users.derbyshire)
    assert client.get(reverse("api:token-revoke", args=[token.pk])).status_code == 405
    response = client.post(reverse("api:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == world.users.derbyshire
    assert SecurityEvent.objects.get(user=world.users.derbyshire).kind == SecurityEvent.Kind.API_TOKEN_REVOKED
    client.post(reverse("api:token-revoke", args=[token.pk]))  # twice: one event
    assert SecurityEvent.objects.filter(user=world.users.derbyshire).count() == 1
    assert bearer_client(key).get("/api/v1/projects").status_code == 401
    assert "Revoked" in client.get(LIST).content.decode()


def test_someone_elses_token_is_not_found(client, world):
    token, _ = make_token(world.users.derbyshire)
    client.force_login(world.users.harrow)
    assert client.post(reverse("api:token-revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("api:token-made", args=[token.pk])).status_code == 404
    assert token.prefix not in client.get(LIST).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_two_factor_people_must_have_given_a_code(client, world):
    device = TOTPDevice.objects.create(user=world.users.derbyshire, name="phone", confirmed=True)
    client.force_login(world.users.derbyshire)  # a password-only session
    response = _make(client)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:two-factor"))
    assert not ApiToken.objects.exists()

    session = client.session
    session["otp_device_id"] = device.persistent_id  # as django-otp records a code given
    session.save()
    assert "two-factor-note" in client.get(NEW).content.decode()
    assert _make(client).status_code == 302
    assert ApiToken.objects.filter(user=world.users.derbyshire).count() == 1


def test_funder_staff_need_a_code_where_two_factor_is_required(client, world, settings):
    settings.TWO_FACTOR_REQUIRED = True
    client.force_login(world.users.finance)
    response = _make(client)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:two-factor-setup"))
    assert not ApiToken.objects.exists()


def test_the_page_says_two_factor_is_needed(rf, world, settings):
    from api.views import token_create

    settings.TWO_FACTOR_REQUIRED = True
    request = rf.get(NEW)
    request.user = world.users.finance
    request.user.is_verified = lambda: False
    request.session = {}
    response = token_create(request)
    assert response.status_code == 403
    assert "two-factor" in response.content.decode()
