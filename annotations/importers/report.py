"""Reading a JSON export (docs/export-schema.md) back into the database.

Into an empty database it restores everything; into a populated one it merges without
duplicating: articles are matched by content hash, sources by normalised URL, verdicts by
label, users by username (missing users are created inactive, without a usable password), and
a claim already on an article (same span and statement) is skipped with its citations and
comments. What already exists is never changed.

Claims' figures come back as they were stored (a reviewer's corrections and removals
included); a claim the file gives no figures for (a version 1 file) has its figures read from
its words, as a new claim would. Every claim created is filed in the index proposals are read
from. Families come back with their members (claims of the file or already here, named by
article hash, span, quote and statement), resolution and history, their conflict worked out
again from the members' figures; a family with a member already in a family here is left as
it is here. Pairs of claims a reviewer said differ are never proposed here either.

The whole file is one transaction: a file that is not valid JSON, has another
``schema_version``, lacks a field or does not fit the data (a quote that is not at its offsets)
changes nothing and raises ``ReportImportError`` saying where. So does a user name the admin's
user form would refuse (invalid characters, too long, not in Unicode normal form, or differing
from another user's only in case) for a user the import would create.

An import obeys the review rules the pages enforce: a claim the file marks ``approved`` whose
approval the pages would not have allowed — no source cited, no approver named, the approver
also proposed the verdict, or the approver is not an active editor in this database — comes in
as "needs review" (as "in progress" when it has no verdict) with the approval cleared, a comment
on the claim saying why, and a line in the summary. The file carries no roles, so an approver
this database knows only as an inactive account without a role (as an import creates them)
cannot be checked: such approvals are kept, and counted in the summary.
"""

import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.dateparse import parse_date, parse_datetime
from simple_history.utils import bulk_create_with_history

from annotations.exporters.json import CLAIM_REF, FIGURE_KEYS, READABLE_VERSIONS
from annotations.importers import jsonload
from annotations.models import (
    Article,
    Citation,
    Claim,
    ClaimFamily,
    ClaimFigure,
    ClaimKey,
    Comment,
    FamilyEvent,
    FamilyMembership,
    ProposalRejection,
    Publisher,
    Role,
    Source,
    User,
    Verdict,
)
from annotations.urlnorm import normalize_url


class ReportImportError(Exception):
    """The file cannot be imported; the message says where and why. Nothing was written."""


