"""Disabling an account: the person cannot sign in, a session they hold ends at its next request,
and enabling gives access back. Nobody disables themselves; officers do not disable administrators."""

from django.test import Client

from people.models import AccessEvent
from tests.conftest import PASSWORD


def test_a_disabled_user_cannot_sign_in_and_their_session_ends(client, world):
    harrow = world.users.harrow
    theirs = Client()
    theirs.post("/account/sign-in/", {"username": "harrow", "password": PASSWORD})
    assert theirs.get("/projects/yours/").status_code == 200

    client.force_login(world.users.officer)
    response = client.post(f"/people/{harrow.pk}/disable/", follow=True)
    assert "account is disabled" in response.content.decode()
    harrow.refresh_from_db()
    assert not harrow.is_active

    # The open session ends at its next request.
    response = theirs.get("/projects/yours/")
    assert response.status_code == 302 and "/account/sign-in/" in response.url
    # And signing in again is refused.
    fresh = Client()
    response = fresh.post("/account/sign-in/", {"username": "harrow", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in fresh.session

    client.post(f"/people/{harrow.pk}/enable/")
    harrow.refresh_from_db()
    assert harrow.is_active
    response = fresh.post("/account/sign-in/", {"username": "harrow", "password": PASSWORD})
    assert response.status_code == 302
    kinds = list(AccessEvent.objects.filter(person=harrow).order_by("at", "pk").values_list("kind", "by"))
    assert kinds == [("disabled", world.users.officer.pk), ("enabled", world.users.officer.pk)]


def test_a_lead_contact_disables_a_colleague(client, lead, colleague):
    client.force_login(lead)
    client.post(f"/people/{colleague.pk}/disable/")
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert AccessEvent.objects.get(person=colleague).by == lead


def test_nobody_disables_themselves(client, lead, world):
    for user in (world.users.officer, lead):
        client.force_login(user)
        response = client.post(f"/people/{user.pk}/disable/", follow=True)
        assert "You cannot change your own access" in response.content.decode()
        user.refresh_from_db()
        assert user.is_active
    assert not AccessEvent.objects.exists()


def test_an_officer_cannot_disable_an_administrator(client, world):
    client.force_login(world.users.officer)
    admin = world.users.admin
    response = client.post(f"/people/{admin.pk}/disable/", follow=True)
    assert "Administrators are managed by other administrators" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active and not AccessEvent.objects.exists()


def test_disable_takes_only_a_post(client, world):
    client.force_login(world.users.officer)
    assert client.get(f"/people/{world.users.harrow.pk}/disable/").status_code == 405
    world.users.harrow.refresh_from_db()
    assert world.users.harrow.is_active
