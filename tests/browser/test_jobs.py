"""Work from links in a real Chromium, with the real job worker running: import an article
from a link served by a local test server and watch its progress; cite a source and see its
snapshot on the source's page."""

import pytest

from annotations.models import Article, Role, SourceSnapshot
from tests.factories import ClaimFactory, UserFactory
from tests.test_jobs import STORY
from tests.web_server import Page, serve

pytestmark = pytest.mark.django_db(transaction=True)


# Collects every text the job's progress region shows, as htmx swaps it in.
WATCH_PROGRESS = """() => {
  window.progressSeen = [];
  const record = () => {
    const region = document.querySelector('#job-progress');
    if (region) window.progressSeen.push(region.innerText.replace(/\\s+/g, ' ').trim());
  };
  record();
  new MutationObserver(record).observe(document.querySelector('main'),
                                       {childList: true, subtree: true, characterData: true});
}"""


def test_import_an_article_from_a_link_and_watch_its_progress(
    page, sign_in, loopback_allowed, run_jobs
):
    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    # A slow site: the job stays on "Fetching" for a few of the page's polls.
    with serve({"/news/ferry": Page(STORY, delay=3)}) as server:
        loopback_allowed(server)
        sign_in(page, reviewer)
        page.goto("/")
        page.get_by_label("Import from URL").fill(server.url("/news/ferry"))
        page.get_by_role("button", name="Import", exact=True).click()
        progress = page.locator("#job-progress")
        progress.get_by_text("Waiting").wait_for()
        assert progress.locator("progress").count() == 1
        page.evaluate(WATCH_PROGRESS)
        run_jobs()
        progress.get_by_text("Imported as article").wait_for()
    article = Article.objects.get()
    seen = page.evaluate("window.progressSeen")
    assert any(f"Running — Fetching {server.url('/news/ferry')}" in text for text in seen), seen
    assert progress.locator("progress").count() == 0  # finished: no bar, no more polling
    progress.get_by_role("link", name="Open the result").click()
    page.wait_for_url(f"**/articles/{article.pk}/")
    assert "Harbour ferry carries record numbers" in page.locator("h1").first.inner_text()


def test_cite_a_source_and_see_its_snapshot(page, sign_in, loopback_allowed, run_jobs):
    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    claim = ClaimFactory()
    report = Page(
        b"<html><head><title>Ferry statistics</title></head><body><main><h1>Ferry statistics"
        b"</h1><p>The harbour ferry carried 1,204,311 passengers in 2025, the port authority "
        b"counted, across 14,200 sailings.</p></main></body></html>"
    )
    with serve({"/stats": report}) as server:
        loopback_allowed(server)
        sign_in(page, reviewer)
        page.goto(f"/articles/{claim.article_id}/claims/{claim.pk}/")
        panel = page.locator("#claim-panel")
        panel.get_by_text("Cite a source").click()
        panel.get_by_label("Title").fill("Ferry statistics 2025")
        panel.get_by_label("URL").fill(server.url("/stats"))
        panel.get_by_role("button", name="Add citation").click()
        panel.get_by_text("Its page is being archived").wait_for()
        run_jobs()
    snapshot = SourceSnapshot.objects.get()
    # From the claim the reviewer is on to the source's page, where its snapshots are (the
    # panel linked only the live page, and the notice pointed at Jobs).
    panel.get_by_role("link", name="Snapshots of Ferry statistics 2025").click()
    page.wait_for_url(f"**/sources/{snapshot.source_id}/")
    row = page.locator("table.snapshots tbody tr").first
    assert "First copy of the page." in row.inner_text()
    row.get_by_text("Archived text").click()
    assert "1,204,311 passengers" in row.inner_text()
    assert row.get_by_role("link", name="Download").is_visible()


# --- On a phone -----------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}


def within_the_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_on_a_phone_the_jobs_list_shows_why_a_job_failed(page, sign_in, loopback_allowed, run_jobs):
    """The jobs table scrolled sideways on a phone: the first column filled the screen and a
    failed import's reason sat past its right edge, with nothing saying it was there. Each
    job is now a card, every cell on a line of its own under its column's name."""
    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    page.set_viewport_size(PHONE)
    with serve({}) as server:  # every address answers 404
        loopback_allowed(server)
        sign_in(page, reviewer)
        page.goto("/")
        page.get_by_label("Import from URL").fill(server.url("/news/a-rather-long-story-name"))
        page.get_by_role("button", name="Import", exact=True).click()
        page.locator("#job-progress").wait_for()
        page.goto("about:blank")
        run_jobs()
    page.goto("/jobs/")
    row = page.locator("table.jobs tbody tr").first
    reason = row.get_by_text("answered 404")
    assert reason.is_visible()
    assert within_the_screen(reason), reason.bounding_box()
    assert within_the_screen(row.get_by_text("Failed", exact=True))
    # Each value says which column it is (the names are drawn before the cells).
    names = row.evaluate(
        "row => [...row.cells].map(cell => getComputedStyle(cell, '::before').content)"
    )
    assert names[1:] == ['"State: "', '"Progress: "', '"Started by: "', '"When: "'], names
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_phone_a_sources_snapshots_say_whether_the_page_changed(
    page, sign_in, loopback_allowed
):
    """The snapshots table ran past a phone's screen: whether the page's text changed since
    the previous copy, and the links to the files, were off its right edge."""
    from annotations import snapshots
    from tests.factories import SourceFactory

    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    pages = {
        "/stats": Page(b"<html><body><p>The ferry carried 1,204,311 people.</p></body></html>")
    }
    with serve(pages) as server:
        loopback_allowed(server)
        source = SourceFactory(url=server.url("/stats"))
        snapshots.archive_link(source, by=reviewer)
        pages["/stats"] = Page(
            b"<html><body><p>The ferry carried 1,304,311 people.</p></body></html>"
        )
        snapshots.archive_link(source, by=reviewer)
    page.set_viewport_size(PHONE)
    sign_in(page, reviewer)
    page.goto(f"/sources/{source.pk}/")
    newest = page.locator("table.snapshots tbody tr").first
    changed = newest.get_by_text("The page's text changed")
    assert changed.is_visible() and within_the_screen(changed), changed.bounding_box()
    assert within_the_screen(newest.get_by_role("link", name="Download"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
