import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.exporters import FORMATS
from annotations.exporters.scope import Scope
from annotations.importers.w3c import W3CImportError, annotations_in, import_annotations, load
from annotations.models import Article, Claim
from tests.export_helpers import worked_example
from tests.factories import ArticleFactory, UserFactory
from tests.w3c_support import W3C_DIR, require_material

pytestmark = pytest.mark.django_db

SAMPLES = W3C_DIR / "w3c-test-samples"


def sample_files(kind: str) -> list[Path]:
    return sorted((SAMPLES / kind).glob("*.json")) if SAMPLES.is_dir() else []


@pytest.fixture
def sample_page():
    """An article at the address the W3C samples point at, holding their quoted text."""
    require_material()
    body = (
        "The page opens here. And this is an anotation that has some spelling trouble.\n\n"
        "Here is the text before the Selected Text and text after it, in paragraph five."
    )
    return ArticleFactory(url="http://example.org/page1", body=body)


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("path", sample_files("correct"), ids=lambda p: p.name)
def test_correct_w3c_samples_are_accepted(path, strict):
    linked = []
    annotations = annotations_in(load(path.read_bytes()), linked, strict=strict)
    assert annotations or linked


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("path", sample_files("incorrect"), ids=lambda p: p.name)
def test_incorrect_w3c_samples_are_refused_cleanly_and_write_nothing(path, strict, sample_page):
    with pytest.raises(W3CImportError) as error:
        import_annotations(path.read_bytes(), strict=strict)
    assert str(error.value) and "\n" not in str(error.value)
    assert Claim.objects.count() == 0


@pytest.mark.parametrize("path", sample_files("incorrect")[:3], ids=lambda p: p.name)
def test_the_command_refuses_an_incorrect_sample_in_one_line(path, sample_page):
    with pytest.raises(CommandError, match=r"Nothing was imported\.$") as error:
        call_command("import_annotations", str(path))
    assert "\n" not in str(error.value)


def test_the_seventeen_invalid_json_samples_say_so():
    require_material()
    messages = []
    for path in sample_files("incorrect"):
        try:
            json.loads(path.read_bytes())
        except ValueError:
            with pytest.raises(W3CImportError, match=r"Not valid JSON \(line \d+, column \d+\)"):
                import_annotations(path.read_bytes())
            messages.append(path.name)
    assert len(messages) == 17


def test_quote_selectors_anchor_and_the_rest_is_reported(sample_page):
    result = import_annotations((SAMPLES / "correct" / "collection1.json").read_bytes())
    quotes = sorted(claim.quote for claim in result.created)
    assert quotes == ["Selected Text", "anotation"]
    for claim in result.created:
        assert sample_page.body[claim.start : claim.end] == claim.quote
    assert len(result.created) + len(result.unanchored) == 41
    reasons = {u.annotation: u.reason for u in result.unanchored}
    assert (
        reasons["http://example.org/anno1"]
        == "a page note: it annotates the whole page, not a passage"
    )
    assert any(r.startswith("no article has the address") for r in reasons.values())
    assert (
        reasons["http://example.org/anno27"]
        == "no article has the address http://example.org/ebook1"
    )
    assert Claim.objects.count() == 2


def test_a_text_target_without_a_quote_selector_is_reported(sample_page):
    result = import_annotations(
        {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "id": "urn:uuid:2",
            "type": "Annotation",
            "target": {
                "source": "http://example.org/page1",
                "selector": {"type": "TextPositionSelector", "start": 0, "end": 4},
            },
        }
    )
    assert result.created == []
    assert result.unanchored[0].reason == "the target has no TextQuoteSelector"


def test_importing_again_creates_no_duplicates(sample_page):
    data = (SAMPLES / "correct" / "anno26.json").read_bytes()
    assert len(import_annotations(data).created) == 1
    again = import_annotations(data)
    assert again.created == [] and again.unanchored == []
    assert again.already_imported == ["http://example.org/anno26"]
    assert again.lines()[0] == "0 claim(s) created, 1 already imported (W3C Web Annotations)"


def test_a_quote_missing_from_the_article_is_reported(sample_page):
    data = json.loads((SAMPLES / "correct" / "anno26.json").read_text())
    data["target"]["selector"]["exact"] = "words that are not there"
    result = import_annotations(data)
    assert result.created == []
    assert "is not in" in result.unanchored[0].reason


def test_position_hint_picks_between_repeated_quotes():
    article = ArticleFactory(url="https://news.example/a", body="one two one two one")
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "urn:uuid:1",
        "type": "Annotation",
        "bodyValue": "A claim",
        "target": {
            "source": "https://NEWS.example/a/?utm_source=x",
            "selector": [
                {"type": "TextQuoteSelector", "exact": "one"},
                {"type": "TextPositionSelector", "start": 8, "end": 11},
            ],
        },
    }
    claim = import_annotations(annotation).created[0]
    assert (claim.article, claim.start, claim.statement) == (article, 8, "A claim")


