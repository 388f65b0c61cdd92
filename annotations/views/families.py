"""Claims across articles: a claim's figures (read from its words, corrected by reviewers), the
claims in other articles that say the same (proposals, families) and the families whose
figures disagree (conflicts).

The claim panel loads its "figures and related claims" region from ``claim_related`` after it
is drawn, so opening a claim costs nothing more; every action in that region answers with the
region again.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.forms import (
    FamilyCiteForm,
    FamilyMergeForm,
    FamilyRemoveForm,
    FamilyResolveForm,
    FamilySplitForm,
    FamilyStatementForm,
    FigureCorrectionForm,
    FigureRemoveForm,
    ProposalForm,
)
from annotations.htmx import HtmxHttpRequest
from annotations.models import (
    Citation,
    Claim,
    ClaimFamily,
    ClaimFigure,
    FamilyMembership,
    ProposalRejection,
    StaleFamilyError,
    StaleFigureError,
    WorkflowError,
)
from annotations.roles import reviewer_required

RELATED_TARGET = "claim-related"
PROPOSAL_ACTIONS = [
    ("annotations:claim-proposal-confirm", "Same claim"),
    ("annotations:claim-proposal-reject", "Not the same"),
]


def _claim_for_user(article_pk: int, pk: int) -> Claim:
    """Every role may read every claim; a claim is reached through its article (else 404)."""
    return get_object_or_404(Claim.objects.select_related("article"), article_id=article_pk, pk=pk)


def _related_url(claim: Claim) -> str:
    return reverse("annotations:claim-related", args=[claim.article_id, claim.pk])


def related_context(claim: Claim, **overrides) -> dict:
    """What the region shows: the claim's figures with a correction form each, its family with
    the other members, and the claims of other articles proposed as the same claim."""
    figures = list(claim.figures.all())
    for figure in figures:
        figure.form = FigureCorrectionForm.for_figure(figure)
    link = FamilyMembership.objects.filter(claim=claim).select_related("family").first()
    family = link.family if link else None
    members = []
    if family is not None:
        members = [m for m in family.members() if m.pk != claim.pk]
    checks = claim.published_checks(figures)
    if checks:
        cited = set(claim.citations.values_list("source__url", flat=True))
        for check in checks:
            check.cited = check.review.source_url in cited
    context = {
        "claim": claim,
        "figures": figures,
        "published_checks": checks,
        "family": family,
        "members": members,
        "proposals": claim.proposals(),
        "proposal_actions": PROPOSAL_ACTIONS,
        "related_url": _related_url(claim),
    }
    context.update(overrides)
    return context


def _render_related(request: HtmxHttpRequest, claim: Claim, *, status=200, **overrides):
    context = related_context(claim, **overrides)
    # In the claim panel, citing a published fact-check redraws the panel (its list of
    # sources); on the region's own page it is a plain form.
    current = request.htmx.current_url_abs_path or "" if request.htmx else ""
    context["in_panel"] = bool(request.htmx) and not current.startswith(_related_url(claim))
    if request.htmx and request.htmx.target == RELATED_TARGET:
        template = "annotations/families/related.html#claim-related"
    else:
        template = "annotations/families/related.html"
    return render(request, template, context, status=status)


def _done(request: HtmxHttpRequest, claim: Claim, notice: str) -> HttpResponse:
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


# --- Proposals: the same claim in other articles -----------------------------------------------


def _other_claim(form: ProposalForm) -> Claim | None:
    return Claim.objects.filter(pk=form.cleaned_data["other"]).select_related("article").first()


def _stale_families(error: StaleFamilyError) -> list[dict]:
    """The families a refusal names, as they are now, with their members."""
    return [{"family": family, "members": list(family.members())} for family in error.families]


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_proposal_confirm(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """One click: the proposed claim makes the same claim; both join one family."""
    claim = _claim_for_user(article_pk, pk)
    form = ProposalForm(request.POST)
    other = _other_claim(form) if form.is_valid() else None
    if other is None:
        return _render_related(
            request, claim, related_error="That proposal is gone: reload the claim."
        )
    try:
        family = ClaimFamily.confirm(claim, other, by=request.user, seen=form.seen())
    except StaleFamilyError as error:
        return _render_related(
            request, claim, related_error=str(error), stale_families=_stale_families(error)
        )
    except WorkflowError as error:
        return _render_related(request, claim, related_error=str(error))
    return _done(request, claim, f"Claim {other.pk} joined family #{family.pk} with this claim.")


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_proposal_reject(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """Not the same claim: recorded, and never proposed again for either claim."""
    claim = _claim_for_user(article_pk, pk)
    form = ProposalForm(request.POST)
    other = _other_claim(form) if form.is_valid() else None
    if other is None or other.pk == claim.pk:
        return _render_related(
            request, claim, related_error="That proposal is gone: reload the claim."
        )
    ProposalRejection.record(claim, other, by=request.user)
    return _done(request, claim, f"Claim {other.pk} will not be proposed again.")


# --- Families -----------------------------------------------------------------------------------


def _family_for_user(pk: int) -> ClaimFamily:
    # Every reviewer may see every family, as every claim.
    return get_object_or_404(ClaimFamily.objects.select_related("merged_into"), pk=pk)


def family_context(family: ClaimFamily, **overrides) -> dict:
    members = list(family.members())
    citations = (
        Citation.objects.filter(claim__family_link__family=family)
        .select_related("source", "claim")
        .order_by("source__title", "created_at", "pk")
    )
    evidence: dict[int, dict] = {}
    for citation in citations:
        entry = evidence.setdefault(
            citation.source_id, {"source": citation.source, "citation": citation, "cited_by": []}
        )
        entry["cited_by"].append(citation.claim)
    member_ids = {member.pk for member in members}
    for entry in evidence.values():
        cited = {claim.pk for claim in entry["cited_by"]}
        entry["missing"] = [member for member in members if member.pk in member_ids - cited]
    context = {
        "family": family,
        "members": members,
        "figure_groups": family.figure_groups(),
        "resolve_form": FamilyResolveForm(
            initial={
                "version": family.version,
                "resolution": family.resolution,
                "note": family.resolution_note,
            }
        ),
        "evidence": list(evidence.values()),
        "any_approved": any(member.state == Claim.State.APPROVED for member in members),
        "events": list(family.events.select_related("by", "other_family")[:200]),
        "statement_form": FamilyStatementForm(
            initial={"version": family.version, "statement": family.statement}
        ),
        "split_form": FamilySplitForm(members=members, initial={"version": family.version}),
        "merge_form": FamilyMergeForm(initial={"version": family.version}),
    }
    context.update(overrides)
    return context


def _render_family(request: HttpRequest, family: ClaimFamily, **overrides) -> HttpResponse:
    return render(
        request, "annotations/families/family_detail.html", family_context(family, **overrides)
    )


def _family_refused(request, family, error: WorkflowError, **forms) -> HttpResponse:
    fresh = _family_for_user(family.pk)
    overrides = {"family_error": str(error), **forms}
    if isinstance(error, StaleFamilyError):
        overrides["stale_families"] = [
            entry for entry in _stale_families(error) if entry["family"].pk != family.pk
        ]
        overrides["stale_family"] = True
    return _render_family(request, fresh, **overrides)


def _family_done(request, family: ClaimFamily, notice: str) -> HttpResponse:
    messages.success(request, notice)
    return redirect(family.get_absolute_url())


@reviewer_required
@require_GET
def family_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_family(request, _family_for_user(pk))


@reviewer_required
@require_POST
def family_update(request: HttpRequest, pk: int) -> HttpResponse:
    family = _family_for_user(pk)
    form = FamilyStatementForm(request.POST)
    if not form.is_valid():
        return _render_family(request, family, statement_form=form)
    try:
        family.edit(
            by=request.user,
            version=form.cleaned_data["version"],
            statement=form.cleaned_data["statement"],
        )
    except WorkflowError as error:
        return _family_refused(request, family, error, statement_form=form)
    return _family_done(request, family, "Canonical statement saved.")


@reviewer_required
@require_POST
def family_remove_member(request: HttpRequest, pk: int) -> HttpResponse:
    family = _family_for_user(pk)
    form = FamilyRemoveForm(request.POST)
    if not form.is_valid():
        return _render_family(request, family, family_error="Say why the claim leaves the family.")
    claim = Claim.objects.filter(pk=form.cleaned_data["claim"]).first()
    try:
        if claim is None:
            raise StaleFamilyError([family], "That claim no longer exists.")
        family.remove_member(
            claim,
            by=request.user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except WorkflowError as error:
        return _family_refused(request, family, error)
    return _family_done(request, family, f"Claim {claim.pk} left the family.")


@reviewer_required
@require_POST
def family_split(request: HttpRequest, pk: int) -> HttpResponse:
    family = _family_for_user(pk)
    members = list(family.members())
    form = FamilySplitForm(request.POST, members=members)
    if not form.is_valid():
        return _render_family(request, family, split_form=form)
    chosen = [m for m in members if m.pk in set(form.cleaned_data["claims"])]
    try:
        new = family.split(
            chosen,
            by=request.user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except WorkflowError as error:
        return _family_refused(request, family, error, split_form=form)
    return _family_done(request, family, f"{len(chosen)} claims split off into family #{new.pk}.")


@reviewer_required
@require_POST
def family_merge(request: HttpRequest, pk: int) -> HttpResponse:
    family = _family_for_user(pk)
    form = FamilyMergeForm(request.POST)
    if not form.is_valid():
        return _render_family(request, family, merge_form=form)
    other = ClaimFamily.objects.filter(pk=form.cleaned_data["other"]).first()
    if other is None:
        form.add_error("other", "There is no family with that number.")
        return _render_family(request, family, merge_form=form)
    try:
        family.merge(
            other,
            by=request.user,
            version=form.cleaned_data["version"],
            other_version=form.cleaned_data["other_version"],
        )
    except WorkflowError as error:
        return _family_refused(request, family, error, merge_form=form)
    return _family_done(request, family, f"Family #{other.pk} merged into this family.")


@reviewer_required
@require_POST
def family_cite(request: HttpRequest, pk: int) -> HttpResponse:
    """A source one member cites, cited for every member in one step (through each claim's
    own rules: an approved member gets a proposed change for a second person to approve)."""
    family = _family_for_user(pk)
    form = FamilyCiteForm(request.POST)
    citation = None
    if form.is_valid():
        citation = (
            Citation.objects.filter(
                pk=form.cleaned_data["citation"], claim__family_link__family=family
            )
            .select_related("source")
            .first()
        )
    if citation is None:
        return _render_family(
            request, family, family_error="That citation is gone from the family: reload it."
        )
    try:
        outcomes = family.cite_for_all(
            citation.source,
            by=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["change_reason"],
            relation=citation.relation,
            quote=citation.quote,
            locator=citation.locator,
            note=citation.note,
        )
    except WorkflowError as error:
        return _family_refused(request, family, error)
    return _render_family(
        request, _family_for_user(pk), cite_outcomes=outcomes, cited=citation.source
    )


@reviewer_required
@require_POST
def family_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Record why the members' figures disagree (different definitions, a revised estimate, one
    source wrong…), or reopen the conflict with no resolution."""
    family = _family_for_user(pk)
    form = FamilyResolveForm(request.POST)
    if not form.is_valid():
        return _render_family(request, family, resolve_form=form)
    try:
        family.resolve(
            by=request.user,
            version=form.cleaned_data["version"],
            resolution=form.cleaned_data["resolution"],
            note=form.cleaned_data["note"],
        )
    except WorkflowError as error:
        return _family_refused(request, family, error, resolve_form=form)
    return _family_done(request, family, "Resolution recorded.")
