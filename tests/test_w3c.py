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


@pytest.mark.parametrize("path", sample_files("correct"), ids=lambda p: p.name)
def test_correct_w3c_samples_are_accepted(path):
    linked = []
    annotations = annotations_in(load(path.read_bytes()), linked)
    assert annotations or linked


@pytest.mark.parametrize("path", sample_files("incorrect"), ids=lambda p: p.name)
def test_incorrect_w3c_samples_are_refused_cleanly_and_write_nothing(path, sample_page):
    with pytest.raises(W3CImportError) as error:
        import_annotations(path.read_bytes())
    assert str(error.value)
    assert Claim.objects.count() == 0


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
        == "the target has no text selector (it is a whole page)"
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
    assert again.created == []
    assert "already imported" in again.unanchored[0].reason


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
    # Creators are matched by nickname to known users.
    assert {c.created_by.username for c in result.created} == {"rowan"}


def test_hypothesis_style_export_with_acct_creator():
    UserFactory(username="hana")
    article = ArticleFactory(url="https://news.example/b")
    hypothesis = [
        {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "id": "https://hypothes.is/a/abc123",
            "created": "2024-05-01T10:00:00.000000+00:00",
            "creator": "acct:hana@hypothes.is",
            "body": [
                {"type": "TextualBody", "value": "Check this figure", "format": "text/markdown"}
            ],
            "target": [
                {
                    "source": "https://news.example/b",
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
    ]
    claim = import_annotations(json.dumps(hypothesis)).created[0]
    assert claim.created_by.username == "hana"
    assert claim.statement == "Check this figure"
    assert claim.created_at.year == 2024


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
