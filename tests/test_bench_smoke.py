"""The benchmark data generator builds valid data (no timing here: `make bench` measures)."""

import random

import pytest

from annotations.models import Citation, Claim
from bench import data


@pytest.mark.django_db
def test_generated_article_has_requested_overlapping_claims_that_match_the_body():
    sources = data.make_sources(random.Random(1), 20)
    built = data.make_article(random.Random(2), claims=200, sources=sources, citations=400)

    article = built.article
    claims = list(Claim.objects.filter(article=article).order_by("start", "end"))
    assert 24_000 <= len(article.body) <= 27_000
    assert len(claims) == 200
    assert Citation.objects.filter(claim__article=article).count() == 400
    for claim in claims:
        claim.full_clean()  # quote == body[start:end], inside the body, not empty
        assert claim.quote == article.body[claim.start : claim.end]
    overlapping = sum(1 for a, b in zip(claims, claims[1:], strict=False) if b.start < a.end)
    assert overlapping > 10
    assert any("\n\n" in claim.quote for claim in claims)


@pytest.mark.django_db
def test_same_seed_gives_the_same_article():
    first = data.make_article(random.Random(7), claims=10, tag="a").article
    second = data.make_article(random.Random(7), claims=10, tag="b").article
    assert first.body == second.body
    spans = lambda article: list(article.claims.values_list("start", "end"))  # noqa: E731
    assert spans(first) == spans(second)


def test_article_files_for_import_are_plain_text(tmp_path):
    paths = data.write_article_files(random.Random(3), tmp_path, 3)
    assert [path.name for path in paths] == [
        "article-0000.txt",
        "article-0001.txt",
        "article-0002.txt",
    ]
    assert all(len(path.read_text(encoding="utf-8")) > 2_000 for path in paths)


def test_form_finder_submits_what_a_browser_would():
    from bench.forms import find_form

    html = """<form action="/x/" method="post"><input type="hidden" name="version" value="3">
    <textarea name="statement">
Text</textarea><select name="category"><option value="">--</option>
    <option value="quote" selected>Quote</option></select>
    <input type="checkbox" name="flag"><button type="submit">Save</button></form>"""
    form = find_form(html, "/x/")
    assert form.fields == {"version": "3", "statement": "Text", "category": "quote"}


@pytest.mark.django_db
def test_load_test_integrity_check_accepts_real_edits_and_catches_lost_ones():
    from loadtest.driver import Write
    from loadtest.integrity import check

    user = data.ensure_users(1, "checker")[0]
    claims = data.make_article(random.Random(4), claims=6, author=user, tag="i").claims
    # An edit of an approved claim is a proposed change: the load test edits claims in work.
    claim = next(c for c in claims if c.state != Claim.State.APPROVED)
    claim.edit(by=user, version=1, statement="first edit")
    claim.edit(by=user, version=2, statement="second edit")
    kept = [
        Write("edit", "success", "first edit", claim.pk, claim.article_id, 1),
        Write("edit", "success", "second edit", claim.pk, claim.article_id, 2),
        Write("edit", "conflict", "refused edit", claim.pk, claim.article_id, 1),
    ]
    assert check(kept)["problems"] == []

    # A success the database does not hold, and two successes based on one version.
    lost = [*kept, Write("edit", "success", "vanished edit", claim.pk, claim.article_id, 1)]
    report = check(lost)
    assert report["lost_writes"] == 2
    assert any("no version 2 with the written statement" in p for p in report["problems"])
    assert any("based on version 1" in p for p in report["problems"])


@pytest.mark.django_db
def test_public_page_figures_run_and_the_unchanged_page_answers_304(tmp_path):
    from annotations.models import Role
    from bench.suite import Suite

    suite = Suite(tmp_path, quick=True, seed=1, log=lambda *args: None)
    suite.reviewer = data.ensure_users(1, "benchreviewer", Role.REVIEWER)[0]
    suite.editor = data.ensure_users(1, "bencheditor", Role.EDITOR)[0]
    suite.runs, suite.warmup = 2, 1
    suite.bench_public_page()
    figures = {result.figure: result for result in suite.results}
    assert set(figures) == {
        "public page, 200 claims (signed out)",
        "public page, 200 claims, rendered afresh (cache emptied)",
        "public page, 200 claims, unchanged (304)",
    }
    for result in figures.values():
        assert result.median_ms is not None, result.note  # ran, and answered as expected
    assert figures["public page, 200 claims (signed out)"].queries == 3  # article, validator


def test_checkworthy_set_is_large_varied_and_well_formed():
    from bench import checkworthy

    articles = checkworthy.load_set()
    sentences = [s for a in articles for s in a.sentences]
    assert len(sentences) >= 400
    assert len({a.kind for a in articles}) >= 15
    assert 0.3 < sum(s.worthy for s in sentences) / len(sentences) < 0.7
    for article in articles:
        for sentence in article.sentences:
            assert article.text[sentence.start : sentence.end] == sentence.text


@pytest.mark.django_db
def test_checkworthy_bench_reports_the_issue_figures():
    from bench import checkworthy

    results = checkworthy.results(quick=True)
    figures = [result.figure for result in results]
    assert any("precision@10" in figure for figure in figures)
    assert any("stating a figure" in figure for figure in figures)
    timed = [result for result in results if result.median_ms is not None]
    assert len(timed) == 2 and all(result.target_ms == 30 for result in timed)
    assert "suggestions stored" in timed[1].note
    assert all(result.passed is not None for result in results)
