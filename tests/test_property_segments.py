"""Property-based tests (hypothesis) for annotations/segments.py: random overlapping spans on
random Unicode text.

Invariants checked on the rendered HTML, parsed back with an HTML parser:

- the text content is the body, every character exactly once, in order (paragraph breaks stay
  as text between the ``<p>`` elements);
- every element's ``data-s`` is the code-point offset of its first character in the body;
- the characters inside ``<mark>`` elements listing a claim are exactly that claim's span
  (clipped to the text) minus the paragraph breaks inside it: every claim's highlight covers
  exactly its quote;
- no markup comes from the text, whatever it contains.
"""

import random
import re
from html import escape
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.segments import (
    _runs,
    _swept_runs,
    clip_spans,
    paragraph_spans,
    render_body,
    split_at_boundaries,
)

FAST = settings(max_examples=200, deadline=None)

alphabet = st.one_of(
    st.characters(exclude_categories=("Cs",)),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
    st.sampled_from(["\n", "\n\n", "<", ">", "&", '"', "'", "&amp;", "<mark>", " ", "é", "😀"]),
)
bodies = st.lists(alphabet, max_size=120).map("".join)


@st.composite
def body_and_spans(draw):
    body = draw(bodies)
    count = draw(st.integers(0, 12))
    spans = []
    for claim_id in draw(
        st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True)
    ):
        start = draw(st.integers(-3, len(body) + 3))
        end = draw(st.integers(-3, len(body) + 3))
        spans.append((claim_id, start, end))
    return body, spans


def covered(length, start, end):
    return set(range(max(0, start), min(length, end)))


