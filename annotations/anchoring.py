"""Anchoring a claim in an article's text, the way the W3C Web Annotation model does.

A span is described twice: by position (``start``/``end``, Unicode code points, end exclusive)
and by quote (the exact text plus some context before and after). Position is fast and exact
while the text is unchanged; the quote lets the span be found again when it is not.

This module is the one owner of both directions:

- ``selector_for`` / ``selection`` turn offsets (what a reviewer selected) into a selector;
- ``match_quote`` finds a quote again in a text — for imported annotations and for claims
  whose article changed. Every place the quote occurs (exactly, or with a few characters
  changed) is scored on the quote, the context before and after it and the distance from the
  expected position, as Hypothesis's client does; the best place wins if it scores well enough
  and no other place is as good. Otherwise the quote is *not anchored*, with the reason:
  a claim is never attached to a place its context does not support.
"""

import re
from dataclasses import dataclass

import edlib

CONTEXT_LENGTH = 32
MAX_QUOTE_LENGTH = 5000

# Weights of the parts of a match's score (out of their sum), after Hypothesis's client: the
# quote counts most, each side's context less, the position only breaks ties.
QUOTE_WEIGHT = 50
PREFIX_WEIGHT = 20
SUFFIX_WEIGHT = 20
POSITION_WEIGHT = 2
# A place is taken only at this score or above, and only if one side of its context matches
# at least half-way. An exact quote with one side of its context matching scores 0.78; an
# exact quote whose context matches on neither side scores about 0.57.
MIN_SCORE = 0.70
MIN_SIDE_SCORE = 0.5
# A quote found only approximately must keep this share of its characters.
MIN_FUZZY_QUOTE_SCORE = 0.75
# Two places whose quote-and-context scores differ by less than this are equally good.
TIE = 0.005
# Context similarity below this (1 - edit distance / length) is what unrelated text scores.
CONTEXT_FLOOR = 0.6


@dataclass(frozen=True)
class TextSelector:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class QuoteMatch:
    """The outcome of looking for a quote: where it is (``selector``), or why not (``reason``)."""

    selector: TextSelector | None
    score: float = 0.0
    reason: str = ""
    fuzzy: bool = False  # the text at the place differs from the quote

    @property
    def anchored(self) -> bool:
        return self.selector is not None


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


def same_words(a: str, b: str) -> bool:
    """The one rule for "the browser showed the same text": equal but for white space.

    A browser's idea of the selected text differs from the body's in white space only
    (paragraph breaks, trailing spaces), never in words.
    """
    return " ".join(a.split()) == " ".join(b.split())


def selection(body: str, start: int, end: int, quote: str) -> TextSelector:
    """The selector for a reviewer's selection: the span trimmed of white space, checked
    against ``quote`` (the text the browser showed). Raises ``AnchorError`` with a message
    for the reviewer."""
    selector = selector_for(body, start, end)
    if not same_words(quote or "", selector.exact):
        raise AnchorError(
            "The selected text does not match the article at that place; "
            "reload the page and select it again."
        )
    return selector


# --- Finding a quote again ----------------------------------------------------------------------


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def _similarity(expected: str, actual: str) -> float:
    """1 − edit distance / length, after folding white space."""
    expected, actual = _squeezed(expected), _squeezed(actual)
    if not expected:
        return 1.0 if not actual else 0.0
    if not actual:
        return 0.0
    distance = edlib.align(*_small_alphabet(expected, actual), mode="NW")["editDistance"]
    return max(0.0, 1.0 - distance / max(len(expected), len(actual)))


def _small_alphabet(query: str, target: str) -> tuple[str, str]:
    """edlib takes at most 256 distinct symbols: characters of the target that the query does
    not contain can never match, so they all become one symbol."""
    alphabet = set(query)
    if len(set(target) | alphabet) <= 256:
        return query, target
    if len(alphabet) > 255:
        raise ValueError("too many distinct characters to compare")
    other = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in alphabet)
    return query, "".join(ch if ch in alphabet else other for ch in target)


def _words_found(expected: list[str], actual: list[str]) -> float:
    """The share of the expected words that stand in ``actual`` (each used once)."""
    if not expected:
        return 1.0
    pool = list(actual)
    found = 0
    for word in expected:
        if word in pool:
            pool.remove(word)
            found += 1
    return found / len(expected)


def _side_score(expected: str, actual: str, *, before: bool) -> float:
    """How well the text next to a place matches the expected context, from 0 to 1.

    The best of three readings: the run of equal characters right next to the place; the
    share of the context's words found beside it (a word changed or inserted costs only that
    word); and a character similarity that unrelated text cannot reach.
    """
    if not expected:
        return 1.0
    e, a = _squeezed(expected), _squeezed(actual)
    if before:
        run_e, run_a = e[::-1], a[::-1]
    else:
        run_e, run_a = e, a
    run = 0
    for x, y in zip(run_e, run_a, strict=False):
        if x != y:
            break
        run += 1
    adjacency = run / len(e) if e else 1.0
    words = e.split()
    # The word at the far end of a context is usually cut in half.
    whole = words[1:] if before else words[:-1]
    overlap = _words_found(whole, a.split()) if len(whole) >= 2 else 0.0
    similarity = (_similarity(e, a) - CONTEXT_FLOOR) / (1 - CONTEXT_FLOOR)
    return max(adjacency, overlap, similarity, 0.0)


