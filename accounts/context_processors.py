from django.conf import settings
from django.urls import NoReverseMatch, reverse

from accounts.models import Role

_OFFICER = [
    ("Dashboard", "projects:dashboard"),
    ("Projects", "projects:list"),
    ("Payments waiting", "grants:payments-waiting"),
    ("Variations", "grants:variations"),
    ("Evaluations", "evaluations:list"),
    ("Reports", "reports:index"),
]
# Role -> the service navigation: (label, URL name).
NAVIGATION = {
    Role.OFFICER: _OFFICER,
    Role.ADMIN: [*_OFFICER, ("Admin", "admin:index")],
    Role.VIEWER: [
        ("Dashboard", "projects:dashboard"),
        ("Projects", "projects:list"),
        ("Evaluations", "evaluations:list"),
        ("Reports", "reports:index"),
    ],
    Role.FINANCE: [
        ("Payments waiting", "grants:payments-waiting"),
        ("Projects", "projects:list"),
        ("Reports", "reports:index"),
    ],
    Role.RECIPIENT: [("Your projects", "projects:yours")],
    Role.EVALUATOR: [("Your evaluations", "evaluations:yours")],
}


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for label, name in NAVIGATION.get(user.role, []):
            try:
                url = reverse(name)
            except NoReverseMatch:  # a page not built yet; tests check every entry resolves
                continue
            items.append({"label": label, "url": url, "active": False})
        # The current page is the one entry whose address is the longest start of this page's
        # (the dashboard at /projects/dashboard/ is not also "Projects" at /projects/).
        current = max(
            (item for item in items if request.path.startswith(item["url"])),
            key=lambda item: len(item["url"]),
            default=None,
        )
        if current is not None:
            current["active"] = True
    return {"navigation": items, "settings_development": settings.DEVELOPMENT}
