"""The JSON API's representations: the schemas its OpenAPI document publishes, and the functions
that write objects in exactly those shapes (tests check every response against its schema).

The functions build plain dicts from rows the querysets below loaded in a fixed number of
queries, whatever the page size; the schemas document them.
"""

import datetime

from django.db.models import Prefetch
from django.urls import reverse
from ninja import Schema
from pydantic import Field

from annotations.api.http import version_etag
from annotations.models import Article, Citation, Claim, Comment, Source, Verdict

# --- Schemas (what the OpenAPI document says) --------------------------------------------------


class Link(Schema):
    id: int
    title: str


class VerdictOut(Schema):
    id: int
    label: str
    colour: str
    rating: int | None
    is_active: bool


class SourceOut(Schema):
    id: int
    url: str = Field(description="Stored normalised: lower-case host, no tracking parameters.")
    title: str
    publisher: str
    kind: str
    reliability: str
    version: int
    api_url: str


class CitationOut(Schema):
    id: int
    source: SourceOut
    relation: str
    quote: str
    locator: str
    note: str
    created_at: datetime.datetime


class ClaimOut(Schema):
    id: int
    article: int
    api_url: str
    annotation_url: str = Field(description="The claim as a W3C annotation (the protocol).")
    part: str = Field(description="The article's text it is in: headline, standfirst or body.")
    start: int = Field(description="Offset in that text, in code points.")
    end: int
    quote: str
    prefix: str
    suffix: str
    statement: str
    claimant: str
    claimant_kind: str
    claim_date: datetime.date | None
    category: str
    state: str
    verdict: VerdictOut | None
    verdict_explanation: str
    verdict_proposed_by: str | None
    approved_by: str | None
    approved_at: datetime.datetime | None
    assignee: str | None
    sent_back_reason: str
    orphaned: bool
    version: int = Field(description="Raised on every change; the ETag carries it.")
    created_at: datetime.datetime
    updated_at: datetime.datetime
    citations: list[CitationOut]


class ArticleOut(Schema):
    id: int
    title: str
    url: str
    publisher: str
    published_on: datetime.date | None
    publication: str
    review_state: str
    api_url: str
    claims_url: str
    annotations_url: str = Field(description="The article's W3C annotation container.")


class ArticleDetailOut(ArticleOut):
    body: str = Field(description="The text claims point into, offsets in code points.")
    version: int


class CommentOut(Schema):
    id: int
    claim: int
    author: str | None
    body: str
    created_at: datetime.datetime


class SearchHitOut(Schema):
    kind: str
    id: int
    title: str
    snippet: str
    url: str


class ClaimPage(Schema):
    items: list[ClaimOut]
    next: str | None


class ArticlePage(Schema):
    items: list[ArticleOut]
    next: str | None


class SourcePage(Schema):
    items: list[SourceOut]
    next: str | None


class SearchOut(Schema):
    query: str
    totals: dict[str, int]
    items: list[SearchHitOut]


class ProblemOut(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: dict[str, list[str]] | None = None
    current: dict | None = Field(None, description="On 412: the representation now stored.")


# --- Loading ---------------------------------------------------------------------------------


def claims_for_api():
    """Claims with everything their representation shows: two queries for any number."""
    return Claim.objects.select_related(
        "verdict", "assignee", "verdict_proposed_by", "approved_by"
    ).prefetch_related(
        Prefetch(
            "citations",
            queryset=Citation.objects.select_related("source").order_by("created_at", "pk"),
        )
    )


def articles_for_api():
    return Article.objects.select_related("publisher").with_review_state()


# --- Writing ---------------------------------------------------------------------------------


def _name(user) -> str | None:
    return user.username if user is not None else None


def verdict_data(verdict: Verdict | None) -> dict | None:
    if verdict is None:
        return None
    return {
        "id": verdict.pk,
        "label": verdict.label,
        "colour": verdict.colour,
        "rating": verdict.rating,
        "is_active": verdict.is_active,
    }


def source_data(source: Source) -> dict:
    return {
        "id": source.pk,
        "url": source.url,
        "title": source.title,
        "publisher": source.publisher,
        "kind": source.kind,
        "reliability": source.reliability,
        "version": source.version,
        "api_url": reverse("api-v1:source-detail", args=[source.pk]),
    }


def citation_data(citation: Citation) -> dict:
    return {
        "id": citation.pk,
        "source": source_data(citation.source),
        "relation": citation.relation,
        "quote": citation.quote,
        "locator": citation.locator,
        "note": citation.note,
        "created_at": citation.created_at,
    }


def claim_data(claim: Claim) -> dict:
    return {
        "id": claim.pk,
        "article": claim.article_id,
        "api_url": reverse("api-v1:claim-detail", args=[claim.pk]),
        "annotation_url": reverse("api-v1:annotation", args=[claim.article_id, claim.pk]),
        "part": claim.part,
        "start": claim.start,
        "end": claim.end,
        "quote": claim.quote,
        "prefix": claim.prefix,
        "suffix": claim.suffix,
        "statement": claim.statement,
        "claimant": claim.claimant,
        "claimant_kind": claim.claimant_kind,
        "claim_date": claim.claim_date,
        "category": claim.category,
        "state": claim.state,
        "verdict": verdict_data(claim.verdict),
        "verdict_explanation": claim.verdict_explanation,
        "verdict_proposed_by": _name(claim.verdict_proposed_by),
        "approved_by": _name(claim.approved_by),
        "approved_at": claim.approved_at,
        "assignee": _name(claim.assignee),
        "sent_back_reason": claim.sent_back_reason,
        "orphaned": claim.orphaned_at is not None,
        "version": claim.version,
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
        "citations": [citation_data(citation) for citation in claim.citations.all()],
    }


def claim_etag(claim: Claim) -> str:
    return version_etag("claim", claim.pk, claim.version)


def source_etag(source: Source) -> str:
    return version_etag("source", source.pk, source.version)


def article_data(article: Article, *, with_body: bool = False) -> dict:
    data = {
        "id": article.pk,
        "title": article.title,
        "url": article.url,
        "publisher": article.publisher.name if article.publisher_id else "",
        "published_on": article.published_on,
        "publication": article.publication,
        "review_state": article.review_state,
        "api_url": reverse("api-v1:article-detail", args=[article.pk]),
        "claims_url": reverse("api-v1:claim-list") + f"?article={article.pk}",
        "annotations_url": reverse("api-v1:annotation-container", args=[article.pk]),
    }
    if with_body:
        data["body"] = article.body
        data["version"] = article.version
    return data


def comment_data(comment: Comment) -> dict:
    return {
        "id": comment.pk,
        "claim": comment.claim_id,
        "author": _name(comment.author),
        "body": comment.body,
        "created_at": comment.created_at,
    }
