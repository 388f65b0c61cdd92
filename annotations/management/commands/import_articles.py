import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.importers import SUPPORTED_EXTENSIONS, import_paths, iter_files


class Command(BaseCommand):
    help = (
        "Import article files and folders of them "
        f"({', '.join(SUPPORTED_EXTENSIONS)}). Each file is imported whole or not at all; "
        "the exit status is 1 when any file failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or folders (searched recursively).")
        parser.add_argument(
            "--update",
            action="store_true",
            help="Replace articles whose file changed since the last import (claims are moved "
            "onto the new text by their quotes; a file whose new text loses a claim's quote "
            "is refused).",
        )
        parser.add_argument("--user", help="Username recorded as the importer.")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )

    def handle(self, *args, paths, update=False, user=None, no_progress=False, verbosity=1, **opts):
        importer = None
        if user:
            try:
                importer = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None

        files = list(iter_files(paths))
        if not files:
            raise CommandError("No article files found in the given paths.")
        progress = tqdm(
            total=len(files),
            unit="file",
            file=sys.stderr,
            disable=no_progress or len(files) < 20 or None,
        )

        def report_file(outcome):
            progress.update(1)
            if outcome.failed:
                progress.write(self.style.ERROR(outcome.line()), file=self.stderr._out)
            elif verbosity >= 1 and (verbosity >= 2 or outcome.status != "unchanged"):
                progress.write(outcome.line(), file=self.stdout._out)
            for warning in outcome.warnings:
                progress.write(
                    self.style.WARNING(f"WARNING   {outcome.name}: {warning}"),
                    file=self.stderr._out,
                )

        report = import_paths(files, user=importer, update=update, on_file=report_file)
        progress.close()
        summary = f"Imported {len(files)} file(s): {report.summary()}."
        if report.any_failed:
            self.stderr.write(self.style.ERROR(summary))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))
