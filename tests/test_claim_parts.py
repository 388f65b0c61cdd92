"""Headline and standfirst are claimable: a claim names its part of the article, and its offsets
count from the start of that part's text."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from annotations import anchoring
from annotations.models import Article, Claim
from tests.factories import ArticleFactory, ClaimFactory, UserFactory

HEADLINE = "300,000 predators on the prowl, police warn"
STANDFIRST = "Specialists say the figure counts every registered offender since 1997."


@pytest.fixture
def article(db):
    return ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)


def test_each_part_names_its_text(article):
    assert article.text_of(Article.Part.HEADLINE) == HEADLINE
    assert article.text_of("standfirst") == STANDFIRST
    assert article.text_of(Article.Part.BODY) == article.body


def test_a_selection_in_the_headline_is_anchored_in_the_headline(article):
    claim = Claim.objects.create_from_selection(
        article, 0, 30, "300,000 predators on the prowl", by=UserFactory(), part="headline"
    )
    claim.refresh_from_db()
    assert (claim.part, claim.start, claim.end) == ("headline", 0, 30)
    assert claim.quote == "300,000 predators on the prowl"
    assert claim.suffix == ", police warn"
    assert claim.text == HEADLINE


def test_a_selection_that_is_not_in_the_named_part_is_refused(article):
    # The standfirst's words at the standfirst's offsets, but sent as a headline selection.
    with pytest.raises(anchoring.AnchorError):
        Claim.objects.create_from_selection(
            article, 0, 11, "Specialists", by=UserFactory(), part="headline"
        )
    assert not Claim.objects.exists()


def test_an_unknown_part_is_refused_by_the_database(article):
    claim = ClaimFactory(article=article)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(part="footer")


def test_reading_order_puts_headline_then_standfirst_then_body(article):
    body = ClaimFactory(article=article, start=0, end=4)
    standfirst = ClaimFactory(article=article, part="standfirst", start=0, end=11)
    headline = ClaimFactory(article=article, part="headline", start=8, end=17)
    assert list(article.claims.in_reading_order()) == [headline, standfirst, body]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_what_existing_claims_cover():
    executor = MigrationExecutor(connection)
    [before] = [
        (app, name)
        for app, name in executor.loader.graph.nodes
        if app == "annotations" and name.startswith("0015_")
    ]
    [after] = [
        (app, name)
        for app, name in executor.loader.graph.nodes
        if app == "annotations" and name.endswith("_claim_part")
    ]
    leaf = executor.loader.graph.leaf_nodes("annotations")[0]
    try:
        executor.migrate([before])
        apps = MigrationExecutor(connection).loader.project_state([before]).apps
        old_article = apps.get_model("annotations", "Article").objects.create(
            title="Buses carry record numbers",
            standfirst="A standfirst",
            body="Passenger journeys rose to 12.4 million last year.",
            raw_text="raw",
            content_hash="7" * 64,
        )
        apps.get_model("annotations", "Claim").objects.create(
            article=old_article,
            start=19,
            end=40,
            quote="rose to 12.4 million ",
            prefix="",
            suffix="",
        )

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([after])
        apps = MigrationExecutor(connection).loader.project_state([after]).apps
        [claim] = apps.get_model("annotations", "Claim").objects.all()
        assert claim.part == "body"
        assert (claim.start, claim.end) == (19, 40)
        assert old_article.body[claim.start : claim.end] == claim.quote
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([leaf])
