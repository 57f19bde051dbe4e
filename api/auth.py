"""Who is asking: the bearer token on each API request, checked against its stored SHA-256.

Both auth objects set `request.user` to the token's owner, so every operation reads through the owner's
`for_user` scopes and every history row names them, and `request.api_token` to the token. The rate limit
is counted here too, per token, because only here is the token known before the operation runs."""

import hashlib
import hmac
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from accounts.models import Role
from api import throttle
from api.models import ApiToken

# Writing last_used_at on every request would make each read a write; a minute is precise enough for a
# person deciding whether a token is still in use.
LAST_USED_PRECISION = timedelta(minutes=1)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def token_for_key(key: str) -> ApiToken | None:
    """The live token whose key this is, or None. The key is looked up by its hash, so the database never
    compares the secret itself; the hash is compared again in constant time. Used by the auth objects and by
    the idempotency middleware, which must know the owner before ninja runs."""
    if not key or len(key) > 200:
        return None
    digest = key_hash(key)
    token = ApiToken.objects.active().select_related("user").filter(key_hash=digest).first()
    if token is None or not hmac.compare_digest(token.key_hash, digest) or not token.user.is_active:
        return None
    return token


def bearer_key(request: HttpRequest) -> str | None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


class ReadToken(HttpBearer):
    """Any live token of an active person: what the API reads."""

    openapi_bearerFormat = "mig_ key"
    openapi_description = (
        "An API token made by a person on the service's page /account/api-tokens/ and shown to them once. "
        "Send it as `Authorization: Bearer mig_...`. It reads exactly what its owner may see on the pages; "
        "a read-and-write token may also send spend returns, milestone evidence, payments and recoveries, "
        "as its owner's role allows. Tokens expire (at most a year ahead) and can be revoked at any time."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = token_for_key(token)
        if api_token is None:
            raise AuthenticationError(message="The token is unknown, revoked or expired, or its owner cannot sign in.")
        self.check_scope(api_token)
        request.user = api_token.user
        request.api_token = api_token
        throttle.count(api_token)
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_PRECISION:
            # A conditional update, so two requests in the same minute write once and neither overwrites
            # a later time with an earlier one.
            ApiToken.objects.filter(pk=api_token.pk).exclude(last_used_at__gt=now - LAST_USED_PRECISION).update(
                last_used_at=now
            )
        return api_token

    def check_scope(self, api_token: ApiToken) -> None:
        pass


class WriteToken(ReadToken):
    """A read-write token: what the API writes. A read-only token is known but may not do this: 403."""

    def check_scope(self, api_token: ApiToken) -> None:
        if api_token.scope != ApiToken.Scope.READ_WRITE:
            raise PermissionDenied("This token is read only: make a read-and-write token to send changes.")
        # Viewers change nothing, on the pages (accounts.middleware.ReadOnlyViewerMiddleware) or here.
        if api_token.user.role == Role.VIEWER:
            raise PermissionDenied("Viewers cannot change anything.")


read_token = ReadToken()
write_token = WriteToken()
