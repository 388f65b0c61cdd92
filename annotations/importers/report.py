"""Reading a JSON export (docs/export-schema.md) back into the database.

Into an empty database it restores everything; into a populated one it merges without
duplicating: articles are matched by content hash, sources by normalised URL, verdicts by
label, users by username (missing users are created inactive, without a usable password), and
a claim already on an article (same span and statement) is skipped with its citations and
comments. What already exists is never changed.

The whole file is one transaction: a file that is not valid JSON, has another
``schema_version``, lacks a field or does not fit the data (a quote that is not at its offsets)
changes nothing and raises ``ReportImportError`` saying where.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime
from simple_history.utils import bulk_create_with_history

from annotations.exporters.json import SCHEMA_VERSION
from annotations.importers import jsonload
from annotations.models import Article, Citation, Claim, Comment, Source, User, Verdict
from annotations.urlnorm import normalize_url


class ReportImportError(Exception):
    """The file cannot be imported; the message says where and why. Nothing was written."""


@dataclass
class ImportSummary:
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        kinds = ["users", "verdicts", "sources", "articles", "claims", "citations", "comments"]
        return [
            f"{kind}: {self.created[kind]} created, {self.existing[kind]} already present"
            for kind in kinds
            if self.created[kind] or self.existing[kind]
        ]


def load(text: str | bytes) -> dict:
    """Parse the file's text, turning bad JSON (or absurd nesting) into a ``ReportImportError``."""
    try:
        data = jsonload.loads(text)
    except jsonload.BadJSON as error:
        raise ReportImportError(str(error)) from None
    if not isinstance(data, dict):
        raise ReportImportError("Not a factcheck export: the file must hold a JSON object.")
    return data


# --- Checking the structure -------------------------------------------------------------------
# field → (type, required). Optional fields default to "" / None / [] / False.

_STR, _OPT_STR, _INT, _BOOL, _LIST = str, (str, type(None)), int, bool, list
SPEC = {
    "user": {"username": (_STR, True), "first_name": (_STR, False), "last_name": (_STR, False)},
    "verdict": {
        "label": (_STR, True),
        "colour": (_STR, True),
        "description": (_STR, False),
        "order": (_INT, False),
        "is_active": (_BOOL, False),
        "rating": ((int, type(None)), False),
    },
    "source": {
        "url": (_STR, True),
        "title": (_STR, True),
        "publisher": (_STR, False),
        "kind": (_STR, False),
        "published_on": (_OPT_STR, False),
        "accessed_on": (_OPT_STR, False),
        "reliability": (_STR, False),
        "reliability_rationale": (_STR, False),
        "archive_url": (_STR, False),
        "notes": (_STR, False),
        "created_by": (_OPT_STR, False),
        "created_at": (_OPT_STR, False),
    },
    "article": {
        "content_hash": (_STR, True),
        "title": (_STR, True),
        "body": (_STR, True),
        "raw_text": (_STR, True),
        "claims": (_LIST, True),
        "title_inferred": (_BOOL, False),
        "standfirst": (_STR, False),
        "byline": (_STR, False),
        "publisher": (_STR, False),
        "url": (_STR, False),
        "published_on": (_OPT_STR, False),
        "section": (_STR, False),
        "notes": (_STR, False),
        "source_name": (_STR, False),
        "review_state": (_STR, False),
        "imported_by": (_OPT_STR, False),
        "imported_at": (_OPT_STR, False),
        "raw_encoding": (_STR, False),
    },
    "claim": {
        "start": (_INT, True),
        "end": (_INT, True),
        "quote": (_STR, True),
        "prefix": (_STR, False),
        "suffix": (_STR, False),
        "statement": (_STR, False),
        "claimant": (_STR, False),
        "claim_date": (_OPT_STR, False),
        "category": (_STR, False),
        "state": (_STR, False),
        "verdict": (_OPT_STR, False),
        "verdict_explanation": (_STR, False),
        "verdict_proposed_by": (_OPT_STR, False),
        "sent_back_reason": (_STR, False),
        "assignee": (_OPT_STR, False),
        "created_by": (_OPT_STR, False),
        "approved_by": (_OPT_STR, False),
        "approved_at": (_OPT_STR, False),
        "version": (_INT, False),
        "created_at": (_OPT_STR, False),
        "citations": (_LIST, False),
        "comments": (_LIST, False),
    },
    "citation": {
        "source": (_STR, True),
        "relation": (_STR, False),
        "quote": (_STR, False),
        "locator": (_STR, False),
        "note": (_STR, False),
        "created_by": (_OPT_STR, False),
        "created_at": (_OPT_STR, False),
    },
    "comment": {
        "body": (_STR, True),
        "author": (_OPT_STR, False),
        "created_at": (_OPT_STR, False),
    },
}
CHOICES = {
    ("claim", "category"): Claim.Category.values,
    ("claim", "state"): Claim.State.values,
    ("article", "review_state"): Article.ReviewState.values,
    ("citation", "relation"): Citation.Relation.values,
    ("source", "kind"): Source.Kind.values,
    ("source", "reliability"): Source.Reliability.values,
}


