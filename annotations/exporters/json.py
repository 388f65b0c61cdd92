"""The complete JSON export: everything needed to restore the work elsewhere.

The format is documented in docs/export-schema.md (``schema_version`` 2). It never contains
database ids: articles are identified by content hash, sources by normalised URL, verdicts by
label and users by username, a claim by its article's hash and its span, quote and statement,
so an export restored into another database and exported again is byte-for-byte the same.
``annotations.importers.report`` reads it back (version 1 files too).

Version 2 added each claim's ``figures`` (as read, corrected or removed by reviewers), the
claim ``families`` (canonical statement, members, conflict and its resolution, history) and
the proposals reviewers turned down (``rejected_pairs``).
"""

from collections import defaultdict
from functools import cached_property

import orjson
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, TextField
from django.db.models.functions import Cast, JSONObject

from annotations.exporters._common import IsoText, dumps
from annotations.exporters.scope import (
    CITATION_FIELDS,
    CLAIM_FIELDS,
    COMMENT_FIELDS,
    SOURCE_FIELDS,
    ExportData,
    Scope,
)
from annotations.models import (
    Citation,
    Claim,
    ClaimFamily,
    ClaimFigure,
    Comment,
    FamilyEvent,
    FamilyMembership,
    ProposalRejection,
    Source,
    User,
    constant_rows,
)

SCHEMA_VERSION = 2
#: The versions ``annotations.importers.report`` reads.
READABLE_VERSIONS = (1, 2)


def verdict_entry(verdict: dict) -> dict:
    return {
        "label": verdict["label"],
        "description": verdict["description"],
        "colour": verdict["colour"],
        "order": verdict["order"],
        "is_active": verdict["is_active"],
        "rating": verdict["rating"],
    }


# The columns read for the file, in the order the readers below unpack them: the shared
# loader's, less the last-change time the file does not carry.
CLAIM_COLUMNS = tuple(field for field in CLAIM_FIELDS if field != "updated_at")
CLAIM_USER_FIELDS = ("verdict_proposed_by_id", "assignee_id", "created_by_id", "approved_by_id")
CLAIM_USER_COLUMNS = tuple(CLAIM_COLUMNS.index(f) for f in CLAIM_USER_FIELDS)
# A citation's columns: the claim, the source (its id, recorded for the sources list, and its
# URL, which the file names it by), then the file's fields in order.
CITATION_COLUMNS = ("claim_id", "source_id", "source__url") + tuple(
    field for field in CITATION_FIELDS if field not in {"id", "claim_id", "source_id"}
)
#: Sources read in one query when the file's sources list is written.
SOURCES_PER_QUERY = 500
COMMENT_COLUMNS = tuple(field for field in COMMENT_FIELDS if field != "id")
# A figure's columns: the claim it belongs to, then the file's fields in order (the reviewer
# as ``corrected_by``).
FIGURE_COLUMNS = (
    "claim_id",
    "source",
    "start",
    "end",
    "text",
    "value",
    "low",
    "high",
    "unit",
    "kind",
    "counted",
    "period",
    "direction",
    "qualifier",
    "readable",
    "status",
    "detached",
    "extracted",
    "note",
    "corrected_by_id",
    "corrected_at",
    "version",
)
FIGURE_KEYS = tuple(
    "corrected_by" if name == "corrected_by_id" else name for name in FIGURE_COLUMNS[1:]
)


class JSONText(JSONObject):
    """``JSONObject`` as the JSON text the database writes, not parsed into a dict."""

    output_field = TextField()


def _time(name: str) -> IsoText:
    return IsoText(name, of_time=True)


# The objects of the file, written by the database (SQLite); keys in the file's order.
CLAIM_JSON = JSONText(
    part="part",
    start="start",
    end="end",
    quote="quote",
    prefix="prefix",
    suffix="suffix",
    statement="statement",
    claimant="claimant",
    claim_date="claim_date",
    category="category",
    state="state",
    verdict="verdict__label",
    verdict_explanation="verdict_explanation",
    verdict_proposed_by="verdict_proposed_by__username",
    sent_back_reason="sent_back_reason",
    assignee="assignee__username",
    created_by="created_by__username",
    approved_by="approved_by__username",
    approved_at=_time("approved_at"),
    version="version",
    created_at=_time("created_at"),
    orphaned_at=_time("orphaned_at"),
    orphan_reason="orphan_reason",
    # "tags" follows, added in Python: SQLite would copy the stored list's escapes as they are.
)
CITATION_JSON = JSONText(
    source="source__url",
    relation="relation",
    quote="quote",
    locator="locator",
    note="note",
    created_by="created_by__username",
    created_at=_time("created_at"),
)
COMMENT_JSON = JSONText(author="author__username", body="body", created_at=_time("created_at"))
#: A claim's tags as the text the database stores, not parsed: nearly every claim has none.
TAGS_TEXT = Cast("tags", TextField())
NO_TAGS = "[]"


