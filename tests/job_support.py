"""Helpers for tests of work done by background jobs."""

import io
from unittest import mock

from django.core.management import call_command
from django.urls import reverse

from annotations import jobs
from annotations.models import Job


def upload_articles(client, files, **data):
    """Upload article files through the admin, run the import job it starts (as the worker
    would) and return the job's page, where the results are."""
    response = client.post(reverse("admin:annotations_article_upload"), {"files": files, **data})
    assert response.status_code == 302, response.content[:500]
    job = Job.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert job.kind == Job.Kind.FOLDER_IMPORT
    jobs.execute(job.pk)
    page = client.get(response.url)
    assert page.status_code == 200
    return page.content.decode()


def run_worker() -> str:
    """The real worker (``manage.py run_worker --batch``), run in the test until the queue is
    empty; returns what it printed. It shares the test's connection, which is inside the test's
    transaction: the worker's ``close_old_connections`` would close it (PostgreSQL's
    connection is then gone), so it is left open here."""
    out = io.StringIO()
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("run_worker", batch=True, reload=False, startup_delay=False, stdout=out)
    return out.getvalue()
