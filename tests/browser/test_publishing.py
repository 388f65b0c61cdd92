"""Publishing in a real Chromium: edit an article's details in the reader's header, publish it,
read its public page signed out (only what was published), correct a published verdict and see
the correction on the public page, in the PDF report and in ClaimReview's dateModified. Takes
the README's screenshot of a public page."""

import json

import pytest
from django.utils import timezone
from pypdf import PdfReader

from annotations.models import Article, Claim, Publisher, Role, Verdict
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "\n\n".join(
    [
        "Eastport's harbour ferry carried 820,000 passengers in 2024, twice as many as in 2023, "
        "the council said on Monday.",
        "The service now covers 85% of its running costs from fares, according to the "
        "council's transport committee.",
        "The mayor said the ferry would need no subsidy by 2027.",
    ]
)


def span(text):
    start = BODY.index(text)
    return {"start": start, "end": start + len(text), "quote": text}


def approved(article, text, statement, verdict, proposer, approver, source_title):
    claim = ClaimFactory(article=article, statement=statement, claimant="Eastport council",
                         **span(text))  # fmt: skip
    CitationFactory(
        claim=claim,
        source__title=source_title,
        source__url=f"https://eastport.example/{source_title.lower().replace(' ', '-')}",
        source__archive_url="https://archive.example/eastport-report",
        quote="Passenger journeys 2024: 820,000 (2023: 410,000).",
        locator="Table 3",
    )
    claim.refresh_from_db()
    claim.propose_verdict(
        by=proposer,
        version=claim.version,
        verdict=Verdict.objects.get(label=verdict),
        explanation="The council's annual patronage report gives the same figures.",
    )
    claim.approve(by=approver, version=claim.version)
    return claim


@pytest.fixture
def people():
    return {
        "reviewer": UserFactory(
            username="rita", first_name="Rita", last_name="Mendes", role=Role.REVIEWER
        ),
        "editor": UserFactory(
            username="edith", first_name="Edith", last_name="Cole", role=Role.EDITOR
        ),
        "editor2": UserFactory(username="eamon", role=Role.EDITOR),
    }


