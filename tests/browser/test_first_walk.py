"""What a new fact-checker met on a first walk through the app, in a real Chromium: each test
holds one thing that got in their way and is fixed."""

import pytest

from annotations.models import Article, Claim, ClaimFamily, Job, Notification, Role, Verdict
from tests.browser.test_accessibility import assert_accessible
from tests.factories import ArticleFactory, CitationFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}
LONG_URL = "https://statistics.eastport.example/reports/ferry-patronage-annual-2024-final.pdf"


@pytest.fixture
def reviewer():
    return UserFactory(username="rosa", role=Role.REVIEWER)


def claim_in(text, by, title):
    article = ArticleFactory(title=title, body=text)
    return Claim.objects.create_from_selection(article, 0, len(text), text, by=by)


@pytest.fixture
def desk(reviewer):
    """A family of two claims whose figures disagree, a source they cite with a long address,
    and a job that failed on a long link: the tables on these pages are wider than a phone."""
    first = claim_in(
        "The harbour ferry carried 820,000 passengers in 2024.", reviewer, "Ferry ridership doubles"
    )
    second = claim_in(
        "The harbour ferry carried 615,000 passengers in 2024.", reviewer, "Ferry boom is smaller"
    )
    family = ClaimFamily.confirm(first, second, by=reviewer, seen=(None,) * 4)
    source = SourceFactory(title="Harbour ferry annual patronage report", url=LONG_URL)
    CitationFactory(claim=first, source=source)
    CitationFactory(claim=second, source=source)
    Job.objects.create(
        owner=reviewer,
        kind=Job.Kind.ARTICLE_LINK,
        title=f"Import the article at {LONG_URL}",
        status=Job.Status.FAILED,
        message="The host name statistics.eastport.example could not be found.",
    )
    return {"family": family, "source": source}


# Elements of the page's content reaching past the right edge of the screen, but for those in
# a box that scrolls sideways inside it (a table, a chart kept at a readable size) and those
# only screen readers get (a card table's column names: clipped to a pixel).
OUTSIDE_JS = """() => {
  const width = document.documentElement.clientWidth;
  const spared = (box) => {
    const style = getComputedStyle(box);
    return ["auto", "scroll"].includes(style.overflowX) || style.clipPath !== "none";
  };
  const inSparedBox = (el) => {
    for (let box = el.parentElement; box && box.tagName !== "MAIN"; box = box.parentElement) {
      if (spared(box)) return true;
    }
    return false;
  };
  return Array.from(document.querySelectorAll("main *"))
    .filter((el) => el.checkVisibility() && el.getBoundingClientRect().right > width + 0.5)
    .filter((el) => !inSparedBox(el))
    .map((el) => [el, el.getBoundingClientRect().right])
    .map(([el, right]) => `${el.tagName} "${el.textContent.trim().slice(0, 30)}" ${right}`);
}"""


@pytest.mark.parametrize("where", ["jobs", "sources", "source", "family", "claims"])
def test_pages_with_wide_tables_keep_a_phone_screens_width(
    page, sign_in, reviewer, desk, screenshot_dir, where
):
    """The jobs, sources, a source's, a family's and the claims pages grew as wide as their
    tables (or the claims table's bulk actions): the whole page then scrolled sideways and
    shrank, its header stopping half-way across."""
    url = {
        "jobs": "/jobs/",
        "sources": "/sources/",
        "source": f"/sources/{desk['source'].pk}/",
        "family": f"/families/{desk['family'].pk}/",
        "claims": "/claims/",
    }[where]
    sign_in(page, reviewer)
    page.set_viewport_size(PHONE)
    page.goto(url)
    page.screenshot(path=str(screenshot_dir / f"phone-{where}.png"), full_page=True)
    outside = page.evaluate(OUTSIDE_JS)
    assert outside == [], "\n".join(outside)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The table is still all there: it fits (as cards, on the jobs page) or scrolls sideways
    # inside the screen, never cut off.
    table = page.locator("main table").first
    assert table.evaluate(
        "(el) => el.scrollWidth <= el.clientWidth + 1"
        " || ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)"
    )


def test_form_controls_look_alike_on_the_sources_page_and_the_import_box(
    page, sign_in, reviewer, desk
):
    """The sources page's filters and the Import-from-URL box were the browser's bare
    controls: small grey type (13 px) in square boxes, beside the dashboard's 16 px ones."""
    sign_in(page, reviewer)
    look = "(el) => [getComputedStyle(el).fontSize, getComputedStyle(el).borderRadius]"
    page.goto("/")
    dashboard_search = page.locator("#dashboard-filters input[name=q]").evaluate(look)
    assert page.locator("#link-import input[name=url]").evaluate(look) == dashboard_search
    page.goto("/sources/")
    for control in page.locator(".source-filters input, .source-filters select").all():
        assert control.evaluate(look) == dashboard_search
    page.goto("/jobs/")
    assert page.locator("#link-import input[name=url]").evaluate(look) == dashboard_search


def test_the_dashboards_cards_stand_apart(page, sign_in, reviewer, desk):
    """The open conflicts, the Import-from-URL box and the filters were three cards glued
    together, their borders touching; the conflict badge was plain text."""
    sign_in(page, reviewer)
    page.goto("/")
    boxes = [
        page.locator(selector).bounding_box()
        for selector in (".open-conflicts", "#link-import", "#dashboard-filters")
    ]
    for above, below in zip(boxes, boxes[1:], strict=False):
        assert below["y"] - (above["y"] + above["height"]) >= 8
    badge = page.locator(".open-conflicts .badge.conflict").first
    assert badge.evaluate("(el) => getComputedStyle(el).borderRadius") == "999px"


