"""Per-user rate limits for expensive or abusable actions, counted in the cache.

Limits are set in ``settings.FACTCHECK_RATE_LIMITS`` as ``"N/s"``, ``"N/m"`` or ``"N/h"``
per scope. Above the limit a view answers 429 with a ``Retry-After`` header.
"""

import re
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

PERIODS = {"s": 1, "m": 60, "h": 3600}
RATE = re.compile(r"([1-9][0-9]*)/([smh])")


def parse_rate(rate: str) -> tuple[int, int]:
    """``"120/m"`` → ``(120, 60)``: the number of uses allowed and the window in seconds."""
    match = RATE.fullmatch(rate or "")
    if not match:
        raise ValueError(f"A rate is a positive count per s, m or h, such as '120/m'; not {rate!r}")
    return int(match.group(1)), PERIODS[match.group(2)]


def hit(scope: str, key: str) -> int | None:
    """Count one use; return seconds to wait if the limit is exceeded, else ``None``."""
    rate = settings.FACTCHECK_RATE_LIMITS.get(scope)
    if not rate:
        return None
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        used = 1
    if used > limit:
        return period - int(time.time()) % period
    return None


def rate_limited(scope: str, methods: tuple[str, ...] = ("POST",)):
    """Limit a view per signed-in user (or per address) for the given HTTP methods."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                who = request.user.pk if request.user.is_authenticated else None
                key = f"user:{who}" if who else f"ip:{request.META.get('REMOTE_ADDR', '')}"
                retry_after = hit(scope, key)
                if retry_after is not None:
                    response = HttpResponse(
                        "Too many requests: slow down and try again shortly.",
                        status=429,
                        content_type="text/plain; charset=utf-8",
                    )
                    response["Retry-After"] = str(retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
