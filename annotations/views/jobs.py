"""Background jobs as their owner sees them: start one from a link, watch its progress (htmx
polls the ``job-progress`` region until it ends), cancel it, download what it made.

A user sees and cancels only their own jobs; an admin sees everyone's. Anyone else's job is a
404, so its existence is not revealed.
"""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import jobs
from annotations.forms import LinkImportForm
from annotations.htmx import HtmxHttpRequest
from annotations.models import Job, Source
from annotations.ratelimit import rate_limited
from annotations.roles import reviewer_required


def get_job_for_user(request, pk: int) -> Job:
    return get_object_or_404(Job.objects.visible_to(request.user).select_related("owner"), pk=pk)


def _job_rows(request) -> list[Job]:
    """The jobs the list shows (the latest 100 the user may see), each finished one's message
    cut short with its articles linked."""
    job_rows = list(Job.objects.visible_to(request.user).select_related("owner")[:100])
    jobs.link_messages([job for job in job_rows if job.finished], request.user, limit=120)
    return job_rows


@require_GET
@reviewer_required
@vary_on_headers("HX-Request")
def job_list(request: HtmxHttpRequest) -> HttpResponse:
    job_rows = _job_rows(request)
    context = {
        "jobs": job_rows,
        "any_unfinished": any(not job.finished for job in job_rows),
        "link_form": LinkImportForm(),
    }
    template = "annotations/jobs/job_list.html"
    if request.htmx.target == "job-table":
        template += "#job-table"
    return render(request, template, context)


@require_GET
@reviewer_required
@vary_on_headers("HX-Request")
def job_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    job = get_job_for_user(request, pk)
    if job.status == Job.Status.RUNNING and job in Job.objects.abandoned():
        jobs.take_back_abandoned()  # its worker died: say so now rather than run forever
        job.refresh_from_db()
    jobs.link_messages([job], request.user)
    # A job no worker picks up would say "Waiting" for ever: after a while, say why it may be.
    waiting_long = job.waiting_for_a_worker()
    workers_busy = waiting_long and Job.objects.in_hand().exists()
    template = "annotations/jobs/job_detail.html"
    if request.htmx.target == "job-progress":
        template += "#job-progress"
    context = {"job": job, "waiting_long": waiting_long, "workers_busy": workers_busy}
    return render(request, template, context)


@require_POST
@reviewer_required
def job_cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    job = get_job_for_user(request, pk)
    if not job.cancel(by=request.user):
        messages.info(request, "The job had already finished.")
    return redirect(job)


@require_GET
@reviewer_required
def job_download(request: HtmxHttpRequest, pk: int) -> FileResponse:
    job = get_job_for_user(request, pk)
    if job.status != Job.Status.SUCCEEDED or not job.result_file:
        raise Http404("This job made no file.")
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404("The job's file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=job.result_name or f"job-{job.pk}",
        content_type=job.result_content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@reviewer_required
@rate_limited("import")
def article_import_link(request: HtmxHttpRequest) -> HttpResponse:
    form = LinkImportForm(request.POST)
    if not form.is_valid():
        # The dashboard's form posts here; errors are shown on the jobs page with the form.
        context = {
            "jobs": _job_rows(request),
            "link_form": form,
        }
        return render(request, "annotations/jobs/job_list.html", context, status=400)
    url = form.cleaned_data["url"]
    job = jobs.start(
        owner=request.user,
        kind=Job.Kind.ARTICLE_LINK,
        title=f"Import the article at {url}",
        params={"url": url},
    )
    return redirect(job)


@require_POST
@reviewer_required
@rate_limited("import")
def source_archive(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Source, pk=pk)
    job = jobs.start(
        owner=request.user,
        kind=Job.Kind.SOURCE_SNAPSHOT,
        title=f"Archive a snapshot of {source.url}",
        params={"source_id": source.pk},
    )
    return redirect(job)
