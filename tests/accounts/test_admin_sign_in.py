"""One way in. The admin's own sign-in page once let a user who had turned on two-factor in
with the password alone, where two-factor was not required of everyone: now the admin is
entered through the service's sign-in, and anyone with two-factor on is asked for a code
however their session began."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.test_two_factor import app_with_recovery_codes, code_now, sign_in

SECOND_STEP = reverse("accounts:two-factor")


@pytest.fixture
def staff_admin(world):
    admin = world.users.admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return admin


@pytest.mark.parametrize("required", [False, True])
def test_the_admin_sign_in_asks_for_a_code_from_someone_with_two_factor(client, staff_admin, settings, required):
    settings.TWO_FACTOR_REQUIRED = required
    device, _ = app_with_recovery_codes(staff_admin)

    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 302 and login["Location"] == reverse("accounts:sign-in") + "?next=%2Fadmin%2F"

    response = sign_in(client, staff_admin, next_url="/admin/")
    assert response["Location"] == f"{SECOND_STEP}?next=%2Fadmin%2F"
    for page in ("/admin/", "/admin/accounts/user/", "/grants/payments/waiting/", "/projects/dashboard/"):
        assert client.get(page)["Location"].startswith(SECOND_STEP), page

    response = client.post(SECOND_STEP, {"code": code_now(device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_session_begun_without_the_sign_in_page_is_still_asked_for_a_code(client, world, settings):
    settings.TWO_FACTOR_REQUIRED = False
    app_with_recovery_codes(world.users.finance)
    client.force_login(world.users.finance)  # as any other way of signing in would
    assert client.get("/grants/payments/waiting/")["Location"].startswith(SECOND_STEP)


def test_a_session_opened_before_two_factor_was_turned_on_must_give_a_code_after(world, settings):
    settings.TWO_FACTOR_REQUIRED = False
    earlier = Client()
    sign_in(earlier, world.users.officer)
    assert earlier.get("/projects/dashboard/").status_code == 200
    app_with_recovery_codes(world.users.officer)  # turned on from another browser
    assert earlier.get("/projects/dashboard/")["Location"].startswith(SECOND_STEP)


def test_anyone_who_turned_two_factor_on_is_asked_whatever_their_role(client, world, settings):
    # A member of staff moved to a council's role keeps the second factor they set up.
    settings.TWO_FACTOR_REQUIRED = False
    app_with_recovery_codes(world.users.derbyshire)
    sign_in(client, world.users.derbyshire)
    assert client.get("/projects/yours/")["Location"].startswith(SECOND_STEP)
    assert client.get(SECOND_STEP).status_code == 200


def test_a_signed_in_user_who_may_not_use_the_admin_is_told_so(client, world):
    client.force_login(world.users.derbyshire)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_where_two_factor_is_required_the_admin_opens_only_after_the_second_step(client, staff_admin, settings):
    settings.TWO_FACTOR_REQUIRED = True
    device, _ = app_with_recovery_codes(staff_admin)
    sign_in(client, staff_admin)
    assert client.get("/admin/").status_code == 302
    client.post(SECOND_STEP, {"code": code_now(device)})
    assert client.get("/admin/").status_code == 200
