import io
import json

import pytest
from pyld import jsonld

from annotations.exporters import FORMATS, w3c
from annotations.exporters.scope import DRAFT_LABEL, Scope
from annotations.models import Article, Claim
from tests.export_helpers import worked_example
from tests.w3c_support import local_document_loader, require_material, schema_errors

pytestmark = pytest.mark.django_db

OA = "http://www.w3.org/ns/oa#"


def export(scope=Scope.INTERNAL) -> dict:
    out = io.StringIO()
    FORMATS["w3c"].write(Article.objects.all(), scope, out)
    return json.loads(out.getvalue())


def annotations_of(collection: dict) -> list[dict]:
    found, page = [], collection.get("first")
    while page:
        found += page["items"]
        page = page.get("next")
    return found


def test_every_claim_becomes_an_annotation_with_both_selectors():
    example = worked_example()
    annotations = annotations_of(export())
    assert len(annotations) == 8
    first = annotations[0]
    assert first["@context"] == ["http://www.w3.org/ns/anno.jsonld", w3c.EXTENSION_CONTEXT]
    assert first["type"] == "Annotation"
    assert first["motivation"] == "assessing"
    assert first["id"].startswith("https://factcheck.example.org/") and "#claim-" in first["id"]
    target = first["target"]
    article = example["articles"][0] if target["source"] == example["articles"][0].url else None
    article = article or example["articles"][1]
    quote, position = target["selector"]
    assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
    assert article.body[position["start"] : position["end"]] == quote["exact"]
    assert quote["prefix"] and quote["suffix"]


def test_bodies_carry_statement_verdict_and_cited_passages():
    example = worked_example()
    misleading = next(
        a
        for a in annotations_of(export(Scope.PUBLISHED))
        if any(b.get("value") == "Misleading" for b in a["body"])
    )
    purposes = {body.get("purpose") for body in misleading["body"]}
    assert {"describing", "classifying", "assessing", "linking"} <= purposes
    cited = next(b for b in misleading["body"] if b["type"] == "SpecificResource")
    assert cited["source"] == example["sources"][1].url
    assert cited["selector"] == {"type": "TextQuoteSelector", "exact": "81% on time"}
    # What W3C has no term for is in the extension vocabulary.
    assert (cited["citationRelation"], cited["citationLocator"]) == ("contradicts", "p. 4")
    assert (cited["sourceTitle"], cited["sourcePublisher"]) == (
        "Riders' punctuality survey",
        "Riders' Forum",
    )
    assert (misleading["claimant"], misleading["reviewState"]) == ("Jo Official", "approved")
    assert (misleading["verdictProposedBy"], misleading["approvedBy"]) == ("rowan", "ellis")


def test_internal_scope_marks_drafts_and_published_leaves_them_out():
    worked_example()
    internal = annotations_of(export(Scope.INTERNAL))
    drafts = [
        a
        for a in internal
        if {"purpose": "tagging", "type": "TextualBody", "value": DRAFT_LABEL} in a["body"]
    ]
    assert len(drafts) == 2
    published = annotations_of(export(Scope.PUBLISHED))
    assert len(published) == 6
    assert not any(b.get("value") == DRAFT_LABEL for a in published for b in a["body"])


def test_comments_and_assignees_are_internal_only():
    example = worked_example(n_articles=1)
    draft = example["drafts"][0]
    draft.assignee = example["reviewer"]
    draft.save()
    [internal] = [a for a in annotations_of(export()) if a["id"].endswith(f"#claim-{draft.pk}")]
    comments = [b for b in internal["body"] if b.get("purpose") == "commenting"]
    assert comments == [
        {
            "type": "TextualBody",
            "purpose": "commenting",
            "value": "Which fares? Ask the authority.",
            "format": "text/plain",
            "created": comments[0]["created"],
            "creator": {"type": "Person", "nickname": "ellis"},
        }
    ]
    assert internal["assignee"] == "rowan"
    published = export(Scope.PUBLISHED)
    assert not any("assignee" in a for a in annotations_of(published))
    assert not any(
        b.get("purpose") == "commenting" for a in annotations_of(published) for b in a["body"]
    )