def tags_json(stored: str) -> str:
    """A claim's tags as the file spells them, from the text SQLite stores. The stored text
    is Django's ``json.dumps`` (``", "`` between items, non-ASCII escaped), which orjson
    writes otherwise: only the empty list, most claims', is the same in both.

    Parsing every claim's ``[]`` through the field, to write it again, was a tenth of the
    JSON export's time (make bench, "export json, 50 articles × 200 claims")."""
    if stored == NO_TAGS:
        return NO_TAGS
    return orjson.dumps(
        Claim._meta.get_field("tags").from_db_value(stored, None, connection)
    ).decode()


def _comment_texts(article_ids: list[int]):
    comments = Comment.objects.filter(claim__article_id__in=article_ids)
    return comments.order_by("claim_id", "created_at", "pk").values_list(
        "claim_id", "author_id", COMMENT_JSON
    )


class FileData(ExportData):
    """``ExportData`` whose claims are read straight into the file's shape: each bundle's
    claims are the ``claims`` entries of the file, with their citations and comments.

    A large export has tens of thousands of claims and citations: one dict each, built from
    the database row, instead of the loader's dict of every field and a second dict to write.
    """

    def _record_users(self, rows, columns) -> dict:
        for user_id in {row[n] for row in rows for n in columns}:
            self.username(user_id)  # records the name; loads users created meanwhile
        return self.users

    def _load_claims(self, article_ids: list[int]) -> dict[int, list]:
        # Four queries per chunk (claims, citations, comments, figures) plus one for new
        # sources.
        if connection.vendor == "sqlite":
            return self._load_claim_texts(article_ids)
        return self._load_claim_dicts(article_ids)

    def _load_claim_texts(self, article_ids: list[int]) -> dict[int, list[orjson.Fragment]]:
        """The claims as JSON text written by SQLite (``json_object``), which escapes text
        exactly as orjson does: the same file as ``_load_claim_dicts`` writes, in a third of
        the time (no Python object per field)."""
        rows = self._chunk_rows("claims", Claim, self._claim_texts, article_ids)
        self._record_users(rows, range(2, 2 + len(CLAIM_USER_FIELDS)))
        if not rows:
            return defaultdict(list)
        cited: dict[int, list[str]] = defaultdict(list)
        citation_rows = self._chunk_rows("citations", Citation, self._citation_texts, article_ids)
        self._record_users(citation_rows, (3,))
        claim_ids = {row[0] for row in rows}
        cited_url = self.cited_urls
        for claim_id, source_id, url, _, text in citation_rows:
            if claim_id in claim_ids:
                cited_url[source_id] = url
                cited[claim_id].append(text)
        commented: dict[int, list[str]] = defaultdict(list)
        if self.scope is Scope.INTERNAL:
            comment_rows = self._chunk_rows("comments", Comment, _comment_texts, article_ids)
            self._record_users(comment_rows, (1,))
            for claim_id, _, text in comment_rows:
                commented[claim_id].append(text)
        figures = self._load_figures(article_ids)
        grouped: dict[int, list[orjson.Fragment]] = defaultdict(list)
        no_list = ()
        for pk, article_id, *_, tags, text in rows:
            # The claim's object, its last "}" replaced by its tags, citations, comments and
            # figures (written by orjson as on the other path: SQLite spells numbers with
            # fewer digits).
            figured = figures.get(pk)
            grouped[article_id].append(
                orjson.Fragment(
                    f'{text[:-1]},"tags":{tags_json(tags)},'
                    f'"citations":[{",".join(cited.get(pk, no_list))}],'
                    f'"comments":[{",".join(commented.get(pk, no_list))}],'
                    f'"figures":{orjson.dumps(figured).decode() if figured else "[]"}}}'
                )
            )
        return grouped

    def _chunk_rows(self, name: str, model, queryset_of, article_ids: list[int]) -> list[tuple]:
        """The rows of ``queryset_of(article_ids)``, a ``values_list`` of ids and text (no
        column to convert), its SQL compiled once per process for chunks of as many articles
        (``constant_rows``): building and compiling the chunk's three querysets again for
        every ten articles was a tenth of the export's CPU (make bench, "export json, 50
        articles × 200 claims"). A selection of claims names its claims by id, which change
        from chunk to chunk: its claims' query is compiled for each."""
        if name == "claims" and self.selected is not None:
            return list(queryset_of(article_ids))
        return constant_rows(
            f"json-export-{name}-{self.scope}-{len(article_ids)}",
            model,
            lambda *ids: queryset_of(list(ids)),
            *article_ids,
        )

    def _claim_texts(self, article_ids: list[int]):
        claims = self._claims(article_ids).in_reading_order("article_id")
        return claims.values_list("pk", "article_id", *CLAIM_USER_FIELDS, TAGS_TEXT, CLAIM_JSON)

    def _citation_texts(self, article_ids: list[int]):
        citations = Citation.objects.filter(claim__article_id__in=article_ids)
        if self.scope is Scope.PUBLISHED:
            citations = citations.filter(claim__state=Claim.State.APPROVED)
        return citations.order_by("claim_id", "created_at", "pk").values_list(
            "claim_id", "source_id", "source__url", "created_by_id", CITATION_JSON
        )

    @cached_property
    def cited_urls(self) -> dict[int, str]:
        """Each source the claims written so far cite, by id: its URL as the citations name it."""
        return {}

    def sources_in_file(self, *, whole_library: bool):
        """The sources the file lists, in URL order, each with its creator's name: every source
        of the library, or those the claims cite. Read a few hundred at a time, holding only
        ids and URLs meanwhile: a large export's sources held whole, from the first chunk of
        articles to the end of the file, were most of its worker's memory.

        A cited source is listed under the URL its citations were written with, so the file
        agrees with itself if the source is edited while it is written; one deleted meanwhile
        is left out."""
        urls = dict(Source.objects.values_list("pk", "url")) if whole_library else {}
        urls.update(self.cited_urls)
        # URLs are unique: sorted in Python's order, not a database collation's.
        order = sorted(urls, key=lambda pk: (urls[pk], pk))
        library = Source.objects.order_by()
        for start in range(0, len(order), SOURCES_PER_QUERY):
            batch = order[start : start + SOURCES_PER_QUERY]
            rows = {
                row["id"]: row for row in self._rows(library.filter(pk__in=batch), SOURCE_FIELDS)
            }
            for pk in batch:
                source = rows.get(pk)
                if source is None:
                    continue
                source["url"] = urls[pk]
                source["created_by_username"] = self.username(source["created_by_id"])
                yield source

    def _load_figures(self, article_ids: list[int]) -> dict[int, list[dict]]:
        """The figures of the claims in scope, in the file's shape, per claim: one query."""
        figures = ClaimFigure.objects.filter(claim__article_id__in=article_ids)
        if self.scope is Scope.PUBLISHED:
            figures = figures.filter(claim__state=Claim.State.APPROVED)
        rows, iso = self._select(
            figures.order_by("claim_id", "source", "start", "pk"), FIGURE_COLUMNS
        )
        rows = list(rows)
        user = self._record_users(rows, (FIGURE_COLUMNS.index("corrected_by_id"),)).get
        found: dict[int, list[dict]] = defaultdict(list)
        for claim_id, *values in rows:
            figure = dict(zip(FIGURE_KEYS, values, strict=True))
            figure["corrected_by"] = user(figure["corrected_by"])
            figure["corrected_at"] = iso(figure["corrected_at"])
            figure["extracted"] = figure_reading(figure["extracted"])
            found[claim_id].append(figure)
        return found

    def _load_claim_dicts(self, article_ids: list[int]) -> dict[int, list[dict]]:
        claims = self._claims(article_ids).in_reading_order("article_id")
        rows, iso = self._select(claims, CLAIM_COLUMNS)
        rows = list(rows)
        user = self._record_users(rows, CLAIM_USER_COLUMNS).get
        labels = {pk: verdict["label"] for pk, verdict in self.verdicts.items()}
        grouped: dict[int, list[dict]] = defaultdict(list)
        by_id = {}
        for (
            pk,
            article_id,
            part,
            start,
            end,
            quote,
            prefix,
            suffix,
            statement,
            claimant,
            claim_date,
            category,
            state,
            verdict_id,
            verdict_explanation,
            verdict_proposed_by_id,
            sent_back_reason,
            assignee_id,
            created_by_id,
            approved_by_id,
            approved_at,
            version,
            created_at,
            tags,
            orphaned_at,
            orphan_reason,
        ) in rows:
            by_id[pk] = claim = {
                "part": part,
                "start": start,
                "end": end,
                "quote": quote,
                "prefix": prefix,
                "suffix": suffix,
                "statement": statement,
                "claimant": claimant,
                "claim_date": iso(claim_date),
                "category": category,
                "state": state,
                "verdict": labels.get(verdict_id),
                "verdict_explanation": verdict_explanation,
                "verdict_proposed_by": user(verdict_proposed_by_id),
                "sent_back_reason": sent_back_reason,
                "assignee": user(assignee_id),
                "created_by": user(created_by_id),
                "approved_by": user(approved_by_id),
                "approved_at": iso(approved_at),
                "version": version,
                "created_at": iso(created_at),
                "orphaned_at": iso(orphaned_at),
                "orphan_reason": orphan_reason,
                "tags": tags,
                "citations": [],
                "comments": [],
                "figures": [],
            }
            grouped[article_id].append(claim)
        if not by_id:
            return grouped
        for claim_id, figures in self._load_figures(article_ids).items():
            if (claim := by_id.get(claim_id)) is not None:
                claim["figures"] = figures

        citations = Citation.objects.filter(claim__article_id__in=article_ids)
        if self.scope is Scope.PUBLISHED:
            citations = citations.filter(claim__state=Claim.State.APPROVED)
        rows, iso = self._select(
            citations.order_by("claim_id", "created_at", "pk"), CITATION_COLUMNS
        )
        rows = list(rows)
        user = self._record_users(rows, (CITATION_COLUMNS.index("created_by_id"),)).get
        cited_url = self.cited_urls
        for (
            claim_id,
            source_id,
            url,
            relation,
            quote,
            locator,
            note,
            created_by_id,
            created_at,
        ) in rows:
            if (claim := by_id.get(claim_id)) is None:
                continue
            cited_url[source_id] = url
            claim["citations"].append(
                {
                    "source": url,
                    "relation": relation,
                    "quote": quote,
                    "locator": locator,
                    "note": note,
                    "created_by": user(created_by_id),
                    "created_at": iso(created_at),
                }
            )

        if self.scope is Scope.INTERNAL:
            comments = Comment.objects.filter(claim__article_id__in=article_ids)
            rows, iso = self._select(
                comments.order_by("claim_id", "created_at", "pk"), COMMENT_COLUMNS
            )
            rows = list(rows)
            user = self._record_users(rows, (1,)).get
            for claim_id, author_id, body, created_at in rows:
                if (claim := by_id.get(claim_id)) is not None:
                    claim["comments"].append(
                        {"author": user(author_id), "body": body, "created_at": iso(created_at)}
                    )
        return grouped


