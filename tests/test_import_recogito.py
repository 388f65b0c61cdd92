"""Recogito's files as they are: @recogito/text-annotator's own JSON and W3C output, and the
W3C output of the older recogito-js, on an invented article (tests/fixtures/recogito/)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.importers.w3c import W3CImportError, import_annotations
from annotations.models import Claim
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "recogito"
NATIVE = FIXTURES / "text-annotator.json"
W3C_OUTPUT = FIXTURES / "text-annotator-w3c.json"
LEGACY_W3C = FIXTURES / "recogito-js-w3c.json"
PAGE = "https://islandnews.example/2024/06/ferry-summer-timetable"


@pytest.fixture
def article():
    body = (FIXTURES / "ferry-timetable.txt").read_text(encoding="utf-8").strip()
    return ArticleFactory(url=PAGE, body=body)


def test_text_annotator_json_is_imported_onto_the_article_named(article):
    result = import_annotations(NATIVE.read_bytes(), article=article)
    assert result.format == "@recogito/text-annotator JSON"
    assert result.unanchored == []
    timetable = Claim.objects.get(quote="every 40 minutes")
    assert article.body[timetable.start : timetable.end] == "every 40 minutes"
    # The first comment is the statement; a reply is a comment; a tag is a tag.
    assert timetable.statement == "Check against the operator's published timetable."
    assert timetable.tags == ["timetable"]
    assert timetable.comments.get().body == (
        "From Recogito, by guest mK2pQ8vLr1:\nThe PDF timetable lists 40-minute gaps from 7am only."
    )
    assert timetable.history.get().history_change_reason == (
        "Imported from Recogito annotation 3f6b2c1e-8d4a-4f0b-9e57-1a2b3c4d5e6f "
        "by Ana Ruiz (ana.ruiz)"
    )
    # An annotation with no bodies at all is a claim without a statement yet.
    passengers = Claim.objects.get(quote="rose by 18% last year, to 310,000")
    assert (passengers.statement, passengers.tags) == ("", [])


def test_without_an_article_annotations_naming_no_document_are_reported(article):
    result = import_annotations(NATIVE.read_bytes())
    assert result.created == []
    assert {u.reason for u in result.unanchored} == {
        "the target names no document: say which article with --article ID"
    }


def test_text_annotator_w3c_output_with_bare_uuids_and_empty_bodies_is_read(article):
    result = import_annotations(W3C_OUTPUT.read_bytes())
    assert result.unanchored == []
    fare = Claim.objects.get(quote="£4.50 for adults")
    assert fare.statement == "Fare unchanged since 2022?"
    vessel = Claim.objects.get(quote="A second vessel, chartered from a mainland company")
    assert vessel.statement == ""
    assert "by guest mK2pQ8vLr1" in vessel.history.get().history_change_reason


def test_recogito_js_w3c_output_with_relative_ids_and_no_source_needs_the_article(article):
    result = import_annotations(LEGACY_W3C.read_bytes(), article=article)
    assert result.unanchored == []
    crossing = Claim.objects.get(quote="the last return crossing at 11.30pm")
    assert crossing.statement == "Only on Fridays and Saturdays, per the release."
    assert crossing.tags == ["timetable"]
    # A tag is never taken for the statement, even when it is the only body.
    winter = Claim.objects.get(quote="asked for the early crossing to run in winter too")
    assert (winter.statement, winter.tags) == ("", ["residents"])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            W3C_OUTPUT,
            r"Annotation 5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f: 'id' must be exactly one IRI",
        ),
        (LEGACY_W3C, r"Annotation #0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e: 'id' must be"),
        (NATIVE, r"text-annotator JSON, not W3C"),
    ],
)
def test_strict_mode_keeps_the_w3c_rules_as_written(path, message, article):
    with pytest.raises(W3CImportError, match=message):
        import_annotations(path.read_bytes(), article=article, strict=True)
    assert Claim.objects.count() == 0


def test_strict_mode_refuses_an_empty_body_and_a_target_without_source(article):
    annotation = json.loads(LEGACY_W3C.read_text(encoding="utf-8"))[0]
    annotation["id"] = "urn:uuid:" + annotation["id"][1:]
    with pytest.raises(W3CImportError, match="a SpecificResource needs a 'source'"):
        import_annotations([annotation], strict=True)
    annotation["target"]["source"] = PAGE
    annotation["body"] = []
    with pytest.raises(W3CImportError, match="'body' is empty"):
        import_annotations([annotation], strict=True)
    annotation.pop("body")
    assert len(import_annotations([annotation], strict=True).created) == 1


def test_the_command_takes_the_article_and_refuses_an_unknown_one(article):
    out = io.StringIO()
    call_command("import_annotations", str(NATIVE), "--article", str(article.pk), stdout=out)
    assert out.getvalue().startswith("2 claim(s) created, 1 comment(s) added")
    with pytest.raises(CommandError, match=f"No article #{article.pk + 1}"):
        call_command("import_annotations", str(NATIVE), "--article", str(article.pk + 1))


def test_a_malformed_recogito_file_is_refused_whole(article, tmp_path):
    data = json.loads(NATIVE.read_text(encoding="utf-8"))
    data[1]["target"]["selector"][0]["start"] = -3
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match=r"item 2 .*'start' must be a whole number"):
        call_command("import_annotations", str(path), "--article", str(article.pk))
    assert Claim.objects.count() == 0
