"""Lock-out sees the person, not the proxy: behind nginx every request comes from the proxy's address,
so the address nginx adds to X-Forwarded-For is read, and only when DJANGO_PROXY_COUNT says a proxy is there."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from core.http import client_ip_address
from tests.accounts.test_lockout import LOCKED_OUT, fail, sign_in

PROXY = "127.0.0.1"


@pytest.mark.parametrize(
    "proxies, forwarded_for, expected",
    [
        (0, "198.51.100.1", PROXY),  # no proxy in front: the header is anyone's to write
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "203.0.113.9, 198.51.100.1", "198.51.100.1"),  # the client's own entry on the left is ignored
        (2, "203.0.113.9, 198.51.100.1, 10.0.0.2", "198.51.100.1"),  # a load balancer, then nginx
        (1, None, PROXY),  # not through the proxy at all
        (2, "198.51.100.1", PROXY),  # fewer entries than proxies: not through them all
        (1, "not an address", None),
    ],
)
def test_the_client_address_is_read_from_the_right_of_x_forwarded_for(settings, proxies, forwarded_for, expected):
    settings.PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)
    assert client_ip_address(request) == expected


def test_behind_the_proxy_two_people_are_locked_out_separately(settings, world):
    settings.PROXY_COUNT = 1
    first, second = Client(REMOTE_ADDR=PROXY), Client(REMOTE_ADDR=PROXY)

    response = fail(first, "officer", 5, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1")
    assert response.status_code == 429 and LOCKED_OUT in response.content.decode()
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.1"]

    # The same username from another person behind the same proxy is not locked out...
    assert sign_in(second, "officer", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    # ...while the first stays locked out, whatever it writes on the left of the header.
    assert sign_in(first, "officer", HTTP_X_FORWARDED_FOR="198.51.100.2, 198.51.100.1").status_code == 429


def test_without_a_proxy_the_forwarded_address_is_ignored(settings, world):
    settings.PROXY_COUNT = 0
    fail(Client(), "officer", 5, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]

    response = sign_in(Client(), "officer", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert response.status_code == 429 and LOCKED_OUT in response.content.decode()
