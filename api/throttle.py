"""The rate limit: API_RATE_LIMIT requests per window for each token (not per address or person, so one
busy feed cannot starve a person's other tokens, and a shared office address does not limit its people).

A fixed window counted with the cache's atomic add and incr: in Redis (production) every server process
shares the count; in tests it is the process's own memory. A fixed window can let through up to twice the
limit across a window's edge; that is acceptable for protecting the service, and it costs one cache call."""

import math
import time

from django.conf import settings
from django.core.cache import cache
from ninja.errors import Throttled

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """("120/minute") -> (120, 60). Raises ValueError on anything else, which settings turn into a loud
    ImproperlyConfigured at start-up."""
    count, _, period = rate.strip().partition("/")
    if not count.strip().isdigit() or int(count) < 1 or period.strip() not in _PERIODS:
        raise ValueError(f"a rate is a number of requests per {', '.join(_PERIODS)}, such as 120/minute; got {rate!r}")
    return int(count), _PERIODS[period.strip()]


def count(api_token) -> None:
    """Count this request against the token's window; Throttled (a 429 problem with Retry-After) when over."""
    limit, period = parse_rate(settings.API_RATE_LIMIT)
    now = time.time()
    window = int(now // period)
    key = f"api-rate:{api_token.pk}:{period}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr: this is its first request
        cache.add(key, 1, timeout=period + 1)
        used = 1
    if used > limit:
        raise Throttled(wait=max(1, math.ceil((window + 1) * period - now)))
