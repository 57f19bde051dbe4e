"""The pages every public-sector service must have, open to everyone: help, the accessibility
statement, cookies and the privacy notice. Each names the service's owner and contact address from
settings (SERVICE_OWNER, SERVICE_CONTACT_EMAIL), and the cookies page reads each cookie's name and
lifetime from the settings that set them, so the page cannot drift from what the service does."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.shortcuts import render
from django.template.defaultfilters import pluralize

# When the accessibility statement was last reviewed against the service; change it with the statement.
ACCESSIBILITY_STATEMENT_REVIEWED = dt.date(2026, 12, 6)
# The message stores that keep a message in a cookie before falling back to the session.
_COOKIE_MESSAGE_STORES = (
    "django.contrib.messages.storage.cookie.CookieStorage",
    "django.contrib.messages.storage.fallback.FallbackStorage",
)


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    expires: str


def _lifetime(seconds: int) -> str:
    """30 minutes, 52 weeks: a cookie's age in settings as a reader says it, in whole units."""
    for size, unit in ((7 * 86400, "week"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{pluralize(count)}"
    return f"{seconds} second{pluralize(seconds)}"


def service_cookies() -> list[Cookie]:
    """The cookies the service sets, all strictly necessary, read from the settings that set them."""
    session_ends = f"After {_lifetime(settings.SESSION_COOKIE_AGE)} without using the service"
    if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE:
        session_ends += ", or when you close your browser"
    cookies = [
        Cookie(settings.SESSION_COOKIE_NAME, "Keeps you signed in as you move from page to page", session_ends),
    ]
    if not settings.CSRF_USE_SESSIONS:
        cookies.append(
            Cookie(
                settings.CSRF_COOKIE_NAME,
                "Makes sure a form you send came from this service, not from another website",
                _lifetime(settings.CSRF_COOKIE_AGE) if settings.CSRF_COOKIE_AGE else "When you close your browser",
            )
        )
    if settings.MESSAGE_STORAGE in _COOKIE_MESSAGE_STORES:
        cookies.append(
            Cookie(
                CookieStorage.cookie_name,
                "Carries a confirmation, such as ‘Payment recorded’, to the next page you see",
                "When the message has been shown, or when you close your browser",
            )
        )
    return cookies


def _owner() -> dict:
    return {"owner": settings.SERVICE_OWNER, "contact_email": settings.SERVICE_CONTACT_EMAIL}


def help_page(request):
    """Where to find help: the money glossary, the required pages and whom to ask."""
    return render(request, "pages/help.html", _owner())


def accessibility(request):
    """The accessibility statement, in the structure of the GOV.UK model statement."""
    return render(request, "pages/accessibility.html", {**_owner(), "reviewed": ACCESSIBILITY_STATEMENT_REVIEWED})


def cookies(request):
    """The cookies the service sets: only those it needs to work, so it asks no one's consent."""
    return render(request, "pages/cookies.html", {**_owner(), "cookies": service_cookies()})


def privacy(request):
    """The privacy notice: what personal data the service holds, why, for how long, and the reader's rights."""
    kept = {"import_files_days": settings.IMPORT_FILES_KEPT_DAYS, "downloads_days": settings.EXPORT_JOBS_KEPT_DAYS}
    return render(request, "pages/privacy.html", {**_owner(), **kept})
