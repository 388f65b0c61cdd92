"""Our W3C export read back: export → a fresh database with the same article files, people and
verdicts → import_annotations → the same export, byte for byte."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection

from annotations import anchoring
from annotations.exporters import FORMATS
from annotations.exporters.scope import DRAFT_LABEL, Scope
from annotations.importers.w3c import W3CImportError, import_annotations
from annotations.models import Article, Citation, Claim, Comment, Role, Source, User, Verdict
from tests.export_helpers import approve, claim_on
from tests.factories import ArticleFactory, CitationFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

BUSES_URL = "https://harbour-gazette.example/news/2024/03/buses-record"
ARTICLE_FILES = {
    "buses.html": f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Buses carry record numbers | Harbour Gazette</title>
<link rel="canonical" href="{BUSES_URL}">
<meta property="og:site_name" content="Harbour Gazette"></head>
<body><main><article>
<h1>Buses carry record numbers</h1>
<p>City buses carried 12.4 million passengers last year, the transport authority said on
Friday, the most since records began in 1998.</p>
<p>The authority said 94% of buses ran on time, and that the new express routes now carry
3,000 people a day.</p>
<p>It also announced plans for fares to rise by 2.5% in April, the first increase in three
years.</p>
<p>Passenger groups said they would study the figures before the consultation closes next
month.</p>
</article></main></body></html>
""",
    # Plain text has no address: its annotations name it by content hash (urn:sha256).
    "ferry.txt": """Ferry timetable changes for summer

The island ferry will run every 40 minutes in summer, up from once an hour, the operator \
announced on Monday.

The operator said passenger numbers rose by 18% last year, to 310,000, and that fares stay \
at £4.50 for adults.

Residents' groups said the extra sailings were welcome but asked for the early crossing to \
run in winter too.
""",
}
ID_TABLES = [Article, Claim, Citation, Comment, Source]


def restart_ids():
    """Count ids from 1 again, as a new installation does."""
    tables = [{"table": model._meta.db_table, "column": "id"} for model in ID_TABLES]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_by_name_sql(no_style(), tables):
            cursor.execute(sql)


def import_article_files(folder) -> tuple[Article, Article]:
    paths = []
    for name, text in ARTICLE_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(str(folder / name))
    call_command("import_articles", *paths, "--no-progress", stdout=io.StringIO())
    return Article.objects.get(url=BUSES_URL), Article.objects.get(url="")


def fresh_database(folder) -> None:
    """What another installation with the same people and verdict vocabulary holds once the
    same article files are imported: the articles, and none of the work on them."""
    Comment.objects.all().delete()
    Citation.objects.all().delete()
    Claim.objects.all().delete()
    Article.objects.all().delete()
    Source.objects.all().delete()
    restart_ids()
    import_article_files(folder)


def export(scope=Scope.INTERNAL) -> str:
    out = io.StringIO()
    FORMATS["w3c"].write(Article.objects.all(), scope, out)
    return out.getvalue()


