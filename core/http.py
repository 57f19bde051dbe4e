from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address


def client_ip_address(request) -> str | None:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address
