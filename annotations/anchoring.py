"""Anchoring a claim in an article's text, the way the W3C Web Annotation model does.

A span is described twice: by position (``start``/``end``, Unicode code points, end exclusive)
and by quote (the exact text plus some context before and after). Position is fast and exact
while the text is unchanged; the quote lets the span be found again when it is not.
"""

from dataclasses import dataclass

CONTEXT_LENGTH = 32
MAX_QUOTE_LENGTH = 5000


@dataclass(frozen=True)
class TextSelector:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


class AnchorError(ValueError):
    """The requested span cannot be anchored in the text; the message says why."""


def trim_span(body: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with white space."""
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end


def selector_for(body: str, start: int, end: int, *, trim: bool = True) -> TextSelector:
    """Describe ``body[start:end]`` as a position and a quote with context.

    Raises ``AnchorError`` for a span that is empty, outside the text or too long.
    """
    if not (isinstance(start, int) and isinstance(end, int)):
        raise AnchorError("Offsets must be whole numbers.")
    if start < 0 or end > len(body) or start >= end:
        raise AnchorError("The selection is outside the article text.")
    if trim:
        start, end = trim_span(body, start, end)
        if start >= end:
            raise AnchorError("The selection is empty: select some words of the article.")
    if end - start > MAX_QUOTE_LENGTH:
        raise AnchorError(
            f"The selection is too long ({end - start} characters; at most {MAX_QUOTE_LENGTH})."
        )
    return TextSelector(
        start=start,
        end=end,
        exact=body[start:end],
        prefix=body[max(0, start - CONTEXT_LENGTH) : start],
        suffix=body[end : end + CONTEXT_LENGTH],
    )


def _context_score(body: str, start: int, end: int, prefix: str, suffix: str) -> int:
    """How many characters of the expected context sit right next to a candidate match."""
    score = 0
    before = body[max(0, start - len(prefix)) : start]
    for expected, actual in zip(reversed(prefix), reversed(before), strict=False):
        if expected != actual:
            break
        score += 1
    after = body[end : end + len(suffix)]
    for expected, actual in zip(suffix, after, strict=False):
        if expected != actual:
            break
        score += 1
    return score


def locate(
    body: str,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    position_hint: int | None = None,
) -> TextSelector | None:
    """Find a quote in ``body``, or ``None`` when it is not there.

    When the quote occurs more than once, the occurrence whose surroundings best match the
    prefix and suffix wins; ties go to the one nearest the position hint, then the first.
    """
    if not exact:
        return None
    if position_hint is not None and body[position_hint : position_hint + len(exact)] == exact:
        candidates = [position_hint]
        # The hint is exact, but a better-contexted duplicate elsewhere would still win below.
    else:
        candidates = []
    index = body.find(exact)
    while index != -1:
        if index not in candidates:
            candidates.append(index)
        index = body.find(exact, index + 1)
    if not candidates:
        return None

    def rank(candidate: int):
        score = _context_score(body, candidate, candidate + len(exact), prefix, suffix)
        distance = abs(candidate - position_hint) if position_hint is not None else 0
        return (-score, distance, candidate)

    best = min(candidates, key=rank)
    return selector_for(body, best, best + len(exact), trim=False)
