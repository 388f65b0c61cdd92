"""Work out the check-worthy suggestions of articles imported before there were any (or after
the scorer changed). Dismissals are kept: a dismissed sentence stays dismissed."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from annotations.models import Article, Suggestion


class Command(BaseCommand):
    help = (
        "Work out the check-worthy suggestions of every article (or of the given ones, or of "
        "those that have none yet), with a progress bar. Reviewers' dismissals are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--article", type=int, action="append", default=[], help="Only this article."
        )
        parser.add_argument(
            "--missing", action="store_true", help="Only articles that have no suggestions yet."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, article, missing, no_progress, verbosity, **options):
        articles = Article.objects.order_by("pk")
        if article:
            articles = articles.filter(pk__in=article)
        if missing:
            articles = articles.exclude(pk__in=Suggestion.objects.values("article_id"))
        ids = list(articles.values_list("pk", flat=True))
        suggested = 0
        progress = tqdm(ids, unit="article", file=sys.stderr, disable=no_progress or None)
        for pk in progress:
            # One article at a time: its text is read, scored and dropped before the next.
            one = Article.objects.only("pk", *Article.SUGGESTED_FROM).get(pk=pk)
            suggested += Suggestion.objects.refresh_for(one)
        if verbosity:
            self.stdout.write(f"{len(ids)} article(s): {suggested} suggestion(s).")
