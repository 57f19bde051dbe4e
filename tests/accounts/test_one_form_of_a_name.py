"""One form of a username or email address (NFKC and casefold) for sign-in, lock-out and
creation. Sign-in once matched with the database's case-insensitive lookup while lock-out
folded with Python's lower(): on PostgreSQL, UPPER('ı') is 'I' and UPPER('ſ') is 'S', so
after five failures for "derbyshire", "derbyſhire" or "derbyshıre" signed in. Every spelling
that can sign in to an account must now be locked out with it, on either database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.backends import lockout_name
from accounts.models import Role, User, normalise_login
from tests.accounts.test_lockout import LOCKED_OUT, fail, sign_in, signed_in_user_id
from tests.conftest import PASSWORD

LOOK_ALIKES = [
    "derbyſhire",  # long s
    "derbyshıre",  # dotless i
    "DERBYSHIRE",
    "Derbyshire",
    "ｄｅｒｂｙｓｈｉｒｅ",  # full-width letters
    "derbyshİre",  # capital I with a dot
    " derbyshire ",
    "DERBYSHIRE@EXAMPLE.GOV.UK",
    "derbyſhire@example.gov.uk",
    "derbyshıre@example.gov.uk",
]
# Spellings whose one form is not the account's ("derbyshıre" and "derbyshİre" fold to other
# names): they were never tries at the account, so they are a wrong password, not a lock-out.
NOT_THE_ACCOUNT = {"derbyshıre", "derbyshİre", "derbyshıre@example.gov.uk"}


@pytest.mark.parametrize("first", ["derbyshire", "derbyſhire", "ＤＥＲＢＹＳＨＩＲＥ", "DERBYSHIRE@example.gov.uk"])
@pytest.mark.parametrize("then", LOOK_ALIKES)
def test_after_five_failures_under_one_spelling_no_spelling_signs_in(client, world, first, then):
    # Failures under a name that is not the account's ("derbyshıre") are not tries at it; that
    # name cannot sign in to it either (the next test but one).
    fail(client, first, 5)
    response = sign_in(client, then)
    assert signed_in_user_id(client) is None, f"{then!r} signed in after five failures for {first!r}"
    if then in NOT_THE_ACCOUNT:
        assert response.status_code == 200 and LOCKED_OUT not in response.content.decode()
    else:
        assert response.status_code == 429 and LOCKED_OUT in response.content.decode()


def test_the_database_under_test(db):
    # The finding was on PostgreSQL; CI runs this module on both databases.
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.parametrize(
    "login", ["derbyshire", "DERBYSHIRE", "derbyſhire", "ｄｅｒｂｙｓｈｉｒｅ", "Derbyshire@Example.GOV.uk"]
)
def test_the_same_person_signs_in_under_any_case_or_compatibility_form(client, world, login):
    assert sign_in(client, login).status_code == 302
    assert signed_in_user_id(client) == str(world.users.derbyshire.pk)


@pytest.mark.parametrize(
    "login", ["derbyshıre", "derbyshİre", "derbyshire\u200b", "dеrbyshire"]
)  # dotless i, zero width, Cyrillic е
def test_a_different_letter_is_a_different_name_and_signs_nobody_in(client, world, login):
    response = sign_in(client, login)
    assert response.status_code == 200
    assert signed_in_user_id(client) is None


def test_lock_out_counts_every_spelling_against_the_one_account(world, rf):
    same = [login for login in LOOK_ALIKES if "ı" not in login and "İ" not in login]
    assert {lockout_name(rf.post("/"), {"username": login}) for login in same} == {"derbyshire"}
    # Different letters fold to different names, which sign nobody in.
    assert lockout_name(rf.post("/"), {"username": "derbyshıre"}) == "derbyshıre"


def test_usernames_and_emails_are_stored_in_the_one_form(db):
    user = User.objects.create_user("Kent.Officer", "Kent.Officer@Kent.GOV.UK", PASSWORD, role=Role.VIEWER)
    user.refresh_from_db()
    assert (user.username, user.email) == ("kent.officer", "kent.officer@kent.gov.uk")
    assert normalise_login("ＫＥＮＴ") == "kent"
    assert normalise_login("Straße") == "strasse"


@pytest.mark.parametrize("username", ["derbyshıre", "derby shire", "derby@shire", "ﬁnance", "-lead", "dеrby", "a\x00b"])
def test_new_usernames_outside_the_safe_set_are_refused(db, username):
    user = User(username=username, email="new@example.gov.uk", role=Role.VIEWER)
    user.set_password(PASSWORD)
    with pytest.raises(ValidationError) as refused:
        user.full_clean()
    assert "username" in refused.value.message_dict


def test_the_admin_refuses_a_look_alike_of_an_existing_username(client, world):
    admin = world.users.admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "DERBYſHIRE",
            "password1": "a-long-new-password-1",
            "password2": "a-long-new-password-1",
            "usable_password": "true",
            "role": Role.VIEWER,
        },
    )
    assert response.status_code == 200
    assert "A user with that username already exists" in response.content.decode()
    assert User.objects.filter(username="derbyshire").count() == 1


def test_an_officer_unlocks_every_spelling_at_once(client, world):
    fail(client, "derbyſhire", 5)
    assert LOCKED_OUT in sign_in(client, "Derbyshire").content.decode()
    officer = Client()
    officer.force_login(world.users.officer)
    officer.post(reverse("accounts:unlock"), {"username": "DERBYSHIRE"})
    assert sign_in(client, "derbyshire").status_code == 302
