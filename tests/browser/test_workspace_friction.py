"""Daily friction in the reader, in a real Chromium: where focus goes after a save, where the
floating Add-claim button sits, the suggested category, and the header on a phone."""

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Claim, Role
from tests.browser.test_reviewer_flow import BODY, RECTS_JS, drag_select
from tests.factories import ArticleFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}

# The Add-claim button's box and the selection's line boxes, in the window's coordinates.
ACTION_AND_SELECTION_JS = """() => {
  const action = document.getElementById("selection-action");
  const selection = window.getSelection();
  const lines = selection.rangeCount
    ? Array.from(selection.getRangeAt(0).getClientRects()).filter((r) => r.width && r.height)
    : [];
  const box = action.getBoundingClientRect();
  return {
    hidden: action.hidden,
    box: {left: box.left, top: box.top, right: box.right, bottom: box.bottom},
    lines: lines.map((r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom})),
    viewport: {width: document.documentElement.clientWidth, height: window.innerHeight},
  };
}"""


def overlaps(a, b) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


def assert_beside_the_selection(state):
    assert not state["hidden"], "the Add-claim button should show once the mouse is released"
    assert state["lines"], "nothing is selected"
    for line in state["lines"]:
        assert not overlaps(state["box"], line), f"the button {state['box']} covers {line}"
    box, viewport = state["box"], state["viewport"]
    assert box["left"] >= 0 and box["right"] <= viewport["width"]
    assert box["top"] >= 0 and box["bottom"] <= viewport["height"], "the button is out of sight"


@pytest.fixture
def article():
    return ArticleFactory(title="Eastport buses carry record numbers", body=BODY)


def reader(article):
    return f"/articles/{article.pk}/"


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


# --- Focus after saving -------------------------------------------------------------------


def test_after_saving_a_new_claim_focus_is_on_that_claim(page, sign_in, reviewer, article):
    sign_in(page, reviewer)
    page.goto(reader(article))
    drag_select(page, "12.4 million passengers")
    page.keyboard.press("a")
    panel = page.locator("#claim-panel")
    panel.get_by_label("Checkable statement").fill("The fleet carried 12.4m passengers")
    # A keyboard user sends the form from its button.
    panel.get_by_role("button", name="Save claim").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#claim-panel .alert.success")
    claim = Claim.objects.get()
    expect(page.locator(f"#claim-item-{claim.pk}")).to_be_focused()
    assert "current" in page.locator(f"#claim-item-{claim.pk}").get_attribute("class")
    # …and carries on from there: Enter opens it again, j moves to the next claim.
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#claim-panel[data-claim-id="{claim.pk}"] .details-form')


def test_after_saving_an_edit_focus_returns_to_the_claim(page, sign_in, reviewer, article):
    first = ClaimFactory(article=article, start=0, end=6)
    claim = ClaimFactory(article=article, start=BODY.index("12.4"), end=BODY.index("12.4") + 12)
    sign_in(page, reviewer)
    page.goto(reader(article))
    page.locator(f"#claim-item-{claim.pk}").click()
    panel = page.locator(f'#claim-panel[data-claim-id="{claim.pk}"]')
    placeholder = page.get_by_text("Its figures, and the same claim in other articles")
    expect(placeholder).to_have_count(0)  # the panel's related claims have loaded
    # The redrawn panel loads its related claims again; hold that answer until after k.
    held = []
    page.route(re.compile(r"/claims/\d+/related/"), lambda route: held.append(route))
    panel.get_by_label("Claimant", exact=True).fill("Transit office")
    panel.locator(".details-form").get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#claim-panel .alert.success")
    expect(page.locator(f"#claim-item-{claim.pk}")).to_be_focused()
    claim.refresh_from_db()
    assert claim.claimant == "Transit office"
    # k moves to the claim before it in the list: the place was kept.
    page.keyboard.press("k")
    first_row = page.locator(f"#claim-item-{first.pk}")
    expect(first_row).to_have_class(re.compile(r"\bcurrent\b"))
    # The panel's part arriving late does not take the reader back to the open claim.
    page.wait_for_timeout(100)
    assert held, "the redrawn panel did not ask for its related claims"
    for route in held:
        route.continue_()
    expect(placeholder).to_have_count(0)
    expect(first_row).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator(f"#claim-item-{claim.pk}")).not_to_have_class(re.compile(r"\bcurrent\b"))


# --- The floating Add-claim button ------------------------------------------------------------


