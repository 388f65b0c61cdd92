"""The figures of claims across articles (issue 13) for `make bench`: reading figures, the
proposals of related claims for one claim, and a conflict page."""

import time

from bench.figures import TARGET_MS, median_ms_per_claim
from bench.measure import Result


def figure_extraction(quick: bool) -> Result:
    """Median time to read the figures of one claim (quote and statement)."""
    count = 300 if quick else 2000
    started = time.perf_counter()
    median = median_ms_per_claim(count=count)
    elapsed = time.perf_counter() - started
    return Result(
        "figure extraction, one claim (quote and statement)",
        target_ms=TARGET_MS,
        median_ms=round(median, 3),
        runs=count,
        passed=median <= TARGET_MS,
        note=f"bench.figures corpus, {count:,} generated claims in {elapsed:.1f} s",
    )


def _figure_corpus(rng, articles: int, per_article: int = 5) -> int:
    """``articles`` articles of invented figure sentences (bench.figures) with a claim on each
    sentence, written in bulk as imports are; returns how many claims."""
    from annotations import anchoring
    from annotations.models import Article, Claim
    from bench.figures import make_claims

    made = make_claims(articles * per_article, seed=rng.randint(1, 10**6))
    rows, claims = [], []
    for number in range(articles):
        chunk = made[number * per_article : (number + 1) * per_article]
        body = "\n\n".join(quote for quote, _ in chunk)
        rows.append(
            Article(
                title=f"Figures bulletin {number}",
                body=body,
                raw_text=f"figures {number}\n\n{body}",
                content_hash=Article.hash_text(f"figures {number}\n\n{body}"),
            )
        )
    for article, number in zip(Article.objects.bulk_create(rows), range(articles), strict=True):
        start = 0
        for quote, statement in made[number * per_article : (number + 1) * per_article]:
            claim = Claim(article=article, statement=statement, claimant="The council")
            claim.set_span(anchoring.selector_for(article.body, start, start + len(quote)))
            claims.append(claim)
            start += len(quote) + 2
    Claim.objects.bulk_create(claims, batch_size=1000)
    return len(claims)


def proposals(rng, *, quick: bool, runs: int, warmup: int) -> list[Result]:
    """Index every claim of the benchmark database (``manage.py extract_figures``, timed) and
    time the proposals for one claim."""
    from io import StringIO

    from django.core.management import call_command

    from annotations.models import Claim, ClaimKey
    from bench.measure import measure, time_once

    added = _figure_corpus(rng, 400 if quick else 2000)
    total = Claim.objects.count()
    backfill = time_once(
        f"extract_figures backfill, {total:,} claims (figures and index)",
        lambda: call_command("extract_figures", "--no-progress", stdout=StringIO()),
        target_ms=None,
    )
    backfill.note = f"{added:,} figure claims added to the benchmark's other claims"
    ids = list(Claim.objects.order_by("?").values_list("pk", flat=True)[: runs + warmup])
    state = {"n": 0, "found": 0}

    def one():
        claim = Claim.objects.get(pk=ids[state["n"] % len(ids)])
        state["n"] += 1
        found = claim.proposals()
        state["found"] += len(found)
        return found

    result = measure(
        f"proposals for one claim, {total:,} claims indexed",
        one,
        runs=runs,
        warmup=warmup,
        target_ms=30,
    )
    keys = ClaimKey.objects.count()
    result.note = (
        f"{keys:,} index keys; at most {ClaimKey.objects.CAP} claims read per key and "
        f"{Claim.CANDIDATES} scored; {state['found'] / max(state['n'], 1):.1f} proposals a claim"
    )
    return [backfill, result]


def conflict_page(client, user, rng, *, runs: int, warmup: int) -> Result:
    """A conflict's page: a family of twelve claims from twelve articles whose figures
    disagree, with the table and the chart."""
    import datetime

    from django.urls import reverse

    from annotations.models import Article, Claim, ClaimFamily
    from bench.measure import measure

    claims = []
    for number in range(12):
        value = rng.choice([800, 1_200, 2_000, 2_500, 3_100]) * (1 + number % 3)
        text = f"There are {value:,} red squirrels left in the Northfell forest, a count says."
        article = Article.objects.create(
            title=f"Squirrel count {number}",
            published_on=datetime.date(2010 + number, 6, 1),
            body=text,
            raw_text=f"squirrels {number}\n\n{text}",
        )
        claims.append(Claim.objects.create_from_selection(article, 0, len(text), text, by=user))
    family = None
    for claim in claims[1:]:
        seen = (family.pk, family.version, None, None) if family else (None,) * 4
        family = ClaimFamily.confirm(claims[0], claim, by=user, seen=seen)
        family.refresh_from_db()
    path = reverse("annotations:family-detail", args=[family.pk])
    result = measure(
        "conflict page, a family of 12 claims (table and chart)",
        lambda: client.get(path),
        runs=runs,
        warmup=warmup,
        target_ms=50,
        check=lambda r: None if r.status_code == 200 else f"HTTP {r.status_code}",
    )
    result.note = f"{len(family.conflict_figures)} disagreeing figures; conflict {family.conflict}"
    return result
