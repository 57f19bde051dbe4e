from django.core.exceptions import PermissionDenied
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
