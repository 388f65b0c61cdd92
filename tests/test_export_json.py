import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from annotations.exporters import FORMATS
from annotations.exporters._common import IsoText, iso
from annotations.exporters.json import FileData
from annotations.exporters.scope import Scope
from annotations.importers.report import import_report
from annotations.models import (
    Article,
    Citation,
    Claim,
    ClaimFamily,
    ClaimFigure,
    Comment,
    Source,
    User,
)
from tests.export_helpers import with_families, worked_example, worked_example_by_the_rules
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def export_json(scope=Scope.INTERNAL, articles=None) -> str:
    out = io.StringIO()
    FORMATS["json"].write(articles or Article.objects.all(), scope, out)
    return out.getvalue()


def wipe_database():
    Comment.objects.all().delete()
    Citation.objects.all().delete()
    Claim.objects.all().delete()
    ClaimFamily.objects.all().delete()  # after their members, whose deletion they record
    Article.objects.all().delete()
    Source.objects.all().delete()
    User.objects.all().delete()


def test_json_export_is_complete_and_versioned():
    example = worked_example()
    data = json.loads(export_json())
    assert data["schema_version"] == 2
    assert {v["label"] for v in data["verdicts"]} >= {"Accurate", "Misleading", "Unverifiable"}
    article = data["articles"][0]
    assert article["raw_text"] and article["body"]
    claim = article["claims"][0]
    assert claim["quote"] == article["body"][claim["start"] : claim["end"]]
    assert {"prefix", "suffix", "statement", "verdict", "approved_by", "citations"} <= set(claim)
    assert claim["citations"][0]["source"] == example["sources"][0].url
    assert claim["figures"][0]["text"] == "12.4 million"
    assert claim["figures"][0]["value"] == 12_400_000
    assert claim["figures"][0]["counted"] == "passenger"
    assert any(c["comments"] for c in article["claims"])
    assert {u["username"] for u in data["users"]} >= {"rowan", "ellis"}
    assert {s["url"] for s in data["sources"]} == {s.url for s in example["sources"]}
    # No database ids anywhere: the file means the same in any database.
    assert '"id"' not in export_json()


def test_published_json_has_only_approved_claims_and_no_comments():
    worked_example()
    data = json.loads(export_json(Scope.PUBLISHED))
    claims = [claim for article in data["articles"] for claim in article["claims"]]
    assert len(claims) == 6
    assert {claim["state"] for claim in claims} == {"approved"}
    assert not any(claim["comments"] for claim in claims)


def test_sources_are_listed_in_url_order_a_batch_at_a_time(monkeypatch):
    """The whole library for a complete export, only the cited sources for some articles;
    each once, in URL order, with its creator among the users, however many batches."""
    import annotations.exporters.json as json_export

    monkeypatch.setattr(json_export, "SOURCES_PER_QUERY", 2)
    maker = User.objects.create_user("sourcekeeper")
    sources = [
        SourceFactory(url=f"https://stats.example/{name}", created_by=maker)
        for name in ("delta", "alpha", "echo", "charlie", "bravo")
    ]
    cited = ClaimFactory()
    for source in (sources[2], sources[0], sources[2]):
        Citation.objects.create(claim=cited, source=source, quote="A figure", locator="p. 1")
    ClaimFactory()  # another article, citing nothing

    everything = json.loads(export_json())
    assert [s["url"] for s in everything["sources"]] == sorted(s.url for s in sources)
    assert {s["created_by"] for s in everything["sources"]} == {"sourcekeeper"}
    assert "sourcekeeper" in {u["username"] for u in everything["users"]}

    some = json.loads(export_json(articles=Article.objects.filter(pk=cited.article_id)))
    assert [s["url"] for s in some["sources"]] == [
        "https://stats.example/delta",
        "https://stats.example/echo",
    ]


def test_a_source_edited_or_deleted_while_the_file_is_written_leaves_it_consistent():
    """The sources list is read at the end of the file: a cited source renamed meanwhile is
    listed under the URL its citations name, one deleted meanwhile is left out."""
    renamed = SourceFactory(url="https://stats.example/renamed")
    gone = SourceFactory(url="https://stats.example/gone")
    claim = ClaimFactory()
    Citation.objects.create(claim=claim, source=renamed, quote="A figure", locator="p. 1")
    citation = Citation.objects.create(claim=claim, source=gone, quote="A figure", locator="p. 2")
    data = FileData(Article.objects.all(), Scope.INTERNAL, iso_dates=True)
    written = [bundle.claims for bundle in data]  # the articles are written first
    assert written

    Source.objects.filter(pk=renamed.pk).update(url="https://stats.example/renamed-later")
    citation.delete()
    gone.delete()
    listed = [s["url"] for s in data.sources_in_file(whole_library=False)]
    assert listed == ["https://stats.example/renamed"]