def checked_work(folder) -> dict:
    """Every kind of work there is, on two articles imported from files."""
    restart_ids()
    buses, ferry = import_article_files(folder)
    rowan = UserFactory(username="rowan", role=Role.REVIEWER)
    ellis = UserFactory(username="ellis", role=Role.EDITOR)
    accurate = Verdict.objects.get(label="Accurate")
    misleading = Verdict.objects.get(label="Misleading")
    bulletin = Source.objects.create(
        title="Annual bus statistics 2023",
        url="https://stats.example/bus/2023",
        publisher="Transport Authority",
        kind=Source.Kind.OFFICIAL_STATISTICS,
    )
    survey = Source.objects.create(
        title="Riders' punctuality survey", url="https://riders.example/survey", kind="other"
    )

    record = claim_on(
        buses,
        "12.4 million passengers",
        statement="Buses carried 12.4 million passengers in 2023.",
        claimant="City Transport Authority",
        claim_date=dt.date(2024, 2, 20),
        category=Claim.Category.STATISTIC,
        created_by=rowan,
        tags=["ridership", "annual report"],
    )
    CitationFactory(
        claim=record,
        source=bulletin,
        quote="Passenger journeys: 12,402,118",
        locator="Table 3",
        note="Calendar year figures.",
        created_by=rowan,
    )
    approve(record, verdict=accurate, by=ellis, proposed_by=rowan, explanation="Matches.")
    punctual = claim_on(buses, "94% of buses ran on time", claimant="Jo Official", created_by=rowan)
    CitationFactory(
        claim=punctual,
        source=survey,
        relation=Citation.Relation.CONTRADICTS,
        quote="81% on time",
        locator="p. 4",
        created_by=rowan,
    )
    approve(punctual, verdict=misleading, by=ellis, proposed_by=rowan)
    # A draft with no statement: the draft marker is its only text body.
    claim_on(buses, "fares to rise by 2.5%", statement="", created_by=rowan)
    sent_back = claim_on(
        ferry,
        "every 40 minutes",
        statement="The ferry will run every 40 minutes in summer.",
        category=Claim.Category.PREDICTION,
        created_by=rowan,
        assignee=rowan,
    )
    sent_back.verdict = accurate
    sent_back.verdict_proposed_by = rowan
    sent_back.state = Claim.State.SENT_BACK
    sent_back.sent_back_reason = "Cite the timetable itself."
    sent_back.save()
    CommentFactory(claim=sent_back, author=ellis, body="Which timetable?\nThe summer one?")
    CommentFactory(claim=sent_back, author=rowan, body="The summer one.")
    orphan = Claim(article=ferry, statement="Fares are frozen.", created_by=rowan, tags=["fares"])
    gone = "fares will not change this year"
    orphan.set_span(anchoring.TextSelector(150, 150 + len(gone), gone, "000, and said that ", ""))
    orphan.orphan("the article's text changed and the quote is no longer in it")
    orphan.save()
    return {"buses": buses, "ferry": ferry, "orphan": orphan, "rowan": rowan, "ellis": ellis}


@pytest.mark.parametrize("scope", list(Scope))
def test_w3c_round_trip_into_a_fresh_database_is_identical(scope, tmp_path):
    checked_work(tmp_path)
    first = export(scope)
    fresh_database(tmp_path)
    (tmp_path / "claims.jsonld").write_text(first, encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import_annotations", str(tmp_path / "claims.jsonld"), "--user", "ellis", stdout=out
    )
    claims = 5 if scope is Scope.INTERNAL else 2
    assert out.getvalue().startswith(f"{claims} claim(s) created")
    assert export(scope) == first


def test_everything_a_claim_holds_comes_back(tmp_path):
    work = checked_work(tmp_path)
    first = export()
    fresh_database(tmp_path)
    result = import_annotations(first)
    assert result.unanchored == [] and result.held_for_review == []

    record = Claim.objects.get(quote="12.4 million passengers")
    assert record.statement == "Buses carried 12.4 million passengers in 2023."
    assert (record.claimant, record.claim_date, record.category) == (
        "City Transport Authority",
        dt.date(2024, 2, 20),
        Claim.Category.STATISTIC,
    )
    assert (record.state, record.verdict.label, record.verdict_explanation) == (
        Claim.State.APPROVED,
        "Accurate",
        "Matches.",
    )
    assert (record.verdict_proposed_by, record.approved_by) == (work["rowan"], work["ellis"])
    assert record.tags == ["ridership", "annual report"]
    citation = record.citations.get()
    assert (citation.source.url, citation.relation, citation.quote, citation.locator) == (
        "https://stats.example/bus/2023",
        Citation.Relation.SUPPORTS,
        "Passenger journeys: 12,402,118",
        "Table 3",
    )
    sent_back = Claim.objects.get(quote="every 40 minutes")
    assert sent_back.article.url == ""  # found by its content hash
    assert (sent_back.state, sent_back.sent_back_reason, sent_back.assignee) == (
        Claim.State.SENT_BACK,
        "Cite the timetable itself.",
        work["rowan"],
    )
    assert list(sent_back.comments.values_list("author__username", "body")) == [
        ("ellis", "Which timetable?\nThe summer one?"),
        ("rowan", "The summer one."),
    ]
    orphan = Claim.objects.get(statement="Fares are frozen.")
    assert orphan.is_orphan and orphan.quote == "fares will not change this year"
    assert orphan.orphan_reason == work["orphan"].orphan_reason
    assert orphan.tags == ["fares"]


