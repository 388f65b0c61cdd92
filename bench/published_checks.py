"""Published fact-checks (issue 15) for `make bench`: importing a ClaimReview data feed of
10,000 reviews (target ≤ 30 s, with ``manage.py import_fact_checks`` as an admin runs it) and
matching one claim against 100,000 imported reviews (target ≤ 30 ms median: the reviews are
found through their index keys, not scanned).

The reviews are invented: fact-checks by a few dozen organisations of claims about invented
places, each counting something (homes flooded, patients waiting, buses cancelled…) with a
figure and a year, in the shape of the public ClaimReview feeds (``dataFeedElement`` items
holding the reviews, ratings in words, some with numbers). A share of the benchmark's claims
retell a review, so that matching finds something as well as nothing.
"""

import json
import random
from pathlib import Path

from bench.measure import Result, measure, time_once

IMPORT_TARGET_MS = 30_000
MATCH_TARGET_MS = 30

ORGANISATIONS = [
    f"{a} {b}"
    for a in ("Coastline", "Harbour", "Valley", "Northfell", "Eastbridge", "Tidewater")
    for b in ("Check", "Facts", "Verify", "Truth Desk", "Fact Watch")
]
RATINGS = [
    ("False", 1),
    ("Mostly false", 2),
    ("Misleading", 2),
    ("Half true", 3),
    ("Mostly true", 4),
    ("True", 5),
    ("Missing context", None),
    ("Unproven", None),
]
# (what is counted, what happened to it)
THINGS = [
    ("homes", "were flooded"),
    ("patients", "waited more than a year"),
    ("buses", "were cancelled"),
    ("pupils", "were excluded"),
    ("trees", "were planted"),
    ("potholes", "were repaired"),
    ("burglaries", "were reported"),
    ("nurses", "left the service"),
    ("ferry passengers", "travelled"),
    ("library loans", "were made"),
    ("jobs", "were lost"),
    ("fines", "were issued"),
]
SYLLABLES = ["ar", "den", "wick", "ley", "mor", "ton", "bran", "cas", "ford", "hol", "mere", "by"]
SPEAKERS = ["the council", "the health board", "the police", "a minister", "the mayor"]


def _place(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def make_reviews(count: int, *, seed: int, prefix: str = "") -> list[dict]:
    """``count`` ClaimReview objects as a feed holds them."""
    rng = random.Random(seed)
    reviews = []
    for number in range(count):
        organisation = rng.choice(ORGANISATIONS)
        (thing, happened), place = rng.choice(THINGS), _place(rng)
        figure = rng.randint(2, 90_000)
        year = rng.randint(2015, 2025)
        speaker = rng.choice(SPEAKERS)
        claim = rng.choice(
            [
                f"{figure:,} {thing} {happened} in {place} in {year}.",
                f"{speaker.capitalize()} says {figure:,} {thing} {happened} in {place} last year.",
                f"The number of {thing} in {place} rose by {rng.randint(5, 300)}% since {year}.",
                f"{place} has the most {thing} of any town in the region.",
            ]
        )
        words, value = rng.choice(RATINGS)
        rating = {"@type": "Rating", "alternateName": words}
        if value is not None and rng.random() < 0.6:
            rating |= {"ratingValue": value, "bestRating": 5, "worstRating": 1}
        slug = f"{prefix}{number}-{place.lower()}-{thing.replace(' ', '-')}"
        reviews.append(
            {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "url": f"https://{organisation.lower().replace(' ', '')}.example/checks/{slug}",
                "claimReviewed": claim,
                "datePublished": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "author": {"@type": "Organization", "name": organisation},
                "itemReviewed": {
                    "@type": "Claim",
                    "author": {"@type": "Organization", "name": speaker.capitalize()},
                    "appearance": [
                        {"@type": "CreativeWork", "url": f"https://news.example/{slug}"}
                    ],
                },
                "reviewRating": rating,
            }
        )
    return reviews


def write_feed(path: Path, reviews: list[dict]) -> Path:
    items = [{"@type": "DataFeedItem", "item": [review]} for review in reviews]
    feed = {"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": items}
    path.write_text(json.dumps(feed))
    return path


def import_feed(tmp: Path, count: int, *, seed: int, prefix: str) -> str:
    from io import StringIO

    from django.core.management import call_command

    path = write_feed(tmp / f"feed-{prefix}.json", make_reviews(count, seed=seed, prefix=prefix))
    out = StringIO()
    call_command("import_fact_checks", str(path), "--no-progress", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def retelling_claims(rng: random.Random, user, count: int) -> list:
    """Claims that retell stored reviews in other words (a found match to show)."""
    from annotations.models import Article, Claim, PublishedReview

    # Drawn with ``rng``, so a run can be repeated (the database's random order is not seeded).
    ids = list(PublishedReview.objects.order_by("pk").values_list("pk", flat=True))
    chosen = rng.sample(ids, min(count, len(ids)))
    picked = list(PublishedReview.objects.filter(pk__in=chosen).order_by("pk"))
    claims = []
    for number, review in enumerate(picked):
        text = f"{review.claimant} told reporters that {review.claim_reviewed[0].lower()}"
        text += review.claim_reviewed[1:]
        article = Article.objects.create(
            title=f"Retold {number}",
            body=text,
            raw_text=f"retold {number} {rng.random()}\n\n{text}",
        )
        claims.append(Claim.objects.create_from_selection(article, 0, len(text), text, by=user))
    return claims


def published_checks(rng, tmp: Path, user, *, quick: bool, runs: int, warmup: int) -> list[Result]:
    """Import a 10,000-review feed (timed), grow the store to 100,000 reviews (5,000 and
    20,000 in a quick run) and time matching one claim against it."""
    from annotations.models import Claim, PublishedReview, PublishedReviewKey

    first = 2_000 if quick else 10_000
    total = 5_000 if quick else 100_000
    imported = time_once(
        f"import a ClaimReview feed of {first:,} reviews (import_fact_checks)",
        lambda: import_feed(tmp, first, seed=rng.randint(1, 10**6), prefix="a"),
        target_ms=IMPORT_TARGET_MS,
    )
    results = [imported]
    grown = time_once(
        f"import {total - first:,} more reviews (the store for matching)",
        lambda: import_feed(tmp, total - first, seed=rng.randint(1, 10**6), prefix="b"),
        target_ms=None,
    )
    results.append(grown)
    stored = PublishedReview.objects.count()
    retold = retelling_claims(rng, user, 20)
    others = list(Claim.objects.order_by("?").values_list("pk", flat=True)[: runs + warmup])
    ids = [claim.pk for claim in retold] + others
    rng.shuffle(ids)
    state = {"n": 0, "found": 0, "retold_found": 0}
    retold_ids = {claim.pk for claim in retold}

    def one():
        claim = Claim.objects.get(pk=ids[state["n"] % len(ids)])
        state["n"] += 1
        found = claim.published_checks()
        state["found"] += bool(found)
        state["retold_found"] += bool(found) and claim.pk in retold_ids
        return found

    result = measure(
        f"published fact-checks for one claim, {stored:,} reviews stored",
        one,
        runs=runs,
        warmup=warmup,
        target_ms=MATCH_TARGET_MS,
    )
    keys = PublishedReviewKey.objects.count()
    result.note = (
        f"{keys:,} index keys; at most {PublishedReviewKey.CAP} reviews read per key and "
        f"{PublishedReview.CANDIDATES} scored; a match for {state['found']} of {state['n']} "
        f"claims ({state['retold_found']} of them retelling a review)"
    )
    results.append(result)
    return results