def _check(item, kind: str, where: str) -> None:
    if not isinstance(item, dict):
        raise ReportImportError(f"{where}: expected an object.")
    for name, (types, required) in SPEC[kind].items():
        if name not in item:
            if required:
                raise ReportImportError(f"{where}: the field '{name}' is missing.")
            continue
        value = item[name]
        # bool is an int in Python; a number field must not accept true/false.
        if not isinstance(value, types) or (types is _INT and isinstance(value, bool)):
            raise ReportImportError(f"{where}: '{name}' has the wrong type.")
        allowed = CHOICES.get((kind, name))
        if allowed is not None and value not in allowed:
            raise ReportImportError(f"{where}: '{name}' is {value!r}, not one of {allowed}.")


def validate(data: dict) -> None:
    """Check the whole structure before anything is written."""
    version = data.get("schema_version")
    if version is None:
        raise ReportImportError("Not a factcheck export: 'schema_version' is missing.")
    if version != SCHEMA_VERSION:
        raise ReportImportError(
            f"schema_version {version!r} is not supported; this version reads {SCHEMA_VERSION}."
        )
    for key in ("verdicts", "articles", "sources", "users"):
        if not isinstance(data.get(key, []), list):
            raise ReportImportError(f"'{key}' must be a list.")
    for kind, key in (("user", "users"), ("verdict", "verdicts"), ("source", "sources")):
        for index, item in enumerate(data.get(key, [])):
            _check(item, kind, f"{key}[{index}]")
    for a, article in enumerate(data.get("articles", [])):
        _check(article, "article", f"articles[{a}]")
        for c, claim in enumerate(article["claims"]):
            where = f"articles[{a}].claims[{c}]"
            _check(claim, "claim", where)
            for i, citation in enumerate(claim.get("citations", [])):
                _check(citation, "citation", f"{where}.citations[{i}]")
            for i, comment in enumerate(claim.get("comments", [])):
                _check(comment, "comment", f"{where}.comments[{i}]")


def _parse(parser: Callable, value, where: str):
    if value in (None, ""):
        return None
    parsed = parser(value)
    if parsed is None:
        raise ReportImportError(f"{where}: {value!r} is not a valid date or time.")
    return parsed


def _datetime(value, where: str) -> datetime | None:
    try:
        return _parse(parse_datetime, value, where)
    except ValueError:
        raise ReportImportError(f"{where}: {value!r} is not a valid time.") from None


def _date(value, where: str) -> date | None:
    try:
        return _parse(parse_date, value, where)
    except ValueError:
        raise ReportImportError(f"{where}: {value!r} is not a valid date.") from None


# --- Writing ----------------------------------------------------------------------------------


