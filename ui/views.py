from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from accounts.models import Role

# Where each role starts after signing in.
LANDING = {
    Role.OFFICER: "projects:dashboard",
    Role.ADMIN: "projects:dashboard",
    Role.VIEWER: "projects:dashboard",
    Role.FINANCE: "grants:payments-waiting",
    Role.RECIPIENT: "projects:yours",
    Role.EVALUATOR: "evaluations:yours",
}


def home(request):
    """The start page for visitors; a signed-in user goes to the page for their role."""
    if request.user.is_authenticated and request.user.role in LANDING:
        try:
            return redirect(reverse(LANDING[request.user.role]))
        except NoReverseMatch:
            pass
    return render(request, "start.html")
