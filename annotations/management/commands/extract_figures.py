"""Read the figures of claims written without them (imported in bulk, or from before figures
were read), and file every claim again in the index that proposals of the same claim in other
articles are found by. ``--queue`` runs it as a background job instead (``backfills``)."""

from annotations import backfills
from annotations.management.backfill import BackfillCommand


class Command(BackfillCommand):
    backfill, unit = "figures", "claim"
    help = (
        "Read the figures of every claim's quote and statement again (or of the claims of the "
        "given articles). Figures a reviewer corrected or removed are kept. Safe to run again: "
        "claims whose figures did not change are not written."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--article", type=int, action="append", default=[], help="Only this article's claims."
        )
        parser.add_argument(
            "--batch", type=int, default=backfills.FIGURES_BATCH, help="Claims per transaction."
        )

    def handle(self, *args, article, batch, no_progress, queue, verbosity, **options):
        if queue:
            self.queue(article_ids=article, batch=batch)
            return
        bar = self.progress_bar(no_progress)

        def progress(done, total):
            bar.total = total
            bar.disable = bar.disable or total < batch
            bar.update(done - bar.n)

        with bar:
            summary = backfills.read_figures(article, progress, batch=batch)
        if verbosity:
            self.stdout.write(summary)
