"""The articles' claim tallies the dashboard reads (annotations/tallies.py): kept by the
database on every way claims are written, equal to counting the claims, on SQLite and
PostgreSQL."""

from collections import Counter

import pytest
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from annotations import tallies
from annotations.models import (
    Article,
    ArticleTally,
    ArticleVerdictTally,
    Claim,
    DeskTally,
    Publisher,
    Verdict,
)
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db


def counted_from_claims() -> dict[int, tuple[dict, dict, int]]:
    """article id → (state → claims, verdict id → claims, the bits of those verdicts),
    counted from the claims."""
    counts = {pk: (Counter(), Counter()) for pk in Article.objects.values_list("pk", flat=True)}
    for article_id, state, verdict_id in Claim.objects.values_list(
        "article_id", "state", "verdict_id"
    ):
        counts[article_id][0][state] += 1
        if verdict_id is not None:
            counts[article_id][1][verdict_id] += 1
    return {
        pk: (
            {s: by_state[s] for s in Claim.State.values},
            dict(by_verdict),
            sum(tallies.verdict_bit(v) or 0 for v in by_verdict),
        )
        for pk, (by_state, by_verdict) in counts.items()
    }


def tallied() -> dict[int, tuple[dict, dict, int]]:
    """The same, read from the tallies (rows at 0 left out)."""
    result = {}
    for tally in ArticleTally.objects.all():
        by_state = {s: getattr(tally, s) for s in Claim.State.values}
        result[tally.article_id] = (by_state, {}, tally.verdict_bits)
    for row in ArticleVerdictTally.objects.filter(claims__gt=0):
        result[row.article_id][1][row.verdict_id] = row.claims
    return result


@pytest.fixture
def desk(reviewer):
    verdicts = list(Verdict.objects.all())
    articles = [ArticleFactory() for _ in range(3)]
    states = list(Claim.State)
    for n in range(12):
        ClaimFactory(
            article=articles[n % 3],
            state=states[n % len(states)],
            verdict=verdicts[n % len(verdicts)] if n % 4 else None,
            created_by=reviewer,
        )
    return articles


def test_every_claim_state_is_a_column_of_the_tally():
    columns = {f.name for f in ArticleTally._meta.get_fields()}
    assert set(Claim.State.values) <= columns


def test_a_new_article_has_a_tally_of_no_claims():
    article = ArticleFactory(title="Bus fares")
    tally = ArticleTally.objects.get(article=article)
    assert tally.claims == 0
    assert tally.progress is None
    assert tally.title == "Bus fares"
    assert tally.review_state == Article.State.TO_DO


def test_claims_saved_one_by_one_are_counted(desk):
    assert tallied() == counted_from_claims()
    assert sum(t.claims for t in ArticleTally.objects.all()) == 12


def test_claims_created_in_bulk_are_counted(desk, reviewer):
    verdict = Verdict.objects.first()
    template = Claim.objects.filter(article=desk[0]).first()
    Claim.objects.bulk_create(
        [
            Claim(
                article=desk[1],
                start=template.start,
                end=template.end,
                quote=template.quote,
                statement=f"bulk {n}",
                state=Claim.State.APPROVED,
                verdict=verdict,
                created_by=reviewer,
            )
            for n in range(5)
        ]
    )
    assert tallied() == counted_from_claims()


def test_a_bulk_update_of_states_and_verdicts_moves_the_counts(desk):
    verdicts = list(Verdict.objects.all())
    Claim.objects.filter(article=desk[0]).update(state=Claim.State.APPROVED, verdict=verdicts[0])
    Claim.objects.filter(article=desk[1], verdict__isnull=False).update(verdict=None)
    assert tallied() == counted_from_claims()
    assert ArticleTally.objects.get(article=desk[0]).progress == 1.0


def test_a_claim_moved_to_another_article_is_counted_there(desk):
    claim = Claim.objects.filter(article=desk[0], verdict__isnull=False).first()
    Claim.objects.filter(pk=claim.pk).update(article=desk[2])
    assert tallied() == counted_from_claims()


