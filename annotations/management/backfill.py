"""What the backfill commands share (``annotations.backfills``): run on the terminal with a
progress bar, or queued as a background job with ``--queue``."""

import sys

from django.core.management.base import BaseCommand
from django.urls import reverse
from tqdm import tqdm

from annotations import backfills


class BackfillCommand(BaseCommand):
    backfill = ""  # its name in backfills.BACKFILLS
    unit = ""  # what the progress bar counts

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue it as a background job (run by a worker, its progress on the job's "
            "page) instead of running it here.",
        )

    def queue(self, *, article_ids: list[int], **options) -> None:
        job = backfills.start_job(self.backfill, owner=None, article_ids=article_ids, **options)
        self.stdout.write(
            f"Queued job {job.pk}: {reverse('annotations:job-detail', args=[job.pk])}"
        )

    def progress_bar(self, no_progress: bool) -> tqdm:
        return tqdm(unit=self.unit, file=sys.stderr, disable=no_progress or None)
