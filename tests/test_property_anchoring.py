"""Property-based tests (hypothesis) for annotations/anchoring.py: a selector made from any span
of any Unicode text (astral characters included) finds that same span again, and still finds it
after text is inserted in front of it."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotations.anchoring import (
    CONTEXT_LENGTH,
    MAX_QUOTE_LENGTH,
    AnchorError,
    locate,
    selector_for,
    trim_span,
)

FAST = settings(max_examples=200, deadline=None)

# Any code point except surrogates (not storable), with astral ones and combining marks common.
characters = st.characters(exclude_categories=("Cs",))
astral = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=("Cs",))
texts = st.text(
    st.one_of(characters, astral, st.sampled_from(" \n\u00a0\u200b\u0301")), max_size=200
)
# Small alphabets make repeated quotes, which is where anchoring can go wrong.
repetitive = st.text(st.sampled_from("ab \n😀𝔸"), min_size=1, max_size=80)


@st.composite
def text_and_span(draw, text_strategy=texts):
    body = draw(text_strategy.filter(bool))
    start = draw(st.integers(0, len(body) - 1))
    end = draw(st.integers(start + 1, len(body)))
    return body, start, end


@FAST
@given(text_and_span())
def test_selector_describes_exactly_the_span(case):
    body, start, end = case
    selector = selector_for(body, start, end, trim=False)
    assert (selector.start, selector.end) == (start, end)
    assert selector.exact == body[start:end]
    assert selector.prefix == body[max(0, start - CONTEXT_LENGTH) : start]
    assert selector.suffix == body[end : end + CONTEXT_LENGTH]
    assert len(selector.prefix) <= CONTEXT_LENGTH >= len(selector.suffix)


@FAST
@given(st.one_of(text_and_span(), text_and_span(repetitive)))
def test_located_quote_with_its_position_hint_is_the_same_span(case):
    body, start, end = case
    selector = selector_for(body, start, end, trim=False)
    found = locate(body, selector.exact, selector.prefix, selector.suffix, selector.start)
    assert found == selector


@FAST
@given(st.one_of(text_and_span(), text_and_span(repetitive)))
def test_located_quote_without_a_hint_is_an_occurrence_with_the_best_context(case):
    body, start, end = case
    selector = selector_for(body, start, end, trim=False)
    found = locate(body, selector.exact, selector.prefix, selector.suffix)
    assert found is not None
    assert found.exact == selector.exact
    assert body[found.start : found.end] == selector.exact
    # Only an occurrence with the same full context can win over the original.
    assert found.prefix.endswith(selector.prefix) or selector.prefix.endswith(found.prefix)
    if body.count(selector.exact) == 1:
        assert found == selector


@FAST
@given(st.one_of(text_and_span(), text_and_span(repetitive)), texts)
def test_quote_is_found_again_after_text_is_inserted_before_it(case, inserted):
    body, start, end = case
    selector = selector_for(body, start, end, trim=False)
    new_body = inserted + body
    context = selector.prefix + selector.exact + selector.suffix
    assume(new_body.count(context) == 1)
    found = locate(new_body, selector.exact, selector.prefix, selector.suffix, selector.start)
    assert found is not None
    assert (found.start, found.end) == (start + len(inserted), end + len(inserted))
    assert found.exact == selector.exact


@FAST
@given(text_and_span())
def test_trimmed_selection_has_no_outer_white_space_and_stays_inside(case):
    body, start, end = case
    new_start, new_end = trim_span(body, start, end)
    assert start <= new_start <= new_end <= end
    if new_start < new_end:
        selector = selector_for(body, start, end)
        assert (selector.start, selector.end) == (new_start, new_end)
        assert not selector.exact[0].isspace() and not selector.exact[-1].isspace()
        assert body[start:end].strip() == selector.exact.strip()
    else:
        assert body[start:end].strip() == "" or all(c.isspace() for c in body[start:end])
        with pytest.raises(AnchorError):
            selector_for(body, start, end)


@FAST
@given(texts, st.integers(-5, 300), st.integers(-5, 300))
def test_impossible_spans_raise_anchor_error_never_anything_else(body, start, end):
    if 0 <= start < end <= len(body) and body[start:end].strip():
        selector = selector_for(body, start, end)
        assert selector.exact.strip() == selector.exact
    else:
        with pytest.raises(AnchorError):
            selector_for(body, start, end)


def test_an_absurdly_long_selection_is_refused():
    body = "word " * (MAX_QUOTE_LENGTH // 4)
    with pytest.raises(AnchorError, match="too long"):
        selector_for(body, 0, len(body))


@FAST
@given(texts, texts)
def test_a_quote_that_is_not_in_the_text_is_not_found(body, quote):
    assume(quote and quote not in body)
    assert locate(body, quote) is None
    assert locate(body, quote, position_hint=0) is None