def test_an_edit_that_moves_no_count_changes_nothing(desk):
    before = tallied()
    Claim.objects.filter(article=desk[0]).update(statement="reworded")
    assert tallied() == before


def test_deleted_claims_and_articles_are_taken_away(desk):
    Claim.objects.filter(article=desk[0], state=Claim.State.APPROVED).delete()
    desk[1].delete()
    assert tallied() == counted_from_claims()
    assert not ArticleTally.objects.filter(article_id=desk[1].pk).exists()


def test_the_workflow_keeps_the_counts(desk, reviewer, editor):
    claim = ClaimFactory(
        article=desk[2],
        state=Claim.State.NEEDS_REVIEW,
        verdict=Verdict.objects.first(),
        created_by=reviewer,
    )
    claim.send_back(by=editor, version=claim.version, reason="Cite the office's own table.")
    claim.refresh_from_db()
    claim.dismiss(by=reviewer, version=claim.version, reason="A prediction.")
    assert claim.state == Claim.State.DISMISSED
    assert tallied() == counted_from_claims()


@pytest.mark.parametrize(
    ("states", "publication", "expected"),
    [
        ([], "", Article.State.TO_DO),
        (["to_do", "approved"], "", Article.State.IN_PROGRESS),
        (["sent_back", "needs_review"], "", Article.State.IN_PROGRESS),
        (["needs_review", "approved", "dismissed"], "", Article.State.IN_REVIEW),
        (["approved", "dismissed"], "", Article.State.READY),
        (["dismissed"], "", Article.State.READY),
        (["approved"], "unpublished", Article.State.READY),
        (["needs_review"], "published", Article.State.PUBLISHED),
        (["to_do"], "updated", Article.State.UPDATED),
    ],
)
def test_the_tallys_review_state_is_the_articles(reviewer, states, publication, expected):
    article = ArticleFactory()
    for state in states:
        ClaimFactory(article=article, state=state, created_by=reviewer)
    if publication:
        Article.objects.filter(pk=article.pk).update(
            publication=publication, published_at=timezone.now(), slug=f"a-{article.pk}"
        )
    article = Article.objects.get(pk=article.pk)
    assert article.review_state == expected
    assert ArticleTally.objects.get(article=article).review_state == expected


def test_the_publishers_name_is_copied_for_the_publisher_sorts():
    article = ArticleFactory(publisher="Daily Planet")
    alone = ArticleFactory(publisher="")
    assert ArticleTally.objects.get(article=article).publisher_name == "Daily Planet"
    assert ArticleTally.objects.get(article=alone).publisher_name is None

    Publisher.objects.filter(name="Daily Planet").update(name="The Daily Planet")
    assert ArticleTally.objects.get(article=article).publisher_name == "The Daily Planet"
    Article.objects.filter(pk=alone.pk).update(publisher=article.publisher)
    assert ArticleTally.objects.get(article=alone).publisher_name == "The Daily Planet"
    Article.objects.filter(pk=article.pk).update(publisher=None)
    assert ArticleTally.objects.get(article=article).publisher_name is None


def test_a_title_edit_is_copied_for_the_progress_sort():
    article = ArticleFactory(title="Old title")
    Article.objects.filter(pk=article.pk).update(title="New title")
    assert ArticleTally.objects.get(article=article).title == "New title"


def test_missing_triggers_are_made_again_and_the_counts_repaired(desk):
    tallies.drop_triggers(connection)
    Claim.objects.filter(article=desk[0]).update(state=Claim.State.DISMISSED)  # not counted
    assert tallied() != counted_from_claims()

    assert tallies.ensure(connection)

    assert tallied() == counted_from_claims()
    Claim.objects.filter(article=desk[0]).update(state=Claim.State.TO_DO)  # counted again
    assert tallied() == counted_from_claims()
    assert not tallies.ensure(connection)  # current: nothing to do


