"""Small helpers shared by the format modules."""

import json
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

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


def iso_text(text: str | None) -> str | None:
    """``iso()`` of a date or time given as the text SQLite stores it (UTC, as Django writes
    it: ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DD HH:MM:SS.ffffff``), without
    making Python objects on the way. Any other spelling goes the long way round."""
    if text is None:
        return None
    size = len(text)
    if size == 10 and text[4] == "-" and text[7] == "-":
        return text
    if size == 19 and text[10] == " ":
        return f"{text[:10]}T{text[11:]}Z"
    if size == 26 and text[10] == " " and text[19] == ".":
        if text[20:] == "000000":
            return f"{text[:10]}T{text[11:19]}Z"
        return f"{text[:10]}T{text[11:]}Z"
    return iso(parse_datetime(text) or parse_date(text))


def dumps(data, *, indent: int | None = None) -> str:
    if indent is None:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=indent)
