"""The reviewer's day in a real Chromium: select text, add claims, cite, propose, approve."""

import pytest

from annotations.models import Citation, Claim, Role, Verdict
from tests.browser.conftest import mouse_drag
from tests.factories import ArticleFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "\n\n".join(
    [
        "Riders 🚌 on the Eastport «автобус» network had a record year, the transit office said.",
        "The fleet carried 12.4 million passengers last year, up 8% on the year before, and "
        "94% of buses ran on time, although riders’ groups put the figure at 81%.",
        "A new route to the hospital opened in May and now carries 3,000 people a day. "
        "Fares will rise by 2.5% in January.",
    ]
)

# Client rectangles of the first and last character of the n-th occurrence of a text.
RECTS_JS = """([needle, occurrence]) => {
  const root = document.getElementById("article-body");
  let index = -1;
  for (let i = 0; i <= occurrence; i++) index = root.textContent.indexOf(needle, index + 1);
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


def drag_select(page, text, occurrence=0):
    """Select ``text`` in the article with the mouse, as a person would."""
    box = page.evaluate(RECTS_JS, [text, occurrence])
    mouse_drag(page, box)
    assert page.evaluate("window.getSelection().toString()") == text


def add_claim(page, text, statement, *, keyboard=False, occurrence=0):
    drag_select(page, text, occurrence)
    if keyboard:
        page.keyboard.press("a")
    else:
        page.get_by_role("button", name="Add claim").click()
    panel = page.locator("#claim-panel")
    assert panel.locator("[data-role=quote]").inner_text() == text
    panel.get_by_label("Checkable statement").fill(statement)
    panel.get_by_role("button", name="Save claim").click()
    page.wait_for_selector("#claim-panel .alert.success")
    return Claim.objects.get(statement=statement)


@pytest.fixture
def article():
    return ArticleFactory(title="Eastport buses carry record numbers", body=BODY)


def reader(article):
    return f"/articles/{article.pk}/"


# What the reader shows of its claims: every text piece of the body (element, offset, claims,
# classes without the open claim's marker) and the claim list's rows and count.
READER_STATE = """() => {
  const classes = (el) => el.className.split(' ')
    .filter((name) => name && name !== 'current' && !name.startsWith('htmx-')).join(' ');
  return {
    body: Array.from(document.querySelectorAll('#article-body [data-s]'), (el) => [
      el.tagName, el.dataset.s, el.dataset.claims || '', classes(el), el.textContent]),
    rows: Array.from(document.querySelectorAll('#claim-rows .claim-item'), (el) => [
      el.id, classes(el), el.textContent]),
    count: document.querySelector('#claim-count').textContent,
  };
}"""


def assert_same_as_fresh_load(page, context, article):
    """The reader, updated in place by htmx, shows what a fresh load of it shows."""
    fresh = context.new_page()
    try:
        fresh.goto(reader(article))
        assert page.evaluate(READER_STATE) == fresh.evaluate(READER_STATE)
    finally:
        fresh.close()


def test_reviewer_flow_from_selection_to_approved_verdict(
    page, context, browser, live_server, sign_in, article, screenshot_dir
):
    proposer = UserFactory(username="edith", role=Role.EDITOR)
    approver = UserFactory(username="eamon", role=Role.EDITOR)
    sign_in(page, proposer)
    page.goto(reader(article))

    # An emoji and a non-Latin word come before the selection: offsets must not shift.
    first = add_claim(page, "12.4 million passengers", "The fleet carried 12.4m passengers")
    start = BODY.index("12.4 million passengers")
    assert (first.start, first.end) == (start, start + len("12.4 million passengers"))
    assert page.locator(f'#article-body mark[data-claims="{first.pk}"]').count() == 1

    # An overlapping claim, added with the keyboard shortcut.
    second = add_claim(page, "million passengers last year", "Ridership last year", keyboard=True)
    layered = page.locator(f'#article-body mark[data-claims="{first.pk} {second.pk}"]')
    assert layered.inner_text() == "million passengers"
    assert "layered" in layered.get_attribute("class")
    assert_same_as_fresh_load(page, context, article)

    # A click on the layered words asks which claim is meant.
    layered.click()
    chooser = page.locator("#claim-chooser")
    assert chooser.is_visible()
    assert chooser.get_by_role("menuitem").count() == 2
    chooser.get_by_role("menuitem").first.click()
    panel = page.locator("#claim-panel")
    panel.get_by_role("heading", name=f"Claim {first.pk}").wait_for()

    # Cite a new source with a quote from it.
    panel.get_by_text("Cite a source").click()
    panel.get_by_label("Title").fill("Eastport transit annual report")
    panel.get_by_label("URL").fill("https://transit.example/annual-report?utm_source=mail")
    panel.get_by_label("Quote from the source").fill("Passenger journeys: 12.4 million")
    panel.get_by_role("button", name="Add citation").click()
    panel.get_by_text("Source cited.").wait_for()
    citation = Citation.objects.get()
    assert citation.source.url == "https://transit.example/annual-report"
    assert citation.quote == "Passenger journeys: 12.4 million"

    # Propose a verdict; its proposer cannot approve it.
    accurate = Verdict.objects.get(label="Accurate")
    panel.locator("select[name=verdict]").select_option(label="Accurate")
    panel.get_by_label("Explanation").fill("Matches table 1 of the report.")
    panel.get_by_role("button", name="Propose verdict").click()
    panel.get_by_text("a second editor has to approve it").wait_for()
    assert panel.get_by_role("button", name="Approve verdict").is_disabled()
    assert_same_as_fresh_load(page, context, article)

    # A second editor approves it.
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    try:
        second_page = other.new_page()
        sign_in(second_page, approver)
        second_page.goto(f"/articles/{article.pk}/claims/{first.pk}/")
        second_page.get_by_role("button", name="Approve verdict").click()
        second_page.get_by_text("Approved by eamon").wait_for()
    finally:
        other.close()
    first.refresh_from_db()
    assert first.state == Claim.State.APPROVED and first.approved_by == approver

    # After a reload the highlight has the verdict's colour.
    page.reload()
    only_first = page.locator(f'#article-body mark[data-claims="{first.pk}"]')
    colour = only_first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgba(46, 125, 50, 0.3)", colour
    assert accurate.colour == "#2e7d32"

    # A few more claims in different states, for the screenshot.
    inaccurate = Verdict.objects.get(label="Inaccurate")
    on_time = BODY.index("94% of buses ran on time")
    ClaimFactory(
        article=article,
        start=on_time,
        end=on_time + len("94% of buses ran on time"),
        verdict=inaccurate,
        state=Claim.State.NEEDS_REVIEW,
        statement="94% of the city's buses ran on time",
    )
    route = BODY.index("now carries 3,000 people a day")
    ClaimFactory(
        article=article,
        start=route,
        end=route + len("now carries 3,000 people a day"),
        state=Claim.State.IN_PROGRESS,
        statement="The hospital route carries 3,000 people a day",
    )
    page.reload()
    page.locator(f"#claim-item-{first.pk}").click()
    page.locator("#claim-panel").get_by_role("heading", name=f"Claim {first.pk}").wait_for()
    page.screenshot(path=str(screenshot_dir / "reader.png"), full_page=False)


def test_stale_edit_in_a_second_tab_is_refused(page, context, sign_in, reviewer, article):
    claim = ClaimFactory(article=article, start=0, end=6, statement="Original statement")
    sign_in(page, reviewer)
    tab2 = context.new_page()
    for tab in (page, tab2):
        tab.goto(f"/articles/{article.pk}/claims/{claim.pk}/")
    page.locator("#claim-panel").get_by_label("Checkable statement").fill("Saved in tab one")
    page.locator("#claim-panel").get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved.").wait_for()

    panel2 = tab2.locator("#claim-panel")
    panel2.get_by_label("Checkable statement").fill("Typed in tab two")
    panel2.get_by_role("button", name="Save", exact=True).click()
    panel2.get_by_text("Someone else saved this claim").wait_for()
    assert "Saved in tab one" in panel2.locator(".newer").inner_text()
    assert panel2.get_by_label("Checkable statement").input_value() == "Typed in tab two"
    claim.refresh_from_db()
    assert claim.statement == "Saved in tab one"


def test_keyboard_moves_between_claims_and_shows_help(page, sign_in, reviewer, article):
    one = ClaimFactory(article=article, start=0, end=6)
    two = ClaimFactory(article=article, start=10, end=20)
    sign_in(page, reviewer)
    page.goto(reader(article))
    page.keyboard.press("j")
    assert "current" in page.locator(f"#claim-item-{one.pk}").get_attribute("class")
    page.keyboard.press("j")
    assert "current" in page.locator(f"#claim-item-{two.pk}").get_attribute("class")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.locator("#claim-panel").get_by_role("heading", name=f"Claim {one.pk}").wait_for()
    page.keyboard.press("Escape")
    assert page.locator("#claim-panel .placeholder").is_visible()
    page.keyboard.press("?")
    assert page.get_by_role("dialog").is_visible()
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog").is_visible()
    # Typing in a field is not a shortcut.
    page.locator(f"#claim-item-{one.pk}").click()
    field = page.locator("#claim-panel").get_by_label("Claimant", exact=True)
    field.fill("")
    field.type("jak")
    assert field.input_value() == "jak"


# Layout shifts on the page so far, as the browser scores them (0 when nothing moved).
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) total += entry.value;
  }).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve(total), 200);
})"""


def test_a_long_claim_list_fills_in_after_the_article_without_moving_it(
    page, sign_in, reviewer, article
):
    claims = [ClaimFactory(article=article, start=n * 3, end=n * 3 + 5) for n in range(40)]
    sign_in(page, reviewer)
    page.goto(reader(article))
    page.locator("#claim-rows:not(.pending)").wait_for()
    last = page.locator(f"#claim-item-{claims[-1].pk}")
    last.scroll_into_view_if_needed()
    assert last.is_visible()
    assert page.evaluate(LAYOUT_SHIFT) < 0.01
