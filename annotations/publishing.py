"""The public fact-check page: what it shows, read in a fixed number of queries, and its
validator.

``public_page(article)`` gathers everything the page shows (and nothing else: no drafts,
comments, internal notes, assignees, review states or usernames) into plain data, rendered by
``templates/public/fact_check.html``.

``stamp(article)`` is the page's validator, read in two small queries: when and how much each
thing the page shows last changed (the article and its publisher, the published claims, their
citations and sources, corrections, the verdicts, the people named, the methodology). Its hash
is the ETag, and the rendered page is kept in the cache under it: an unchanged page is neither
read in full nor rendered again (`make bench`: "public page, 200 claims"; the first reader after
a change pays for both: "rendered afresh"). Changes are seen through the models' saves (their
``updated_at``, ``version`` and history rows): a write that bypasses them (a queryset
``update()``, raw SQL) shows once something else on the page changes.
"""

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.template.loader import get_template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotations.exporters.claimreview import review_for, script_tag
from annotations.models import (
    Article,
    Citation,
    Claim,
    ClaimRevision,
    Methodology,
    Source,
    User,
    Verdict,
)
from annotations.urlnorm import is_http_url

# Raised when this module changes what the same data renders to (the templates are read by
# ``_page_format``), so that browsers and caches do not keep the old rendering.
PAGE_FORMAT = 1
PAGE_TEMPLATES = ("public/fact_check.html", "public/base.html")


@cache
def _page_format() -> str:
    """``PAGE_FORMAT`` and the page's templates as deployed: a new release that renders the
    page differently gives every page a new ETag."""
    digest = hashlib.sha256(str(PAGE_FORMAT).encode())
    for name in PAGE_TEMPLATES:
        digest.update(get_template(name).template.source.encode())
    return digest.hexdigest()[:16]


CLAIM_COLUMNS = (
    "pk",
    "part",
    "quote",
    "statement",
    "claimant",
    "claim_date",
    "verdict_id",
    "verdict_explanation",
    "verdict_proposed_by_id",
    "approved_by_id",
    "approved_at",
    "updated_at",
    "publication__published_at",
    "publication__note",
    "publication__rating_label",
    "publication__rating_value",
    "publication__best_rating",
    "publication__worst_rating",
    "claimant_kind",
    "claimant_same_as",
)
CITATION_COLUMNS = (
    "claim_id",
    "relation",
    "quote",
    "locator",
    "source_id",
    "source__title",
    "source__url",
    "source__publisher",
    "source__published_on",
    "source__archive_url",
    "source__updated_at",
)
REVISION_COLUMNS = (
    "pk",
    "claim_id",
    "changes",
    "previous",
    "removed_citations",
    "reason",
    "decided_at",
)
# Fields of a correction readers see, in this order, with their names on the page. (The
# category and the place in the article's text are the desk's own bookkeeping.)
CORRECTED_FIELDS = {
    "verdict": "Verdict",
    "verdict_explanation": "Explanation",
    "statement": "Claim checked",
    "claimant": "Who said it",
    "claim_date": "When it was said",
}
RELATIONS = dict(Citation.Relation.choices)


@dataclass
class PublicPage:
    """What the public page of one article shows, as plain data."""

    article: dict
    claims: list[dict]
    sources: list[dict]
    summary: list[dict]
    corrections: list[dict]
    bylines: list[dict]
    methodology: dict | None
    claimreview: list[dict]

    def context(self) -> dict:
        return {
            "claimreview_script": script_tag(self.claimreview) if self.claimreview else "",
            "organisation": self.article["organisation"],
            "article": self.article,
            "claims": self.claims,
            "sources": self.sources,
            "summary": self.summary,
            "corrections": self.corrections,
            "bylines": self.bylines,
            "methodology": self.methodology,
            "claimreview": self.claimreview,
        }


def public_claims(article: Article):
    """The claims a reader sees: put on the page by an editor, and approved (an approved
    claim holds the approved values; a change to it waits apart until approved)."""
    return Claim.objects.filter(
        article=article, publication__isnull=False, state=Claim.State.APPROVED
    )


