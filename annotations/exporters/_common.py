"""Small helpers shared by the format modules."""

import json
from datetime import UTC, date, datetime

from django.utils import timezone


def iso(value) -> str | None:
    """Dates as YYYY-MM-DD, times as ISO 8601 in UTC with a Z, None as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC)
        return (
            value.strftime("%Y-%m-%dT%H:%M:%S")
            + (f".{value.microsecond:06d}" if value.microsecond else "")
            + "Z"
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def dumps(data, *, indent: int | None = None) -> str:
    if indent is None:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=indent)
