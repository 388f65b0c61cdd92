"""Import fact-checks other organisations published (their ClaimReview markup), so that the
claim panel points at the ones that checked the same claim."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.importers.claimreview import find_files, import_readings, read_file


class Command(BaseCommand):
    help = (
        "Import published ClaimReview markup: JSON-LD files, ClaimReview data feeds (a "
        "dataFeedElement list) and saved fact-check pages (their application/ld+json blocks), "
        "or folders of them. Each review is kept once by URL; importing again updates it. A "
        "bad file is refused whole with one line; pages without ClaimReview are skipped and "
        "counted; reviews missing claimReviewed, reviewRating or url are listed with the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or folders.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show the progress bar even when the output is not a terminal (a log).",
        )

    def handle(self, *args, paths, no_progress, progress, verbosity, **options):
        # tqdm's None: shown on a terminal only.
        hidden = True if no_progress else (False if progress else None)
        files = find_files(paths)
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        readings = []
        for path in tqdm(files, unit="file", file=sys.stderr, disable=hidden):
            readings.append(read_file(path.name, path.read_bytes()))
        total = sum(len(reading.reviews) for reading in readings)
        with tqdm(total=total, unit="review", file=sys.stderr, disable=hidden) as bar:
            result = import_readings(readings, progress=bar.update)
        for line in result.lines():
            self.stdout.write(line)
        if result.failed:
            raise CommandError(result.summary())
        if verbosity:
            self.stdout.write(result.summary())