# Every kind of character JSON escapes or may trip over, in every free-text field.
TRICKY = '"quoted" \\ back\\slash\ttab\nline\r\x01\x1f\x7f é 公共 🚌 \u2028 </script>'


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite writes the claims' JSON")
@pytest.mark.parametrize("scope", list(Scope))
def test_claims_written_by_the_database_are_the_bytes_python_writes(scope, monkeypatch):
    worked_example()
    first, second = Claim.objects.order_by("pk")[:2]
    Claim.objects.filter(pk=first.pk).update(
        statement=TRICKY,
        claimant=TRICKY,
        verdict_explanation=TRICKY,
        sent_back_reason=TRICKY,
        claim_date=datetime.date(2024, 2, 29),
    )
    # A time on the second exactly, and one with microseconds.
    Claim.objects.filter(pk=second.pk).update(
        approved_at=datetime.datetime(2024, 3, 1, 9, 30, tzinfo=datetime.UTC),
        created_at=datetime.datetime(2024, 3, 1, 9, 30, 0, 1, tzinfo=datetime.UTC),
    )
    Citation.objects.update(quote=TRICKY, locator=TRICKY, note=TRICKY)
    Comment.objects.update(body=TRICKY)
    # Figures are written by Python on both paths: numbers SQLite would spell with fewer
    # digits, a reviewer's note and what the reader first read.
    ClaimFigure.objects.filter(claim=first).update(
        value=1 / 3, low=1e-7, high=2.5e16, note=TRICKY, counted=TRICKY[:100]
    )
    ClaimFigure.objects.filter(claim=second).update(
        extracted={"unit": "count", "value": 0.1 + 0.2, "counted": TRICKY}
    )
    by_the_database = export_json(scope)
    monkeypatch.setattr(FileData, "_load_claims", FileData._load_claim_dicts)
    by_python = export_json(scope)
    assert by_the_database == by_python
    claims = [claim for article in json.loads(by_python)["articles"] for claim in article["claims"]]
    assert any(citation["quote"] == TRICKY for claim in claims for citation in claim["citations"])
    if scope is Scope.INTERNAL:
        assert TRICKY in {claim["statement"] for claim in claims}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite writes the claims' JSON")
@pytest.mark.parametrize("scope", list(Scope))
def test_chunks_read_by_sql_compiled_once_are_the_bytes_python_writes(scope, monkeypatch):
    """Each chunk's claims, citations and comments are read by SQL compiled once per process
    for chunks of as many articles: a chunk of ten and one of two, each exported twice (the
    second time from the compiled SQL), hold the claims of their own articles only."""
    worked_example(n_articles=12)
    by_the_database = [export_json(scope), export_json(scope)]
    monkeypatch.setattr(FileData, "_load_claims", FileData._load_claim_dicts)
    by_python = export_json(scope)
    assert by_the_database == [by_python, by_python]
    articles = json.loads(by_python)["articles"]
    assert len(articles) == 12
    for article in articles:
        assert article["claims"]
        assert all(c["quote"] == article["body"][c["start"] : c["end"]] for c in article["claims"])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite spells times in SQL")
def test_times_spelled_by_sqlite_are_what_python_spells_for_other_databases():
    claim = ClaimFactory(claim_date=datetime.date(2024, 2, 29))
    for moment in (
        datetime.datetime(2024, 3, 1, 9, 30, tzinfo=datetime.UTC),
        datetime.datetime(2024, 3, 1, 9, 30, 0, 120, tzinfo=datetime.UTC),
    ):
        Claim.objects.filter(pk=claim.pk).update(created_at=moment)
        spelled = Claim.objects.filter(pk=claim.pk).values_list(
            IsoText("created_at", of_time=True), IsoText("claim_date", of_time=False)
        )
        assert spelled.get() == (iso(moment), "2024-02-29")
    # Dates of articles and sources, read the same way, reach the file as text too.
    source = SourceFactory(published_on=datetime.date(2023, 5, 6))
    claim.add_citation(by=claim.created_by, version=claim.version, source=source)
    data = json.loads(export_json())
    assert [s["published_on"] for s in data["sources"]] == ["2023-05-06"]


