"""The JSON API's representations: the schemas its OpenAPI document publishes, and the functions
that write objects in exactly those shapes (tests check every response against its schema).

The functions build plain dicts from rows the querysets below loaded in a fixed number of
queries, whatever the page size; the schemas document them.
"""

import datetime

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from annotations.api.http import version_etag
from annotations.models import Article, Citation, Comment, Source, Verdict

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
    standfirst: str = Field(
        description="The subtitle below the title: standfirst claims point into it."
    )
    body: str = Field(description="The article's text: body claims point into it.")
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


CLAIM_COLUMNS = (
    "id",
    "article_id",
    "part",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "statement",
    "claimant",
    "claimant_kind",
    "claim_date",
    "category",
    "state",
    "verdict_id",
    "verdict__label",
    "verdict__colour",
    "verdict__rating",
    "verdict__is_active",
    "verdict_explanation",
    "verdict_proposed_by__username",
    "approved_by__username",
    "approved_at",
    "assignee__username",
    "sent_back_reason",
    "orphaned_at",
    "version",
    "created_at",
    "updated_at",
)
CITATION_COLUMNS = (
    "id",
    "claim_id",
    "relation",
    "quote",
    "locator",
    "note",
    "created_at",
    "source_id",
    "source__url",
    "source__title",
    "source__publisher",
    "source__kind",
    "source__reliability",
    "source__version",
)


def claims_data(claims, limit: int | None = None) -> list[dict]:
    """The representations of ``claims`` (a queryset, in its order, at most ``limit``): two
    queries however many, read as rows, not model instances (instances were half the time of a
    list of 100: make bench, "API list 100 claims with citations")."""
    rows = claims.values_list(*CLAIM_COLUMNS)
    rows = list(rows[:limit] if limit is not None else rows)
    cited = citations_by_claim([row[0] for row in rows]) if rows else {}
    found = []
    for row in rows:
        (pk, article_id, part, start, end, quote, prefix, suffix, statement, claimant,
         claimant_kind, claim_date, category, state, verdict_id, verdict_label, verdict_colour,
         verdict_rating, verdict_active, explanation, proposer, approver, approved_at, assignee,
         sent_back_reason, orphaned_at, version, created_at, updated_at) = row  # fmt: skip
        verdict = None
        if verdict_id is not None:
            verdict = {
                "id": verdict_id,
                "label": verdict_label,
                "colour": verdict_colour,
                "rating": verdict_rating,
                "is_active": verdict_active,
            }
        found.append(
            {
                "id": pk,
                "article": article_id,
                "api_url": path_of("api-v1:claim-detail", pk),
                "annotation_url": path_of("api-v1:annotation", article_id, pk),
                "part": part,
                "start": start,
                "end": end,
                "quote": quote,
                "prefix": prefix,
                "suffix": suffix,
                "statement": statement,
                "claimant": claimant,
                "claimant_kind": claimant_kind,
                "claim_date": claim_date,
                "category": category,
                "state": state,
                "verdict": verdict,
                "verdict_explanation": explanation,
                "verdict_proposed_by": proposer,
                "approved_by": approver,
                "approved_at": approved_at,
                "assignee": assignee,
                "sent_back_reason": sent_back_reason,
                "orphaned": orphaned_at is not None,
                "version": version,
                "created_at": created_at,
                "updated_at": updated_at,
                "citations": cited.get(pk, []),
            }
        )
    return found


def citations_by_claim(claim_ids: list[int]) -> dict[int, list[dict]]:
    """Each claim's citations with their sources, oldest first: one query."""
    found: dict[int, list[dict]] = {}
    rows = (
        Citation.objects.filter(claim_id__in=claim_ids)
        .order_by("claim_id", "created_at", "pk")
        .values_list(*CITATION_COLUMNS)
    )
    for (pk, claim_id, relation, quote, locator, note, created_at, source_id, url, title,
         publisher, kind, reliability, version) in rows:  # fmt: skip
        found.setdefault(claim_id, []).append(
            {
                "id": pk,
                "source": {
                    "id": source_id,
                    "url": url,
                    "title": title,
                    "publisher": publisher,
                    "kind": kind,
                    "reliability": reliability,
                    "version": version,
                    "api_url": path_of("api-v1:source-detail", source_id),
                },
                "relation": relation,
                "quote": quote,
                "locator": locator,
                "note": note,
                "created_at": created_at,
            }
        )
    return found


def articles_for_api():
    return Article.objects.select_related("publisher").with_review_state()


# --- Writing ---------------------------------------------------------------------------------


def path_of(name: str, *ids: int) -> str:
    """``reverse(name, args=ids)`` for the API's id-only patterns, made by filling in a path
    reversed once with zeros: a list of 100 claims names 300 addresses, and ``reverse`` was a
    third of its time (make bench, "API list 100 claims with citations")."""
    template = _PATH_TEMPLATES.get(name)
    if template is None:
        zeros = reverse(name, args=[0] * len(ids))
        template = _PATH_TEMPLATES[name] = zeros.replace("/0/", "/{}/").replace("/0", "/{}")
    return template.format(*ids)


_PATH_TEMPLATES: dict[str, str] = {}


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
        "api_url": path_of("api-v1:source-detail", source.pk),
    }


def claim_etag(claim: dict) -> str:
    return version_etag("claim", claim["id"], claim["version"])


def source_etag(source: Source) -> str:
    return version_etag("source", source.pk, source.version)


def article_data(article: Article, *, with_texts: bool = False) -> dict:
    """An article as the API shows it; ``with_texts``: with the texts its claims point into
    (a claim's offsets count in the text of its ``part``: the title, standfirst or body)."""
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
    if with_texts:
        data["standfirst"] = article.standfirst
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
