"""Helpers for tests of work done by background jobs."""

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
