import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role, User

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def officer(db):
    return User.objects.create_user("officer", "Officer@example.gov.uk", PASSWORD, role=Role.OFFICER)


def test_the_start_page_is_public_and_leads_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "Manage innovation grants" in response.content.decode()
    assert reverse("accounts:sign-in") in response.content.decode()


@pytest.mark.parametrize("login", ["officer", "OFFICER", "officer@example.gov.uk"])
def test_sign_in_with_username_or_email(client, officer, login):
    response = client.post(reverse("accounts:sign-in"), {"username": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)


def test_a_wrong_password_gets_an_error_summary_and_no_session(client, officer):
    response = client.post(reverse("accounts:sign-in"), {"username": "officer", "password": "wrong"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a correct username or email address and password" in page
    assert "_auth_user_id" not in client.session


def test_empty_sign_in_form_names_each_missing_field(client, db):
    page = client.post(reverse("accounts:sign-in"), {}).content.decode()
    assert "Enter your username or email address" in page
    assert "Enter your password" in page
    assert 'class="govuk-input govuk-input--error' in page


def test_every_sign_in_field_has_a_visible_label(client, db):
    page = client.get(reverse("accounts:sign-in")).content.decode()
    for field_id in ("id_username", "id_password"):
        assert re.search(rf'<label class="govuk-label[^"]*" for="{field_id}">', page)


def test_sign_out_ends_the_session(client, officer):
    client.force_login(officer)
    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_that_sets_a_new_password(client, officer):
    client.post(reverse("accounts:password-reset"), {"email": "officer@example.gov.uk"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/account/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session-held one
    new_password = "a-different-password-2"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(new_password)


def test_sessions_expire_after_thirty_minutes_without_activity(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
