import io
import json
import re

import pytest
from pyld import jsonld

from annotations.exporters import FORMATS
from annotations.exporters.scope import Scope
from annotations.models import Article, Claim, Verdict
from tests.export_helpers import worked_example

pytestmark = pytest.mark.django_db

SCHEMA = "https://schema.org/"
# schema.org's context is not available offline; this one-line context gives the same
# expansion for the terms a ClaimReview uses.
SCHEMA_CONTEXT = {"@context": {"@vocab": SCHEMA}}


def loader(url, options=None):
    assert url in {"https://schema.org", "https://schema.org/"}, f"tried to fetch {url}"
    return {"contextUrl": None, "documentUrl": url, "document": SCHEMA_CONTEXT}


def export(scope=Scope.PUBLISHED) -> list[dict]:
    out = io.StringIO()
    FORMATS["claimreview"].write(Article.objects.all(), scope, out)
    return json.loads(out.getvalue())


def test_one_claimreview_per_approved_claim_even_in_internal_scope(settings):
    example = worked_example()
    reviews = export(Scope.INTERNAL)
    assert len(reviews) == len(example["approved"]) == 6


def test_claimreview_has_every_required_and_recommended_field(settings):
    settings.FACTCHECK_PUBLIC_BASE_URL = "https://checks.example/"
    settings.FACTCHECK_ORGANISATION_NAME = "Harbour Fact Desk"
    settings.FACTCHECK_ORGANISATION_URL = "https://checks.example/about"
    example = worked_example()
    claim = example["approved"][0]
    Claim.objects.filter(pk=claim.pk).update(claimant_kind=Claim.ClaimantKind.ORGANIZATION)
    review = next(r for r in export() if r["url"].endswith(f"#claim-{claim.pk}"))
    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    assert (
        review["url"]
        == f"https://checks.example/articles/{claim.article_id}/report/#claim-{claim.pk}"
    )
    assert review["claimReviewed"] == claim.statement
    assert review["author"] == {
        "@type": "Organization",
        "name": "Harbour Fact Desk",
        "url": "https://checks.example/about",
    }
    assert review["datePublished"] == claim.approved_at.date().isoformat()
    assert review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Accurate",
        "ratingValue": 5,
        "bestRating": 5,
        "worstRating": 1,
    }
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Organization", "name": "City Transport Authority"}
    assert item["datePublished"] == "2024-02-20"
    assert item["appearance"]["@type"] == "CreativeWork"
    assert item["appearance"]["url"] == claim.article.url


def test_rating_numbers_come_from_the_vocabulary():
    worked_example()
    Verdict.objects.filter(label="Misleading").update(rating=1)
    Verdict.objects.filter(label="Inaccurate").update(rating=None)
    ratings = {r["reviewRating"]["alternateName"]: r["reviewRating"] for r in export()}
    assert ratings["Misleading"]["ratingValue"] == 1
    assert ratings["Accurate"]["bestRating"] == 5
    # A verdict off the scale has its label only.
    assert ratings["Unverifiable"] == {"@type": "Rating", "alternateName": "Unverifiable"}


def test_a_claimant_the_reviewer_says_is_a_person_is_a_person():
    worked_example()
    Claim.objects.filter(claimant="Jo Official").update(claimant_kind=Claim.ClaimantKind.PERSON)
    review = next(r for r in export() if r["reviewRating"]["alternateName"] == "Misleading")
    assert review["itemReviewed"]["author"] == {"@type": "Person", "name": "Jo Official"}


def test_claimreview_expands_as_json_ld():
    worked_example()
    for review in export():
        expanded = jsonld.expand(review, {"documentLoader": loader})[0]
        assert expanded["@type"] == [SCHEMA + "ClaimReview"]
        for field in (
            "url",
            "claimReviewed",
            "author",
            "datePublished",
            "reviewRating",
            "itemReviewed",
        ):
            assert SCHEMA + field in expanded, field
        rating = expanded[SCHEMA + "reviewRating"][0]
        assert rating["@type"] == [SCHEMA + "Rating"]
        assert SCHEMA + "alternateName" in rating
        item = expanded[SCHEMA + "itemReviewed"][0]
        assert item["@type"] == [SCHEMA + "Claim"]
        assert SCHEMA + "appearance" in item


def test_report_page_embeds_claimreview_that_cannot_close_its_script(client, editor):
    example = worked_example(n_articles=1)
    claim = example["approved"][0]
    claim.verdict_explanation = 'Nope </script><script>alert("x")</script> & <!-- done'
    claim.statement = "</SCRIPT><img src=x>"
    claim.save()
    client.force_login(editor)
    page = client.get(f"/articles/{claim.article_id}/report/").content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    # The only </script> after the block's start is its own end.
    start = page.index('<script type="application/ld+json">')
    assert page[start:].lower().count("</script") == 1
    assert "<script>" not in page and "<img src=x>" not in page
    reviews = json.loads(blocks[0])
    texts = {r["claimReviewed"] for r in reviews} | {r.get("reviewBody") for r in reviews}
    assert "</SCRIPT><img src=x>" in texts
    assert 'Nope </script><script>alert("x")</script> & <!-- done' in texts
