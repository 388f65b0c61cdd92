"""The complete JSON export: everything needed to restore the work elsewhere.

The format is documented in docs/export-schema.md (``schema_version`` 1). It never contains
database ids: articles are identified by content hash, sources by normalised URL, verdicts by
label and users by username, so an export restored into another database and exported again
is byte-for-byte the same. ``annotations.importers.report`` reads it back.
"""

from typing import IO

from annotations.exporters._common import dumps, iso
from annotations.exporters.scope import ExportData, Scope
from annotations.models import User

SCHEMA_VERSION = 1


def verdict_entry(verdict: dict) -> dict:
    return {
        "label": verdict["label"],
        "description": verdict["description"],
        "colour": verdict["colour"],
        "order": verdict["order"],
        "is_active": verdict["is_active"],
        "rating": verdict["rating"],
    }


def citation_entry(citation: dict) -> dict:
    return {
        "source": citation["source"]["url"],
        "relation": citation["relation"],
        "quote": citation["quote"],
        "locator": citation["locator"],
        "note": citation["note"],
        "created_by": citation["created_by_username"],
        "created_at": iso(citation["created_at"]),
    }


def comment_entry(comment: dict) -> dict:
    return {
        "author": comment["author_username"],
        "body": comment["body"],
        "created_at": iso(comment["created_at"]),
    }


def claim_entry(claim: dict) -> dict:
    return {
        "start": claim["start"],
        "end": claim["end"],
        "quote": claim["quote"],
        "prefix": claim["prefix"],
        "suffix": claim["suffix"],
        "statement": claim["statement"],
        "claimant": claim["claimant"],
        "claim_date": iso(claim["claim_date"]),
        "category": claim["category"],
        "state": claim["state"],
        "verdict": claim["verdict"]["label"] if claim["verdict"] else None,
        "verdict_explanation": claim["verdict_explanation"],
        "verdict_proposed_by": claim["verdict_proposed_by_username"],
        "sent_back_reason": claim["sent_back_reason"],
        "assignee": claim["assignee_username"],
        "created_by": claim["created_by_username"],
        "approved_by": claim["approved_by_username"],
        "approved_at": iso(claim["approved_at"]),
        "version": claim["version"],
        "created_at": iso(claim["created_at"]),
        "citations": [citation_entry(c) for c in claim["citations"]],
        "comments": [comment_entry(c) for c in claim["comments"]],
    }


def article_entry(article: dict, claims: list[dict]) -> dict:
    return {
        "content_hash": article["content_hash"],
        "title": article["title"],
        "title_inferred": article["title_inferred"],
        "standfirst": article["standfirst"],
        "byline": article["byline"],
        "publisher": article["publisher"],
        "url": article["url"],
        "published_on": iso(article["published_on"]),
        "section": article["section"],
        "notes": article["notes"],
        "source_name": article["source_name"],
        "review_state": article["review_state"],
        "imported_by": article["imported_by_username"],
        "imported_at": iso(article["imported_at"]),
        "raw_encoding": article["raw_encoding"],
        "raw_text": article["raw_text"],
        "body": article["body"],
        "claims": [claim_entry(claim) for claim in claims],
    }


def source_entry(source: dict) -> dict:
    return {
        "url": source["url"],
        "title": source["title"],
        "publisher": source["publisher"],
        "kind": source["kind"],
        "published_on": iso(source["published_on"]),
        "accessed_on": iso(source["accessed_on"]),
        "reliability": source["reliability"],
        "reliability_rationale": source["reliability_rationale"],
        "archive_url": source["archive_url"],
        "notes": source["notes"],
        "created_by": source["created_by_username"],
        "created_at": iso(source["created_at"]),
    }


def chunks(articles, scope: Scope):
    data = ExportData(articles, scope)
    verdicts = sorted(data.verdicts.values(), key=lambda v: (v["order"], v["label"]))
    yield (
        f'{{"schema_version":{SCHEMA_VERSION},"generator":"factcheck",'
        f'"scope":{dumps(str(scope))},'
        f'"verdicts":{dumps([verdict_entry(v) for v in verdicts])},\n"articles":['
    )
    separator = "\n"
    for bundle in data:
        yield separator + dumps(article_entry(bundle.article, bundle.claims))
        separator = ",\n"
    # A complete internal export carries the whole source library, cited or not.
    everything = scope is Scope.INTERNAL and not articles.query.where
    sources = data.all_sources() if everything else data.seen_sources()
    for source in sources:  # their creators are users the file refers to as well
        source["created_by_username"] = data.username(source["created_by_id"])
    users = user_entries(data)
    yield (
        f'],\n"sources":{dumps([source_entry(s) for s in sources])},\n"users":{dumps(users)}}}\n'
    )


def user_entries(data: ExportData) -> list[dict]:
    users = User.objects.filter(username__in=data.usernames_seen).order_by("username")
    return [
        {"username": u["username"], "first_name": u["first_name"], "last_name": u["last_name"]}
        for u in users.values("username", "first_name", "last_name")
    ]


def write(articles, scope: Scope, out: IO) -> None:
    for chunk in chunks(articles, scope):
        out.write(chunk)
