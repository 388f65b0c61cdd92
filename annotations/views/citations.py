"""Citations in the claim panel: search the source library, cite a source, remove a citation."""

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import snapshots
from annotations.forms import CitationForm, CitationRemoveForm, PublishedCitationForm
from annotations.htmx import HtmxHttpRequest
from annotations.models import EditResult, Source, WorkflowError
from annotations.reader import (
    PROPOSED,
    RELOAD,
    claim_url,
    done,
    get_claim_for_user,
    panel_post,
    refused,
    render_claim,
)
from annotations.roles import reviewer_required

SEARCH_LIMIT = 8


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def source_search(request: HtmxHttpRequest) -> HttpResponse:
    """Sources whose title, URL or publisher contain ``q``: a small list for the citation form."""
    q = request.GET.get("q", "").strip()[:200]
    sources = []
    if len(q) >= 2:
        sources = list(Source.objects.search(q).only("title", "url", "publisher")[:SEARCH_LIMIT])
    context = {"q": q, "sources": sources}
    if request.htmx and request.htmx.target == "source-results":
        return render(request, "annotations/claims/source_results.html#source-results", context)
    return render(request, "annotations/claims/source_results.html", context)


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def citation_create(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)
    form = CitationForm(request.POST)
    if not form.is_valid():
        # Beside the errors, the library's source the typed link or title already is.
        return render_claim(
            request, claim, citation_form=form, existing_source=form.existing_source
        )

    def cite(data) -> str:
        was_approved = claim.state == claim.State.APPROVED
        source = form.source_to_cite(request.user)
        claim.add_citation(
            by=request.user,
            version=data["version"],
            source=source,
            reason=data["change_reason"],
            **form.citation_fields(),
        )
        # A cited page is archived before it changes or disappears (in the background).
        archiving = snapshots.archive_on_citing(source, by=request.user)
        # On an approved claim the citation is part of a proposed change (see
        # Claim.add_citation).
        notice = PROPOSED if was_approved else "Source cited."
        if archiving:
            notice += " Its page is being archived: Snapshots beside it shows the copies."
        return notice

    return panel_post(request, claim, form, cite, form_name="citation_form")


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def citation_from_published(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """One click on a published fact-check the panel points at: its page is cited."""
    claim = get_claim_for_user(request, article_pk, pk)
    form = PublishedCitationForm(request.POST)
    if not form.is_valid():
        gone = "review" in form.errors
        why = "That fact-check is no longer stored." if gone else RELOAD
        return refused(request, claim, WorkflowError(why))
    was_approved = claim.state == claim.State.APPROVED
    review = form.cleaned_data["review"]
    try:
        claim.add_citation(
            by=request.user,
            version=form.cleaned_data["version"],
            source=review.source_to_cite(by=request.user),
            reason=form.cleaned_data["change_reason"],
            **form.citation_fields(),
        )
    except WorkflowError as error:
        return refused(request, claim, error)
    except IntegrityError:
        # Someone added the same page to the library a moment before: it is there now.
        return refused(
            request, claim, WorkflowError("The page joined the library meanwhile: cite it again.")
        )
    notice = f"{review.organisation or 'The'} fact-check cited as a source."
    return done(request, claim, PROPOSED if was_approved else notice)


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def citation_delete(
    request: HttpRequest, article_pk: int, pk: int, citation_pk: int
) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)
    citation = get_object_or_404(claim.citations, pk=citation_pk)
    form = CitationRemoveForm(request.POST)
    if not form.is_valid():
        return redirect(claim_url(claim))
    try:
        result = claim.remove_citation(
            citation,
            by=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["change_reason"],
        )
    except WorkflowError as error:
        return refused(request, claim, error)
    return done(request, claim, PROPOSED if result == EditResult.PROPOSED else "Citation removed.")