class _Importer:
    def __init__(self, data: dict):
        self.data = data
        self.summary = ImportSummary()
        self.users: dict[str, User] = {}
        self.verdicts: dict[str, Verdict] = {}
        self.sources: dict[str, Source] = {}

    def user(self, username: str | None) -> User | None:
        if not username:
            return None
        if username not in self.users:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, is_active=False)
                user.set_unusable_password()
                user.save()
                self.summary.created["users"] += 1
            self.users[username] = user
        return self.users[username]

    def run(self) -> ImportSummary:
        for entry in self.data.get("users", []):
            if entry["username"] in self.users:
                continue
            user = User.objects.filter(username=entry["username"]).first()
            if user is None:
                user = User(
                    username=entry["username"],
                    first_name=entry.get("first_name", ""),
                    last_name=entry.get("last_name", ""),
                    is_active=False,
                )
                user.set_unusable_password()
                user.save()
                self.summary.created["users"] += 1
            else:
                self.summary.existing["users"] += 1
            self.users[user.username] = user
        for index, entry in enumerate(self.data.get("verdicts", [])):
            self.verdict_from(entry, f"verdicts[{index}]")
        for index, entry in enumerate(self.data.get("sources", [])):
            self.source_from(entry, f"sources[{index}]")
        for index, entry in enumerate(self.data.get("articles", [])):
            self.article_from(entry, f"articles[{index}]")
        return self.summary

    def verdict_from(self, entry: dict, where: str) -> None:
        verdict = Verdict.objects.filter(label=entry["label"]).first()
        if verdict is None:
            verdict = Verdict(
                label=entry["label"],
                colour=entry["colour"],
                description=entry.get("description", ""),
                order=entry.get("order", 0),
                is_active=entry.get("is_active", True),
                rating=entry.get("rating"),
            )
            self._full_clean(verdict, where)
            verdict.save()
            self.summary.created["verdicts"] += 1
        else:
            self.summary.existing["verdicts"] += 1
        self.verdicts[verdict.label] = verdict

    def source_from(self, entry: dict, where: str) -> Source:
        url = self._url(entry["url"], where)
        if url in self.sources:
            return self.sources[url]
        source = Source.objects.filter(url=url).first()
        if source is None:
            source = Source(
                url=url,
                title=entry["title"],
                publisher=entry.get("publisher", ""),
                kind=entry.get("kind", Source.Kind.OTHER),
                published_on=_date(entry.get("published_on"), f"{where}.published_on"),
                accessed_on=_date(entry.get("accessed_on"), f"{where}.accessed_on"),
                reliability=entry.get("reliability", ""),
                reliability_rationale=entry.get("reliability_rationale", ""),
                archive_url=entry.get("archive_url", ""),
                notes=entry.get("notes", ""),
                created_by=self.user(entry.get("created_by")),
            )
            if created_at := _datetime(entry.get("created_at"), f"{where}.created_at"):
                source.created_at = created_at
            if source.archive_url:
                source.archive_url = self._url(source.archive_url, f"{where}.archive_url")
            source.save()
            self.summary.created["sources"] += 1
        else:
            self.summary.existing["sources"] += 1
        self.sources[url] = source
        return source

    def _url(self, url: str, where: str) -> str:
        try:
            return normalize_url(url)
        except ValidationError as error:
            raise ReportImportError(f"{where}: {url!r}: {' '.join(error.messages)}") from None

    def _full_clean(self, obj, where: str) -> None:
        try:
            obj.full_clean(validate_unique=False)
        except ValidationError as error:
            raise ReportImportError(f"{where}: {' '.join(error.messages)}") from None

    def article_from(self, entry: dict, where: str) -> None:
        raw_text, body = entry["raw_text"], entry["body"]
        if Article.hash_text(raw_text or body) != entry["content_hash"]:
            raise ReportImportError(
                f"{where}: 'content_hash' does not match the article's raw text."
            )
        article = Article.objects.filter(content_hash=entry["content_hash"]).first()
        known_claims = set()
        if article is None:
            article = Article(
                content_hash=entry["content_hash"],
                title=entry["title"],
                title_inferred=entry.get("title_inferred", False),
                standfirst=entry.get("standfirst", ""),
                byline=entry.get("byline", ""),
                publisher=entry.get("publisher", ""),
                url=entry.get("url", ""),
                published_on=_date(entry.get("published_on"), f"{where}.published_on"),
                section=entry.get("section", ""),
                body=body,
                notes=entry.get("notes", ""),
                raw_text=raw_text,
                raw_encoding=entry.get("raw_encoding", "utf-8"),
                source_name=entry.get("source_name", ""),
                review_state=entry.get("review_state", Article.ReviewState.TO_DO),
                imported_by=self.user(entry.get("imported_by")),
            )
            if imported_at := _datetime(entry.get("imported_at"), f"{where}.imported_at"):
                article.imported_at = imported_at
            article.save()
            self.summary.created["articles"] += 1
        else:
            self.summary.existing["articles"] += 1
            known_claims = set(article.claims.values_list("start", "end", "quote", "statement"))

        claims, pending = [], []
        for index, claim_entry in enumerate(entry["claims"]):
            claim_where = f"{where}.claims[{index}]"
            claim = self.claim_from(article, claim_entry, claim_where)
            key = (claim.start, claim.end, claim.quote, claim.statement)
            if key in known_claims:
                self.summary.existing["claims"] += 1
                continue
            known_claims.add(key)
            claims.append(claim)
            pending.append((claim_entry, claim_where))
        # Bulk inserts keep versions and timestamps exactly as exported (no save() logic).
        claims = bulk_create_with_history(claims, Claim, batch_size=500)
        self.summary.created["claims"] += len(claims)

        citations, comments = [], []
        for claim, (claim_entry, claim_where) in zip(claims, pending, strict=True):
            for index, item in enumerate(claim_entry.get("citations", [])):
                citations.append(
                    self.citation_from(claim, item, f"{claim_where}.citations[{index}]")
                )
            for index, item in enumerate(claim_entry.get("comments", [])):
                comment = Comment(
                    claim=claim, author=self.user(item.get("author")), body=item["body"]
                )
                if created_at := _datetime(
                    item.get("created_at"), f"{claim_where}.comments[{index}]"
                ):
                    comment.created_at = created_at
                comments.append(comment)
        bulk_create_with_history(citations, Citation, batch_size=500)
        Comment.objects.bulk_create(comments, batch_size=500)
        self.summary.created["citations"] += len(citations)
        self.summary.created["comments"] += len(comments)

    def claim_from(self, article: Article, entry: dict, where: str) -> Claim:
        start, end, quote = entry["start"], entry["end"], entry["quote"]
        if not (0 <= start < end <= len(article.body)) or article.body[start:end] != quote:
            raise ReportImportError(f"{where}: the quote is not at offsets {start}–{end}.")
        verdict = None
        if label := entry.get("verdict"):
            verdict = self.verdicts.get(label) or Verdict.objects.filter(label=label).first()
            if verdict is None:
                raise ReportImportError(f"{where}: unknown verdict {label!r}.")
            self.verdicts[label] = verdict
        claim = Claim(
            article=article,
            start=start,
            end=end,
            quote=quote,
            prefix=entry.get("prefix", ""),
            suffix=entry.get("suffix", ""),
            statement=entry.get("statement", ""),
            claimant=entry.get("claimant", ""),
            claim_date=_date(entry.get("claim_date"), f"{where}.claim_date"),
            category=entry.get("category", Claim.Category.OTHER),
            state=entry.get("state", Claim.State.TO_DO),
            verdict=verdict,
            verdict_explanation=entry.get("verdict_explanation", ""),
            verdict_proposed_by=self.user(entry.get("verdict_proposed_by")),
            sent_back_reason=entry.get("sent_back_reason", ""),
            assignee=self.user(entry.get("assignee")),
            created_by=self.user(entry.get("created_by")),
            approved_by=self.user(entry.get("approved_by")),
            approved_at=_datetime(entry.get("approved_at"), f"{where}.approved_at"),
            version=entry.get("version", 1),
        )
        if created_at := _datetime(entry.get("created_at"), f"{where}.created_at"):
            claim.created_at = created_at
        return claim

    def citation_from(self, claim: Claim, entry: dict, where: str) -> Citation:
        url = self._url(entry["source"], f"{where}.source")
        source = self.sources.get(url) or Source.objects.filter(url=url).first()
        if source is None:
            raise ReportImportError(f"{where}: the source {url!r} is not in 'sources'.")
        self.sources[url] = source
        citation = Citation(
            claim=claim,
            source=source,
            relation=entry.get("relation", Citation.Relation.SUPPORTS),
            quote=entry.get("quote", ""),
            locator=entry.get("locator", ""),
            note=entry.get("note", ""),
            created_by=self.user(entry.get("created_by")),
        )
        if created_at := _datetime(entry.get("created_at"), f"{where}.created_at"):
            citation.created_at = created_at
        return citation


def import_report(data: dict | str | bytes) -> ImportSummary:
    """Import a JSON export (parsed, or its text) in one transaction; see the module doc."""
    if not isinstance(data, dict):
        data = load(data)
    validate(data)
    with transaction.atomic():
        return _Importer(data).run()