def test_add_claim_button_waits_for_the_mouse_and_never_covers_the_selection(
    page, sign_in, reviewer, article
):
    sign_in(page, reviewer)
    page.goto(reader(article))
    text = "on time, although riders’ groups put the figure at 81%."  # over two lines
    box = page.evaluate(RECTS_JS, [text, 0])
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    for step in range(1, 9):
        fraction = step / 8
        page.mouse.move(
            box["x1"] + (box["x2"] - box["x1"]) * fraction,
            box["y1"] + (box["y2"] - box["y1"]) * fraction,
        )
        page.wait_for_timeout(40)  # a frame for the selectionchange handler
        state = page.evaluate(ACTION_AND_SELECTION_JS)
        # While the selection is drawn, the button would sit on the line being reached.
        assert state["hidden"], f"the button showed while dragging, at step {step}"
    page.mouse.up()
    page.wait_for_timeout(40)
    assert page.evaluate("window.getSelection().toString()") == text
    state = page.evaluate(ACTION_AND_SELECTION_JS)
    assert len({line["top"] for line in state["lines"]}) >= 2
    assert_beside_the_selection(state)


def test_add_claim_button_goes_above_a_selection_at_the_bottom_of_the_window(
    page, sign_in, reviewer
):
    body = "\n\n".join([BODY] * 6)
    long_article = ArticleFactory(title="Eastport buses, the long read", body=body)
    sign_in(page, reviewer)
    page.set_viewport_size({"width": 1200, "height": 600})
    page.goto(reader(long_article))
    target = "Fares will rise by 2.5% in January."
    # Scroll so that the words (their fourth time) sit on the window's last line.
    place = page.evaluate(RECTS_JS, [target, 3])
    page.evaluate("(by) => window.scrollBy(0, by)", place["y2"] + 30 - 600)
    drag_select(page, target, occurrence=3)
    page.wait_for_timeout(40)
    assert_beside_the_selection(page.evaluate(ACTION_AND_SELECTION_JS))


# --- The suggested category -------------------------------------------------------------------


def test_a_figure_in_the_selection_suggests_statistic_without_moving_focus(
    page, sign_in, reviewer, article
):
    sign_in(page, reviewer)
    page.goto(reader(article))
    drag_select(page, "12.4 million passengers")
    page.keyboard.press("a")
    panel = page.locator("#claim-panel")
    hint = panel.locator("[data-role=category-suggestion]")
    hint.wait_for()
    assert hint.inner_text() == "Suggested: the quote states a figure (“12.4 million”)."
    assert panel.get_by_label("Category").input_value() == "statistic"
    assert focused_id(page) == "id_statement"  # the reviewer types on, undisturbed
    panel.get_by_label("Checkable statement").fill("12.4m passengers")
    panel.get_by_role("button", name="Save claim").click()
    page.wait_for_selector("#claim-panel .alert.success")
    assert Claim.objects.get().category == Claim.Category.STATISTIC


def test_words_without_a_figure_keep_the_default_category(page, sign_in, reviewer, article):
    sign_in(page, reviewer)
    page.goto(reader(article))
    drag_select(page, "the transit office said")
    # The answer to the suggestion request comes, and changes nothing.
    with page.expect_response(lambda response: "/claims/new/?" in response.url) as answer:
        page.keyboard.press("a")
    assert answer.value.ok
    panel = page.locator("#claim-panel")
    expect(panel.locator("#new-claim-category")).not_to_have_attribute("hx-get", re.compile("."))
    assert panel.get_by_label("Category").input_value() == "other"
    assert panel.locator("[data-role=category-suggestion]").count() == 0


# --- The header on a phone --------------------------------------------------------------------

HEADER_OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const header = document.querySelector(".topbar");
  const outside = Array.from(header.querySelectorAll("*"))
    .filter((el) => el.getClientRects().length)
    .map((el) => [el.tagName + "." + el.className, el.getBoundingClientRect()])
    .filter(([, r]) => r.left < 0 || r.right > width + 0.5)
    .map(([name, r]) => `${name} ${Math.round(r.left)}–${Math.round(r.right)}`);
  return {width, scrollWidth: header.scrollWidth, outside,
          pageScrollWidth: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("where", ["dashboard", "reader"])
def test_the_header_fits_a_phone_screen(page, sign_in, article, screenshot_dir, where):
    # The widest header: an admin (every link) known by a long name without a space in it.
    admin = UserFactory(username="maximiliane_featherstonehaugh_oyelaran_1987", role=Role.ADMIN)
    sign_in(page, admin)
    page.set_viewport_size(PHONE)
    page.goto("/" if where == "dashboard" else reader(article))
    page.screenshot(path=str(screenshot_dir / f"header-phone-{where}.png"))
    state = page.evaluate(HEADER_OVERFLOW_JS)
    assert state["width"] == PHONE["width"]
    assert not state["outside"], f"header parts outside a {PHONE['width']} px screen: {state}"
    assert state["scrollWidth"] <= PHONE["width"]
    assert state["pageScrollWidth"] <= PHONE["width"], "the page scrolls sideways"
    # Everything in it can still be reached.
    for name in ("Articles", "Sources", "Admin", "Password", "Sign out"):
        control = (
            page.locator(".topbar")
            .get_by_role("link", name=name)
            .or_(page.locator(".topbar").get_by_role("button", name=name))
        )
        assert control.is_visible()
