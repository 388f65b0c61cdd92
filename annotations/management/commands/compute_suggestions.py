"""Work out the check-worthy suggestions of articles imported before there were any (or after
the scorer changed). Dismissals are kept: a dismissed sentence stays dismissed. ``--queue`` runs
it as a background job instead (``backfills``)."""

import sys

from django.core.management.base import BaseCommand
from django.urls import reverse
from tqdm import tqdm

from annotations import backfills


class Command(BaseCommand):
    help = (
        "Work out the check-worthy suggestions of every article (or of the given ones, or of "
        "those that have none yet), with a progress bar. Reviewers' dismissals are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--article", type=int, action="append", default=[], help="Only this article."
        )
        parser.add_argument(
            "--missing", action="store_true", help="Only articles that have no suggestions yet."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue it as a background job (run by a worker, its progress on the job's "
            "page) instead of running it here.",
        )

    def handle(self, *args, article, missing, no_progress, queue, verbosity, **options):
        if queue:
            job = backfills.start_job(
                "suggestions", owner=None, article_ids=article, missing=missing
            )
            self.stdout.write(
                f"Queued job {job.pk}: {reverse('annotations:job-detail', args=[job.pk])}"
            )
            return
        bar = tqdm(unit="article", file=sys.stderr, disable=no_progress or None)

        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        with bar:
            summary = backfills.compute_suggestions(article, progress, missing=missing)
        if verbosity:
            self.stdout.write(summary)
