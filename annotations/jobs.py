"""Running background jobs: what each kind does, retries, and jobs whose worker was killed.

A ``Job`` row is what its owner sees; the queue under it is django-tasks' database backend
(``run_job`` is its one task). ``start`` creates a job and queues it once the surrounding
transaction commits. A worker (``manage.py run_worker``) runs ``run_job``:

* the job is claimed under a row lock (a cancelled or already finished job is skipped);
* its kind's handler runs, reporting progress through ``Job.report`` (which is also how a
  cancel request reaches it);
* a *transient* failure (a site that timed out or answered 5xx, a locked database) queues it
  again after ``FACTCHECK_JOB_RETRY_SECONDS`` (doubled each time) until ``max_attempts``;
  any other failure ends it with a message saying why;
* while a job runs its worker beats (``heartbeat_at``); a job silent for
  ``FACTCHECK_JOB_STALE_SECONDS`` lost its worker and is taken back (``take_back_abandoned``)
  by the next worker to look: queued again, or failed once its attempts are used up. Each
  handler's writes are atomic, so a killed attempt leaves nothing half-applied.

``run_here`` runs a job in this process instead (the management commands on a terminal).
"""

import datetime
import logging
import re
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import OperationalError, close_old_connections, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django_tasks import TaskContext, task

from annotations.models import Article, Job, JobCancelled

logger = logging.getLogger(__name__)

Progress = Callable[..., None]


class JobFailed(Exception):
    """A job cannot be done; the message is shown to its owner as it is."""


@dataclass
class Outcome:
    message: str
    url: str = ""
    file: bytes | IO[bytes] | None = None  # what the job made, for its owner to download
    file_name: str = ""
    content_type: str = ""


HANDLERS: dict[str, Callable[[Job, Progress], Outcome]] = {}


def handles(kind: str):
    """Register the function that does the work of jobs of ``kind``."""

    def register(function):
        HANDLERS[kind] = function
        return function

    return register


def start(
    *, owner, kind: str, title: str, params: dict, max_attempts: int = 3, queue: bool = True
) -> Job:
    """Create a job and queue it for the workers (once the current transaction, if any,
    commits); with ``queue=False`` it waits for ``run_here``."""
    job = Job.objects.create(
        owner=owner, kind=kind, title=title[:300], params=params, max_attempts=max_attempts
    )
    if queue:
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int, delay_seconds: int = 0) -> None:
    queued = run_job
    if delay_seconds:
        queued = run_job.using(run_after=timezone.now() + datetime.timedelta(seconds=delay_seconds))
    result = queued.enqueue(job_id)
    Job.objects.filter(pk=job_id).update(task_id=str(result.id))


def is_transient(error: BaseException) -> bool:
    if isinstance(error, OperationalError):
        return True  # a locked or briefly unreachable database
    return bool(getattr(error, "transient", False))


def _claim(job_id: int, worker: str) -> Job | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != Job.Status.QUEUED:
            return None  # cancelled while waiting, or run by another attempt already
        now = timezone.now()
        job.status = Job.Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.worker = worker[:64]
        job.save()
    return job


def _finish(job: Job, status: str, message: str, outcome: Outcome | None = None) -> None:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    if outcome is not None:
        job.result_url = outcome.url[:500]
        if outcome.file is not None:
            job.result_name = outcome.file_name[:255]
            job.result_content_type = outcome.content_type[:100]
            content = (
                ContentFile(outcome.file) if isinstance(outcome.file, bytes) else File(outcome.file)
            )
            job.result_file.save(f"job-{job.pk}", content, save=False)
            content.close()
        if job.progress_total:
            job.progress_done = job.progress_total
    # Only what finishing changes: a cancel request that came meanwhile stays recorded.
    job.save(
        update_fields=[
            "status",
            "message",
            "finished_at",
            "result_url",
            "result_file",
            "result_name",
            "result_content_type",
            "progress_done",
        ]
    )