def _people(ids: set[int]) -> dict[int, dict]:
    """Display name and byline of each person (two queries)."""
    ids.discard(None)
    if not ids:
        return {}
    people = {
        pk: SimpleNamespace(first_name=first, last_name=last, superuser=superuser, active=active)
        for pk, first, last, superuser, active in User.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name", "is_superuser", "is_active"
        )
    }
    roles = defaultdict(set)
    memberships = User.groups.through.objects.filter(user_id__in=ids)
    for user_id, name in memberships.values_list("user_id", "group__name"):
        roles[user_id].add(name)
    shown = {}
    for pk, person in people.items():
        # The same rules as User.role, User.display_name and User.byline, on the loaded values.
        user = User(
            pk=pk,
            first_name=person.first_name,
            last_name=person.last_name,
            is_superuser=person.superuser,
            is_active=person.active,
        )
        user._group_name_cache = roles[pk]
        shown[pk] = {"name": user.display_name, "byline": user.byline}
    return shown


def _verdict(verdicts: dict, verdict_id) -> dict | None:
    if verdict_id is None:
        return None
    return verdicts.get(verdict_id) or {
        "id": verdict_id,
        "label": "a verdict since removed",
        "rating": None,
        "colour": "#888888",
        "order": 0,
    }


def _shown_value(name: str, value, verdicts: dict) -> str:
    if value in (None, ""):
        return "—"
    if name == "verdict":
        return _verdict(verdicts, value)["label"]
    if name == "claim_date":
        date = datetime.date.fromisoformat(value)
        return f"{date.day} {date:%B %Y}"
    return str(value)


def _corrections(article: Article, claims: dict[int, dict], verdicts: dict) -> list[dict]:
    """The corrections and updates log, oldest first: every change approved to a published
    claim after it was published (``ClaimRevision``), with what it was and what it became, and
    the claims added after the first publication. One query."""
    entries = []
    revisions = (
        ClaimRevision.objects.approved()
        .filter(claim__in=list(claims), decided_at__gt=F("claim__publication__published_at"))
        .values(*REVISION_COLUMNS)
    )
    for revision in revisions:
        claim = claims[revision["claim_id"]]
        changes = [
            {
                "label": label,
                "was": _shown_value(name, revision["previous"].get(name), verdicts),
                "now": _shown_value(name, revision["changes"][name], verdicts),
                "long": name in {"verdict_explanation", "statement"},
            }
            for name, label in CORRECTED_FIELDS.items()
            if name in revision["changes"]
        ]
        entries.append(
            {
                "kind": "correction",
                "at": revision["decided_at"],
                "claim": claim["number"],
                "claim_anchor": claim["anchor"],
                "reason": revision["reason"],
                "changes": changes,
                "removed_sources": [item["title"] for item in revision["removed_citations"]],
                "revision": revision["pk"],
            }
        )
    added = {}
    if entries:
        for revision_id, title in (
            ClaimRevision.objects.filter(pk__in=[e["revision"] for e in entries])
            .values_list("pk", "added_citations__source__title")
            .exclude(added_citations__isnull=True)
        ):
            added.setdefault(revision_id, []).append(title)
    for entry in entries:
        entry["added_sources"] = added.pop(entry.pop("revision"), [])
    first = article.published_at
    for claim in claims.values():
        if first and claim["published_at"] > first:
            entries.append(
                {
                    "kind": "added",
                    "at": claim["published_at"],
                    "claim": claim["number"],
                    "claim_anchor": claim["anchor"],
                    "reason": claim["publication_note"],
                    "changes": [],
                    "removed_sources": [],
                    "added_sources": [],
                }
            )
    if article.republished_at and article.is_live:
        entries.append(
            {
                "kind": "republished",
                "at": article.republished_at,
                "withdrawn_at": article.unpublished_at,
                "reason": article.unpublish_reason,
                "claim": None,
                "changes": [],
                "removed_sources": [],
                "added_sources": [],
            }
        )
    entries.sort(key=lambda entry: (entry["at"], entry["claim"] or 0))
    return entries


def methodology() -> dict | None:
    """The desk's methodology and corrections policy, as every public page and report shows
    them (one query); None until an admin has written them."""
    found = Methodology.current()
    if found is None:
        return None
    return {
        "text": found.text,
        "corrections_policy": found.corrections_policy,
        "updated_at": found.updated_at,
    }