def test_a_recount_repairs_every_kind_of_drift(desk):
    """Counts and copies written wrong while the triggers were away (a restored dump, a
    hand-made fix): the recount puts each right, and the desk's totals with them."""
    tallies.drop_triggers(connection)
    first, second, third = desk
    second.publisher = Publisher.objects.named("Hillside Herald")
    second.save()
    verdict = Verdict.objects.first()
    ArticleTally.objects.filter(article=first).update(
        to_do=F("to_do") + 5, verdict_bits=0, title="Stale title"
    )
    ArticleVerdictTally.objects.filter(article=second).delete()
    ArticleVerdictTally.objects.update_or_create(
        article=third, verdict=verdict, defaults={"claims": 7}
    )
    ArticleTally.objects.filter(article=third).delete()
    claimless = ArticleFactory(title="Nothing claimed yet")
    ArticleTally.objects.filter(article=claimless).update(approved=3)

    assert tallies.ensure(connection)

    assert tallied() == counted_from_claims()
    assert ArticleTally.objects.get(article=first).title == first.title
    assert ArticleTally.objects.get(article=second).publisher_name == "Hillside Herald"
    assert not ArticleVerdictTally.objects.filter(claims=0).exists()
    by_state, by_verdict, articles = DeskTally.objects.all().totals()
    assert articles == Article.objects.count()
    assert {state: n for state, n in by_state.items() if n} == Counter(
        Claim.objects.values_list("state", flat=True)
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions are PostgreSQL's")
def test_a_recount_of_right_counts_writes_no_tally_again(desk):
    """A recount that finds every count right (triggers of a new definition that count the
    same) leaves the tallies' rows as they are: writing each again left PostgreSQL's tables
    half as large again for good."""
    ArticleFactory()  # an article without claims

    def row_versions():
        with connection.cursor() as cursor:
            versions = []
            for table in (tallies.TALLY, tallies.VERDICT_TALLY):
                cursor.execute(f'SELECT ctid::text, xmin::text FROM "{table}" ORDER BY ctid')  # noqa: S608
                versions.append(cursor.fetchall())
            return versions

    before = row_versions()
    tallies.recount(connection)
    assert row_versions() == before
    assert tallied() == counted_from_claims()


def test_the_dashboards_charts_and_filters_follow_a_change(client, reviewer, desk):
    client.force_login(reviewer)
    url = reverse("annotations:article-list")
    Claim.objects.filter(article=desk[0]).update(state=Claim.State.APPROVED)
    Claim.objects.exclude(article=desk[0]).update(state=Claim.State.TO_DO)

    response = client.get(url, {"review_state": "ready"})

    assert desk[0].title in response.content.decode()
    assert desk[1].title not in response.content.decode()
    assert 'data-key="approved" data-count="4"' in response.content.decode()


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"review_state": "in_progress"},
        {"review_state": "ready"},
        {"review_state": "to_do"},
        {"claim_state": "approved"},
        {"claim_state": "approved", "review_state": "in_review"},
        {"verdict": "first"},
        {"verdict": "first", "claim_state": "needs_review", "assignee": "reviewer"},
        {"publisher": "Daily Planet", "claim_state": "to_do"},
        {"q": "bus"},
        {"assignee": "reviewer"},
        {"assignee": "reviewer", "review_state": "in_progress", "publisher": "Daily Planet"},
        {"q": "   "},
        {"review_state": "no such state"},
    ],
)
def test_the_tallies_match_the_same_articles_as_the_filters(desk, reviewer, filters):
    ArticleFactory(title="A bus timetable")  # no claims: to do
    Claim.objects.filter(article=desk[2]).update(assignee=reviewer)
    if filters.get("verdict") == "first":
        filters["verdict"] = Verdict.objects.first()
    if filters.get("assignee") == "reviewer":
        filters["assignee"] = reviewer

    tallied = ArticleTally.objects.matching(**filters)
    by_verdict = ArticleVerdictTally.objects.of(tallied).claims_by_verdict()

    articles = Article.objects.matching(**filters)
    assert set(tallied.values_list("article_id", flat=True)) == set(
        articles.values_list("pk", flat=True)
    )
    # The charts' verdicts: the same articles' claims, however the rows were chosen.
    assert by_verdict == Counter(
        Claim.objects.filter(article__in=articles, verdict__isnull=False).values_list(
            "verdict_id", flat=True
        )
    )


