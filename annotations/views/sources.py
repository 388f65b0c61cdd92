"""The source library in the app: browse sources and where they are used, rate their reliability
(Editors and Admins), upload and download archived snapshots."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import snapshots
from annotations.forms import ReliabilityForm, SnapshotForm, SourceFilterForm
from annotations.htmx import HtmxHttpRequest
from annotations.models import Citation, Source, SourceSnapshot, StaleSourceError
from annotations.ratelimit import rate_limited
from annotations.roles import editor_required, reviewer_required


def get_source_for_user(request: HttpRequest, pk: int, sources=None) -> Source:
    # Every signed-in role may see the whole library; unknown ids are 404. ``sources``: the
    # queryset to read it from (``_as_shown``), the plain one by default.
    return get_object_or_404(Source.objects.all() if sources is None else sources, pk=pk)


@reviewer_required
def source_list(request: HttpRequest) -> HttpResponse:
    form = SourceFilterForm(request.GET or None)
    sources = Source.objects.with_usage().with_snapshot_count()
    if form.is_valid():
        sources = sources.search(form.cleaned_data["q"])
        match form.cleaned_data["usage"]:
            case "unused":
                sources = sources.filter(claim_count=0)
            case "cited":
                sources = sources.filter(claim_count__gt=0)
            case "approved":
                sources = sources.filter(approved_verdict_count__gt=0)
        if reliability := form.cleaned_data["reliability"]:
            sources = sources.filter(reliability="" if reliability == "unrated" else reliability)
    page = Paginator(sources.order_by("title", "pk"), 50).get_page(request.GET.get("page"))
    return render(request, "annotations/sources/source_list.html", {"form": form, "page": page})


#: Citations on a source's page: a desk's statistics office is cited thousands of times.
CITATIONS_PER_PAGE = 50


def _as_shown():
    """Sources as their page shows them: with their usage line and their snapshots."""
    return Source.objects.with_usage().prefetch_related(
        Prefetch("snapshots", SourceSnapshot.objects.select_related("uploaded_by"))
    )


#: The columns of the page's citation table: a much-cited source lists claims of many articles,
#: and each article's whole row (its text) was read only for its title (make bench-scale).
CITATION_COLUMNS = (
    "relation",
    "created_at",
    "claim__article_id",
    "claim__statement",
    "claim__quote",
    "claim__state",
    "claim__verdict__label",
    "claim__article__title",
)


def _detail_context(source: Source, page_number=None, **extra) -> dict:
    """The source page's context; ``source`` read with ``_as_shown``."""
    citations = (
        Citation.objects.filter(source=source)
        .select_related("claim__article", "claim__verdict")
        .only(*CITATION_COLUMNS)
        .order_by("-created_at", "-pk")
    )
    snapshots.mark_text_changes(source.snapshots.all())
    return {
        "source": source,
        "citation_page": Paginator(citations, CITATIONS_PER_PAGE).get_page(page_number),
        "reliability_form": ReliabilityForm(instance=source),
        "snapshot_form": SnapshotForm(),
        **extra,
    }


@reviewer_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source_for_user(request, pk, _as_shown())
    context = _detail_context(source, request.GET.get("page"))
    return render(request, "annotations/sources/source_detail.html", context)


@editor_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def source_reliability(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    source = get_source_for_user(request, pk)
    # Any POST is a bound form, even one carrying no field: missing fields are errors.
    form = ReliabilityForm(request.POST if request.method == "POST" else None, instance=source)
    extra = {}
    if request.method == "POST" and form.is_valid():
        try:
            source.rate(
                by=request.user,
                version=form.cleaned_data["version"],
                reliability=form.cleaned_data["reliability"],
                rationale=form.cleaned_data["reliability_rationale"],
            )
        except StaleSourceError as error:
            # Nothing saved: show theirs, keep what was typed, now based on their version.
            data = request.POST.copy()
            data["version"] = error.current.version
            source = error.current
            form = ReliabilityForm(data, instance=source)
            extra = {"panel_error": str(error), "stale": error.current}
        else:
            if request.htmx.target != "source-reliability":
                return redirect("annotations:source-detail", pk=source.pk)
            form = ReliabilityForm(instance=source)
    template = "annotations/sources/source_detail.html"
    if request.htmx.target == "source-reliability":
        template += "#source-reliability"
    shown = _as_shown().get(pk=source.pk)
    context = _detail_context(shown, reliability_form=form, editing=True, **extra)
    return render(request, template, context)


@reviewer_required
@require_POST
@rate_limited("import")
def snapshot_create(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_source_for_user(request, pk)
    form = SnapshotForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            snapshots.store_snapshot(source, form.cleaned_data["file"], by=request.user)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("annotations:source-detail", pk=source.pk)
    # A refused file re-renders the page with the reason, status 200 as for any form error.
    context = _detail_context(_as_shown().get(pk=source.pk), snapshot_form=form)
    return render(request, "annotations/sources/source_detail.html", context)


def _download(stored, filename: str, content_type: str) -> FileResponse:
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The snapshot file is missing from storage.") from None
    # Always a download, never rendered: an HTML snapshot must not run in our origin.
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@reviewer_required
def snapshot_download(request: HttpRequest, pk: int) -> FileResponse:
    snapshot = get_object_or_404(SourceSnapshot, pk=pk)
    return _download(snapshot.file, snapshots.download_name(snapshot), snapshot.content_type)


@reviewer_required
def snapshot_rendering(request: HttpRequest, pk: int) -> FileResponse:
    """The PDF an archived HTML page was laid out as (``snapshots.render_page``)."""
    snapshot = get_object_or_404(SourceSnapshot.objects.exclude(rendering=""), pk=pk)
    name = snapshots.download_name(snapshot).rsplit(".", 1)[0] + "-rendering.pdf"
    return _download(snapshot.rendering, name, "application/pdf")
