"""Single sign-on through an OpenID Connect provider, against a real one on loopback
(oidc-provider-mock, in a thread): the service's own views and backend speak to it over
HTTP exactly as they would to Microsoft Entra ID. The provider's sign-in page is answered
with requests, as a browser would submit it, naming the person (``sub``) whose claims were
set just before."""

import importlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse
from oidc_provider_mock import run_server_in_thread

from accounts import oidc
from accounts.models import Role, User

CLIENT_ID = "manage-innovation-grants"
LABEL = "Sign in with your DfE account"
SIGN_IN = "/account/sign-in/"
START = "/account/sign-in/organisation/"
CALLBACK = "/account/sign-in/organisation/callback/"


@pytest.fixture(scope="module")
def provider():
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def _reload_urls():
    """The single sign-on addresses exist only when it is set up (accounts/urls.py reads the
    settings once), so the URL modules are read again under the changed settings."""
    import accounts.urls
    import config.urls

    importlib.reload(accounts.urls)
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def sso(provider):
    oidc._discovered.clear()
    with override_settings(
        OIDC_ENABLED=True,
        OIDC_RP_CLIENT_ID=CLIENT_ID,
        OIDC_RP_CLIENT_SECRET="a-client-secret",
        OIDC_OP_DISCOVERY=f"{provider}/.well-known/openid-configuration",
        OIDC_BUTTON_LABEL=LABEL,
        AUTHENTICATION_BACKENDS=[*settings.AUTHENTICATION_BACKENDS, "accounts.oidc.OrganisationAccountBackend"],
        TWO_FACTOR_REQUIRED=False,
    ):
        _reload_urls()
        try:
            yield provider
        finally:
            oidc._discovered.clear()
    _reload_urls()


def provider_signs_in(client, provider, sub, claims, next_url=""):
    """Start at the service, sign in at the provider as ``sub``, come back: the callback's response."""
    requests.put(f"{provider}/users/{sub}", json=claims, timeout=5).raise_for_status()
    start = client.get(START, {"next": next_url} if next_url else {})
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(f"{provider}/oauth2/authorize?")
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["client_id"] == [CLIENT_ID]
    assert asked["redirect_uri"] == [f"http://testserver{CALLBACK}"]
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def refusal_on_sign_in_page(client, response) -> str:
    assert response.status_code == 302
    assert response["Location"] == SIGN_IN
    return client.get(SIGN_IN).content.decode()


def test_a_verified_email_signs_in_its_one_user_with_the_role_the_service_gave(client, world, sso):
    users_before = User.objects.count()
    # The provider spells the address its own way; the service matches its one stored form.
    response = provider_signs_in(
        client, sso, "derbyshire-sub", {"email": "Derbyshire@Example.GOV.uk", "email_verified": True}
    )
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(world.users.derbyshire.pk)
    assert User.objects.count() == users_before
    derbyshire = User.objects.get(pk=world.users.derbyshire.pk)
    assert (derbyshire.role, derbyshire.organisation) == (Role.RECIPIENT, world.users.derbyshire.organisation)
    # Signed in as Derbyshire's member of staff: their own home (a task list of their milestones), and their projects.
    home = client.get(response["Location"])
    assert (
        home.status_code == 200 and 'href="/projects/yours/#milestones-that-need-your-evidence' in home.content.decode()
    )
    page = client.get(reverse("projects:yours")).content.decode()
    assert "Reclaiming Social Work" in page


def test_each_sign_in_works_while_the_providers_discovery_document_is_kept(client, world, sso):
    claims = {"email": "derbyshire@example.gov.uk", "email_verified": True}
    for _ in range(2):
        provider_signs_in(client, sso, "derbyshire-again", claims)
        assert signed_in_user_id(client) == str(world.users.derbyshire.pk)
        client.logout()


def test_the_provider_can_be_named_by_its_endpoints_instead_of_discovery(client, world, sso):
    with override_settings(
        OIDC_OP_DISCOVERY="",
        OIDC_OP_AUTHORIZATION_ENDPOINT=f"{sso}/oauth2/authorize",
        OIDC_OP_TOKEN_ENDPOINT=f"{sso}/oauth2/token",
        OIDC_OP_USER_ENDPOINT=f"{sso}/userinfo",
        OIDC_OP_JWKS_ENDPOINT=f"{sso}/jwks",
    ):
        provider_signs_in(client, sso, "evaluator", {"email": "evaluator@example.gov.uk", "email_verified": True})
    assert signed_in_user_id(client) == str(world.users.evaluator.pk)


def test_the_page_asked_for_before_signing_in_is_where_the_person_lands(client, world, sso):
    wanted = reverse("accounts:password-change")
    response = provider_signs_in(
        client, sso, "derbyshire-next", {"email": "derbyshire@example.gov.uk", "email_verified": True}, wanted
    )
    assert response["Location"] == wanted
    assert client.get(wanted).status_code == 200


