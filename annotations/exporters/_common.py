"""Small helpers shared by the format modules."""

import json
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

ZERO = timedelta(0)


def iso(value) -> str | None:
    """Dates as YYYY-MM-DD, times as ISO 8601 in UTC with a Z, None as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = timezone.make_aware(value, UTC)
        elif value.utcoffset() != ZERO:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def dumps(data, *, indent: int | None = None) -> str:
    if indent is None:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=indent)
