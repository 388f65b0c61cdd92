"""Small helpers shared by the format modules."""

import json
import re
from datetime import UTC, date, datetime, timedelta

from django.db.models import Func, TextField
from django.utils import timezone

ZERO = timedelta(0)

# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"), the fullwidth
# forms included: some spreadsheet programs fold them into their ASCII twins.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value) -> str:
    """A cell's text for a CSV or spreadsheet file: the one rule every file the app writes uses.

    Text a spreadsheet would run as a formula gets a leading ``'`` so that it shows as text.
    Text that is already such a cell behind apostrophes (``'=x``) gets one more, so that
    ``restore`` gives back exactly what was written, whatever it was.
    """
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """The text ``neutralise`` was given, from a cell read back from a file the app wrote."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def whole_words_before(prefix: str, *, cut: bool) -> str:
    """The context before a quote as a reader should see it: when the stored prefix was cut
    from a longer text (``cut``), its first, partial word is dropped ("…olice specialists say"
    becomes "…specialists say")."""
    if not cut or prefix[:1].isspace():
        return prefix.lstrip() if cut else prefix
    parts = re.split(r"(?<=\S)(?=\s)", prefix, maxsplit=1)
    return parts[1].lstrip() if len(parts) == 2 else ""


def whole_words_after(suffix: str, *, cut: bool) -> str:
    """The context after a quote, without a last word cut in half (see ``whole_words_before``)."""
    if not cut or suffix[-1:].isspace():
        return suffix.rstrip() if cut else suffix
    parts = re.split(r"(?<=\s)(?=\S+$)", suffix, maxsplit=1)
    return parts[0].rstrip() if len(parts) == 2 else ""


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


def as_is(value):
    return value


class IsoText(Func):
    """SQLite only: a date or time column spelled as ``iso()`` spells its value.

    Django stores dates there as ``YYYY-MM-DD`` and times in UTC as ``YYYY-MM-DD HH:MM:SS``
    with ``.ffffff`` when there are microseconds: a time becomes ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.
    """

    output_field = TextField()

    def __init__(self, expression, *, of_time: bool):
        super().__init__(expression)
        # A date as text: a bare column would come back as a date object (the driver converts
        # columns declared "date").
        self.template = (
            "REPLACE(%(expressions)s, ' ', 'T') || 'Z'"
            if of_time
            else "CAST(%(expressions)s AS TEXT)"
        )


def dumps(data, *, indent: int | None = None) -> str:
    if indent is None:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, ensure_ascii=False, indent=indent)
