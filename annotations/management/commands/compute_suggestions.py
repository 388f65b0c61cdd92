"""Work out the check-worthy suggestions of articles imported before there were any (or after
the scorer changed). Dismissals are kept: a dismissed sentence stays dismissed. ``--queue`` runs
it as a background job instead (``backfills``)."""

from annotations import backfills
from annotations.management.backfill import BackfillCommand


class Command(BackfillCommand):
    backfill, unit = "suggestions", "article"
    help = (
        "Work out the check-worthy suggestions of every article (or of the given ones, or of "
        "those that have none yet), with a progress bar. Reviewers' dismissals are kept."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--article", type=int, action="append", default=[], help="Only this article."
        )
        parser.add_argument(
            "--missing", action="store_true", help="Only articles that have no suggestions yet."
        )

    def handle(self, *args, article, missing, no_progress, queue, verbosity, **options):
        if queue:
            self.queue(article_ids=article, missing=missing)
            return
        bar = self.progress_bar(no_progress)

        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        with bar:
            summary = backfills.compute_suggestions(article, progress, missing=missing)
        if verbosity:
            self.stdout.write(summary)
