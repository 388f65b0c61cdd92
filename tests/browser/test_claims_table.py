"""The claims table in a real browser: filter it (the results swap in place and the address
follows), tick two claims of different articles and put them in a new family; axe-core finds
no serious accessibility violation before or after."""

import pytest

from annotations.models import Claim, FamilyMembership, Role
from tests.browser.test_accessibility import assert_accessible
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = [
    ("The Harbour Trust says 40,000 passengers took the Gull Island ferry in 2023.", "Gazette"),
    ("Gull Island ferries carried 40,000 people in 2023, the trust reports.", "Herald"),
    ("The Riverside library lent 12,000 books to schools last spring.", "Gazette"),
]


def claim_in(text, by, *, title):
    article = ArticleFactory(title=title, body=text)
    return Claim.objects.create_from_selection(article, 0, len(text), text, by=by)


def test_a_reviewer_filters_ticks_two_claims_and_puts_them_in_a_family(page, sign_in):
    reviewer = UserFactory(username="rowan", role=Role.REVIEWER)
    ferry, again, library = (
        claim_in(text, reviewer, title=f"{where}: {text[:30]}") for text, where in TEXTS
    )
    sign_in(page, reviewer)
    page.goto("/claims/")
    assert page.locator("tbody tr[id^=claim-row-]").count() == 3
    assert_accessible(page, "the claims table")

    # Typing filters in place after a pause; leaving the box does not ask again (a tick
    # made meanwhile would be lost to the same results drawn anew).
    page.get_by_label("Search", exact=True).fill("ferry")
    page.wait_for_url("**/claims/?q=ferry**")
    page.locator(f"#claim-row-{library.pk}").wait_for(state="detached")
    assert page.locator("tbody tr[id^=claim-row-]").count() == 2
    page.get_by_label("State", exact=True).select_option("to_do")  # a select filters at once
    page.wait_for_url("**state=to_do**")

    page.get_by_label(f"Claim #{ferry.pk}").check()
    page.get_by_label(f"Claim #{again.pk}").check()
    statement = page.get_by_label("Statement of a new family")
    statement.fill("The Gull Island ferry's 2023 passengers")
    statement.press("Enter")  # picks no action (the first one is Assign… to nobody)
    page.wait_for_timeout(500)
    assert "/claims/assign/" not in page.url and not page.locator(".bulk-report").count()
    page.get_by_role("button", name="Add to family").click()

    page.get_by_text("2 put in family").wait_for()
    family = FamilyMembership.objects.get(claim=ferry).family
    assert FamilyMembership.objects.get(claim=again).family == family
    assert family.statement == "The Gull Island ferry's 2023 passengers"
    assert "/claims/?q=ferry" in page.url  # the action did not change the address
    row = page.locator(f"#claim-row-{ferry.pk}")
    assert f"#{family.pk}" in row.inner_text()  # the table shows the family now
    assert_accessible(page, "the claims table with what the action did")
    page.get_by_role("link", name=f"Open family #{family.pk}").click()
    page.wait_for_url(f"**/families/{family.pk}/")
