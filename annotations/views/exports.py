"""Downloads of reports and exports, and the HTML report page of one article.

Everyone with a role may export; both scopes are open to every role (reviewers are the lowest
role, and they see drafts in the app anyway). Exports stream: a large export never sits in
memory whole.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from annotations import jobs
from annotations.exporters import FORMATS, download_name, html
from annotations.exporters.request import ExportRequestError, parse_scope, select_articles
from annotations.models import Article, Job
from annotations.ratelimit import rate_limited
from annotations.roles import reviewer_required


@require_GET
@reviewer_required
@rate_limited("export", methods=("GET",))
def export(request: HttpRequest, format: str) -> HttpResponse:
    export_format = FORMATS.get(format)
    if export_format is None:
        raise Http404("No such export format.")
    try:
        scope = parse_scope(request.GET.get("scope"))
        articles = select_articles(request.GET, user=request.user)
        # A format may refuse before streaming (ClaimReview without a public address).
        pieces = export_format.chunks(articles, scope)
    except ExportRequestError as error:
        return HttpResponse(
            str(error),
            status=getattr(error, "status", 400),
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(pieces, content_type=export_format.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{download_name(export_format, articles, scope)}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Internal exports hold unpublished work: never kept by shared caches or the browser.
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@reviewer_required
@rate_limited("export")
def export_start(request: HttpRequest, format: str) -> HttpResponse:
    """The Export menu's buttons. One article in a format that streams quickly is downloaded
    at once (redirected to ``export``); a PDF, or several articles, become a background job
    whose page shows its progress and then offers the file."""
    export_format = FORMATS.get(format)
    if export_format is None:
        raise Http404("No such export format.")
    params = request.POST.copy()
    params.pop("csrfmiddlewaretoken", None)
    back_to = params.pop("next", [""])[-1]
    try:
        parse_scope(params.get("scope"))
        articles = select_articles(params, user=request.user)
        chosen = len(articles.values_list("pk", flat=True)[:2])
        if not chosen:
            # An empty file handed over as "ready" reads as a report of nothing checked.
            raise ExportRequestError(
                "Nothing matches this selection, so nothing was exported: change the filters "
                "and export again."
            )
    except ExportRequestError as error:
        return _export_refused(request, error, back_to)
    several = chosen > 1
    if not export_format.binary and not several:
        download = reverse("annotations:export", args=[export_format.name])
        return HttpResponseRedirect(f"{download}?{params.urlencode()}", status=303)
    what = "the selected articles" if several else "an article"
    job = jobs.start(
        owner=request.user,
        kind=Job.Kind.EXPORT,
        title=f"{export_format.label} of {what}",
        params={"format": export_format.name, "query": dict(params.lists())},
    )
    return redirect(job)


def _export_refused(request: HttpRequest, error: ExportRequestError, back_to: str) -> HttpResponse:
    """The Export menu sends the page it is on (``next``): a refusal goes back there with the
    reason above the page, the filters as they were. A script posting without it gets the
    reason as text."""
    if back_to and url_has_allowed_host_and_scheme(
        back_to, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        messages.error(request, str(error))
        return redirect(back_to)
    return HttpResponse(
        str(error), status=getattr(error, "status", 400), content_type="text/plain; charset=utf-8"
    )


@require_GET
@reviewer_required
def article_report(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    try:
        scope = parse_scope(request.GET.get("scope"))
    except ExportRequestError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    context = html.report_context(Article.objects.filter(pk=article.pk), scope)
    return render(request, "reports/report.html", context)


@admin.action(description="Export report of the selected articles (HTML)")
def export_report_action(modeladmin, request: HttpRequest, queryset) -> HttpResponse:
    """Admin action: hand over to the export view, which checks roles and rate limits."""
    query = urlencode([("article", pk) for pk in queryset.values_list("pk", flat=True)])
    return HttpResponseRedirect(f"{reverse('annotations:export', args=['html'])}?{query}")