def test_the_desks_totals_are_the_claims_and_articles_counted(desk):
    Claim.objects.filter(article=desk[0]).update(state=Claim.State.APPROVED)
    desk[1].delete()
    ArticleFactory()

    by_state, by_verdict, articles = DeskTally.objects.totals()

    assert articles == Article.objects.count()
    assert by_state == {s: Claim.objects.filter(state=s).count() for s in Claim.State}
    expected = Counter(Claim.objects.values_list("verdict_id", flat=True))
    assert {k: n for k, n in by_verdict.items() if n} == dict(expected)


def test_folding_the_desks_changes_keeps_its_totals(desk):
    Claim.objects.filter(article=desk[0]).update(state=Claim.State.SENT_BACK)
    Claim.objects.filter(article=desk[0]).update(state=Claim.State.TO_DO)
    before = DeskTally.objects.totals()
    rows = DeskTally.objects.count()

    tallies.fold_desk(connection)

    assert DeskTally.objects.totals() == before
    assert DeskTally.objects.count() < rows
    # One row per profile and state with claims, verdict with claims, and its articles.
    keys = set()
    for tally in ArticleTally.objects.all():
        profile = (tally.review_state, profile_of(tally), tally.verdict_bits)
        keys.add((*profile, "", None))
        keys |= {(*profile, s, None) for s in Claim.State.values if getattr(tally, s)}
        keys |= {
            (*profile, "", v.verdict_id)
            for v in ArticleVerdictTally.objects.filter(article_id=tally.article_id, claims__gt=0)
        }
    assert DeskTally.objects.count() == len(keys)


def test_a_fold_rewrites_only_the_keys_with_changes(desk):
    """The desk has a row per key once folded (thousands on a large desk); a fold after a few
    changes rewrites the rows of the keys they touched, not every key."""
    tallies.fold_desk(connection)
    folded = set(DeskTally.objects.values_list("pk", flat=True))
    claim = Claim.objects.filter(article=desk[2]).first()
    Claim.objects.filter(pk=claim.pk).update(state=Claim.State.APPROVED)
    before = DeskTally.objects.totals()
    assert DeskTally.objects.filter(folded=False).exists()

    tallies.fold_desk(connection)

    assert DeskTally.objects.totals() == before
    assert not DeskTally.objects.filter(folded=False).exists()
    now = set(DeskTally.objects.values_list("pk", flat=True))
    assert folded & now, "the keys the change did not touch keep their rows"
    assert folded - now, "the touched keys' rows are summed into new ones"


def profile_of(tally) -> int:
    return sum(tallies.state_bit(s) for s in Claim.State.values if getattr(tally, s))


def counted(articles) -> tuple[dict, dict, int]:
    """``DeskTally.objects.totals()`` of ``articles``, counted from their claims."""
    claims = Claim.objects.filter(article__in=articles)
    by_state = {s: claims.filter(state=s).count() for s in Claim.State}
    by_verdict = Counter(claims.values_list("verdict_id", flat=True))
    return by_state, by_verdict, articles.count()


def profile_totals(**filters) -> tuple[dict, dict, int]:
    by_state, by_verdict, articles = DeskTally.objects.counting(**filters).totals()
    return by_state, Counter({k: n for k, n in by_verdict.items() if n}), articles


