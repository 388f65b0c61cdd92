"""A selection of claims across articles: the claims table's filters, read from a query string
(``ClaimFilters``, also used by the exports of the selection), and one sorted page of it
(``sorted_page``).

Filters are allow-listed: a value the form does not offer is never passed to the ORM. The table
ignores such a value and says so; an export refuses it (``ClaimFilters.problems``).

Sorting is written for a desk with hundreds of thousands of claims (``make bench``, "claims
table": 200,000 claims on SQLite). Sorting by a column of another table (a verdict's place in
the vocabulary, an assignee's name) would make the database read and sort every claim: ~100 ms
at that size. These columns have few values, so the claims are taken group by group instead
(``_grouped``): how many claims each group has before the page, counted from the claims'
index on that column and only as far as the page needs, then the page's rows read from the
same index. The figure sort reads the figures in value order from their index (``_by_figure``).
Both are tested against the plain ``ORDER BY`` they replace.
"""

import re
from dataclasses import dataclass, field

from django import forms
from django.db import DatabaseError, connections
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from annotations.forms import choice_selects
from annotations.models import (
    Article,
    BulkOutcome,
    Claim,
    ClaimFamily,
    ClaimFigure,
    ClaimQuerySet,
    Publisher,
    StatementStart,
    User,
    Verdict,
)

PAGE_SIZE = 50
#: Claims counted at most: above it the page says "1,000+", as the search page does (counting
#: every claim of a wide selection would read them all for a number nobody needs exactly).
COUNT_CAP = 1_000
#: The last page shown (10,000 claims in): a later one is empty and says to narrow the filters
#: or export the selection, which has every claim.
MAX_PAGE = 200
#: Characters of a search query read (``annotations.search`` reads no more).
MAX_QUERY_CHARS = 500
MAX_ID = 2**63 - 1  # the largest id a database column holds

ANY = [("", "Any")]
ME = "me"
NONE = ClaimQuerySet.NONE
YES_NO = [("yes", "Yes"), ("no", "No")]
CONFLICT_CHOICES = [
    ("open", "Open (not resolved)"),
    ("resolved", "Resolved"),
    ("any", "Open or resolved"),
]
#: The claim states in the order of the work.
WORKFLOW = [
    Claim.State.TO_DO,
    Claim.State.IN_PROGRESS,
    Claim.State.SENT_BACK,
    Claim.State.NEEDS_REVIEW,
    Claim.State.APPROVED,
    Claim.State.DISMISSED,
]
#: Grouped sorts take one count per group: above this many people the assignee sort is a plain
#: ORDER BY (slower, as correct).
MAX_GROUPS = 200


# --- Filters --------------------------------------------------------------------------------


