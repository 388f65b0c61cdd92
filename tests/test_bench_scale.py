"""``make bench-scale`` writes its rows with COPY, not through ``Claim.save``: these tests hold
its rows to what the app stores for the same claim, and its desk to the app's rules."""

import random

import pytest
from django.db import connection

from annotations.models import ArticleTally, Claim, ClaimFigure, ClaimKey, Verdict
from bench.scale import Derived, telling
from bench.scale_desk import Desk, claim_life
from bench.scale_pages import tally_write_costs
from tests.factories import ArticleFactory, ClaimFactory


@pytest.mark.django_db
def test_bench_scale_figures_and_keys_are_those_claim_save_stores(reviewer):
    r = random.Random(3)
    derived = Derived()
    for number in range(40):
        quote, statement, claimant, _ = telling(number, r)
        article = ArticleFactory(body=f"In short. {quote} More later.")
        start = article.body.index(quote)
        claim = Claim.objects.create(
            article=article,
            start=start,
            end=start + len(quote),
            quote=quote,
            statement=statement,
            claimant=claimant,
            created_by=reviewer,
        )
        stored = [
            {name: getattr(f, name) for name in (*ClaimFigure.READING, "source", "start", "end")}
            | {"text": f.text}
            for f in ClaimFigure.objects.filter(claim=claim).order_by("pk")
        ]
        rows, figures = derived.figures(quote, statement)
        assert rows == stored, quote
        # Asked again (a retold story): the same rows, not read twice.
        assert derived.figures(quote, statement) == (rows, figures)
        keys = derived.keys(quote, statement, claimant, figures)
        assert sorted(keys) == sorted(
            ClaimKey.objects.filter(claim=claim).values_list("key", flat=True)
        )
    assert derived.counts() == {"asked": 80, "read": 40}


def test_bench_scale_claims_are_approved_by_an_editor_who_did_not_propose_and_cite_a_source():
    desk = Desk(reviewers=[1, 2, 3], editors=[10, 11], verdicts=[5, 6])
    r = random.Random(8)
    finals = set()
    for _ in range(2_000):
        final, events = claim_life(r, desk, "")
        finals.add(final)
        states = [e.changes["state"] for e in events if "state" in e.changes]
        assert (states[-1] if states else "to_do") == final
        if final == "approved":
            proposal, approval = events[-2], events[-1]
            assert approval.by in desk.editors
            assert proposal.changes["verdict_proposed_by_id"] != approval.by
            assert proposal.citations, "approved without a source cited"
    assert finals == {s.value for s in Claim.State}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans time triggers")
def test_bench_scale_times_the_tallies_triggers_on_claim_writes_and_changes_nothing(reviewer):
    first, *_ = Verdict.objects.order_by("pk")
    article = ArticleFactory()
    ClaimFactory(article=article, verdict=first, created_by=reviewer)
    plain = ClaimFactory(article=article, created_by=reviewer)
    before = list(Claim.objects.order_by("pk").values_list("state", "verdict_id", "statement"))
    tally = ArticleTally.objects.get(article=article)

    costs = tally_write_costs(runs=2)

    assert set(costs) == {
        "a state change",
        "a text edit",
        "a verdict the article has",
        "a verdict new to the article",
        "a proposal (state and a new verdict)",
    }
    assert all(ms > 0 for ms in costs.values())
    # Every update was rolled back: the claims and their article's counts are as they were.
    assert list(Claim.objects.order_by("pk").values_list("state", "verdict_id", "statement")) == (
        before
    )
    assert ArticleTally.objects.get(article=article).verdict_bits == tally.verdict_bits
    assert Claim.objects.get(pk=plain.pk).verdict_id is None
