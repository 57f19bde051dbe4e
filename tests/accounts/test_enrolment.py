"""Two-factor set-up that only the person can complete.

Found: someone who knew a member of staff's password signed in, opened the set-up page, read
the key and left; the real person was later shown the same key (the unconfirmed device was
reused), confirmed it, and the attacker held a working second factor. Now each session gets
its own secret, kept in that session only and lapsing within minutes; nothing is stored until
a code proves it; and outside development a first set-up needs a single-use link sent to the
person's email address (or handed over by an administrator).
"""

import datetime as dt
import re
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import EnrolmentLink, SecurityEvent
from accounts.views import SETUP_SECRET
from tests.accounts.test_two_factor import DASHBOARD, SETUP, code_for, shown_key, sign_in

SEND_LINK = reverse("accounts:two-factor-send-link")


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    settings.TWO_FACTOR_ENROLMENT_LINK = False


@pytest.fixture
def link_required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    settings.TWO_FACTOR_ENROLMENT_LINK = True


@pytest.fixture
def ask_for_link(django_capture_on_commit_callbacks):
    """Press "Email me a set-up link"; the email goes once the change commits."""

    def ask(client, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(SEND_LINK, data, follow=True)

    return ask


def signed_in(world, persona="officer"):
    client = Client()
    sign_in(client, getattr(world.users, persona))
    return client


def link_in(message):
    return re.search(r"https?://\S+/account/two-factor/link/\S+", message.body).group(0)


def test_two_sessions_setting_up_one_account_get_different_secrets(world, required):
    attacker, person = signed_in(world), signed_in(world)
    attacker_key = shown_key(attacker.get(SETUP).content.decode())
    person_key = shown_key(person.get(SETUP).content.decode())
    assert attacker_key != person_key
    assert not TOTPDevice.objects.exists()

    # Neither can confirm with a code from the other's key.
    assert "The code is not correct" in attacker.post(SETUP, {"code": code_for(person_key)}).content.decode()
    assert "The code is not correct" in person.post(SETUP, {"code": code_for(attacker_key)}).content.decode()
    assert not TOTPDevice.objects.exists()

    # The person confirms their own; the attacker's key opens nothing.
    person.post(SETUP, {"code": code_for(person_key)})
    device = TOTPDevice.objects.get(user=world.users.officer)
    assert device.confirmed
    assert attacker.get(DASHBOARD)["Location"].startswith(reverse("accounts:two-factor"))
    page = attacker.post(reverse("accounts:two-factor"), {"code": code_for(attacker_key)}).content.decode()
    assert "The security code is not correct" in page
    assert attacker.get(DASHBOARD).status_code == 302


def test_a_secret_lapses_and_a_new_one_is_shown(world, required):
    client = signed_in(world)
    key = shown_key(client.get(SETUP).content.decode())
    session = client.session
    assert session[SETUP_SECRET]["until"] - time.time() == pytest.approx(600, abs=5)  # ten minutes
    session[SETUP_SECRET] = {**session[SETUP_SECRET], "until": time.time() - 1}
    session.save()
    new_key = shown_key(client.get(SETUP).content.decode())
    assert new_key != key
    assert "The code is not correct" in client.post(SETUP, {"code": code_for(key)}).content.decode()
    assert client.post(SETUP, {"code": code_for(new_key)}).status_code == 302


def test_the_session_that_confirms_second_is_refused(world, required):
    first, second = signed_in(world), signed_in(world)
    first_key = shown_key(first.get(SETUP).content.decode())
    second_key = shown_key(second.get(SETUP).content.decode())
    first.post(SETUP, {"code": code_for(first_key)})
    # The second session's page sends it to the second step: set-up is over.
    response = second.post(SETUP, {"code": code_for(second_key)})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:two-factor"))
    assert TOTPDevice.objects.filter(user=world.users.officer).count() == 1
    assert TOTPDevice.objects.get().key != second_key


def test_the_code_that_confirmed_set_up_cannot_be_given_again_to_sign_in(world, required):
    client = signed_in(world)
    key = shown_key(client.get(SETUP).content.decode())
    code = code_for(key)
    client.post(SETUP, {"code": code})
    client.post(reverse("accounts:sign-out"))
    sign_in(client, world.users.officer)
    assert (
        "The security code is not correct"
        in client.post(reverse("accounts:two-factor"), {"code": code}).content.decode()
    )


def test_a_password_alone_cannot_set_up_where_a_link_is_required(world, link_required):
    client = signed_in(world)
    page = client.get(SETUP).content.decode()
    assert "Email me a set-up link" in page
    assert 'id="secret-key"' not in page
    assert client.post(SETUP, {"code": "123456"}).status_code == 200
    assert not TOTPDevice.objects.exists()


def test_the_link_goes_to_the_persons_email_and_lets_only_their_session_set_up(
    world, link_required, ask_for_link, django_capture_on_commit_callbacks
):
    attacker, person = signed_in(world), signed_in(world)
    response = ask_for_link(attacker, next="/projects/")
    assert "We have sent a set-up link to o••••••@example.gov.uk" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["officer@example.gov.uk"]
    link = link_in(mail.outbox[0])
    assert EnrolmentLink.objects.get().token_hash not in link  # only a hash is kept
    assert link.split("/link/")[1].split("/")[0] not in EnrolmentLink.objects.get().token_hash

    # The attacker, who asked for it, cannot see it; the person opens it in their own session.
    response = person.get(link)
    assert response.status_code == 302 and response["Location"] == f"{SETUP}?next=%2Fprojects%2F"
    key = shown_key(person.get(SETUP).content.decode())
    assert "Email me a set-up link" in attacker.get(SETUP).content.decode()  # still no key for the attacker
    # Single use: a second opening, by anyone, finds nothing.
    assert person.get(link).status_code == 404
    assert attacker.get(link).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        assert person.post(SETUP, {"code": code_for(key)}).status_code == 302
    assert TOTPDevice.objects.get(user=world.users.officer).confirmed
    kinds = list(SecurityEvent.objects.filter(user=world.users.officer).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["enrolment_link_sent", "enrolment_link_used", "two_factor_on"]
    assert mail.outbox[-1].subject.endswith("two-factor sign-in is on")


def test_a_link_opened_by_another_account_or_after_it_lapsed_is_not_found(world, link_required, ask_for_link):
    person = signed_in(world)
    ask_for_link(person)
    link = link_in(mail.outbox[0])
    other = signed_in(world, "finance")
    assert other.get(link).status_code == 404
    EnrolmentLink.objects.update(
        created_at=timezone.now() - dt.timedelta(minutes=31), expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert person.get(link).status_code == 404
    assert "Email me a set-up link" in person.get(SETUP).content.decode()


def test_opening_a_link_signed_out_asks_for_sign_in_first_and_does_not_use_it(world, link_required, ask_for_link):
    ask_for_link(signed_in(world))
    link = link_in(mail.outbox[0])
    response = Client().get(link)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))
    assert EnrolmentLink.objects.get().used_at is None


def test_a_new_link_replaces_the_old_and_they_cannot_be_asked_for_in_a_burst(world, link_required, ask_for_link):
    client = signed_in(world)
    ask_for_link(client)
    response = ask_for_link(client)
    assert "We sent you a link less than a minute ago" in response.content.decode()
    assert len(mail.outbox) == 1
    EnrolmentLink.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    ask_for_link(client)
    assert len(mail.outbox) == 2
    assert client.get(link_in(mail.outbox[0])).status_code == 404
    assert client.get(link_in(mail.outbox[1])).status_code == 302


def test_an_administrator_issues_a_link_to_hand_over(client, world, link_required):
    admin = world.users.admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    from django_otp import DEVICE_ID_SESSION_KEY  # the admin's own second step, as if given
    from django_otp.util import random_hex

    from accounts.services import switch_on_two_factor

    device, _ = switch_on_two_factor(user=admin, key=random_hex(20))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "issue_setup_link", "_selected_action": [world.users.finance.pk]},
        follow=True,
    )
    page = response.content.decode()
    link = re.search(r"http://testserver/account/two-factor/link/[\w-]+/", page).group(0)
    assert SecurityEvent.objects.get(user=world.users.finance, kind="enrolment_link_issued").by == admin
    finance = signed_in(world, "finance")
    assert finance.get(link).status_code == 302
    assert 'id="secret-key"' in finance.get(SETUP).content.decode()


def test_the_first_administrator_gets_a_link_from_the_command_line(world, link_required, capsys):
    call_command("issue_setup_link", "ADMIN", "--site", "https://grants.example.gov.uk")
    link = capsys.readouterr().out.strip()
    assert re.fullmatch(r"https://grants\.example\.gov\.uk/account/two-factor/link/[\w-]+/", link)
    client = signed_in(world, "admin")
    assert client.get(link.removeprefix("https://grants.example.gov.uk")).status_code == 302
    assert 'id="secret-key"' in client.get(SETUP).content.decode()
