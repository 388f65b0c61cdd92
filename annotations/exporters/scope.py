"""What an export contains, and reading it from the database in chunks.

Every format reads through ``ExportData``: articles a few at a time, their claims, citations and
comments as plain dicts (``values()``) with a fixed number of queries per chunk of articles, and
the small tables (users, verdicts) once. Memory stays flat however many articles are exported,
and no format can accidentally run one query per claim.

Two scopes:

- ``published`` — approved claims only (what goes public); no comments.
- ``internal`` — every claim, with unapproved work marked ``DRAFT_LABEL``, and comments.
"""

from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import DateField, DateTimeField, QuerySet, Value
from django.db.models.functions import Coalesce

from annotations.anchoring import CONTEXT_LENGTH
from annotations.exporters._common import (
    IsoText,
    as_is,
    iso,
    whole_words_after,
    whole_words_before,
)
from annotations.exporters.links import ReportUrls
from annotations.models import Article, Citation, Claim, Comment, Source, User, Verdict

DRAFT_LABEL = "Draft — not approved"
ARTICLES_PER_CHUNK = 10
# Claim ids named in one query of a selection's chunk (SQLite takes 32,766 parameters).
MAX_SELECTED_PER_QUERY = 10_000
# What a chunk of a selection holds, in claims per article of ``chunk_size`` (see ``_chunked``).
CLAIMS_PER_ARTICLE = 200


class Scope(StrEnum):
    PUBLISHED = "published"
    INTERNAL = "internal"

    @property
    def label(self) -> str:
        return "Published verdicts" if self is Scope.PUBLISHED else "Internal (includes drafts)"


def _field(meta, name: str):
    """The model field called ``name``, or None for an annotation."""
    try:
        return meta.get_field(name)
    except FieldDoesNotExist:
        return None


ARTICLE_FIELDS = (
    "id",
    "title",
    "title_inferred",
    "standfirst",
    "byline",
    "publisher_name",  # the publisher's name (an annotation), exported as "publisher"
    "url",
    "published_on",
    "section",
    "body",
    "notes",
    "raw_text",
    "raw_encoding",
    "source_name",
    "content_hash",
    "review_state",  # worked out from the claims (``with_review_state``), or the publication
    "imported_by_id",
    "imported_at",
)
ARTICLE_SUMMARY_FIELDS = tuple(f for f in ARTICLE_FIELDS if f not in {"body", "raw_text"})
CLAIM_FIELDS = (
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
    "claim_date",
    "category",
    "state",
    "verdict_id",
    "verdict_explanation",
    "verdict_proposed_by_id",
    "sent_back_reason",
    "assignee_id",
    "created_by_id",
    "approved_by_id",
    "approved_at",
    "version",
    "created_at",
    "tags",
    "orphaned_at",
    "orphan_reason",
    "updated_at",
)
CITATION_FIELDS = (
    "id",
    "claim_id",
    "source_id",
    "relation",
    "quote",
    "locator",
    "note",
    "created_by_id",
    "created_at",
)
COMMENT_FIELDS = ("id", "claim_id", "author_id", "body", "created_at")
SOURCE_FIELDS = (
    "id",
    "title",
    "url",
    "publisher",
    "kind",
    "published_on",
    "accessed_on",
    "reliability",
    "reliability_rationale",
    "archive_url",
    "notes",
    "created_by_id",
    "created_at",
)
USER_ROLES = tuple(
    (f"{role}_id", f"{role}_username")
    for role in ("verdict_proposed_by", "assignee", "created_by", "approved_by")
)
VERDICT_FIELDS = ("id", "label", "description", "colour", "order", "is_active", "rating")

STATE_LABELS = dict(Claim.State.choices)
CATEGORY_LABELS = dict(Claim.Category.choices)
PART_LABELS = dict(Claim.Part.choices)
RELATION_LABELS = dict(Citation.Relation.choices)
REVIEW_STATE_LABELS = dict(Article.State.choices)
KIND_LABELS = dict(Source.Kind.choices)
RELIABILITY_LABELS = dict(Source.Reliability.choices)


