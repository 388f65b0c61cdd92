"""The claims table (``/claims/``): every claim of every article, filtered, sorted and paged,
with actions on the claims ticked (assign them; put them in a family) and the exports of the
selection.

Filters live in the query string, also for the actions: a POST acts only on ticked claims
that the filters in its address still select, so nothing outside what the reviewer sees is
ever touched. The sorted page comes from ``claim_selection.sorted_page``; each page costs a
fixed number of queries whatever its size (``tests/test_claims_table.py``).
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import claim_selection
from annotations.claim_selection import (
    DEFAULT_SORT,
    SORTS,
    BulkAssignForm,
    BulkFamilyForm,
    ClaimFilters,
    chosen_claims,
)
from annotations.htmx import HtmxHttpRequest
from annotations.models import BulkOutcome, Claim, ClaimFigure, StaleFamilyError
from annotations.roles import reviewer_required

RESULTS = "claim-results"
TEMPLATE = "annotations/claim_table.html"
# Sortable columns, each with the direction its header asks for first.
SORT_COLUMNS = {
    "statement": "statement",
    "article": "article",
    "state": "state",
    "verdict": "verdict",
    "assignee": "assignee",
    "figure": "-figure",
    "updated": "-updated",
}


def _sort_headers(sort: str) -> dict:
    """For each sortable column: the sort its header links to, and its aria-sort state."""
    headers = {}
    for column, first in SORT_COLUMNS.items():
        opposite = first[1:] if first.startswith("-") else f"-{first}"
        state = {column: "ascending", f"-{column}": "descending"}.get(sort, "none")
        headers[column] = {"next": opposite if sort == first else first, "aria": state}
    return headers


def _sort(request: HttpRequest) -> tuple[str, list[str]]:
    sort = request.GET.get("sort") or DEFAULT_SORT
    if sort.lstrip("-") in SORTS and sort.count("-") <= 1:
        return sort, []
    shown = sort if len(sort) <= 40 else sort[:39] + "…"
    return DEFAULT_SORT, [f"Sort: “{shown}” is not a column; the table is by last change."]


def _sort_label(sort: str) -> str:
    label = SORTS[sort.lstrip("-")].label.lower()
    return f"by {label}, {'descending' if sort.startswith('-') else 'ascending'}"


@dataclass
class Row:
    """One claim as its row shows it: text ready to print (a page of 50 rows renders in a few
    milliseconds only if the template does no work per row; ``make bench``, claims table)."""

    pk: str  # text: a number in a template is localised, at a cost per row
    version: str
    text: str
    claimant: str
    url: str
    article_title: str
    article_url: str  # the table of this article's claims
    publisher: str
    state: str
    state_label: str
    verdict: str
    verdict_colour: str
    assignee: str
    changed: str
    figures: list[str] = field(default_factory=list)
    family: dict | None = None


ROW_FIELDS = (
    "pk",
    "version",
    "article_id",
    "claimant",
    "state",
    "updated_at",
    "article__title",
    "article__publisher__name",
    "verdict__label",
    "verdict__colour",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "family_link__family_id",
    "family_link__family__version",
    "family_link__family__conflict",
    "family_link__family__resolution",
    "family_link__family__statement",
)


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _Addresses:
    """``reverse()`` once per kind of address, not once per row."""

    def __init__(self, request: HttpRequest):
        self.reader = reverse("annotations:article-detail", args=[0]).rsplit("0/", 1)[0]
        self.family = reverse("annotations:family-detail", args=[0]).rsplit("0/", 1)[0]
        query = request.GET.copy()
        for name in ("page", "article"):
            query.pop(name, None)
        self.table = "?" + (f"{query.urlencode()}&" if query else "") + "article="

    def claim(self, article_id: int, pk: int) -> str:
        return f"{self.reader}{article_id}/#claim-{pk}"


def _rows(request: HttpRequest, ids: list[int]) -> list[Row]:
    """The page's claims in page order, as rows: two queries (the claims with what their row
    names, and their figures)."""
    if not ids:
        return []
    found = {}
    texts = {"text_start": Substr("statement", 1, 300), "quote_start": Substr("quote", 1, 300)}
    for values in Claim.objects.filter(pk__in=ids).annotate(**texts).values(*ROW_FIELDS, *texts):
        found[values["pk"]] = values
    # A figure the statement restates from the quote is one figure to people: listed once.
    figures: dict[int, list[str]] = {}
    said: set[tuple] = set()
    for figure in ClaimFigure.objects.in_use().filter(claim_id__in=ids).order_by("claim", "pk"):
        if (figure.claim_id, figure.what_it_says) not in said:
            said.add((figure.claim_id, figure.what_it_says))
            figures.setdefault(figure.claim_id, []).append(figure.description)
    at = _Addresses(request)
    states = dict(Claim.State.choices)
    rows = []
    for pk in ids:
        if (values := found.get(pk)) is None:  # deleted between the two queries
            continue
        names = (values["assignee__first_name"], values["assignee__last_name"])
        assignee = " ".join(name for name in names if name) or values["assignee__username"]
        family = None
        if family_id := values["family_link__family_id"]:
            conflict = values["family_link__family__conflict"]
            family = {
                "pk": str(family_id),
                "version": str(values["family_link__family__version"]),
                "url": f"{at.family}{family_id}/",
                "statement": _shortened(values["family_link__family__statement"], 60),
                "conflict": (
                    ("resolved" if values["family_link__family__resolution"] else "open")
                    if conflict
                    else ""
                ),
            }
        rows.append(
            Row(
                pk=str(pk),
                version=str(values["version"]),
                text=_shortened(values["text_start"] or values["quote_start"], 180),
                claimant=values["claimant"],
                url=at.claim(values["article_id"], pk),
                article_title=_shortened(values["article__title"], 90),
                article_url=f"{at.table}{values['article_id']}",
                publisher=values["article__publisher__name"] or "",
                state=values["state"],
                state_label=states.get(values["state"], values["state"]),
                verdict=values["verdict__label"] or "",
                verdict_colour=values["verdict__colour"] or "",
                assignee=assignee or "",
                changed=_day(values["updated_at"]),
                figures=figures.get(pk, []),
                family=family,
            )
        )
    return rows


def _day(moment) -> str:
    """ "7 Dec 2026" in the site's time zone (what the ``date`` filter writes, at a fraction of
    its cost per row)."""
    local = timezone.localtime(moment)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _families_on(rows: list[Row]) -> list[dict]:
    """The families of the page's claims: what "add to a family" offers besides a new one."""
    found = {row.family["pk"]: row.family for row in rows if row.family}
    return [found[pk] for pk in sorted(found)]


