"""The articles dashboard: filters, search, sorting, pagination, the chart and query counts."""

import datetime
import html as html_lib
import re

import pytest
from django.db import connection
from django.urls import reverse

from annotations import tallies
from annotations.models import Article, Claim, Publisher, Verdict
from tests.factories import ArticleFactory, ClaimFactory, PublisherFactory, UserFactory

URL = reverse("annotations:article-list")
PARTIAL = {"HX-Request": "true", "HX-Target": "article-results"}

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    """Article titles in the results table, in order."""
    html = response.content.decode()
    found = re.findall(r'<td class="col-title">\s*<a href="[^"]*">([^<]*)</a>', html)
    return [html_lib.unescape(title) for title in found]


def chart_counts(response, slug: str) -> dict[str, int]:
    """key → count for the bars of one chart, read from its SVG."""
    html = response.content.decode()
    chart = html.split(f'id="chart-{slug}"', 1)[1].split("</figure>", 1)[0]
    return {
        key: int(count)
        for key, count in re.findall(r'data-key="([^"]+)" data-count="(\d+)"', chart)
    }


def verdict(label: str) -> Verdict:
    return Verdict.objects.get(label=label)


@pytest.fixture
def signed_in(client, reviewer):
    client.force_login(reviewer)
    return client


def test_dashboard_lists_articles_with_publisher_date_and_claim_progress(signed_in):
    article = ArticleFactory(
        title="Ferry timetable changes", published_on=datetime.date(2024, 3, 5)
    )
    ClaimFactory(article=article, state=Claim.State.APPROVED)
    ClaimFactory(article=article, state=Claim.State.TO_DO)
    ClaimFactory(article=article, state=Claim.State.NEEDS_REVIEW)

    response = signed_in.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ferry timetable changes" in html
    assert "Riverside Gazette" in html
    assert "5 Mar 2024" in html
    assert "1 of 3 approved" in html
    assert 'aria-label="1 to do, 1 needs review, 1 approved"' in html


def test_an_empty_desk_says_how_to_import_from_the_app(client, reviewer, admin_user):
    """A new desk's first screen told a reviewer to run `manage.py import_articles`, a
    command they cannot run: it now points at the Import-from-URL box, and an admin at the
    admin's upload of article files."""
    client.force_login(reviewer)
    html = client.get(URL).content.decode()
    assert "No articles yet. Import one from its address with Import from URL above." in html
    assert "manage.py" not in html
    upload = reverse("admin:annotations_article_upload")
    assert upload not in html  # a reviewer cannot reach the admin
    client.force_login(admin_user)
    assert f'<a href="{upload}">upload article files</a>' in client.get(URL).content.decode()


def test_article_with_no_claims_says_so(signed_in, article):
    assert "No claims yet" in signed_in.get(URL).content.decode()


def test_verdict_chips_count_each_verdict_of_the_article(signed_in, article):
    ClaimFactory.create_batch(2, article=article, verdict=verdict("Inaccurate"))
    ClaimFactory(article=article, verdict=verdict("Accurate"))

    html = signed_in.get(URL).content.decode()

    assert re.search(r"Accurate <b>1</b>", html)
    assert re.search(r"Inaccurate <b>2</b>", html)
    assert 'fill="#c62828"' in html  # the verdict's own colour, as an SVG attribute


def test_search_finds_title_and_body_text(signed_in):
    ArticleFactory(title="Library opening hours extended")
    ArticleFactory(title="Harbour works", body="The library on the quay will close.")
    ArticleFactory(title="Ferry fares rise")

    response = signed_in.get(URL, {"q": "library"})

    assert sorted(titles(response)) == ["Harbour works", "Library opening hours extended"]


