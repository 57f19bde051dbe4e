from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import Role

# A viewer may still sign out and look after their own account.
_VIEWER_MAY_POST = ("accounts:sign-out", "accounts:password-change")


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
        ):
            raise PermissionDenied("Viewers cannot change anything")
        return self.get_response(request)


# Session flag: signed in with the password, second step still owed. Set at
# sign-in for anyone who has set up two-factor, so that it holds for them even
# where it is not required of everyone (development).
TWO_FACTOR_PENDING = "two_factor_pending"

# Where a funder-staff user who still owes the second step may go.
_BEFORE_SECOND_STEP = ("accounts:sign-in", "accounts:sign-out", "accounts:two-factor", "accounts:two-factor-setup")


class TwoFactorMiddleware:
    """Funder staff approve and release public money, so a password alone opens
    nothing for them: until they have given a code from their authenticator app
    (or a recovery code), every page but signing in and out and the two-factor
    steps sends them to the second step. Like the viewer rule, this sits in a
    middleware so that a new view cannot forget it.

    Runs after django-otp's OTPMiddleware, which gives ``user.is_verified()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_funder_staff
            and (settings.TWO_FACTOR_REQUIRED or request.session.get(TWO_FACTOR_PENDING))
            and not user.is_verified()
            and not request.path.startswith(settings.STATIC_URL)
            and request.path not in {reverse(name) for name in _BEFORE_SECOND_STEP}
        ):
            step = reverse("accounts:two-factor" if user.has_two_factor else "accounts:two-factor-setup")
            if request.method == "GET":
                step = f"{step}?{urlencode({'next': request.get_full_path()})}"
            return redirect(step)
        return self.get_response(request)