def execute(job_id: int, *, worker: str = "", on_progress: Progress | None = None) -> Job | None:
    """Run one attempt of a job, recording how it ended. Returns the job, or ``None`` if it was
    not this attempt's to run."""
    job = _claim(job_id, worker)
    if job is None:
        return None

    def progress(done: int, total: int | None = None, note: str | None = None) -> None:
        job.report(done, total, note)
        if on_progress:
            on_progress(job)

    try:
        handler = HANDLERS[job.kind]
        outcome = handler(job, progress)
    except JobCancelled:
        _finish(job, Job.Status.CANCELLED, "Cancelled while running; nothing more was done.")
    except (JobFailed, ValidationError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        _finish(job, Job.Status.FAILED, message)
    except Exception as error:
        if is_transient(error) and job.attempts < job.max_attempts and worker != "terminal":
            delay = settings.FACTCHECK_JOB_RETRY_SECONDS * 2 ** (job.attempts - 1)
            job.status = Job.Status.QUEUED
            job.message = (
                f"Attempt {job.attempts} of {job.max_attempts} failed ({error}); "
                f"trying again in {delay} s."
            )
            job.save(update_fields=["status", "message"])
            transaction.on_commit(lambda: _enqueue(job.pk, delay))
            return job
        if is_transient(error) and job.attempts > 1:
            message = f"{error} (gave up after {job.attempts} attempts)"
        elif getattr(error, "transient", None) is not None:
            message = str(error)  # a fetch refused for good: its message says why
        else:
            logger.exception("Job %s failed unexpectedly", job.pk)
            message = (
                f"An unexpected error stopped the job ({type(error).__name__}); nothing was "
                "changed, and the server log has the details."
            )
        _finish(job, Job.Status.FAILED, message)
    else:
        _finish(job, Job.Status.SUCCEEDED, outcome.message, outcome)
    return job


@task(takes_context=True)
def run_job(context: TaskContext, job_id: int) -> None:
    """The queue's one task: run an attempt of job ``job_id``."""
    worker_ids = context.task_result.worker_ids
    execute(job_id, worker=worker_ids[-1] if worker_ids else "")


def run_here(job: Job, on_progress: Progress | None = None) -> Job:
    """Run a job started with ``queue=False`` in this process (a management command on a
    terminal): one attempt, its failure reported at once to whoever waits for it."""
    execute(job.pk, worker="terminal", on_progress=on_progress)
    job.refresh_from_db()
    return job


def take_back_abandoned(now=None) -> list[Job]:
    """Queue again (or fail, once their attempts are used up) the running jobs whose worker
    stopped beating. Returns the jobs taken back."""
    from django_tasks_db.models import DBTaskResult

    taken = []
    for job in Job.objects.abandoned(now).order_by("pk"):
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job.pk)
            if job not in Job.objects.abandoned(now):
                continue
            DBTaskResult.objects.filter(id=job.task_id or None, status="RUNNING").update(
                status="FAILED", finished_at=timezone.now()
            )
            if job.cancel_requested:
                job.status = Job.Status.CANCELLED
                job.finished_at = timezone.now()
                job.message = "Cancelled; its worker had stopped."
            elif job.attempts < job.max_attempts:
                job.status = Job.Status.QUEUED
                job.message = (
                    f"The worker running attempt {job.attempts} stopped; the job was queued again."
                )
                transaction.on_commit(lambda job_id=job.pk: _enqueue(job_id))
            else:
                job.status = Job.Status.FAILED
                job.finished_at = timezone.now()
                job.message = (
                    f"The worker running this job stopped {job.attempts} times (killed or its "
                    "machine restarted); nothing half-done was kept. Start it again if needed."
                )
            job.save()
        taken.append(job)
    return taken


class Housekeeper(threading.Thread):
    """Beside a worker: beats for the jobs it runs, and takes back other workers' abandoned
    jobs, every ``FACTCHECK_JOB_HEARTBEAT_SECONDS``."""

    def __init__(self, worker: str):
        super().__init__(daemon=True, name="job-housekeeper")
        self.worker = worker
        self.stopped = threading.Event()

    def beat(self) -> None:
        close_old_connections()
        try:
            Job.objects.filter(status=Job.Status.RUNNING, worker=self.worker).update(
                heartbeat_at=timezone.now()
            )
            for job in take_back_abandoned():
                logger.warning("Took back job %s: %s", job.pk, job.message)
        except OperationalError:
            logger.warning("Job housekeeping skipped a beat: the database was busy")

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.FACTCHECK_JOB_HEARTBEAT_SECONDS):
                self.beat()
        finally:
            connection.close()


# --- What a job says, for its pages ----------------------------------------------------------

