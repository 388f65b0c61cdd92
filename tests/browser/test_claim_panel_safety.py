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


@pytest.fixture
def dialogs(page, sign_in, reviewer, article, claims):
    """The reviewer reading the article with its two claims, the page's dialogs answered (and
    remembered) by a ``Dialogs``."""
    answered = Dialogs(page)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    return answered


def open_claim(page, claim):
    page.locator(f"#claim-item-{claim.pk}").click()
    expect(page.locator("#claim-panel")).to_have_attribute("data-claim-id", str(claim.pk))


def test_clicking_another_claim_asks_before_dropping_a_typed_comment(page, dialogs, claims):
    first, second = claims
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


def test_escape_and_enter_ask_before_dropping_a_new_claims_statement(page, dialogs, claims):
    first, _second = claims
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


def test_leaving_the_page_with_typed_work_asks_the_browser_question(page, dialogs, article, claims):
    first, _second = claims
    open_claim(page, first)
    page.locator("#claim-panel").get_by_label("Add a comment").fill("Ask the transit office")

    page.evaluate("window.location.assign('/')")
    page.wait_for_timeout(500)
    assert [kind for kind, _ in dialogs.seen] == ["beforeunload"]
    assert page.url.endswith(f"/articles/{article.pk}/")
    expect(page.locator("#claim-panel").get_by_label("Add a comment")).to_have_value(
        "Ask the transit office"
    )


def test_no_question_after_the_typed_work_is_saved(page, dialogs, claims):
    first, second = claims
    open_claim(page, first)
    panel = page.locator("#claim-panel")
    panel.get_by_label("Add a comment").fill("Ask the transit office")
    panel.get_by_role("button", name="Comment").click()
    expect(panel.locator(".comment")).to_contain_text("Ask the transit office")

    open_claim(page, second)
    page.goto("/")
    assert dialogs.seen == []


def test_an_edit_refused_as_stale_still_asks_and_an_empty_comment_does_not(page, dialogs, claims):
    first, second = claims
    open_claim(page, first)
    panel = page.locator("#claim-panel")

    # Nothing typed: a refused empty comment leaves nothing to lose.
    panel.get_by_role("button", name="Comment").click()
    page.wait_for_timeout(300)
    open_claim(page, second)
    assert dialogs.seen == []

    # An edit refused because the claim changed meanwhile comes back with the typed text in it.
    open_claim(page, first)
    panel.get_by_label("Checkable statement").fill("Typed while someone else saved")
    type(first).objects.filter(pk=first.pk).update(version=first.version + 1)
    panel.get_by_role("button", name="Save", exact=True).click()
    panel.get_by_text("Someone else saved this claim").wait_for()
    page.locator(f"#claim-item-{second.pk}").click()
    assert dialogs.seen == [("confirm", QUESTION)]
    expect(panel.get_by_label("Checkable statement")).to_have_value(
        "Typed while someone else saved"
    )


# --- A tapped claim on a phone ------------------------------------------------------------

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def long_article():
    """An article a phone shows over several screens, its first claim in the first lines."""
    filler = [
        f"Paragraph {n}: the council's transport committee heard evidence about the ferry "
        "timetable, the bus lanes on the ring road and the cost of the new hospital route."
        for n in range(1, 16)
    ]
    return ArticleFactory(
        title="Eastport buses carry record numbers", body="\n\n".join([BODY, *filler])
    )


def box_of(page, selector):
    return page.evaluate(
        """(selector) => {
          const box = document.querySelector(selector).getBoundingClientRect();
          return {top: box.top, bottom: box.bottom, height: window.innerHeight};
        }""",
        selector,
    )


def in_view(box) -> bool:
    return box["bottom"] > 0 and box["top"] < box["height"]


def test_on_a_phone_a_tapped_claim_brings_its_panel_into_view_and_back(
    page, sign_in, reviewer, long_article
):
    at = BODY.index("12.4 million")
    claim = ClaimFactory(article=long_article, start=at, end=at + 12)
    page.set_viewport_size(PHONE)
    sign_in(page, reviewer)
    page.goto(f"/articles/{long_article.pk}/")
    mark = page.locator(f'#article-body mark[data-claims~="{claim.pk}"]').first
    mark.scroll_into_view_if_needed()
    assert not in_view(box_of(page, "#claim-panel")), "the panel should start below the text"

    mark.click()
    heading = page.locator("#claim-panel").get_by_role("heading", name=f"Claim {claim.pk}")
    heading.wait_for()
    page.wait_for_timeout(300)
    assert in_view(box_of(page, "#claim-panel h2")), "the opened claim is out of sight"
    expect(heading).to_be_focused()

    back = page.locator("#claim-panel").get_by_role("link", name="Back to the text")
    back.click()
    assert in_view(box_of(page, f'#article-body mark[data-claims~="{claim.pk}"]'))
    expect(mark).to_be_focused()


def test_beside_the_text_opening_a_claim_moves_nothing(page, sign_in, reviewer, long_article):
    at = BODY.index("12.4 million")
    claim = ClaimFactory(article=long_article, start=at, end=at + 12)
    sign_in(page, reviewer)
    page.goto(f"/articles/{long_article.pk}/")
    mark = page.locator(f'#article-body mark[data-claims~="{claim.pk}"]').first
    mark.scroll_into_view_if_needed()
    before = page.evaluate("[window.scrollY, document.querySelector('.side').scrollTop]")

    mark.click()
    panel = page.locator("#claim-panel")
    expect(panel).to_have_attribute("data-claim-id", str(claim.pk))
    page.wait_for_timeout(300)
    assert page.evaluate("[window.scrollY, document.querySelector('.side').scrollTop]") == before
    expect(panel.get_by_role("link", name="Back to the text")).to_be_hidden()


# --- The sources section after a citation ---------------------------------------------------


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_after_adding_and_removing_a_citation_the_sources_stay_in_view(
    page, sign_in, reviewer, article, claims, viewport
):
    first, _second = claims
    if viewport:
        page.set_viewport_size(viewport)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    open_claim(page, first)
    panel = page.locator("#claim-panel")
    panel.get_by_text("Cite a source").click()
    panel.get_by_label("Title").fill("Eastport transit annual report")
    panel.get_by_label("URL").fill("https://transit.example/annual-report")
    panel.get_by_label("Quote from the source").fill("Passenger journeys: 12.4 million")
    panel.get_by_label("Note").fill("Table 3, page 12")
    panel.get_by_role("button", name="Add citation").click()
    panel.get_by_text("Source cited.").wait_for()
    page.wait_for_timeout(300)
    assert in_view(box_of(page, "#citations-title")), "the sources section went out of view"
    assert in_view(box_of(page, "#claim-panel .citations li"))

    panel.get_by_role("button", name="Remove").click()
    expect(panel.locator(".citations li")).to_have_count(0)
    page.wait_for_timeout(300)
    assert in_view(box_of(page, "#citations-title")), "the sources section went out of view"
