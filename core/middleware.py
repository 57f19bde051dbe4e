"""Two rules every request keeps, whichever view answers it."""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.utils.cache import patch_cache_control

NUL = "\x00"


class NulCharacter(SuspiciousOperation):
    """Answered with the 400 page, and logged to django.security.NulCharacter."""


def _holds_nul(data) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


class RefuseNulCharacters:
    """Nobody types a NUL character, and PostgreSQL cannot hold or compare text with one in it:
    the database driver raises ValueError, a 500, wherever such text reaches a query (a search, a
    filter, a field saved). So a request with one in its address, query or form fields is refused
    here, once, for every page and the admin. Uploaded files are not form fields and keep any bytes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path or _holds_nul(request.GET) or (request.method == "POST" and _holds_nul(request.POST)):
            raise NulCharacter("A NUL character in the address, query or form fields")
        return self.get_response(request)


class PrivateResponses:
    """What a signed-in user is shown (a page, an export, an evidence file, a background download)
    is theirs alone: no browser cache, proxy or shared computer may keep a copy. Pages for people
    not signed in (the start page, the money glossary, the 360Giving open data) keep their own
    caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _signed_in(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _signed_in(request) -> bool:
    # Asking request.user reads the session, which adds "Vary: Cookie" to the response. A request
    # without a session cookie is anonymous unless it signed in just now, so the open data files
    # answered to anonymous requests stay as shared caches can keep them.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES and not request.session.modified:
        return False
    return request.user.is_authenticated