def test_filter_by_article_review_state(signed_in):
    # The article's state follows its claims: every claim approved is "ready".
    ClaimFactory(article=ArticleFactory(title="Finished"), state=Claim.State.APPROVED)
    ClaimFactory(article=ArticleFactory(title="Underway"), state=Claim.State.IN_PROGRESS)
    ArticleFactory(title="Untouched")

    assert titles(signed_in.get(URL, {"review_state": "ready"})) == ["Finished"]
    assert titles(signed_in.get(URL, {"review_state": "in_progress"})) == ["Underway"]
    assert titles(signed_in.get(URL, {"review_state": "to_do"})) == ["Untouched"]


def test_filter_by_claim_state_keeps_articles_with_a_claim_in_that_state(signed_in):
    waiting = ArticleFactory(title="Waiting for an editor")
    ClaimFactory(article=waiting, state=Claim.State.NEEDS_REVIEW)
    ClaimFactory(article=waiting, state=Claim.State.TO_DO)
    ClaimFactory(article=ArticleFactory(title="All approved"), state=Claim.State.APPROVED)

    response = signed_in.get(URL, {"claim_state": "needs_review"})

    assert titles(response) == ["Waiting for an editor"]
    # The article appears once, with all its claims counted, not only the matching one.
    assert "0 of 2 approved" in response.content.decode()


def test_filter_by_verdict(signed_in):
    ClaimFactory(article=ArticleFactory(title="Wrong figures"), verdict=verdict("Inaccurate"))
    ClaimFactory(article=ArticleFactory(title="Right figures"), verdict=verdict("Accurate"))

    response = signed_in.get(URL, {"verdict": verdict("Inaccurate").pk})

    assert titles(response) == ["Wrong figures"]


def test_filter_by_publisher_offers_only_known_publishers(signed_in):
    ArticleFactory(title="Gazette story", publisher="Riverside Gazette")
    ArticleFactory(title="Herald story", publisher="Hillside Herald")

    response = signed_in.get(URL, {"publisher": "Hillside Herald"})

    assert titles(response) == ["Herald story"]
    assert '<option value="Riverside Gazette">' in response.content.decode()


