"""An article's details and publication: the details form in the reader's header, the
publish / withdraw steps, and the public fact-check page anyone can read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import publishing
from annotations.forms import ArticleDetailsForm, PublishForm, UnpublishForm
from annotations.highlights import part_html
from annotations.htmx import HtmxHttpRequest
from annotations.middleware import public_page
from annotations.models import Article, Publisher, StaleArticleError, WorkflowError
from annotations.reader import get_article_for_user
from annotations.roles import editor_required, reviewer_required

DETAILS = "article-details"
PUBLICATION = "article-publication"
PUBLISHER_OPTIONS = 20
# How long a shared cache or a browser may reuse a public page before asking again (then an
# unchanged page answers 304): a correction reaches readers within this time.
PUBLIC_MAX_AGE = 60


# --- Details ------------------------------------------------------------------------------------


def _render_details(request: HtmxHttpRequest, article, *, status=200, **context) -> HttpResponse:
    """The header's details region for htmx; a page of its own otherwise."""
    context = {
        "article": article,
        # The headline and standfirst with their claims highlighted, as the reader shows them.
        "headline_html": part_html(article, Article.Part.HEADLINE),
        "standfirst_html": part_html(article, Article.Part.STANDFIRST),
        **context,
    }
    if request.htmx.target == DETAILS:
        return render(request, f"annotations/article_detail.html#{DETAILS}", context, status=status)
    return render(request, "annotations/article_details.html", context, status=status)


@reviewer_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
def article_details(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the details form (``?cancel`` the details as shown). POST: save them, unless
    someone changed the article since the form was loaded."""
    article = get_article_for_user(request, pk)
    if request.method == "GET":
        if "cancel" in request.GET:
            return _render_details(request, article)
        return _render_details(request, article, form=ArticleDetailsForm.for_article(article))
    form = ArticleDetailsForm(request.POST, article=article)
    if not form.is_valid():
        return _render_details(request, article, form=form)
    try:
        changed = article.edit_details(
            by=request.user,
            version=form.cleaned_data["version"],
            title_confirmed=form.cleaned_data["title_confirmed"],
            **form.details(),
        )
    except StaleArticleError as error:
        # Nothing saved: their values are shown; what was typed stays, on their version.
        data = request.POST.copy()
        data["version"] = error.current.version
        form = ArticleDetailsForm(data, article=error.current)
        return _render_details(
            request, error.current, form=form, stale=error.current, panel_error=str(error)
        )
    notice = "Details saved." if changed else "Nothing changed."
    if lost := len(article.headline_orphans):
        notice += (
            f" {lost} claim(s) in the headline lost their place: their words are not in the "
            "new title. Reload the page to see them under “Orphaned claims”."
        )
    if request.htmx.target != DETAILS:
        messages.success(request, notice)
        return redirect(article)
    return _render_details(request, article, notice=notice)


@reviewer_required
@require_GET
def publisher_search(request: HttpRequest) -> HttpResponse:
    """The publisher names offered as the reviewer types (a ``<datalist>``'s options)."""
    names = list(
        Publisher.objects.search(request.GET.get("publisher", ""))
        .order_by("name")
        .values_list("name", flat=True)[:PUBLISHER_OPTIONS]
    )
    return render(request, "annotations/publisher_options.html", {"names": names})


# --- Publication --------------------------------------------------------------------------------


@reviewer_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def article_publication(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The article's state and publication, loaded into its header once the reader is drawn
    (its claims are counted for it, which the reader itself never needs)."""
    article = get_article_for_user(request, pk)
    context = {"article": article, "publication_loaded": True}
    if request.htmx.target == PUBLICATION:
        return render(request, f"annotations/article_detail.html#{PUBLICATION}", context)
    return render(request, "annotations/article_details.html", context)


def _publish_context(article: Article, **forms) -> dict:
    claims = list(article.publishable_claims().select_related("publication"))
    # First publication: every approved claim is offered ticked; later, none.
    initial = [] if article.published_at else [claim.pk for claim in claims]
    publish_form = forms.get("publish_form") or PublishForm(
        initial={"version": article.version, "claims": initial}, article=article
    )
    chosen = {str(pk) for pk in publish_form["claims"].value() or []}
    for claim in claims:
        claim.chosen = str(claim.pk) in chosen
    return {
        "article": article,
        "claims": claims,
        # Once published, the form adds claims: without any left to add it has nothing to do.
        "claims_off_page": [claim for claim in claims if not hasattr(claim, "publication")],
        "publish_form": publish_form,
        "unpublish_form": forms.get("unpublish_form")
        or UnpublishForm(initial={"version": article.version}),
        "panel_error": forms.get("panel_error"),
    }


@editor_required
@require_http_methods(["GET", "POST"])
def article_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what would be published, to confirm (the approved claims to choose from). POST:
    publish, or add the chosen claims to the published fact-check."""
    article = get_article_for_user(request, pk)
    form = PublishForm(request.POST or None, article=article)
    if request.method == "POST" and form.is_valid():
        try:
            article.publish(
                form.cleaned_data["claims"],
                by=request.user,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except (WorkflowError, StaleArticleError) as error:
            context = _publish_context(article, publish_form=form, panel_error=str(error))
            return render(request, "annotations/article_publish.html", context)
        messages.success(request, "Published: the fact-check is online at its public address.")
        return redirect("annotations:article-publish", pk=article.pk)
    context = _publish_context(article, publish_form=form if form.is_bound else None)
    return render(request, "annotations/article_publish.html", context)


@editor_required
@require_POST
def article_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request, pk)
    form = UnpublishForm(request.POST)
    if form.is_valid():
        try:
            article.unpublish(
                by=request.user,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except (WorkflowError, StaleArticleError) as error:
            context = _publish_context(article, unpublish_form=form, panel_error=str(error))
            return render(request, "annotations/article_publish.html", context)
        messages.success(request, "Withdrawn: its address now shows the notice.")
        return redirect("annotations:article-publish", pk=article.pk)
    context = _publish_context(article, unpublish_form=form)
    return render(request, "annotations/article_publish.html", context)


# --- The public page ----------------------------------------------------------------------------


@login_not_required
@public_page
@require_GET
def fact_check(request: HttpRequest, slug: str) -> HttpResponse:
    """A published fact-check, for anyone. Its ETag (``publishing.stamp``) changes whenever
    something it shows changes: an unchanged page answers 304, and its rendering is kept in
    the cache under it."""
    article = get_object_or_404(
        Article.objects.select_related("publisher").exclude(publication=""), slug=slug
    )
    if not article.is_live:
        # Withdrawn: the address keeps answering, with the notice (410: gone on purpose).
        html = render_to_string("public/withdrawn.html", publishing.withdrawn_notice(article))
        response = HttpResponse(html, status=410)
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response
    stamp = publishing.stamp(article)
    modified = stamp.last_modified.timestamp()
    response = get_conditional_response(request, etag=stamp.etag, last_modified=modified)
    if response is None:
        key = f"public-page:{stamp.etag}"
        html = cache.get(key)
        if html is None:
            # No request: the page is the same for everyone (no user, no CSRF token).
            page = publishing.public_page(article)
            html = render_to_string("public/fact_check.html", page.context())
            cache.set(key, html, 24 * 3600)
        response = HttpResponse(html)
    response["ETag"] = stamp.etag
    response["Last-Modified"] = http_date(modified)
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response