def figure_reading(extracted) -> dict:
    """What the reader first read (kept when a reviewer corrects a figure), its keys in the
    order of ``ClaimFigure.READING`` whatever order the database keeps them in."""
    if not isinstance(extracted, dict):
        return {}
    return {name: extracted[name] for name in ClaimFigure.READING if name in extracted}


def article_entry(article: dict, claims: list[dict]) -> dict:
    return {
        "content_hash": article["content_hash"],
        "title": article["title"],
        "title_inferred": article["title_inferred"],
        "standfirst": article["standfirst"],
        "byline": article["byline"],
        "publisher": article["publisher"],
        "url": article["url"],
        "published_on": article["published_on"],
        "section": article["section"],
        "notes": article["notes"],
        "source_name": article["source_name"],
        "review_state": article["review_state"],
        "imported_by": article["imported_by_username"],
        "imported_at": article["imported_at"],
        "raw_encoding": article["raw_encoding"],
        "raw_text": article["raw_text"],
        "body": article["body"],
        "claims": claims,  # already in the file's shape (FileData)
    }


def source_entry(source: dict) -> dict:
    return {
        "url": source["url"],
        "title": source["title"],
        "publisher": source["publisher"],
        "kind": source["kind"],
        "published_on": source["published_on"],
        "accessed_on": source["accessed_on"],
        "reliability": source["reliability"],
        "reliability_rationale": source["reliability_rationale"],
        "archive_url": source["archive_url"],
        "notes": source["notes"],
        "created_by": source["created_by_username"],
        "created_at": source["created_at"],
    }


