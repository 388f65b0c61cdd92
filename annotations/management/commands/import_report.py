from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations.importers.report import ReportImportError, import_report


class Command(BaseCommand):
    help = (
        "Import a JSON export (export_report --format json). Restores into an empty database "
        "or merges into a populated one without duplicating; a bad file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file.")

    def handle(self, *args, file, **options):
        try:
            text = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            summary = import_report(text)
        except ReportImportError as error:
            raise CommandError(f"{file}: {error} Nothing was imported.") from None
        for line in summary.lines():
            self.stdout.write(line)
