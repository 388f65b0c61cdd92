"""Claiming the headline and the standfirst in a real Chromium: their words are selected like
the body's, the claim is highlighted where it was made and listed, and a reload keeps it."""

import pytest

from annotations.models import Claim
from tests.browser.conftest import mouse_drag
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADLINE = "300,000 predators on the prowl, police warn"
# An emoji before the selection: offsets count code points, not the browser's UTF-16 units.
STANDFIRST = "Specialists 🕵 say the figure counts every registered offender since 1997."

# Client rectangles of the first and last character of a text inside the element ``root_id``.
RECTS_JS = """([rootId, needle]) => {
  const root = document.getElementById(rootId);
  const index = root.textContent.indexOf(needle);
  const ends = [index, index + needle.length];
  const found = [null, null];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let seen = 0, node;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (!found[0] && ends[0] >= seen && ends[0] < seen + length) found[0] = [node, ends[0] - seen];
    if (!found[1] && ends[1] > seen && ends[1] <= seen + length) found[1] = [node, ends[1] - seen];
    seen += length;
  }
  const first = document.createRange();
  first.setStart(found[0][0], found[0][1]);
  first.setEnd(found[0][0], found[0][1] + 1);
  const last = document.createRange();
  last.setStart(found[1][0], found[1][1] - 1);
  last.setEnd(found[1][0], found[1][1]);
  const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
  return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
}"""


def drag_select(page, root_id, text):
    """Select ``text`` inside the element ``root_id`` with the mouse, as a person would: once
    the page's fonts are in (text measured before moves after), and once more if a late
    layout change moved the words under the drag, as a person would select again."""
    page.evaluate("document.fonts.ready.then(() => true)")
    for _ in range(2):
        box = page.evaluate(RECTS_JS, [root_id, text])
        mouse_drag(page, box)
        if page.evaluate("window.getSelection().toString()") == text:
            break
    assert page.evaluate("window.getSelection().toString()") == text


def claim_words(page, root_id, text, statement) -> Claim:
    drag_select(page, root_id, text)
    page.get_by_role("button", name="Add claim").click()
    panel = page.locator("#claim-panel")
    assert panel.locator("[data-role=quote]").inner_text() == text
    panel.get_by_label("Checkable statement").fill(statement)
    panel.get_by_role("button", name="Save claim").click()
    page.wait_for_selector("#claim-panel .alert.success")
    return Claim.objects.get(statement=statement)


def marked_text(page, root_id, claim) -> str:
    marks = page.locator(f'#{root_id} mark[data-claims~="{claim.pk}"]')
    return "".join(marks.all_inner_texts())


@pytest.fixture
def article():
    return ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)


def test_claim_a_headline(page, sign_in, reviewer, article, screenshot_dir):
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    claim = claim_words(
        page, "article-headline", "300,000 predators", "300,000 sex offenders are at large"
    )
    assert (claim.part, claim.start, claim.end, claim.quote) == (
        "headline",
        0,
        17,
        "300,000 predators",
    )
    # Highlighted in the headline, not in the body; listed with its statement.
    assert marked_text(page, "article-headline", claim) == "300,000 predators"
    assert page.locator(f'#article-body mark[data-claims~="{claim.pk}"]').count() == 0
    row = page.locator(f"#claim-item-{claim.pk}")
    assert "300,000 sex offenders are at large" in row.inner_text()
    assert page.locator("#claim-count").inner_text() == "1"

    page.reload()
    assert marked_text(page, "article-headline", claim) == "300,000 predators"
    assert page.locator("#claim-rows .claim-item").first.get_attribute("id") == (
        f"claim-item-{claim.pk}"
    )
    # A click on the headline's highlight opens the claim.
    page.locator(f'#article-headline mark[data-claims~="{claim.pk}"]').click()
    page.wait_for_selector(f'#claim-panel[data-claim-id="{claim.pk}"]')
    assert "In the headline:" in page.locator("#claim-panel").inner_text()
    page.mouse.move(0, 0)
    # The test server has no WebSocket for live updates: its "reconnecting" line is no part
    # of what is shown here.
    page.evaluate("document.getElementById('live-status')?.setAttribute('hidden', '')")
    page.screenshot(path=str(screenshot_dir / "headline-claim.png"))


def test_claim_a_standfirst_after_a_body_claim(page, sign_in, reviewer, article):
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    body_claim = claim_words(page, "article-body", "12.4 million", "12.4 million journeys")
    claim = claim_words(
        page, "article-standfirst", "every registered offender", "The count covers every offender"
    )
    start = STANDFIRST.index("every registered offender")  # in code points
    assert (claim.part, claim.start, claim.quote) == ("standfirst", start, claim.quote)
    assert claim.quote == "every registered offender"
    assert marked_text(page, "article-standfirst", claim) == "every registered offender"
    assert marked_text(page, "article-body", body_claim) == "12.4 million"
    # The list is in reading order: the standfirst's claim before the body's.
    ids = page.locator("#claim-rows .claim-item").evaluate_all("rows => rows.map(r => r.id)")
    assert ids == [f"claim-item-{claim.pk}", f"claim-item-{body_claim.pk}"]

    page.reload()
    assert marked_text(page, "article-standfirst", claim) == "every registered offender"
    assert page.locator("#claim-count").inner_text() == "2"
