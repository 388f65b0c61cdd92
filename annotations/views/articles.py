"""The article reader: the body with claims highlighted, the claim list and the side panel
(drawn by ``annotations.reader``)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.forms import ClaimReattachForm
from annotations.models import Article, Claim, Verdict, WorkflowError
from annotations.reader import (
    ClaimChange,
    change_fragments,
    every_region_fragments,
    get_article_for_user,
    render_workspace,
    short_text,
    verdict_styles_version,
)
from annotations.roles import reviewer_required


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request, pk)
    return render_workspace(request, article, {"panel": "empty"})


@reviewer_required
@require_GET
def article_live(request: HttpRequest, pk: int) -> HttpResponse:
    """What another person's change altered in the reader, as out-of-band fragments (live.js
    asks here when the article's live group tells of a change): for one claim
    (``claim``, ``kind``, ``part``, ``start``, ``end`` from the event), the same fragments its
    author got back; without them (after a lost connection, or the article's text edited) every
    region: the claim list, headline, standfirst and body."""
    article = get_article_for_user(request, pk)
    claim, kind = request.GET.get("claim", ""), request.GET.get("kind", "")
    start, end = request.GET.get("start", ""), request.GET.get("end", "")
    part = request.GET.get("part", "")
    known_kind = kind in (ClaimChange.CREATED, ClaimChange.CHANGED, ClaimChange.DELETED)
    known_part = part in Article.Part.values
    if known_kind and known_part and all(v.isdigit() and len(v) < 12 for v in (claim, start, end)):
        change = ClaimChange(int(claim), int(start), int(end), kind, part)
        return HttpResponse(change_fragments(request, article, change))
    return HttpResponse(every_region_fragments(request, article))


@reviewer_required
@require_GET
def article_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The file as it was imported, beside what the importer left out of the body: a line
    removed by mistake is seen here and brought back by re-importing."""
    article = get_article_for_user(request, pk)
    return render(request, "annotations/article_original.html", {"article": article})


@reviewer_required
@require_POST
def claim_reattach(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """Give an orphaned claim a new place: the words the reviewer selected."""
    article = get_article_for_user(request, article_pk)
    claim = get_object_or_404(Claim, article=article, pk=pk)
    form = ClaimReattachForm(request.POST, article=article)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(reverse("annotations:article-detail", args=[article.pk]) + "#orphans")
    try:
        claim.reattach(
            form.selector,
            by=request.user,
            version=form.cleaned_data["version"],
            part=form.cleaned_data["part"],
        )
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect(reverse("annotations:article-detail", args=[article.pk]) + "#orphans")
    claim.refresh_from_db()
    if claim.is_orphan:
        messages.success(
            request,
            f"Claim {claim.pk} is approved: its new place waits for a second person's approval "
            "in the claim panel.",
        )
    else:
        messages.success(request, f"Claim {claim.pk} is attached to “{short_text(claim.quote)}”.")
    return redirect(claim.get_absolute_url())


@reviewer_required
@require_GET
def verdict_styles(request: HttpRequest) -> HttpResponse:
    """A class per verdict (``.verdict-12``) setting its highlight colour, for every page.

    Colours are data, and the CSP forbids inline styles, so they are served as a stylesheet;
    the ETag lets browsers keep it until an admin changes the vocabulary.
    """
    rows = list(Verdict.objects.order_by("pk").values_list("pk", "colour"))
    version = verdict_styles_version(rows)
    etag = f'"{version}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    lines = []
    for pk, colour in rows:
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        lines.append(
            f".verdict-{pk} {{ --hl: {colour}; --hl-soft: rgba({red}, {green}, {blue}, 0.3); }}"
        )
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    if request.GET.get("v") == version:
        # The reader links the stylesheet with its version: a new tab need not ask again.
        patch_cache_control(response, private=True, max_age=365 * 24 * 3600, immutable=True)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response
