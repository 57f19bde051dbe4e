"""Recovery codes: using one is recorded and the person is emailed; they can make new ones,
which stops the old ones, after giving a current code from their app."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts.models import SecurityEvent
from tests.accounts.test_two_factor import app_with_recovery_codes, code_now, sign_in, wrong_code

SECOND_STEP = reverse("accounts:two-factor")
RENEW = reverse("accounts:recovery-codes-renew")


@pytest.fixture(autouse=True)
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


def test_signing_in_with_a_recovery_code_is_recorded_and_emailed(client, world, django_capture_on_commit_callbacks):
    _, codes = app_with_recovery_codes(world.users.officer)
    sign_in(client, world.users.officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SECOND_STEP, {"code": codes[3]}, REMOTE_ADDR="198.51.100.7")
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.RECOVERY_CODE_USED)
    assert (event.user, event.ip_address) == (world.users.officer, "198.51.100.7")
    sent = [m for m in mail.outbox if "recovery code" in m.subject]
    assert len(sent) == 1 and sent[0].to == ["officer@example.gov.uk"]
    assert "from 198.51.100.7" in sent[0].body and "You have 9 recovery codes left" in sent[0].body


def test_signing_in_with_the_app_is_not_recorded_as_a_recovery(client, world):
    device, _ = app_with_recovery_codes(world.users.officer)
    sign_in(client, world.users.officer)
    client.post(SECOND_STEP, {"code": code_now(device)})
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.RECOVERY_CODE_USED).exists()


def test_new_recovery_codes_replace_the_old_after_a_code_from_the_app(
    client, world, django_capture_on_commit_callbacks
):
    device, old = app_with_recovery_codes(world.users.officer)
    sign_in(client, world.users.officer)
    client.post(SECOND_STEP, {"code": code_now(device)})
    assert 'href="/account/recovery-codes/new/"' in client.get(reverse("accounts:password-change")).content.decode()

    page = client.post(RENEW, {"code": wrong_code(device)}).content.decode()
    assert "The security code is not correct" in page
    page = client.post(RENEW, {"code": old[0]}).content.decode()  # a recovery code is not enough
    assert "The security code is not correct" in page
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(old)

    device.refresh_from_db()
    # As if a minute had passed: the code used to sign in may not be given twice, and the wrong
    # code above makes django-otp wait before it checks another.
    device.last_t -= 2
    device.throttling_failure_count = 0
    device.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RENEW, {"code": code_now(device)}, follow=True)
    page = response.content.decode()
    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page)
    assert "Your new recovery codes" in page and len(new) == 10
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(new)
    assert not set(new) & set(old)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.RECOVERY_CODES_RENEWED).count() == 1
    assert any("new recovery codes" in m.subject for m in mail.outbox)

    client.post(reverse("accounts:sign-out"))
    sign_in(client, world.users.officer)
    assert "The security code is not correct" in client.post(SECOND_STEP, {"code": old[1]}).content.decode()
    StaticDevice.objects.update(throttling_failure_count=0)  # the wait after a wrong code, passed
    assert client.post(SECOND_STEP, {"code": new[1]}).status_code == 302


def test_renewing_needs_the_second_step_first(client, world):
    app_with_recovery_codes(world.users.officer)
    sign_in(client, world.users.officer)
    assert client.get(RENEW)["Location"].startswith(SECOND_STEP)
    assert client.post(RENEW, {"code": "123456"})["Location"].startswith(SECOND_STEP)