def test_tags_are_tagging_bodies_and_an_orphan_has_only_its_last_known_quote():
    example = worked_example(n_articles=1)
    claim = example["approved"][0]
    claim.tags = ["ridership"]
    claim.orphan("the quote is no longer in the article")
    claim.save()
    [annotation] = [a for a in annotations_of(export()) if a["id"].endswith(f"#claim-{claim.pk}")]
    assert {"type": "TextualBody", "purpose": "tagging", "value": "ridership"} in annotation["body"]
    assert annotation["target"]["selector"] == [
        {
            "type": "TextQuoteSelector",
            "exact": claim.quote,
            "prefix": claim.prefix,
            "suffix": claim.suffix,
        }
    ]
    assert annotation["orphanReason"] == "the quote is no longer in the article"
    assert annotation["lastKnownStart"] == claim.start


def test_collection_is_paged_and_counts_its_annotations(monkeypatch):
    worked_example()
    monkeypatch.setattr(w3c, "PAGE_SIZE", 3)
    collection = export()
    assert collection["type"] == "AnnotationCollection"
    assert collection["total"] == 8
    pages, page = [], collection["first"]
    while page:
        pages.append(page)
        page = page.get("next")
    assert [len(p["items"]) for p in pages] == [3, 3, 2]
    assert [p["startIndex"] for p in pages] == [0, 3, 6]
    assert collection["last"] == pages[-1]["id"]


def test_every_exported_annotation_validates_against_the_w3c_schemas():
    require_material()
    worked_example()
    collection = export()
    assert schema_errors(collection, collection=True) == []
    for annotation in annotations_of(collection):
        assert schema_errors(annotation) == [], annotation["id"]


def test_the_schema_check_does_catch_a_broken_annotation():
    require_material()
    worked_example()
    annotation = annotations_of(export())[0]
    annotation["id"] = "not a uri"
    annotation["motivation"] = "squirrelling"
    assert len(schema_errors(annotation)) >= 2


def test_export_expands_as_json_ld_with_the_local_context():
    require_material()
    worked_example()
    annotation = annotations_of(export(Scope.PUBLISHED))[0]
    expanded = jsonld.expand(annotation, {"documentLoader": local_document_loader()})[0]
    assert expanded["@type"] == [OA + "Annotation"]
    # The W3C context file declares motivation as a vocabulary term but (unlike the published
    # one) not the individual motivations, so "assessing" expands against the base here.
    assert expanded[OA + "motivatedBy"][0]["@id"].endswith("assessing")
    target = expanded[OA + "hasTarget"][0]
    selector_types = {s["@type"][0] for s in target[OA + "hasSelector"]}
    assert selector_types == {OA + "TextQuoteSelector", OA + "TextPositionSelector"}


def test_the_extension_terms_expand_into_their_vocabulary():
    require_material()
    worked_example(n_articles=1)
    annotation = next(
        a for a in annotations_of(export(Scope.PUBLISHED)) if a.get("claimant") == "Jo Official"
    )
    expanded = jsonld.expand(annotation, {"documentLoader": local_document_loader()})[0]
    fc = w3c.NAMESPACE
    assert expanded[fc + "claimant"] == [{"@value": "Jo Official"}]
    assert expanded[fc + "reviewState"] == [{"@value": "approved"}]
    assert expanded[fc + "approvedAt"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#dateTime"
    cited = next(b for b in expanded[OA + "hasBody"] if fc + "citationRelation" in b)
    assert cited[fc + "citationLocator"] == [{"@value": "p. 4"}]
    assert cited[OA + "hasSource"] == [{"@id": annotation["body"][-1]["source"]}]
    # JSON-LD drops a key it cannot map: every extension key of the annotation survives.
    used = [key for key in annotation if key in w3c.EXTENSION_CONTEXT]
    assert len(used) >= 5
    assert {fc + key for key in used} <= set(expanded)


def test_an_article_without_url_is_targeted_by_a_content_urn():
    example = worked_example(n_articles=1)
    Article.objects.filter(pk=example["articles"][0].pk).update(url="")
    annotation = annotations_of(export())[0]
    assert annotation["target"]["source"] == f"urn:sha256:{example['articles'][0].content_hash}"


def test_no_claims_gives_an_empty_collection():
    collection = export()
    assert collection["total"] == 0 and "first" not in collection
    assert Claim.objects.count() == 0