def people_shown(ids: set[int]) -> dict[int, dict]:
    """Display name and byline of each person, as the public page names them (never
    usernames)."""
    return _people(set(ids))


def public_page(article: Article) -> PublicPage:
    """Everything the public page of ``article`` (published, with its publisher loaded)
    shows, in eight queries whatever the number of claims."""
    verdicts = {
        v["id"]: v for v in Verdict.objects.values("id", "label", "rating", "colour", "order")
    }
    rated = [v["rating"] for v in verdicts.values() if v["rating"] is not None]
    scale = SimpleNamespace(best_rating=max(rated, default=5), worst_rating=min(rated, default=1))
    base = settings.FACTCHECK_PUBLIC_BASE_URL.rstrip("/")
    page_url = base + article.get_public_url()

    claims = {}
    rows = public_claims(article).in_reading_order("orphaned_at")
    for number, row in enumerate(rows.values(*CLAIM_COLUMNS), start=1):
        claims[row["pk"]] = {
            "number": number,
            "anchor": f"claim-{number}",
            "quote": row["quote"],
            # Where the quote is: the headline and the standfirst are said, the body is not.
            "part": row["part"],
            "part_label": Article.Part(row["part"]).label,
            "statement": row["statement"] or row["quote"],
            "claimant": row["claimant"],
            "claim_date": row["claim_date"],
            "verdict": _verdict(verdicts, row["verdict_id"]),
            "explanation": row["verdict_explanation"],
            "checked_by": row["verdict_proposed_by_id"],
            "approved_by": row["approved_by_id"],
            "approved_at": row["approved_at"],
            "updated_at": row["updated_at"],
            "published_at": row["publication__published_at"],
            "publication_note": row["publication__note"],
            "claimant_kind": row["claimant_kind"],
            "claimant_same_as": row["claimant_same_as"],
            # The review as published (``PublishedClaim.frozen_rating``), for ClaimReview.
            "frozen_rating": {
                "label": row["publication__rating_label"],
                "rating": row["publication__rating_value"],
                "best": row["publication__best_rating"],
                "worst": row["publication__worst_rating"],
            }
            if row["publication__rating_label"]
            else None,
            "evidence": [],
        }

    # Sources are numbered in the order the claims first cite them.
    sources: dict[int, dict] = {}
    citations = Citation.objects.filter(claim__in=list(claims)).order_by(
        "claim_id", "created_at", "pk"
    )
    for row in citations.values(*CITATION_COLUMNS):
        claim = claims[row["claim_id"]]
        source = sources.get(row["source_id"])
        if source is None:
            url, archive = row["source__url"], row["source__archive_url"]
            source = sources[row["source_id"]] = {
                "number": len(sources) + 1,
                "title": row["source__title"],
                "publisher": row["source__publisher"],
                "published_on": row["source__published_on"],
                "url": url,
                "url_is_link": is_http_url(url),
                "archive_url": archive,
                "archive_url_is_link": is_http_url(archive),
                "updated_at": row["source__updated_at"],
            }
        claim["evidence"].append(
            {
                "source": source["number"],
                "relation": RELATIONS.get(row["relation"], row["relation"]),
                "quote": row["quote"],
                "locator": row["locator"],
            }
        )
    # Claims list their sources in order (ordered by claim, then by when they were cited).
    for claim in claims.values():
        claim["evidence"].sort(key=lambda item: item["source"])

    corrections = _corrections(article, claims, verdicts)

    people = _people(
        {c["checked_by"] for c in claims.values()}
        | {c["approved_by"] for c in claims.values()}
        | {article.published_by_id}
    )
    checked = sorted({c["checked_by"] for c in claims.values()} - {None})
    approved = sorted({c["approved_by"] for c in claims.values()} - {None} - set(checked))
    bylines = [
        {"what": "Checked by", "people": [people[pk] for pk in checked if pk in people]},
        {"what": "Reviewed by", "people": [people[pk] for pk in approved if pk in people]},
    ]
    bylines = [line for line in bylines if line["people"]]
    if article.published_by_id in people:
        bylines.append({"what": "Published by", "people": [people[article.published_by_id]]})
    for claim in claims.values():
        claim["checked_by"] = people.get(claim["checked_by"])
        claim["approved_by"] = people.get(claim.pop("approved_by"))

    counts = defaultdict(int)
    for claim in claims.values():
        counts[claim["verdict"]["id"] if claim["verdict"] else None] += 1
    summary = [
        {"verdict": _verdict(verdicts, key), "count": n}
        for key, n in sorted(
            counts.items(),
            key=lambda item: (
                item[0] is None,
                (verdicts.get(item[0]) or {}).get("order", 0),
                item[0] or 0,
            ),
        )
    ]

    publisher = article.publisher
    article_data = {
        "pk": article.pk,
        "title": article.title,
        "standfirst": article.standfirst,
        "byline": article.byline,
        "publisher": publisher.name if publisher else "",
        "publisher_url": publisher.url if publisher else "",
        "publisher_url_is_link": bool(publisher and is_http_url(publisher.url)),
        "url": article.url,
        "url_is_link": is_http_url(article.url),
        "published_on": article.published_on,
        "language": article.language,
        "checked_published_at": article.published_at,
        "revised_at": (
            article.revised_at if article.publication == Article.Publication.UPDATED else None
        ),
        "page_url": page_url,
        "organisation": settings.FACTCHECK_ORGANISATION_NAME,
    }
    methodology_data = methodology()

    # ClaimReview, from the exporter's builder: one review per published claim.
    reviews = []
    review_article = {
        "title": article.title,
        "url": article.url,
        "published_on": article.published_on,
        "publisher": article_data["publisher"],
    }
    corrected = {}  # claim number → its latest correction (ClaimReview's dateModified)
    for entry in corrections:
        if entry["kind"] == "correction":
            corrected[entry["claim"]] = max(entry["at"], corrected.get(entry["claim"], entry["at"]))
    for claim in claims.values():
        review = review_for(
            review_article,
            {
                "state": Claim.State.APPROVED,
                "verdict": claim["verdict"],
                "claimant": claim["claimant"],
                "claimant_kind": claim["claimant_kind"],
                "claimant_same_as": claim["claimant_same_as"],
                "publication": {
                    "url": f"{page_url}#{claim['anchor']}",
                    "published_at": claim["published_at"],
                    "modified_at": corrected.get(claim["number"]),
                    "rating": claim["frozen_rating"],
                },
                "claim_date": claim["claim_date"],
                "report_url": f"{page_url}#{claim['anchor']}",
                "statement": claim["statement"],
                "quote": claim["quote"],
                "approved_at": claim["approved_at"],
                "verdict_explanation": claim["explanation"],
            },
            scale,
        )
        if review is not None:
            reviews.append(review)

    page = PublicPage(
        article=article_data,
        claims=list(claims.values()),
        sources=list(sources.values()),
        summary=summary,
        corrections=corrections,
        bylines=bylines,
        methodology=methodology_data,
        claimreview=reviews,
    )
    return page