PROFILE_FILTERS = (
    [{"review_state": state} for state in Article.State.values]
    + [{"claim_state": state} for state in Claim.State.values]
    + [
        {"review_state": "in_progress", "claim_state": "approved"},
        {"review_state": "ready", "claim_state": "dismissed"},
        {"review_state": "published", "claim_state": "needs_review"},
    ]
)


def profile_filters() -> list[dict]:
    """Every article-state and claim-state filter, every verdict's filter (with a bit), and
    some of them together."""
    verdicts = [v for v in Verdict.objects.values_list("pk", flat=True) if tallies.verdict_bit(v)]
    return [
        *PROFILE_FILTERS,
        *({"verdict": verdict} for verdict in verdicts),
        {"verdict": verdicts[0], "claim_state": "to_do"},
        {"verdict": verdicts[1], "review_state": "in_progress", "claim_state": "approved"},
        {"verdict": verdicts[-1], "review_state": "ready"},
    ]


def assert_profiles_are_counted():
    for filters in profile_filters():
        expected = counted(Article.objects.matching(**filters))
        assert profile_totals(**filters) == expected, filters


def test_the_totals_by_profile_are_the_selected_articles_claims_after_every_write(desk):
    verdicts = list(Verdict.objects.all())
    ArticleFactory()  # no claims
    assert_profiles_are_counted()

    # A bulk update moving articles from one profile to another, verdicts with them.
    Claim.objects.filter(article=desk[0]).update(state=Claim.State.APPROVED, verdict=verdicts[0])
    assert_profiles_are_counted()
    # A verdict taken away within a profile; a claim moved to another article.
    Claim.objects.filter(article=desk[1], verdict__isnull=False).update(verdict=None)
    moved = Claim.objects.filter(article=desk[2]).first()
    Claim.objects.filter(pk=moved.pk).update(article=desk[0])
    assert_profiles_are_counted()
    # Published, then withdrawn: the review state follows the publication.
    Article.objects.filter(pk=desk[0].pk).update(
        publication="published", published_at=timezone.now(), slug="a-0"
    )
    assert_profiles_are_counted()
    Article.objects.filter(pk=desk[0].pk).update(publication="unpublished")
    assert_profiles_are_counted()
    # Claims made one by one and in bulk, deleted, and an article deleted with its claims.
    ClaimFactory(article=desk[2], state=Claim.State.SENT_BACK, verdict=verdicts[1])
    Claim.objects.filter(article=desk[0], state=Claim.State.APPROVED).delete()
    desk[1].delete()
    assert_profiles_are_counted()
    by_state, by_verdict, articles = profile_totals()
    assert (by_state, by_verdict, articles) == counted(Article.objects.all())


def test_an_unknown_state_selects_no_profile(desk):
    assert DeskTally.objects.counting(review_state="no such state").totals()[2] == 0
    assert DeskTally.objects.counting(claim_state="no such state").totals()[2] == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
@pytest.mark.django_db(transaction=True)
def test_reading_the_desk_totals_never_waits_for_a_writer():
    """A page reading many rows of changes folds them only if it can write at once: behind
    another process's long write it answers at once, with the same totals."""
    import sqlite3
    import time

    from annotations.models import DeskTally

    fold_after = DeskTally.objects.all().FOLD_AFTER
    article = ArticleFactory()
    for _ in range(fold_after + 1):
        DeskTally.objects.create(state="to_do", claims=1)
    expected = DeskTally.objects.totals
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        started = time.monotonic()
        by_state, _, articles = DeskTally.objects.totals()
        waited = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert waited < 2
    assert by_state["to_do"] >= fold_after + 1
    assert articles == 1 and article.pk
    rows_before = DeskTally.objects.count()
    assert expected()[0] == by_state  # the free read folds them, to the same totals
    assert DeskTally.objects.count() < rows_before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_a_verdict_changed_while_another_write_moves_the_article_counts_in_its_new_profile(
    reviewer,
):
    import threading

    from django.db import connections, transaction

    first, second = list(Verdict.objects.all())[:2]
    article = ArticleFactory()
    claim = ClaimFactory(
        article=article, state=Claim.State.APPROVED, verdict=first, created_by=reviewer
    )
    moved = threading.Event()

    def new_kind_of_claim():
        try:
            with transaction.atomic():
                # The article's first claim to do: it moves to another profile, its verdicts
                # with it, in a transaction still open while the verdict below is changed.
                ClaimFactory(article=article, state=Claim.State.TO_DO, created_by=reviewer)
                moved.set()
                threading.Event().wait(0.3)
        finally:
            connections.close_all()

    thread = threading.Thread(target=new_kind_of_claim)
    thread.start()
    assert moved.wait(5)
    Claim.objects.filter(pk=claim.pk).update(verdict=second)
    thread.join()
    assert_profiles_are_counted()


