from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse

from accounts import oidc

register = template.Library()


@register.inclusion_tag("accounts/single_sign_on_button.html")
def single_sign_on_button(next_url=""):
    """The "Sign in with ..." button, where single sign-on is set up; nothing where it is not."""
    if not oidc.enabled():
        return {}
    href = reverse("accounts:sso-start")
    return {
        "label": settings.OIDC_BUTTON_LABEL,
        "href": f"{href}?{urlencode({'next': next_url})}" if next_url else href,
    }