class Elements(HTMLParser):
    """Text pieces with the element they sit in: (tag, attrs, data-s of the element, text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str | None, dict, str]] = []
        self.stack: list[tuple[str, dict]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data):
        tag, attrs = self.stack[-1] if self.stack else (None, {})
        self.pieces.append((tag, attrs, data))


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    assert not parser.stack, "unclosed elements"
    return parser


@FAST
@given(body_and_spans())
def test_segments_tile_the_text_and_list_exactly_the_covering_claims(case):
    body, spans = case
    segments = split_at_boundaries(len(body), spans)
    if not body:
        assert segments == []
        return
    assert segments[0].start == 0 and segments[-1].end == len(body)
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.end == after.start
    clipped = {cid: (max(0, s), min(len(body), e)) for cid, s, e in spans}
    for segment in segments:
        assert segment.start < segment.end
        expected = sorted(
            (start, cid)
            for cid, (start, end) in clipped.items()
            if start < end and start <= segment.start and segment.end <= end
        )
        assert segment.claim_ids == tuple(cid for _, cid in expected)
        # A boundary never falls inside a claim's span without a reason: segments are maximal
        # only between boundaries, so each segment lies wholly inside or outside every claim.
        for start, end in clipped.values():
            if start < end:
                assert (
                    segment.end <= start
                    or end <= segment.start
                    or (start <= segment.start and segment.end <= end)
                )


@FAST
@given(body_and_spans())
def test_rendered_body_shows_every_character_exactly_once_at_its_offset(case):
    body, spans = case
    html = render_body(body, spans)
    parsed = parse(str(html))
    assert "".join(text for _, _, text in parsed.pieces) == body
    assert set(parsed.tags) <= {"p", "mark", "span"}  # nothing from the text became markup
    # Pieces without a character to escape are written as they are (the reader's fast path):
    # the text between the tags is the body as html.escape writes it, all the same.
    assert re.sub(r"<[^>]+>", "", str(html)) == escape(body)
    for tag, attrs, text in parsed.pieces:
        if tag in {"mark", "span"}:
            offset = int(attrs["data-s"])
            assert body[offset : offset + len(text)] == text
    paragraphs = [(tag, attrs) for tag, attrs, _ in parsed.pieces if tag == "p"]
    for _, attrs in paragraphs:
        assert int(attrs["data-s"]) in {start for start, _ in paragraph_spans(body)}


@FAST
@given(body_and_spans())
def test_every_claims_highlight_covers_exactly_its_quote(case):
    body, spans = case
    parsed = parse(str(render_body(body, spans)))
    highlighted: dict[int, set[int]] = {}
    for tag, attrs, text in parsed.pieces:
        if tag != "mark":
            continue
        offset = int(attrs["data-s"])
        ids = [int(cid) for cid in attrs["data-claims"].split()]
        assert len(ids) == len(set(ids))
        if len(ids) > 1:
            assert "layered" in attrs["class"].split()
        for cid in ids:
            highlighted.setdefault(cid, set()).update(range(offset, offset + len(text)))
    in_paragraphs = set()
    for start, end in paragraph_spans(body):
        in_paragraphs.update(range(start, end))
    for cid, start, end in spans:
        expected = covered(len(body), start, end) & in_paragraphs
        assert highlighted.get(cid, set()) == expected, cid


@FAST
@given(body_and_spans(), st.dictionaries(st.integers(1, 10_000), st.text(max_size=20)))
def test_claim_classes_cannot_inject_markup(case, classes):
    body, spans = case
    parsed = parse(str(render_body(body, spans, classes)))
    assert "".join(text for _, _, text in parsed.pieces) == body
    assert set(parsed.tags) <= {"p", "mark", "span"}


@st.composite
def body_and_disjoint_spans(draw):
    """Claims no two of which overlap, as most articles have them: cut points in order paired
    into spans, some of them running off the text, a few empty, one id given twice."""
    body = draw(bodies)
    cuts = sorted(draw(st.lists(st.integers(-3, len(body) + 3), max_size=16)))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=9, max_size=9, unique=True))
    spans = [(ids[i // 2], cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    if spans and draw(st.booleans()):
        # An id given twice: its last span wins, the first one is not drawn at all.
        claim_id, start, end = spans[-1]
        spans.insert(0, (claim_id, max(0, start - 5), start))
    if draw(st.booleans()):
        spans.append((ids[-1], 4, 4))  # empty: covers nothing
    return body, spans


@FAST
@given(body_and_disjoint_spans(), st.dictionaries(st.integers(1, 10_000), st.text(max_size=8)))
def test_claims_that_do_not_overlap_are_cut_as_the_sweep_cuts_them(case, classes):
    """The reader's fast path (no two claims overlap: no sweep over the boundaries) draws the
    same segments, classes and ids as the general one."""
    body, spans = case
    for lookup in (None, classes.get):
        swept = _swept_runs(len(body), clip_spans(len(body), spans), lookup)
        assert _runs(len(body), spans, lookup) == swept


# --- Through the reader page -------------------------------------------------------------------


class ArticleBody(HTMLParser):
    """The marks inside ``#article-body`` of a reader page: (claim ids, data-s, text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside #article-body
        self.marks: list[tuple[list[int], int, str]] = []
        self.text: list[str] = []
        self._mark: tuple[list[int], int] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += 1
            if tag == "mark":
                self._mark = ([int(i) for i in attrs["data-claims"].split()], int(attrs["data-s"]))
        elif attrs.get("id") == "article-body":
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if tag == "mark":
                self._mark = None

    def handle_data(self, data):
        if not self.depth:
            return
        self.text.append(data)
        if self._mark is not None:
            ids, start = self._mark
            self.marks.append((ids, start, data))
            self._mark = (ids, start + len(data))


@pytest.mark.django_db
def test_reader_page_highlights_every_claim_exactly_over_its_quote(client, reviewer):
    """Random Unicode articles with random overlapping claims, saved and read through the real
    reader page: the body is shown whole, and each claim's marks cover exactly its span."""
    from annotations.models import Claim
    from tests.factories import ArticleFactory

    rng = random.Random(20240611)
    alphabet = "ab c\u00e9\u0301😀𝔸中<>&\"'\n" + "\n\n"
    client.force_login(reviewer)
    for _ in range(25):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 150))).strip() or "x"
        article = ArticleFactory(body=body)
        spans = []
        for _ in range(rng.randint(0, 8)):
            start = rng.randrange(len(body))
            end = rng.randint(start + 1, len(body))
            claim = Claim(article=article, start=start, end=end, quote=body[start:end])
            claim.save()
            spans.append((claim.pk, start, end))
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        parsed = ArticleBody()
        parsed.feed(response.content.decode())
        assert "".join(parsed.text).strip() == body.strip()
        highlighted: dict[int, set[int]] = {}
        for ids, start, text in parsed.marks:
            assert body[start : start + len(text)] == text
            for claim_id in ids:
                highlighted.setdefault(claim_id, set()).update(range(start, start + len(text)))
        in_paragraphs = set()
        for start, end in paragraph_spans(body):
            in_paragraphs.update(range(start, end))
        for claim_id, start, end in spans:
            assert highlighted.get(claim_id, set()) == set(range(start, end)) & in_paragraphs
