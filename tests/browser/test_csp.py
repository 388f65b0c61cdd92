"""The strict Content-Security-Policy (no inline style or script) holds on the main pages and
flows: the browser logs no violation while a reviewer works through them.

A walk of the app logged "Applying inline style violates … style-src 'self'" in the console,
with nothing visible broken. Two sources of that line were found. htmx settles the attributes
``class``, ``style``, ``width`` and ``height`` of an element it swaps in over one with the same
id (``attributesToSettle``): it copied the old element's ``style`` attribute onto the new one
with ``setAttribute``, which this CSP refuses. An element a script placed with CSSOM properties
(allowed by the CSP: reader.js positions its floating controls so) carries such an attribute;
the pages set none of their own (the CSP forbids them), so ``style`` is no longer settled
(base.html's htmx config). The other source is Playwright itself: an element screenshot
(``locator.screenshot``) logs the same line from Playwright's own script, so these tests take
none.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.test_first_walk import desk  # noqa: F401 — a family, a source, a failed job
from tests.browser.test_reviewer_flow import BODY, add_claim, drag_select
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Violations as the page's own script sees them (with the element), besides the console line.
LISTEN_JS = """document.addEventListener("securitypolicyviolation", (event) => {
  const element = event.target && event.target.nodeType === 1 ? event.target : null;
  console.error("CSP violation: " + event.violatedDirective + " on " +
    (element ? element.tagName.toLowerCase() + "#" + element.id : "the document") +
    " (" + event.sourceFile + ":" + event.lineNumber + ")");
}, true);"""


@pytest.fixture
def violations(page):
    """Every CSP violation the browser reports on ``page``, with the address it happened at."""
    found = []
    page.add_init_script(LISTEN_JS)

    def heard(message):
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            found.append(f"{page.url}: {message.text[:300]}")

    page.on("console", heard)
    return found


def settle(page):
    """Let htmx finish what it is doing (requests, swaps, settling)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")


def test_a_reviewers_walk_logs_no_csp_violation(page, sign_in, reviewer, violations, desk):  # noqa: F811
    article = ArticleFactory(title="Eastport buses carry record numbers", body=BODY)
    ClaimFactory(article=article, start=0, end=6, statement="Riders")
    sign_in(page, reviewer)

    # The dashboard: filtering swaps the results and pushes the address; Back restores it.
    page.goto("/")
    page.get_by_label("Search", exact=True).fill("Eastport")
    page.wait_for_url("**/?*q=Eastport*")
    settle(page)
    page.go_back()
    settle(page)

    # The reader: a claim from a selection (the floating button placed), an overlapping one
    # (the chooser placed), a source cited, a verdict proposed, a comment, the history.
    page.goto(f"/articles/{article.pk}/")
    first = add_claim(page, "12.4 million passengers", "The fleet carried 12.4 million")
    add_claim(page, "million passengers last year", "Ridership last year", keyboard=True)
    settle(page)
    page.locator(f'#article-body mark[data-claims~="{first.pk}"].layered').first.click()
    page.locator("#claim-chooser").get_by_role("menuitem").first.click()
    panel = page.locator("#claim-panel")
    panel.get_by_role("heading", name=f"Claim {first.pk}").wait_for()
    panel.get_by_text("Cite a source").click()
    panel.get_by_label("Search the library").fill("Harbour")
    panel.locator("#source-results input[type=radio]").first.check()
    panel.get_by_role("button", name="Add citation").click()
    panel.get_by_text("Source cited.").wait_for()
    panel.locator("select[name=verdict]").select_option(label="Accurate")
    panel.get_by_label("Explanation").fill("Table 1 of the report.")
    panel.get_by_role("button", name="Propose verdict").click()
    panel.get_by_text("has to approve it").wait_for()
    panel.get_by_label("Add a comment").fill("Checked against the report.")
    panel.get_by_role("button", name="Comment").click()
    panel.get_by_text("Checked against the report.").wait_for()
    panel.get_by_text("Show who changed what").click()
    settle(page)

    # Suggestions: shown (the bar placed), words selected beside it, one dismissed.
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.locator("#suggestion-action")).to_be_visible()
    drag_select(page, "Fares will rise by 2.5% in January.")
    page.keyboard.press("n")
    page.keyboard.press("x")
    page.locator("#suggestions .notice").wait_for()
    settle(page)
    # The whole reader drawn again, as after a lost connection (live.js), over placed controls.
    page.evaluate(
        """() => htmx.ajax("GET", document.querySelector("[data-live-article]").dataset.liveUrl,
                           {target: "body", swap: "none"})"""
    )
    settle(page)

    # The other pages of the day.
    for url in (
        "/claims/?q=fleet",
        "/sources/",
        f"/families/{desk['family'].pk}/",
        "/search/?q=ferry",
        "/inbox/",
        "/jobs/",
        "/account/",
    ):
        page.goto(url)
        settle(page)
    assert violations == []


def test_htmx_swapping_an_element_placed_by_script_logs_no_csp_violation(
    page, sign_in, reviewer, violations
):
    """Scripts place elements with CSSOM properties (reader.js positions its floating controls
    so), which show as a ``style`` attribute. htmx settled ``style`` too: swapping such an
    element anew copied the attribute onto the new one with setAttribute, which the CSP
    refuses. Here the dashboard's results, placed as reader.js places its controls, are
    filtered (a real swap of that element)."""
    ArticleFactory(title="Eastport buses carry record numbers")
    sign_in(page, reviewer)
    page.goto("/")
    page.wait_for_function("() => window.htmx")
    page.evaluate("document.getElementById('article-results').style.top = '0px'")
    page.get_by_label("Search", exact=True).fill("Eastport")
    page.wait_for_url("**/?*q=Eastport*")
    settle(page)
    assert violations == []