class ClaimFilters(forms.Form):
    """The claims table's filters. ``matching()`` gives the claims that pass them."""

    q = forms.CharField(
        label="Search",
        required=False,
        strip=True,
        widget=forms.SearchInput(attrs={"placeholder": "Statement, quote, claimant…"}),
    )
    verdict = forms.ChoiceField(label="Verdict", required=False)
    state = forms.ChoiceField(label="State", required=False, choices=ANY + Claim.State.choices)
    assignee = forms.ChoiceField(label="Assigned to", required=False)
    category = forms.ChoiceField(
        label="Category", required=False, choices=ANY + Claim.Category.choices
    )
    publisher = forms.ChoiceField(label="Publisher", required=False)
    figure = forms.ChoiceField(label="Has a figure", required=False, choices=ANY + YES_NO)
    family = forms.ChoiceField(label="In a family", required=False, choices=ANY + YES_NO)
    conflict = forms.ChoiceField(
        label="Figures conflict", required=False, choices=ANY + CONFLICT_CHOICES
    )
    article = forms.IntegerField(
        label="Article", required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )

    #: Filters that narrow the claims (the rest of the query string is sort and page).
    FILTERS = (
        "q",
        "verdict",
        "state",
        "assignee",
        "category",
        "publisher",
        "figure",
        "family",
        "conflict",
        "article",
    )

    def __init__(self, data, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.verdicts = list(Verdict.objects.order_by("order", "label", "pk"))
        self.people = list(User.objects.able_to_review().order_by("username"))
        # Publishers with articles (a value that would match nothing is not offered), each
        # checked from the articles' publisher index rather than joining every article.
        publishers = (
            Publisher.objects.filter(Exists(Article.objects.filter(publisher=OuterRef("pk"))))
            .order_by("name")
            .values_list("name", flat=True)
        )
        self.fields["verdict"].choices = (
            ANY + [(NONE, "No verdict yet")] + [(str(v.pk), v.label) for v in self.verdicts]
        )
        self.fields["assignee"].choices = (
            ANY + [(ME, "Me"), (NONE, "Nobody")] + [(str(u.pk), str(u)) for u in self.people]
        )
        self.fields["publisher"].choices = ANY + [(name, name) for name in publishers]

    def clean_q(self) -> str:
        text = self.cleaned_data["q"]
        if len(text) > MAX_QUERY_CHARS:
            self.cut_query = True
            text = text[:MAX_QUERY_CHARS]
        return text

    def selects(self):
        return choice_selects(self, self.FILTERS)

    @property
    def values(self) -> dict:
        """The filters that passed validation and are set; the others are left out."""
        self.is_valid()
        return {
            name: self.cleaned_data[name]
            for name in self.FILTERS
            if self.cleaned_data.get(name) not in (None, "")
        }

    def problems(self) -> list[str]:
        """Why a value was left out, for people: one sentence per filter."""
        self.is_valid()
        found = []
        for name in self.FILTERS:
            if name in self.errors:
                given = str(self.data.get(name, ""))
                shown = given if len(given) <= 40 else given[:39] + "…"
                what = "an article's number" if name == "article" else "one of the choices"
                found.append(f"{self.fields[name].label}: “{shown}” is not {what}.")
        return found

    @property
    def notices(self) -> list[str]:
        notes = [f"{problem} That filter was left out." for problem in self.problems()]
        if getattr(self, "cut_query", False):
            notes.append(f"Only the first {MAX_QUERY_CHARS} characters of the search were used.")
        return notes

    def chosen_article(self) -> Article | None:
        pk = self.values.get("article")
        return Article.objects.filter(pk=pk).only("title").first() if pk else None

    def matching(self) -> QuerySet:
        """The claims that pass the valid filters (``ClaimQuerySet.matching``)."""
        values = self.values
        assignee = values.get("assignee")
        if assignee == ME:
            assignee = self.user
        elif assignee and assignee != NONE:
            assignee = int(assignee)
        verdict = values.get("verdict")
        if verdict and verdict != NONE:
            verdict = int(verdict)
        yes_no = {"yes": True, "no": False}
        return Claim.objects.matching(
            q=values.get("q", ""),
            verdict=verdict,
            state=values.get("state"),
            assignee=assignee,
            category=values.get("category"),
            article=values.get("article"),
            publisher=values.get("publisher"),
            figure=yes_no.get(values.get("figure")),
            family=yes_no.get(values.get("family")),
            conflict=values.get("conflict"),
        )


# --- Sorting and paging ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sort:
    label: str
    order: tuple = ()  # a plain ORDER BY (ascending; reversed for "-key")
    # (model, index, "FROM"/"JOIN"): on SQLite, a selection of many claims is read through
    # this index of that model's table, in the order wanted (see ``_ids``).
    index: tuple | None = None
    grouped_by: str = ""  # or a column with few values, taken group by group


SORTS = {
    "updated": Sort("Last change", (F("updated_at"), F("pk")), (Claim, "claim_updated", "FROM")),
    "statement": Sort(
        "Statement",
        (StatementStart("statement"), F("pk")),
        (Claim, "claim_statement_start", "FROM"),
    ),
    "article": Sort(
        "Article",
        (F("article__title"), F("article_id"), F("start"), F("pk")),
        (Article, "article_title", "JOIN"),
    ),
    "state": Sort("State", grouped_by="state"),
    "verdict": Sort("Verdict", grouped_by="verdict_id"),
    "assignee": Sort("Assigned to", grouped_by="assignee_id"),
    "figure": Sort("Figure value"),
}
DEFAULT_SORT = "-updated"
SORT_CHOICES = [
    (f"{sign}{key}", f"{sort.label} ({'descending' if sign else 'ascending'})")
    for key, sort in SORTS.items()
    for sign in ("", "-")
]


@dataclass
class ClaimPage:
    """One page of a sorted selection: the claims' ids in order and how many there are."""

    number: int
    ids: list[int]
    count: int  # counted up to COUNT_CAP + 1
    has_next: bool
    per_page: int
    claims: list = field(default_factory=list)  # the rows, filled in by the view

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_text(self) -> str:
        """ "1,000+" above the cap: the number is not known."""
        return f"{COUNT_CAP:,}+" if self.capped else f"{self.count:,}"

    @property
    def num_pages(self) -> int | None:
        """None above COUNT_CAP: the last page is not known."""
        return None if self.capped else max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.ids else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.ids)


