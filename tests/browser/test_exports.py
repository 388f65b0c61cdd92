import csv
import io
import json
from pathlib import Path

import pytest

from tests.export_helpers import worked_example

pytestmark = pytest.mark.django_db(transaction=True)

BUTTONS = {
    "HTML": ".html",
    "PDF": ".pdf",
    "Markdown": ".md",
    "CSV (claims)": ".csv",
    "CSV (citations)": ".csv",
    "JSON": ".json",
    "ClaimReview JSON-LD": ".jsonld",
    "W3C Web Annotations": ".jsonld",
}


def open_menu(page):
    menu = page.locator("details.export-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu


def test_every_format_downloads_from_the_article_export_menu(
    page, sign_in, live_server, settings, download_from_job
):
    settings.FACTCHECK_RATE_LIMITS = {}
    example = worked_example(n_articles=1)
    article = example["articles"][0]
    sign_in(page, example["editor"])
    page.goto(f"/articles/{article.pk}/")
    for label, extension in BUTTONS.items():
        page.goto(f"/articles/{article.pk}/")
        menu = open_menu(page)
        if label == "PDF":
            # A PDF report is made by a background job; its page offers the file.
            menu.get_by_role("button", name=label, exact=True).click()
            download = download_from_job(page)
        else:
            with page.expect_download() as info:
                menu.get_by_role("button", name=label, exact=True).click()
            download = info.value
        assert download.suggested_filename.startswith(f"factcheck-article-{article.pk}-published")
        assert download.suggested_filename.endswith(extension), label
        data = Path(download.path()).read_bytes()
        if extension == ".pdf":
            assert data.startswith(b"%PDF-")
        elif label == "JSON":
            assert len(json.loads(data)["articles"]) == 1
        elif label == "CSV (claims)":
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
            assert len(rows) == 3  # approved claims only: published is the default


def test_dashboard_export_uses_the_internal_scope_when_chosen(
    page, sign_in, settings, download_from_job
):
    settings.FACTCHECK_RATE_LIMITS = {}
    example = worked_example(n_articles=2)
    sign_in(page, example["editor"])
    page.goto("/")
    menu = open_menu(page)
    menu.get_by_label("Internal: everything, drafts marked").check()
    # Several articles: a background job makes the file.
    menu.get_by_role("button", name="CSV (claims)", exact=True).click()
    download = download_from_job(page)
    assert "-articles-internal-" in download.suggested_filename
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 8
    assert "Draft — not approved" in {row["status"] for row in rows}
