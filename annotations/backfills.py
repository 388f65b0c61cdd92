"""Backfills: work done again over many rows after an import in bulk or a change in how the app
reads them — the figures and index keys of claims (``figures``), the check-worthy suggestions of
articles (``suggestions``).

Each runs on a terminal (``manage.py extract_figures`` / ``compute_suggestions``, with a
progress bar) or as a background job (the same commands with ``--queue``, or the admin's actions
on articles), whose page shows its progress. The work is done in small transactions and is safe
to run again (a claim whose figures did not change is not written; dismissed suggestions stay
dismissed), so a job that is cancelled or whose worker is killed keeps what it finished and its
retry redoes the rest.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from annotations.models import Article, Claim, ClaimFigure, ClaimKey, Job, Suggestion

Progress = Callable[[int, int], None]  # (done, total)

FIGURES_BATCH = 500


def read_figures(article_ids: list[int], progress: Progress, *, batch: int = FIGURES_BATCH) -> str:
    """Read the figures of the claims of ``article_ids`` (all when empty) again, and file them in
    the index proposals are found by."""
    claims = Claim.objects.order_by("pk")
    if article_ids:
        claims = claims.filter(article_id__in=article_ids)
    total = claims.count()
    changed, last, done = 0, 0, 0
    fields = ("pk", "article_id", "quote", "statement", "claimant")
    progress(0, total)
    while True:
        # Keyset pages: the work per batch does not grow with the table.
        page = list(claims.filter(pk__gt=last).only(*fields)[: max(batch, 1)])
        if not page:
            break
        with transaction.atomic():
            changed += ClaimFigure.objects.read_many(page)
            ClaimKey.objects.file_many(page)
        last = page[-1].pk
        done += len(page)
        progress(done, total)
    return f"Read {total} claims: figures changed in {changed}."


def compute_suggestions(
    article_ids: list[int], progress: Progress, *, missing: bool = False
) -> str:
    """Work out the check-worthy suggestions of ``article_ids`` (all when empty; with
    ``missing``, only of those that have none)."""
    articles = Article.objects.order_by("pk")
    if article_ids:
        articles = articles.filter(pk__in=article_ids)
    if missing:
        articles = articles.exclude(pk__in=Suggestion.objects.values("article_id"))
    ids = list(articles.values_list("pk", flat=True))
    suggested = 0
    progress(0, len(ids))
    for done, pk in enumerate(ids, start=1):
        # One article at a time: its text is read, scored and dropped before the next.
        one = Article.objects.only("pk", *Article.SUGGESTED_FROM).get(pk=pk)
        suggested += Suggestion.objects.refresh_for(one)
        progress(done, len(ids))
    return f"{len(ids)} article(s): {suggested} suggestion(s)."


@dataclass(frozen=True)
class Backfill:
    label: str  # what the job does, as its title says it
    run: Callable[..., str]


BACKFILLS = {
    "figures": Backfill("Read the figures and index keys of claims again", read_figures),
    "suggestions": Backfill("Work out check-worthy suggestions again", compute_suggestions),
}


def start_job(name: str, *, owner, article_ids: list[int], **options) -> Job:
    """Queue backfill ``name`` as a background job (over every article when ``article_ids`` is
    empty)."""
    from annotations import jobs

    backfill = BACKFILLS[name]
    scope = f"{len(article_ids)} article(s)" if article_ids else "every article"
    return jobs.start(
        owner=owner,
        kind=Job.Kind.BACKFILL,
        title=f"{backfill.label}: {scope}",
        params={"backfill": name, "article_ids": list(article_ids), "options": options},
    )


def run_job(params: dict, progress: Progress) -> str:
    return BACKFILLS[params["backfill"]].run(
        params["article_ids"], progress, **params.get("options", {})
    )