def select_options(response, name: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of each option of the filter ``name``'s select."""
    html = response.content.decode()
    select = html.split(f'<select name="{name}"', 1)[1].split("</select>", 1)[0]
    return [
        (html_lib.unescape(value), html_lib.unescape(label), bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select
        )
    ]


def test_filter_options_offer_publishers_with_articles_and_people_by_name(
    signed_in, reviewer, reviewer2
):
    ArticleFactory(publisher="Zeta News")
    ArticleFactory(publisher='Alpha & "Omega" <Press>')
    PublisherFactory(name="Publisher without articles")
    reviewer2.first_name, reviewer2.last_name = "Raj", "Patel"
    reviewer2.save()
    UserFactory(username="norole")

    response = signed_in.get(URL, {"publisher": "Zeta News", "assignee": reviewer2.pk})

    assert select_options(response, "publisher") == [
        ("", "Any", False),
        ('Alpha & "Omega" <Press>', 'Alpha & "Omega" <Press>', False),
        ("Zeta News", "Zeta News", True),
    ]
    assert select_options(response, "assignee") == [
        ("", "Any", False),
        ("me", "Me", False),
        (str(reviewer2.pk), "Raj Patel", True),
        (str(reviewer.pk), "rita", False),
    ]


def test_filter_by_assignee(signed_in, reviewer2):
    ClaimFactory(article=ArticleFactory(title="Raj's article"), assignee=reviewer2)
    ClaimFactory(article=ArticleFactory(title="Nobody's article"))

    response = signed_in.get(URL, {"assignee": reviewer2.pk})

    assert titles(response) == ["Raj's article"]


def test_assigned_to_me_counts_my_claims_and_filters_to_them(signed_in, reviewer, reviewer2):
    mine = ArticleFactory(title="Mine")
    ClaimFactory.create_batch(2, article=mine, assignee=reviewer)
    ClaimFactory(article=mine, assignee=reviewer2)
    ClaimFactory(article=ArticleFactory(title="Theirs"), assignee=reviewer2)

    everything = signed_in.get(URL).content.decode()
    assert 'title="Claims in this article assigned to you">2</a>' in everything

    assert titles(signed_in.get(URL, {"assignee": "me"})) == ["Mine"]


def test_filters_combine(signed_in):
    for title, publisher, state in [
        ("Herald, approved", "Hillside Herald", Claim.State.APPROVED),
        ("Herald, to do", "Hillside Herald", Claim.State.TO_DO),
        ("Gazette, approved", "Riverside Gazette", Claim.State.APPROVED),
    ]:
        ClaimFactory(article=ArticleFactory(title=title, publisher=publisher), state=state)

    response = signed_in.get(URL, {"publisher": "Hillside Herald", "claim_state": "approved"})

    assert titles(response) == ["Herald, approved"]


@pytest.mark.parametrize(
    "params",
    [
        {"verdict": "999999"},
        {"verdict": "not-a-number"},
        {"claim_state": "deleted"},
        {"review_state": "'; DROP TABLE annotations_article; --"},
        {"publisher": "Nobody Weekly"},
        {"assignee": "everyone"},
        {"sort": "body"},
        {"sort": "-content_hash"},
        {"page": "many"},
        {"title__startswith": "Z", "unknown": "1"},
    ],
)
def test_unknown_filter_values_are_ignored(signed_in, params):
    ArticleFactory(title="Alpha")
    ArticleFactory(title="Beta")

    response = signed_in.get(URL, params)

    assert response.status_code == 200
    assert sorted(titles(response)) == ["Alpha", "Beta"]


def test_a_bad_value_does_not_cancel_the_good_ones(signed_in):
    ArticleFactory(title="Herald", publisher="Hillside Herald")
    ArticleFactory(title="Gazette", publisher="Riverside Gazette")

    response = signed_in.get(URL, {"publisher": "Hillside Herald", "verdict": "nonsense"})

    assert titles(response) == ["Herald"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Apples", "Bridges", "Canals"]),
        ("-title", ["Canals", "Bridges", "Apples"]),
        ("date", ["Bridges", "Canals", "Apples"]),
        ("-date", ["Apples", "Canals", "Bridges"]),
        ("publisher", ["Canals", "Apples", "Bridges"]),
        ("-progress", ["Bridges", "Apples", "Canals"]),
        ("progress", ["Canals", "Apples", "Bridges"]),
    ],
)
def test_sorting_by_allowed_columns(signed_in, sort, expected):
    apples = ArticleFactory(
        title="Apples", publisher="B Post", published_on=datetime.date(2024, 3, 1)
    )
    bridges = ArticleFactory(
        title="Bridges", publisher="C Times", published_on=datetime.date(2024, 1, 1)
    )
    ArticleFactory(title="Canals", publisher="A News", published_on=datetime.date(2024, 2, 1))
    ClaimFactory(article=apples, state=Claim.State.APPROVED)
    ClaimFactory(article=apples, state=Claim.State.TO_DO)
    ClaimFactory(article=bridges, state=Claim.State.APPROVED)

    assert titles(signed_in.get(URL, {"sort": sort})) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("publisher", ["Docks", "Apples", "Bridges", "Canals", "Eels", "Ferries"]),
        ("-publisher", ["Bridges", "Canals", "Apples", "Docks", "Eels", "Ferries"]),
    ],
)
def test_publisher_sorts_follow_a_renamed_publisher_and_a_changed_one(signed_in, sort, expected):
    """The publisher sorts read the tallies' copies of the names: a publisher renamed, or
    taken away from an article, is sorted as it is now; without one, last; then by title."""
    ArticleFactory(title="Apples", publisher="B Post")
    ArticleFactory(title="Bridges", publisher="C Times")
    ArticleFactory(title="Canals", publisher="C Times")
    ArticleFactory(title="Docks", publisher="Z Weekly")
    ArticleFactory(title="Eels", publisher="")
    ferries = ArticleFactory(title="Ferries", publisher="B Post")
    Publisher.objects.filter(name="Z Weekly").update(name="A News")
    Article.objects.filter(pk=ferries.pk).update(publisher=None)

    assert titles(signed_in.get(URL, {"sort": sort})) == expected