#: How the handlers name an article in a message ("article #4", "Article #4"). A mention cut
#: by a truncation ("article #1…") is no mention.
ARTICLE_MENTION = re.compile(r"\b([Aa]rticle #)(\d+)(?![\d…])")


def link_messages(jobs_shown, user, *, limit: int | None = None) -> None:
    """Set ``message_html`` on each job: its message escaped (cut to ``limit`` characters),
    each article it names a link to the article's reader page, for someone who may open
    articles (reviewers and up, as the reader requires); an article deleted since is named
    without a link. One query for all the jobs."""
    texts = {
        job.pk: Truncator(job.message).chars(limit) if limit else job.message for job in jobs_shown
    }
    named = {int(found[2]) for text in texts.values() for found in ARTICLE_MENTION.finditer(text)}
    readable = set()
    if named and user.is_reviewer:
        readable = set(Article.objects.filter(pk__in=named).values_list("pk", flat=True))
    for job in jobs_shown:
        job.message_html = _linked(texts[job.pk], readable)


def _linked(text: str, readable: set[int]) -> SafeString:
    parts, end = [], 0
    for found in ARTICLE_MENTION.finditer(text):
        parts.append(escape(text[end : found.start()]))
        pk = int(found[2])
        if pk in readable:
            url = reverse("annotations:article-detail", args=[pk])
            parts.append(format_html('<a href="{}">{}{}</a>', url, found[1], pk))
        else:
            parts.append(escape(found[0]))
        end = found.end()
    parts.append(escape(text[end:]))
    return mark_safe("".join(parts))  # noqa: S308 — every part escaped above


# --- What each kind of job does ---------------------------------------------------------------


@handles(Job.Kind.ARTICLE_LINK)
def import_article_link(job: Job, progress: Progress) -> Outcome:
    """Fetch an article's page and import it through the HTML path of files (one transaction:
    a failure imports nothing)."""
    from annotations import fetching, importers

    url = job.params["url"]
    progress(0, 2, f"Fetching {url}")
    page = fetching.fetch(url, user=job.owner)
    progress(1, 2, "Reading the article")
    outcome = importers.import_document(
        page.final_url,
        page.body,
        user=job.owner,
        update=job.params.get("update", False),
        fetched_url=page.final_url,
    )
    if outcome.failed:
        raise JobFailed(f"{page.final_url}: {outcome.message}. Nothing was imported.")
    article = outcome.article
    where = f" (redirected to {page.final_url})" if page.redirects else ""
    summary = {
        "created": f"Imported as article #{article.pk}, “{article.title}”{where}.",
        "unchanged": f"Unchanged: this page is already article #{article.pk}, “{article.title}”.",
        "changed": f"Article #{article.pk} has this URL with other text; it was left alone.",
        "updated": f"Article #{article.pk} now has the page's new text ({outcome.message}).",
    }[outcome.status]
    for warning in outcome.warnings:
        summary += f" Note: {warning}."
    return Outcome(summary, url=article.get_absolute_url())


@handles(Job.Kind.SOURCE_SNAPSHOT)
def archive_source(job: Job, progress: Progress) -> Outcome:
    from annotations import snapshots
    from annotations.models import Source

    source = Source.objects.filter(pk=job.params["source_id"]).first()
    if source is None:
        raise JobFailed("The source was deleted before it could be archived.")
    progress(0, 1, f"Fetching {source.url}")
    archived = snapshots.archive_link(source, by=job.owner)
    taken = timezone.localtime(archived.snapshot.taken_at)
    if not archived.created:
        message = f"The live page is unchanged since the snapshot of {taken:%Y-%m-%d %H:%M}."
    elif archived.text_changed:
        message = "Archived a new snapshot: the page's text changed since the previous one."
    elif archived.text_changed is False:
        message = "Archived a new snapshot: the page changed, its text did not."
    else:
        message = "Archived the first snapshot of this page."
    return Outcome(message, url=reverse("annotations:source-detail", kwargs={"pk": source.pk}))


@handles(Job.Kind.BACKFILL)
def backfill(job: Job, progress: Progress) -> Outcome:
    """A backfill of ``annotations.backfills``, its progress counted in claims or articles."""
    from annotations import backfills

    return Outcome(backfills.run_job(job.params, progress))


