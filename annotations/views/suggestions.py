"""Check-worthy suggestions in the reader: a reviewer dismisses one (accepting one is creating
its claim, through the claim form the reader prefills)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.htmx import HtmxHttpRequest
from annotations.models import Article, Suggestion
from annotations.roles import reviewer_required


@reviewer_required
@require_POST
def suggestion_dismiss(request: HtmxHttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """Record that the reviewer turned the sentence down; it is never suggested again for
    this article, and the reader's suggestions are drawn anew."""
    # Every signed-in reviewer may read (and so review) every article; unknown ids are 404.
    article = get_object_or_404(Article, pk=article_pk)
    suggestion = Suggestion.objects.filter(article=article, pk=pk).first()
    in_reader = request.htmx.target == "suggestions"
    if suggestion is None and not in_reader:
        raise Http404("No such suggestion in this article.")
    if suggestion is None:
        # The article's text changed since the reader was loaded, and its suggestions with it:
        # the reader gets them anew (htmx swaps no 404).
        notice = (
            "That suggestion is gone: the article's text changed. Its suggestions are shown anew."
        )
    else:
        suggestion.dismiss(by=request.user)
        notice = "Suggestion dismissed: it will not be suggested again."
    if in_reader:
        context = {
            "article": article,
            "suggestions": Suggestion.objects.for_reader(article),
            "suggestion_notice": notice,
        }
        return render(request, "annotations/article_detail.html#suggestions", context)
    messages.info(request, notice)
    return redirect(article)


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def suggestion_checks(request: HtmxHttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """Published fact-checks of a suggested sentence, asked for by the reader when the
    sentence is shown (n/N): who checked it, when, with what rating."""
    article = get_object_or_404(Article, pk=article_pk)
    suggestion = get_object_or_404(Suggestion.objects.filter(article=article), pk=pk)
    if request.htmx.target != "suggestion-checks":
        return redirect(article)
    suggestion.article = article  # its text, read once
    context = {"article": article, "suggestion_checks": suggestion.published_checks()}
    return render(request, "annotations/article_detail.html#suggestion-checks", context)
