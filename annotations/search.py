"""Full-text search over articles, claims, sources and comments: one interface, two engines.

``search(text, kinds=..., filters=..., user=..., page=...)`` parses what a person typed into
safe terms (``parse``), asks the database's own full-text engine for the matching rows of each
kind, ranks them, and returns them grouped by kind with the matched words marked in a short
snippet. Views call only that.

The engines:

- **SQLite** (the embedded default): one external-content FTS5 table per kind
  (``search_claim`` …) over the model's own table, tokenised ``porter unicode61
  remove_diacritics 2`` (stemming, accents ignored), kept current by triggers on the model's
  table. Ranked with ``bm25`` and field weights.
- **PostgreSQL**: a ``search_document`` tsvector column on the model's table, kept current by
  a trigger and indexed with GIN; the ``factcheck`` text search configuration stems English
  without stop words and ignores accents (through the ``unaccent`` extension when it can be
  created, otherwise by translating accented letters in ``factcheck_fold``). Queried with
  ``SearchQuery``, ranked with ``SearchRank``, highlighted with ``ts_headline``.

Numbers are found as written: every number in the text ("300,000", "300000", "300 000",
"300k", "1.5m", "2 million") is also indexed under one canonical token ("zn300000") computed
with ``figures.normalise_number``, and numbers in a query are rewritten the same way. On
SQLite the triggers call that Python code (``factcheck_search_text``, registered on every
connection by ``register_functions``); PostgreSQL cannot, so ``factcheck_numbers`` is the same
rule in PL/pgSQL, checked against this module by a test on both backends.

The index definition (tables, triggers, functions) is made by ``ensure_index``, from a
migration and again after every ``migrate``: Django rebuilds a SQLite table to alter it, which
drops the table's triggers, and a changed definition (fields, number rule) needs a new index.
Both cases are seen from the triggers' names, which carry a signature of the definition.
"""

import contextlib
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import reduce
from html import escape
from operator import and_, or_

from django.apps import apps
from django.contrib.postgres.search import (
    SearchQuery,
    SearchQueryField,
    SearchRank,
    SearchVectorField,
)
from django.db import DatabaseError, transaction
from django.db import connection as default_connection
from django.db.models import (
    BooleanField,
    Exists,
    Func,
    OuterRef,
    Q,
    TextField,
    Value,
)
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from annotations.figures import normalise_number

# --- What is searched -----------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """A related row whose name a field's terms may match instead: an article's publisher.

    The index holds the row's id as a token ("zp12"), and a query term that matches the
    publisher's name becomes "term OR zp12". Renaming a publisher so changes no article's
    index, and no trigger reads another table (on SQLite, Django rebuilds a table to alter
    it, which fails while a trigger elsewhere names that table).
    """

    column: str  # the foreign key column: "publisher_id"
    model_name: str  # "Publisher"
    text: str  # the related row's text column: "name"
    prefix: str  # of the id tokens: "zp"

    @property
    def model(self):
        return apps.get_model("annotations", self.model_name)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def fts_table(self) -> str:
        return f"search_{self.model_name.lower()}"

    def token_sql(self, row: str) -> str:
        return f"'{self.prefix}' || {row}.\"{self.column}\""


@dataclass(frozen=True)
class Field:
    name: str
    weight: float  # bm25 weight on SQLite; A (≥ 5), B (≥ 3), C (≥ 2) or D on PostgreSQL
    words: bool = False  # index punctuation as spaces on PostgreSQL (a URL's parts are words)
    key: Key | None = None  # indexed with this field

    @property
    def pg_weight(self) -> str:
        for letter, floor in (("A", 5), ("B", 3), ("C", 2)):
            if self.weight >= floor:
                return letter
        return "D"


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # plural, for headings: "Claims"
    model_name: str
    fields: tuple[Field, ...]
    title_fields: tuple[str, ...]  # the first one not empty is the result's title
    snippet_fields: tuple[str, ...]  # the one with most matches gives the snippet

    @property
    def model(self):
        return apps.get_model("annotations", self.model_name)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def fts_table(self) -> str:
        return f"search_{self.name}"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def keys(self) -> list[Key]:
        return [f.key for f in self.fields if f.key]

    @property
    def columns(self) -> list[str]:
        """The model's columns the index is made from."""
        return self.field_names + [key.column for key in self.keys]


KINDS = {
    "claim": Kind(
        "claim",
        "Claims",
        "Claim",
        (
            Field("statement", 5),
            Field("quote", 3),
            Field("claimant", 2),
            Field("verdict_explanation", 1),
        ),
        title_fields=("statement", "quote"),
        snippet_fields=("quote", "verdict_explanation", "claimant"),
    ),
    "article": Kind(
        "article",
        "Articles",
        "Article",
        (
            Field("title", 10),
            Field("standfirst", 4),
            Field("byline", 2, key=Key("publisher_id", "Publisher", "name", "zp")),
            Field("body", 1),
        ),
        title_fields=("title",),
        snippet_fields=("body", "standfirst", "byline"),
    ),
    "source": Kind(
        "source",
        "Sources",
        "Source",
        (Field("title", 5), Field("publisher", 2), Field("url", 1, words=True), Field("notes", 1)),
        title_fields=("title",),
        snippet_fields=("notes", "url", "publisher"),
    ),
    "comment": Kind(
        "comment",
        "Comments",
        "Comment",
        (Field("body", 1),),
        title_fields=(),
        snippet_fields=("body",),
    ),
}

# How many of the newest matches of a kind are ranked and counted. Ranking every match of a
# word found in 100,000 claims takes SQLite ~100 ms (and counting them behind a filter as
# long); the newest thousand take ~3 ms. Fewer matches than this (the usual case) are all
# ranked and counted; above it, the page says "1000+" and that the newest were ranked.
RANKED = 1000
PREVIEW = 5  # results per kind when all kinds are shown
PER_PAGE = 20
MAX_QUERY_CHARS = 500
MAX_TERMS = 16

# --- Numbers as written -----------------------------------------------------------------------

# A number in digits: grouped by commas or spaces ("300,000", "300 000"), plain ("300000"),
# with decimals, and with a scale glued ("300k", "1.5m", "2bn") or as a word ("2 million").
# Written so that Python's re and PostgreSQL's regular expressions read it alike.
NUMBER_PATTERN = (
    r"(?<![\w.,])"
    r"([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"
    r"|[0-9]{1,3}(?:[ \u00a0\u202f\u2009][0-9]{3})+(?:\.[0-9]+)?"
    r"|[0-9]+(?:\.[0-9]+)?)"
    r"(?:(k|bn|mln|mn|m|b|trn|tn)|[ \u00a0](thousand|million|billion|trillion))?"
    r"(?![\w]|[.,][0-9])"
)
_NUMBER = re.compile(NUMBER_PATTERN, re.IGNORECASE)
SCALES = {
    "k": 3, "thousand": 3, "m": 6, "mn": 6, "mln": 6, "million": 6, "b": 9, "bn": 9,
    "billion": 9, "tn": 12, "trn": 12, "trillion": 12,
}  # fmt: skip
# Beyond this many significant digits a float no longer holds the number exactly, and the
# two engines would disagree about its token: such numbers are matched as written only.
MAX_SIGNIFICANT_DIGITS = 15
TOKEN_PREFIX = "zn"  # noqa: S105 — not a password


