"""Countries and languages by code, with their English names (Babel's CLDR data): the choices
of the publisher's country and the article's language. Stored as codes; the model fields take
these functions as their ``choices`` (called when needed, so a newer Babel needs no
migration)."""

from functools import cache

from babel import Locale

# CLDR regions with two-letter codes that are not countries (or are parts of one) in ISO 3166-1;
# Kosovo (XK) stays: it is in common use as a country code.
NOT_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}


@cache
def countries() -> list[tuple[str, str]]:
    """(ISO 3166-1 alpha-2 code, English name), by name."""
    names = Locale("en").territories
    codes = [c for c in names if len(c) == 2 and c.isalpha() and c not in NOT_COUNTRIES]
    return sorted(((code, names[code]) for code in codes), key=lambda pair: pair[1])


@cache
def languages() -> list[tuple[str, str]]:
    """(ISO 639-1 code, English name), by name."""
    names = Locale("en").languages
    return sorted(
        ((code, names[code]) for code in names if len(code) == 2 and code.isalpha()),
        key=lambda pair: pair[1],
    )
