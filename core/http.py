from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address


def client_ip_address(request) -> str | None:
    """The address of the person asking: lock-out (settings AXES_CLIENT_IP_CALLABLE) and the audit use it.

    Behind PROXY_COUNT proxies every request arrives from the nearest proxy, and each proxy appends the
    address it was reached from to X-Forwarded-For, so the person's is that many entries from the right.
    Entries further left are whatever the client sent, which anyone can forge, so they are never read.
    A request without that many entries did not come through the proxies and is known by its own address.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if settings.PROXY_COUNT:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [entry.strip() for entry in header.split(",")] if header else []
        if len(forwarded) >= settings.PROXY_COUNT:
            address = forwarded[-settings.PROXY_COUNT]
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address
