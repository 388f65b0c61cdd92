"""Background jobs: started from the app, run by the real worker (``manage.py run_worker``),
progress in the page, retries, cancelling, a killed worker's job taken back, and who may see
what. Articles come from links served by the tests' own web server."""

import datetime
import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from annotations import jobs
from annotations.models import Article, Job
from tests.export_helpers import export_menu_fields
from tests.job_support import run_worker
from tests.web_server import Page, serve

STORY = (
    b"<!DOCTYPE html><html><head><title>Harbour ferry carries record numbers</title>"
    b'<link rel="canonical" href="/news/harbour-ferry?utm_source=feed">'
    b'<meta property="og:site_name" content="Riverside Gazette"></head><body><article>'
    b"<h1>Harbour ferry carries record numbers</h1>"
    b"<p>The harbour ferry carried 1.2 million passengers last year, the council said on "
    b"Monday, more than in any year since the service began in 1962.</p>"
    b"<p>Ticket prices rose by 5% in April, while the number of sailings stayed the same, "
    b"according to the operator's annual report.</p>"
    b"<p>Councillors will discuss a second boat at their meeting next month.</p>"
    b"</article></body></html>"
)


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """Jobs are queued when their transaction commits: run those callbacks as tests post."""

    def post(client, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(*args, **kwargs)

    return post


def import_link(client, queued, url):
    response = queued(client, reverse("annotations:article-import-link"), {"url": url})
    assert response.status_code == 302
    return Job.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


# --- Articles from a link ---------------------------------------------------------------------


def test_dashboard_offers_import_from_url(client, reviewer):
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-list")).content.decode()
    assert "Import from URL" in html
    assert f'action="{reverse("annotations:article-import-link")}"' in html


def test_an_article_is_imported_from_a_link_by_the_worker(
    client, reviewer, queued, loopback_allowed, django_capture_on_commit_callbacks
):
    pages = {
        "/old-address": Page(status=301, headers={"Location": "/news/harbour-ferry.php"}),
        "/news/harbour-ferry.php": Page(STORY),
    }
    with serve(pages) as server:
        loopback_allowed(server)
        client.force_login(reviewer)
        job = import_link(client, queued, server.url("/old-address"))
        assert job.status == Job.Status.QUEUED and job.owner == reviewer
        page = client.get(job.get_absolute_url()).content.decode()
        assert "Waiting" in page and 'hx-trigger="every 1s"' in page
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
    job.refresh_from_db()
    article = Article.objects.get()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.message.startswith(f"Imported as article #{article.pk}")
    assert "redirected to" in job.message
    assert article.title == "Harbour ferry carries record numbers"
    assert "1.2 million passengers" in article.body
    # The final URL after the redirect, and the canonical URL the page names (normalised).
    assert article.fetched_url == server.url("/news/harbour-ferry.php")
    assert article.url == f"http://127.0.0.1:{server.port}/news/harbour-ferry"
    assert article.imported_by == reviewer
    # The finished job's region stops polling and links to the article.
    fragment = client.get(
        job.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "job-progress"}
    ).content.decode()
    assert "<html" not in fragment and "hx-trigger" not in fragment
    assert article.get_absolute_url() in fragment


def test_the_same_article_twice_is_reported_unchanged(
    client, reviewer, queued, loopback_allowed, django_capture_on_commit_callbacks
):
    with serve({"/story": Page(STORY)}) as server:
        loopback_allowed(server)
        client.force_login(reviewer)
        first = import_link(client, queued, server.url("/story"))
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
        second = import_link(client, queued, server.url("/story"))
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
    first.refresh_from_db()
    second.refresh_from_db()
    article = Article.objects.get()
    assert second.status == Job.Status.SUCCEEDED
    assert second.message.startswith(f"Unchanged: this page is already article #{article.pk}")
    assert first.result_url == second.result_url == article.get_absolute_url()


