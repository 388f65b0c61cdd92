"""The indexes ``make bench-scale`` asked for (issue 17), pinned in PostgreSQL's plans of the
queries the pages run: the dashboard's first page and its oldest-first sort read 25 articles
from an index instead of sorting them all, its progress sorts from the tallies' indexes, its
assignee and verdict filters from theirs, its open conflicts from theirs, the publishers
filter probes the articles once per publisher instead of joining through every article, a
much-cited source's page reads one page of its citations, and the source list reads its page
in title order from an index. Runs where the tests run on PostgreSQL (``DATABASE_URL``).

The tables here are small, so sequential scans and sorts (incremental ones too) are turned off
for the plans: what is pinned is that an index serves the query's order and filter (at 100,000
articles the planner chooses it by cost: ``make bench-scale`` prints those plans)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Claim, ClaimFamily, Verdict
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, SourceFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


def _plan(sql: str, params=()) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        # Nor a sort of rows an index gives partly in order: with 30 articles the planner may
        # read the least-approved-first index backwards and sort each progress's titles (CI's
        # run did), where the most-approved-first index gives the whole order.
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return cursor.fetchone()[0][0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _assert_reads_a_page_from(plan: dict, index: str) -> None:
    """The statement's rows come in order from ``index``: no sort of them all."""
    used = {node.get("Index Name") for node in _nodes(plan)}
    assert index in used, json.dumps(plan, indent=1)
    assert not any(node["Node Type"] in ("Sort", "Incremental Sort") for node in _nodes(plan))


def _statement(client, path: str, params: dict, marker: str) -> str:
    """The SQL of the page's statement that contains ``marker``."""
    with CaptureQueriesContext(connection) as context:
        assert client.get(path, params).status_code == 200
    found = [q["sql"] for q in context.captured_queries if marker in q["sql"]]
    assert found, f"no statement with {marker!r}"
    return found[0]


@pytest.mark.parametrize(
    ("sort", "index"), [("", "article_newest_first"), ("date", "article_oldest_first")]
)
def test_dashboard_page_of_articles_is_read_from_the_date_index(client, reviewer, sort, index):
    for n in range(30):
        ArticleFactory(publisher=f"Paper {n % 3}")
    client.force_login(reviewer)
    sql = _statement(
        client,
        reverse("annotations:article-list"),
        {"sort": sort} if sort else {},
        'ORDER BY "annotations_article"."published_on"',
    )
    _assert_reads_a_page_from(_plan(sql), index)


def test_dashboard_publishers_filter_probes_articles_once_per_publisher(client, reviewer):
    for n in range(30):
        ArticleFactory(publisher=f"Paper {n % 3}")
    client.force_login(reviewer)
    sql = _statement(
        client, reverse("annotations:article-list"), {}, 'FROM "annotations_publisher"'
    )
    plan = _plan(sql)
    joins = [node for node in _nodes(plan) if "Join Type" in node]

    def semi(node) -> bool:
        # A semi join (EXISTS) that stops at each publisher's first article, not an inner
        # join through every article followed by DISTINCT. Expecting few articles, PostgreSQL
        # may run the same semi join as an inner join over the articles' distinct publishers.
        if node["Join Type"] == "Semi":
            return True
        return node["Join Type"] == "Inner" and any(
            child["Node Type"] in {"Aggregate", "Unique"}
            and any("publisher_id" in key for key in child.get("Group Key", []))
            for child in node.get("Plans", [])
        )

    assert joins and all(semi(node) for node in joins), json.dumps(plan)


def test_dashboard_open_conflicts_are_read_from_their_index(client, reviewer):
    for n in range(30):
        ClaimFamily.objects.create(
            statement=f"Buses ran late {n}",
            member_count=2,
            conflict=n % 2 == 0,
            resolution="" if n % 3 else ClaimFamily.Resolution.OTHER,
        )
    client.force_login(reviewer)
    sql = _statement(
        client, reverse("annotations:article-list"), {}, 'FROM "annotations_claimfamily"'
    )
    _assert_reads_a_page_from(_plan(sql), "family_open_conflicts")


def test_source_page_reads_one_page_of_citations_from_its_index(client, reviewer):
    source = SourceFactory()
    article = ArticleFactory()
    for _ in range(5):
        CitationFactory(source=source, claim=ClaimFactory(article=article))
    client.force_login(reviewer)
    sql = _statement(
        client,
        reverse("annotations:source-detail", args=[source.pk]),
        {},
        'ORDER BY "annotations_citation"."created_at" DESC',
    )
    _set_aside_all_citations_newest_first()
    _assert_reads_a_page_from(_plan(sql), "citation_source_recent")


def _set_aside_all_citations_newest_first() -> None:
    """Drop, inside the test's transaction (rolled back after it), the index of every
    citation newest first. With five citations the planner may as well walk all of them in
    that order and filter the source's out (CI's run did, after migration 0037 added it);
    which it takes varies with the tables' statistics. What is pinned is that the source's
    own index serves its filter and its order; at 400,000 citations the planner takes it by
    cost (``make bench-scale``)."""
    with connection.cursor() as cursor:
        cursor.execute('DROP INDEX "citation_newest_first"')


