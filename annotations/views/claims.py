"""The claim panel: creating claims from a selection, editing them, the review workflow."""

from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.anchoring import AnchorError
from annotations.forms import (
    ClaimCreateForm,
    ClaimDetailsForm,
    CommentForm,
    DismissForm,
    SendBackForm,
    VerdictForm,
    VersionedForm,
)
from annotations.htmx import HtmxHttpRequest
from annotations.models import (
    Citation,
    Claim,
    EditResult,
    StaleClaimError,
    User,
    Verdict,
    WorkflowError,
)
from annotations.ratelimit import rate_limited
from annotations.reader import (
    PANEL_TARGETS,
    PROPOSED,
    ClaimChange,
    claim_url,
    get_article_for_user,
    get_claim_for_user,
    panel_context,
    panel_post,
    refused,
    render_claim,
    render_workspace,
)
from annotations.roles import editor_required, reviewer_required

HISTORY_LIMIT = 60
HISTORY_HIDDEN_FIELDS = {"version", "updated_at", "prefix", "suffix", "created_at"}


# --- Creating ---------------------------------------------------------------------------------


@reviewer_required
@rate_limited("claim-create")
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def claim_create(request: HtmxHttpRequest, article_pk: int) -> HttpResponse:
    """GET: the new-claim form for a selection (checked, not saved). POST: create the claim.

    Offsets are code points in the article body; ``quote`` is the text the browser showed,
    which must match the body there.
    """
    # Drawing only the claim panel (the reader's form posts here for it), no publisher is shown.
    panel_only = bool(request.htmx) and request.htmx.target in PANEL_TARGETS
    article = get_article_for_user(request, article_pk, with_publisher=not panel_only)
    if request.method == "GET" and request.htmx and request.htmx.target == "new-claim-category":
        # The reader fills its new-claim form in the browser, then asks here which category
        # the selected words suggest: the rule is the server's.
        form = ClaimCreateForm.suggesting(article, request.GET.get("quote", ""))
        return render(
            request,
            "annotations/claims/panel.html#new-claim-category",
            {"article": article, "form": form},
        )
    data = request.POST if request.method == "POST" else request.GET
    form = ClaimCreateForm(data if data else None, article=article)
    if request.method == "POST" and form.is_valid():
        try:
            claim = Claim.objects.create_from_selection(
                article,
                form.cleaned_data["start"],
                form.cleaned_data["end"],
                form.cleaned_data["quote"],
                by=request.user,
                part=form.cleaned_data["part"],
                statement=form.cleaned_data["statement"].strip(),
                claimant=form.cleaned_data["claimant"].strip(),
                claim_date=form.cleaned_data["claim_date"],
                category=form.cleaned_data["category"],
            )
        except AnchorError as error:
            form.add_error(None, str(error))
        else:
            claim.article = article
            if request.htmx and request.htmx.target in PANEL_TARGETS:
                return render_workspace(
                    request,
                    article,
                    panel_context(request, claim, new=True, notice="Claim added."),
                    change=ClaimChange.of(claim, ClaimChange.CREATED),
                )
            return redirect(claim_url(claim))
    elif form.is_bound and form.is_valid():
        # Show the quote as it will be saved (trimmed) in the form.
        selector = form.selector
        form = ClaimCreateForm(
            initial={
                "part": form.cleaned_data["part"],
                "start": selector.start,
                "end": selector.end,
                "quote": selector.exact,
                "category": form.cleaned_data["category"],
                "statement": form.cleaned_data["statement"],
                "claimant": form.cleaned_data["claimant"],
                "claim_date": form.cleaned_data["claim_date"],
            },
            article=article,
        )
    return render_workspace(request, article, {"panel": "new", "create_form": form})