def test_our_own_w3c_export_imports_onto_the_same_spans():
    example = worked_example(n_articles=1)
    out = io.StringIO()
    FORMATS["w3c"].write(Article.objects.all(), Scope.PUBLISHED, out)
    Claim.objects.all().delete()
    result = import_annotations(out.getvalue())
    assert result.unanchored == []
    assert sorted((c.start, c.end, c.statement) for c in result.created) == sorted(
        (c.start, c.end, c.statement) for c in example["approved"]
    )
    # Our own people are matched by user name.
    assert {c.created_by.username for c in result.created} == {"rowan"}


def hypothesis_jsonld(article, creator="acct:hana@hypothes.is") -> dict:
    """An annotation as Hypothesis's JSON-LD presenter writes it."""
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "id": "https://hypothes.is/a/abc123",
        "created": "2024-05-01T10:00:00.000000+00:00",
        "modified": "2024-05-01T10:02:00.000000+00:00",
        "creator": creator,
        "body": [
            {"type": "TextualBody", "value": "Check this figure", "format": "text/markdown"},
            {"type": "TextualBody", "purpose": "tagging", "value": "figures"},
        ],
        "target": [
            {
                "source": article.url,
                "selector": [
                    {"type": "TextPositionSelector", "start": 0, "end": 10},
                    {
                        "type": "TextQuoteSelector",
                        "exact": article.body[:10],
                        "prefix": "",
                        "suffix": article.body[10:20],
                    },
                ],
            }
        ],
    }


def test_a_foreign_creator_is_recorded_in_history_not_matched_to_a_user():
    UserFactory(username="hana")  # a namesake here is not the annotation's author
    importer = UserFactory(username="desk")
    article = ArticleFactory(url="https://news.example/b")
    claim = import_annotations(hypothesis_jsonld(article), user=importer).created[0]
    assert claim.created_by == importer
    assert claim.statement == "Check this figure"
    assert claim.tags == ["figures"]
    assert claim.created_at.year == 2024
    assert claim.history.get().history_change_reason == (
        "Imported from W3C annotation https://hypothes.is/a/abc123 by acct:hana@hypothes.is"
    )


def test_a_tagging_body_never_becomes_the_statement():
    article = ArticleFactory(url="https://news.example/c")
    annotation = hypothesis_jsonld(article)
    annotation["body"] = [
        {"type": "TextualBody", "purpose": "tagging", "value": "Draft — not approved"},
        {"type": "TextualBody", "purpose": "classifying", "value": "Figures"},
    ]
    [claim] = import_annotations(annotation).created
    assert (claim.statement, claim.tags) == ("", ["Draft — not approved", "Figures"])
    # A body without a purpose serves the annotation's motivation: here, tagging.
    annotation["id"] += "-2"
    annotation["motivation"] = "tagging"
    annotation["body"] = [{"type": "TextualBody", "value": "important"}]
    claim.delete()
    [claim] = import_annotations(annotation).created
    assert (claim.statement, claim.tags) == ("", ["important"])


def test_lenient_reading_takes_what_real_tools_write_where_the_meaning_is_clear():
    article = ArticleFactory(url="https://news.example/d")
    annotation = hypothesis_jsonld(article, creator={"id": "u-8812", "name": "Ana"})
    annotation["id"] = "6f1c1d3e-2b4a-4c5d-8e6f-7a8b9c0d1e2f"
    annotation["body"] = []
    [claim] = import_annotations(annotation).created
    assert claim.statement == ""
    assert claim.history.get().history_change_reason.endswith(" by Ana (u-8812)")
    with pytest.raises(W3CImportError, match="'id' must be exactly one IRI"):
        import_annotations(annotation, strict=True)


def test_import_annotations_command_reports_unanchored(tmp_path, sample_page, capsys):
    call_command("import_annotations", str(SAMPLES / "correct" / "collection1.json"))
    captured = capsys.readouterr()
    assert "2 claim(s) created" in captured.out
    assert "NOT ANCHORED http://example.org/anno1:" in captured.err


def test_a_collection_that_only_links_its_pages_is_reported_not_fetched():
    require_material()
    result = import_annotations((SAMPLES / "correct" / "example41.json").read_bytes())
    assert result.created == []
    assert result.unanchored[0].annotation == "http://example.org/page1"
    assert "not fetched" in result.unanchored[0].reason


def test_import_annotations_command_refuses_bad_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "Annotation"}', encoding="utf-8")
    with pytest.raises(CommandError, match="@context.*Nothing was imported"):
        call_command("import_annotations", str(bad))


def test_a_file_that_is_not_json_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "notes.json"
    bad.write_text("rows: [annotation]\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"Not valid JSON \(line 1, column 1\)") as error:
        call_command("import_annotations", str(bad))
    assert "\n" not in str(error.value)
