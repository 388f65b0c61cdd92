"""Claims across articles: a claim's figures (read from its words, corrected by reviewers), the
claims in other articles that say the same (proposals, families) and the families whose
figures disagree (conflicts).

The claim panel loads its "figures and related claims" region from ``claim_related`` after it
is drawn, so opening a claim costs nothing more; every action in that region answers with the
region again.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.forms import FigureCorrectionForm, FigureRemoveForm
from annotations.models import Claim, ClaimFigure, StaleFigureError, WorkflowError
from annotations.roles import reviewer_required

RELATED_TARGET = "claim-related"


def _claim_for_user(article_pk: int, pk: int) -> Claim:
    """Every role may read every claim; a claim is reached through its article (else 404)."""
    return get_object_or_404(Claim.objects.select_related("article"), article_id=article_pk, pk=pk)


def _related_url(claim: Claim) -> str:
    return reverse("annotations:claim-related", args=[claim.article_id, claim.pk])


def related_context(claim: Claim, **overrides) -> dict:
    """What the region shows: the claim's figures with a correction form each."""
    figures = list(claim.figures.all())
    for figure in figures:
        figure.form = FigureCorrectionForm.for_figure(figure)
    context = {"claim": claim, "figures": figures, "related_url": _related_url(claim)}
    context.update(overrides)
    return context


def _render_related(request: HttpRequest, claim: Claim, *, status=200, **overrides):
    context = related_context(claim, **overrides)
    if request.htmx and request.htmx.target == RELATED_TARGET:
        template = "annotations/families/related.html#claim-related"
    else:
        template = "annotations/families/related.html"
    return render(request, template, context, status=status)


def _done(request: HttpRequest, claim: Claim, notice: str) -> HttpResponse:
    if request.htmx and request.htmx.target == RELATED_TARGET:
        return _render_related(request, claim, notice=notice)
    return redirect(_related_url(claim))


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def claim_related(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = _claim_for_user(article_pk, pk)
    return _render_related(request, claim)


# --- Figures ------------------------------------------------------------------------------------


def _figure_for_user(article_pk: int, pk: int, figure_pk: int) -> tuple[Claim, ClaimFigure]:
    claim = _claim_for_user(article_pk, pk)
    return claim, get_object_or_404(ClaimFigure, claim=claim, pk=figure_pk)


def _figure_refused(request, claim, figure, error: Exception, form) -> HttpResponse:
    """Say why; a stale correction shows the stored figure and keeps what was typed."""
    stale = error.current if isinstance(error, StaleFigureError) else None
    if stale is not None and form.is_bound:
        data = form.data.copy()
        data[form.add_prefix("version")] = stale.version
        form = type(form)(data, prefix=form.prefix)
        form.is_valid()
    return _render_related(
        request,
        claim,
        figure_error=str(error),
        failed_figure=figure.pk,
        stale_figure=stale,
        failed_form=form,
    )


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_figure_update(request: HttpRequest, article_pk: int, pk: int, figure_pk: int):
    """A reviewer corrects a figure the reader got wrong (or could not read)."""
    claim, figure = _figure_for_user(article_pk, pk, figure_pk)
    form = FigureCorrectionForm(request.POST, prefix=f"figure-{figure.pk}")
    if not form.is_valid():
        return _render_related(request, claim, failed_figure=figure.pk, failed_form=form)
    try:
        figure.correct(
            by=request.user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data.get("note", ""),
            **form.cleaned_data["reading"],
        )
    except WorkflowError as error:
        return _figure_refused(request, claim, figure, error, form)
    return _done(request, claim, f"Figure “{figure.text}” corrected.")


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_figure_remove(request: HttpRequest, article_pk: int, pk: int, figure_pk: int):
    """A wrong figure leaves the comparisons; it stays listed, marked, with the reason."""
    claim, figure = _figure_for_user(article_pk, pk, figure_pk)
    form = FigureRemoveForm(request.POST, prefix=f"remove-{figure.pk}")
    if not form.is_valid():
        return _render_related(request, claim, failed_figure=figure.pk, remove_form=form)
    try:
        figure.remove(
            by=request.user, version=form.cleaned_data["version"], note=form.cleaned_data["note"]
        )
    except WorkflowError as error:
        return _figure_refused(request, claim, figure, error, form)
    return _done(request, claim, f"Figure “{figure.text}” removed from the comparisons.")