def page_number(value) -> int:
    """A page number from the query string: anything that is not one is page 1."""
    try:
        number = int(str(value)[:12])
    except (TypeError, ValueError):
        return 1
    return max(1, number)


def capped_count(claims: QuerySet, cap: int) -> int:
    """How many claims there are, counted up to ``cap`` (an index range read, never more)."""
    return claims.order_by().values("pk")[:cap].count()


def sorted_page(claims: QuerySet, sort: str, number: int, *, per_page: int | None = None):
    """Page ``number`` of ``claims`` in the order ``sort`` names (a key of ``SORTS``, with "-"
    for descending): the count, then the ids (one query; a grouped or figure sort of more
    claims than are counted takes two or three)."""
    per_page = per_page or PAGE_SIZE
    claims = claims.order_by()
    count = capped_count(claims, COUNT_CAP + 1)
    descending = sort.startswith("-")
    spec = SORTS[sort.lstrip("-")]
    offset = (min(number, MAX_PAGE) - 1) * per_page
    end = offset + per_page + 1  # one more than the page: is there a next page?
    if number > MAX_PAGE or (count <= COUNT_CAP and offset >= count):
        ids = []
    elif count <= COUNT_CAP:
        # A few claims: the database reads them all and sorts them, whatever the order.
        ids = list(ordered_plainly(claims, sort).values_list("pk", flat=True)[offset:end])
    elif spec.grouped_by:
        groups = _groups(spec.grouped_by)
        if groups is None:  # too many to take one by one
            ids = list(ordered_plainly(claims, sort).values_list("pk", flat=True)[offset:end])
        else:
            ids = _grouped(claims, spec.grouped_by, groups, descending, offset, end)
    elif spec.order:
        ordered = ordered_plainly(claims, sort).values_list("pk", flat=True)[offset:end]
        ids = _ids(ordered, spec.index)
    else:
        ids = _by_figure(claims, descending, offset, end)
    return ClaimPage(number, ids[:per_page], count, len(ids) > per_page, per_page)


def ordered_plainly(claims: QuerySet, sort: str) -> QuerySet:
    """``claims`` in the order ``sort`` names, as one ORDER BY: what ``sorted_page`` reads for
    a few claims, and what its faster ways for many must equal (tests).

    The figure sort: claims with a figure in use first, by value (ascending: each claim's
    smallest; descending: its largest), then those without; ties by id, in the sort's
    direction.
    """
    descending = sort.startswith("-")
    spec = SORTS[sort.lstrip("-")]
    if spec.grouped_by:
        groups = _groups(spec.grouped_by)
        if groups is None:
            order = _joined_order(spec.grouped_by)
        else:
            position = Case(
                *[
                    When(_in_group(spec.grouped_by, value), then=Value(n))
                    for n, value in enumerate(groups)
                ],
                default=Value(len(groups)),
                output_field=IntegerField(),
            )
            order = (position, F("pk"))
    elif spec.order:
        order = spec.order
    else:
        value = Coalesce("value", "low")
        first = (
            ClaimFigure.objects.in_use()
            .filter(claim=OuterRef("pk"))
            .order_by(value.desc() if descending else value.asc())
            .values_list(value)[:1]
        )
        claims = claims.alias(figure_value=Subquery(first))
        direction = "desc" if descending else "asc"
        return claims.order_by(
            getattr(F("figure_value"), direction)(nulls_last=True), getattr(F("pk"), direction)()
        )
    return claims.order_by(*[term.desc() if descending else term.asc() for term in order])


def _ids(queryset, index: tuple | None = None) -> list:
    """The values of a ``values_list(flat=True)`` query; on SQLite, with the table that
    ``index`` names (model, index name, "FROM" or "JOIN": where the query names the table)
    read through that index (``INDEXED BY``), which holds the rows in the order wanted.

    SQLite keeps no statistics unless someone runs ANALYZE, and guesses that an equality on
    an indexed column (a state, a verdict) picks a few rows: it reads every claim in that
    state and sorts them (100 ms for 30,000 claims) where reading the index of the order and
    stopping after a page's worth takes a millisecond. Only used for selections of more
    claims than are counted (``COUNT_CAP``): for fewer, the guess is right. PostgreSQL keeps
    statistics.
    """
    connection = connections[queryset.db]
    if index is None or connection.vendor != "sqlite":
        return list(queryset)
    model, name, where = index
    sql, params = queryset.query.sql_with_params()
    table = re.escape(f"{where} {connection.ops.quote_name(model._meta.db_table)}")
    # The table itself, not a subquery's alias of it ("FROM claim U0"): exactly once.
    named = list(re.finditer(table + r" (?=(?:WHERE|INNER|LEFT|ON|ORDER|LIMIT)\b)", sql))
    if len(named) != 1:  # not the query this was written for: as it is
        return list(queryset)
    at = named[0].end()
    sql = f"{sql[:at]}INDEXED BY {connection.ops.quote_name(name)} {sql[at:]}"
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]
    except DatabaseError:  # the index is gone (renamed by a migration): as it is
        return list(queryset)