def test_a_draft_whose_only_body_is_the_draft_marker_keeps_an_empty_statement():
    article = ArticleFactory()
    claim = claim_on(article, "12.4 million passengers", statement="", created_by=UserFactory())
    text = export()
    assert json.loads(text)["first"]["items"][0]["body"] == [
        {"type": "TextualBody", "purpose": "tagging", "value": DRAFT_LABEL}
    ]
    claim.delete()
    [imported] = import_annotations(text).created
    assert (imported.statement, imported.tags) == ("", [])


def test_an_article_without_url_is_found_by_its_content_hash():
    article = ArticleFactory(url="")
    claim_on(
        article,
        "94% of buses ran on time",
        statement="Punctuality was 94%.",
        created_by=UserFactory(),
    )
    text = export()
    assert f'"source":"urn:sha256:{article.content_hash}"' in text
    Claim.objects.all().delete()
    result = import_annotations(text)
    assert result.unanchored == []
    assert [(c.article, c.statement) for c in result.created] == [(article, "Punctuality was 94%.")]


def test_importing_our_export_again_into_the_same_database_changes_nothing(tmp_path):
    checked_work(tmp_path)
    first = export()
    counts = [model.objects.count() for model in (Claim, Citation, Comment, Source)]
    result = import_annotations(first)
    assert result.created == [] and len(result.already_imported) == 5
    assert [model.objects.count() for model in (Claim, Citation, Comment, Source)] == counts
    assert export() == first


def test_a_source_unknown_here_is_created_from_its_description_and_a_known_one_reused(tmp_path):
    checked_work(tmp_path)
    first = export()
    fresh_database(tmp_path)
    # The survey is already in this library, under another spelling of its address.
    survey = Source.objects.create(title="Survey (ours)", url="HTTPS://Riders.example/survey/")
    import_annotations(first)
    assert Source.objects.count() == 2
    assert Citation.objects.get(quote="81% on time").source == survey
    bulletin = Source.objects.exclude(pk=survey.pk).get()
    assert (bulletin.url, bulletin.title, bulletin.publisher, bulletin.kind) == (
        "https://stats.example/bus/2023",
        "Annual bus statistics 2023",
        "Transport Authority",
        Source.Kind.OFFICIAL_STATISTICS,
    )


def test_a_verdict_unknown_here_refuses_the_file_and_writes_nothing(tmp_path):
    checked_work(tmp_path)
    first = export()
    fresh_database(tmp_path)
    Verdict.objects.filter(label="Misleading").update(label="Misleading (old)")
    (tmp_path / "claims.jsonld").write_text(first, encoding="utf-8")
    with pytest.raises(CommandError, match=r"the verdict 'Misleading' is not in .*Nothing was"):
        call_command("import_annotations", str(tmp_path / "claims.jsonld"))
    assert Claim.objects.count() == Source.objects.count() == Comment.objects.count() == 0


def test_an_approval_the_pages_would_not_allow_is_held_for_review(tmp_path):
    checked_work(tmp_path)
    first = export(Scope.PUBLISHED)
    fresh_database(tmp_path)
    # The approver has no account here: nobody can vouch for the approvals.
    User.objects.filter(username="ellis").update(username="ellis.moved")
    result = import_annotations(first)
    held = Claim.objects.get(quote="12.4 million passengers")
    assert (held.state, held.approved_by) == (Claim.State.NEEDS_REVIEW, None)
    assert "no approver is named" in held.comments.get().body
    assert len(result.held_for_review) == 2
    assert "ellis" in result.lines()[-1]  # named in the file, no account here


def test_a_malformed_extension_value_refuses_the_file(tmp_path):
    checked_work(tmp_path)
    data = json.loads(export())
    data["first"]["items"][0]["reviewState"] = "published"
    with pytest.raises(W3CImportError, match="'reviewState' is 'published'"):
        import_annotations(data)
    assert Claim.objects.count() == 5
