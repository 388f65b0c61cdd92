"""Backfills as background jobs: queued from the admin's actions on articles or the commands'
``--queue``, run by the worker with their progress on the job's page; cancelling keeps the
batches already done."""

from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from annotations import anchoring, jobs
from annotations.models import Article, Claim, ClaimFigure, Job, Suggestion
from tests.factories import ArticleFactory
from tests.job_support import run_worker

TEXT = (
    "The harbour ferry carried 412,000 passengers in 2023. It makes about 18 crossings a day, "
    "and 3 in 10 sailings were late last winter. The port authority said 1,200 cars used it. "
    "Fares rose by 12% in April. The council will spend £4m on a new pontoon by 2026."
)
PHRASES = ["412,000 passengers", "18 crossings", "3 in 10", "1,200 cars", "12% in April"]


def claims_without_figures(article, phrases=PHRASES):
    rows = []
    for words in phrases:
        start = article.body.index(words)
        claim = Claim(article=article)
        claim.set_span(anchoring.selector_for(article.body, start, start + len(words)))
        rows.append(claim)
    return Claim.objects.bulk_create(rows)  # as bulk imports write them: no figures yet


def test_the_command_queues_the_figures_backfill_and_the_worker_runs_it(
    admin_user, client, django_capture_on_commit_callbacks
):
    article = ArticleFactory(body=TEXT, raw_text=TEXT)
    claims_without_figures(article)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("extract_figures", "--queue", "--batch", "2", stdout=out)
    job = Job.objects.get(kind=Job.Kind.BACKFILL)
    assert f"Queued job {job.pk}: /jobs/{job.pk}/" in out.getvalue()
    assert job.status == Job.Status.QUEUED and not ClaimFigure.objects.exists()
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.message == "Read 5 claims: figures changed in 5."
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert ClaimFigure.objects.filter(claim__article=article).count() >= 5
    # A job queued from a terminal has no owner: an admin sees it.
    client.force_login(admin_user)
    page = client.get(reverse("annotations:job-detail", args=[job.pk])).content.decode()
    assert "Read 5 claims: figures changed in 5." in page


def test_the_admin_queues_suggestions_for_the_selected_articles(
    admin_user, client, django_capture_on_commit_callbacks
):
    chosen, other = ArticleFactory(body=TEXT), ArticleFactory(body=TEXT)
    Suggestion.objects.all().delete()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:annotations_article_changelist"),
            {"action": "backfill_suggestions", "_selected_action": [chosen.pk]},
        )
    job = Job.objects.get(kind=Job.Kind.BACKFILL)
    assert response.status_code == 302
    assert response.url == reverse("annotations:job-detail", args=[job.pk])
    assert job.owner == admin_user
    assert job.title == "Work out check-worthy suggestions again: 1 article(s)"
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.message.startswith("1 article(s): ")
    assert chosen.suggestions.exists() and not other.suggestions.exists()
    page = client.get(response.url).content.decode()
    assert job.message in page


def test_selecting_every_article_backfills_the_whole_table(
    admin_user, client, django_capture_on_commit_callbacks
):
    articles = [ArticleFactory(body=TEXT, raw_text=f"{TEXT} ({n})") for n in range(2)]
    for article in articles:
        claims_without_figures(article, PHRASES[:2])
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:annotations_article_changelist"),
            {"action": "backfill_figures", "_selected_action": [a.pk for a in articles]},
        )
    job = Job.objects.get(kind=Job.Kind.BACKFILL)
    assert job.params["article_ids"] == []  # every article, also those added meanwhile
    assert job.title.endswith(": every article")
    run_worker()
    job.refresh_from_db()
    assert job.message == "Read 4 claims: figures changed in 4."


def test_a_reviewer_cannot_queue_a_backfill_from_the_admin(reviewer, client):
    article = ArticleFactory(body=TEXT)
    client.force_login(reviewer)
    client.post(
        reverse("admin:annotations_article_changelist"),
        {"action": "backfill_figures", "_selected_action": [article.pk]},
    )
    assert not Job.objects.exists()


def test_cancelling_a_running_backfill_keeps_the_batches_done(admin_user):
    article = ArticleFactory(body=TEXT, raw_text=TEXT)
    *done, last = claims_without_figures(article)
    from annotations import backfills

    job = backfills.start_job("figures", owner=admin_user, article_ids=[article.pk], batch=2)

    def cancel_after_the_first_batch(running):
        if running.progress_done == 2:
            Job.objects.filter(pk=running.pk).update(cancel_requested=True)

    jobs.execute(job.pk, on_progress=cancel_after_the_first_batch)
    job.refresh_from_db()
    # The cancel is seen at the next report, after the batch running meanwhile: 4 of 5 done.
    assert job.status == Job.Status.CANCELLED
    assert job.progress_done == 4
    figured = set(ClaimFigure.objects.values_list("claim_id", flat=True))
    assert figured == {claim.pk for claim in done} and last.pk not in figured
    assert Article.objects.count() == 1