def test_an_unknown_email_is_refused_and_nobody_is_signed_in_or_created(client, world, sso):
    users_before = User.objects.count()
    response = provider_signs_in(
        client, sso, "stranger", {"email": "stranger@education.gov.uk", "email_verified": True}
    )
    page = refusal_on_sign_in_page(client, response)
    assert "No account uses that email address: ask your programme officer for an invitation." in page
    assert signed_in_user_id(client) is None
    assert User.objects.count() == users_before
    assert client.get(reverse("projects:yours"))["Location"].startswith(SIGN_IN)


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "derbyshire@example.gov.uk", "email_verified": False},
        {"email": "derbyshire@example.gov.uk"},
        {"email": "derbyshire@example.gov.uk", "email_verified": "no"},
        {"email": "derbyshire@example.gov.uk", "xms_edov": False},
    ],
    ids=["false", "absent", "not-true", "entra-domain-not-verified"],
)
def test_an_email_the_provider_has_not_verified_is_refused(client, world, sso, claims):
    response = provider_signs_in(client, sso, "unverified", claims)
    page = refusal_on_sign_in_page(client, response)
    assert "did not confirm your email address" in page
    assert signed_in_user_id(client) is None


def test_entra_ids_domain_verified_claim_stands_for_email_verified(client, world, sso):
    # Entra ID sends no email_verified for organisational accounts; xms_edov is its optional claim.
    response = provider_signs_in(client, sso, "entra", {"email": "derbyshire@example.gov.uk", "xms_edov": True})
    assert response.status_code == 302 and response["Location"] != SIGN_IN
    assert signed_in_user_id(client) == str(world.users.derbyshire.pk)


def test_a_switched_off_user_is_refused(client, world, sso):
    User.objects.filter(pk=world.users.harrow.pk).update(is_active=False)
    response = provider_signs_in(client, sso, "harrow", {"email": "harrow@example.gov.uk", "email_verified": True})
    page = refusal_on_sign_in_page(client, response)
    assert "This account has been switched off. Ask your programme officer." in page
    assert signed_in_user_id(client) is None


def test_an_email_two_users_share_signs_in_neither(client, world, sso):
    User.objects.create_user("harrow2", "harrow@example.gov.uk", "a-long-test-password-1", role=Role.VIEWER)
    response = provider_signs_in(client, sso, "shared", {"email": "harrow@example.gov.uk", "email_verified": True})
    page = refusal_on_sign_in_page(client, response)
    assert "More than one account uses that email address" in page
    assert signed_in_user_id(client) is None