@dataclass
class ArticleBundle:
    """One article (a dict of its fields) with its claims in scope, in reading order."""

    article: dict
    claims: list[dict]

    @property
    def verdict_summary(self) -> list[tuple[dict | None, int]]:
        counts: dict = defaultdict(int)
        verdicts = {}
        for claim in self.claims:
            key = claim["verdict"]["id"] if claim["verdict"] else None
            verdicts[key] = claim["verdict"]
            counts[key] += 1
        order = sorted(counts, key=lambda k: (k is None, (verdicts[k] or {}).get("order", 0), k))
        return [(verdicts[key], counts[key]) for key in order]


@dataclass
class ExportData:
    """Reads the articles of ``articles`` and their claims for ``scope``, a chunk at a time.

    Iterating yields ``ArticleBundle``s. Each claim dict carries its fields (``CLAIM_FIELDS``)
    plus ``verdict`` (the verdict dict or None), ``citations`` (each with its ``source`` dict),
    ``comments`` (internal scope only), user names in ``*_username`` keys, ``is_draft`` and
    display labels. Sources and users met on the way are collected in ``sources_seen`` and
    ``usernames_seen`` for formats that list them at the end.
    """

    articles: QuerySet
    scope: Scope
    with_text: bool = True
    # Dates and times as ISO 8601 strings (``iso()``) instead of date/datetime objects.
    iso_dates: bool = False
    chunk_size: int = ARTICLES_PER_CHUNK
    sources: dict[int, dict] = field(default_factory=dict)
    usernames_seen: set[str] = field(default_factory=set)
    sources_seen: set[int] = field(default_factory=set)

    def __post_init__(self):
        self.report_urls = ReportUrls()
        self.users = dict(User.objects.values_list("id", "username"))
        self.verdicts = {v["id"]: v for v in Verdict.objects.values(*VERDICT_FIELDS)}
        rated = [v["rating"] for v in self.verdicts.values() if v["rating"] is not None]
        self.best_rating = max(rated, default=5)
        self.worst_rating = min(rated, default=1)
        self.selected = self._read_selection()

    def _read_selection(self) -> dict[int, array] | None:
        """A selection of claims (``select_articles`` with ``of=claims``), read once: each
        article's selected claim ids (8 bytes a claim). Applying its filters to every chunk
        instead made SQLite pick the index of a filter over the article's for each chunk (50 s
        for 10,000 claims of a 200,000-claim desk), and read a search's matches once a chunk."""
        selection = getattr(self.articles, "claim_selection", None)
        if selection is None:
            return None
        selected: dict[int, array] = defaultdict(lambda: array("q"))
        for pk, article_id in (
            selection.order_by().values_list("pk", "article_id").iterator(chunk_size=10_000)
        ):
            selected[article_id].append(pk)
        return selected

    def article_ids(self) -> list[int]:
        ordering = self.articles.query.order_by or Article._meta.ordering
        ids = list(self.articles.order_by(*ordering).values_list("pk", flat=True))
        if self.selected is not None:  # the articles with claims of the selection in scope
            ids = [pk for pk in ids if pk in self.selected]
        return ids

    def _chunked(self, ids: list[int]):
        """The articles a chunk at a time: ``chunk_size`` of them, or for a selection of claims
        as many as hold about as many claims as ``chunk_size`` whole articles do (a selection
        is often a claim or two of each of thousands of articles: a chunk of ten would cost
        four queries per ten claims), within a bound on the articles' text held at once."""
        if self.selected is None:
            for offset in range(0, len(ids), self.chunk_size):
                yield ids[offset : offset + self.chunk_size]
            return
        claims = self.chunk_size * CLAIMS_PER_ARTICLE
        articles = self.chunk_size * (5 if self.with_text else 50)
        chunk, held = [], 0
        for pk in ids:
            chunk.append(pk)
            held += len(self.selected[pk])
            if held >= claims or len(chunk) >= articles:
                yield chunk
                chunk, held = [], 0
        if chunk:
            yield chunk

    def count_claims(self) -> int:
        if self.selected is not None:
            return sum(len(ids) for ids in self.selected.values())
        return self._claims(self.articles.values("pk")).count()

    def _claims(self, article_ids) -> QuerySet:
        if self.selected is None:
            claims = Claim.objects.filter(article_id__in=article_ids)
        elif isinstance(article_ids, list) and (
            len(ids := [pk for a in article_ids for pk in self.selected.get(a, ())])
            <= MAX_SELECTED_PER_QUERY
        ):
            claims = Claim.objects.filter(pk__in=ids)
        else:  # a count over every article, or a chunk too large to name its claims
            selection = self.articles.claim_selection.order_by()
            claims = selection.filter(article_id__in=article_ids)
        return claims.approved() if self.scope is Scope.PUBLISHED else claims

    def username(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        name = self.users.get(user_id)
        if name is None:  # created after the export started
            name = User.objects.values_list("username", flat=True).get(pk=user_id)
            self.users[user_id] = name
        self.usernames_seen.add(name)
        return name

    def _select(self, queryset: QuerySet, fields: tuple[str, ...]):
        """``(rows, iso)``: ``queryset.values_list(*fields)``, and the function that turns a
        date or time column of those rows into its ISO 8601 string (``iso()``).

        SQLite stores dates and times as text: the query itself spells them as ``iso()``
        does (``IsoText``), which costs far less than parsing them into Python objects to be
        formatted back, and ``iso`` is then the identity. Other databases hand over date and
        time objects.
        """
        if connection.vendor != "sqlite":
            return queryset.values_list(*fields), iso
        meta = queryset.model._meta
        columns = [
            IsoText(f, of_time=isinstance(_field(meta, f), DateTimeField))
            if isinstance(_field(meta, f), DateField)
            else f
            for f in fields
        ]
        return queryset.values_list(*columns), as_is

    def _rows(self, queryset: QuerySet, fields: tuple[str, ...]) -> Iterator[dict]:
        """``queryset.values(*fields)``, with dates and times as ISO 8601 strings when
        ``iso_dates`` is set."""
        if not self.iso_dates:
            yield from queryset.values(*fields)
            return
        rows, convert = self._select(queryset, fields)
        if convert is as_is:  # the database spelled them (SQLite)
            for row in rows:
                yield dict(zip(fields, row, strict=True))
            return
        meta = queryset.model._meta
        timed = [f for f in fields if isinstance(_field(meta, f), DateField)]
        for row in rows:
            values = dict(zip(fields, row, strict=True))
            for name in timed:
                values[name] = convert(values[name])
            yield values

    def __iter__(self) -> Iterator[ArticleBundle]:
        ids = self.article_ids()
        fields = ARTICLE_FIELDS if self.with_text else ARTICLE_SUMMARY_FIELDS
        for chunk_ids in self._chunked(ids):
            # The state is worked out from the claims, the publisher is a record: both come
            # with the articles' own query.
            chunk = (
                Article.objects.filter(pk__in=chunk_ids)
                .with_review_state()
                .annotate(publisher_name=Coalesce("publisher__name", Value("")))
            )
            articles = {a["id"]: a for a in self._rows(chunk, fields)}
            claims_by_article = self._load_claims(chunk_ids)
            for article_id in chunk_ids:
                article = articles.get(article_id)
                if article is None:  # deleted meanwhile
                    continue
                article["publisher"] = article.pop("publisher_name")
                article["imported_by_username"] = self.username(article["imported_by_id"])
                article["review_state_label"] = REVIEW_STATE_LABELS.get(article["review_state"])
                article["report_url"] = self.report_urls[article_id]
                yield ArticleBundle(article, claims_by_article.get(article_id, []))

    def claims_of(self, article_id: int) -> list[dict]:
        """The claims in scope of one article, as its ``ArticleBundle`` holds them, without
        reading the article: for a caller that has it (the annotation protocol's pages)."""
        return self._load_claims([article_id]).get(article_id, [])

    def _load_claims(self, article_ids: list[int]) -> dict[int, list[dict]]:
        # Three queries per chunk (claims, citations, comments) plus one for new sources.
        # The loops run once per row of a large export: lookups are bound to locals.
        verdicts, users, username = self.verdicts.get, self.users.get, self.username
        seen = self.usernames_seen.add
        report_urls = self.report_urls
        approved = Claim.State.APPROVED
        grouped: dict[int, list[dict]] = defaultdict(list)
        by_id = {}
        claims = self._claims(article_ids).in_reading_order("article_id")
        for claim in self._rows(claims, CLAIM_FIELDS):
            state, category = claim["state"], claim["category"]
            claim["verdict"] = verdicts(claim["verdict_id"])
            claim["citations"] = []
            claim["comments"] = []
            claim["is_draft"] = state != approved
            claim["is_orphan"] = claim["orphaned_at"] is not None
            # The stored context is cut at a fixed length: shown, it ends at whole words.
            claim["context_before"] = whole_words_before(
                claim["prefix"], cut=len(claim["prefix"]) >= CONTEXT_LENGTH
            )
            claim["context_after"] = whole_words_after(
                claim["suffix"], cut=len(claim["suffix"]) >= CONTEXT_LENGTH
            )
            claim["state_label"] = STATE_LABELS.get(state, state)
            claim["part_label"] = PART_LABELS[claim["part"]]
            claim["category_label"] = CATEGORY_LABELS.get(category, category)
            for role, key in USER_ROLES:
                user_id = claim[role]
                if user_id is None:
                    claim[key] = None
                elif (name := users(user_id)) is not None:
                    claim[key] = name
                    seen(name)
                else:
                    claim[key] = username(user_id)
            claim["report_url"] = f"{report_urls[claim['article_id']]}#claim-{claim['id']}"
            by_id[claim["id"]] = claim
            grouped[claim["article_id"]].append(claim)

        if by_id:
            citations = Citation.objects.filter(claim__article_id__in=article_ids)
            if self.scope is Scope.PUBLISHED:
                citations = citations.filter(claim__state=Claim.State.APPROVED)
            citations = list(
                self._rows(citations.order_by("claim_id", "created_at", "pk"), CITATION_FIELDS)
            )
            self._load_sources({c["source_id"] for c in citations})
            sources, sources_seen = self.sources, self.sources_seen.add
            for citation in citations:
                claim = by_id.get(citation["claim_id"])
                if claim is None:
                    continue
                citation["source"] = sources[citation["source_id"]]
                citation["relation_label"] = RELATION_LABELS.get(citation["relation"])
                citation["created_by_username"] = username(citation["created_by_id"])
                sources_seen(citation["source_id"])
                claim["citations"].append(citation)

            if self.scope is Scope.INTERNAL:
                comments = Comment.objects.filter(claim__article_id__in=article_ids)
                for comment in self._rows(
                    comments.order_by("claim_id", "created_at", "pk"), COMMENT_FIELDS
                ):
                    claim = by_id.get(comment["claim_id"])
                    if claim is not None:
                        comment["author_username"] = username(comment["author_id"])
                        claim["comments"].append(comment)
        return grouped

    def _load_sources(self, ids: set[int]) -> None:
        missing = ids - self.sources.keys()
        if not missing:
            return
        for source in self._rows(Source.objects.filter(pk__in=missing), SOURCE_FIELDS):
            source["kind_label"] = KIND_LABELS.get(source["kind"], source["kind"])
            source["reliability_label"] = RELIABILITY_LABELS.get(source["reliability"], "")
            source["created_by_username"] = self.username(source["created_by_id"])
            self.sources[source["id"]] = source

    def seen_sources(self) -> list[dict]:
        return sorted((self.sources[pk] for pk in self.sources_seen), key=lambda s: s["url"])