def test_progress_is_shown_while_the_job_runs(client, reviewer):
    job = Job.objects.create(
        owner=reviewer,
        kind=Job.Kind.ARTICLE_LINK,
        title="Import the article at https://news.example/story",
        status=Job.Status.RUNNING,
        progress_done=1,
        progress_total=2,
        progress_note="Reading the article",
    )
    client.force_login(reviewer)
    fragment = client.get(
        job.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "job-progress"}
    ).content.decode()
    assert "<html" not in fragment
    assert '<progress value="1" max="2"' in fragment
    assert "Reading the article" in fragment
    assert 'hx-trigger="every 1s"' in fragment


@pytest.mark.parametrize(
    ("page", "settings_change", "message"),
    [
        (Page(b"%PDF-1.4", headers={"Content-Type": "application/pdf"}), {}, "is application/pdf"),
        (Page(b"<html>" + b"x" * 3000), {"FACTCHECK_FETCH_MAX_BYTES": 1000}, "too large"),
        (
            Page(status=302, headers={"Location": "/story"}),
            {},
            "redirects in a loop",
        ),
        (Page(b"<html><body><nav>Home</nav></body></html>"), {}, "no article text found"),
        (Page(status=404), {}, "answered 404"),
    ],
)
def test_a_bad_link_fails_with_a_clear_message_and_imports_nothing(
    page,
    settings_change,
    message,
    client,
    reviewer,
    queued,
    loopback_allowed,
    settings,
    django_capture_on_commit_callbacks,
):
    for name, value in settings_change.items():
        setattr(settings, name, value)
    with serve({"/story": page}) as server:
        loopback_allowed(server)
        client.force_login(reviewer)
        job = import_link(client, queued, server.url("/story"))
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert message in job.message
    assert not Article.objects.exists()
    assert message in client.get(job.get_absolute_url()).content.decode()