def test_funder_staff_still_give_the_services_second_step(client, world, sso, settings):
    settings.TWO_FACTOR_REQUIRED = True
    response = provider_signs_in(client, sso, "officer", {"email": "officer@example.gov.uk", "email_verified": True})
    assert signed_in_user_id(client) == str(world.users.officer.pk)
    # Whatever the provider asked for, the dashboard and the money wait for the service's own two-factor.
    dashboard = client.get(reverse("projects:dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("accounts:two-factor-setup"))
    assert (
        client.get(response["Location"], follow=True)
        .redirect_chain[-1][0]
        .startswith(reverse("accounts:two-factor-setup"))
    )


def test_a_return_from_the_provider_that_this_browser_did_not_start_signs_nobody_in(client, world, sso):
    provider_signs_in(client, sso, "officer-a", {"email": "derbyshire@example.gov.uk", "email_verified": True})
    client.logout()
    # Someone else's code and state, pasted into this browser: this session never asked for them.
    requests.put(f"{sso}/users/x", json={"email": "derbyshire@example.gov.uk", "email_verified": True}, timeout=5)
    other = client.__class__()
    authorize = other.get(START)["Location"]
    back = urlsplit(requests.post(authorize, data={"sub": "x"}, allow_redirects=False, timeout=5).headers["Location"])
    client.get(SIGN_IN)  # this browser has a session of its own, with no sign-in started
    page = refusal_on_sign_in_page(client, client.get(f"{back.path}?{back.query}"))
    assert "did not finish" in page
    assert signed_in_user_id(client) is None


def test_a_code_used_twice_signs_in_only_once(client, world, sso):
    requests.put(f"{sso}/users/twice", json={"email": "derbyshire@example.gov.uk", "email_verified": True}, timeout=5)
    authorize = client.get(START)["Location"]
    back = urlsplit(
        requests.post(authorize, data={"sub": "twice"}, allow_redirects=False, timeout=5).headers["Location"]
    )
    state = parse_qs(back.query)["state"][0]
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    assert signed_in_user_id(client) == str(world.users.derbyshire.pk)
    client.logout()
    # Start again so the session holds a state, then replay the old code under it: the provider refuses.
    fresh_state = parse_qs(urlsplit(client.get(START)["Location"]).query)["state"][0]
    replay = client.get(CALLBACK, {"code": parse_qs(back.query)["code"][0], "state": fresh_state})
    assert fresh_state != state
    page = refusal_on_sign_in_page(client, replay)
    assert "did not finish" in page
    assert signed_in_user_id(client) is None


def test_the_person_who_says_no_at_the_provider_is_told_and_not_signed_in(client, world, sso):
    authorize = client.get(START)["Location"]
    answer = requests.post(authorize, data={"action": "deny"}, allow_redirects=False, timeout=5)
    back = urlsplit(answer.headers["Location"])
    assert "error=access_denied" in back.query
    page = refusal_on_sign_in_page(client, client.get(f"{back.path}?{back.query}"))
    assert "did not finish" in page
    assert signed_in_user_id(client) is None


def test_refused_single_sign_ons_lock_out_neither_single_sign_on_nor_passwords_from_that_address(client, world, sso):
    # Colleagues share an office's address: strangers refused must not shut them out.
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = provider_signs_in(
            client, sso, "stranger", {"email": "stranger@education.gov.uk", "email_verified": True}
        )
        assert "No account uses that email address" in refusal_on_sign_in_page(client, response)
    assert not AccessAttempt.objects.exists()
    provider_signs_in(client, sso, "derbyshire-sso", {"email": "derbyshire@example.gov.uk", "email_verified": True})
    assert signed_in_user_id(client) == str(world.users.derbyshire.pk)
    client.logout()
    response = client.post(SIGN_IN, {"username": "harrow", "password": "a-long-test-password-1"})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(world.users.harrow.pk)


def test_a_password_lock_out_guards_the_password_not_the_organisations_sign_in(client, world, sso):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(SIGN_IN, {"username": "derbyshire", "password": "wrong"})
    locked = client.post(SIGN_IN, {"username": "derbyshire", "password": "a-long-test-password-1"})
    assert locked.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert signed_in_user_id(client) is None
    provider_signs_in(client, sso, "derbyshire-locked", {"email": "derbyshire@example.gov.uk", "email_verified": True})
    assert signed_in_user_id(client) == str(world.users.derbyshire.pk)
    # Having proved who they are, the person's password is theirs again, as after an officer's unlock.
    client.logout()
    again = client.post(SIGN_IN, {"username": "derbyshire", "password": "a-long-test-password-1"})
    assert again.status_code == 302
    assert signed_in_user_id(client) == str(world.users.derbyshire.pk)


def test_the_sign_in_page_offers_the_button_above_the_password_form(client, db, sso):
    page = client.get(SIGN_IN, {"next": "/projects/"}).content.decode()
    assert f">{LABEL}</a>" in page
    assert f'href="{START}?next=%2Fprojects%2F"' in page
    assert page.index(LABEL) < page.index('name="password"')


def test_the_provider_unreachable_is_a_message_not_an_error(client, db, sso):
    with override_settings(OIDC_OP_DISCOVERY="http://localhost:9/.well-known/openid-configuration"):
        oidc._discovered.clear()
        response = client.get(START)
    assert "did not finish" in refusal_on_sign_in_page(client, response)


def test_without_the_settings_there_is_no_button_and_no_address(client, db):
    assert not settings.OIDC_ENABLED
    page = client.get(SIGN_IN).content.decode()
    assert "Sign in with your" not in page
    assert client.get(START).status_code == 404
    assert client.get(CALLBACK, {"code": "x", "state": "y"}).status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("accounts:sso-start")
    assert "accounts.oidc.OrganisationAccountBackend" not in settings.AUTHENTICATION_BACKENDS


ROOT = Path(__file__).resolve().parents[2]


def start_up(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "OIDC_"))}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEVELOPMENT="1")
    code = "import django; django.setup(); from django.conf import settings as s; print(s.AUTHENTICATION_BACKENDS)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"OIDC_RP_CLIENT_ID": "abc"}, "OIDC_RP_CLIENT_SECRET, OIDC_OP_AUTHORIZATION_ENDPOINT"),
        (
            {"OIDC_RP_CLIENT_ID": "abc", "OIDC_RP_CLIENT_SECRET": "s", "OIDC_OP_TOKEN_ENDPOINT": "https://idp/token"},
            "OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_USER_ENDPOINT, OIDC_OP_JWKS_ENDPOINT must be set too",
        ),
        (
            {"OIDC_OP_DISCOVERY": "https://idp/.well-known/openid-configuration"},
            "OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET",
        ),
        (
            {"OIDC_RP_CLIENT_ID": "a", "OIDC_RP_CLIENT_SECRET": "s", "OIDC_OP_DISCOVERY": "http://idp.example.com/x"},
            "OIDC_OP_DISCOVERY must be an https:// address",
        ),
    ],
)
def test_half_a_configuration_stops_start_up_naming_what_is_missing(env, message):
    result = start_up(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_whole_configuration_turns_the_backend_on():
    result = start_up(
        OIDC_RP_CLIENT_ID="abc",
        OIDC_RP_CLIENT_SECRET="s",
        OIDC_OP_DISCOVERY="https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration",
    )
    assert result.returncode == 0, result.stderr
    assert "accounts.oidc.OrganisationAccountBackend" in result.stdout