def chart_counts(response) -> dict[str, int]:
    """The dashboard's charts as drawn: bar key → its count."""
    import re

    return {
        key: int(count)
        for key, count in re.findall(
            r'data-key="([^"]+)" data-count="(\d+)"', response.content.decode()
        )
    }


def test_the_verdict_filters_charts_are_its_articles_claims_counted(client, reviewer, desk):
    client.force_login(reviewer)
    verdict = Verdict.objects.order_by("pk").first()
    Claim.objects.filter(article=desk[1]).update(verdict=None)
    Claim.objects.filter(pk=Claim.objects.filter(article=desk[1]).first().pk).update(
        verdict=verdict
    )

    response = client.get(reverse("annotations:article-list"), {"verdict": verdict.pk})

    selected = Article.objects.matching(verdict=verdict)
    by_state, by_verdict, _ = counted(selected)
    assert desk[1].pk in set(selected.values_list("pk", flat=True))
    drawn = chart_counts(response)
    assert {s: drawn[s] for s in Claim.State.values} == {s.value: n for s, n in by_state.items()}
    assert drawn[str(verdict.pk)] == by_verdict[verdict.pk]
    assert drawn["none"] == by_verdict[None]
    assert f"<strong>{selected.count()}</strong> articles match" in response.content.decode()


def test_a_verdict_whose_id_has_no_bit_is_counted_from_its_articles(client, reviewer, desk):
    """The verdicts are the desk's own vocabulary: one added with an id past the profile's
    bits is left out of ``verdict_bits``; its filter sums its articles' tallies."""
    late = Verdict.objects.create(pk=100, label="Satire", colour="#123456")
    assert tallies.verdict_bit(late.pk) is None
    Claim.objects.filter(pk=Claim.objects.filter(article=desk[0]).first().pk).update(verdict=late)
    assert tallied() == counted_from_claims()
    assert DeskTally.objects.selecting({"verdict": late.pk}) is None
    assert DeskTally.objects.selecting({"verdict": Verdict.objects.order_by("pk")[0]}) is not None
    client.force_login(reviewer)

    response = client.get(reverse("annotations:article-list"), {"verdict": late.pk})

    by_state, by_verdict, articles = counted(Article.objects.matching(verdict=late))
    assert articles == 1
    drawn = chart_counts(response)
    assert {s: drawn[s] for s in Claim.State.values} == {s.value: n for s, n in by_state.items()}
    assert drawn[str(late.pk)] == by_verdict[late.pk] == 1
    assert_profiles_are_counted()