def dumps_article(entry: dict) -> str:
    """The same text as ``_common.dumps`` (compact, non-ASCII as is), written by orjson: an
    article entry holds only str, int, bool, None, lists, dicts with str keys and claims
    already written as JSON, which both encoders write identically; orjson does it in a sixth
    of the time."""
    return orjson.dumps(entry).decode()


def chunks(articles, scope: Scope):
    # Dates and times arrive as the ISO 8601 strings the file holds.
    data = FileData(articles, scope, iso_dates=True)
    verdicts = sorted(data.verdicts.values(), key=lambda v: (v["order"], v["label"]))
    yield (
        f'{{"schema_version":{SCHEMA_VERSION},"generator":"factcheck",'
        f'"scope":{dumps(str(scope))},'
        f'"verdicts":{dumps([verdict_entry(v) for v in verdicts])},\n"articles":['
    )
    separator = "\n"
    for bundle in data:
        yield separator + dumps_article(article_entry(bundle.article, bundle.claims))
        separator = ",\n"
    # A complete internal export carries the whole source library, cited or not. Their
    # creators are users the file refers to as well. A source at a time: the library written
    # as one string was a tenth of an export worker's memory (make bench-scale, 10,000
    # articles). The bytes are the same.
    everything = scope is Scope.INTERNAL and not articles.query.where
    yield '],\n"sources":['
    for n, source in enumerate(data.sources_in_file(whole_library=everything)):
        yield ("," if n else "") + dumps(source_entry(source))
    families = family_entries(data, articles, scope)
    pairs = rejected_pair_entries(data, articles, scope)
    users = user_entries(data)
    yield (
        f'],\n"families":{dumps(families)},\n"rejected_pairs":{dumps(pairs)},'
        f'\n"users":{dumps(users)}}}\n'
    )