def test_a_forbidden_address_is_refused_and_nothing_imported(
    client, reviewer, queued, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    job = import_link(client, queued, "http://169.254.169.254/latest/meta-data/")
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "cloud metadata address" in job.message
    assert not Article.objects.exists()


def test_a_slow_site_is_retried_then_reported(
    client, reviewer, queued, loopback_allowed, settings, django_capture_on_commit_callbacks
):
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 1
    with serve({"/story": Page(STORY, delay=2)}) as server:
        loopback_allowed(server)
        client.force_login(reviewer)
        job = import_link(client, queued, server.url("/story"))
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
        job.refresh_from_db()
        # Queued again for later: the worker had nothing more to run now.
        assert job.status == Job.Status.QUEUED
        assert job.message == (
            "Attempt 1 of 3 failed (127.0.0.1 did not answer in time.); trying again in 30 s."
        )
        retry = DBTaskResult.objects.get(id=job.task_id)
        assert retry.run_after > timezone.now() + datetime.timedelta(seconds=25)
        # Later, each retry fails the same way, until the attempts are used up.
        settings.FACTCHECK_JOB_RETRY_SECONDS = 0
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.attempts == 3
    assert job.message == "127.0.0.1 did not answer in time. (gave up after 3 attempts)"
    assert len(server.received) == 3
    assert not Article.objects.exists()


def test_a_transient_failure_then_success_imports_once(
    client, reviewer, queued, loopback_allowed, settings, django_capture_on_commit_callbacks
):
    settings.FACTCHECK_JOB_RETRY_SECONDS = 0
    answers = [Page(status=503), Page(STORY)]
    with serve({"/story": lambda handler: answers.pop(0)}) as server:
        loopback_allowed(server)
        client.force_login(reviewer)
        job = import_link(client, queued, server.url("/story"))
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    assert Article.objects.count() == 1


def test_an_unexpected_error_fails_the_job_without_changing_anything(
    reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(job, progress):
        Article.objects.all().delete()
        raise KeyError("a bug")

    monkeypatch.setitem(jobs.HANDLERS, Job.Kind.ARTICLE_LINK, broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(owner=reviewer, kind=Job.Kind.ARTICLE_LINK, title="t", params={})
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.message.startswith("An unexpected error stopped the job (KeyError)")


# --- A job no worker picks up -------------------------------------------------------------------


def test_a_job_no_worker_starts_says_after_a_minute_that_the_worker_may_not_be_running(
    client, reviewer
):
    """With no worker running (``manage.py runserver`` alone, a worker that died between jobs)
    a job's page said "Waiting" under a moving bar for ever."""
    job = jobs.start(
        owner=reviewer, kind=Job.Kind.EXPORT, title="PDF report of an article", params={}
    )
    client.force_login(reviewer)
    progress = {"HX-Request": "true", "HX-Target": "job-progress"}
    fresh = client.get(job.get_absolute_url(), headers=progress).content.decode()
    assert "Waiting" in fresh and "No worker has started it" not in fresh

    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=3))
    late = client.get(job.get_absolute_url(), headers=progress).content.decode()
    assert "No worker has started it in 3\xa0minutes." in late
    assert "the job worker may not be running" in late
    assert "<html" not in late  # the progress region, as the page asks for it every second


def test_a_job_waiting_behind_a_running_one_says_the_workers_are_busy(client, reviewer, editor):
    waiting = jobs.start(owner=reviewer, kind=Job.Kind.EXPORT, title="PDF", params={})
    running = jobs.start(owner=editor, kind=Job.Kind.EXPORT, title="PDF", params={})
    long_ago = timezone.now() - datetime.timedelta(minutes=3)
    Job.objects.filter(pk=waiting.pk).update(created_at=long_ago)
    Job.objects.filter(pk=running.pk).update(
        status=Job.Status.RUNNING, attempts=1, heartbeat_at=timezone.now()
    )
    client.force_login(reviewer)
    page = client.get(waiting.get_absolute_url()).content.decode()
    assert "The workers are busy with other jobs: it starts when one is free." in page
    assert "may not be running" not in page


def test_a_job_queued_again_for_a_retry_does_not_say_no_worker_started_it(client, reviewer):
    job = jobs.start(owner=reviewer, kind=Job.Kind.ARTICLE_LINK, title="t", params={})
    Job.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=3),
        attempts=1,
        message="Attempt 1 of 3 failed (timed out); trying again in 30 s.",
    )
    client.force_login(reviewer)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "trying again in 30 s" in page and "No worker has started it" not in page


# --- Cancelling -------------------------------------------------------------------------------


def test_a_waiting_job_cancelled_never_runs(
    client, reviewer, queued, loopback_allowed, django_capture_on_commit_callbacks
):
    with serve({"/story": Page(STORY)}) as server:
        loopback_allowed(server)
        client.force_login(reviewer)
        job = import_link(client, queued, server.url("/story"))
        response = client.post(reverse("annotations:job-cancel", args=[job.pk]))
        assert response.status_code == 302
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert job.message == f"Cancelled by {reviewer} before it started."
    assert server.received == [] and not Article.objects.exists()


def test_a_running_job_stops_at_its_next_step_when_cancelled(
    reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    steps = []

    def long_work(job, progress):
        for step in range(10):
            if step == 3:  # its owner clicks Cancel meanwhile
                Job.objects.get(pk=job.pk).cancel(by=reviewer)
            progress(step, 10, f"step {step}")
            steps.append(step)
        return jobs.Outcome("done")

    monkeypatch.setitem(jobs.HANDLERS, Job.Kind.ARTICLE_LINK, long_work)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(owner=reviewer, kind=Job.Kind.ARTICLE_LINK, title="t", params={})
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    job.refresh_from_db()
    assert steps == [0, 1, 2]
    assert job.status == Job.Status.CANCELLED
    assert job.progress_done == 3


# --- A killed worker --------------------------------------------------------------------------


def _killed_mid_run(owner, *, attempts: int, url: str) -> Job:
    """The state a worker killed while running a job leaves: the job running, its heartbeat
    old, the queue's row running too."""
    job = Job.objects.create(
        owner=owner,
        kind=Job.Kind.ARTICLE_LINK,
        title="Import",
        params={"url": url},
        status=Job.Status.RUNNING,
        attempts=attempts,
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=5),
        worker="killed-worker",
    )
    result = jobs.run_job.enqueue(job.pk)
    DBTaskResult.objects.filter(id=result.id).update(status="RUNNING")
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    return job


