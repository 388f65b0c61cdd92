"""The articles dashboard: every article with its claims' progress, filters, search and a chart
of the current selection.

Query parameters are allow-listed through ``forms.DashboardFilters``: a value the form does
not accept is ignored, never passed to the ORM. Counts come from aggregate queries, so the
number of queries does not grow with the number of articles or claims.
"""

from collections import defaultdict

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from annotations import charts
from annotations.dashboard_rows import article_rows
from annotations.forms import DashboardFilters, LinkImportForm
from annotations.htmx import HtmxHttpRequest
from annotations.models import (
    Article,
    ArticleTally,
    ArticleVerdictTally,
    Claim,
    DeskTally,
    Publisher,
    Suggestion,
    User,
    Verdict,
)
from annotations.roles import reviewer_required

PAGE_SIZE = 25

# sort parameter → ORDER BY; the only orderings the dashboard will run.
SORTS = {
    "-date": ("Newest first", [F("published_on").desc(nulls_last=True), "-imported_at", "pk"]),
    "date": ("Oldest first", [F("published_on").asc(nulls_last=True), "imported_at", "pk"]),
    "title": ("Title A–Z", ["title", "pk"]),
    "-title": ("Title Z–A", ["-title", "pk"]),
    # The tally's copies of the publisher's name and the title (``with_tally``): these and the
    # progress sorts read a page from the tally's indexes.
    "publisher": (
        "Publisher A–Z",
        [F("tally__publisher_name").asc(nulls_last=True), "tally__title", "pk"],
    ),
    "-publisher": (
        "Publisher Z–A",
        [F("tally__publisher_name").desc(nulls_last=True), "tally__title", "pk"],
    ),
    "progress": (
        "Least approved first",
        [F("progress").asc(nulls_first=True), "tally__title", "pk"],
    ),
    "-progress": (
        "Most approved first",
        [F("progress").desc(nulls_last=True), "tally__title", "pk"],
    ),
}
DEFAULT_SORT = "-date"
# Sortable column → the ordering its header link asks for first.
SORT_COLUMNS = {
    "title": "title",
    "publisher": "publisher",
    "date": "-date",
    "progress": "-progress",
}


def _sort_headers(sort: str) -> dict:
    """For each sortable column: the sort its header links to, and its aria-sort state."""
    headers = {}
    for column, first in SORT_COLUMNS.items():
        opposite = first[1:] if first.startswith("-") else f"-{first}"
        state = {column: "ascending", f"-{column}": "descending"}.get(sort, "none")
        headers[column] = {"next": opposite if sort == first else first, "aria": state}
    return headers


def _counts(filters: dict, tallies) -> tuple[int, dict, dict]:
    """How many articles are selected, and their claims by state and by verdict id (None:
    without one), from tallies: no claim is read. The whole desk's, or an article-state,
    claim-state or verdict filter's, from the desk's totals of the profiles selected
    (``DeskTally.objects.selecting``: one query); any other selection's from its articles'
    tallies (``tallies``: one row per article, ``ArticleTally.objects.matching``) and verdict
    tallies (two queries)."""
    if (profiles := DeskTally.objects.selecting(filters)) is not None:
        by_state, by_verdict, articles = profiles.totals()
        return articles, by_state, by_verdict
    articles, by_state = tallies.articles_and_claims_by_state()
    by_verdict = defaultdict(int, ArticleVerdictTally.objects.of(tallies).claims_by_verdict())
    by_verdict[None] = sum(by_state.values()) - sum(by_verdict.values())
    return articles, by_state, by_verdict


def _charts(by_state: dict, by_verdict: dict, verdicts):
    """The charts of the selection's claims by state and by verdict."""
    state_parts = [
        charts.Part(state, state.label, by_state[state], charts.STATE_COLOURS[state])
        for state in Claim.State
    ]
    verdict_parts = [
        charts.Part(str(v.pk), v.label, by_verdict[v.pk], v.colour)
        for v in verdicts
        if v.is_active or by_verdict[v.pk]
    ]
    verdict_parts.append(
        charts.Part("none", "No verdict yet", by_verdict[None], charts.NO_VERDICT_COLOUR)
    )
    return (
        charts.bar_chart("states", "Claims by state", state_parts),
        charts.bar_chart("verdicts", "Claims by verdict", verdict_parts),
    )