def _exact_places(body: str, exact: str) -> list[tuple[int, int]]:
    places = []
    index = body.find(exact)
    while index != -1 and len(places) < 10_000:
        places.append((index, index + len(exact)))
        index = body.find(exact, index + 1)
    if places:
        return places
    # The same words with other white space between them (a line break for a space).
    words = exact.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    return [(m.start(), m.end()) for m in pattern.finditer(body)][:10_000]


def _fuzzy_places(body: str, exact: str) -> list[tuple[int, int, float]]:
    """Places where ``exact`` occurs with the fewest changed characters, if few enough."""
    max_errors = int(len(exact) * (1 - MIN_FUZZY_QUOTE_SCORE))
    if max_errors < 1 or len(exact) > MAX_QUOTE_LENGTH:
        return []
    try:
        query, target = _small_alphabet(exact, body)
    except ValueError:
        return []
    found = edlib.align(query, target, mode="HW", task="locations", k=max_errors)
    distance = found["editDistance"]
    if distance < 0:
        return []
    score = 1.0 - distance / len(exact)
    places: list[tuple[int, int, float]] = []
    for start, end in found["locations"]:
        if start is None:
            continue
        if places and start <= places[-1][1]:
            continue  # overlapping alignments of the same place
        places.append((start, end + 1, score))
    return places


def match_quote(
    body: str,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    position_hint: int | None = None,
) -> QuoteMatch:
    """Find a quote in ``body``; see the module doc. Never raises for odd input."""
    if not exact or not exact.strip():
        return QuoteMatch(None, reason="the quote is empty")
    places = [(start, end, 1.0) for start, end in _exact_places(body, exact)]
    fuzzy = not places
    if fuzzy:
        places = _fuzzy_places(body, exact)
    if not places:
        return QuoteMatch(None, reason="the quoted text is not in the article")

    total = QUOTE_WEIGHT + PREFIX_WEIGHT + SUFFIX_WEIGHT + POSITION_WEIGHT

    def content_score(start: int, end: int, quote_score: float) -> float:
        # An approximate quote is only trusted where its context says so: a missing context
        # counts as a match only for an exact quote.
        if fuzzy and not prefix and not suffix:
            return QUOTE_WEIGHT * quote_score / total
        # A little more text than the context's length, so that an inserted word does not
        # push the context's far words out of view.
        before = body[max(0, start - len(prefix) * 3 // 2) : start]
        after = body[end : end + len(suffix) * 3 // 2]
        prefix_score = _side_score(prefix, before, before=True)
        suffix_score = _side_score(suffix, after, before=False)
        if (prefix or suffix) and max(prefix_score, suffix_score) < MIN_SIDE_SCORE:
            # Neither side of the place looks like the context the quote was taken from.
            prefix_score = suffix_score = 0.0
        return (
            QUOTE_WEIGHT * quote_score + PREFIX_WEIGHT * prefix_score + SUFFIX_WEIGHT * suffix_score
        ) / total

    def position_score(start: int) -> float:
        if position_hint is None:
            return 1.0
        return 1.0 - min(1.0, abs(start - position_hint) / max(1, len(body)))

    scored = sorted(
        (
            (content_score(start, end, quote_score), start, end)
            for start, end, quote_score in places
        ),
        key=lambda item: (-item[0], item[1]),
    )
    best_content, start, end = scored[0]
    if best_content + POSITION_WEIGHT / total < MIN_SCORE:
        return _weak(best_content + POSITION_WEIGHT / total, fuzzy)
    rivals = [s for c, s, _ in scored[1:] if best_content - c < TIE]
    if rivals:
        # Equally good by quote and context: only a position hint that clearly points at one
        # of them decides.
        candidates = [start, *rivals]
        if position_hint is None:
            return QuoteMatch(None, reason=_ambiguous(candidates))
        candidates.sort(key=lambda s: abs(s - position_hint))
        nearest, second = candidates[0], candidates[1]
        if abs(nearest - position_hint) * 3 >= abs(second - position_hint):
            return QuoteMatch(None, reason=_ambiguous(candidates))
        start, end = next((s, e) for c, s, e in scored if s == nearest)
    score = best_content + POSITION_WEIGHT * position_score(start) / total
    if score < MIN_SCORE:
        return _weak(score, fuzzy)
    selector = selector_for(body, start, end, trim=False)
    return QuoteMatch(selector, score=score, fuzzy=fuzzy or selector.exact != exact)


def _weak(score: float, fuzzy: bool) -> QuoteMatch:
    where = (
        "only a different wording of the quote is in the article"
        if fuzzy
        else "the quoted text is in the article, but not where its surrounding words are"
    )
    return QuoteMatch(None, score=score, reason=f"{where} (score {score:.2f}, needs {MIN_SCORE})")


def _ambiguous(starts: list[int]) -> str:
    where = ", ".join(str(s) for s in sorted(starts)[:3])
    return f"the quote fits {len(starts)} places equally well (at characters {where})"


def locate(
    body: str,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    position_hint: int | None = None,
) -> TextSelector | None:
    """The selector ``match_quote`` found, or ``None``."""
    return match_quote(body, exact, prefix, suffix, position_hint).selector
