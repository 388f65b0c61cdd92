"""Splitting the body at claim boundaries and rendering it as highlighted HTML."""

import re
from html import unescape

from annotations.segments import Segment, paragraph_spans, render_body, split_at_boundaries


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def marks(html: str) -> list[tuple[str, str]]:
    """(data-claims, text) of every <mark>."""
    return [
        (ids, unescape(text))
        for ids, text in re.findall(r'<mark[^>]*data-claims="([^"]*)"[^>]*>([^<]*)</mark>', html)
    ]


def test_no_claims_gives_one_uncovered_segment():
    assert split_at_boundaries(10, []) == [Segment(0, 10, ())]


def test_empty_text_has_no_segments():
    assert split_at_boundaries(0, [(1, 0, 3)]) == []


def test_overlapping_claims_split_into_three_segments():
    assert split_at_boundaries(10, [(1, 0, 6), (2, 4, 10)]) == [
        Segment(0, 4, (1,)),
        Segment(4, 6, (1, 2)),
        Segment(6, 10, (2,)),
    ]


def test_nested_claim_is_listed_after_the_outer_one():
    assert split_at_boundaries(10, [(9, 3, 5), (2, 0, 10)]) == [
        Segment(0, 3, (2,)),
        Segment(3, 5, (2, 9)),
        Segment(5, 10, (2,)),
    ]


def test_identical_spans_share_segments_sorted_by_id():
    assert split_at_boundaries(5, [(7, 1, 4), (3, 1, 4)]) == [
        Segment(0, 1, ()),
        Segment(1, 4, (3, 7)),
        Segment(4, 5, ()),
    ]


def test_adjacent_claims_do_not_overlap():
    assert split_at_boundaries(6, [(1, 0, 3), (2, 3, 6)]) == [
        Segment(0, 3, (1,)),
        Segment(3, 6, (2,)),
    ]


def test_spans_outside_the_text_are_clipped_and_empty_ones_ignored():
    assert split_at_boundaries(4, [(1, 2, 99), (2, 3, 3), (3, -5, 1)]) == [
        Segment(0, 1, (3,)),
        Segment(1, 2, ()),
        Segment(2, 4, (1,)),
    ]


def test_paragraph_spans_skip_the_blank_lines():
    assert paragraph_spans("ab\n\ncd") == [(0, 2), (4, 6)]


def test_rendered_text_is_the_body_exactly_once():
    body = "One <b>two</b> & three.\n\nFour five\nsix."
    html = render_body(body, [(1, 0, 12), (2, 5, 30), (3, 8, 9)])
    assert text_of(html) == body
    assert "<b>" not in html
    assert html.count("<p ") == 2


def test_claim_spanning_paragraphs_is_split_at_the_break():
    body = "First para.\n\nSecond para."
    html = render_body(body, [(4, 6, 20)])
    assert marks(html) == [("4", "para."), ("4", "Second ")]
    assert "\n\n" not in "".join(text for _, text in marks(html))


def test_layered_segment_lists_every_claim_and_takes_innermost_colour():
    body = "abcdefghij"
    html = render_body(body, [(1, 0, 10), (2, 2, 5)], {1: "verdict-1", 2: "state-to_do"})
    assert (
        '<mark class="hl state-to_do layered depth-2" data-claims="1 2" data-s="2">cde</mark>'
        in (html)
    )
    assert '<mark class="hl verdict-1" data-claims="1" data-s="0">ab</mark>' in html


def test_every_element_carries_its_code_point_start():
    body = "Zoë 🚌 said 公共汽车 ran late."
    start = body.index("ran")
    html = render_body(body, [(1, start, start + 3)])
    assert f'data-s="{start}">ran</mark>' in html
    assert text_of(html) == body


def test_script_in_article_text_is_escaped():
    html = render_body("<script>alert(1)</script>", [(1, 0, 8)])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_claim_id_given_twice_counts_once_with_its_last_span():
    assert split_at_boundaries(6, [(1, 0, 2), (1, 3, 5)]) == [
        Segment(0, 3, ()),
        Segment(3, 5, (1,)),
        Segment(5, 6, ()),
    ]
