"""Search in a real browser: from the box in the header to grouped results, a kind tab swapped
in place by htmx, and a result followed to its claim; the header still fits a phone."""

import re

import pytest

from tests.factories import ArticleFactory, ClaimFactory, CommentFactory, SourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def make_corpus():
    body = (
        "The harbour authority said 300,000 passengers used the ferry last year. "
        "Bérénice Moreau, who runs the café on the quay, doubts the count."
    )
    article = ArticleFactory(
        title="Ferry passenger numbers questioned", body=body, publisher="Quayside Chronicle"
    )
    quote = "300,000 passengers used the ferry last year"
    start = body.index(quote)
    claim = ClaimFactory(
        article=article,
        start=start,
        end=start + len(quote),
        statement="The ferry carried 300k passengers last year.",
        claimant="The harbour authority",
    )
    CommentFactory(claim=claim, body="The ticket office counts returns twice.")
    SourceFactory(title="Ferry ticket sales, annual table", notes="Passenger journeys by route.")
    ArticleFactory(title="Library hours extended", publisher="Hillside Herald")
    return claim


def test_search_from_the_header_and_follow_a_result(page, sign_in, reviewer):
    claim = make_corpus()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, reviewer)
    page.goto("/")

    page.fill("#topsearch-q", "300000 ferry")
    page.press("#topsearch-q", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q=300000\+ferry"))

    groups = page.locator(".search-group h2").all_inner_texts()
    assert [re.sub(r"\s+\d+$", "", g.strip()) for g in groups] == ["Claims", "Articles"]
    assert page.locator("#results-claim .hit-title mark").all_inner_texts() == ["ferry", "300k"]
    assert "300,000" in page.locator("#results-article mark").all_inner_texts()

    # A kind tab swaps the results in place and updates the address.
    page.evaluate("window.stillTheSamePage = true")
    page.locator(".kind-tabs a", has_text="Claims").click()
    page.wait_for_url(re.compile(r"kind=claim"))
    page.wait_for_function("!document.querySelector('#results-article')")
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.locator("#search-results").count() == 1

    page.locator("#results-claim a.hit-title").first.click()
    page.wait_for_url(re.compile(rf"/articles/{claim.article_id}/claims/{claim.pk}/"))
    assert "300k passengers" in page.locator("body").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e]


def test_accented_names_are_found_without_accents(page, sign_in, reviewer):
    make_corpus()
    sign_in(page, reviewer)
    page.goto("/search/?q=berenice+cafe")

    assert page.locator("#results-article mark").all_inner_texts()[:2] == ["Bérénice", "café"]


def test_the_header_with_its_search_box_fits_a_phone(browser, live_server, reviewer, sign_in):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        sign_in(page, reviewer)
        page.goto("/")

        box = page.locator("#topsearch-q").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        wide = page.evaluate(
            "[...document.querySelectorAll('header *')]"
            ".filter(e => e.getBoundingClientRect().right > 360).map(e => e.outerHTML.slice(0, 80))"
        )
        assert wide == []
        page.fill("#topsearch-q", "ferry")
        page.press("#topsearch-q", "Enter")
        page.wait_for_url(re.compile(r"/search/\?q=ferry"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