def test_pagination_shows_25_articles_a_page(signed_in):
    for n in range(30):
        ArticleFactory(title=f"Article {n:02d}")

    first = signed_in.get(URL, {"sort": "title"})
    second = signed_in.get(URL, {"sort": "title", "page": 2})

    assert titles(first) == [f"Article {n:02d}" for n in range(25)]
    assert titles(second) == [f"Article {n:02d}" for n in range(25, 30)]
    assert "Page 1 of 2" in first.content.decode()
    # The next-page link keeps the sort.
    assert 'href="?sort=title&amp;page=2"' in first.content.decode()


def test_chart_counts_claims_of_the_selected_articles_only(signed_in):
    herald = ArticleFactory(publisher="Hillside Herald")
    ClaimFactory(article=herald, state=Claim.State.APPROVED, verdict=verdict("Accurate"))
    ClaimFactory(article=herald, state=Claim.State.NEEDS_REVIEW, verdict=verdict("Misleading"))
    ClaimFactory(article=herald, state=Claim.State.TO_DO)
    gazette = ArticleFactory(publisher="Riverside Gazette")
    ClaimFactory.create_batch(4, article=gazette, state=Claim.State.SENT_BACK)

    response = signed_in.get(URL, {"publisher": "Hillside Herald"})

    assert chart_counts(response, "states") == {
        "to_do": 1,
        "in_progress": 0,
        "needs_review": 1,
        "approved": 1,
        "sent_back": 0,
        "dismissed": 0,
    }
    by_verdict = chart_counts(response, "verdicts")
    assert by_verdict[str(verdict("Accurate").pk)] == 1
    assert by_verdict[str(verdict("Misleading").pk)] == 1
    assert by_verdict["none"] == 1
    assert sum(by_verdict.values()) == 3
    html = response.content.decode()
    assert '<title id="chart-states-title">Claims by state</title>' in html
    assert (
        "To do: 1, In progress: 0, Needs review: 1, Approved: 1, Sent back: 0, Not checkable: 0."
        in html
    )


def test_chart_counts_the_whole_selection_not_only_the_page(signed_in):
    for _ in range(27):
        ClaimFactory(state=Claim.State.IN_PROGRESS)

    response = signed_in.get(URL)

    assert chart_counts(response, "states")["in_progress"] == 27


def test_htmx_filter_request_returns_only_the_results_fragment(signed_in):
    ClaimFactory(article=ArticleFactory(title="Wrong figures"), verdict=verdict("Inaccurate"))
    ArticleFactory(title="Other")

    response = signed_in.get(URL, {"verdict": verdict("Inaccurate").pk}, headers=PARTIAL)

    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="article-results"')
    assert titles(response) == ["Wrong figures"]
    assert "HX-Request" in response["Vary"]


def test_htmx_request_for_another_target_gets_the_whole_page(signed_in):
    # A history restore sends HX-Request without our target: it must get a full page.
    response = signed_in.get(URL, headers={"HX-Request": "true"})

    assert "<html" in response.content.decode()


def test_filter_form_is_wired_for_htmx_and_works_without_it(signed_in):
    html = signed_in.get(URL).content.decode()

    wrapper = html.split('<div class="dashboard"', 1)[1].split(">", 1)[0]
    assert 'hx-target="#article-results"' in wrapper
    assert 'hx-swap="outerHTML"' in wrapper  # the fragment brings its own #article-results
    assert 'hx-push-url="true"' in wrapper
    form = html.split('<form method="get"', 1)[1].split(">", 1)[0]
    assert f'hx-get="{URL}"' in form
    assert f'action="{URL}"' in form
    assert html.count('id="article-results"') == 1