def user_entries(data: ExportData) -> list[dict]:
    users = User.objects.filter(username__in=data.usernames_seen).order_by("username")
    return [
        {"username": u["username"], "first_name": u["first_name"], "last_name": u["last_name"]}
        for u in users.values("username", "first_name", "last_name")
    ]


# --- Claims across articles: families and turned-down proposals ---------------------------------
# Written after the articles, from a fixed number of queries whatever their number: the
# memberships of the claims in the file, their families, the families' history, and the pairs
# of claims in the file that reviewers said differ.

#: How the file names a claim (it has no ids): its article's hash, then its part, span, quote
#: and statement, as ``import_report`` tells claims apart.
CLAIM_REF = ("article", "part", "start", "end", "quote", "statement")
_REF_COLUMNS = ("article__content_hash", "part", "start", "end", "quote", "statement")
FAMILY_COLUMNS = (
    "id",
    "statement",
    "version",
    "created_by_id",
    "created_at",
    "conflict",
    "resolution",
    "resolution_note",
    "resolved_by_id",
    "resolved_at",
)
EVENT_COLUMNS = ("family_id", "kind", "claim_label", "other_family_id", "note", "by_id", "at")


def _ref_columns(prefix: str) -> tuple[str, ...]:
    return tuple(prefix + name for name in _REF_COLUMNS)


def claims_in_file(prefix: str, articles, scope: Scope) -> Q:
    """The claims the file holds, reached from the rows queried through ``prefix``."""
    condition = Q()
    if articles.query.where:  # a selection, not every article
        condition &= Q(**{f"{prefix}article_id__in": articles.values("pk")})
    # A selection of claims (``ArticleQuerySet.of_claims``): only those.
    if (selected := getattr(articles, "claim_selection", None)) is not None:
        condition &= Q(**{f"{prefix}in": selected.order_by().values("pk")})
    if scope is Scope.PUBLISHED:
        condition &= Q(**{f"{prefix}state": Claim.State.APPROVED})
    return condition


