from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.importers.w3c import W3CImportError, import_annotations


class Command(BaseCommand):
    help = (
        "Import W3C Web Annotations (one annotation, a list, or an AnnotationCollection, e.g. "
        "a Hypothesis export) as claims on the articles their targets name. Annotations that "
        "cannot be anchored are listed; a malformed file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON-LD file.")
        parser.add_argument(
            "--user", help="Username recorded as creator when an annotation names no known user."
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
            result = import_annotations(text, user=importer)
        except W3CImportError as error:
            raise CommandError(f"{file}: {error} Nothing was imported.") from None
        created, *unanchored = result.lines()
        self.stdout.write(created)
        for line in unanchored:
            self.stderr.write(self.style.WARNING(line))
