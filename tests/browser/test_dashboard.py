"""The dashboard in a real browser: htmx filtering, search and paging without full reloads, and
the README screenshot."""

import datetime
import re

import pytest

from annotations.models import Article, Claim, Verdict
from tests.factories import ArticleFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Invented articles on neutral topics: (title, publisher, days ago, review state, claim states
# with verdict labels).
S = Claim.State
CORPUS = [
    ("Harbour ferry adds a late sailing on weekdays", "Riverside Gazette", 2, "in_progress",
     [(S.APPROVED, "Accurate"), (S.NEEDS_REVIEW, "Misleading"), (S.IN_PROGRESS, None),
      (S.TO_DO, None)]),
    ("Library opening hours extended for the exam season", "Hillside Herald", 3, "done",
     [(S.APPROVED, "Accurate"), (S.APPROVED, "Mostly accurate"), (S.APPROVED, "Accurate")]),
    ("Council says new bus lanes cut journey times by a fifth", "Valley Courier", 4,
     "in_progress",
     [(S.APPROVED, "Missing context"), (S.SENT_BACK, "Inaccurate"), (S.IN_PROGRESS, None),
      (S.NEEDS_REVIEW, "Mostly accurate"), (S.TO_DO, None)]),
    ("Allotment waiting list falls below 200 for the first time", "Riverside Gazette", 6,
     "to_do", [(S.TO_DO, None), (S.TO_DO, None)]),
    ("Swimming pool reopens after roof repairs", "Hillside Herald", 8, "done",
     [(S.APPROVED, "Accurate"), (S.APPROVED, "Unverifiable")]),
    ("Recycling rates: district claims top spot in the region", "Valley Courier", 9,
     "in_progress",
     [(S.APPROVED, "Inaccurate"), (S.NEEDS_REVIEW, "Misleading"), (S.IN_PROGRESS, None)]),
    ("Cycle hire scheme reaches one million rides", "Coastline Post", 11, "in_progress",
     [(S.APPROVED, "Mostly accurate"), (S.IN_PROGRESS, None), (S.TO_DO, None)]),
    ("Market hall footfall up 12% since the refurbishment", "Coastline Post", 13, "to_do", []),
    ("School meals survey finds most pupils eat the main course", "Hillside Herald", 15,
     "in_progress",
     [(S.NEEDS_REVIEW, "Missing context"), (S.SENT_BACK, "Accurate"), (S.TO_DO, None)]),
    ("Park run attendance doubles in two years", "Riverside Gazette", 18, "done",
     [(S.APPROVED, "Accurate"), (S.APPROVED, "Mostly accurate")]),
    ("Water company says leaks are at a record low", "Valley Courier", 20, "in_progress",
     [(S.APPROVED, "Misleading"), (S.APPROVED, "Inaccurate"), (S.NEEDS_REVIEW, "Misleading"),
      (S.IN_PROGRESS, None)]),
    ("New footbridge on schedule, engineers say", "Coastline Post", 23, "to_do",
     [(S.TO_DO, None)]),
]  # fmt: skip


def make_corpus(me, colleague) -> None:
    today = datetime.date(2025, 6, 30)
    # The review-state column is what the claims make of each article (no longer stored).
    for n, (title, publisher, days_ago, _review_state, claims) in enumerate(CORPUS):
        article = ArticleFactory(
            title=title,
            publisher=publisher,
            published_on=today - datetime.timedelta(days=days_ago),
        )
        for k, (state, label) in enumerate(claims):
            start = 12 * k
            ClaimFactory(
                article=article,
                start=start,
                end=start + 30,
                state=state,
                verdict=Verdict.objects.get(label=label) if label else None,
                assignee=me if (n + k) % 3 == 0 else colleague,
                created_by=colleague,
            )


def result_titles(page) -> list[str]:
    return page.locator("td.col-title a").all_inner_texts()


def watch_for_csp_errors(page) -> list[str]:
    errors = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return errors


def test_filter_by_verdict_search_and_page_without_reloading(page, sign_in, reviewer):
    make_corpus(reviewer, UserFactory(username="colleague"))
    csp_errors = watch_for_csp_errors(page)
    sign_in(page, reviewer)
    page.goto("/")
    assert len(result_titles(page)) == len(CORPUS)
    # A marker on window survives htmx swaps and is lost on a full page load.
    page.evaluate("window.stillTheSamePage = true")

    page.select_option("#id_verdict", label="Inaccurate")
    page.wait_for_url(re.compile(r"verdict=\d+"))
    page.wait_for_function("document.querySelectorAll('td.col-title').length === 3")
    assert sorted(result_titles(page)) == [
        "Council says new bus lanes cut journey times by a fifth",
        "Recycling rates: district claims top spot in the region",
        "Water company says leaks are at a record low",
    ]
    assert "3 articles match the filters" in page.locator(".summary").inner_text()
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.locator("#article-results").count() == 1  # replaced, not nested

    page.select_option("#id_verdict", label="Any")
    page.fill("#id_q", "footbridge")
    page.wait_for_url(re.compile(r"q=footbridge"))
    page.wait_for_function("document.querySelectorAll('td.col-title').length === 1")
    assert result_titles(page) == ["New footbridge on schedule, engineers say"]
    assert page.evaluate("window.stillTheSamePage") is True

    # Back restores the previous selection.
    page.go_back()
    page.wait_for_url(lambda url: "footbridge" not in url)
    page.wait_for_function("document.querySelectorAll('td.col-title').length > 1")
    assert csp_errors == []


def test_paging_keeps_filters_and_updates_the_address(page, sign_in, reviewer):
    for n in range(30):
        ArticleFactory(title=f"Neighbourhood notice {n:02d}", publisher="Valley Courier")
    ArticleFactory(title="Elsewhere", publisher="Coastline Post")
    sign_in(page, reviewer)
    page.goto("/?publisher=Valley+Courier&sort=title")
    page.evaluate("window.stillTheSamePage = true")
    assert len(result_titles(page)) == 25

    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    page.wait_for_function("document.querySelectorAll('td.col-title').length === 5")
    assert result_titles(page)[0] == "Neighbourhood notice 25"
    assert "publisher=Valley+Courier" in page.url
    assert page.locator(".pagination .current").inner_text() == "Page 2 of 2"
    assert page.locator("#article-results").count() == 1
    assert page.evaluate("window.stillTheSamePage") is True

    # Reloading the pushed address gives the same page, as a whole document.
    page.reload()
    assert result_titles(page)[0] == "Neighbourhood notice 25"


def test_sorting_by_a_column_header(page, sign_in, reviewer):
    make_corpus(reviewer, UserFactory(username="colleague"))
    sign_in(page, reviewer)
    page.goto("/")

    page.locator("th a", has_text="Title").click()
    page.wait_for_url(re.compile(r"sort=title"))
    page.wait_for_function("document.querySelector('th[aria-sort=ascending]') !== null")
    assert result_titles(page) == sorted(title for title, *_ in CORPUS)

    # A filter chosen afterwards keeps the sort the header set.
    page.select_option("#id_publisher", label="Hillside Herald")
    page.wait_for_url(re.compile(r"publisher=Hillside"))
    page.wait_for_function("document.querySelectorAll('td.col-title').length === 3")
    assert "sort=title" in page.url
    assert result_titles(page) == sorted(
        title for title, publisher, *_ in CORPUS if publisher == "Hillside Herald"
    )


def test_dashboard_screenshot(page, sign_in, reviewer, screenshot_dir):
    reviewer.first_name, reviewer.last_name = "Rita", "Okafor"
    reviewer.save()
    make_corpus(reviewer, UserFactory(username="colleague"))
    assert Article.objects.count() == 12
    sign_in(page, reviewer)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto("/")
    page.locator("#chart-verdicts").wait_for()

    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)
