import sys
from contextlib import ExitStack

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.exporters import FORMATS
from annotations.exporters.request import ExportRequestError, parse_scope, select_articles
from annotations.exporters.scope import Scope


class Command(BaseCommand):
    help = (
        "Export fact-check reports or data: one article, several (--article, repeatable) or "
        "all of them, to a file or standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=sorted(FORMATS))
        parser.add_argument(
            "--article", type=int, action="append", default=[], help="Article id (repeatable)."
        )
        parser.add_argument(
            "--scope",
            choices=[s.value for s in Scope],
            default=Scope.PUBLISHED.value,
            help="published: approved verdicts only (default); internal: everything, with "
            "unapproved work marked as draft.",
        )
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, format, article, scope, output=None, no_progress=False, **options):
        export_format = FORMATS[format]
        try:
            articles = select_articles({"article": article} if article else {})
            scope = parse_scope(scope)
        except ExportRequestError as error:
            raise CommandError(str(error)) from None
        if article:
            missing = set(article) - set(articles.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No article with id {', '.join(map(str, sorted(missing)))}.")

        # Progress by bytes written; tqdm turns itself off when stderr is not a terminal.
        progress = tqdm(
            unit="B",
            unit_scale=True,
            file=sys.stderr,
            desc=f"export {format}",
            disable=no_progress or None,
        )
        try:  # a format may refuse before writing anything (ClaimReview without an address)
            pieces = export_format.chunks(articles, scope)
        except ExportRequestError as error:
            raise CommandError(str(error)) from None
        with ExitStack() as stack:
            if output:
                options = {} if export_format.binary else {"encoding": "utf-8", "newline": ""}
                out = stack.enter_context(
                    open(output, "wb" if export_format.binary else "w", **options)
                )
            else:
                out = sys.stdout.buffer if export_format.binary else sys.stdout
            stack.callback(progress.close)
            for chunk in pieces:
                out.write(chunk)
                progress.update(len(chunk))
            out.flush()
