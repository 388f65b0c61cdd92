"""The reader loads htmx after the article's first frame. What a reviewer does before it has
arrived waits for it: nothing is lost and the page is not left for a bare form post."""

import pytest

from annotations.models import Comment
from tests.browser.test_reviewer_flow import BODY
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def claim():
    article = ArticleFactory(title="Eastport buses carry record numbers", body=BODY)
    return ClaimFactory(article=article, statement="Buses carried a record number of riders")


class HeldHtmx:
    """From ``hold()`` on, requests for htmx's script wait until ``release()``."""

    def __init__(self, page):
        self.page, self.routes = page, []

    def hold(self):
        self.page.route("**/django_htmx/**", lambda route: self.routes.append(route))

    def wait_until_requested(self):
        for _ in range(500):
            if self.routes:
                return
            self.page.wait_for_timeout(10)
        raise AssertionError("the reader never asked for htmx")

    def release(self):
        for route in self.routes:
            route.continue_()


@pytest.fixture
def held_htmx(page, sign_in, reviewer):
    sign_in(page, reviewer)  # the sign-in page loads htmx at once
    held = HeldHtmx(page)
    held.hold()
    return held


def test_a_claim_clicked_before_htmx_arrives_opens_once_it_has(page, claim, held_htmx):
    page.goto(f"/articles/{claim.article_id}/")
    # The article and its highlight are there before htmx is.
    assert page.locator("#article-body mark").count() == 1
    held_htmx.wait_until_requested()
    assert page.evaluate("typeof window.htmx") == "undefined"
    page.evaluate("window.stillTheSamePage = true")

    page.locator(f"#claim-item-{claim.pk}").click()
    page.wait_for_timeout(100)
    assert page.locator("#claim-panel[data-claim-id]").count() == 0

    held_htmx.release()
    page.locator(f"#claim-panel[data-claim-id='{claim.pk}']").wait_for()
    assert page.get_by_label("Checkable statement").input_value() == claim.statement
    assert page.evaluate("window.stillTheSamePage") is True


def test_a_form_sent_before_htmx_arrives_is_sent_by_htmx(page, claim, held_htmx):
    # The claim's own address: the reader with the claim's panel already open.
    page.goto(f"/articles/{claim.article_id}/claims/{claim.pk}/")
    held_htmx.wait_until_requested()
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Add a comment").fill("The timetable says otherwise")
    page.get_by_role("button", name="Comment").click()
    page.wait_for_timeout(100)
    assert not Comment.objects.exists()
    assert page.url.endswith(f"/claims/{claim.pk}/")

    held_htmx.release()
    page.locator("#claim-panel .comment").get_by_text("The timetable says otherwise").wait_for()
    assert Comment.objects.get().body == "The timetable says otherwise"
    assert page.evaluate("window.stillTheSamePage") is True


def test_without_htmx_a_claim_opens_as_its_own_page(page, sign_in, reviewer, claim):
    """If htmx cannot be loaded, the reader still works, as plain links and forms."""
    sign_in(page, reviewer)
    page.route("**/django_htmx/**", lambda route: route.abort())
    page.goto(f"/articles/{claim.article_id}/")
    page.locator(f"#claim-item-{claim.pk}").click()
    page.wait_for_url(f"**/claims/{claim.pk}/")
    assert page.get_by_label("Checkable statement").input_value() == claim.statement