# --- Reading and editing ----------------------------------------------------------------------


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def claim_detail(request: HtmxHttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)
    if request.htmx.target == "claim-live-notice":
        # Live: someone changed the claim while this panel's owner typed (live.js).
        context = {"claim": claim, "last_change": claim.last_change()}
        return render(request, "annotations/claims/panel.html#claim-live-notice", context)
    return render_workspace(request, claim.article, panel_context(request, claim))


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_update(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)

    def edit(data) -> str:
        changes = dict(data)
        version, reason = changes.pop("version"), changes.pop("change_reason")
        result = claim.edit(by=request.user, version=version, reason=reason, **changes)
        return PROPOSED if result == EditResult.PROPOSED else "Saved."

    form = ClaimDetailsForm(request.POST)
    return panel_post(request, claim, form, edit, form_name="details_form")


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_propose(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)

    def propose(data) -> str:
        result = claim.propose_verdict(
            by=request.user,
            version=data["version"],
            verdict=data["verdict"],
            explanation=data["explanation"],
            reason=data["change_reason"],
        )
        if result == EditResult.PROPOSED:
            return PROPOSED
        return "Verdict proposed: it now awaits an editor's review."

    form = VerdictForm(request.POST)
    return panel_post(request, claim, form, propose, form_name="verdict_form")


@editor_required
@require_POST
@vary_on_headers("HX-Request")
def claim_approve(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)

    def approve(data) -> str:
        claim.approve(by=request.user, version=data["version"])
        return "Verdict approved."

    return panel_post(request, claim, VersionedForm(request.POST), approve)


