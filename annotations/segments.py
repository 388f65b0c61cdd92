"""Overlapping claims as flat highlights: the body is cut at every claim boundary.

HTML cannot nest or cross ``<mark>`` elements the way claims overlap, so the text is split into
segments at every start and end of a claim (and at paragraph breaks); each segment is one element
that lists all the claims covering it. Built as one string here rather than in a template loop:
a long article has thousands of segments and this is the reader's hot path.
"""

from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from html import escape
from typing import NamedTuple

from django.utils.safestring import SafeString, mark_safe

PARAGRAPH_BREAK = "\n\n"


class Segment(NamedTuple):
    # A tuple, not a frozen dataclass: the reader of a 1,000-claim article makes 2,000 of them
    # per page, and a frozen dataclass took three times as long to build.
    start: int
    end: int
    claim_ids: tuple[int, ...]  # claims covering [start, end), sorted by (claim start, claim id)


def split_at_boundaries(length: int, spans: Iterable[tuple[int, int, int]]) -> list[Segment]:
    """Cut ``0..length`` at every span boundary; spans are ``(claim_id, start, end)``.

    Returns contiguous segments covering ``0..length`` exactly once (none when ``length`` is 0).
    Spans are clipped to the text; empty ones are ignored.
    """
    if length <= 0:
        return []
    return _split_clipped(length, clip_spans(length, spans))


