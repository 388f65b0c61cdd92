"""Read the figures of claims written without them (imported in bulk, or from before figures
were read), and file every claim again in the index that proposals of the same claim in other
articles are found by."""

import sys

from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from annotations.models import Claim, ClaimFigure, ClaimKey

BATCH = 500


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
        parser.add_argument("--batch", type=int, default=BATCH, help="Claims per transaction.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, article, batch, no_progress, verbosity, **options):
        claims = Claim.objects.order_by("pk")
        if article:
            claims = claims.filter(article_id__in=article)
        total = claims.count()
        progress = tqdm(
            total=total,
            unit="claim",
            file=sys.stderr,
            disable=no_progress or total < batch or None,
        )
        changed, last = 0, 0
        fields = ("pk", "article_id", "quote", "statement", "claimant")
        with progress:
            while True:
                # Keyset pages: the work per batch does not grow with the table.
                page = list(claims.filter(pk__gt=last).only(*fields)[: max(batch, 1)])
                if not page:
                    break
                with transaction.atomic():
                    changed += ClaimFigure.objects.read_many(page)
                    ClaimKey.objects.file_many(page)
                last = page[-1].pk
                progress.update(len(page))
        if verbosity:
            self.stdout.write(f"Read {total} claims: figures changed in {changed}.")
