"""Read the figures of claims written without them (imported in bulk, or from before figures
were read), and file every claim again in the index that proposals of the same claim in other
articles are found by. ``--queue`` runs it as a background job instead (``backfills``)."""

import sys

from django.core.management.base import BaseCommand
from django.urls import reverse
from tqdm import tqdm

from annotations import backfills


class Command(BaseCommand):
    help = (
        "Read the figures of every claim's quote and statement again (or of the claims of the "
        "given articles). Figures a reviewer corrected or removed are kept. Safe to run again: "
        "claims whose figures did not change are not written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--article", type=int, action="append", default=[], help="Only this article's claims."
        )
        parser.add_argument(
            "--batch", type=int, default=backfills.FIGURES_BATCH, help="Claims per transaction."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue it as a background job (run by a worker, its progress on the job's "
            "page) instead of running it here.",
        )

    def handle(self, *args, article, batch, no_progress, queue, verbosity, **options):
        if queue:
            job = backfills.start_job("figures", owner=None, article_ids=article, batch=batch)
            self.stdout.write(
                f"Queued job {job.pk}: {reverse('annotations:job-detail', args=[job.pk])}"
            )
            return
        bar = tqdm(unit="claim", file=sys.stderr, disable=no_progress or None)

        def progress(done, total):
            bar.total = total
            bar.disable = bar.disable or total < batch
            bar.update(done - bar.n)

        with bar:
            summary = backfills.read_figures(article, progress, batch=batch)
        if verbosity:
            self.stdout.write(summary)