def family_entries(data: ExportData, articles, scope: Scope) -> list[dict]:
    """The families of the claims in the file, each with those of its members that are in
    the file. Families whose members are elsewhere now (merged into another) have none."""
    memberships = FamilyMembership.objects.filter(claims_in_file("claim__", articles, scope))
    rows, iso = data._select(
        memberships.order_by("family_id", "added_at", "pk"),
        ("family_id", "claim_id", *_ref_columns("claim__"), "added_by_id", "added_at"),
    )
    members: dict[int, list[tuple]] = defaultdict(list)
    for family_id, claim_id, *ref, added_by_id, added_at in rows:
        member = dict(zip(CLAIM_REF, ref, strict=True))
        member.update(added_by=data.username(added_by_id), added_at=iso(added_at))
        members[family_id].append((claim_id, member))
    if not members:
        return []
    chosen = memberships.values("family_id")
    rows, iso = data._select(ClaimFamily.objects.filter(pk__in=chosen), FAMILY_COLUMNS)
    entries = {}
    for pk, statement, version, created_by_id, created_at, conflict, *resolved in rows:
        resolution, resolution_note, resolved_by_id, resolved_at = resolved
        # Members in the order they joined; the same moment ordered by what they are.
        joined = sorted(members[pk], key=lambda m: (m[1]["added_at"] or "", _ref_key(m[1])))
        members[pk] = joined
        entries[pk] = {
            "statement": statement,
            "version": version,
            "created_by": data.username(created_by_id),
            "created_at": iso(created_at),
            "members": [member for _, member in joined],
            "conflict": conflict,
            "resolution": resolution,
            "resolution_note": resolution_note,
            "resolved_by": data.username(resolved_by_id),
            "resolved_at": iso(resolved_at),
            "history": [],
        }
    order = sorted(
        entries,
        key=lambda pk: (
            entries[pk]["created_at"] or "",
            entries[pk]["statement"],
            [_ref_key(m) for m in entries[pk]["members"]],
        ),
    )
    place = {pk: n for n, pk in enumerate(order)}
    if scope is Scope.INTERNAL:
        events = (
            FamilyEvent.objects.filter(family_id__in=chosen)
            .annotate(
                claim_in_file=ExpressionWrapper(
                    Q(claim__isnull=False) & claims_in_file("claim__", articles, scope),
                    output_field=BooleanField(),
                )
            )
            .order_by("family_id", "at", "pk")
        )
        rows, iso = data._select(
            events, (*EVENT_COLUMNS, "claim_in_file", *_ref_columns("claim__"))
        )
        width = len(EVENT_COLUMNS)
        for row in rows:
            family_id, kind, claim_label, other_id, note, by_id, at = row[:width]
            if family_id not in entries:  # joined meanwhile
                continue
            in_file, ref = row[width], row[width + 1 :]
            entries[family_id]["history"].append(
                {
                    "kind": kind,
                    # The claim, when the file holds it (a member or not); its words then.
                    "claim": dict(zip(CLAIM_REF, ref, strict=True)) if in_file else None,
                    "claim_label": claim_label,
                    # Which family of the file (its place in "families"), when it is one.
                    "other_family": place.get(other_id),
                    "note": note,
                    "by": data.username(by_id),
                    "at": iso(at),
                }
            )
    return [entries[pk] for pk in order]


def _ref_key(ref: dict) -> tuple:
    return tuple(ref[name] for name in CLAIM_REF)


def rejected_pair_entries(data: ExportData, articles, scope: Scope) -> list[dict]:
    """Pairs of claims in the file a reviewer said are not the same claim (never proposed
    again): reviewers' working notes, so internal exports only."""
    if scope is not Scope.INTERNAL:
        return []
    rejections = ProposalRejection.objects.filter(
        claims_in_file("claim__", articles, scope), claims_in_file("other__", articles, scope)
    )
    rows, iso = data._select(
        rejections, (*_ref_columns("claim__"), *_ref_columns("other__"), "by_id", "at")
    )
    width = len(CLAIM_REF)
    pairs = []
    for row in rows:
        claims = sorted(
            (
                dict(zip(CLAIM_REF, row[:width], strict=True)),
                dict(zip(CLAIM_REF, row[width : 2 * width], strict=True)),
            ),
            key=_ref_key,
        )
        pairs.append({"claims": claims, "by": data.username(row[-2]), "at": iso(row[-1])})
    pairs.sort(key=lambda pair: [_ref_key(claim) for claim in pair["claims"]])
    return pairs
