"""Single sign-on through an organisation's OpenID Connect provider (DfE staff through
Microsoft Entra ID, for example), on only when config/settings.py finds it configured.

The provider says who a person is; the service still decides what they may do. A sign-in
is accepted only when the provider vouches for an email address that exactly one active
user of the service already has: nobody is ever created here, and the role and
organisation are the ones the service gave. Funder staff, and anyone who turned
two-factor sign-in on, still give the service's own second step afterwards
(accounts.middleware.TwoFactorMiddleware asks on every request, however the session began):
the provider's word that it asked for a second factor (``amr``) is not carried by Entra
ID's v2.0 tokens and depends on a tenant's policies the service cannot see, and these are
the people who release public money.
"""

import logging
import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.backends import UsernameOrEmailBackend
from accounts.models import normalise_login

log = logging.getLogger(__name__)

NOT_FINISHED = "Signing in with your organisation's account did not finish. Try again, or sign in with your password."
UNKNOWN_EMAIL = "No account uses that email address: ask your programme officer for an invitation."
UNVERIFIED_EMAIL = (
    "Your organisation's account did not confirm your email address, so it cannot sign you in here. "
    "Sign in with your password, or ask your programme officer."
)
SHARED_EMAIL = (
    "More than one account uses that email address, so we cannot tell which is yours. "
    "Ask your programme officer to sort it out."
)
SWITCHED_OFF = "This account has been switched off. Ask your programme officer."

# Where the refusal is left for the callback view to show; the backend cannot answer the page itself.
REFUSAL = "sign_in_refusal"

_ENDPOINTS = {
    "authorization_endpoint": "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "OIDC_OP_TOKEN_ENDPOINT",
    "userinfo_endpoint": "OIDC_OP_USER_ENDPOINT",
    "jwks_uri": "OIDC_OP_JWKS_ENDPOINT",
}
_discovered: dict[str, tuple[float, dict]] = {}
DISCOVERY_KEPT_SECONDS = 3600


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def provider() -> dict:
    """The provider's endpoints (by the settings' names) and its issuer: given in the settings,
    or read from its discovery document, which is fetched when first needed (never at start-up,
    so a provider that is down stops single sign-on, not the service) and kept for an hour."""
    if not settings.OIDC_OP_DISCOVERY:
        return {name: getattr(settings, name) for name in _ENDPOINTS.values()} | {"issuer": None}
    url = settings.OIDC_OP_DISCOVERY
    kept = _discovered.get(url)
    if kept is None or kept[0] < time.monotonic():
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        missing = [key for key in (*_ENDPOINTS, "issuer") if not document.get(key)]
        if missing:
            raise requests.RequestException(f"The discovery document at {url} names no {', '.join(missing)}")
        found = {name: document[key] for key, name in _ENDPOINTS.items()} | {"issuer": document["issuer"]}
        kept = _discovered[url] = (time.monotonic() + DISCOVERY_KEPT_SECONDS, found)
    return kept[1]


def _email_verified(claims: dict) -> bool:
    # Entra ID sends no email_verified for organisational accounts; its optional xms_edov claim
    # says the tenant owns the address's domain, which is what an invitation by email relies on.
    verified = claims.get("email_verified", claims.get("xms_edov"))
    return verified is True or (isinstance(verified, str) and verified.lower() == "true")


def not_a_password_guess(request, credentials=None) -> bool:
    """Keeps single sign-on out of the sign-in lock-out (AXES_WHITELIST_CALLABLE): only its
    callback passes a nonce. The lock-out guards the service's passwords, which single sign-on
    never checks, and the provider guards its own; counted here, refusals would be counted with
    no username against a whole office's shared address, and five strangers would lock every
    colleague behind it out of single sign-on."""
    return bool(credentials) and "nonce" in credentials


