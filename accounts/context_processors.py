from fnmatch import fnmatchcase

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
    # Programmes, rounds, organisations, themes and the people who use the service (its index links to People).
    ("Set up", "setup:index"),
]
# A grant recipient who is their organisation's lead contact manages its staff (people/).
LEAD_CONTACT = ("People", "people:list")
# Role -> the service navigation: (label, URL name). Every role ends with its own account.
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
ACCOUNT = ("Your account", "accounts:password-change")

# Navigation item -> the pages (URL names, * for any ending) that belong to its section. A page is
# marked under the item whose pattern names it most exactly: the dashboard (projects:dashboard) is
# not also in Projects (projects:*), nor a payment made from the waiting list (grants:milestone-pay)
# in Projects (grants:*); a grant's pages are in Projects, beside the project they fund.
SECTIONS = {
    "projects:dashboard": ["projects:dashboard"],
    "projects:list": ["projects:*", "grants:*", "imports:allocations-*"],
    "projects:yours": ["projects:*", "grants:*", "impact:project", "impact:card", "imports:spend-returns-*"],
    "grants:payments-waiting": ["grants:payments-waiting", "grants:milestone-pay"],
    "grants:variations": ["grants:variation*"],
    "evaluations:list": ["evaluations:*", "imports:results-*"],
    # An evaluator reads the projects it evaluates and what they achieved from its evaluations.
    "evaluations:yours": ["evaluations:*", "imports:results-*", "projects:detail", "impact:project", "impact:card"],
    "reports:index": ["reports:*", "impact:*", "exports:*", "downloads:*", "grants:reconciliation"],
    "admin:index": ["admin:*"],
    "setup:index": ["setup:*", "people:*"],
    "people:list": ["people:*"],
    "accounts:password-change": [
        "accounts:password-change",
        "accounts:two-factor*",
        "accounts:recovery-codes-*",
        "api:token*",
    ],
}


def _closeness(pattern: str, page: str) -> tuple[bool, int] | None:
    """How exactly ``pattern`` names ``page``: a whole name beats any wildcard, a longer start a shorter."""
    if not fnmatchcase(page, pattern):
        return None
    return ("*" not in pattern, len(pattern.rstrip("*")))


def section_of(page: str, names: list[str]) -> str | None:
    """The one of ``names`` (navigation items' URL names) whose section ``page`` (a URL name) is in."""
    best, best_closeness = None, None
    for name in names:
        for pattern in SECTIONS.get(name, [name]):
            closeness = _closeness(pattern, page)
            if closeness is not None and (best_closeness is None or closeness > best_closeness):
                best, best_closeness = name, closeness
    return best


def navigation(request):
    """The signed-in user's navigation, with the page's own item marked current, or the item of the section
    it is in marked active (GOV.UK service navigation: aria-current "page" or "true"); and the service's
    owner and feedback address, which every page shows in its header and phase banner."""
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        own = [*NAVIGATION.get(user.role, [])]
        if user.role == Role.RECIPIENT and user.is_lead_contact and user.organisation_id:
            own.append(LEAD_CONTACT)
        for label, name in [*own, ACCOUNT]:
            try:
                url = reverse(name)
            except NoReverseMatch:  # a page not built yet; tests check every entry resolves
                continue
            items.append({"label": label, "name": name, "url": url, "current": False, "active": False})
        match = getattr(request, "resolver_match", None)
        page = match.view_name if match is not None else None
        section = section_of(page, [item["name"] for item in items]) if page else None
        for item in items:
            if item["name"] == section:
                item["current"] = item["url"] == request.path
                item["active"] = not item["current"]
    return {
        "navigation": items,
        "settings_development": settings.DEVELOPMENT,
        "service_owner": settings.SERVICE_OWNER,
        "feedback_url": settings.FEEDBACK_URL,
    }
