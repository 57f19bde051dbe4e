"""Two-factor sign-in (django-otp) for funder staff: an authenticator app set up
with a QR code, and single-use recovery codes."""

import os
import re
import subprocess
import sys
from base64 import b32decode, b32encode
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.services import switch_on_two_factor
from tests.conftest import PASSWORD

DASHBOARD = "/projects/dashboard/"
SETUP = reverse("accounts:two-factor-setup")
SECOND_STEP = reverse("accounts:two-factor")


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


@pytest.fixture
def not_required(settings):
    settings.TWO_FACTOR_REQUIRED = False


def sign_in(client, user, next_url=None):
    url = reverse("accounts:sign-in") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.username, "password": PASSWORD, "next": next_url or ""})


def code_now(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong_code(device):
    # The device accepts the codes of the step before and after too; pick one it would not.
    valid = {f"{totp(device.bin_key, device.step, device.t0 + shift * device.step):06d}" for shift in (-1, 0, 1)}
    return next(code for code in ("111111", "222222", "333333", "444444") if code not in valid)


def shown_key(page):
    """The set-up key as the page shows it (base32), without its spaces."""
    return re.search(r'id="secret-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def code_for(key, shift=0):
    """The code an authenticator app holding ``key`` (base32) shows now."""
    return f"{totp(b32decode(key), 30, 0, 6, shift):06d}"


def wrong_code_for(key):
    valid = {code_for(key, shift) for shift in (-1, 0, 1)}
    return next(code for code in ("111111", "222222", "333333", "444444") if code not in valid)


def app_with_recovery_codes(user):
    return switch_on_two_factor(user=user, key=random_hex(20))


def test_with_two_factor_required_a_password_alone_opens_nothing_for_an_officer(client, world, required):
    response = sign_in(client, world.users.officer)
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    assert client.session["_auth_user_id"] == str(world.users.officer.pk)

    pay = reverse("grants:milestone-pay", kwargs={"milestone_pk": world.derbyshire_milestone.pk})
    for url in (
        DASHBOARD,
        "/",
        "/projects/",
        "/grants/payments/waiting/",
        pay,
        "/admin/",
        reverse("accounts:password-change"),
        reverse("accounts:lockouts"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{SETUP}?next={url.replace('/', '%2F')}", url
    response = client.post(pay, {"paid_on": "2016-01-15"})
    assert response.status_code == 302 and response["Location"] == SETUP
    assert client.get(SETUP).status_code == 200
    assert client.get("/assets/css/app.css").status_code != 302


@pytest.mark.parametrize("persona", ["finance", "admin"])
def test_finance_and_administrators_must_set_it_up_too(client, world, required, persona):
    sign_in(client, getattr(world.users, persona))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(SETUP)


def test_set_up_shows_a_qr_code_and_the_key_and_a_correct_code_opens_the_service(client, world, required):
    sign_in(client, world.users.officer, next_url="/projects/")
    page = client.get(f"{SETUP}?next=/projects/").content.decode()

    assert not TOTPDevice.objects.filter(user=world.users.officer).exists()  # nothing kept until confirmed
    assert re.search(r'<div[^>]*role="img"[^>]*><svg [^>]*xmlns="http://www.w3.org/2000/svg"', page)
    assert "<script" not in page.split("<main")[1].split("</main>")[0]
    key = shown_key(page)
    assert client.get(SETUP).content.decode().count(" ".join(key[i : i + 4] for i in range(0, len(key), 4))) == 1
    assert shown_key(client.get(SETUP).content.decode()) == key  # a reload in this session shows the same key

    response = client.post(SETUP, {"code": code_for(key), "next": "/projects/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two-factor-recovery-codes") + "?next=%2Fprojects%2F"
    device = TOTPDevice.objects.get(user=world.users.officer)
    assert device.confirmed and b32encode(device.bin_key).decode() == key

    page = client.get(response["Location"]).content.decode()
    shown_codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page)
    assert len(shown_codes) == 10
    assert sorted(shown_codes) == sorted(
        StaticToken.objects.filter(device__user=world.users.officer).values_list("token", flat=True)
    )
    assert 'href="/projects/"' in page
    # Shown once only.
    assert client.get(reverse("accounts:two-factor-recovery-codes")).status_code == 302

    assert client.get(DASHBOARD).status_code == 200
    assert client.get("/projects/").status_code == 200


def test_a_wrong_code_at_set_up_gets_an_inline_error(client, world, required):
    sign_in(client, world.users.officer)
    key = shown_key(client.get(SETUP).content.decode())

    response = client.post(SETUP, {"code": wrong_code_for(key)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "The code is not correct" in page
    assert "govuk-input--error" in page
    assert not TOTPDevice.objects.filter(user=world.users.officer).exists()
    assert client.get(DASHBOARD).status_code == 302


def test_an_empty_code_is_asked_for(client, world, required):
    sign_in(client, world.users.officer)
    page = client.post(SETUP, {"code": ""}).content.decode()
    assert "Enter the code from your authenticator app" in page


def test_an_officer_with_two_factor_gives_a_code_after_the_password(client, world, required):
    device, _ = app_with_recovery_codes(world.users.officer)

    response = sign_in(client, world.users.officer, next_url="/projects/")
    assert response["Location"] == f"{SECOND_STEP}?next=%2Fprojects%2F"
    assert client.get(DASHBOARD)["Location"].startswith(SECOND_STEP)
    assert "Enter your security code" in client.get(response["Location"]).content.decode()

    response = client.post(SECOND_STEP, {"code": code_now(device), "next": "/projects/"})
    assert response.status_code == 302 and response["Location"] == "/projects/"
    assert client.get(DASHBOARD).status_code == 200


def test_a_wrong_code_at_sign_in_gets_an_inline_error(client, world, required):
    device, _ = app_with_recovery_codes(world.users.officer)
    sign_in(client, world.users.officer)
    response = client.post(SECOND_STEP, {"code": wrong_code(device)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The security code is not correct" in page and "govuk-input--error" in page
    assert client.get(DASHBOARD).status_code == 302

    # django-otp makes each wrong code double the wait before it checks the next one.
    page = client.post(SECOND_STEP, {"code": code_now(device)}).content.decode()
    assert re.search(r"Too many wrong codes\. Wait \d+ seconds? and try again", page)


def test_a_recovery_code_works_once_and_not_twice(client, world, required):
    _, codes = app_with_recovery_codes(world.users.officer)

    sign_in(client, world.users.officer)
    response = client.post(SECOND_STEP, {"code": codes[0].upper()}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/" and response.status_code == 200  # the home page's task list
    assert "You signed in with a recovery code. You have 9 recovery codes left." in page
    client.post(reverse("accounts:sign-out"))

    sign_in(client, world.users.officer)
    response = client.post(SECOND_STEP, {"code": codes[0]})
    assert response.status_code == 200
    assert "The security code is not correct" in response.content.decode()
    assert client.get(DASHBOARD).status_code == 302


def test_a_recipient_is_not_asked_for_two_factor(client, world, required):
    response = sign_in(client, world.users.derbyshire)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/projects/yours/").status_code == 200
    assert client.get(SETUP).status_code == 403


def test_where_it_is_not_required_the_officer_reaches_the_dashboard_with_the_password(client, world, not_required):
    response = sign_in(client, world.users.officer)
    assert response["Location"] == "/"
    assert client.get(DASHBOARD).status_code == 200


def test_someone_who_set_it_up_gives_a_code_even_where_it_is_optional(client, world, not_required):
    device, _ = app_with_recovery_codes(world.users.finance)
    response = sign_in(client, world.users.finance)
    assert response["Location"].startswith(SECOND_STEP)
    assert client.get("/grants/payments/waiting/")["Location"].startswith(SECOND_STEP)
    client.post(SECOND_STEP, {"code": code_now(device)})
    assert client.get("/grants/payments/waiting/").status_code == 200


def test_a_password_alone_cannot_swap_in_another_phone(client, world, required):
    app_with_recovery_codes(world.users.officer)
    sign_in(client, world.users.officer)
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(SECOND_STEP)
    assert client.post(SETUP, {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=world.users.officer).count() == 1


def test_set_up_is_offered_from_your_account(client, world, not_required):
    client.force_login(world.users.officer)
    page = client.get(reverse("accounts:password-change")).content.decode()
    assert "Two-factor sign-in is off." in page and f'href="{SETUP}"' in page

    key = shown_key(client.get(SETUP).content.decode())
    client.post(SETUP, {"code": code_for(key)})
    page = client.get(reverse("accounts:password-change")).content.decode()
    assert "Two-factor sign-in is on" in page and f'href="{SETUP}"' not in page
    response = client.get(SETUP)
    assert response["Location"] == reverse("accounts:password-change")


def test_your_account_offers_no_two_factor_to_a_recipient(client, world):
    client.force_login(world.users.derbyshire)
    assert "Two-factor" not in client.get(reverse("accounts:password-change")).content.decode()


def test_the_sign_in_page_says_two_factor_is_optional_in_development(client, world, settings):
    settings.TWO_FACTOR_REQUIRED = False
    assert (
        "Two-factor sign-in is optional for the demo users" in client.get(reverse("accounts:sign-in")).content.decode()
    )
    settings.TWO_FACTOR_REQUIRED = True
    assert "Two-factor sign-in is optional" not in client.get(reverse("accounts:sign-in")).content.decode()


def test_the_next_address_cannot_lead_off_the_site(client, world, required):
    device, _ = app_with_recovery_codes(world.users.officer)
    sign_in(client, world.users.officer)
    response = client.post(SECOND_STEP, {"code": code_now(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "grants.example.gov.uk"}, "True"),
        ({"DJANGO_DEVELOPMENT": "1"}, "False"),
        ({"DJANGO_DEVELOPMENT": "1", "TWO_FACTOR_REQUIRED": "1"}, "True"),
    ],
)
def test_two_factor_is_required_outside_development_unless_told_otherwise(env, expected):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "TWO_FACTOR_"))}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    script = "import django; django.setup(); from django.conf import settings; print(settings.TWO_FACTOR_REQUIRED)"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