def test_a_verdict_coming_and_going_moves_the_article_to_another_profile(desk):
    """An article's first claim of a verdict, and its last one losing it, change its profile:
    its counts (every verdict's) move with it; a claim of a verdict the article has already
    does not."""
    verdict = Verdict.objects.order_by("pk").last()
    article = desk[0]
    Claim.objects.filter(article=article).update(verdict=None)
    assert ArticleTally.objects.get(article=article).verdict_bits == 0
    claims = list(Claim.objects.filter(article=article).order_by("pk"))

    Claim.objects.filter(pk=claims[0].pk).update(verdict=verdict)
    assert ArticleTally.objects.get(article=article).verdict_bits == tallies.verdict_bit(verdict.pk)
    assert_profiles_are_counted()
    Claim.objects.filter(pk=claims[1].pk).update(verdict=verdict)
    Claim.objects.filter(pk=claims[0].pk).update(verdict=None)
    assert ArticleTally.objects.get(article=article).verdict_bits == tallies.verdict_bit(verdict.pk)
    assert_profiles_are_counted()
    Claim.objects.filter(pk=claims[1].pk).delete()
    assert ArticleTally.objects.get(article=article).verdict_bits == 0
    assert tallied() == counted_from_claims()
    assert_profiles_are_counted()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's row triggers write the verdict tallies only for a verdict; it has no "
    "lock on one table",
)
@pytest.mark.django_db(transaction=True)
def test_a_claim_made_or_reworded_without_a_verdict_leaves_the_verdict_tallies_alone(
    reviewer, locked_elsewhere
):
    """The claims' trigger writes the verdict tallies only for rows with a verdict, and an
    edit of a claim's words (nothing counted moved) stops before any tally: a reviewer making
    a claim or rewording one neither reads nor waits for them, a verdict given does."""
    from django.db import OperationalError

    article = ArticleFactory()
    claim = ClaimFactory(article=article, verdict=Verdict.objects.first(), created_by=reviewer)
    with locked_elsewhere(ArticleVerdictTally._meta.db_table):
        made = ClaimFactory(article=article, created_by=reviewer)
        claim.refresh_from_db()
        claim.statement = "Reworded while the verdict tallies are locked"
        claim.save()
        with pytest.raises(OperationalError, match="lock timeout"):
            Claim.objects.filter(pk=made.pk).update(verdict=Verdict.objects.first())
    assert Claim.objects.filter(pk=made.pk, verdict__isnull=True).exists()


# --- A publisher renamed while articles are written (PostgreSQL: read committed, many writers) --


def one_waits_for_the_other(first, second):
    """``first`` runs in a transaction of its own connection, which stays open until ``second``,
    run in another connection once ``first`` ran, has finished or is waiting for a lock; then
    it commits (and ``second``, waiting or not, ends). Each thread's errors are raised here."""
    import threading

    from django.db import connections, transaction

    first_ran, second_started = threading.Event(), threading.Event()
    second_pid, errors = [], []

    def in_a_thread(function):
        def run():
            try:
                function()
            except BaseException as error:  # noqa: BLE001 — raised again in the test's thread
                errors.append(error)
                first_ran.set()
                second_started.set()
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def run_first():
        with transaction.atomic(), connection.cursor() as cursor:
            first()
            first_ran.set()
            assert second_started.wait(10)
            for _ in range(1000):  # up to 10 s
                cursor.execute(
                    "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = %s AND NOT granted)",
                    second_pid,
                )
                if cursor.fetchone()[0] or not second_thread.is_alive():
                    break
                threading.Event().wait(0.01)
            else:
                raise AssertionError("the second transaction neither ended nor waited")

    def run_second():
        assert first_ran.wait(10)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            second_pid.append(cursor.fetchone()[0])
            second_started.set()
            second()

    first_thread = in_a_thread(run_first)
    second_thread = in_a_thread(run_second)
    for thread in (first_thread, second_thread):
        thread.join(30)
        assert not thread.is_alive()
    if errors:
        raise errors[0]


def renamed(publisher):
    def rename():
        Publisher.objects.filter(pk=publisher.pk).update(name="The Daily Planet")

    return rename


def publisher_copy(article_id) -> str | None:
    return ArticleTally.objects.get(article_id=article_id).publisher_name


def assert_every_copy_is_the_publishers_name():
    copies = dict(ArticleTally.objects.values_list("article_id", "publisher_name"))
    assert copies == dict(Article.objects.values_list("pk", "publisher__name"))