def _decorate(articles: list[Article], verdicts, user) -> None:
    """Give each article on the page its claim counts by state, progress segments, verdict
    chips and the number of its claims assigned to ``user``.

    All of it comes from one grouped query over the page's claims, and the unreviewed
    check-worthy suggestions from one more.
    """
    by_state = defaultdict(lambda: defaultdict(int))
    by_verdict = defaultdict(dict)
    mine = defaultdict(int)
    if articles:
        rows = (
            Claim.objects.filter(article__in=[a.pk for a in articles])
            .values_list("article_id", "state", "verdict_id")
            .annotate(n=Count("pk"), mine=Count("pk", filter=Q(assignee=user)))
            .order_by()
        )
        for article_id, state, verdict_id, n, n_mine in rows:
            by_state[article_id][state] += n
            if verdict_id is not None:
                by_verdict[article_id][verdict_id] = by_verdict[article_id].get(verdict_id, 0) + n
            mine[article_id] += n_mine
    suggested = Suggestion.objects.unreviewed_counts([a.pk for a in articles]) if articles else {}
    for article in articles:
        article.suggestions_unreviewed = suggested.get(article.pk, 0)
        counts = by_state[article.pk]
        article.claims_total = sum(counts.values())
        article.claims_approved = counts[Claim.State.APPROVED]
        article.review_state = Article.state_from(counts, article.publication)
        article.assigned_to_me = mine[article.pk]
        article.progress_segments = charts.stacked(
            [
                charts.Part(state, state.label, counts[state], charts.STATE_COLOURS[state])
                for state in Claim.State
            ]
        )
        chips = by_verdict[article.pk]
        article.verdict_chips = [(v, chips[v.pk]) for v in verdicts if v.pk in chips]


@reviewer_required
@vary_on_headers("HX-Request")
def article_list(request: HtmxHttpRequest) -> HttpResponse:
    verdicts = list(Verdict.objects.all())
    # Publishers with articles: a filter value that matches nothing is not offered.
    publishers = Publisher.objects.names_with_articles()
    assignees = User.objects.assignable_options()
    form = DashboardFilters(
        request.GET,
        verdicts=verdicts,
        publishers=publishers,
        assignees=assignees,
        sorts=[(key, label) for key, (label, _) in SORTS.items()],
    )
    values = form.valid_values()
    sort = values.get("sort", DEFAULT_SORT)

    filters = form.matching(values, request.user)
    # One tally per article: the selection's count and its charts are read from them.
    tallies = ArticleTally.objects.matching(**filters)
    articles = Article.objects.of_tallies(tallies)
    articles = articles.select_related("publisher").only(
        "title", "publisher__name", "published_on", "publication"
    )
    if sort in ("progress", "-progress"):
        # Only this sort needs counts over the whole selection; the others page first and
        # count the claims of the 25 articles shown.
        articles = articles.with_progress()
    elif sort in ("publisher", "-publisher"):
        articles = articles.with_tally()
    count, by_state, by_verdict = _counts(filters, tallies)
    paginator = Paginator(articles.order_by(*SORTS[sort][1]), PAGE_SIZE)
    paginator.count = count  # the same number, without reading the articles' table
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _decorate(page.object_list, verdicts, request.user)
    state_chart, verdict_chart = _charts(by_state, by_verdict, verdicts)

    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "sort_headers": _sort_headers(sort),
        "state_chart": state_chart,
        "verdict_chart": verdict_chart,
        "article_rows": article_rows(page.object_list, verdicts),
        "state_legend": [(state, charts.STATE_COLOURS[state]) for state in Claim.State],
        "filtered": any(key != "sort" for key in values),
        "link_form": LinkImportForm(),
    }
    template = "annotations/article_list.html"
    if request.htmx.target == "article-results":
        template += "#article-results"
    return render(request, template, context)
