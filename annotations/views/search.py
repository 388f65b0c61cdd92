"""The search page: everything the app holds, searched from the box in the header.

The query itself goes to ``annotations.search`` as typed (it makes safe terms of anything);
filters are allow-listed through ``SearchFilters``: a value the form does not accept is
ignored, never passed to the ORM. htmx swaps the results in place, as on the dashboard.
"""

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from annotations import search as fulltext
from annotations.forms import choice_selects, datalist_options
from annotations.htmx import HtmxHttpRequest
from annotations.models import Claim, Publisher, Source, Verdict
from annotations.roles import reviewer_required

ANY = [("", "Any")]


class SearchFilters(forms.Form):
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Everything")] + [(k.name, k.label) for k in fulltext.KINDS.values()],
    )
    verdict = forms.TypedChoiceField(label="Verdict", required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(
        label="Claim state", required=False, choices=ANY + Claim.State.choices
    )
    # Typed, with the articles' publishers offered: a source library's publishers run to
    # thousands (4,800 in make bench-scale's desk), too many for a select.
    publisher = forms.CharField(
        label="Publisher",
        required=False,
        max_length=300,
        widget=forms.TextInput(
            attrs={"list": "search-publishers", "autocomplete": "off", "placeholder": "Any"}
        ),
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reliability = forms.ChoiceField(
        label="Source reliability",
        required=False,
        choices=ANY
        + [(fulltext.UNRATED, "Not yet rated")]
        + [(value, label) for value, label in Source.Reliability.choices if value],
    )

    def __init__(self, data, *, verdicts, publishers, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["verdict"].choices = ANY + [(v.pk, v.label) for v in verdicts]
        self.publishers = publishers

    def selects(self):
        return choice_selects(self, ("verdict", "state", "reliability"))

    def publisher_options(self):
        """The ``<option>``s of the publisher box's list: the articles' publishers."""
        return datalist_options(self.publishers)

    def valid_values(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


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