needs_many_writers = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer at a time"
)


@needs_many_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rename_first", [True, False], ids=["rename first", "insert first"])
def test_an_article_inserted_while_its_publisher_is_renamed_keeps_the_new_name(rename_first):
    publisher = ArticleFactory(publisher="Daily Planet").publisher
    inserted = []

    def insert():
        inserted.append(ArticleFactory(publisher=publisher).pk)

    if rename_first:
        one_waits_for_the_other(renamed(publisher), insert)
    else:
        one_waits_for_the_other(insert, renamed(publisher))
    assert publisher_copy(inserted[0]) == "The Daily Planet"
    assert_every_copy_is_the_publishers_name()


@needs_many_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rename_first", [True, False], ids=["rename first", "move first"])
@pytest.mark.parametrize("which", ["to", "away from"])
def test_an_article_moved_while_a_publisher_is_renamed_keeps_its_publishers_name(
    rename_first, which
):
    """An article moved to a publisher being renamed, or away from it to another."""
    article = ArticleFactory(publisher="Hillside Herald" if which == "to" else "Daily Planet")
    ArticleFactory(publisher="Daily Planet" if which == "to" else "Hillside Herald")
    renaming = Publisher.objects.get(name="Daily Planet")
    destination = renaming if which == "to" else Publisher.objects.get(name="Hillside Herald")

    def move():
        Article.objects.filter(pk=article.pk).update(publisher=destination)

    if rename_first:
        one_waits_for_the_other(renamed(renaming), move)
    else:
        one_waits_for_the_other(move, renamed(renaming))
    destination.refresh_from_db()
    assert publisher_copy(article.pk) == destination.name
    assert_every_copy_is_the_publishers_name()


@needs_many_writers
@pytest.mark.django_db(transaction=True)
def test_a_title_edited_while_its_publisher_is_renamed_keeps_the_new_name():
    article = ArticleFactory(publisher="Daily Planet")

    def edit_title():
        Article.objects.filter(pk=article.pk).update(title="Buses on time")

    one_waits_for_the_other(renamed(article.publisher), edit_title)
    assert ArticleTally.objects.get(pk=article.pk).title == "Buses on time"
    assert publisher_copy(article.pk) == "The Daily Planet"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's are made at each migrate")
def test_functions_changed_without_changing_the_counts_are_replaced_without_counting_again():
    """A migration changing only what the functions do (0039: the publisher's name read
    locked) renames the desk's triggers instead of counting 2,000,000 claims again; triggers
    of any other definition are made again and everything counted, as ``ensure`` does."""
    ClaimFactory(article=ArticleFactory(), state=Claim.State.TO_DO)
    current = tallies.signature()

    def name_triggers(signature):
        with connection.cursor() as cursor:
            for name in tallies.existing_triggers(connection):
                table = next(t for s, t in tallies.TRIGGER_TABLES.items() if name.startswith(s))
                kind = name.rsplit("_", 1)[0]
                cursor.execute(
                    f'ALTER TRIGGER "{name}" ON "{table}" RENAME TO "{kind}_{signature}"'
                )

    name_triggers("00000000aa")  # the desk's, as made by the code before
    ArticleTally.objects.update(to_do=1000)  # so a count made again shows

    made_again = tallies.TRIGGERS.replace_functions(
        connection, from_signatures=("00000000cc", "00000000aa"), to_signature=current
    )

    assert made_again is False
    assert tallies.existing_triggers(connection) == set(tallies.wanted_triggers(connection))
    assert set(ArticleTally.objects.values_list("to_do", flat=True)) == {1000}
    name_triggers("00000000bb")  # a definition the migration was not written for
    assert tallies.TRIGGERS.replace_functions(
        connection, from_signatures=("00000000cc", "00000000aa"), to_signature=current
    )
    assert tallies.existing_triggers(connection) == set(tallies.wanted_triggers(connection))
    assert tallied() == counted_from_claims()