def _groups(column: str) -> list | None:
    """Every value of ``column`` in the sort's order (None — nobody, no verdict — last): the
    workflow's states, the vocabulary's verdicts, people by user name. None when there are
    too many people to take one by one."""
    if column == "state":
        return list(WORKFLOW)
    if column == "verdict_id":
        found = Verdict.objects.order_by("order", "label", "pk").values_list("pk", flat=True)
    else:
        found = User.objects.order_by("username", "pk").values_list("pk", flat=True)
    found = list(found[: MAX_GROUPS + 1])
    return None if len(found) > MAX_GROUPS else [*found, None]


def _joined_order(column: str) -> tuple:
    """The plain ORDER BY of a grouped sort (the assignee's, past ``MAX_GROUPS`` people)."""
    return (F("assignee__username"), F("pk"))


def _in_group(column: str, value) -> Q:
    return Q(**{f"{column}__isnull": True}) if value is None else Q(**{column: value})


def _grouped(claims, column: str, groups: list, descending: bool, offset: int, end: int):
    """Rows ``[offset, end)`` of ``claims`` ordered by their group's place in ``groups``, then
    by id: the groups' sizes before the page are counted (each only up to ``end``), then each
    group's part of the page is read from the index on ``column``."""
    parts = [_in_group(column, value) for value in groups]
    if descending:
        parts.reverse()
    counted = [claims.filter(part).order_by().values("pk")[:end] for part in parts]
    sizes = _scalar_counts(claims, counted)
    pieces, at = [], 0
    for part, size in zip(parts, sizes, strict=True):
        if at >= end:
            break
        if size and at + size > offset:
            first, last = max(0, offset - at), min(size, end - at)
            pieces.append((part, first, last))
        at += size
    pk = "-pk" if descending else "pk"
    if not pieces:  # past the last claim
        return []
    if len(pieces) == 1:
        part, first, last = pieces[0]
        return list(claims.filter(part).order_by(pk).values_list("pk", flat=True)[first:last])
    slices = [
        claims.filter(part).order_by(pk).values_list("pk", flat=True)[first:last]
        for part, first, last in pieces
    ]
    return _concatenated(claims, slices, descending)


def _by_figure(claims, descending: bool, offset: int, end: int) -> list[int]:
    """``ordered_plainly``'s figure sort of many claims: the figures are read in value order
    from their index (each claim kept at its first), then the claims without one."""
    figured = Exists(ClaimFigure.objects.in_use().filter(claim=OuterRef("pk")))
    with_figures = capped_count(claims.filter(figured), end)
    ids: list[int] = []
    if offset < with_figures:
        value = Coalesce("value", "low")
        order = (value.desc(), F("claim_id").desc()) if descending else (value, "claim_id")
        rows = (
            ClaimFigure.objects.in_use()
            .filter(claim__in=claims)
            .order_by(*order)
            .values_list("claim_id", flat=True)
        )
        seen: set[int] = set()
        batch = 2 * end + 20  # a claim's figure is often in its quote and its statement
        start = 0
        while len(seen) < min(end, with_figures):
            read = _ids(rows[start : start + batch], (ClaimFigure, "claim_figure_value", "FROM"))
            for claim_id in read:
                if claim_id not in seen:
                    seen.add(claim_id)
                    ids.append(claim_id)
            if len(read) < batch:
                break
            start += batch
        ids = ids[offset:end]
    if len(ids) < end - offset and end > with_figures:
        first = max(0, offset - with_figures)
        rest = claims.filter(~figured).order_by("-pk" if descending else "pk")
        ids += list(rest.values_list("pk", flat=True)[first : end - max(offset, with_figures)])
    return ids


def _scalar_counts(claims, querysets) -> list[int]:
    """``[qs.count() for qs in querysets]`` in one query (each a capped count)."""
    connection = connections[claims.db]
    selects, params = [], []
    for queryset in querysets:
        sql, sub_params = queryset.query.sql_with_params()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 — SQL Django wrote
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        return list(cursor.fetchone())