def _token(match: re.Match) -> str | None:
    digits = re.sub(r"[^0-9]", "", match[1]).lstrip("0")
    if len(digits) > MAX_SIGNIFICANT_DIGITS:
        return None
    value = normalise_number(match[0])
    if value is None:
        return None
    text = format(Decimal(format(value, ".15g")), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return TOKEN_PREFIX + text.replace(".", "d")


def _significant(digits: str) -> str:
    """A number's digits without its point and its leading and trailing zeros: the same for
    every way of writing one value ("80,000", "80k", "0.08m", "80 thousand": "8")."""
    return re.sub(r"[^0-9]", "", digits).strip("0")


def numbers_in(text: str, wanted: frozenset[str] | None = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, canonical token) of every number written in digits in ``text``; with
    ``wanted``, of those whose token is one of these only.

    A number whose digits are not a wanted one's is passed over before its value is worked
    out: marking the numbers searched for in 20 article bodies took 3.2 ms reading the value
    of every number, 2.3 ms this way (most of what is left is finding the numbers)."""
    keys = None
    if wanted is not None:
        keys = {_significant(token.removeprefix(TOKEN_PREFIX)) for token in wanted}
    for match in _NUMBER.finditer(text or ""):
        if keys is not None and _significant(match[1]) not in keys:
            continue
        token = _token(match)
        if token and (wanted is None or token in wanted):
            yield match.start(), match.end(), token


def number_tokens(text: str) -> str:
    """The canonical tokens of the numbers in ``text``, space-separated, in order."""
    return " ".join(token for _, _, token in numbers_in(text))


def indexed_text(text: str | None, *tokens: str | None) -> str:
    """What the SQLite index holds for one field: the text, its numbers' tokens, and any
    other tokens given (a ``Key``'s).

    Appended after the text, the tokens do not move the words' positions, so FTS5's
    ``highlight()`` (which reads the model's own row) still marks the right words.
    """
    extra = [number_tokens(text or ""), *tokens]
    return "\n".join(part for part in (text, *extra) if part)


# --- Queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One thing every result must contain: a word, a phrase (words in order) or a number."""

    text: str  # words separated by single spaces; for a number, as typed
    token: str | None = None  # a number's canonical token

    @property
    def is_phrase(self) -> bool:
        return self.token is None and " " in self.text


@dataclass(frozen=True)
class Query:
    text: str  # what was typed, cleaned and cut to MAX_QUERY_CHARS
    terms: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def number_tokens(self) -> frozenset[str]:
        return frozenset(term.token for term in self.terms if term.token)


_WORD = re.compile(r"[^\W_]+")
_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»＂", '"'))


def _clean(raw: str) -> str:
    """Text without control characters, unpaired surrogates or other unassigned code points
    (a NUL cannot even be sent to PostgreSQL), composed (NFC), cut to MAX_QUERY_CHARS."""
    text = unicodedata.normalize(
        "NFC",
        "".join(
            " " if unicodedata.category(ch) in ("Cc", "Cs", "Cn", "Zl", "Zp") else ch
            for ch in str(raw or "")[: MAX_QUERY_CHARS * 4]
        ),
    )
    return text[:MAX_QUERY_CHARS].strip()


def _word_terms(text: str, *, phrase: bool) -> list[Term]:
    if phrase:
        words = _WORD.findall(text)
        return [Term(" ".join(words))] if words else []
    terms = []
    for chunk in text.split():
        # "people's", "covid-19", "stats.example": the parts in order, as the index splits them
        words = _WORD.findall(chunk)
        if words:
            terms.append(Term(" ".join(words)))
    return terms


def parse(raw: str) -> Query:
    """Safe search terms from anything typed.

    Words are matched stemmed and without accents; text in double quotes (straight or curly)
    is a phrase; numbers in digits match however they are written. Everything else —
    operators, brackets, ``*``, ``:``, ``NEAR(``, ``AND``/``OR``/``NOT`` — is either part of a
    word or ignored: terms reach the engines only as quoted strings or parameters.
    """
    text = _clean(raw)
    terms: list[Term] = []
    for n, segment in enumerate(text.translate(_QUOTES).split('"')):
        quoted = n % 2 == 1
        last = 0
        for match in _NUMBER.finditer(segment):
            token = _token(match)
            if token is None:
                continue
            terms += _word_terms(segment[last : match.start()], phrase=quoted)
            terms.append(Term(match[0], token))
            last = match.end()
        terms += _word_terms(segment[last:], phrase=quoted)
    unique = {(term.text.casefold(), term.token): term for term in reversed(terms)}
    kept = list(reversed(unique.values()))[:MAX_TERMS]
    return Query(text, tuple(kept))


# --- Filters ----------------------------------------------------------------------------------


UNRATED = "unrated"  # the reliability filter's value for sources not yet rated


@dataclass(frozen=True)
class Filters:
    """What narrows the results. Each filter applies to every kind through what it is about:
    a verdict picks the claims with it, the articles that contain such claims, the sources
    cited for them and the comments on them; a publisher picks articles (and their claims and
    comments) and sources by their publisher; dates are an article's or source's publication,
    a claim's date (its article's when it has none), a comment's writing."""

    verdict: int | None = None
    state: str | None = None  # a claim state
    publisher: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    reliability: str | None = None  # a Source.Reliability value, or UNRATED

    def __bool__(self) -> bool:
        return any(getattr(self, name) not in (None, "") for name in self.__dataclass_fields__)


def _claim_conditions(filters: Filters, *, reliability: bool = True) -> Q:
    """The filters that concern claims (verdict, state, reliability of a cited source)."""
    conditions = Q()
    if filters.verdict:
        conditions &= Q(verdict_id=filters.verdict)
    if filters.state:
        conditions &= Q(state=filters.state)
    if reliability and filters.reliability:
        from annotations.models import Citation

        cited = "" if filters.reliability == UNRATED else filters.reliability
        # The claims citing such a source, as a list: joined to their citations, a claim citing
        # two of them was two rows, found and counted twice.
        conditions &= Q(
            pk__in=Citation.objects.filter(source__reliability=cited).values("claim_id")
        )
    return conditions


def filtered(kind: str, filters: Filters):
    """The rows of ``kind`` that pass ``filters`` (before any search).

    Every condition is written so that SQLite answers it from an index, without reading a
    claim's row past its text (a verdict read from the rows of the 12,000 claims matching a
    word took 30 ms, from the verdict index 3 ms, on the bench's 200,000 claims): lists made
    once (``pk__in``), or for articles ``EXISTS`` over the claims' (article, state, verdict)
    index, tested per match (``PER_MATCH``): listing first every article with a claim with
    a verdict would read all those claims.
    """
    from annotations.models import Article, Citation, Claim

    def published_by(name):
        return Article.objects.filter(publisher__name=name).order_by().values("pk")

    rows = KINDS[kind].model.objects.all()
    if not filters:
        return rows
    claims = Claim.objects.filter(_claim_conditions(filters)).order_by()
    about_claims = bool(filters.verdict or filters.state or filters.reliability)
    if kind == "claim":
        rows = claims
        if filters.publisher:
            rows = rows.filter(article__in=published_by(filters.publisher))
        if filters.date_from or filters.date_to:
            rows = rows.annotate(day=Coalesce("claim_date", "article__published_on"))
            rows = _dated(rows, "day", filters)
    elif kind == "article":
        if about_claims:
            rows = rows.filter(Exists(claims.filter(article=OuterRef("pk"))))
        if filters.publisher:
            rows = rows.filter(publisher__name=filters.publisher)
        rows = _dated(rows, "published_on", filters)
    elif kind == "source":
        # A source's own reliability is the one that counts, not that of others cited with it.
        if filters.verdict or filters.state:
            cited = Claim.objects.filter(_claim_conditions(filters, reliability=False))
            rows = rows.filter(pk__in=Citation.objects.filter(claim__in=cited).values("source_id"))
        if filters.reliability:
            rows = rows.filter(
                reliability="" if filters.reliability == UNRATED else filters.reliability
            )
        if filters.publisher:
            rows = rows.filter(publisher=filters.publisher)
        rows = _dated(rows, "published_on", filters)
    elif kind == "comment":
        if about_claims:
            rows = rows.filter(claim__in=claims)
        if filters.publisher:
            rows = rows.filter(claim__article__in=published_by(filters.publisher))
        rows = _dated(rows, "created_at__date", filters)
    return rows


PER_MATCH = {"article"}  # kinds whose filters are tested per match (see ``filtered``)


def _dated(rows, lookup: str, filters: Filters):
    if filters.date_from:
        rows = rows.filter(**{f"{lookup}__gte": filters.date_from})
    if filters.date_to:
        rows = rows.filter(**{f"{lookup}__lte": filters.date_to})
    return rows


# --- Results ----------------------------------------------------------------------------------

MARK_START, MARK_END = "\ufdd0", "\ufdd1"  # Unicode non-characters: never in real text
_MARKS = re.compile(f"([{MARK_START}{MARK_END}])")
SNIPPET_CHARS = 220
TITLE_CHARS = 240

Segments = list[tuple[str, bool]]  # (text, marked)


def marked_html(segments: Segments) -> SafeString:
    """The pieces as HTML: every text escaped, the marked ones in ``<mark>``.

    What ``format_html`` does, without its per-piece overhead (a third of the results
    page's rendering time).
    """
    html = "".join(
        f"<mark>{escape(text)}</mark>" if marked else escape(text) for text, marked in segments
    )
    return mark_safe(html)  # noqa: S308 — every piece of text was escaped just above


@dataclass
class Hit:
    kind: str
    object: object
    score: float
    title: Segments = field(default_factory=list)
    snippet: Segments = field(default_factory=list)

    @property
    def title_html(self) -> str:
        return marked_html(self.title)

    @property
    def snippet_html(self) -> str:
        return marked_html(self.snippet)

    @property
    def url(self) -> str:
        """Where the result is read: a claim (or a comment's claim) opens in its article's
        reader with its panel."""
        if self.kind == "source":
            return reverse("annotations:source-detail", args=[self.object.pk])
        claim = self.object.claim if self.kind == "comment" else self.object
        if self.kind in ("claim", "comment"):
            return reverse("annotations:claim-detail", args=[claim.article_id, claim.pk])
        return self.object.get_absolute_url()


@dataclass
class Group:
    kind: Kind
    total: int  # the matches, counted up to RANKED + 1
    hits: list[Hit] = field(default_factory=list)
    page: object = None  # a Paginator page of the ranked matches, when one kind is shown

    @property
    def ranked(self) -> int:
        return min(self.total, RANKED)

    @property
    def capped(self) -> bool:
        """More matches than RANKED: the newest RANKED were ranked."""
        return self.total > RANKED

    @property
    def more(self) -> bool:
        return self.total > len(self.hits)


@dataclass
class Results:
    query: Query
    filters: Filters
    kind: str | None  # the one kind shown page by page, or None for all
    groups: list[Group] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # every kind's, up to RANKED + 1

    @property
    def total(self) -> int:
        return sum(min(n, RANKED) for n in self.totals.values())

    @property
    def capped(self) -> bool:
        return any(n > RANKED for n in self.totals.values())

    @property
    def tabs(self) -> list[tuple[str, str, int, bool]]:
        """(kind, label, count, more than counted) for every kind searched."""
        return [
            (name, KINDS[name].label, min(n, RANKED), n > RANKED) for name, n in self.totals.items()
        ]


def visible_kinds(user) -> tuple[str, ...]:
    """What ``user`` may find: every signed-in role reads every article, claim, source and
    comment in the app (comments are in every claim's panel); anyone else nothing."""
    if user is None or not getattr(user, "is_reviewer", False):
        return ()
    return tuple(KINDS)


def search(
    text: str,
    *,
    kinds: Iterable[str] | None = None,
    filters: Filters | None = None,
    user=None,
    page: int | str | None = 1,
    per_page: int = PER_PAGE,
    using=None,
) -> Results:
    """Search ``kinds`` (default all) for ``text``.

    With one kind, its ranked matches are paged (``per_page``); with several, each group holds
    its best ``PREVIEW``. Every kind's total is counted either way, for the kind tabs.
    """
    from django.core.paginator import Paginator

    query = parse(text)
    filters = filters or Filters()
    allowed = visible_kinds(user)
    chosen = [k for k in (kinds or KINDS) if k in allowed]
    single = chosen[0] if len(chosen) == 1 else None
    results = Results(query, filters, single)
    if not query or not chosen:
        return results
    engine = _engine(using)
    for name in KINDS:
        if name not in allowed:
            continue
        kind, rows = KINDS[name], filtered(name, filters)
        if name not in chosen:
            results.totals[name] = engine.count(kind, query, rows)
            continue
        if single:
            number = _page_number(page)
            shown, total = engine.page(kind, query, rows, (number - 1) * per_page, per_page)
            group = Group(kind, total)
            group.page = Paginator(_Counted(group.ranked), per_page).get_page(number)
            if group.page.number != number:  # past the last page: the last one
                offset = (group.page.number - 1) * per_page
                shown, _ = engine.page(kind, query, rows, offset, per_page)
            group.page.object_list = [(found.object.pk, found.score) for found in shown]
        else:
            shown, total = engine.page(kind, query, rows, 0, PREVIEW)
            group = Group(kind, total)
        results.totals[name] = total
        group.hits = _hits(kind, query, shown)
        results.groups.append(group)
    return results


def narrow(rows, text: str, *, kind: str = "claim", using=None):
    """``rows`` (a queryset of ``kind``'s model) narrowed to those that match ``text``, read
    as ``search`` reads it: for pages that list rows in their own order (the claims table).
    Every match counts, not only the newest ``RANKED``; a query without a word, phrase or
    number in it matches nothing. The matches are a subquery of their own (``pk IN``), so
    ``rows`` may itself be used as a subquery of another table's query."""
    ids = matching_ids(text, kind=kind, using=using or rows.db)
    return rows.none() if ids is None else rows.filter(pk__in=ids)


def matching_ids(text: str, *, kind: str = "claim", using=None) -> RawSQL | None:
    """The ids of ``kind``'s rows that match ``text`` (as ``narrow`` reads it), as a subquery
    for an ``IN`` on any column holding them: a table of one row per article (the dashboard's
    tallies) is filtered by it without joining the articles' table. None when the query has no
    word, phrase or number in it: it matches nothing."""
    query = parse(text)
    if not query:
        return None
    engine, spec = _engine(using), KINDS[kind]
    table = spec.fts_table
    if isinstance(engine, PostgresEngine):
        inner = spec.model.objects.all().query
        tsquery = engine.tsquery(spec, query).resolve_expression(inner)
        condition, params = inner.get_compiler(using=using or "default").compile(tsquery)
        sql = (
            f'SELECT matched."id" FROM "{spec.table}" AS matched '  # noqa: S608
            f'WHERE matched."{engine.COLUMN}" @@ {condition}'
        )
    else:
        sql = f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH %s'  # noqa: S608
        params = [engine.match(spec, query)]
    # The table and column names are ours; what was typed is in the parameters.
    return RawSQL(sql, params)  # noqa: S611


def _page_number(page) -> int:
    try:
        return max(1, int(page))
    except (TypeError, ValueError):
        return 1


class _Counted:
    """What a Paginator needs of the ranked matches: their number (pages are read apart)."""

    def __init__(self, count: int):
        self._count = count

    def count(self) -> int:
        return self._count

    def __getitem__(self, index):
        return []


@dataclass
class Found:
    """A match of one page: the row, its score, and its fields as the engine marked them."""

    object: object
    score: float
    marked: dict[str, str]


# What a hit shows of each kind besides its searched fields (templates/annotations/search.html):
# the line under its title. Nothing else is read: a claim's article was read whole for its
# title, body and original text included (2 KB each), and turning every column of a claim and
# its article into Python was a third of a search's own CPU time.
_SHOWN = {
    "claim": (
        "state",
        "article__title",
        "article__publisher__name",
        "verdict__label",
        "verdict__colour",
    ),
    "article": ("published_on", "publisher__name"),
    "source": ("reliability", "kind"),
    "comment": (
        "created_at",
        "author__username",
        "claim__statement",
        "claim__quote",
        "claim__article__title",
    ),
}


def _loaded(kind: Kind, rows):
    """``rows`` with what a hit shows of each (its article and publisher, its verdict) and no
    more."""
    shown = _SHOWN[kind.name]
    related = {name.rsplit("__", 1)[0] for name in shown if "__" in name}
    if related:
        rows = rows.select_related(*sorted(related))
    return rows.only(*kind.field_names, *shown)


def _hits(kind: Kind, query: Query, page: list[Found]) -> list[Hit]:
    hits = []
    for found in page:
        obj, score, marked = found.object, found.score, found.marked
        hit = Hit(kind.name, obj, score)
        fields = {
            name: _spans(marked.get(name), getattr(obj, name) or "", query)
            for name in kind.field_names
        }
        title_name = next((n for n in kind.title_fields if fields[n][0]), None)
        if title_name:
            hit.title = _segments(*fields[title_name], limit=TITLE_CHARS)
        candidates = [n for n in kind.snippet_fields if n != title_name and fields[n][0]]
        if candidates:
            best = max(candidates, key=lambda n: (len(fields[n][1]), -candidates.index(n)))
            hit.snippet = _segments(*fields[best], limit=SNIPPET_CHARS)
        hits.append(hit)
    return hits


def _spans(marked: str | None, original: str, query: Query) -> tuple[str, list[tuple[int, int]]]:
    """The field's own text and the spans to mark: the engine's marks (read off its copy of
    the text with markers) and every number equal to a number searched for."""
    spans = []
    if marked:
        position, start = 0, None
        for piece in _MARKS.split(marked):
            if piece == MARK_START:
                start = position
            elif piece == MARK_END:
                if start is not None and position > start:
                    spans.append((start, position))
                start = None
            else:
                position += len(piece)
        if position != len(original):  # not the same text: mark nothing rather than wrongly
            spans = []
    if query.number_tokens:
        spans += [(s, e) for s, e, _ in numbers_in(original, query.number_tokens)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        # Overlapping, or apart by white space only (a phrase marked word by word): one mark.
        if merged and (start <= merged[-1][1] or not original[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return original, merged


def _segments(text: str, spans: list[tuple[int, int]], *, limit: int) -> Segments:
    """A window of about ``limit`` characters over ``text`` holding the most marks, cut at
    white space, as (text, marked) pieces with "…" where text was left out."""
    start, end = 0, len(text)
    if end > limit:
        best, best_count = 0, -1
        for first, _ in spans or [(0, 0)]:
            begin = max(0, first - limit // 5)
            count = sum(1 for s, e in spans if s >= begin and e <= begin + limit)
            if count > best_count:
                best, best_count = begin, count
        start, end = best, min(len(text), best + limit)
        if start:
            space = text.rfind(" ", max(0, start - 20), start + 1)
            start = space + 1 if space >= 0 else start
        if end < len(text):
            space = text.rfind(" ", start + limit // 2, end)
            end = space if space > 0 else end
    pieces: Segments = [("…", False)] if start else []
    position = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if e <= s:
            continue
        if s > position:
            pieces.append((text[position:s], False))
        pieces.append((text[s:e], True))
        position = e
    if position < end:
        pieces.append((text[position:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return [(re.sub(r"\s+", " ", piece), marked) for piece, marked in pieces]


# --- Engines ----------------------------------------------------------------------------------
#
# SQL below is assembled from names defined in this module and the models' table names, never
# from input: what a person typed reaches the database only as a parameter (for FTS5, a
# parameter made of quoted strings).


def _engine(using=None):
    from django.db import connections

    connection = connections[using] if using else default_connection
    if connection.vendor == "sqlite":
        return SQLiteEngine(connection)
    if connection.vendor == "postgresql":
        return PostgresEngine(connection)
    raise NotImplementedError(f"no full-text search for {connection.vendor}")


def signature() -> str:
    """Changes whenever what the index holds would change: the fields and the number rule."""
    sample = "300,000 300 000 300000 300k 1.5m 2bn 2 million 0.5 1,50 12,34,567 1e5 700%"
    definition = repr([(k.name, k.fields) for k in KINDS.values()])
    rule = number_tokens(sample) + NUMBER_PATTERN
    return hashlib.sha256((definition + rule).encode()).hexdigest()[:10]


def _keys() -> list[Key]:
    return list({key.model_name: key for kind in KINDS.values() for key in kind.keys}.values())


def _sql_filter(kind: Kind, rows, rowid_sql: str) -> tuple[str, list]:
    """SQL restricting an engine's rows to ``rows`` (a queryset from ``filtered``): a list
    of ids made once (``rowid IN``; the unary ``+`` keeps SQLite from looking full-text rows
    up by id), or for articles a test of each match (``EXISTS``) until a page's worth pass.
    """
    if not rows.query.has_filters():
        return "", []
    if kind.name in PER_MATCH:
        rows = rows.filter(pk=RawSQL(rowid_sql, []))  # noqa: S611 — a column name
        sql, params = rows.order_by().values("pk").query.sql_with_params()
        return f" AND EXISTS ({sql})", list(params)
    sql, params = rows.order_by().values("pk").query.sql_with_params()
    return f" AND +{rowid_sql} IN ({sql})", list(params)


class Engine:
    """What both engines share: the query's terms, each with the key rows it may match
    instead (``Key``), looked up once per search."""

    MAX_KEY_ROWS = 50  # a word in more publishers' names than this is not looked up there

    def __init__(self, connection):
        self.connection = connection
        self._alternatives: dict[tuple[str, Query], dict[int, list[str]]] = {}

    def ensure_keys(self) -> None:
        """Indexes of the keys' own, where the engine keeps them apart (PostgreSQL)."""

    def page(
        self, kind: Kind, query: Query, rows, offset: int, limit: int
    ) -> tuple[list[Found], int]:
        """One page of the matches, best first, and how many there are (up to RANKED + 1):
        the ranked ids, then the rows, then their marked fields."""
        ranked, total = self.ranked(kind, query, rows, offset, limit)
        if not ranked:
            return [], total
        ids = [pk for pk, _ in ranked]
        objects = _loaded(kind, kind.model.objects.filter(pk__in=ids).order_by()).in_bulk()
        marked = self.highlights(kind, query, ids)
        page = [
            Found(objects[pk], score, marked.get(pk, {})) for pk, score in ranked if pk in objects
        ]  # a row deleted since it was ranked is left out
        return page, total

    def alternatives(self, key: Key, query: Query) -> dict[int, list[str]]:
        """term index → the tokens of the ``key`` rows whose name the term matches."""
        cached = (key.model_name, query)
        if cached not in self._alternatives:
            found: dict[int, list[str]] = {}
            for n, pk in self.key_matches(key, query):
                if len(found.setdefault(n, [])) < self.MAX_KEY_ROWS:
                    found[n].append(f"{key.prefix}{pk}")
            self._alternatives[cached] = found
        return self._alternatives[cached]

    def terms(self, kind: Kind, query: Query) -> list[list[str]]:
        """Per term, what may match it: itself (text or number token), then key tokens."""
        alternatives = [self.alternatives(key, query) for key in kind.keys]
        return [
            [term.token or term.text, *(t for found in alternatives for t in found.get(n, ()))]
            for n, term in enumerate(query.terms)
        ]


class SQLiteEngine(Engine):
    @staticmethod
    def _quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    def match(self, kind: Kind | None, query: Query) -> str:
        """The FTS5 query: every term a quoted string, so nothing typed is FTS5 syntax; AND
        written out (FTS5 reads no implicit AND next to a bracket)."""
        if kind is None:
            return " AND ".join(self._quoted(term.token or term.text) for term in query.terms)
        parts = []
        for options in self.terms(kind, query):
            quoted = " OR ".join(self._quoted(option) for option in options)
            parts.append(f"({quoted})" if len(options) > 1 else quoted)
        return " AND ".join(parts)

    def _where(self, kind: Kind, query: Query, rows) -> tuple[str, list]:
        table = kind.fts_table
        extra, params = _sql_filter(kind, rows, f'"{table}".rowid')
        return f'"{table}" MATCH %s{extra}', [self.match(kind, query), *params]

    def ranked(
        self, kind: Kind, query: Query, rows, offset: int, limit: int
    ) -> tuple[list[tuple[int, float]], int]:
        """One page of the matches, best first, and how many there are (up to RANKED + 1)."""
        where, params = self._where(kind, query, rows)
        weights = ", ".join(str(f.weight) for f in kind.fields)
        # ORDER BY rowid DESC is FTS5's own order: only the newest RANKED + 1 rows are read
        # and scored, then sorted by score; the page alone leaves the database.
        sql = (
            "SELECT id, score, count(*) OVER () FROM ("  # noqa: S608
            f'SELECT rowid AS id, bm25("{kind.fts_table}", {weights}) AS score '
            f'FROM "{kind.fts_table}" WHERE {where} ORDER BY rowid DESC LIMIT {RANKED + 1}'
            ") ORDER BY score, id DESC LIMIT %s OFFSET %s"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit, offset])
            found = cursor.fetchall()
        if not found:
            return [], self.count(kind, query, rows) if offset else 0
        return [(pk, -score) for pk, score, _ in found], found[0][2]

    def count(self, kind: Kind, query: Query, rows) -> int:
        """How many rows match, up to RANKED + 1."""
        where, params = self._where(kind, query, rows)
        sql = (
            f'SELECT count(*) FROM (SELECT 1 FROM "{kind.fts_table}" '  # noqa: S608
            f"WHERE {where} LIMIT {RANKED + 1})"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def highlights(self, kind: Kind, query: Query, ids: list[int]) -> dict[int, dict[str, str]]:
        table = kind.fts_table
        columns = ", ".join(
            f"highlight(\"{table}\", {n}, '{MARK_START}', '{MARK_END}')"
            for n in range(len(kind.fields))
        )
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f'SELECT rowid, {columns} FROM "{table}" '  # noqa: S608
            f'WHERE "{table}" MATCH %s AND rowid IN ({marks})'
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [self.match(kind, query), *ids])
            return {row[0]: dict(zip(kind.field_names, row[1:], strict=True)) for row in cursor}

    def key_matches(self, key: Key, query: Query) -> list[tuple[int, int]]:
        table = key.fts_table
        selects = " UNION ALL ".join(
            f'SELECT {n}, rowid FROM "{table}" WHERE "{table}" MATCH %s'  # noqa: S608
            for n in range(len(query.terms))
        )
        params = [self._quoted(term.token or term.text) for term in query.terms]
        with self.connection.cursor() as cursor:
            cursor.execute(selects, params)
            return cursor.fetchall()

    # --- the index ---

    @staticmethod
    def _values(fields: Iterable[Field], row: str) -> str:
        """What the index holds for each field of ``row``, as SQL (``indexed_text``)."""
        values = []
        for f in fields:
            extra = f", {f.key.token_sql(row)}" if f.key else ""
            values.append(f'factcheck_search_text({row}."{f.name}"{extra})')
        return ", ".join(values)

    def _indexes(self) -> list[tuple[str, str, tuple[Field, ...]]]:
        """(FTS table, model table, fields) of every index: the kinds', then the keys'."""
        indexes = [(kind.fts_table, kind.table, kind.fields) for kind in KINDS.values()]
        indexes += [(key.fts_table, key.table, (Field(key.text, 1),)) for key in _keys()]
        return indexes

    def triggers(self, fts: str, table: str, fields: tuple[Field, ...]) -> dict[str, str]:
        """name → CREATE TRIGGER statement, for the triggers keeping one index current.

        They read only the row being written: a trigger naming another table would stop
        Django from rebuilding that table in a migration.
        """
        cols = ", ".join(f'"{f.name}"' for f in fields)
        columns = [f.name for f in fields] + [f.key.column for f in fields if f.key]
        changed = " OR ".join(f'old."{name}" IS NOT new."{name}"' for name in columns)
        delete = (
            f'INSERT INTO "{fts}"("{fts}", rowid, {cols}) '  # noqa: S608
            f"VALUES ('delete', old.id, {self._values(fields, 'old')});"
        )
        insert = (
            f'INSERT INTO "{fts}"(rowid, {cols}) '  # noqa: S608
            f"VALUES (new.id, {self._values(fields, 'new')});"
        )
        bodies = {
            "insert": f'AFTER INSERT ON "{table}" BEGIN {insert} END',
            "delete": f'AFTER DELETE ON "{table}" BEGIN {delete} END',
            "update": f'AFTER UPDATE ON "{table}" WHEN {changed} BEGIN {delete} {insert} END',
        }
        sig = signature()
        return {
            f"{fts}_{event}_{sig}": f'CREATE TRIGGER "{fts}_{event}_{sig}" {body}'
            for event, body in bodies.items()
        }

    def _existing(self, cursor) -> tuple[set[str], set[str]]:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        rows = cursor.fetchall()
        return {n for t, n in rows if t == "table"}, {n for t, n in rows if t == "trigger"}

    def current(self) -> bool:
        with self.connection.cursor() as cursor:
            tables, triggers = self._existing(cursor)
        return all(
            fts in tables and set(self.triggers(fts, table, fields)) <= triggers
            for fts, table, fields in self._indexes()
        )

    def ensure(self) -> None:
        """Make every index match the definition: (re)build those that do not."""
        with self.connection.cursor() as cursor:
            tables, triggers = self._existing(cursor)
            for fts, table, fields in self._indexes():
                wanted = self.triggers(fts, table, fields)
                if fts in tables and set(wanted) <= triggers:
                    continue
                self._drop(cursor, fts, triggers)
                cols = ", ".join(f'"{f.name}"' for f in fields)
                cursor.execute(
                    f'CREATE VIRTUAL TABLE "{fts}" USING fts5({cols}, '
                    f"content='{table}', content_rowid='id', "
                    "tokenize='porter unicode61 remove_diacritics 2')"
                )
                cursor.execute(
                    f'INSERT INTO "{fts}"(rowid, {cols}) '  # noqa: S608
                    f'SELECT t.id, {self._values(fields, "t")} FROM "{table}" AS t'
                )
                for statement in wanted.values():
                    cursor.execute(statement)

    @staticmethod
    def _drop(cursor, fts: str, triggers: set[str]) -> None:
        for name in triggers:
            if name.startswith(f"{fts}_"):
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        cursor.execute(f'DROP TABLE IF EXISTS "{fts}"')

    def remove(self) -> None:
        with self.connection.cursor() as cursor:
            _, triggers = self._existing(cursor)
            for fts, _table, _fields in self._indexes():
                self._drop(cursor, fts, triggers)


def _own_column(compiler, connection, column: str) -> str:
    """``column`` of the query's own table, named by the alias the table has in that query:
    a subquery's table is renamed (``U0``), and a column written as
    ``"annotations_claim"."search_document"`` would name the outer query's table from inside
    it (run then once per row of the table, or joined back to the table by id)."""
    alias = compiler.query.base_table or compiler.query.get_initial_alias()
    return f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(column)}"


def _pg_words(value: str, words: bool) -> str:
    """``value`` (SQL) as the index reads it: for a field read as words (a URL), everything
    but letters and digits is a space."""
    return f"regexp_replace({value}, '[^[:alnum:]]', ' ', 'g')" if words else value


class _SearchDocument(Expression):
    """The search column of the query's own table (``_own_column``)."""

    output_field = SearchVectorField()

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def as_sql(self, compiler, connection):
        return _own_column(compiler, connection, self.column), []


class _Headline(Expression):
    """A field of the query's own table with the words of ``tsquery`` (the query written out
    as SQL, ``PostgresEngine.tsquery``) marked by ``ts_headline``."""

    output_field = TextField()

    def __init__(self, marked: Field, tsquery: RawSQL, config: str) -> None:
        super().__init__()
        self.marked, self.tsquery, self.config = marked, tsquery, config

    def as_sql(self, compiler, connection):
        column = _pg_words(_own_column(compiler, connection, self.marked.name), self.marked.words)
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
        sql = (
            f"ts_headline('{self.config}'::regconfig, factcheck_fold({column}), "
            f"({self.tsquery.sql}), %s)"
        )
        return sql, [*self.tsquery.params, options]


class _Matches(Expression):
    """``document @@ query`` as a condition (Django's lookup would wrap a query written out
    as SQL in ``plainto_tsquery``)."""

    output_field = BooleanField()

    def __init__(self, document, query) -> None:
        super().__init__()
        self.document, self.query = document, query

    def get_source_expressions(self):
        return [self.document, self.query]

    def set_source_expressions(self, expressions):
        self.document, self.query = expressions

    def as_sql(self, compiler, connection):
        document, document_params = compiler.compile(self.document)
        query, query_params = compiler.compile(self.query)
        return f"{document} @@ {query}", [*document_params, *query_params]


class PostgresEngine(Engine):
    COLUMN = "search_document"
    CONFIG = "factcheck"

    def __init__(self, connection):
        super().__init__(connection)
        self._tsqueries: dict[tuple[Query, tuple], RawSQL] = {}

    def _document(self, kind: Kind):
        return _SearchDocument(self.COLUMN)

    def _fold(self, expression):
        return Func(expression, function="factcheck_fold", output_field=TextField())

    def _term(self, text: str, *, token: bool) -> SearchQuery:
        if token:
            # A number's or a key's token: letters and digits only, made by this module.
            return SearchQuery(text, config="simple", search_type="raw")
        return SearchQuery(self._fold(Value(text)), config=self.CONFIG, search_type="phrase")

    def tsquery(self, kind: Kind | None, query: Query) -> RawSQL:
        """The query as PostgreSQL's tsquery for ``kind`` (its terms, or any of the key rows
        they name; None: the terms alone, for marking), written out as SQL once per search.
        Django writes an expression out again wherever it is used, and a page uses its query
        in the filter, the rank and every field's marks: compiling it each time cost more CPU
        than PostgreSQL spent running the statement."""
        if kind is None:
            options = tuple((term.token or term.text,) for term in query.terms)
        else:
            options = tuple(tuple(found) for found in self.terms(kind, query))
        # Kept by what it is made of: the kinds without keys (or whose terms name no key
        # row) share the marks' query, written out once.
        cached = (query, options)
        if cached not in self._tsqueries:
            parts = []
            for term, alternatives in zip(query.terms, options, strict=True):
                each = [self._term(alternatives[0], token=bool(term.token))]
                each += [self._term(option, token=True) for option in alternatives[1:]]
                parts.append(reduce(or_, each))
            expression = reduce(and_, parts)
            # Any table will do: the query names no column.
            inner = KINDS["article"].model.objects.all().query
            compiler = inner.get_compiler(connection=self.connection)
            sql, params = compiler.compile(expression.resolve_expression(inner))
            self._tsqueries[cached] = RawSQL(sql, params, output_field=SearchQueryField())  # noqa: S611
        return self._tsqueries[cached]

    def _matching(self, kind: Kind, query: Query, rows):
        return rows.filter(_Matches(self._document(kind), self.tsquery(kind, query)))

    def page(
        self, kind: Kind, query: Query, rows, offset: int, limit: int
    ) -> tuple[list[Found], int]:
        """One page of the matches, best first, and how many there are (up to RANKED + 1):
        the page's ids ranked by one statement, then their rows with their marked fields by
        another (three made a search of every kind twelve round trips; one, joining each
        match to its article and publisher before ranking, read 7,000 more pages at 500,000
        claims than ranking first).

        The newest RANKED + 1 matches are a subquery of ``rows`` itself, so that a filter
        (a verdict, a state) narrows the same scan that checks the search column rather than
        a second copy of the table joined to it by id. Each is ranked in that scan too, from
        the document it has just read: ranked outside, each of the 1,001 rows was looked up
        again by id (4,000 more pages; at 2,000,000 claims a search's statements took 230 ms
        that way, 202 ms this way)."""
        if rows.query.is_empty():
            return [], 0
        newest = (
            self._matching(kind, query, rows)
            .annotate(search_score=SearchRank(self._document(kind), self.tsquery(kind, query)))
            .order_by("-pk")
            .values_list("pk", "search_score")[: RANKED + 1]
        )
        sql, params = newest.query.get_compiler(connection=self.connection).as_sql()
        with self.connection.cursor() as cursor:
            # Ours but for the parameters: the columns are named by position.
            cursor.execute(
                "SELECT newest.*, count(*) OVER () FROM ("  # noqa: S608
                f"{sql}) AS newest ORDER BY 2 DESC, 1 DESC LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            ranked = cursor.fetchall()
        if not ranked:
            return [], self.count(kind, query, rows) if offset else 0
        marks = {f"marked_{name}": headline for name, headline in self._headlines(kind, query)}
        loaded = _loaded(kind, kind.model.objects.filter(pk__in=[pk for pk, _, _ in ranked]))
        found = loaded.order_by().annotate(**marks).in_bulk()
        page = [
            Found(
                found[pk],
                score,
                {name: getattr(found[pk], f"marked_{name}") for name in kind.field_names},
            )
            for pk, score, _ in ranked
            if pk in found  # deleted since it was ranked
        ]
        return page, ranked[0][2]

    def count(self, kind: Kind, query: Query, rows) -> int:
        """How many rows match, up to RANKED + 1 (in no order: the model's would sort every
        match before counting the first ones)."""
        return self._matching(kind, query, rows).order_by().values("pk")[: RANKED + 1].count()

    def _headlines(self, kind: Kind, query: Query) -> list[tuple[str, _Headline]]:
        """Each field of ``kind`` with the query's words marked, as (field name, expression).
        The query's SQL is the one written out for the search: built as Django expressions,
        the marks of four kinds' fields took 6 ms of CPU to write out at each search."""
        tsquery = self.tsquery(None, query)
        return [(f.name, _Headline(f, tsquery, self.CONFIG)) for f in kind.fields]

    def key_matches(self, key: Key, query: Query) -> list[tuple[int, int]]:
        # The key's document is written as its index's expression (_key_document_sql), so the
        # index answers; computed row by row, 400 publishers' names took 14 ms a search.
        document = RawSQL(self._key_document_sql(key), [], output_field=SearchVectorField())  # noqa: S611
        each = [
            key.model.objects.annotate(document=document)
            .filter(document=self._term(term.token or term.text, token=bool(term.token)))
            .order_by()
            .values_list(Value(n), "pk")
            for n, term in enumerate(query.terms)
        ]
        return list(each[0].union(*each[1:], all=True))

    # --- the index ---

    def _trigger_name(self, kind: Kind) -> str:
        # The storage of the documents is part of the definition here (``ensure``): changed,
        # the documents must be written again, as for a change of fields.
        definition = hashlib.sha256(f"{signature()} STORAGE MAIN".encode()).hexdigest()[:10]
        return f"search_{kind.name}_{definition}"

    def _document_sql(self, kind: Kind, row: str) -> str:
        parts = []
        for f in kind.fields:
            value = f"coalesce({row}.\"{f.name}\", '')"
            words = _pg_words(value, f.words)
            key = f" || ' ' || coalesce({f.key.token_sql(row)}, '')" if f.key else ""
            parts.append(
                f"setweight(to_tsvector('{self.CONFIG}', factcheck_fold({words}) || ' ' || "
                f"factcheck_numbers({value}){key}), '{f.pg_weight}')"
            )
        return " || ".join(parts)

    def _existing(self) -> set[str]:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'search\\_%'")
            return {name for (name,) in cursor.fetchall()}

    def current(self) -> bool:
        return {self._trigger_name(kind) for kind in KINDS.values()} <= self._existing()

    def _key_document_sql(self, key: Key) -> str:
        """A key row's document (its name's words and numbers), the same SQL in the index and
        in the query, for PostgreSQL to match the two. The column is unqualified: the query
        reads the key's table alone."""
        text = f"coalesce(\"{key.text}\", '')"
        return (
            f"(to_tsvector('{self.CONFIG}'::regconfig, factcheck_fold({text})) || "
            f"to_tsvector('simple'::regconfig, factcheck_numbers({text})))"
        )

    def _key_index(self, key: Key) -> str:
        return f"{key.table}_search_gin"

    def ensure_keys(self, cursor=None) -> None:
        """The keys' expression indexes, where missing (cheap: keys are few rows)."""
        with contextlib.ExitStack() as stack:
            if cursor is None:
                cursor = stack.enter_context(self.connection.cursor())
            for key in _keys():
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{self._key_index(key)}" ON "{key.table}" '
                    f"USING gin ({self._key_document_sql(key)})"
                )

    def ensure(self, *, unaccent: bool | None = None) -> None:
        """Make the index match the definition. ``unaccent=False`` installs the fallback used
        where the extension cannot be created (for tests)."""
        existing = self._existing()
        introspection = self.connection.introspection
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            # Only what is missing is added: a table with rows written in this transaction
            # cannot be altered (PostgreSQL's "pending trigger events").
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_search_gin'")
            indexes = {name for (name,) in cursor.fetchall()}
            # The keys' indexes name the text search configuration, made again here.
            for key in _keys():
                cursor.execute(f'DROP INDEX IF EXISTS "{self._key_index(key)}"')
            self._functions(cursor, unaccent)
            self.ensure_keys(cursor)
            for kind in KINDS.values():
                for name in existing:
                    if name.startswith(f"search_{kind.name}_"):
                        cursor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{kind.table}"')
                columns = {c.name for c in introspection.get_table_description(cursor, kind.table)}
                if self.COLUMN not in columns:
                    cursor.execute(
                        f'ALTER TABLE "{kind.table}" ADD COLUMN "{self.COLUMN}" tsvector'
                    )
                # Documents stay in the table's own rows (compressed there if that helps)
                # instead of PostgreSQL's default of moving any over 2 KB to the TOAST
                # table: a search that checks a phrase or orders by date reads each
                # candidate's document, and an article's (3 KB on average) then cost three
                # more index and page reads. At 25,000 articles, a common phrase's newest
                # thousand matches took 150 ms this way and 55 ms kept in the row. The
                # UPDATE below writes every document again, so existing rows move too.
                cursor.execute(
                    "SELECT attstorage FROM pg_attribute WHERE attrelid = %s::regclass "
                    "AND attname = %s",
                    [kind.table, self.COLUMN],
                )
                if cursor.fetchone()[0] != "m":
                    cursor.execute(
                        f'ALTER TABLE "{kind.table}" ALTER COLUMN "{self.COLUMN}" SET STORAGE MAIN'
                    )
                document = self._document_sql(kind, "NEW")
                changed = " OR ".join(
                    f'OLD."{name}" IS DISTINCT FROM NEW."{name}"' for name in kind.columns
                )
                function = f"search_{kind.name}_document"
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF TG_OP = 'INSERT' THEN NEW.\"{self.COLUMN}\" := {document}; "
                    f'ELSIF {changed} THEN NEW."{self.COLUMN}" := {document}; END IF; '
                    "RETURN NEW; END $$"
                )
                cursor.execute(
                    f'CREATE TRIGGER "{self._trigger_name(kind)}" BEFORE INSERT OR UPDATE '
                    f'ON "{kind.table}" FOR EACH ROW EXECUTE FUNCTION {function}()'
                )
                cursor.execute(
                    f'UPDATE "{kind.table}" AS t SET "{self.COLUMN}" = '  # noqa: S608
                    + self._document_sql(kind, "t")
                )
                if f"{kind.table}_search_gin" not in indexes:
                    cursor.execute(
                        f'CREATE INDEX "{kind.table}_search_gin" '
                        f'ON "{kind.table}" USING gin ("{self.COLUMN}")'
                    )

    def _functions(self, cursor, unaccent: bool | None) -> None:
        if unaccent is not False:
            try:
                with transaction.atomic(using=self.connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
                unaccent = True
            except DatabaseError:  # not installed, or not allowed: the fallback below
                unaccent = False
        cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {self.CONFIG}")
        cursor.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS factcheck_stem")
        # English stemming without a stop-word list: "the" and "not" can be searched.
        cursor.execute(
            "CREATE TEXT SEARCH DICTIONARY factcheck_stem (TEMPLATE = snowball, Language = english)"
        )
        cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {self.CONFIG} (COPY = english)")
        words = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"
        dictionaries = "unaccent, factcheck_stem" if unaccent else "factcheck_stem"
        cursor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {self.CONFIG} ALTER MAPPING FOR {words} "
            f"WITH {dictionaries}"
        )
        if unaccent:
            fold = "SELECT $1"
        else:
            source, target = _accent_table()
            fold = f"SELECT translate($1, '{source}', '{target}')"
        cursor.execute(
            "CREATE OR REPLACE FUNCTION factcheck_fold(text) RETURNS text "
            f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $${fold}$$"
        )
        scale = " ".join(f"WHEN '{word}' THEN 1e{power}" for word, power in SCALES.items())
        pattern = _pg_literal(NUMBER_PATTERN)
        # The same rule as numbers_in() (a test compares them on every backend).
        cursor.execute(
            "CREATE OR REPLACE FUNCTION factcheck_numbers(body text) RETURNS text "
            "LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$ "
            "DECLARE m text[]; digits text; tokens text[] := ARRAY[]::text[]; "
            "BEGIN "
            "IF body IS NULL THEN RETURN ''; END IF; "
            # Most text has no number: no regular expression match to run (a tenth of the time
            # of indexing a row, and all of it for a publisher's name at each search).
            "IF body !~ '[0-9]' THEN RETURN ''; END IF; "
            f"FOR m IN SELECT regexp_matches(body, {pattern}, 'gi') LOOP "
            "  digits := regexp_replace(m[1], '[^0-9.]', '', 'g'); "
            "  IF length(ltrim(replace(digits, '.', ''), '0')) "
            f"> {MAX_SIGNIFICANT_DIGITS} THEN CONTINUE; END IF; "
            f"  tokens := tokens || ('{TOKEN_PREFIX}' || replace(trim_scale(digits::numeric * "
            f"CASE lower(coalesce(m[2], m[3], '')) {scale} ELSE 1 END)::text, '.', 'd')); "
            "END LOOP; "
            "RETURN array_to_string(tokens, ' '); "
            "END $$"
        )

    def remove(self) -> None:
        with self.connection.cursor() as cursor:
            for key in _keys():
                cursor.execute(f'DROP INDEX IF EXISTS "{self._key_index(key)}"')
            for kind in KINDS.values():
                cursor.execute(f'ALTER TABLE "{kind.table}" DROP COLUMN IF EXISTS "{self.COLUMN}"')
                cursor.execute(f"DROP FUNCTION IF EXISTS search_{kind.name}_document() CASCADE")
            cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {self.CONFIG}")
            cursor.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS factcheck_stem")
            cursor.execute("DROP FUNCTION IF EXISTS factcheck_fold(text)")
            cursor.execute("DROP FUNCTION IF EXISTS factcheck_numbers(text)")


def _pg_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _accent_table() -> tuple[str, str]:
    """Accented Latin letters and their plain letters, one for one (for ``translate``)."""
    source, target = [], []
    for code in range(0xC0, 0x250):
        letter = chr(code)
        base = "".join(
            ch for ch in unicodedata.normalize("NFKD", letter) if not unicodedata.combining(ch)
        )
        if len(base) == 1 and base.isascii() and base.isalpha() and base != letter:
            source.append(letter)
            target.append(base)
    return "".join(source), "".join(target)


# --- Installation -----------------------------------------------------------------------------


def register_functions(sender, connection, **kwargs) -> None:
    """On every new SQLite connection: the function the search triggers call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "factcheck_search_text", -1, indexed_text, deterministic=True
        )


def _schema_ready(connection) -> bool:
    """Whether every table and column the index reads exists yet (a migration that adds one
    may come after the search migration)."""
    introspection = connection.introspection
    with connection.cursor() as cursor:
        tables = set(introspection.table_names(cursor))
        try:
            needed = [(kind.table, kind.columns) for kind in KINDS.values()]
            needed += [(key.table, [key.text]) for key in _keys()]
        except LookupError:  # a model the index reads is not defined yet
            return False
        for table, columns in needed:
            if table not in tables:
                return False
            present = {c.name for c in introspection.get_table_description(cursor, table)}
            if not set(columns) <= present:
                return False
    return True


def ensure_index(connection=None, **kwargs) -> bool:
    """Create or repair the search index on ``connection``; True when it was (re)built."""
    connection = connection or default_connection
    if connection.vendor not in ("sqlite", "postgresql"):
        return False
    engine = _engine(connection.alias)
    if not _schema_ready(connection):
        return False
    if not kwargs and engine.current():
        engine.ensure_keys()  # an index made before the keys had theirs
        return False
    engine.ensure(**kwargs)
    return True


def remove_index(connection=None) -> None:
    connection = connection or default_connection
    if connection.vendor in ("sqlite", "postgresql"):
        _engine(connection.alias).remove()


def repair_after_migrate(sender, using="default", **kwargs) -> None:
    """After ``migrate`` (and ``flush``): build what the search migration could not yet, and
    put back the triggers Django dropped when it rebuilt a SQLite table."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return
    if any(
        app == "annotations" and name.endswith("_search_index")
        for app, name in recorder.applied_migrations()
    ):
        ensure_index(connection)