def clip_spans(length: int, spans: Iterable[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    """``{claim_id: (start, end)}`` clipped to ``0..length``; a claim id counts once: the last
    span given for it wins."""
    return {
        claim_id: (start if start > 0 else 0, end if end < length else length)
        for claim_id, start, end in spans
    }


def _split_clipped(length: int, clipped: Mapping[int, tuple[int, int]]) -> list[Segment]:
    # The covering claims that begin and end at each boundary, as (start, id).
    starts_at: dict[int, list[tuple[int, int]]] = defaultdict(list)
    ends_at: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for claim_id, (start, end) in clipped.items():
        if start < end:
            starts_at[start].append((start, claim_id))
            ends_at[end].append((start, claim_id))
    ordered = sorted({0, length, *starts_at, *ends_at})
    # Covering claims as a list kept sorted by (start, id): insort/remove, never a re-sort.
    active: list[tuple[int, int]] = []
    covering: tuple[int, ...] = ()
    segments = []
    append = segments.append
    get_ending, get_starting = ends_at.get, starts_at.get
    # Segment(…) without NamedTuple's Python-level __new__: half the cost, 2,000 times a page.
    new = tuple.__new__
    for here, there in zip(ordered, ordered[1:], strict=False):
        ending, starting = get_ending(here), get_starting(here)
        if ending or starting:
            for claim in ending or ():
                active.remove(claim)
            for claim in starting or ():
                insort(active, claim)
            covering = tuple([claim_id for _, claim_id in active])
        append(new(Segment, (here, there, covering)))
    return segments


def paragraph_spans(body: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph; paragraphs are separated by a blank line."""
    spans = []
    start = 0
    while True:
        gap = body.find(PARAGRAPH_BREAK, start)
        if gap == -1:
            spans.append((start, len(body)))
            return spans
        spans.append((start, gap))
        start = gap + len(PARAGRAPH_BREAK)


def _class_lookup(
    claim_class: Mapping[int, str] | Callable[[int], str] | None,
) -> Callable[[int], str] | None:
    if claim_class is None or callable(claim_class):
        return claim_class
    return claim_class.get


#: The characters ``html.escape`` replaces (quotes too).
ESCAPED_CHARACTERS = "&<>\"'"

#: A run's opening tag up to its ``data-s`` value, when no claim covers it.
UNCOVERED = '<span data-s="'


def escape_positions(text: str) -> list[int]:
    """Where ``text`` has a character ``html.escape`` replaces, in order. (``str.find`` for
    each character: an article has a few dozen, and a regular expression over the whole body
    took twenty times as long.)"""
    found = []
    for character in ESCAPED_CHARACTERS:
        at = text.find(character)
        while at != -1:
            found.append(at)
            at = text.find(character, at + 1)
    found.sort()
    return found


#: Each segment of ``split_at_boundaries`` as two lists: where it ends, and its opening tag up
#: to the ``data-s`` value (``UNCOVERED`` where no claim covers it).
Runs = tuple[list[int], list[str]]


def _mark_classes(lookup: Callable[[int], str] | None) -> Callable[[int, int], str]:
    """The class attribute of a covered segment from its innermost claim and its depth (the
    number of claims covering it), each (claim class, depth) built once."""
    classes: dict[tuple[str | None, int], str] = {}

    def mark_class(innermost: int, depth: int) -> str:
        key = (lookup(innermost) if lookup is not None else None, depth)
        css = classes.get(key)
        if css is None:
            css = "hl"
            if lookup is not None:
                css = f"hl {escape(key[0] or '')}".rstrip()
            if depth > 1:
                css += f" layered depth-{min(depth, 4)}"
            classes[key] = css
        return css

    return mark_class


def _runs(
    length: int, spans: Iterable[tuple[int, int, int]], lookup: Callable[[int], str] | None
) -> Runs:
    clipped = clip_spans(length, spans)
    claims = sorted(
        [(start, claim_id, end) for claim_id, (start, end) in clipped.items() if start < end]
    )
    if all(before[2] <= after[0] for before, after in zip(claims, claims[1:], strict=False)):
        return _disjoint_runs(length, claims, lookup)
    return _swept_runs(length, clipped, lookup)


def _swept_runs(
    length: int, clipped: Mapping[int, tuple[int, int]], lookup: Callable[[int], str] | None
) -> Runs:
    """The runs of any claims (``clip_spans``), overlapping or not: the segments of
    ``split_at_boundaries``."""
    mark_class = _mark_classes(lookup)
    ends: list[int] = []
    openings: list[str] = []
    for _, end, ids in _split_clipped(length, clipped) if length > 0 else ():
        ends.append(end)
        if ids:
            id_text = " ".join(map(str, ids))
            openings.append(
                f'<mark class="{mark_class(ids[-1], len(ids))}" data-claims="{id_text}" data-s="'
            )
        else:
            openings.append(UNCOVERED)
    return ends, openings


def _disjoint_runs(
    length: int, claims: list[tuple[int, int, int]], lookup: Callable[[int], str] | None
) -> Runs:
    """The runs of claims no two of which overlap (most articles), given as ``(start, id,
    end)`` in order, clipped and not empty: each claim is one segment and the gaps between
    them the others, without a sweep over the boundaries. The same runs as ``_swept_runs``
    (tests/test_property_segments.py); 0.35 ms of CPU instead of 2.1 for 1,000 claims."""
    mark_class = _mark_classes(lookup)
    ends: list[int] = []
    openings: list[str] = []
    alone: dict[str | None, str] = {}  # the class of a claim covering a segment alone
    position = 0
    for start, claim_id, end in claims:
        if start > position:
            ends.append(start)
            openings.append(UNCOVERED)
        name = lookup(claim_id) if lookup is not None else None
        css = alone.get(name)
        if css is None:
            css = alone[name] = mark_class(claim_id, 1)
        ends.append(end)
        openings.append(f'<mark class="{css}" data-claims="{claim_id}" data-s="')
        position = end
    if position < length:
        ends.append(length)
        openings.append(UNCOVERED)
    return ends, openings


def render_paragraphs(
    body: str,
    spans: Iterable[tuple[int, int, int]],
    claim_class: Mapping[int, str] | Callable[[int], str] | None = None,
    *,
    within: tuple[int, int] | None = None,
) -> Iterator[tuple[int, int, str]]:
    """``(start, end, inner HTML)`` of each paragraph, or only of those overlapping the span
    ``within``: a ``<mark>`` for every covered segment, a ``<span>`` for the rest.

    The HTML of a paragraph depends only on the claims that cover part of it, so a paragraph
    rendered from those claims alone is the same as in the whole body.
    """
    ends, openings = _runs(len(body), spans, _class_lookup(claim_class))
    # Where the body has a character to escape: a piece of text without one is written as it
    # is (most pieces, between two claim boundaries, have none; escaping each was a fifth of
    # the reader's time for a 1,000-claim article). ``next_escape``: the first at or after
    # the piece before, looked up again only when a piece passes it.
    escaped_at = escape_positions(body)
    next_escape = escaped_at[0] if escaped_at else len(body)
    index = 0
    count = len(ends)
    uncovered = UNCOVERED  # a local name: read 2,000 times for a long article
    for p_start, p_end in paragraph_spans(body):
        if within is not None and not (p_start < within[1] and p_end > within[0]):
            continue
        out: list[str] = []
        append = out.append
        # Skip segments that lie wholly before this paragraph.
        while index < count and ends[index] <= p_start:
            index += 1
        position = p_start
        while position < p_end:
            opening = openings[index]
            piece_end = ends[index]
            if piece_end <= p_end:
                index += 1
            else:  # the segment goes on in the next paragraph
                piece_end = p_end
            text = body[position:piece_end]
            if next_escape < piece_end:
                if next_escape < position:
                    found = bisect_left(escaped_at, position)
                    next_escape = escaped_at[found] if found < len(escaped_at) else len(body)
                if next_escape < piece_end:
                    text = escape(text)
            if opening is uncovered:
                append(f'<span data-s="{position}">{text}</span>')
            else:
                append(f'{opening}{position}">{text}</mark>')
            position = piece_end
        yield p_start, p_end, "".join(out)


def render_body(
    body: str,
    spans: Iterable[tuple[int, int, int]],
    claim_class: Mapping[int, str] | Callable[[int], str] | None = None,
) -> SafeString:
    """The body as ``<p>`` paragraphs with a ``<mark>`` for every covered segment.

    Every character of ``body`` appears exactly once, escaped: paragraph breaks stay as text
    between the paragraphs, so the text content of the result is the body itself. Each element
    carries ``data-s``, the code-point offset of its first character, which the browser uses
    to turn a selection into offsets whatever the DOM looks like. ``claim_class`` gives the
    CSS class (e.g. ``verdict-3``) for a claim; a segment takes the class of its innermost
    (last-starting) claim and is marked ``layered`` when more than one claim covers it.
    """
    out: list[str] = []
    previous_end = 0
    for p_start, p_end, inner in render_paragraphs(body, spans, claim_class):
        if p_start > previous_end:
            out.append(escape(body[previous_end:p_start]))
        previous_end = p_end
        out.append(f'<p data-s="{p_start}">{inner}</p>')
    if previous_end < len(body):
        out.append(escape(body[previous_end:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped


def render_inline(
    text: str,
    spans: Iterable[tuple[int, int, int]],
    claim_class: Mapping[int, str] | Callable[[int], str] | None = None,
) -> SafeString:
    """A short part of the article (its headline, its standfirst) as phrasing content: the
    segments of ``render_body`` without the ``<p>`` elements, to sit inside a heading or a
    paragraph. Paragraph breaks stay as text; every segment carries its ``data-s`` offset
    in ``text``."""
    out: list[str] = []
    previous_end = 0
    for p_start, p_end, inner in render_paragraphs(text, spans, claim_class):
        if p_start > previous_end:
            out.append(escape(text[previous_end:p_start]))
        previous_end = p_end
        out.append(inner)
    if previous_end < len(text):
        out.append(escape(text[previous_end:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped
