from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import Role

# A viewer may still sign out and look after their own account.
_VIEWER_MAY_POST = ("accounts:sign-out", "accounts:password-change")
_API_TOKEN_PAGES = "/account/api-tokens/"


class ReadOnlyViewerMiddleware:
    """Viewers (an auditor, a minister's office) read everything and change
    nothing: every request that could change something is refused, whatever
    view it reaches, so a forgotten check in a new view cannot let one through."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and user is not None
            and user.is_authenticated
            and user.role == Role.VIEWER
            and request.path not in {reverse(name) for name in _VIEWER_MAY_POST}
            # A viewer's own API tokens (read-only: the form offers nothing else, and the API refuses a viewer's
            # writes) are their own access, not the programme's records.
            and not request.path.startswith(_API_TOKEN_PAGES)
        ):
            raise PermissionDenied("Viewers cannot change anything")
        return self.get_response(request)


# Where someone who still owes the second step may go: signing in and out, and the
# two-factor steps themselves (giving a code, setting up, opening a set-up link).
_BEFORE_SECOND_STEP = ("accounts:sign-in", "accounts:sign-out")
_TWO_FACTOR_PAGES = "/account/two-factor/"


class TwoFactorMiddleware:
    """A password alone opens nothing for anyone who has turned on two-factor
    sign-in, whatever the setting says, and for funder staff, who approve and
    release public money, where it is required: until they have given a code from
    their authenticator app (or a recovery code), every page but signing in and
    out and the two-factor steps sends them to the second step. It is asked on
    every request, not remembered at sign-in, so that it holds however the
    session began (the admin's sign-in, a session opened before the person
    turned two-factor on). Like the viewer rule, this sits in a middleware so
    that a new view cannot forget it.

    Runs after django-otp's OTPMiddleware, which gives ``user.is_verified()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and user.owes_two_factor
            and not request.path.startswith((settings.STATIC_URL, _TWO_FACTOR_PAGES))
            and request.path not in {reverse(name) for name in _BEFORE_SECOND_STEP}
        ):
            step = reverse("accounts:two-factor" if user.has_two_factor else "accounts:two-factor-setup")
            if request.method == "GET":
                step = f"{step}?{urlencode({'next': request.get_full_path()})}"
            return redirect(step)
        return self.get_response(request)
