"""Sign-in throttling (django-axes) that an attacker cannot turn against the people it protects.

- **The client's address** is ``REMOTE_ADDR``, or, behind proxies (``DJANGO_BEHIND_TLS_PROXY``
  = their number), the entry the outermost trusted proxy appended to ``X-Forwarded-For``:
  whatever a client writes there itself stays to the left of it and is never read.
- **Lockout** (axes): ``FACTCHECK_LOGIN_FAILURE_LIMIT`` failures of one user name from one
  address lock that pair for ``FACTCHECK_LOGIN_COOLOFF_MINUTES``, counted from the failure that
  locked it: attempts during a lockout are refused unchecked and do not renew it.
- **Throttle**: a user name that failed ``FACTCHECK_LOGIN_THROTTLE_AFTER`` times from *other*
  addresses within the cool-off waits 1 s after the latest failure, doubling with each further
  one up to ``FACTCHECK_LOGIN_THROTTLE_MAX_SECONDS``; attempts during the wait are refused
  unchecked and count for nothing. Each address counts at most the lockout limit and the
  threshold is above it, so failures from one address never slow anyone down elsewhere.
"""

import ipaddress
import math
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

LOCKOUT_TEMPLATE = "registration/locked_out.html"


def client_address(request) -> str:
    """The address the request came from, as far as the configured proxies vouch for it."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.FACTCHECK_TRUSTED_PROXY_HOPS
    if not hops:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if not forwarded:
        return remote
    # Each proxy appends the address it was called from: the client is `hops` from the right.
    candidate = forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def throttle_wait(request, credentials=None) -> int:
    """Seconds this user name must still wait, from failures at other addresses (0: none)."""
    username = get_client_username(request, credentials)
    if not username:
        return 0
    attempts = (
        AccessAttempt.objects.filter(
            username=username, attempt_time__gte=get_cool_off_threshold(request)
        )
        .exclude(ip_address=request.axes_ip_address)
        .values_list("ip_address", "failures_since_start", "attempt_time")
    )
    per_address, latest = {}, None
    for address, failures, attempt_time in attempts:
        per_address[address] = per_address.get(address, 0) + failures
        latest = attempt_time if latest is None else max(latest, attempt_time)
    limit = settings.AXES_FAILURE_LIMIT
    counted = sum(min(failures, limit) for failures in per_address.values())
    beyond = counted - settings.FACTCHECK_LOGIN_THROTTLE_AFTER
    if beyond < 0:
        return 0
    delay = min(2 ** min(beyond, 30), settings.FACTCHECK_LOGIN_THROTTLE_MAX_SECONDS)
    remaining = (latest + timedelta(seconds=delay) - timezone.now()).total_seconds()
    return math.ceil(remaining) if remaining > 0 else 0


class ThrottlingHandler(AxesDatabaseHandler):
    """axes' database handler, with the user name's wait on top of the pair lockout."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        wait = throttle_wait(request, credentials)
        if wait:
            request.signin_wait_seconds = wait
            return True
        return False


def lockout_response(request, original_response=None, credentials=None):
    """The page for a refused sign-in: how long to wait, and why."""
    wait = getattr(request, "signin_wait_seconds", None)
    cooloff = timedelta(hours=settings.AXES_COOLOFF_TIME)
    if wait is None:
        # Locked: the cool-off runs from the pair's latest counted failure.
        latest = (
            AccessAttempt.objects.filter(
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )
            .order_by("-attempt_time")
            .values_list("attempt_time", flat=True)
            .first()
        )
        remaining = (latest + cooloff - timezone.now()) if latest else cooloff
        retry_after = max(1, math.ceil(remaining.total_seconds()))
    else:
        retry_after = wait
    context = {"wait_seconds": wait, "cooloff_minutes": math.ceil(cooloff.total_seconds() / 60)}
    response = render(request, LOCKOUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