def test_the_keyboard_skips_the_header_to_the_page(page, sign_in, reviewer, desk):
    """Every page began with the header's ten links and the search box: a keyboard user
    tabbed through all of them, on every page, to reach it."""
    sign_in(page, reviewer)
    page.goto("/sources/")
    skip = page.get_by_role("link", name="Skip to the content")
    assert not skip.is_visible() or skip.bounding_box()["y"] < 0  # out of sight until needed
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    assert skip.bounding_box()["y"] >= 0  # shown while it has the focus
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.closest('main') !== null, document.activeElement.name]"
    )
    assert focused == [True, "q"]  # the sources page's search box, the first thing on it


def test_app_pages_have_an_icon(page, sign_in, reviewer, desk):
    """Pages named no icon, so the browser asked for /favicon.ico on every page: a 404, an
    error in the console and a "Not Found" line in the server's log each time, and a blank
    tab."""
    sign_in(page, reviewer)
    for url in ("/", "/sources/", f"/families/{desk['family'].pk}/"):
        page.goto(url)
        icon = page.locator("head link[rel=icon]").get_attribute("href")
        answer = page.request.get(icon)
        assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml")


# The tick box's box and where its words start, in the window's coordinates.
TICK_AND_WORDS_JS = """(box) => {
  const walker = document.createTreeWalker(box.closest("li, label"), NodeFilter.SHOW_TEXT);
  let text;
  while ((text = walker.nextNode()) && !text.data.trim());
  const range = document.createRange();
  range.selectNodeContents(text);
  return {box: box.getBoundingClientRect().toJSON(), words: range.getClientRects()[0].toJSON()};
}"""


def test_tick_boxes_sit_beside_their_words(page, sign_in, reviewer):
    """On the publish page and in an article's details the tick boxes were stretched to half
    the form: the box floated in the middle, the claim or "This title is right" pushed to the
    far right."""
    editor = UserFactory(username="edda", role=Role.EDITOR)
    claim = claim_in("The ferry carried 615,000 passengers in 2024.", reviewer, "Ferry boom")
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(
        by=reviewer, version=claim.version, verdict=Verdict.objects.get(label="Accurate")
    )
    claim.approve(by=editor, version=claim.version)
    Article.objects.filter(pk=claim.article_id).update(title_inferred=True)
    sign_in(page, editor)
    page.goto(f"/articles/{claim.article_id}/publish/")
    ticks = {"publish page": page.locator(f"#publish-claim-{claim.pk}").evaluate(TICK_AND_WORDS_JS)}
    page.goto(f"/articles/{claim.article_id}/")
    page.get_by_role("link", name="Edit details").click()
    ticks["details"] = page.get_by_label("This title is right").evaluate(TICK_AND_WORDS_JS)
    for where, layout in ticks.items():
        assert layout["box"]["width"] < 30, where
        assert 0 <= layout["words"]["left"] - layout["box"]["right"] < 20, where


def test_the_inbox_shows_what_each_notification_is_about(page, sign_in, reviewer):
    """The inbox's titles ("You were mentioned", "A verdict awaits your review") were white
    on the page's near-white: the header's white Sign-out button style applied to them."""
    claim = claim_in("The ferry carried 615,000 passengers in 2024.", reviewer, "Ferry boom")
    Notification.objects.create(
        recipient=reviewer,
        kind=Notification.Kind.MENTIONED,
        claim=claim,
        article=claim.article,
        claim_text=claim.statement or claim.quote,
        text="@rosa can you check the operator's table?",
    )
    sign_in(page, reviewer)
    page.goto("/inbox/")
    colours = page.evaluate(
        """() => [".notification-kind", "main", ".topbar button.link"].map(
             (selector) => getComputedStyle(document.querySelector(selector)).color)"""
    )
    title, text, sign_out = colours
    assert title == text  # the page's ink, readable
    assert sign_out == "rgb(255, 255, 255)"  # the header's Sign out stays white on dark
    assert page.get_by_text("You were mentioned").is_visible()


def test_a_conflicts_chart_lets_screen_readers_reach_its_links(page, sign_in, reviewer, desk):
    """The conflict chart was an image holding links (axe: serious, nested-interactive): a
    screen reader heard none of the points' links, while the keyboard still stopped on each."""
    sign_in(page, reviewer)
    page.goto(f"/families/{desk['family'].pk}/")
    assert page.locator(".conflict-chart a.point").count() == 2
    assert_accessible(page, "a family's page with its conflict chart")


def test_an_original_files_text_scrolls_with_the_keyboard(page, sign_in, reviewer, desk):
    """The original file's text scrolls in a box of its own, which the keyboard could not
    reach (axe: serious, scrollable-region-focusable): the rest of a long file was out of
    reach without a mouse."""
    article = desk["family"].memberships.first().claim.article
    article.raw_text = "\n".join(f"Line {n} of the file as it was saved." for n in range(200))
    article.save(update_fields=["raw_text"])
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/original/")
    assert_accessible(page, "an article's original file")
    text = page.get_by_role("region", name="The file as imported").locator("pre")
    text.focus()
    page.keyboard.press("PageDown")
    page.wait_for_timeout(500)  # the browser scrolls smoothly
    assert text.evaluate("(el) => el.scrollTop") > 0