@dataclass(frozen=True)
class Stamp:
    etag: str
    last_modified: datetime.datetime


# The validator in SQL: built with the ORM, its five queries took ten times longer to build
# than to run, and it is all an unchanged page costs (`make bench`: "public page, 200 claims";
# tests/test_public_page.py checks it against the same figures read with the ORM).
_STAMP_SQL = """
WITH published AS (
    SELECT c.id, c.updated_at, p.published_at
    FROM {claim} c JOIN {published} p ON p.claim_id = c.id
    WHERE c.article_id = %s AND c.state = %s
)
SELECT
    (SELECT COUNT(*) FROM published),
    (SELECT MAX(updated_at) FROM published),
    (SELECT MAX(published_at) FROM published),
    (SELECT MAX(r.updated_at) FROM {revision} r WHERE r.claim_id IN (SELECT id FROM published)),
    (SELECT COUNT(*) FROM {citation} ci WHERE ci.claim_id IN (SELECT id FROM published)),
    (SELECT MAX(ci.id) FROM {citation} ci WHERE ci.claim_id IN (SELECT id FROM published)),
    (SELECT MAX(s.updated_at) FROM {citation} ci JOIN {source} s ON s.id = ci.source_id
     WHERE ci.claim_id IN (SELECT id FROM published)),
    (SELECT MAX(h.history_id) FROM {citation_history} h
     WHERE h.claim_id IN (SELECT id FROM published)),
    (SELECT MAX(history_id) FROM {verdict_history}),
    (SELECT updated_at FROM {methodology} WHERE id = 1)
"""
_PEOPLE_SQL = """
SELECT u.id, u.first_name, u.last_name, u.is_active, u.is_superuser,
    (SELECT SUM(g.group_id) FROM {user_groups} g WHERE g.user_id = u.id)
FROM {user} u
WHERE u.id IN (
    SELECT c.verdict_proposed_by_id FROM {claim} c JOIN {published} p ON p.claim_id = c.id
    WHERE c.article_id = %s AND c.state = %s
    UNION
    SELECT c.approved_by_id FROM {claim} c JOIN {published} p ON p.claim_id = c.id
    WHERE c.article_id = %s AND c.state = %s
) OR u.id = %s
ORDER BY u.id
"""
STAMP_FIELDS = (
    "claims",
    "claims_changed",
    "claims_added",
    "corrected",
    "citations",
    "last_citation",
    "sources_changed",
    "citation_edits",
    "verdict_edits",
    "methodology_changed",
)
_TIMES = {"claims_changed", "claims_added", "corrected", "sources_changed", "methodology_changed"}


