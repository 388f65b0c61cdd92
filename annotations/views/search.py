"""The search page: everything the app holds, searched from the box in the header.

The query itself goes to ``annotations.search`` as typed (it makes safe terms of anything);
filters are allow-listed through ``forms.SearchFilters``: a value the form does not accept is
ignored, never passed to the ORM. htmx swaps the results in place, as on the dashboard.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from annotations import search as fulltext
from annotations.forms import SearchFilters
from annotations.htmx import HtmxHttpRequest
from annotations.models import Publisher, Verdict
from annotations.roles import reviewer_required


def _publishers() -> list[str]:
    return sorted(Publisher.objects.values_list("name", flat=True), key=str.casefold)


@reviewer_required
@vary_on_headers("HX-Request")
def search_page(request: HtmxHttpRequest) -> HttpResponse:
    form = SearchFilters(request.GET, verdicts=Verdict.objects.all(), publishers=_publishers())
    values = form.valid_values()
    kind = values.pop("kind", None)
    results = fulltext.search(
        request.GET.get("q", ""),
        kinds=[kind] if kind else None,
        filters=fulltext.Filters(**values),
        user=request.user,
        page=request.GET.get("page"),
    )
    context = {
        "form": form,
        "results": results,
        "kind": kind or "",
        "filtered": bool(values),
    }
    template = "annotations/search.html"
    if request.htmx.target == "search-results":
        template += "#search-results"
    return render(request, template, context)