def _concatenated(claims, slices, descending: bool) -> list[int]:
    """The ids of several slices in one query, the first slice's first."""
    connection = connections[claims.db]
    selects, params = [], []
    for n, queryset in enumerate(slices):
        sql, sub_params = queryset.query.sql_with_params()
        selects.append(f"SELECT {n}, part{n}.* FROM ({sql}) AS part{n}")  # noqa: S608 — SQL Django wrote
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    rows.sort(key=lambda row: (row[0], -row[1] if descending else row[1]))
    return [pk for _, pk in rows]


# --- Actions on the claims ticked ------------------------------------------------------------

#: Claims one action takes at most (a page has PAGE_SIZE).
MAX_CHOSEN = 200
NEW_FAMILY = "new"


class ChosenClaimsForm(forms.Form):
    """The claims ticked (``claim``, repeated) and, for each, the version the page showed
    (``version-<id>``)."""

    def clean(self):
        data = super().clean()
        raw = self.data.getlist("claim") if hasattr(self.data, "getlist") else []
        try:
            ids = list(dict.fromkeys(int(str(value)[:20]) for value in raw))
        except ValueError:
            raise forms.ValidationError(
                "Tick claims in the table: something else was sent."
            ) from None
        if not ids:
            raise forms.ValidationError("Tick at least one claim first.")
        if len(ids) > MAX_CHOSEN:
            raise forms.ValidationError(f"At most {MAX_CHOSEN} claims at a time.")
        if any(not 0 < pk <= MAX_ID for pk in ids):
            raise forms.ValidationError("Tick claims in the table: something else was sent.")
        versions = {}
        for pk in ids:
            value = str(self.data.get(f"version-{pk}", ""))[:20]
            if value.isdigit():
                versions[pk] = int(value)
        data["claims"], data["versions"] = ids, versions
        return data

    def problem(self) -> str:
        errors = [str(error) for errors in self.errors.values() for error in errors]
        return "Nothing was done: " + " ".join(errors)


class BulkAssignForm(ChosenClaimsForm):
    to = forms.ChoiceField(label="Assign to")

    def __init__(self, data, *, people, **kwargs):
        super().__init__(data, **kwargs)
        self.people = {str(person.pk): person for person in people}
        self.fields["to"].choices = [(NONE, "Nobody")] + [
            (pk, str(person)) for pk, person in self.people.items()
        ]
        self.fields["to"].error_messages["invalid_choice"] = (
            "choose a reviewer from the list (they may have lost their role)."
        )

    def clean(self):
        data = super().clean()
        if "to" in data:
            data["person"] = self.people.get(data["to"])
        return data


class BulkFamilyForm(ChosenClaimsForm):
    family = forms.CharField(label="Family", max_length=20)
    statement = forms.CharField(
        label="Canonical statement of a new family", required=False, max_length=5000
    )

    def clean(self):
        data = super().clean()
        chosen = data.get("family", NEW_FAMILY)
        data["family_version"] = None
        if chosen == NEW_FAMILY:
            data["family"] = None
            return data
        if not chosen.isdigit() or not 0 < int(chosen) <= MAX_ID:
            raise forms.ValidationError("Choose a family from the list.")
        family = ClaimFamily.objects.filter(pk=int(chosen)).first()
        version = str(self.data.get(f"family-version-{chosen}", ""))[:20]
        if family is None:
            raise forms.ValidationError(f"Family #{chosen} no longer exists: reload the page.")
        if not version.isdigit():
            raise forms.ValidationError("Reload the page: it did not say which version you saw.")
        data["family"], data["family_version"] = family, int(version)
        return data


def chosen_claims(selection: QuerySet, ids: list[int]) -> tuple[QuerySet, list[BulkOutcome]]:
    """The ticked claims that ``selection`` holds, and a refusal for each of the others (the
    filters no longer select it, or it was deleted): an action never reaches past what the
    reviewer sees."""
    claims = selection.filter(pk__in=ids).order_by()
    found = set(claims.values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    known = Claim.objects.filter(pk__in=missing).in_bulk() if missing else {}
    refusal = "Not among the claims these filters select now (changed or deleted): left as it is."
    outcomes = [
        BulkOutcome(
            known.get(pk) or Claim(pk=pk, statement="deleted"), BulkOutcome.REFUSED, refusal
        )
        for pk in missing
    ]
    return claims, outcomes
