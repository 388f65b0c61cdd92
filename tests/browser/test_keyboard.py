"""Selecting text with the keyboard: a read-only caret in the article, then `a` adds the claim."""

import pytest

from annotations.models import Claim
from tests.browser.test_reviewer_flow import BODY
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db(transaction=True)

BODY_STATE_JS = """() => {
  const root = document.getElementById("article-body");
  return {text: root.textContent, html: root.innerHTML};
}"""


@pytest.fixture
def article():
    return ArticleFactory(title="Eastport buses carry record numbers", body=BODY)


def enter_caret_mode(page):
    page.keyboard.press("v")
    body = page.locator("#article-body")
    assert body.get_attribute("contenteditable") == "true"
    assert body.get_attribute("aria-readonly") == "true"
    assert page.evaluate("document.activeElement.id") == "article-body"
    assert page.get_by_role("button", name="select with the keyboard").get_attribute(
        "aria-pressed"
    ) == ("true")


def test_keyboard_selection_adds_a_claim_with_exact_offsets(
    page, sign_in, reviewer, article, screenshot_dir
):
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    enter_caret_mode(page)
    # The caret starts at the beginning of the article: "Riders 🚌 on the " is 16 caret
    # steps (the emoji is one), then two words are selected after an emoji and before Cyrillic.
    for _ in range(16):
        page.keyboard.press("ArrowRight")
    words = "Eastport «автобус»"
    for _ in range(len(words)):
        page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("window.getSelection().toString()") == words
    page.locator("#selection-action").wait_for(state="visible")
    page.screenshot(path=str(screenshot_dir / "reader-keyboard-selection.png"))

    page.keyboard.press("a")
    panel = page.locator("#claim-panel")
    assert panel.locator("[data-role=quote]").inner_text() == words
    # Adding the claim ends the mode: the article is plain text again.
    assert page.locator("#article-body").get_attribute("contenteditable") is None
    panel.get_by_label("Checkable statement").fill("The network is called Eastport")
    panel.get_by_role("button", name="Save claim").click()
    page.wait_for_selector("#claim-panel .alert.success")
    claim = Claim.objects.get()
    start = BODY.index(words)  # code points: the emoji before it counts once
    assert (claim.start, claim.end, claim.quote) == (start, start + len(words), words)
    # The body swapped in by htmx shows the new highlight, and the mode works on it again.
    assert page.locator(f'#article-body mark[data-claims="{claim.pk}"]').inner_text() == words
    page.evaluate("document.activeElement.blur()")
    enter_caret_mode(page)
    page.keyboard.press("Shift+End")
    assert page.evaluate("window.getSelection().toString()").strip()
    page.keyboard.press("Escape")
    assert page.locator("#article-body").get_attribute("contenteditable") is None
    assert page.get_by_role("button", name="select with the keyboard").get_attribute(
        "aria-pressed"
    ) == ("false")


def test_typing_in_keyboard_selection_mode_never_changes_the_article(
    page, context, sign_in, reviewer, article
):
    claim = ClaimFactory(article=article, start=0, end=6)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    before = page.evaluate(BODY_STATE_JS)
    page.get_by_role("button", name="select with the keyboard").click()
    assert page.evaluate("document.activeElement.id") == "article-body"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.type("xyz Hello")
    for key in ("Enter", "Backspace", "Delete", "Shift+Enter", " "):
        page.keyboard.press(key)
    for key in ("Control+x", "Control+z", "Control+b", "Control+Backspace"):
        page.keyboard.press(key)
    # Text committed by an input method, an IME composition, and a paste.
    page.keyboard.insert_text("漢字")
    cdp = context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "かな", "selectionStart": 2, "selectionEnd": 2})
    cdp.send("Input.insertText", {"text": "かな"})
    page.locator("#article-body").focus()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("navigator.clipboard.writeText('pasted text')")
    page.keyboard.press("Control+v")
    # Even a script's edit (no beforeinput) is put back.
    page.evaluate("document.execCommand('insertText', false, 'scripted')")
    page.wait_for_timeout(100)
    after = page.evaluate(BODY_STATE_JS)
    assert after["text"] == before["text"] == article.body
    assert after["html"] == before["html"]
    # The shortcuts still work in the mode, and nothing was saved.
    page.keyboard.press("j")
    assert "current" in page.locator(f"#claim-item-{claim.pk}").get_attribute("class")
    assert Claim.objects.count() == 1


def test_keyboard_selection_reaches_the_headline_and_adds_a_claim_there(
    page, sign_in, reviewer, article
):
    """Shift+Tab from the body puts the caret in the headline: a keyboard user can claim it."""
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    enter_caret_mode(page)
    headline = page.locator("#article-headline")
    assert headline.get_attribute("contenteditable") == "true"
    page.keyboard.press("Shift+Tab")  # the article has no standfirst: the headline
    assert page.evaluate("document.activeElement.id") == "article-headline"
    page.keyboard.press("Home")
    for _ in range(len("Eastport ")):
        page.keyboard.press("ArrowRight")
    words = "buses carry"
    for _ in range(len(words)):
        page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("window.getSelection().toString()") == words
    # Typing is refused in the headline as in the body.
    page.keyboard.type("zz")
    assert headline.inner_text() == article.title

    page.keyboard.press("a")
    panel = page.locator("#claim-panel")
    assert panel.locator("[data-role=quote]").inner_text() == words
    assert headline.get_attribute("contenteditable") is None  # the mode ended
    panel.get_by_label("Checkable statement").fill("Eastport buses carry record numbers")
    panel.get_by_role("button", name="Save claim").click()
    page.wait_for_selector("#claim-panel .alert.success")
    claim = Claim.objects.get()
    start = article.title.index(words)
    assert (claim.part, claim.start, claim.end, claim.quote) == (
        "headline",
        start,
        start + len(words),
        words,
    )
    assert page.locator(f'#article-headline mark[data-claims="{claim.pk}"]').inner_text() == words