def _render(request: HtmxHttpRequest, *, status: int = 200, **extra) -> HttpResponse:
    filters = ClaimFilters(request.GET, user=request.user)
    sort, sort_notices = _sort(request)
    selection = filters.matching()
    number = claim_selection.page_number(request.GET.get("page"))
    page = claim_selection.sorted_page(selection, sort, number)
    page.claims = _rows(request, page.ids)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "notices": filters.notices + sort_notices,
        "page": page,
        "sort": sort,
        "sort_headers": _sort_headers(sort),
        "sort_label": _sort_label(sort),
        "chosen_article": filters.chosen_article(),
        "filtered": bool(filters.values),
        "families": _families_on(page.claims),
        "people": filters.people,
        "action_query": query.urlencode(),
        "max_page": claim_selection.MAX_PAGE,
        **extra,
    }
    template = TEMPLATE
    if request.htmx.target == RESULTS:
        template += "#claim-results"
    return render(request, template, context, status=status)


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def claim_list(request: HtmxHttpRequest) -> HttpResponse:
    return _render(request)


def _report(
    request: HtmxHttpRequest, summary: str, outcomes: list[BulkOutcome], **extra
) -> HttpResponse:
    """The table again with what the action did to each claim; without htmx, the same as
    messages on the table's address (so a reload does not post again)."""
    if request.htmx.target == RESULTS:
        return _render(request, bulk_summary=summary, bulk_outcomes=outcomes, **extra)
    messages.info(request, summary)
    for outcome in outcomes:
        if outcome.kind != BulkOutcome.DONE:
            label = str(outcome.claim)
            messages.warning(request, f"Claim #{outcome.claim.pk} (“{label}”): {outcome.message}")
    if family := extra.get("stale_family"):
        messages.warning(
            request,
            f"Family #{family.pk} is now at version {family.version} with "
            f"{family.member_count} claims: “{family.statement}”.",
        )
    query = request.GET.urlencode()
    return redirect(reverse("annotations:claim-list") + (f"?{query}" if query else ""))


def _summary(done: str, outcomes: list[BulkOutcome]) -> str:
    counts = dict.fromkeys((BulkOutcome.DONE, BulkOutcome.UNCHANGED, BulkOutcome.REFUSED), 0)
    for outcome in outcomes:
        counts[outcome.kind] += 1
    parts = [f"{counts[BulkOutcome.DONE]} {done}"]
    if counts[BulkOutcome.UNCHANGED]:
        parts.append(f"{counts[BulkOutcome.UNCHANGED]} already so")
    if counts[BulkOutcome.REFUSED]:
        parts.append(f"{counts[BulkOutcome.REFUSED]} refused (see below)")
    return "; ".join(parts) + "."


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_bulk_assign(request: HtmxHttpRequest) -> HttpResponse:
    """Assign the ticked claims (of those the filters in the address select) to one person."""
    filters = ClaimFilters(request.GET, user=request.user)
    form = BulkAssignForm(request.POST, people=filters.people)
    if not form.is_valid():
        return _report(request, form.problem(), [])
    claims, outcomes = chosen_claims(filters.matching(), form.cleaned_data["claims"])
    person = form.cleaned_data["person"]
    outcomes += claims.assign(person, by=request.user, seen=form.cleaned_data["versions"])
    outcomes.sort(key=lambda outcome: outcome.claim.pk)
    whom = str(person) if person else "nobody"
    return _report(request, _summary(f"assigned to {whom}", outcomes), outcomes)


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_bulk_family(request: HtmxHttpRequest) -> HttpResponse:
    """Put the ticked claims (of those the filters in the address select) in a family: a new
    one, or one on the page at the version the page showed."""
    filters = ClaimFilters(request.GET, user=request.user)
    form = BulkFamilyForm(request.POST)
    if not form.is_valid():
        return _report(request, form.problem(), [])
    claims, outcomes = chosen_claims(filters.matching(), form.cleaned_data["claims"])
    family = form.cleaned_data["family"]
    try:
        family, added = claims.add_to_family(
            family,
            by=request.user,
            version=form.cleaned_data["family_version"],
            statement=form.cleaned_data["statement"],
        )
    except StaleFamilyError as error:
        now = next(iter(error.families), None)
        summary = (
            f"Nothing was added: {error} "
            + (f"Family #{now.pk} is now at version {now.version}." if now else "")
        ).strip()
        return _report(request, summary, outcomes, stale_family=now)
    outcomes = sorted(outcomes + added, key=lambda outcome: outcome.claim.pk)
    where = f"family #{family.pk}" if family else "a new family"
    return _report(request, _summary(f"put in {where}", outcomes), outcomes, done_family=family)
