"""The claim panel in a real Chromium: typed work is never dropped without asking, a tapped
claim shows on a phone, and the sources section stays in view after a citation."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_reviewer_flow import BODY, drag_select
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "Discard what you typed in this claim?"


@pytest.fixture
def article():
    return ArticleFactory(title="Eastport buses carry record numbers", body=BODY)


@pytest.fixture
def claims(article):
    first = ClaimFactory(article=article, start=0, end=6, statement="Riders had a record year")
    at = BODY.index("12.4 million")
    second = ClaimFactory(article=article, start=at, end=at + 12, statement="12.4m passengers")
    return first, second


class Dialogs:
    """Answers the page's dialogs (confirm, beforeunload) and remembers what they said."""

    def __init__(self, page):
        self.seen = []
        self.accept = False
        page.on("dialog", self.answer)

    def answer(self, dialog):
        self.seen.append((dialog.type, dialog.message))
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()


def open_claim(page, claim):
    page.locator(f"#claim-item-{claim.pk}").click()
    expect(page.locator("#claim-panel")).to_have_attribute("data-claim-id", str(claim.pk))


def test_clicking_another_claim_asks_before_dropping_a_typed_comment(
    page, sign_in, reviewer, article, claims
):
    first, second = claims
    dialogs = Dialogs(page)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    open_claim(page, first)
    comment = page.locator("#claim-panel").get_by_label("Add a comment")
    comment.fill("The office's own report says 11.9 million")

    # Declined: the panel stays on the first claim with the comment as typed.
    page.locator(f"#claim-item-{second.pk}").click()
    assert dialogs.seen == [("confirm", QUESTION)]
    page.wait_for_timeout(300)
    expect(page.locator("#claim-panel")).to_have_attribute("data-claim-id", str(first.pk))
    expect(comment).to_have_value("The office's own report says 11.9 million")

    # A highlight in the text asks too; this time the reviewer discards.
    dialogs.accept = True
    page.locator(f'#article-body mark[data-claims~="{second.pk}"]').first.click()
    assert len(dialogs.seen) == 2
    expect(page.locator("#claim-panel")).to_have_attribute("data-claim-id", str(second.pk))

    # Nothing typed in the second claim: going back asks nothing.
    open_claim(page, first)
    assert len(dialogs.seen) == 2


def test_escape_and_enter_ask_before_dropping_a_new_claims_statement(
    page, sign_in, reviewer, article, claims
):
    first, _second = claims
    dialogs = Dialogs(page)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    drag_select(page, "3,000 people a day")
    page.keyboard.press("a")
    statement = page.locator("#claim-panel").get_by_label("Checkable statement")
    statement.fill("The hospital route carries 3,000 people a day")

    page.keyboard.press("Escape")  # leaves the field
    page.keyboard.press("Escape")  # would close the panel
    assert dialogs.seen == [("confirm", QUESTION)]
    expect(statement).to_have_value("The hospital route carries 3,000 people a day")

    page.keyboard.press("j")  # moves to a claim without opening it: no question
    assert len(dialogs.seen) == 1
    page.keyboard.press("Enter")  # would open that claim in the panel
    assert len(dialogs.seen) == 2
    page.wait_for_timeout(300)
    expect(page.locator("#claim-panel.panel-new")).to_be_visible()
    expect(statement).to_have_value("The hospital route carries 3,000 people a day")


def test_leaving_the_page_with_typed_work_asks_the_browser_question(
    page, sign_in, reviewer, article, claims
):
    first, _second = claims
    dialogs = Dialogs(page)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    open_claim(page, first)
    page.locator("#claim-panel").get_by_label("Add a comment").fill("Ask the transit office")

    page.evaluate("window.location.assign('/')")
    page.wait_for_timeout(500)
    assert [kind for kind, _ in dialogs.seen] == ["beforeunload"]
    assert page.url.endswith(f"/articles/{article.pk}/")
    expect(page.locator("#claim-panel").get_by_label("Add a comment")).to_have_value(
        "Ask the transit office"
    )


def test_no_question_after_the_typed_work_is_saved(page, sign_in, reviewer, article, claims):
    first, second = claims
    dialogs = Dialogs(page)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    open_claim(page, first)
    panel = page.locator("#claim-panel")
    panel.get_by_label("Add a comment").fill("Ask the transit office")
    panel.get_by_role("button", name="Comment").click()
    expect(panel.locator(".comment")).to_contain_text("Ask the transit office")

    open_claim(page, second)
    page.goto("/")
    assert dialogs.seen == []