def test_edit_publish_read_signed_out_and_correct(
    page, browser, live_server, sign_in, people, screenshot_dir, download_from_job
):
    article = ArticleFactory(
        title="The harbour ferry carried twice as many passengers",
        title_inferred=True,
        publisher="",
        body=BODY,
        raw_text=BODY,
    )
    ferry = approved(
        article,
        "carried 820,000 passengers in 2024, twice as many as in 2023",
        "The harbour ferry carried 820,000 passengers in 2024, twice as many as in 2023.",
        "Accurate",
        people["reviewer"],
        people["editor"],
        "Ferry patronage report 2024",
    )
    fares = approved(
        article,
        "covers 85% of its running costs from fares",
        "Fares cover 85% of the ferry's running costs.",
        "Misleading",
        people["reviewer"],
        people["editor"],
        "Transport committee budget papers",
    )
    opinion = ClaimFactory(article=article, **span("would need no subsidy by 2027"))
    opinion.dismiss(by=people["reviewer"], version=opinion.version, reason="A prediction.")

    # 1. A reviewer edits the details in the reader's header.
    sign_in(page, people["reviewer"])
    page.goto(f"/articles/{article.pk}/")
    page.get_by_role("link", name="Edit details").click()
    details = page.locator("#article-details")
    details.get_by_label("Title", exact=True).fill("Harbour ferry passengers doubled, council says")
    details.get_by_label("URL").fill("https://Eastport-Gazette.example/news/ferry?utm_source=x")
    details.get_by_label("Publisher", exact=True).fill("Eastport Gazette")
    details.get_by_text("A new publisher? Its home page and country").click()
    details.get_by_label("New publisher's home page").fill("https://eastport-gazette.example/")
    details.get_by_label("New publisher's country").select_option(label="United Kingdom")
    details.get_by_label("Author (byline)").fill("Ana Lima")
    details.get_by_label("Publication date").fill("2025-02-03")
    details.get_by_label("Language").select_option(label="English")
    details.get_by_role("button", name="Save details").click()
    page.get_by_text("Details saved.").wait_for()
    header = page.locator("#article-details")
    assert "Harbour ferry passengers doubled, council says" in header.inner_text()
    assert "inferred title" not in header.inner_text()  # changing it confirmed it
    assert "Eastport Gazette" in header.inner_text() and "3 February 2025" in header.inner_text()
    article.refresh_from_db()
    assert article.url == "https://eastport-gazette.example/news/ferry"
    assert article.publisher == Publisher.objects.get(name="Eastport Gazette", country="GB")
    # The state, loaded into the header: every claim approved or dismissed.
    page.locator("#article-publication").get_by_text("Ready to publish").wait_for()

    # 2. An editor publishes, after the confirmation page.
    editor_context = browser.new_context(base_url=live_server.url)
    editor_page = editor_context.new_page()
    sign_in(editor_page, people["editor"])
    editor_page.goto(f"/articles/{article.pk}/")
    editor_page.locator("#article-publication").get_by_role("link", name="Publish…").click()
    editor_page.get_by_text("anyone can read without signing in").wait_for()
    assert editor_page.get_by_label(ferry.statement).is_checked()
    assert editor_page.get_by_label(fares.statement).is_checked()
    editor_page.get_by_role("button", name="Publish the fact-check").click()
    editor_page.get_by_text("Published: the fact-check is online").wait_for()
    article.refresh_from_db()
    assert article.review_state == Article.State.PUBLISHED
    public_url = f"/fact-checks/{article.slug}/"
    assert article.slug == "harbour-ferry-passengers-doubled-council-says"  # from the title

    # Work started after publication stays internal.
    draft = ClaimFactory(
        article=article,
        statement="A draft about the timetable nobody has checked",
        **span("the council said on Monday"),
    )
    assert draft.state == Claim.State.TO_DO

    # 3. Anyone reads the public page, signed out: only what was published.
    reader_context = browser.new_context(base_url=live_server.url)
    reader = reader_context.new_page()
    reader.goto(public_url)
    assert reader.url.endswith(public_url)  # no sign-in page in between
    text = reader.locator("main").inner_text()
    assert "Harbour ferry passengers doubled, council says" in text
    assert ferry.statement in text and fares.statement in text
    assert "Accurate" in text and "Misleading" in text
    assert "Ferry patronage report 2024" in text and "archived copy" in text
    assert "Rita Mendes, fact-checker" in text and "Edith Cole, editor" in text
    for hidden in (draft.statement, "would need no subsidy", "A prediction.", "rita", "edith"):
        assert hidden not in text, hidden
    assert "No correction since publication." in text
    # ClaimReview, embedded: published, and not modified since.
    before = claim_reviews(reader)[fares.statement]
    assert "datePublished" in before and "dateModified" not in before
    reader.set_viewport_size({"width": 1100, "height": 1400})
    reader.screenshot(path=str(screenshot_dir / "public-page.png"), full_page=False)

    # 4. A correction: the reviewer proposes a new verdict with a reason, a second editor
    # approves it in the claim panel; the public page shows the dated entry and the old text.
    page.goto(f"/articles/{article.pk}/claims/{fares.pk}/")
    panel = page.locator("#claim-panel")
    panel.get_by_text("Propose a different verdict").click()
    panel.locator("select[name=verdict]").select_option(label="Inaccurate")
    panel.get_by_label("Explanation").fill("The budget papers show fares cover 61%, not 85%.")
    panel.locator("#verdict-change-reason").fill(
        "The committee's budget papers were misread: fares cover 61% of running costs."
    )
    panel.get_by_role("button", name="Propose verdict").click()
    panel.get_by_text("Change proposed").wait_for()
    approver_context = browser.new_context(base_url=live_server.url)
    approver = approver_context.new_page()
    sign_in(approver, people["editor2"])
    approver.goto(f"/articles/{article.pk}/claims/{fares.pk}/")
    approver.get_by_role("button", name="Approve change").click()
    approver.get_by_text("Change approved").wait_for()

    reader.reload()
    log = reader.locator("#corrections").inner_text()
    assert "Correction to claim 2" in log
    assert "The committee's budget papers were misread" in log
    assert "Was: Misleading" in log and "Now: Inaccurate" in log
    assert "The council's annual patronage report gives the same figures." in log  # earlier
    assert "Updated" in reader.locator(".fact-check header .dates").inner_text()
    article.refresh_from_db()
    assert article.review_state == Article.State.UPDATED

    # 5. The PDF report, downloaded from the article's Export menu, has the same entry.
    page.goto(f"/articles/{article.pk}/")
    menu = page.locator("details.export-menu")
    menu.locator("summary").click()
    menu.get_by_role("button", name="PDF", exact=True).click()  # made by a background job
    download = download_from_job(page)
    pdf_text = " ".join(
        " ".join(sheet.extract_text().split()) for sheet in PdfReader(download.path()).pages
    )
    # (The PDF sets entry headings in capitals, as the print stylesheet draws them.)
    assert "correction to claim 2" in pdf_text.lower()
    assert "The committee's budget papers were misread" in pdf_text
    assert "Was: Misleading" in pdf_text and "Now: Inaccurate" in pdf_text

    # 6. ClaimReview's dateModified is the correction's date; the other review is unchanged.
    revision = fares.revisions.approved().get()
    after = claim_reviews(reader)
    assert (
        after[fares.statement]["dateModified"]
        == timezone.localdate(revision.decided_at).isoformat()
    )
    assert after[fares.statement]["reviewRating"]["alternateName"] == "Inaccurate"
    assert "dateModified" not in after[ferry.statement]
    for context in (editor_context, reader_context, approver_context):
        context.close()


def claim_reviews(page) -> dict[str, dict]:
    """The ClaimReview JSON-LD embedded in a public page, by the statement reviewed."""
    found = {}
    for script in page.locator('script[type="application/ld+json"]').all_text_contents():
        data = json.loads(script)
        for item in data if isinstance(data, list) else data.get("@graph", [data]):
            if item.get("@type") == "ClaimReview":
                found[item["claimReviewed"]] = item
    return found
