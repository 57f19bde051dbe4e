"""Who may use a page. Objects outside a user's scope are never found (404):
views fetch them through ``Model.objects.for_user(user)``. A page that is not
for the user's role at all is refused with 403."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.models import Role

OFFICERS = (Role.OFFICER, Role.ADMIN)
FINANCE = (Role.FINANCE,)
PROGRAMME_READERS = (Role.OFFICER, Role.ADMIN, Role.FINANCE, Role.VIEWER)
RECIPIENTS = (Role.RECIPIENT,)
EVALUATORS = (Role.EVALUATOR,)


def role_required(*roles):
    """Sign-in required, and the user's role must be one of ``roles``."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied("This page is not for your role")
            if Role.RECIPIENT in roles and request.user.role == Role.RECIPIENT and not request.user.organisation_id:
                raise PermissionDenied("Your account is not linked to an organisation")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
