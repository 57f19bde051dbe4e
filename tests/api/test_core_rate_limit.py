"""The rate limit is per token: past it, a 429 problem with Retry-After in whole seconds; another token of
the same person is not limited."""

import pytest

from api.throttle import parse_rate
from tests.api.conftest import bearer_client, make_token
from tests.test_settings import load

pytestmark = pytest.mark.django_db

URL = "/api/v1/probe/organisations"


def test_past_the_limit_a_token_waits(world, probe_api, settings):
    settings.API_RATE_LIMIT = "3/minute"
    busy = bearer_client(make_token(world.users.finance, name="busy")[1])
    other = bearer_client(make_token(world.users.finance, name="other")[1])
    assert [busy.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get(URL)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["status"] == 429
    assert other.get(URL).status_code == 200  # per token, not per person or address


def test_a_refused_token_is_refused_before_counting(world, probe_api, settings):
    settings.API_RATE_LIMIT = "1/minute"
    assert bearer_client("mig_unknown").get(URL).status_code == 401
    assert bearer_client(make_token(world.users.finance)[1]).get(URL).status_code == 200


@pytest.mark.parametrize(("rate", "expected"), [("120/minute", (120, 60)), ("5/second", (5, 1)), ("1/day", (1, 86400))])
def test_rates_read(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "120", "0/minute", "ten/minute", "5/fortnight"])
def test_bad_rates_refused(rate):
    with pytest.raises(ValueError):
        parse_rate(rate)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"API_RATE_LIMIT": "lots"}, "API_RATE_LIMIT must be like 120/minute"),
        ({"API_RATE_LIMIT": "0/minute"}, "API_RATE_LIMIT must be like 120/minute"),
        ({"API_TOKEN_MAX_DAYS": "a year"}, "API_TOKEN_MAX_DAYS must be a whole number"),
    ],
)
def test_bad_settings_stop_the_service(env, message):
    result = load(DJANGO_DEVELOPMENT="1", **env)
    assert result.returncode != 0
    assert message in result.stderr
