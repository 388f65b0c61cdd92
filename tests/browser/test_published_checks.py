"""Published fact-checks in a real browser: an admin uploads saved fact-check pages and a feed
on the admin page; a reviewer opening a claim sees who already checked it and cites that
fact-check in one click (the panel redraws with the new source)."""

from pathlib import Path

import pytest

from annotations.models import Citation, Claim, PublishedReview, Role, Source
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claimreview"
FLOODED = "https://coastlinecheck.example/fact-checks/arden-valley-flooded-homes"
TEXT = "Arden County Council said 4,500 homes were flooded in the Arden valley in January."


def test_an_admin_uploads_fact_checks_and_a_reviewer_cites_the_match_from_the_panel(
    page, sign_in, screenshot_dir
):
    admin = UserFactory(username="ada", role=Role.ADMIN)
    reviewer = UserFactory(username="rowan", role=Role.REVIEWER)
    sign_in(page, admin)
    page.goto("/admin/annotations/publishedreview/")
    page.get_by_role("link", name="Import published fact-checks").click()
    files = [FIXTURES / "feed.json", *sorted((FIXTURES / "pages").iterdir())]
    page.set_input_files("#id_files", [str(path) for path in files])
    page.get_by_role("button", name="Import").click()
    summary = page.locator(".import-summary")
    summary.wait_for()
    assert "6 created" in summary.inner_text()
    assert "SKIPPED ordinary_news_page.html" in page.locator("#import-results").inner_text()
    assert PublishedReview.objects.count() == 6

    article = ArticleFactory(title="Storm damage counted", body=TEXT)
    claim = Claim.objects.create_from_selection(article, 0, len(TEXT), TEXT, by=reviewer)
    page.context.clear_cookies()
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/claims/{claim.pk}/")
    review = PublishedReview.objects.get(url=FLOODED)
    check = page.locator(f"#published-check-{review.pk}")
    check.wait_for()  # the region loads after the panel is drawn
    link = check.get_by_role("link", name="Checked by Coastline Check on 2024-03-02: Misleading")
    assert link.get_attribute("href") == FLOODED
    check.screenshot(path=str(screenshot_dir / "published-check.png"))
    check.get_by_role("button", name="Cite as source").click()
    page.get_by_text("Coastline Check fact-check cited as a source.").wait_for()
    citations = page.locator("#claim-panel ul.citations")
    assert "Were 4,500 homes flooded in the Arden valley?" in citations.inner_text()
    # The region, drawn again with the panel, says so instead of offering it again.
    page.locator(f"#published-check-{review.pk}", has_text="Cited as a source.").wait_for()
    source = Source.objects.get(url=FLOODED)
    assert Citation.objects.filter(claim=claim, source=source).count() == 1


def test_jumping_to_a_suggested_sentence_shows_who_already_checked_it(page, sign_in):
    from django.core.management import call_command

    reviewer = UserFactory(username="rowan", role=Role.REVIEWER)
    call_command("import_fact_checks", str(FIXTURES / "pages"), "--no-progress", stdout=None)
    after = "Bus fares in Riverside rose by 20% last year, the operator said."
    body = f"The storms came in January.\n\n{TEXT}\n\n{after}"
    article = ArticleFactory(title="After the storms", body=body)
    sign_in(page, reviewer)
    page.goto(f"/articles/{article.pk}/")
    bar = page.locator("#suggestion-action")
    checks = page.locator("#suggestion-checks")
    for _ in range(article.suggestions.count()):
        page.keyboard.press("n")
        bar.wait_for(state="visible")
        if "4,500 homes" in page.evaluate(
            "() => [...CSS.highlights.get('suggestion-current')][0].toString()"
        ):
            break
    link = checks.get_by_role("link", name="Checked by Coastline Check on 2024-03-02: Misleading")
    link.wait_for()
    assert link.get_attribute("href") == FLOODED
    # The next sentence was checked by nobody: the line goes.
    page.keyboard.press("n")
    assert page.evaluate(
        "() => [...CSS.highlights.get('suggestion-current')][0].toString()"
    ).startswith("Bus fares")
    page.wait_for_function("() => !document.querySelector('#suggestion-checks a')")
