"""The claims table figure: ``/claims/`` over 10,000 articles and 200,000 claims on SQLite
(issue 13: ≤ 50 ms median), on the search figure's corpus (``bench.search``).

That corpus is written in bulk, so it has no figures, families or assignees: ``furnish`` adds
them the same way (a figure on every third claim, 2,000 families of two to five claims, a fifth
of them with disagreeing figures and half of those resolved, four reviewers sharing the
assigned claims). Then each request of a mix of filters, sorts, pages and searches is timed;
the figure is the median over the mix, and the note names the slowest.
"""

import random
import statistics
import time
from itertools import cycle

from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotations.claim_selection import PAGE_SIZE
from annotations.models import (
    Article,
    Claim,
    ClaimFamily,
    ClaimFigure,
    FamilyMembership,
    Role,
    Verdict,
)
from bench import data
from bench.measure import Result, measure

TARGET_MS = 50
FAMILIES = 2_000
COUNTED = ["visitor", "person", "passenger", "booking", "ticket"]


def furnish(rng: random.Random, *, families: int = FAMILIES) -> dict:
    """Figures, families and assignees for the bulk-written claims (once: a second call finds
    them made). Returns what the mix needs: a reviewer, a verdict, a publisher, an article."""
    desk = data.ensure_users(4, "benchdesk", Role.REVIEWER)
    if not ClaimFigure.objects.filter(text__startswith="bench ").exists():
        ids = list(Claim.objects.order_by("pk").values_list("pk", flat=True))
        for n, user in enumerate(desk):  # four claims in ten assigned, one to each reviewer
            Claim.objects.annotate(slot=F("pk") % 10).filter(slot=n).update(assignee=user)
        figures = []
        for pk in ids[::3]:
            value = rng.choice([48_000, 12_500, 300_000, rng.randint(1_000, 900_000)])
            figures.append(
                ClaimFigure(
                    claim_id=pk,
                    source=ClaimFigure.Source.QUOTE,
                    start=0,
                    end=6,
                    text=f"bench {value}",
                    value=value,
                    counted=rng.choice(COUNTED),
                )
            )
        ClaimFigure.objects.bulk_create(figures, batch_size=5_000)
        chosen = rng.sample(ids, min(len(ids), families * 5))
        made = ClaimFamily.objects.bulk_create(
            ClaimFamily(
                statement=f"Bench family {n}",
                conflict=n % 5 == 0,
                resolution=ClaimFamily.Resolution.REVISED_ESTIMATE if n % 10 == 0 else "",
            )
            for n in range(families)
        )
        links, at = [], 0
        for family in made:
            size = rng.randint(2, 5)
            links += [FamilyMembership(family=family, claim_id=pk) for pk in chosen[at : at + size]]
            family.member_count = size
            at += size
        FamilyMembership.objects.bulk_create(links, batch_size=5_000)
        ClaimFamily.objects.bulk_update(made, ["member_count"])
        Claim.objects.filter(pk__in=ids[::7]).update(updated_at=timezone.now())
    article_id = Claim.objects.order_by("-pk").values_list("article_id", flat=True).first()
    verdict = Verdict.objects.order_by("pk").first()
    return {
        "reviewer": desk[0],
        "verdict": verdict.pk if verdict else "",
        "article": article_id,
        "publisher": data.PUBLISHERS[0],
    }


def mix(found: dict) -> list[tuple[str, dict]]:
    """(label, query string) of the requests timed: what a desk would ask the table."""
    return [
        ("first page", {}),
        ("page 40", {"page": 40}),
        ("verdict", {"verdict": found["verdict"]}),
        ("no verdict, to do", {"verdict": "none", "state": "to_do"}),
        ("assigned to me", {"assignee": "me"}),
        ("unassigned, with a figure", {"assignee": "none", "figure": "yes"}),
        ("in a family", {"family": "yes"}),
        ("open conflicts", {"conflict": "open"}),
        ("one article", {"article": found["article"]}),
        ("publisher", {"publisher": found["publisher"]}),
        ("category", {"category": "statistic", "state": "approved"}),
        ("sorted by statement", {"sort": "statement"}),
        ("sorted by article", {"sort": "article"}),
        ("sorted by verdict", {"sort": "verdict"}),
        ("sorted by state", {"sort": "state"}),
        ("sorted by assignee", {"sort": "-assignee"}),
        ("sorted by figure value", {"sort": "-figure"}),
        ("sorted by last change", {"sort": "updated"}),
        ("search", {"q": "orchestra concerts"}),
        ("search a number, with a verdict", {"q": "48000", "verdict": found["verdict"]}),
    ]


def figure(rng: random.Random, *, runs: int, warmup: int, log=print) -> Result:
    started = time.monotonic()
    found = furnish(rng)
    built = time.monotonic() - started
    client = Client()
    client.force_login(found["reviewer"])
    path = reverse("annotations:claim-list")
    requests = mix(found)
    label = (
        f"claims table, {Article.objects.count():,} articles / {Claim.objects.count():,} claims "
        "(median over a mix of filters, sorts, pages and searches)"
    )
    per_request: dict[str, list[float]] = {name: [] for name, _ in requests}
    order = cycle(requests)
    warmups = max(warmup, 1) * len(requests)
    calls = 0

    def call():
        nonlocal calls
        name, params = next(order)
        begun = time.perf_counter()
        response = client.get(path, params)
        calls += 1
        if calls > warmups:
            per_request[name].append((time.perf_counter() - begun) * 1000)
        return response

    def check(response):
        return None if response.status_code == 200 else f"HTTP {response.status_code}"

    rounds = max(1, runs // len(requests))
    result = measure(
        label, call, runs=rounds * len(requests), warmup=warmups, target_ms=TARGET_MS, check=check
    )
    medians = {name: statistics.median(times) for name, times in per_request.items() if times}
    slowest = sorted(medians.items(), key=lambda item: -item[1])[:3]
    result.note = (
        f"{len(requests)} requests × {rounds}, {PAGE_SIZE} rows a page; slowest: "
        + ", ".join(f"{name} {ms:.0f} ms" for name, ms in slowest)
        + f"; figures, families and assignees added in {built:.0f} s; queries counted for "
        "the last request"
    )
    log(
        "  claims table, median per request: "
        + ", ".join(f"{name} {ms:.1f} ms" for name, ms in medians.items())
    )
    return result
