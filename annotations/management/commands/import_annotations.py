from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.importers.w3c import W3CImportError, import_annotations
from annotations.models import Article


class Command(BaseCommand):
    help = (
        "Import annotations as claims on the articles their targets name: W3C Web "
        "Annotations (one, a list, or an AnnotationCollection; our own W3C export comes back "
        "whole), Hypothesis API search results and client exports, and Recogito's JSON and "
        "W3C output. Annotations that cannot be anchored are listed with the reason; a "
        "malformed file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON or JSON-LD file.")
        parser.add_argument(
            "--user",
            help="Username recorded as the importer (and as creator where an annotation names "
            "none of our users).",
        )
        parser.add_argument(
            "--article",
            type=int,
            metavar="ID",
            help="The article that annotations naming no document are on (Recogito's JSON, "
            "recogito-js W3C output without a source).",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Read W3C Web Annotation JSON-LD only, with every MUST rule of the data model "
            "applied as written (no bare UUID ids, empty bodies or targets without a source).",
        )

    def handle(self, *args, file, user=None, article=None, strict=False, **options):
        importer = None
        if user:
            try:
                importer = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        target = None
        if article is not None:
            target = Article.objects.filter(pk=article).first()
            if target is None:
                raise CommandError(f"No article #{article}.")
        try:
            text = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            result = import_annotations(text, user=importer, article=target, strict=strict)
        except W3CImportError as error:
            # One line, whatever the file put in the ids and values quoted.
            message = " ".join(str(error).split())
            raise CommandError(f"{file}: {message} Nothing was imported.") from None
        summary, *details = result.lines()
        self.stdout.write(summary)
        for line in details:
            self.stderr.write(self.style.WARNING(line))