@dataclass
class ImportSummary:
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)
    # One line per claim whose approval was not kept, saying where it is and why.
    held_for_review: list[str] = field(default_factory=list)
    # Approvals kept without a role check, per approver (an inactive account with no role).
    unchecked_approvals: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        kinds = ["users", "verdicts", "sources", "articles", "claims", "citations", "comments"]
        kinds += ["figures", "families", "rejected pairs"]
        lines = [
            f"{kind}: {self.created[kind]} created, {self.existing[kind]} already present"
            for kind in kinds
            if self.created[kind] or self.existing[kind]
        ]
        if total := self.unchecked_approvals.total():
            names = ", ".join(sorted(self.unchecked_approvals))
            lines.append(
                f"{total} approval{'s' if total != 1 else ''} kept as exported, by people with "
                f"no role here ({names}): the file holds no roles; check theirs before "
                "activating them."
            )
        return lines


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
_NUMBER, _OPT_INT = (int, float, type(None)), (int, type(None))
_CLAIM_REF = {
    "article": (_STR, True),
    "part": (_STR, False),  # files from before headlines were claimable: the body
    "start": (_INT, True),
    "end": (_INT, True),
    "quote": (_STR, True),
    "statement": (_STR, False),
}
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
        "part": (_STR, False),
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
        "tags": (_LIST, False),
        "orphaned_at": (_OPT_STR, False),
        "orphan_reason": (_STR, False),
        "citations": (_LIST, False),
        "comments": (_LIST, False),
        "figures": (_LIST, False),
    },
    "figure": {
        "source": (_STR, True),
        "start": (_INT, True),
        "end": (_INT, True),
        "text": (_STR, True),
        "value": (_NUMBER, False),
        "low": (_NUMBER, False),
        "high": (_NUMBER, False),
        "unit": (_STR, False),
        "kind": (_STR, False),
        "counted": (_STR, False),
        "period": (_STR, False),
        "direction": (_STR, False),
        "qualifier": (_STR, False),
        "readable": (_BOOL, False),
        "status": (_STR, False),
        "detached": (_BOOL, False),
        "extracted": (dict, False),
        "note": (_STR, False),
        "corrected_by": (_OPT_STR, False),
        "corrected_at": (_OPT_STR, False),
        "version": (_INT, False),
    },
    "family": {
        "statement": (_STR, True),
        "members": (_LIST, True),
        "version": (_INT, False),
        "created_by": (_OPT_STR, False),
        "created_at": (_OPT_STR, False),
        "conflict": (_BOOL, False),
        "resolution": (_STR, False),
        "resolution_note": (_STR, False),
        "resolved_by": (_OPT_STR, False),
        "resolved_at": (_OPT_STR, False),
        "history": (_LIST, False),
    },
    "member": {**_CLAIM_REF, "added_by": (_OPT_STR, False), "added_at": (_OPT_STR, False)},
    "event": {
        "kind": (_STR, True),
        "claim": ((dict, type(None)), False),
        "claim_label": (_STR, False),
        "other_family": (_OPT_INT, False),
        "note": (_STR, False),
        "by": (_OPT_STR, False),
        "at": (_OPT_STR, False),
    },
    "pair": {"claims": (_LIST, True), "by": (_OPT_STR, False), "at": (_OPT_STR, False)},
    "claim reference": _CLAIM_REF,
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
    # Worked out from the claims (and this desk's publication), so not restored: checked only.
    ("article", "review_state"): [*Article.State.values, "done"],  # "done": older exports
    ("citation", "relation"): Citation.Relation.values,
    ("source", "kind"): Source.Kind.values,
    ("source", "reliability"): Source.Reliability.values,
    ("figure", "source"): ClaimFigure.Source.values,
    ("figure", "unit"): [unit for unit, _ in ClaimFigure.UNITS],
    ("figure", "kind"): ClaimFigure.Kind.values,
    ("figure", "direction"): ClaimFigure.Direction.values,
    ("figure", "qualifier"): [qualifier for qualifier, _ in ClaimFigure.QUALIFIERS],
    ("figure", "status"): ClaimFigure.Status.values,
    ("family", "resolution"): ClaimFamily.Resolution.values,
    ("event", "kind"): FamilyEvent.Kind.values,
}
# Text fields with a length limit in the database, checked before anything is written.
MAX_LENGTHS = {
    ("figure", name): ClaimFigure._meta.get_field(name).max_length
    for name in ("text", "counted", "period")
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
        if (limit := MAX_LENGTHS.get((kind, name))) is not None and len(value) > limit:
            raise ReportImportError(f"{where}: '{name}' is longer than {limit} characters.")


def validate(data: dict) -> None:
    """Check the whole structure before anything is written."""
    version = data.get("schema_version")
    if version is None:
        raise ReportImportError("Not a factcheck export: 'schema_version' is missing.")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ReportImportError(
            f"schema_version {version!r} is not supported; this version reads {readable}."
        )
    for key in ("verdicts", "articles", "sources", "users", "families", "rejected_pairs"):
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
            for i, figure in enumerate(claim.get("figures", [])):
                _check_figure(figure, f"{where}.figures[{i}]")
    families = data.get("families", [])
    for f, family in enumerate(families):
        where = f"families[{f}]"
        _check(family, "family", where)
        if not family["members"]:
            raise ReportImportError(f"{where}: a family needs at least one member.")
        for m, member in enumerate(family["members"]):
            _check(member, "member", f"{where}.members[{m}]")
        for e, event in enumerate(family.get("history", [])):
            _check(event, "event", f"{where}.history[{e}]")
            if event.get("claim") is not None:
                _check(event["claim"], "claim reference", f"{where}.history[{e}].claim")
            if event.get("other_family") is not None and not (
                0 <= event["other_family"] < len(families)
            ):
                raise ReportImportError(
                    f"{where}.history[{e}]: 'other_family' names no family of the file."
                )
    for p, pair in enumerate(data.get("rejected_pairs", [])):
        _check(pair, "pair", f"rejected_pairs[{p}]")
        if len(pair["claims"]) != 2:
            raise ReportImportError(f"rejected_pairs[{p}]: 'claims' must name two claims.")
        for c, claim in enumerate(pair["claims"]):
            _check(claim, "claim reference", f"rejected_pairs[{p}].claims[{c}]")


def _check_figure(figure, where: str) -> None:
    _check(figure, "figure", where)
    for name in ("value", "low", "high"):  # bool is an int in Python
        if isinstance(figure.get(name), bool):
            raise ReportImportError(f"{where}: '{name}' has the wrong type.")
    if not 0 <= figure["start"] <= figure["end"]:
        raise ReportImportError(f"{where}: the figure's offsets are not in order.")
    low, high = figure.get("low"), figure.get("high")
    if low is not None and high is not None and low > high:
        raise ReportImportError(f"{where}: the range's low end is above its high end.")


def _user_names(data: dict):
    """Every (place, user name) the file gives; references left empty name no one."""
    for index, entry in enumerate(data.get("users", [])):
        yield f"users[{index}].username", entry["username"]
    for index, entry in enumerate(data.get("sources", [])):
        yield f"sources[{index}].created_by", entry.get("created_by") or None
    for a, article in enumerate(data.get("articles", [])):
        yield f"articles[{a}].imported_by", article.get("imported_by") or None
        for c, claim in enumerate(article["claims"]):
            where = f"articles[{a}].claims[{c}]"
            for name in ("verdict_proposed_by", "assignee", "created_by", "approved_by"):
                yield f"{where}.{name}", claim.get(name) or None
            for index, citation in enumerate(claim.get("citations", [])):
                yield f"{where}.citations[{index}].created_by", citation.get("created_by") or None
            for index, comment in enumerate(claim.get("comments", [])):
                yield f"{where}.comments[{index}].author", comment.get("author") or None
            for index, figure in enumerate(claim.get("figures", [])):
                yield f"{where}.figures[{index}].corrected_by", figure.get("corrected_by") or None
    for f, family in enumerate(data.get("families", [])):
        for name in ("created_by", "resolved_by"):
            yield f"families[{f}].{name}", family.get(name) or None
        for index, member in enumerate(family["members"]):
            yield f"families[{f}].members[{index}].added_by", member.get("added_by") or None
        for index, event in enumerate(family.get("history", [])):
            yield f"families[{f}].history[{index}].by", event.get("by") or None
    for index, pair in enumerate(data.get("rejected_pairs", [])):
        yield f"rejected_pairs[{index}].by", pair.get("by") or None


def check_users(data: dict) -> None:
    """Refuse the file if a user it would create is one the admin's user form would refuse.

    Users who already exist are matched by name and left as they are, whatever their names.
    """
    places: dict[str, str] = {}
    for where, name in _user_names(data):
        if name is not None:
            places.setdefault(name, where)
    existing = set(User.objects.filter(username__in=places).values_list("username", flat=True))
    new = [name for name in places if name not in existing]

    username = User._meta.get_field("username")
    for name in new:
        try:
            username.clean(name, None)
        except ValidationError as error:
            why = " ".join(error.messages)
        else:
            normal = unicodedata.normalize("NFKC", name)
            why = f"the user form would store it as {normal!r}." if normal != name else ""
        if why:
            raise ReportImportError(
                f"{places[name]}: {name!r} is not a user name the admin would accept: {why}"
            )
    # Like the user form: no two people whose names differ only in case.
    taken = dict(
        User.objects.annotate(lower=Lower("username"))
        .filter(lower__in={name.lower() for name in new})
        .values_list("lower", "username")
    )
    for name in new:
        other = taken.setdefault(name.lower(), name)
        if other != name:
            raise ReportImportError(
                f"{places[name]}: {name!r} differs only in case from the user {other!r}; "
                "the admin would refuse it."
            )
    for index, entry in enumerate(data.get("users", [])):
        if entry["username"] in existing:
            continue
        for name in ("first_name", "last_name"):
            try:
                User._meta.get_field(name).clean(entry.get(name, ""), None)
            except ValidationError as error:
                raise ReportImportError(
                    f"users[{index}].{name}: {' '.join(error.messages)}"
                ) from None


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
    def __init__(self, data: dict, by: User | None):
        self.data = data
        self.by = by  # signs the notes the import leaves on claims
        self.summary = ImportSummary()
        self.users: dict[str, User] = {}
        self.role_unknown: dict[str, bool] = {}
        self.verdicts: dict[str, Verdict] = {}
        self.sources: dict[str, Source] = {}
        # Claims of the file and of the articles it names, by how the file names a claim.
        self.claim_ids: dict[tuple, int] = {}

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
        self.families_from(self.data.get("families", []))
        for index, entry in enumerate(self.data.get("rejected_pairs", [])):
            self.rejection_from(entry, f"rejected_pairs[{index}]")
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
                publisher=Publisher.objects.named(entry.get("publisher", "")),
                url=entry.get("url", ""),
                published_on=_date(entry.get("published_on"), f"{where}.published_on"),
                section=entry.get("section", ""),
                body=body,
                notes=entry.get("notes", ""),
                raw_text=raw_text,
                raw_encoding=entry.get("raw_encoding", "utf-8"),
                source_name=entry.get("source_name", ""),
                imported_by=self.user(entry.get("imported_by")),
            )
            if imported_at := _datetime(entry.get("imported_at"), f"{where}.imported_at"):
                article.imported_at = imported_at
            article.save()
            self.summary.created["articles"] += 1
        else:
            self.summary.existing["articles"] += 1
            for *key, pk in article.claims.values_list(
                "part", "start", "end", "quote", "statement", "pk"
            ):
                known_claims.add(tuple(key))
                self.claim_ids[(article.content_hash, *key)] = pk

        claims, pending = [], []
        for index, claim_entry in enumerate(entry["claims"]):
            claim_where = f"{where}.claims[{index}]"
            claim = self.claim_from(article, claim_entry, claim_where)
            key = (claim.part, claim.start, claim.end, claim.quote, claim.statement)
            if key in known_claims:
                self.summary.existing["claims"] += 1
                continue
            known_claims.add(key)
            note = None
            if claim.state == Claim.State.APPROVED:
                note = self.check_approval(claim, claim_entry, claim_where)
            claims.append(claim)
            pending.append((claim_entry, claim_where, note))
        # Bulk inserts keep versions and timestamps exactly as exported (no save() logic).
        claims = bulk_create_with_history(claims, Claim, batch_size=500, default_user=self.by)
        self.summary.created["claims"] += len(claims)

        citations, comments = [], []
        for claim, (claim_entry, claim_where, note) in zip(claims, pending, strict=True):
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
            if note:
                comments.append(Comment(claim=claim, author=self.by, body=note))
        bulk_create_with_history(citations, Citation, batch_size=500, default_user=self.by)
        Comment.objects.bulk_create(comments, batch_size=500)
        self.summary.created["citations"] += len(citations)
        self.summary.created["comments"] += len(comments)
        self.figures_for(claims, [claim_entry for claim_entry, _, _ in pending], pending)
        for claim in claims:
            key = (article.content_hash, claim.part, claim.start, claim.end, claim.quote)
            self.claim_ids.setdefault((*key, claim.statement), claim.pk)

    def figures_for(self, claims: list[Claim], entries: list[dict], places) -> None:
        """The figures of the claims just created, as the file has them (a claim the file
        gives none for has its words read, as a new claim would), then the claims filed in
        the index that proposals read. Bulk writes: ``Claim.save`` did not run."""
        rows, unread = [], []
        for claim, entry, (_, where, _) in zip(claims, entries, places, strict=True):
            if "figures" not in entry:
                unread.append(claim)
                continue
            for index, item in enumerate(entry["figures"]):
                rows.append(self.figure_from(claim, item, f"{where}.figures[{index}]"))
        ClaimFigure.objects.bulk_create(rows, batch_size=500)
        self.summary.created["figures"] += len(rows)
        if unread:
            ClaimFigure.objects.read_many(unread)
        if claims:
            ClaimKey.objects.file_many(claims)

    def figure_from(self, claim: Claim, entry: dict, where: str) -> ClaimFigure:
        fields = {name: entry[name] for name in FIGURE_KEYS if name in entry}
        for name in ("value", "low", "high"):
            if fields.get(name) is not None:
                fields[name] = float(fields[name])
        fields["corrected_by"] = self.user(entry.get("corrected_by"))
        fields["corrected_at"] = _datetime(entry.get("corrected_at"), f"{where}.corrected_at")
        return ClaimFigure(claim=claim, **fields)

    def claim_for(self, ref: dict, where: str) -> int:
        """The id of the claim ``ref`` names: one of the file's, or one already here."""
        key = tuple(ref.get(name, "") for name in CLAIM_REF)
        if not key[1]:
            key = (key[0], Article.Part.BODY, *key[2:])  # a file from before parts
        if key[1] not in Article.Part.values:
            raise ReportImportError(f"{where}: 'part' is {key[1]!r}, not one of the article's.")
        if key not in self.claim_ids:
            found = (
                Claim.objects.filter(
                    article__content_hash=key[0],
                    part=key[1],
                    start=key[2],
                    end=key[3],
                    quote=key[4],
                    statement=key[5],
                )
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
            if found is None:
                quote = key[4] if len(key[4]) <= 40 else key[4][:39] + "…"
                raise ReportImportError(
                    f"{where}: no claim “{quote}” at {key[2]}–{key[3]} of the article "
                    f"{key[0][:12]}…'s {key[1]} with that statement, in the file or here."
                )
            self.claim_ids[key] = found
        return self.claim_ids[key]

    def families_from(self, entries: list[dict]) -> None:
        """Each family of the file, unless one of its members is already in a family here
        (that family is left as it is). Conflicts are worked out again from the figures."""
        made: list[ClaimFamily | None] = []
        members_of: list[list[int]] = []
        for index, entry in enumerate(entries):
            where = f"families[{index}]"
            claim_ids = [
                self.claim_for(member, f"{where}.members[{n}]")
                for n, member in enumerate(entry["members"])
            ]
            if len(set(claim_ids)) != len(claim_ids):
                raise ReportImportError(f"{where}: a claim is named twice among the members.")
            taken = set(claim_ids) & {pk for ids in members_of for pk in ids}
            if taken or FamilyMembership.objects.filter(claim_id__in=claim_ids).exists():
                if taken:
                    raise ReportImportError(f"{where}: a claim is a member of two families.")
                self.summary.existing["families"] += 1
                made.append(None)
                members_of.append([])
                continue
            family = ClaimFamily(
                statement=entry["statement"],
                version=entry.get("version", 1),
                member_count=len(claim_ids),
                created_by=self.user(entry.get("created_by")),
                resolution=entry.get("resolution", ""),
                resolution_note=entry.get("resolution_note", ""),
                resolved_by=self.user(entry.get("resolved_by")),
                resolved_at=_datetime(entry.get("resolved_at"), f"{where}.resolved_at"),
            )
            if created_at := _datetime(entry.get("created_at"), f"{where}.created_at"):
                family.created_at = created_at
            # Not saved yet, so a resolution is kept whatever the figures say now.
            family._check_conflict(
                self.by, list(ClaimFigure.objects.in_use().filter(claim_id__in=claim_ids))
            )
            family._history_user = self.by
            family.save()
            memberships = []
            for n, (claim_id, member) in enumerate(zip(claim_ids, entry["members"], strict=True)):
                link = FamilyMembership(
                    family=family, claim_id=claim_id, added_by=self.user(member.get("added_by"))
                )
                if added_at := _datetime(member.get("added_at"), f"{where}.members[{n}]"):
                    link.added_at = added_at
                memberships.append(link)
            FamilyMembership.objects.bulk_create(memberships)
            self.summary.created["families"] += 1
            made.append(family)
            members_of.append(claim_ids)
        events = []
        for index, (entry, family) in enumerate(zip(entries, made, strict=True)):
            if family is None:
                continue
            for n, item in enumerate(entry.get("history", [])):
                claim, other = item.get("claim"), item.get("other_family")
                if claim is not None:
                    claim = self.claim_for(claim, f"families[{index}].history[{n}].claim")
                event = FamilyEvent(
                    family=family,
                    kind=item["kind"],
                    claim_id=claim,
                    claim_label=item.get("claim_label", ""),
                    other_family=made[other] if other is not None else None,
                    note=item.get("note", ""),
                    by=self.user(item.get("by")),
                )
                if at := _datetime(item.get("at"), f"families[{index}].history[{n}].at"):
                    event.at = at
                events.append(event)
        FamilyEvent.objects.bulk_create(events, batch_size=500)

    def rejection_from(self, entry: dict, where: str) -> None:
        first, second = (
            self.claim_for(ref, f"{where}.claims[{n}]") for n, ref in enumerate(entry["claims"])
        )
        if first == second:
            raise ReportImportError(f"{where}: a claim cannot differ from itself.")
        low, high = sorted([first, second])
        rejection = ProposalRejection(claim_id=low, other_id=high, by=self.user(entry.get("by")))
        if at := _datetime(entry.get("at"), f"{where}.at"):
            rejection.at = at
        if ProposalRejection.objects.filter(claim_id=low, other_id=high).exists():
            self.summary.existing["rejected pairs"] += 1
            return
        rejection.save()
        self.summary.created["rejected pairs"] += 1

    def claim_from(self, article: Article, entry: dict, where: str) -> Claim:
        start, end, quote = entry["start"], entry["end"], entry["quote"]
        part = entry.get("part") or Article.Part.BODY  # files from before parts: the body
        if part not in Article.Part.values:
            raise ReportImportError(
                f"{where}: 'part' is {part!r}, not one of {list(Article.Part.values)}."
            )
        text = article.text_of(part)
        orphaned_at = _datetime(entry.get("orphaned_at"), f"{where}.orphaned_at")
        if orphaned_at is not None:
            # An orphan's offsets are where its quote was: only their shape is checked.
            if not (0 <= start < end and end - start == len(quote)):
                raise ReportImportError(f"{where}: the orphan's offsets do not fit its quote.")
        elif not (0 <= start < end <= len(text)) or text[start:end] != quote:
            raise ReportImportError(
                f"{where}: the quote is not at offsets {start}–{end} of the article's {part}."
            )
        tags = entry.get("tags", [])
        if not all(isinstance(tag, str) for tag in tags):
            raise ReportImportError(f"{where}: 'tags' must be a list of strings.")
        verdict = None
        if label := entry.get("verdict"):
            verdict = self.verdicts.get(label) or Verdict.objects.filter(label=label).first()
            if verdict is None:
                raise ReportImportError(f"{where}: unknown verdict {label!r}.")
            self.verdicts[label] = verdict
        claim = Claim(
            article=article,
            part=part,
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
            tags=tags,
            orphaned_at=orphaned_at,
            orphan_reason=entry.get("orphan_reason", "") if orphaned_at else "",
        )
        if created_at := _datetime(entry.get("created_at"), f"{where}.created_at"):
            claim.created_at = created_at
        return claim

    def check_approval(self, claim: Claim, entry: dict, where: str) -> str | None:
        """Hold back an approval the pages would not have allowed (see ``Claim.approve``):
        the claim comes in awaiting review, with its approval cleared. Returns the note that
        says why, for the claim's discussion, or None when the approval is kept."""
        problems = []
        if claim.verdict is None:
            problems.append("no verdict was proposed")
        if not entry.get("citations"):
            problems.append("no source is cited")
        approver = claim.approved_by
        unchecked = False
        if approver is None:
            problems.append("no approver is named")
        else:
            if approver == claim.verdict_proposed_by:
                problems.append(f"{approver.username} both proposed and approved the verdict")
            unchecked = self.has_unknown_role(approver)
            if not unchecked and not approver.is_editor:
                problems.append(
                    f"{approver.username}, who approved it, is not an active editor here"
                )
        if not problems:
            if unchecked:
                self.summary.unchecked_approvals[approver.username] += 1
            return None

        state = Claim.State.NEEDS_REVIEW if claim.verdict else Claim.State.IN_PROGRESS
        why = "; ".join(problems)
        approval = "approved" + (f" by {approver.username}" if approver else "")
        if claim.approved_at:
            approval += f" on {claim.approved_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        then = (
            "an editor who did not propose the verdict has to approve it here"
            if state == Claim.State.NEEDS_REVIEW
            else "a verdict has to be proposed and approved here"
        )
        claim.state, claim.approved_by, claim.approved_at = state, None, None
        reason = f"Imported as {state.label.lower()}: {why}"
        limit = Claim.history.model._meta.get_field("history_change_reason").max_length
        claim._change_reason = reason if len(reason) <= limit else reason[: limit - 1] + "…"
        quote = " ".join(claim.quote.split())
        quote = quote if len(quote) <= 60 else quote[:59] + "…"
        self.summary.held_for_review.append(f'{state.label.upper()} {where} "{quote}": {why}.')
        return (
            f"Imported as “{state.label.lower()}”, not approved: {why}. "
            f"The file had it {approval}; {then}."
        )

    def has_unknown_role(self, user: User) -> bool:
        """An inactive account holding no role (such as one an import created) says nothing
        about what its owner could do where the file came from; any other account's role is
        checked like ``Claim.approve`` checks it."""
        if user.username not in self.role_unknown:
            self.role_unknown[user.username] = not (
                user.is_active
                or user.is_superuser
                or user.groups.filter(name__in=Role.values).exists()
            )
        return self.role_unknown[user.username]

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


def import_report(data: dict | str | bytes, *, user: User | None = None) -> ImportSummary:
    """Import a JSON export (parsed, or its text) in one transaction; see the module doc.

    ``user``, the person importing, signs the notes left on claims whose approval was held back.
    """
    if not isinstance(data, dict):
        data = load(data)
    validate(data)
    with transaction.atomic():
        check_users(data)
        return _Importer(data, user).run()