def test_a_worker_started_after_one_was_killed_runs_its_job_again(
    reviewer, loopback_allowed, django_capture_on_commit_callbacks
):
    with serve({"/story": Page(STORY)}) as server:
        loopback_allowed(server)
        job = _killed_mid_run(reviewer, attempts=1, url=server.url("/story"))
        with django_capture_on_commit_callbacks(execute=True):
            output = run_worker()  # takes it back, queued once that commits
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
    job.refresh_from_db()
    assert f"Took back job #{job.pk}" in output
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    assert Article.objects.count() == 1
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()


def test_a_job_whose_worker_died_on_every_attempt_is_reported_failed(
    client, reviewer, django_capture_on_commit_callbacks
):
    job = _killed_mid_run(reviewer, attempts=3, url="https://news.example/story")
    client.force_login(reviewer)
    # Looking at it is enough to learn its fate: the page takes it back.
    html = client.get(job.get_absolute_url()).content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "stopped 3 times" in job.message and "stopped 3 times" in html


def test_a_job_still_beating_is_not_taken_back(reviewer):
    job = _killed_mid_run(reviewer, attempts=1, url="https://news.example/story")
    # The worker was alive after all. (The beat runs in its own thread, whose connection it
    # refreshes; here it shares the test's, inside the test's transaction.)
    with mock.patch("annotations.jobs.close_old_connections"):
        jobs.Housekeeper("killed-worker").beat()
    assert jobs.take_back_abandoned() == []
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    assert job.heartbeat_at > timezone.now() - datetime.timedelta(seconds=5)


# --- Who sees what ----------------------------------------------------------------------------


@pytest.fixture
def ritas_job(reviewer):
    return Job.objects.create(
        owner=reviewer, kind=Job.Kind.ARTICLE_LINK, title="Rita's import", params={}
    )


@pytest.mark.parametrize("view", ["job-detail", "job-cancel", "job-download"])
def test_another_users_job_is_not_found(view, client, reviewer2, ritas_job):
    client.force_login(reviewer2)
    address = reverse(f"annotations:{view}", args=[ritas_job.pk])
    response = client.post(address) if view == "job-cancel" else client.get(address)
    assert response.status_code == 404
    ritas_job.refresh_from_db()
    assert ritas_job.status == Job.Status.QUEUED


def test_the_job_list_shows_only_ones_own_jobs_but_all_to_an_admin(
    client, reviewer2, admin_user, ritas_job
):
    Job.objects.create(owner=reviewer2, kind=Job.Kind.EXPORT, title="Raj's export", params={})
    client.force_login(reviewer2)
    html = client.get(reverse("annotations:job-list")).content.decode()
    assert "Raj&#x27;s export" in html and "Rita" not in html
    client.force_login(admin_user)
    html = client.get(reverse("annotations:job-list")).content.decode()
    assert "Raj&#x27;s export" in html and "Rita&#x27;s import" in html


def test_an_admin_may_cancel_anyones_job(client, admin_user, ritas_job):
    client.force_login(admin_user)
    client.post(reverse("annotations:job-cancel", args=[ritas_job.pk]))
    ritas_job.refresh_from_db()
    assert ritas_job.status == Job.Status.CANCELLED


