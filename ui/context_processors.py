from django.conf import settings
from django.urls import reverse

from accounts.models import Role

# Role -> the service navigation items (label, URL name). Later pages add theirs here.
_NAVIGATION = {
    Role.OFFICER: [("Home", "home")],
    Role.FINANCE: [("Home", "home")],
    Role.RECIPIENT: [("Home", "home")],
    Role.EVALUATOR: [("Home", "home")],
    Role.VIEWER: [("Home", "home")],
    Role.ADMIN: [("Home", "home"), ("Admin", "admin:index")],
}


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for label, name in _NAVIGATION.get(user.role, []):
            url = reverse(name)
            items.append({"label": label, "url": url, "active": request.path == url})
    return {"navigation": items, "settings_development": settings.DEVELOPMENT}
