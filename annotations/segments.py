"""Overlapping claims as flat highlights: the body is cut at every claim boundary.

HTML cannot nest or cross ``<mark>`` elements the way claims overlap, so the text is split into
segments at every start and end of a claim (and at paragraph breaks); each segment is one element
that lists all the claims covering it. Built as one string here rather than in a template loop:
a long article has thousands of segments and this is the reader's hot path.
"""

from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

PARAGRAPH_BREAK = "\n\n"


@dataclass(frozen=True)
class Segment:
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
    starts_at: dict[int, list[tuple[int, int]]] = defaultdict(list)
    ends_at: dict[int, list[int]] = defaultdict(list)
    bounds = {0, length}
    clipped = {}  # a claim id counts once: the last span given for it wins
    for claim_id, start, end in spans:
        clipped[claim_id] = (max(0, start), min(length, end))
    for claim_id, (start, end) in clipped.items():
        if start >= end:
            continue
        starts_at[start].append((claim_id, start))
        ends_at[end].append(claim_id)
        bounds.add(start)
        bounds.add(end)
    ordered = sorted(bounds)
    # Covering claims as a list kept sorted by (start, id): insort/remove, never a re-sort.
    active: list[tuple[int, int]] = []
    start_of: dict[int, int] = {}
    covering: tuple[int, ...] = ()
    segments = []
    for here, there in zip(ordered, ordered[1:], strict=False):
        changed = False
        for claim_id in ends_at.get(here, ()):
            start = start_of.pop(claim_id, None)
            if start is not None:
                active.remove((start, claim_id))
                changed = True
        for claim_id, start in starts_at.get(here, ()):
            start_of[claim_id] = start
            insort(active, (start, claim_id))
            changed = True
        if changed:
            covering = tuple(claim_id for _, claim_id in active)
        segments.append(Segment(here, there, covering))
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
    lookup = _class_lookup(claim_class)
    segments = split_at_boundaries(len(body), spans)
    index = 0
    count = len(segments)
    for p_start, p_end in paragraph_spans(body):
        if within is not None and not (p_start < within[1] and p_end > within[0]):
            continue
        out: list[str] = []
        append = out.append
        # Skip segments that lie wholly before this paragraph.
        while index < count and segments[index].end <= p_start:
            index += 1
        position = p_start
        while position < p_end and index < count:
            segment = segments[index]
            piece_end = min(segment.end, p_end)
            text = escape(body[position:piece_end])
            ids = segment.claim_ids
            if ids:
                css = "hl"
                if lookup is not None:
                    css = f"hl {escape(lookup(ids[-1]) or '')}".rstrip()
                if len(ids) > 1:
                    css += f" layered depth-{min(len(ids), 4)}"
                id_text = " ".join(map(str, ids))
                append(f'<mark class="{css}" data-claims="{id_text}" data-s="{position}">')
                append(text)
                append("</mark>")
            else:
                append(f'<span data-s="{position}">{text}</span>')
            position = piece_end
            if piece_end >= segment.end:
                index += 1
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