@pytest.mark.parametrize("usage", ["", "approved"])
def test_source_list_reads_its_page_from_the_title_index_and_counts_no_citation(
    client, reviewer, usage
):
    verdict = Verdict.objects.first()
    for n in range(30):
        claim = ClaimFactory()
        if n % 2:  # half of them back an approved verdict
            Claim.objects.filter(pk=claim.pk).update(state=Claim.State.APPROVED, verdict=verdict)
        CitationFactory(source=SourceFactory(title=f"Bulletin {n:02}"), claim=claim)
    client.force_login(reviewer)
    sql = _statement(
        client,
        reverse("annotations:source-list"),
        {"usage": usage} if usage else {},
        'ORDER BY "annotations_source"."title"',
    )
    _assert_reads_a_page_from(_plan(sql), "source_title_order")
    # The usage is the kept counts' (SourceTally), not the citations and claims counted.
    assert "annotations_citation" not in sql and "annotations_claim" not in sql


def _articles_with_claims(reviewer, verdict):
    for n in range(30):
        article = ArticleFactory(publisher=f"Paper {n % 3}")
        ClaimFactory(article=article, created_by=reviewer, assignee=reviewer if n % 2 else None)
        if n % 3:
            ClaimFactory(article=article, created_by=reviewer, verdict=verdict, state="approved")


@pytest.mark.parametrize(
    ("sort", "index"),
    [("progress", "tally_least_approved_first"), ("-progress", "tally_most_approved_first")],
)
def test_dashboard_progress_sorts_read_a_page_from_the_tallys_index(client, reviewer, sort, index):
    from annotations.models import Verdict

    _articles_with_claims(reviewer, Verdict.objects.first())
    client.force_login(reviewer)
    sql = _statement(
        client,
        reverse("annotations:article-list"),
        {"sort": sort},
        'INNER JOIN "annotations_articletally"',
    )
    _assert_reads_a_page_from(_plan(sql), index)


@pytest.mark.parametrize(
    ("sort", "index"), [("publisher", "tally_publisher_a_z"), ("-publisher", "tally_publisher_z_a")]
)
def test_dashboard_publisher_sorts_read_a_page_from_the_tallys_index(client, reviewer, sort, index):
    """At 100,000 articles, joining every article to its publisher and sorting them took
    250 ms; the tally's copy of the name is indexed with the title (README, "Scale")."""
    for n in range(30):
        ArticleFactory(publisher=f"Paper {n % 3}" if n % 5 else "")
    client.force_login(reviewer)
    sql = _statement(
        client,
        reverse("annotations:article-list"),
        {"sort": sort},
        'INNER JOIN "annotations_articletally"',
    )
    _assert_reads_a_page_from(_plan(sql), index)


@pytest.mark.parametrize(
    ("filters", "indexes"),
    [
        # At 100,000 articles the planner reads the person's articles from
        # claim_assignee_articles (README, "Scale"). With 30 it may as well probe each
        # article's claims from an index that starts with the article, and which it takes
        # varies with the tables' statistics, so those indexes are set aside for the plan.
        # After other tests' claims came and went (test_dashboard*.py first, in one session),
        # it may also take the assignee's own foreign-key index: either reads the person's
        # claims by assignee.
        ({"assignee": "me"}, {"claim_assignee_articles", "annotations_claim_assignee_id_79af7e6d"}),
        # Either index of the verdict tallies: with few articles the planner probes each
        # article's (article, verdict) row in date order; at 100,000 it reads the verdict's
        # articles from verdict_tally_articles (README, "Scale").
        ({"verdict": "first"}, {"verdict_tally_articles", "verdict_tally_unique"}),
    ],
)
def test_dashboard_assignee_and_verdict_filters_read_their_indexes(
    client, reviewer, filters, indexes
):
    from annotations.models import Verdict

    verdict = Verdict.objects.first()
    _articles_with_claims(reviewer, verdict)
    if filters.get("verdict"):
        filters = {"verdict": verdict.pk}
    client.force_login(reviewer)
    sql = _statement(
        client,
        reverse("annotations:article-list"),
        filters,
        'ORDER BY "annotations_article"."published_on"',
    )
    if "assignee" in filters:
        _set_aside_article_first_indexes("annotations_claim")
    plan = _plan(sql)
    used = {node.get("Index Name") for node in _nodes(plan)}
    assert indexes & used, json.dumps(plan, indent=1)


def _set_aside_article_first_indexes(table: str) -> None:
    """Drop, inside the test's transaction (rolled back after it), the indexes of ``table``
    whose first column is the article."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef ~ %s",
            [table, r"USING btree \(article_id[ ,)]"],
        )
        names = [name for (name,) in cursor.fetchall()]
        assert names, f"no index of {table} starts with the article"
        for name in names:
            cursor.execute(f'DROP INDEX "{name}"')


@pytest.mark.parametrize(
    ("page", "one_source", "index"),
    [
        ("admin:annotations_article_changelist", False, "article_newest_first"),
        ("admin:annotations_citation_changelist", False, "citation_newest_first"),
        ("admin:annotations_citation_changelist", True, "citation_source_recent"),
    ],
)
def test_admin_lists_read_their_page_from_an_index(client, admin_user, page, one_source, index):
    """The admin's article list (newest first, as the dashboard) and its citation list (all
    of them, or one source's: the link from a source's page) read a page, sort nothing."""
    source = SourceFactory()
    article = ArticleFactory()
    for _ in range(5):
        CitationFactory(source=source, claim=ClaimFactory(article=article))
    client.force_login(admin_user)
    order = (
        'ORDER BY "annotations_article"."published_on" DESC'
        if "article" in page
        else 'ORDER BY "annotations_citation"."created_at" DESC'
    )
    params = {"source__id__exact": source.pk} if one_source else {}
    sql = _statement(client, reverse(page), params, order)
    if one_source:
        _set_aside_all_citations_newest_first()
    _assert_reads_a_page_from(_plan(sql), index)