def test_the_current_sort_travels_with_the_results_and_is_submitted_with_the_filters(
    signed_in,
):
    html = signed_in.get(URL, {"sort": "publisher"}, headers=PARTIAL).content.decode()

    assert '<input type="hidden" name="sort" value="publisher" form="dashboard-filters">' in html
    assert '<select name="sort"' not in signed_in.get(URL).content.decode()


def test_article_titles_with_html_are_escaped(signed_in):
    ArticleFactory(title='<script>alert("x")</script> & <b>bold</b>', publisher="<i>Pub</i>")

    html = signed_in.get(URL).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<i>Pub</i>" not in html


def test_empty_selection_says_no_articles_match(signed_in, article):
    response = signed_in.get(URL, {"q": "nothing like this anywhere"})

    assert "No articles match these filters" in response.content.decode()
    assert chart_counts(response, "states")["to_do"] == 0


def _articles_with_claims(count: int, reviewer, reviewer2) -> None:
    verdicts = list(Verdict.objects.all())
    states = list(Claim.State)
    for n in range(count):
        article = ArticleFactory(publisher=f"Publisher {n % 4}")
        for k in range(3):
            ClaimFactory(
                article=article,
                state=states[(n + k) % len(states)],
                verdict=verdicts[(n + k) % len(verdicts)] if k else None,
                assignee=(reviewer, reviewer2, None)[k],
                created_by=reviewer,
            )
    # The desk's rows of changes folded, as a page reading more than DeskTally's FOLD_AFTER
    # does once: the queries counted below are those of every other page.
    tallies.fold_desk(connection)


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize(
    "params",
    [
        {"sort": "title"},
        {"sort": "-progress"},
        {"review_state": "in_progress", "claim_state": "approved"},
        {"verdict": "a claim's"},
        {"claim_state": "in_progress", "assignee": "me", "publisher": "Publisher 1", "q": "bus"},
    ],
)
def test_dashboard_query_count_does_not_grow_with_articles(
    client, reviewer, reviewer2, django_assert_num_queries, count, params
):
    _articles_with_claims(count, reviewer, reviewer2)
    client.force_login(reviewer)
    if params.get("verdict") == "a claim's":  # the first article's second claim's
        params = {**params, "verdict": list(Verdict.objects.all())[1].pk}

    # 1 session, 2 user with their role groups (one query, roles.SignedInUserBackend),
    # 3 verdicts, 4 publishers (filter choices), 5 users with a role (assignee choices),
    # unfiltered or filtered by article state, claim state and verdict only: 6 the desk's
    # totals of the profiles selected (articles, claims by state, claims by verdict;
    # annotations/tallies.py);
    # filtered otherwise: 6 the selected articles counted and their claims by state summed
    # from their tallies, 7 their claims by verdict from the article × verdict tallies;
    # then the page of articles, the page's claims counted by article × state × verdict (and
    # assigned to me), the page's unreviewed check-worthy suggestions counted by article, the
    # open conflicts (claim families whose figures disagree);
    # with words to search: the publishers whose names have them (the articles' search index
    # holds the publisher's id, annotations.search.narrow).
    by_articles = any(
        key not in ("sort", "review_state", "claim_state", "verdict") for key in params
    )
    with django_assert_num_queries(10 + by_articles + ("q" in params)):
        response = client.get(URL, params)
    assert response.status_code == 200
    assert titles(response)


def test_htmx_partial_query_count_does_not_grow_with_articles(
    client, reviewer, reviewer2, django_assert_num_queries
):
    _articles_with_claims(30, reviewer, reviewer2)
    client.force_login(reviewer)

    # The full page's queries but one (10 for a claim-state filter, its totals read from the
    # desk's totals by profile): the filter choices validate the query string.
    with django_assert_num_queries(9):
        response = client.get(URL, {"claim_state": "approved"}, headers=PARTIAL)
    assert "<html" not in response.content.decode()