def test_round_trip_through_an_empty_database_is_identical():
    # Its approvals keep the rules; an import holds back those that do not. Its claims have
    # figures (one corrected, one removed) and families (one a resolved conflict, two split
    # apart), and a proposal was turned down.
    with_families(worked_example_by_the_rules())
    first = export_json()
    wipe_database()
    summary = import_report(first)
    assert summary.created["articles"] == 2
    assert summary.created["claims"] == 8
    assert summary.created["families"] == 3
    assert summary.created["rejected pairs"] == 1
    assert export_json() == first


def test_importing_the_same_file_twice_duplicates_nothing():
    worked_example()
    text = export_json()
    summary = import_report(text)
    assert summary.created["articles"] == summary.created["claims"] == 0
    assert summary.existing["claims"] == 8
    assert Claim.objects.count() == 8
    assert Source.objects.count() == 2
    assert export_json() == text


def test_merge_adds_only_what_is_missing():
    # Its approvals keep the rules; an import holds back those that do not.
    worked_example_by_the_rules()
    text = export_json()
    data = json.loads(text)
    # The target already has the first article, with one claim fewer.
    wipe_database()
    partial = json.loads(text)
    partial["articles"] = partial["articles"][:1]
    partial["articles"][0]["claims"] = partial["articles"][0]["claims"][:2]
    import_report(partial)
    summary = import_report(data)
    assert summary.existing["articles"] == 1
    assert summary.created["articles"] == 1
    assert summary.created["claims"] == 6
    assert Claim.objects.count() == 8
    assert export_json() == text


def test_missing_users_are_created_inactive_without_password():
    worked_example()
    text = export_json()
    wipe_database()
    import_report(text)
    rowan = User.objects.get(username="rowan")
    assert not rowan.is_active
    assert not rowan.has_usable_password()
    assert rowan.get_full_name() == "Rowan Reed"


def test_export_command_writes_json_to_a_file(tmp_path):
    example = worked_example()
    target = tmp_path / "out.json"
    call_command(
        "export_report",
        "--format=json",
        f"--article={example['articles'][0].pk}",
        f"--output={target}",
        "--no-progress",
    )
    data = json.loads(target.read_text(encoding="utf-8"))
    assert len(data["articles"]) == 1


def test_export_command_writes_to_stdout_and_import_command_restores(tmp_path, capsys):
    # Its approvals keep the rules; an import holds back those that do not.
    worked_example_by_the_rules()
    call_command("export_report", "--format=json", "--scope=internal", "--no-progress")
    text = capsys.readouterr().out
    wipe_database()
    path = tmp_path / "backup.json"
    path.write_text(text, encoding="utf-8")
    call_command("import_report", str(path))
    assert "articles: 2 created" in capsys.readouterr().out
    assert export_json() == text


def _make_orphan_and_tags() -> Claim:
    """The first draft becomes an orphan (its offsets past the end of a shortened body) and
    the first claim gets tags, so every new field has something to carry."""
    first = Claim.objects.order_by("pk").first()
    Claim.objects.filter(pk=first.pk).update(tags=["bus", "fares — 2024", TRICKY])
    draft = Claim.objects.filter(state=Claim.State.NEEDS_REVIEW).order_by("pk").first()
    article = draft.article
    article.body = article.body[: draft.start]
    article.save()
    draft.orphan("the quoted text is not in the article")
    draft.save()
    return draft


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite writes the claims' JSON")
def test_orphans_and_tags_written_by_the_database_are_the_bytes_python_writes(monkeypatch):
    worked_example()
    _make_orphan_and_tags()
    by_the_database = export_json(Scope.INTERNAL)
    monkeypatch.setattr(FileData, "_load_claims", FileData._load_claim_dicts)
    assert by_the_database == export_json(Scope.INTERNAL)


def test_an_orphan_is_exported_with_its_last_known_quote_and_round_trips():
    worked_example_by_the_rules()
    draft = _make_orphan_and_tags()
    first = export_json(Scope.INTERNAL)
    claims = [claim for article in json.loads(first)["articles"] for claim in article["claims"]]
    orphan = next(claim for claim in claims if claim["orphaned_at"])
    assert orphan["quote"] == draft.quote == "fares to rise by 2.5%"
    assert orphan["orphan_reason"] == "the quoted text is not in the article"
    assert ["bus", "fares — 2024", TRICKY] in [claim["tags"] for claim in claims]
    wipe_database()
    import_report(first)
    assert export_json(Scope.INTERNAL) == first
    assert sorted(c.is_orphan for c in Claim.objects.filter(quote=draft.quote)) == [False, True]