class OrganisationAccountBackend(OIDCAuthenticationBackend):
    """Signs in the one existing, active user whose email address the provider has verified."""

    def __init__(self, *args, **kwargs):
        # Django makes a backend for every request of a signed-in user (to load them), so nothing
        # here may reach the provider; the endpoints are looked up in authenticate().
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: a password sign-in never reaches the provider.
        if request is None or "nonce" not in kwargs:
            return None
        try:
            endpoints = dict(provider())
            self.issuer = endpoints.pop("issuer")
            for name, value in endpoints.items():
                setattr(self, name, value)
            for name in ("OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET", "OIDC_RP_SIGN_ALGO"):
                setattr(self, name, getattr(settings, name))
            self.OIDC_RP_IDP_SIGN_KEY = None
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, ValueError, KeyError, jwt.PyJWTError, SuspiciousOperation) as error:
            # The provider unreachable or answering nonsense, a code used twice, a token expired or badly signed.
            log.warning("Single sign-on failed: %s", error)
            return None

    def retrieve_matching_jwk(self, token):
        """The provider's one signing key for this token: named by the token's ``kid`` (Entra ID),
        or, for a token that names none, the only key the provider publishes for its algorithm."""
        header = jwt.get_unverified_header(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = [
            key
            for key in response.json().get("keys", [])
            if key.get("use", "sig") == "sig"
            and key.get("alg", header.get("alg")) == header.get("alg")
            and ("kid" not in header or key.get("kid") == header["kid"])
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("No one signing key of the provider matches the ID token")
        return jwt.PyJWK(keys[0])

    def get_or_create_user(self, access_token, id_token, payload):
        audience = payload.get("aud")
        if self.OIDC_RP_CLIENT_ID not in ([audience] if isinstance(audience, str) else audience or []):
            raise SuspiciousOperation("The ID token was not made for this service")
        if self.issuer and payload.get("iss") != self.issuer:
            raise SuspiciousOperation("The ID token was not issued by the configured provider")
        return super().get_or_create_user(access_token, id_token, payload)

    def get_userinfo(self, access_token, id_token, payload):
        """The claims of the signed ID token, with what only the user info endpoint gives added."""
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The user info is about someone else than the ID token")
        return {**userinfo, **payload}

    def verify_claims(self, claims):
        return True  # decided, with a reason for the person, in filter_users_by_claims

    def filter_users_by_claims(self, claims):
        email = normalise_login(claims.get("email") or "")
        if not email or not _email_verified(claims):
            return self._refuse(UNVERIFIED_EMAIL, claims)
        # Compared in the one stored form, as the password sign-in does, never case-insensitively.
        users = list(self.UserModel._default_manager.filter(email=email)[:2])
        if not users:
            return self._refuse(UNKNOWN_EMAIL, claims)
        if len(users) > 1:
            return self._refuse(SHARED_EMAIL, claims)
        if not self.user_can_authenticate(users[0]):
            return self._refuse(SWITCHED_OFF, claims)
        return users

    def _refuse(self, reason: str, claims) -> list:
        log.info("Single sign-on refused for %s: %s", claims.get("email") or claims.get("sub"), reason)
        setattr(self.request, REFUSAL, reason)
        return []

    def create_user(self, claims):
        raise SuspiciousOperation("Single sign-on never creates users")  # OIDC_CREATE_USER is off too

    def get_user(self, user_id):
        # The same user, with their two-factor state, as a password sign-in loads.
        return UsernameOrEmailBackend().get_user(user_id)


class _OnlyWhenEnabled:
    def dispatch(self, request, *args, **kwargs):
        if not enabled():
            raise Http404("Single sign-on is not set up")
        return super().dispatch(request, *args, **kwargs)


class StartView(_OnlyWhenEnabled, OIDCAuthenticationRequestView):
    """Sends the person to their organisation's sign-in, with this attempt's state and nonce."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = getattr(settings, "OIDC_RP_CLIENT_ID", "")

    def get(self, request):
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider()["OIDC_OP_AUTHORIZATION_ENDPOINT"]
        except (requests.RequestException, ValueError) as error:
            log.warning("Single sign-on could not read the provider's discovery document: %s", error)
            messages.error(request, NOT_FINISHED)
            return redirect("accounts:sign-in")
        return super().get(request)


class CallbackView(_OnlyWhenEnabled, OIDCAuthenticationCallbackView):
    """Where the provider sends the person back: signed in, or back at the sign-in page told why not."""

    def login_failure(self):
        messages.error(self.request, getattr(self.request, REFUSAL, NOT_FINISHED))
        return redirect("accounts:sign-in")
