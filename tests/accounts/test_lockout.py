"""Sign-in protection (django-axes): 5 failed tries for one username from one
address lock that pair out for 15 minutes; officers can lift a lock-out."""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

LOCKED_OUT = "Too many failed attempts. You can try again in 15 minutes."
WRONG = "Enter a correct username or email address and password"


def sign_in(client, login, password=PASSWORD, **extra):
    return client.post(reverse("accounts:sign-in"), {"username": login, "password": password}, **extra)


def fail(client, login, times, **extra):
    for _ in range(times):
        response = sign_in(client, login, "not-the-password", **extra)
    return response


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def let_time_pass(delta):
    """Move every recorded failure back, as if ``delta`` had passed since it."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


def test_four_failures_leave_sign_in_open_and_the_fifth_locks_it(client, world):
    for _ in range(4):
        response = sign_in(client, "officer", "not-the-password")
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    response = sign_in(client, "officer", "not-the-password")
    page = response.content.decode()
    assert response.status_code == 429
    assert "There is a problem" in page and LOCKED_OUT in page
    assert "<title>Error: Sign in" in page


def test_after_five_failures_the_right_password_is_refused_until_the_lock_out_ends(client, world):
    fail(client, "officer", 5)

    response = sign_in(client, "officer")
    assert response.status_code == 429
    assert LOCKED_OUT in response.content.decode()
    assert signed_in_user_id(client) is None

    # 14 minutes on, still locked; the refused try counts, so the 15 minutes start again.
    let_time_pass(dt.timedelta(minutes=14))
    assert sign_in(client, "officer").status_code == 429
    assert signed_in_user_id(client) is None

    let_time_pass(dt.timedelta(minutes=15, seconds=1))
    response = sign_in(client, "officer")
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(world.users.officer.pk)


def test_a_successful_sign_in_clears_the_count(client, world):
    fail(client, "officer", 4)
    assert sign_in(client, "officer").status_code == 302
    client.post(reverse("accounts:sign-out"))
    assert not AccessAttempt.objects.exists()
    fail(client, "officer", 4)
    assert sign_in(client, "officer").status_code == 302


def test_failures_by_email_and_by_username_in_any_case_count_together(client, world):
    sign_in(client, "officer@example.gov.uk", "wrong-1")
    sign_in(client, "OFFICER@Example.gov.uk", "wrong-2")
    sign_in(client, "Officer", "wrong-3")
    sign_in(client, "officer", "wrong-4")
    assert sign_in(client, "OFFICER", "wrong-5").status_code == 429

    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"officer"}
    for login in ("officer", "officer@example.gov.uk"):
        response = sign_in(client, login)
        assert response.status_code == 429 and LOCKED_OUT in response.content.decode()


def test_the_lock_is_for_that_username_from_that_address_only(client, world):
    fail(client, "officer", 5)
    assert sign_in(client, "finance").status_code == 302

    elsewhere = Client()
    assert sign_in(elsewhere, "officer", REMOTE_ADDR="192.0.2.10").status_code == 302
    assert signed_in_user_id(elsewhere) == str(world.users.officer.pk)


def test_every_sign_in_failure_and_lock_out_is_recorded(client, world):
    fail(client, "derbyshire", 5)
    sign_in(client, "derbyshire")  # refused while locked out
    failures = list(AccessFailureLog.objects.filter(username="derbyshire").order_by("attempt_time", "pk"))
    assert len(failures) == 6
    assert [failure.locked_out for failure in failures] == [False] * 4 + [True, True]
    assert {failure.ip_address for failure in failures} == {"127.0.0.1"}
    attempt = AccessAttempt.objects.get(username="derbyshire")
    assert attempt.failures_since_start == 6

    assert sign_in(client, "harrow").status_code == 302
    log = AccessLog.objects.get()
    assert (log.username, log.ip_address, log.logout_time) == ("harrow", "127.0.0.1", None)
    client.post(reverse("accounts:sign-out"))
    log.refresh_from_db()
    assert log.logout_time is not None


def test_an_officer_sees_the_lock_out_and_unlocks_it(client, world):
    locked = Client()
    fail(locked, "derbyshire", 5)

    client.force_login(world.users.officer)
    page = client.get(reverse("accounts:lockouts")).content.decode()
    assert "derbyshire" in page and "127.0.0.1" in page
    assert f'action="{reverse("accounts:unlock")}"' in page
    assert '<input type="hidden" name="username" value="derbyshire">' in page

    response = client.post(reverse("accounts:unlock"), {"username": "derbyshire"}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:lockouts"), 302)]
    page = response.content.decode()
    assert "derbyshire can sign in again" in page
    assert "Nobody is locked out." in page
    assert not AccessAttempt.objects.filter(username="derbyshire").exists()

    assert sign_in(locked, "derbyshire").status_code == 302
    assert signed_in_user_id(locked) == str(world.users.derbyshire.pk)


def test_an_administrator_may_unlock_too(client, world):
    fail(Client(), "harrow", 5)
    client.force_login(world.users.admin)
    assert "harrow" in client.get(reverse("accounts:lockouts")).content.decode()
    assert client.post(reverse("accounts:unlock"), {"username": "harrow"}).status_code == 302
    assert not AccessAttempt.objects.exists()


def test_a_lock_out_that_has_ended_is_not_listed(client, world):
    fail(Client(), "harrow", 5)
    let_time_pass(dt.timedelta(minutes=15, seconds=1))
    client.force_login(world.users.officer)
    assert "Nobody is locked out." in client.get(reverse("accounts:lockouts")).content.decode()


@pytest.mark.parametrize("persona", ["morninglane", "derbyshire", "finance", "viewer", "evaluator"])
def test_only_officers_and_administrators_see_or_lift_lock_outs(client, world, persona):
    fail(Client(), "harrow", 5)
    client.force_login(getattr(world.users, persona))
    assert client.get(reverse("accounts:lockouts")).status_code == 403
    assert client.post(reverse("accounts:unlock"), {"username": "harrow"}).status_code == 403
    assert AccessAttempt.objects.filter(username="harrow").exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for url in (reverse("accounts:lockouts"), reverse("accounts:unlock")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))


def test_unlock_needs_a_username_and_a_post(client, world):
    client.force_login(world.users.officer)
    assert client.get(reverse("accounts:unlock")).status_code == 405
    assert client.post(reverse("accounts:unlock"), {}).status_code == 400


def test_the_lock_outs_page_runs_the_same_queries_for_one_row_as_for_three(client, world, django_assert_num_queries):
    client.force_login(world.users.officer)
    fail(Client(), "harrow", 5)
    # Session and user, the lock-outs, and saving the session (three, with its savepoint).
    with django_assert_num_queries(6):
        client.get(reverse("accounts:lockouts"))
    fail(Client(), "kent", 5)
    fail(Client(), "unknown-person", 5)
    with django_assert_num_queries(6):
        page = client.get(reverse("accounts:lockouts")).content.decode()
    assert all(name in page for name in ("harrow", "kent", "unknown-person"))


def test_the_admin_has_no_sign_in_of_its_own(client, world):
    # A password posted to the admin's sign-in signs nobody in: it is sent to the service's
    # sign-in, where lock-out and two-factor hold (tests/accounts/test_admin_sign_in.py).
    response = client.post(reverse("admin:login"), {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign-in") + "?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
