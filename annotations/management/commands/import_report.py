from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.importers.report import ReportImportError, import_report


class Command(BaseCommand):
    help = (
        "Import a JSON export (export_report --format json). Restores into an empty database "
        "or merges into a populated one without duplicating; a bad file changes nothing. "
        "Approvals the review rules would not allow come in as needs review, listed one a line."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file.")
        parser.add_argument(
            "--user",
            help="Username signing the notes left on claims whose approval is not kept.",
        )

    def handle(self, *args, file, user=None, **options):
        importer = None
        if user:
            try:
                importer = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        try:
            text = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            summary = import_report(text, user=importer)
        except ReportImportError as error:
            raise CommandError(f"{file}: {error} Nothing was imported.") from None
        for line in summary.lines():
            self.stdout.write(line)
        for line in summary.held_for_review:
            self.stderr.write(self.style.WARNING(line))