@handles(Job.Kind.EXPORT)
def export(job: Job, progress: Progress) -> Outcome:
    """An export or report of the articles the saved parameters select, as its owner would have
    downloaded it, written to a file (in memory up to 8 MB, then on disk) piece by piece."""
    from django.http import QueryDict

    from annotations.exporters import FORMATS, download_name
    from annotations.exporters.request import ExportRequestError, parse_scope, select_articles
    from annotations.pdf_layout import PDFRenderError

    export_format = FORMATS[job.params["format"]]
    query = QueryDict(mutable=True)
    for key, values in job.params.get("query", {}).items():
        query.setlist(key, values)
    try:
        scope = parse_scope(query.get("scope"))
        articles = select_articles(query, user=job.owner)
        progress(0, None, "Selecting the articles")
        count = articles.count()
        pieces = export_format.chunks(articles, scope)
    except ExportRequestError as error:
        raise JobFailed(str(error)) from None
    # Handed to the outcome: ``_finish`` stores it and closes it.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    written = 0
    try:
        for number, piece in enumerate(pieces, start=1):
            data = piece if isinstance(piece, bytes) else piece.encode()
            out.write(data)
            written += len(data)
            if number % 20 == 0 or export_format.binary:
                progress(0, None, f"{written // 1024:,} KB written")
    except PDFRenderError as error:
        out.close()
        if is_transient(error):
            raise  # the browser was busy with other reports: tried again later
        # The renderer says why (out of time, Chromium missing or broken): its owner reads it.
        raise JobFailed(f"The PDF report could not be made: {error}") from None
    out.seek(0)
    name = download_name(export_format, articles, scope)
    what = f"{count} article{'s' if count != 1 else ''}"
    return Outcome(
        f"{export_format.label} of {what} ready ({written // 1024:,} KB).",
        file=out,
        file_name=name,
        content_type=export_format.content_type,
    )


def start_file_import(files, *, owner, update: bool = False) -> Job:
    """Keep uploaded article files in storage and start a job importing them (the admin's
    upload). Each file is read up to one byte past the import limit: enough for the importer
    to refuse a file that is too large."""
    from django.core.files.storage import default_storage

    limit = settings.FACTCHECK_IMPORT_MAX_BYTES
    batch = uuid.uuid4().hex
    kept = []
    for index, uploaded in enumerate(files):
        path = default_storage.save(
            f"job-uploads/{batch}/{index}", ContentFile(uploaded.read(limit + 1))
        )
        kept.append({"name": uploaded.name[:300], "path": path})
    count = len(kept)
    return start(
        owner=owner,
        kind=Job.Kind.FOLDER_IMPORT,
        title=f"Import {count} article file{'s' if count != 1 else ''}",
        params={"files": kept, "update": update},
    )


@handles(Job.Kind.FOLDER_IMPORT)
def import_files(job: Job, progress: Progress) -> Outcome:
    """Import the files an upload kept, one transaction each: a file that fails is reported and
    the others are imported; a retry finds the files done already unchanged. The kept files are
    removed once the job ends, however it ends."""
    from django.core.files.storage import default_storage

    from annotations.importers import import_document

    files = job.params["files"]
    lines, failed = [], 0
    try:
        for index, kept in enumerate(files):
            progress(index, len(files), f"Importing {kept['name']}")
            try:
                with default_storage.open(kept["path"], "rb") as stored:
                    data = stored.read()
            except OSError:
                raise JobFailed(
                    f"The uploaded file {kept['name']} is no longer stored; upload it again."
                ) from None
            outcome = import_document(
                kept["name"], data, user=job.owner, update=job.params.get("update", False)
            )
            failed += outcome.failed
            lines.append(outcome.line())
            lines.extend(f"  warning: {warning}" for warning in outcome.warnings)
    except Exception as error:
        if not (is_transient(error) and job.attempts < job.max_attempts):
            _delete_kept(files)  # ends here (failed, cancelled): the files are not needed
        raise
    _delete_kept(files)
    summary = f"{len(files) - failed} of {len(files)} file(s) processed, {failed} failed."
    return Outcome("\n".join([summary, *lines]), url="")


def _delete_kept(files) -> None:
    from django.core.files.storage import default_storage

    for kept in files:
        default_storage.delete(kept["path"])
