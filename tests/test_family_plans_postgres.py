"""The proposals for a claim read the family key index as ranges, never scan it (issue 13: the
work per new claim must not grow with the number of claims), shown by PostgreSQL's own plan of
the query ``ClaimKey.objects.sharing`` runs. tests/test_families.py shows SQLite's; this one
runs where the tests run on PostgreSQL (``DATABASE_URL``), and ``make bench-scale`` prints the
same plan over hundreds of thousands of claims."""

import json
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import anchoring
from annotations.models import Article, Claim, ClaimKey
from bench.scale import telling

pytestmark = [
    # Outside a transaction, so that VACUUM can run: it sets the visibility map, as autovacuum
    # does on a server, without which the planner cannot count on reading the index alone.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL's plan (tests/test_families.py shows SQLite's)",
    ),
]


COMMON = "Dana Whitfield"  # the claimant of a third of the claims: a key above the cap


def _corpus(articles: int = 40, per_article: int = 25) -> list[Claim]:
    """Invented claims (``bench.scale``'s news: stories retold across articles), a third of
    them by one claimant, written in bulk and filed in the index as ``manage.py
    extract_figures`` files them."""
    r = random.Random(7)
    made = []
    with connection.cursor() as cursor:
        # As a server commits (bin/pgcluster turns it off for speed): VACUUM may mark a page
        # all-visible only once the commits of its rows are on disk.
        cursor.execute("SET synchronous_commit = on")
    for number in range(articles):
        tellings = [telling(r.randint(0, 300), r) for _ in range(per_article)]
        body = " ".join(quote for quote, *_ in tellings)
        article = Article.objects.create(
            title=f"Figures {number}",
            body=body,
            raw_text=body,
            content_hash=Article.hash_text(f"{number}\n{body}"),
        )
        start = 0
        for n, (quote, statement, claimant, _) in enumerate(tellings):
            claimant = COMMON if n % 3 == 0 else claimant
            claim = Claim(article=article, statement=statement, claimant=claimant)
            claim.set_span(anchoring.selector_for(body, start, start + len(quote), trim=False))
            made.append(claim)
            start += len(quote) + 1
    claims = Claim.objects.bulk_create(made)
    ClaimKey.objects.file_many(claims)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {ClaimKey._meta.db_table}")
    return claims


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_proposals_read_at_most_the_cap_of_each_key_from_the_index():
    claims = _corpus()
    cap = ClaimKey.objects.CAP
    common = "c:dana whitfield"
    assert ClaimKey.objects.filter(key=common).count() > 3 * cap
    claim = claims[-25]  # its article's first claim: by the common claimant
    with CaptureQueriesContext(connection) as context:
        found = claim.proposals()
    assert found, "the corpus retells stories: a claim has related claims"
    table = f'FROM "{ClaimKey._meta.db_table}" WHERE key = '
    sharing = [q["sql"] for q in context.captured_queries if table in q["sql"]]
    assert len(sharing) == 1 and f"'{common}'" in sharing[0]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sharing[0])
        (plan,) = cursor.fetchone()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes = list(_nodes(plan[0]["Plan"]))
    # Every key is a backward range of the (key, claim, article) B-tree, read from the index
    # alone, the newest claims first and stopped by its LIMIT: never a scan of the table, a
    # walk of another index, or every claim of a key fetched and sorted. So no read takes
    # more than the cap (+1, to tell a common key), and the work for a claim does not grow
    # with the number of claims.
    reads = [n for n in nodes if n.get("Relation Name") == ClaimKey._meta.db_table]
    assert len(reads) == sharing[0].count(" UNION ALL ") + 1 > 5
    for read in reads:
        assert read["Node Type"] == "Index Only Scan", read["Node Type"]
        assert read["Index Name"] == "claim_key_lookup"
        assert read["Scan Direction"] == "Backward"
        assert read["Actual Rows"] + read.get("Rows Removed by Filter", 0) <= cap + 10
    assert not [n for n in nodes if n["Node Type"] in {"Seq Scan", "Sort", "Bitmap Heap Scan"}]
    (common_read,) = [n for n in reads if common in n["Index Cond"]]
    assert common_read["Actual Rows"] == cap + 1