@editor_required
@require_POST
@vary_on_headers("HX-Request")
def claim_send_back(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)

    def send_back(data) -> str:
        claim.send_back(by=request.user, version=data["version"], reason=data["reason"])
        return "Sent back to the reviewers."

    form = SendBackForm(request.POST)
    return panel_post(request, claim, form, send_back, form_name="send_back_form")


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_dismiss(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """Mark the claim not checkable, saying why: it is then done, and never published."""
    claim = get_claim_for_user(request, article_pk, pk)

    def dismiss(data) -> str:
        claim.dismiss(by=request.user, version=data["version"], reason=data["reason"])
        return "Marked not checkable."

    form = DismissForm(request.POST)
    return panel_post(request, claim, form, dismiss, form_name="dismiss_form")


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_reopen(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)

    def reopen(data) -> str:
        claim.reopen(by=request.user, version=data["version"])
        return "Reopened: back in progress."

    return panel_post(request, claim, VersionedForm(request.POST), reopen)


# --- Changes to an approved claim (ClaimRevision) ----------------------------------------------


@editor_required
@require_POST
@vary_on_headers("HX-Request")
def claim_revision_approve(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """A second editor applies the change waiting beside an approved claim."""
    claim = get_claim_for_user(request, article_pk, pk)

    def approve(data) -> str:
        claim.approve_revision(by=request.user, version=data["version"])
        return "Change approved: the claim shows it and stays approved."

    return panel_post(request, claim, VersionedForm(request.POST), approve)


@editor_required
@require_POST
@vary_on_headers("HX-Request")
def claim_revision_send_back(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)

    def send_back(data) -> str:
        claim.send_back_revision(by=request.user, version=data["version"], reason=data["reason"])
        return "Change sent back: the claim stays as it was approved."

    form = SendBackForm(request.POST)
    return panel_post(request, claim, form, send_back, form_name="revision_send_back_form")


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_revision_withdraw(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """The author of a pending change takes it back."""
    claim = get_claim_for_user(request, article_pk, pk)

    def withdraw(data) -> str:
        claim.withdraw_revision(by=request.user, version=data["version"])
        return "Change withdrawn: the claim stays as it was approved."

    return panel_post(request, claim, VersionedForm(request.POST), withdraw)


@reviewer_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def claim_delete(request: HtmxHttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (history keeps the claim)."""
    claim = get_claim_for_user(request, article_pk, pk)
    if request.method == "GET":
        return render_claim(request, claim, panel="delete")
    form = VersionedForm(request.POST)
    if not form.is_valid():
        return render_claim(request, claim, panel="delete")
    deleted = ClaimChange.of(claim, ClaimChange.DELETED)
    try:
        claim.delete_version(by=request.user, version=form.cleaned_data["version"])
    except (StaleClaimError, WorkflowError) as error:
        return refused(request, claim, error)
    article = claim.article
    if request.htmx and request.htmx.target in PANEL_TARGETS:
        return render_workspace(request, article, {"panel": "deleted"}, change=deleted)
    return redirect(article.get_absolute_url())


@reviewer_required
@require_POST
@vary_on_headers("HX-Request")
def claim_comment(request: HtmxHttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render_claim(request, claim, comment_form=form)
    claim.add_comment(by=request.user, body=form.cleaned_data["body"])
    if request.htmx and request.htmx.target in PANEL_TARGETS:
        return render_claim(request, claim, notice="Comment added.")
    return redirect(claim_url(claim))


# --- History ----------------------------------------------------------------------------------


USER_FIELDS = {"assignee", "verdict_proposed_by", "approved_by"}


def _person(user) -> str:
    return user.get_full_name() or user.username


def _shown(field, value, verdicts: dict, users: dict) -> str:
    """A value in the history as the rest of the app says it: state and category labels,
    verdict labels, people's names, times to the minute in local time, dates as dates."""
    if value in (None, "", []):
        return "—"
    name = field.name if field is not None else ""
    if name == "verdict":
        return verdicts.get(value, "—")
    if name in USER_FIELDS:
        return users.get(value, "—")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, datetime):
        return dateformat.format(timezone.localtime(value), "j M Y H:i")
    if isinstance(value, date):
        return dateformat.format(value, "j M Y")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _history_entries(claim: Claim) -> list[dict]:
    """The claim's and its citations' history, newest first, with field-by-field changes.
    A save that changed nothing shown (a citation raises the claim's version, say) and gave
    no reason is left out: the citation's own entry says what happened."""
    # The newest records, plus one older claim record to show what the oldest shown changed.
    claim_records = list(
        claim.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_LIMIT + 1
        ]
    )[::-1]
    citation_records = list(
        Citation.history.filter(claim_id=claim.pk)
        .select_related("history_user", "source")
        .order_by("-history_date", "-history_id")[:HISTORY_LIMIT]
    )
    verdicts = dict(Verdict.objects.values_list("pk", "label"))
    user_ids = set()
    entries = []
    previous = None
    if len(claim_records) > HISTORY_LIMIT:
        previous = claim_records.pop(0)  # only the baseline for the oldest record shown
    for record in claim_records:
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=HISTORY_HIDDEN_FIELDS)
            for change in delta.changes:
                changes.append([change.field, change.old, change.new])
                if change.field in USER_FIELDS:
                    user_ids.update(v for v in (change.old, change.new) if v)
        previous = record
        reason = record.history_change_reason or ""
        if record.history_type == "~" and not changes and not reason:
            continue
        action = {"+": "created the claim", "~": "changed", "-": "deleted the claim"}
        entries.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "action": action[record.history_type],
                "reason": reason,
                "changes": changes,
            }
        )
    users = {u.pk: _person(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    fields = {f.name: f for f in Claim._meta.fields}
    for entry in entries:
        for change in entry["changes"]:
            field = fields.get(change[0])
            change[1] = _shown(field, change[1], verdicts, users)
            change[2] = _shown(field, change[2], verdicts, users)
            change[0] = field.verbose_name if field is not None else change[0]
    for record in citation_records:
        verb = {"+": "cited", "~": "changed the citation of", "-": "removed the citation of"}
        source_title = (
            record.source.title
            if record.source
            else f"source #{record.source_id} (since merged or deleted)"
        )
        entries.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "action": f"{verb[record.history_type]} “{source_title}”",
                "reason": "",
                "changes": [],
            }
        )
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def claim_history(request: HtmxHttpRequest, article_pk: int, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request, article_pk, pk)
    context = {"claim": claim, "history": _history_entries(claim)}
    if request.htmx and request.htmx.target == "claim-history":
        return render(request, "annotations/claims/history.html#claim-history", context)
    return render(request, "annotations/claims/history.html", context)
