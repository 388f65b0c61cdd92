"""Check-worthy suggestions in the reader: `n` jumps between them, `a` opens the claim form
prefilled (claimant from the attribution), `x` dismisses one and it stays dismissed."""

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Claim, SuggestionDismissal
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "\n\n".join(
    [
        "The harbour ferry will stop running after 9pm from March, the council said.",
        "Residents on the island were angry when they heard the news on Monday.",
        "Passenger numbers fell by a third last year, to 410,000, according to the Harbour "
        "Transport Authority.",
        "“We cannot keep an empty boat going at midnight,” said Dana Whitlock, the council’s "
        "transport lead, who estimates the late service costs £640,000 a year.",
    ]
)
CURRENT_JS = """() => {
  const current = CSS.highlights.get("suggestion-current");
  return current ? [...current][0].toString() : null;
}"""


def test_jump_accept_and_dismiss_suggestions(page, sign_in, reviewer, screenshot_dir):
    article = ArticleFactory(title="Night ferry cut as passengers fall by a third", body=BODY)
    # The headline and three sentences of the body (the angry residents are not suggested).
    assert article.suggestions.count() == 4
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    assert page.locator("#suggestion-count").inner_text() == "4"
    assert page.evaluate("CSS.highlights.get('suggestion').size") == 4

    page.keyboard.press("n")  # in reading order: the headline first
    assert page.evaluate(CURRENT_JS) == "Night ferry cut as passengers fall by a third"
    page.keyboard.press("n")
    assert page.evaluate(CURRENT_JS).startswith("The harbour ferry will stop")
    page.keyboard.press("n")
    assert page.evaluate(CURRENT_JS).startswith("Passenger numbers fell by a third")
    bar = page.locator("#suggestion-action")
    bar.wait_for(state="visible")
    assert "states a figure" in bar.inner_text()
    page.keyboard.press("n")
    assert page.evaluate(CURRENT_JS).startswith("“We cannot keep")
    page.screenshot(path=str(screenshot_dir / "reader-suggestion.png"))
    page.keyboard.press("Shift+N")
    assert page.evaluate(CURRENT_JS).startswith("Passenger numbers")

    # a: the claim form, prefilled; saved as it is.
    page.keyboard.press("a")
    panel = page.locator("#claim-panel")
    assert panel.get_by_label("Claimant", exact=True).input_value() == (
        "the Harbour Transport Authority"
    )
    assert panel.get_by_label("Category").input_value() == "statistic"
    assert (
        panel.get_by_label("Checkable statement")
        .input_value()
        .startswith("Passenger numbers fell by a third last year")
    )
    panel.get_by_role("button", name="Save claim").click()
    page.wait_for_selector("#claim-panel .alert.success")
    claim = Claim.objects.get()
    assert claim.claimant == "the Harbour Transport Authority"
    assert claim.quote.startswith("Passenger numbers fell by a third")
    # The count drops once the new highlight is drawn (after htmx settles the swapped text).
    expect(page.locator("#suggestion-count")).to_have_text("3")

    # x: dismissed, and still dismissed after a reload.
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    page.keyboard.press("n")
    assert page.evaluate(CURRENT_JS).startswith("The harbour ferry will stop")
    page.keyboard.press("x")
    page.wait_for_selector("#suggestions .notice")
    expect(page.locator("#suggestion-count")).to_have_text("2")
    dismissal = SuggestionDismissal.objects.get()
    assert dismissal.dismissed_by == reviewer
    assert dismissal.sentence.startswith("The harbour ferry will stop")
    page.reload()
    assert page.locator("#suggestion-count").inner_text() == "2"
    page.keyboard.press("n")
    page.keyboard.press("n")
    assert page.evaluate(CURRENT_JS).startswith("“We cannot keep")

    # Hidden: no underline and n does nothing, remembered after a reload.
    page.get_by_role("button", name="Hide suggestions").click()
    assert page.evaluate("CSS.highlights.has('suggestion')") is False
    page.reload()
    assert page.get_by_role("button", name="Show suggestions").get_attribute("aria-pressed") == (
        "true"
    )
    page.keyboard.press("n")
    assert page.evaluate(CURRENT_JS) is None


def test_a_selection_beside_the_current_suggestion_offers_one_add_button(page, sign_in, reviewer):
    """With a suggestion shown (n), selecting other words showed two "Add claim" buttons, the
    suggestion's and the selection's, each by its own words: which one adds what? While words
    are selected only the selection's button shows (a adds them, as it always did); once the
    selection is gone the suggestion's comes back, saying it adds the suggestion."""
    from tests.browser.test_reviewer_flow import drag_select

    article = ArticleFactory(title="Night ferry cut as passengers fall by a third", body=BODY)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    page.keyboard.press("n")
    page.keyboard.press("n")
    page.keyboard.press("n")
    assert page.evaluate(CURRENT_JS).startswith("Passenger numbers fell by a third")
    suggested = page.locator("#suggestion-action")
    suggested.wait_for(state="visible")
    adds = page.get_by_role("button", name=re.compile(r"^Add"))
    expect(adds).to_have_count(1)
    expect(adds).to_have_accessible_name(re.compile(r"^Add the suggestion as a claim"))

    drag_select(page, "Residents on the island were angry")
    expect(suggested).to_be_hidden()
    expect(adds).to_have_count(1)
    expect(adds).to_have_accessible_name(re.compile(r"^Add claim"))
    adds.click()
    panel = page.locator("#claim-panel")
    assert panel.locator("[data-role=quote]").inner_text() == ("Residents on the island were angry")

    # The selection is gone (the form has the focus): the suggestion offers itself again.
    suggested.wait_for(state="visible")
    expect(adds).to_have_count(1)
    expect(adds).to_have_accessible_name(re.compile(r"^Add the suggestion as a claim"))
    page.keyboard.press("Escape")  # out of the form's field: a is a shortcut again
    page.keyboard.press("a")
    assert (
        panel.locator("[data-role=quote]")
        .inner_text()
        .startswith("Passenger numbers fell by a third")
    )

    # n with words selected moves on to the next suggestion, whose button alone shows.
    page.keyboard.press("Escape")
    drag_select(page, "Residents on the island were angry")
    expect(adds).to_have_accessible_name(re.compile(r"^Add claim"))
    page.keyboard.press("n")
    suggested.wait_for(state="visible")
    expect(adds).to_have_count(1)
    expect(adds).to_have_accessible_name(re.compile(r"^Add the suggestion as a claim"))