@cache
def _tables() -> dict[str, str]:
    from annotations.models import PublishedClaim

    models = {
        "claim": Claim,
        "published": PublishedClaim,
        "revision": ClaimRevision,
        "citation": Citation,
        "source": Source,
        "citation_history": Citation.history.model,
        "verdict_history": Verdict.history.model,
        "methodology": Methodology,
        "user": User,
        "user_groups": User.groups.through,
    }
    quote = connection.ops.quote_name
    return {name: quote(model._meta.db_table) for name, model in models.items()}


def _when(value) -> datetime.datetime | None:
    """A time as the database gave it (SQLite: text in UTC), as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def stamp_values(article: Article) -> dict:
    """When and how much each thing the public page of ``article`` shows last changed: two
    queries, however many claims it has."""
    approved = Claim.State.APPROVED
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL.format(**_tables()), [article.pk, approved])
        values = dict(zip(STAMP_FIELDS, cursor.fetchone(), strict=True))
        cursor.execute(
            _PEOPLE_SQL.format(**_tables()),
            [article.pk, approved, article.pk, approved, article.published_by_id],
        )
        people = [tuple(row) for row in cursor.fetchall()]
    for name in _TIMES:
        values[name] = _when(values[name])
    # Booleans as booleans and a missing sum as 0, whatever the database returns.
    values["people"] = [
        (pk, first, last, bool(active), bool(superuser), int(groups or 0))
        for pk, first, last, active, superuser, groups in people
    ]
    return values


def stamp(article: Article) -> Stamp:
    """The validator of ``article``'s public page (its publisher loaded)."""
    values = stamp_values(article)
    publisher = article.publisher
    shown = (
        _page_format(),
        settings.FACTCHECK_PUBLIC_BASE_URL,
        settings.FACTCHECK_ORGANISATION_NAME,
        article.pk,
        article.version,
        article.updated_at,
        publisher.pk if publisher else None,
        publisher.updated_at if publisher else None,
        sorted(values.items()),
    )
    times = [article.updated_at, publisher.updated_at if publisher else None]
    times += [values[name] for name in _TIMES]
    return Stamp(
        etag=f'"{hashlib.sha256(repr(shown).encode()).hexdigest()[:40]}"',
        last_modified=max(t for t in times if t is not None).replace(microsecond=0),
    )


def withdrawn_notice(article: Article) -> dict:
    """What the address of a withdrawn fact-check still says."""
    return {
        "title": article.title,
        "withdrawn_at": article.unpublished_at,
        "reason": article.unpublish_reason,
        "organisation": settings.FACTCHECK_ORGANISATION_NAME,
    }