def test_an_invalid_link_is_refused_with_the_form(client, reviewer):
    client.force_login(reviewer)
    response = client.post(reverse("annotations:article-import-link"), {"url": "not a link"})
    assert response.status_code == 400
    assert "Enter a valid URL" in response.content.decode()
    assert not Job.objects.exists()


def test_a_link_with_a_password_is_refused_with_the_form_and_kept_nowhere(client, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:article-import-link"),
        {"url": "https://desk:hunter2@news.example/story"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Links with a user name or password are not fetched." in page
    # Not written into a job's title or parameters, which admins see on the jobs pages.
    assert not Job.objects.exists()


# --- On a terminal ----------------------------------------------------------------------------


def test_import_articles_takes_links_and_reports_each(loopback_allowed, db):
    pages = {"/story": Page(STORY), "/report.pdf": Page(b"%PDF", headers={"Content-Type": "a/b"})}
    with serve(pages) as server:
        loopback_allowed(server)
        out, err = io.StringIO(), io.StringIO()
        with pytest.raises(SystemExit) as exited:
            call_command(
                "import_articles",
                server.url("/story"),
                server.url("/report.pdf"),
                stdout=out,
                stderr=err,
            )
    assert exited.value.code == 1
    article = Article.objects.get()
    assert f"IMPORTED  {server.url('/story')}: Imported as article #{article.pk}" in out.getvalue()
    assert f"FAILED    {server.url('/report.pdf')}: " in err.getvalue()
    assert "is a/b, not" in err.getvalue()


# --- Exports as jobs --------------------------------------------------------------------------


def test_one_article_in_a_quick_format_downloads_at_once(client, reviewer):
    from tests.export_helpers import worked_example

    article = worked_example(n_articles=1)["articles"][0]
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:export-start", args=["csv"]),
        {"article": article.pk, "scope": "internal"},
    )
    assert response.status_code == 303
    assert response.url == f"/exports/csv/?article={article.pk}&scope=internal"
    assert not Job.objects.exists()


def test_a_pdf_report_is_made_by_a_job_and_downloaded_from_its_page(
    client, reviewer, queued, django_capture_on_commit_callbacks
):
    from tests.export_helpers import worked_example

    article = worked_example(n_articles=1)["articles"][0]
    client.force_login(reviewer)
    response = queued(
        client,
        reverse("annotations:export-start", args=["pdf"]),
        {"article": article.pk, "scope": "published"},
    )
    job = Job.objects.get()
    assert response.url == job.get_absolute_url()
    assert (job.kind, job.title) == (Job.Kind.EXPORT, "PDF report of an article")
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.message.startswith("PDF report of 1 article ready")
    assert "Download factcheck-article-" in client.get(job.get_absolute_url()).content.decode()
    download = client.get(reverse("annotations:job-download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert f'filename="factcheck-article-{article.pk}-published-' in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_an_export_of_several_articles_is_a_job_with_the_dashboards_filters(
    client, editor, queued, django_capture_on_commit_callbacks
):
    import csv

    from tests.export_helpers import worked_example

    worked_example(n_articles=3)
    client.force_login(editor)
    queued(client, reverse("annotations:export-start", args=["csv"]), {"scope": "internal"})
    job = Job.objects.get()
    assert job.params == {"format": "csv", "query": {"scope": ["internal"]}}
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    job.refresh_from_db()
    assert job.message.startswith("CSV, one row per claim of 3 articles ready")
    download = client.get(reverse("annotations:job-download", args=[job.pk]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert len({row["article_title"] for row in csv.DictReader(text.splitlines())}) == 3


def test_an_export_asked_with_a_bad_scope_is_refused_before_any_job(client, reviewer):
    client.force_login(reviewer)
    response = client.post(reverse("annotations:export-start", args=["pdf"]), {"scope": "all"})
    assert response.status_code == 400
    assert "Unknown scope" in response.content.decode()
    assert not Job.objects.exists()


def test_an_export_of_nothing_goes_back_to_the_page_saying_so_and_makes_no_file(
    client, editor, queued
):
    """Filters that match no article used to give a job "PDF report of 0 articles ready" and an
    empty file (a CSV of nothing downloaded at once): read as a report, it says nothing was
    checked. The menu now goes back to the page, filters kept, with the reason."""
    from tests.export_helpers import worked_example

    worked_example(n_articles=2)
    client.force_login(editor)
    page = reverse("annotations:article-list") + "?q=zeppelins"
    fields = export_menu_fields(client.get(page).content.decode())
    assert fields["next"] == [page]
    for export_format in ("pdf", "csv"):
        response = queued(
            client,
            reverse("annotations:export-start", args=[export_format]),
            {**fields, "scope": "internal"},
        )
        assert response.status_code == 302
        assert response.url == page
        shown = client.get(response.url).content.decode()
        assert "Nothing matches this selection, so nothing was exported" in shown
        assert 'value="zeppelins"' in shown  # the search box as the user left it
    assert not Job.objects.exists()


def test_an_export_refused_without_a_page_of_this_site_to_go_back_to_says_why_as_text(
    client, editor
):
    client.force_login(editor)
    for back_to in ("", "https://elsewhere.example/", "//elsewhere.example/"):
        response = client.post(
            reverse("annotations:export-start", args=["pdf"]),
            {"q": "zeppelins", "next": back_to},
        )
        assert response.status_code == 400
        assert "nothing was exported" in response.content.decode()
    assert not Job.objects.exists()


def test_an_export_of_matching_articles_still_starts_its_job_with_the_menus_fields(
    client, editor, queued
):
    from tests.export_helpers import worked_example

    worked_example(n_articles=2)
    client.force_login(editor)
    fields = export_menu_fields(client.get(reverse("annotations:article-list")).content.decode())
    response = queued(client, reverse("annotations:export-start", args=["pdf"]), fields)
    job = Job.objects.get()
    assert response.url == job.get_absolute_url()
    assert "next" not in job.params["query"]  # the page to go back to is not a filter


# --- Articles named in a job's message --------------------------------------------------------


def test_a_folder_import_links_the_articles_it_imported(client, reviewer):
    """The job said "article #4" as plain text: each article it names is a link to its reader
    page, the message escaped around it; an article deleted since is named without a link."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from annotations.models import User

    files = [
        SimpleUploadedFile(name, f"{title}\n\nThe pier opens at {n} o'clock on Monday.\n".encode())
        for n, (name, title) in enumerate(
            [("pier <b>early.txt", "Pier opens early"), ("ferry.txt", "Ferry timetable")]
        )
    ]
    job = jobs.start_file_import(files, owner=reviewer)
    jobs.execute(job.pk)
    pier, ferry = Article.objects.order_by("pk")
    client.force_login(reviewer)
    detail = client.get(job.get_absolute_url()).content.decode()
    for article in (pier, ferry):
        assert f'<a href="{article.get_absolute_url()}">article #{article.pk}</a>' in detail
    assert "pier &lt;b&gt;early.txt" in detail  # a file's name stays text
    listed = client.get(reverse("annotations:job-list")).content.decode()
    assert f'<a href="{pier.get_absolute_url()}">article #{pier.pk}</a>' in listed
    # Deleted since: named, not linked.
    ferry_url, ferry_pk = ferry.get_absolute_url(), ferry.pk
    ferry.delete()
    detail = client.get(job.get_absolute_url()).content.decode()
    assert f"article #{ferry_pk}" in detail and f'href="{ferry_url}"' not in detail
    # Someone who may not open articles (no role) gets the names without links.
    job.refresh_from_db()
    jobs.link_messages([job], User.objects.create_user("nobody"))
    assert f"article #{pier.pk}" in job.message_html and "<a " not in job.message_html
