"""Headline and standfirst claims in the exports: every format says which part a claim's
offsets count in, and the JSON and W3C files bring it back."""

import io
import json

import pytest
from django.urls import reverse

from annotations.exporters import FORMATS
from annotations.exporters.scope import Scope
from annotations.importers.report import ReportImportError, import_report
from annotations.importers.w3c import import_annotations
from annotations.models import Article, Claim, Role, Verdict
from tests import test_export_csv, test_w3c_round_trip
from tests.export_helpers import approve
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, UserFactory
from tests.test_export_json import export_json, wipe_database

pytestmark = pytest.mark.django_db

HEADLINE = "300,000 predators on the prowl, police warn"
STANDFIRST = "Specialists say the figure counts every registered offender since 1997."


@pytest.fixture
def claims():
    """A headline claim and a body claim at the same offsets (0–7), and a standfirst claim."""
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    reviewer, editor = UserFactory(username="rowan"), UserFactory(username="ellis")
    headline = ClaimFactory(
        article=article, part="headline", start=0, end=7, created_by=reviewer, statement="H"
    )
    body = ClaimFactory(article=article, start=0, end=7, created_by=reviewer, statement="B")
    standfirst = ClaimFactory(
        article=article, part="standfirst", start=34, end=59, created_by=reviewer, statement="S"
    )
    CitationFactory(claim=headline, created_by=reviewer)
    approve(
        headline, verdict=Verdict.objects.get(label="Misleading"), by=editor, proposed_by=reviewer
    )
    return {"headline": headline, "body": body, "standfirst": standfirst}


def test_the_json_export_names_each_claims_part_and_round_trips(claims):
    first = export_json()
    [article] = json.loads(first)["articles"]
    assert [(c["part"], c["start"], c["quote"]) for c in article["claims"]] == [
        ("headline", 0, "300,000"),
        ("standfirst", 34, "every registered offender"),
        ("body", 0, claims["body"].quote),
    ]
    wipe_database()
    summary = import_report(first)
    assert summary.created["claims"] == 3
    assert Claim.objects.get(statement="H").part == "headline"
    assert export_json() == first


def test_a_json_claim_without_a_part_is_a_body_claim_and_a_wrong_part_is_refused(claims):
    data = json.loads(export_json())
    wipe_database()
    claims_data = data["articles"][0]["claims"]
    del claims_data[2]["part"]  # a file from before parts
    imported = import_report(json.dumps(data))
    assert imported.created["claims"] == 3
    assert Claim.objects.get(statement="B").part == "body"

    wipe_database()
    claims_data[0]["part"] = "body"  # the headline's words are not at 0–7 of the body
    with pytest.raises(ReportImportError, match=r"claims\[0\].*of the article's body"):
        import_report(json.dumps(data))
    assert not Article.objects.exists()


def test_the_w3c_export_marks_headline_claims_and_reads_them_back(claims):
    text = test_w3c_round_trip.export()
    items = json.loads(text)["first"]["items"]
    targets = {item["body"][0]["value"]: item["target"] for item in items}
    assert targets["H"]["articlePart"] == "headline"
    assert targets["S"]["articlePart"] == "standfirst"
    assert "articlePart" not in targets["B"]  # the body, as before parts
    assert items[0]["@context"][1]["articlePart"] == "fc:articlePart"

    Claim.objects.all().delete()
    result = import_annotations(text)
    assert result.unanchored == []
    parts = {c.statement: (c.part, c.start, c.end) for c in Claim.objects.all()}
    assert parts == {"H": ("headline", 0, 7), "B": ("body", 0, 7), "S": ("standfirst", 34, 59)}


def test_the_csv_export_has_the_claims_part(claims):
    rows = test_export_csv.parse(test_export_csv.export())
    assert [(row["claim_part"], row["claim_start"], row["quote"]) for row in rows] == [
        ("headline", "0", "300,000"),
        ("standfirst", "34", "every registered offender"),
        ("body", "0", claims["body"].quote),
    ]


# --- Reports and the public page ---------------------------------------------------------------


def test_a_published_headline_claim_says_where_it_is_on_the_page_and_in_the_report(client):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    checker = UserFactory(role=Role.REVIEWER)
    editor = UserFactory(role=Role.EDITOR)
    headline = ClaimFactory(
        article=article, part="headline", start=0, end=30, statement="300,000 offenders at large"
    )
    body = ClaimFactory(article=article, start=0, end=7, statement="A body claim")
    for claim in (headline, body):
        CitationFactory(claim=claim)
        claim.propose_verdict(
            by=checker,
            version=claim.version,
            verdict=Verdict.objects.get(label="Misleading"),
            explanation="The figure counts every offender since 1997.",
        )
        claim.approve(by=editor, version=claim.version)
    article.publish([headline, body], by=editor, version=None)
    article.refresh_from_db()

    page = client.get(reverse("annotations:fact-check", args=[article.slug])).content.decode()
    assert page.count("In the article's headline:") == 1
    # The headline's claim comes first, with its quote under the note.
    assert '<span class="number">1.</span> 300,000 offenders at large' in page
    where = page.index("In the article's headline:")
    assert page.index("<blockquote>300,000 predators on the prowl</blockquote>") > where

    report = io.StringIO()
    FORMATS["html"].write(Article.objects.all(), Scope.PUBLISHED, report)
    html = report.getvalue()
    assert html.count("In the article's headline:") == 1
    # The quote's context comes from the headline, not from the body.
    assert "<mark>300,000 predators on the prowl</mark>" in html
    assert ", police warn…" in html

    markdown = io.StringIO()
    FORMATS["markdown"].write(Article.objects.all(), Scope.PUBLISHED, markdown)
    assert "_In the article's headline:_\n\n> 300,000 predators on the prowl\n" in (
        markdown.getvalue()
    )
