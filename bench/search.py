"""The search figure: the results page for a mix of queries over 10,000 articles and 200,000
claims on SQLite (issue 13: ≤ 50 ms median).

The corpus is the bench's invented prose (``bench.data``), with claimants' names carrying
accents and figures written in several ways, so that the mix exercises stemming, accents,
phrases, numbers, filters and hostile input. Rows are written with ``bulk_create``; the
search index is kept by the database's own triggers, so building it is part of the build time
reported.
"""

import datetime
import math
import random
import re
import time
from itertools import cycle

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotations import anchoring
from annotations.models import Article, Claim, Publisher, Verdict
from bench import data
from bench.measure import Result, measure

ARTICLES = 10_000
CLAIMS = 200_000
TARGET_MS = 50
BATCH = 250  # articles per bulk_create

NAMES = [
    "Bérénice Moreau",
    "Zoë Müller",
    "José Álvarez",
    "Siân Llewellyn",
    "Ana Sousa",
    "Tom Price",
    "Priya Raman",
    "Ola Nordmann",
]
FIGURES = ["{n:,}", "{n}", "{k}k", "{m}m", "{n:,} people"]

# (label, query string parameters): what a desk would type, and what a stranger would.
QUERIES = [
    ("two common words", {"q": "orchestra concerts"}),
    ("a phrase", {"q": '"parish council"'}),
    ("a number as written elsewhere", {"q": "48000"}),
    ("a number with a scale", {"q": "48k"}),
    ("a name without its accents", {"q": "Berenice"}),
    ("three words", {"q": "ferry crossings week"}),
    ("claims only, with a verdict", {"q": "visitors", "kind": "claim", "verdict": None}),
    ("articles only, phrase and word", {"q": '"annual review" library', "kind": "article"}),
    ("a word found nowhere", {"q": "zeppelin"}),
    ("operators and quotes", {"q": 'NEAR( "* AND OR NOT col: -x'}),
]


def _sentence(rng: random.Random) -> str:
    text = data.sentence(rng)
    if rng.random() < 0.3:
        n = rng.choice([48_000, 12_500, 300_000, rng.randint(1_000, 900_000)])
        figure = rng.choice(FIGURES).format(n=n, k=n // 1000, m=round(n / 1_000_000, 3))
        text += f" {rng.choice(NAMES)} put the total at {figure}."
    return text


def _body(rng: random.Random, size: int) -> str:
    paragraphs, total = [], 0
    while total < size:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    return "\n\n".join(paragraphs)


_WORD_START = re.compile(r"(?<!\S)\S")


def _spans(rng: random.Random, body: str, count: int) -> list[tuple[int, int]]:
    """``count`` distinct sentence-sized claim spans starting at words (``data.spans``
    without its character-by-character scan: 200,000 claims are made here)."""
    starts = [match.start() for match in _WORD_START.finditer(body)]
    found: set[tuple[int, int]] = set()
    while len(found) < min(count, len(starts)):
        start = rng.choice(starts)
        start, end = anchoring.trim_span(body, start, min(len(body), start + rng.randint(40, 240)))
        if end > start:
            found.add((start, end))
    return sorted(found)


def build(rng: random.Random, *, articles: int = ARTICLES, claims: int = CLAIMS, log=print):
    """Add articles and claims until the database holds ``articles`` and ``claims``; returns
    (articles added, claims added, seconds)."""
    started = time.monotonic()
    new_articles = max(0, articles - Article.objects.count())
    new_claims = max(0, claims - Claim.objects.count())
    if not new_articles:
        return 0, 0, 0.0
    per_article = math.ceil(new_claims / new_articles)
    publishers = [Publisher.objects.named(name) for name in data.PUBLISHERS]
    verdicts = list(Verdict.objects.all())
    states = [choice for choice, _ in Claim.State.choices]
    now = timezone.now()
    made_articles = made_claims = 0
    while made_articles < new_articles:
        size = min(BATCH, new_articles - made_articles)
        batch = []
        for n in range(made_articles, made_articles + size):
            body = _body(rng, 2_000)
            title = f"{rng.choice(data.SUBJECTS)} {rng.choice(data.VERBS)} figures (search {n})"
            batch.append(
                Article(
                    title=title,
                    publisher=rng.choice(publishers),
                    url=f"https://news.example/search/{n}",
                    published_on=datetime.date(2020, 1, 1)
                    + datetime.timedelta(days=rng.randint(0, 1500)),
                    body=body,
                    raw_text=f"{title}\n\n{body}",
                    content_hash=Article.hash_text(f"search {n}\n{title}\n\n{body}"),
                    source_name=f"bench-search-{n}.txt",
                )
            )
        batch = Article.objects.bulk_create(batch)
        rows = []
        for article in batch:
            count = min(per_article, new_claims - made_claims - len(rows))
            for start, end in _spans(rng, article.body, max(0, count)):
                verdict = rng.choice(verdicts) if rng.random() < 0.5 else None
                claim = Claim(
                    article=article,
                    claimant=rng.choice(NAMES + data.SUBJECTS),
                    category=Claim.Category.STATISTIC,
                    state=Claim.State.APPROVED if verdict else rng.choice(states[:3]),
                    verdict=verdict,
                    verdict_explanation="Compared with the published figures." if verdict else "",
                    approved_at=now if verdict else None,
                )
                claim.set_span(anchoring.selector_for(article.body, start, end))
                claim.statement = f"Checkable: {claim.quote[:120]}"
                rows.append(claim)
        Claim.objects.bulk_create(rows, batch_size=2_000)
        made_articles += size
        made_claims += len(rows)
        if made_articles % 2_000 < BATCH:
            log(f"  {made_articles:,} articles, {made_claims:,} claims added")
    return made_articles, made_claims, time.monotonic() - started


def figure(
    client: Client,
    rng: random.Random,
    *,
    runs: int,
    warmup: int,
    articles: int = ARTICLES,
    claims: int = CLAIMS,
    log=print,
) -> Result:
    label = f"search, {articles:,} articles / {claims:,} claims (median over a mix of queries)"
    added_articles, added_claims, seconds = build(rng, articles=articles, claims=claims, log=log)
    path = reverse("annotations:search")
    verdict = Verdict.objects.order_by("pk").first()
    mix = []
    for _, params in QUERIES:
        params = dict(params)
        if "verdict" in params:
            params["verdict"] = verdict.pk if verdict else ""
        mix.append(params)
    queries = cycle(mix)

    def call():
        return client.get(path, next(queries))

    def check(response):
        return None if response.status_code == 200 else f"HTTP {response.status_code}"

    # Every query of the mix the same number of times, after one warm-up round.
    rounds = max(1, runs // len(mix))
    result = measure(
        label,
        call,
        runs=rounds * len(mix),
        warmup=max(warmup, 1) * len(mix),
        target_ms=TARGET_MS,
        check=check,
    )
    result.note = (
        f"{len(mix)} queries ({', '.join(name for name, _ in QUERIES)}) × {rounds}; "
        f"built {added_articles:,} articles and {added_claims:,} claims with bulk_create, "
        f"indexed by the triggers, in {seconds:.0f} s; queries counted for the last query"
    )
    return result
