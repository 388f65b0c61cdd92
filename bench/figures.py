"""Figure extraction speed: median milliseconds to read the figures of one claim.

A claim is its quote and its checkable statement, one to three sentences each, made here from
invented, neutral templates with seeded random numbers in every written form the extractor
reads (separators, glued and spelled scales, words, fractions, ratios, ranges, currencies,
changes, multipliers, years, ages and dates that must be skipped). Numbers are drawn afresh
for every claim so that no cache inside the extractor hides the work. The target is 2 ms.
"""

import random
import statistics
import time

from annotations.figures import extract_figures

TARGET_MS = 2.0

THINGS = ["passengers", "books", "school meals", "ferries", "visitors", "pupils", "loans"]
PLACES = ["the county", "the harbour", "the valley", "the city library", "the island"]
SOURCES = ["The ferry operator", "The library service", "The weather station", "The council"]


def _count(rng: random.Random) -> str:
    n = rng.randint(2, 2_000_000)
    forms = [
        f"{n:,}",
        str(n),
        f"{max(1, n // 1000)}k",
        f"{rng.randint(1, 99) / 10}m",
        f"{rng.choice(['two', 'three', 'five', 'twelve'])} million",
        f"{rng.randint(1, 9)}.{rng.randint(0, 9)} million",
        "tens of thousands of",
    ]
    return rng.choice(forms)


def _sentence(rng: random.Random) -> str:
    thing, place = rng.choice(THINGS), rng.choice(PLACES)
    year = rng.randint(1995, 2025)
    low = rng.randint(1, 500) * 1000
    next_year = (year + 1) % 100
    templates = [
        f"There are {_count(rng)} {thing} in {place}.",
        f"{rng.choice(SOURCES)} counted {_count(rng)} {thing} in {year}.",
        f"The number of {thing} rose by {rng.randint(1, 90)} per cent in {year}-{next_year:02d}.",
        f"{thing.capitalize()} fell by a third over the past {rng.randint(2, 9)} years.",
        f"An estimated {low:,}–{low * 2:,} {thing} were recorded last year.",
        f"Between {low:,} and {low * 3:,} {thing} use {place} each month.",
        f"{rng.randint(1, 4)} in {rng.randint(5, 20)} {thing} in {place} arrive late.",
        f"The scheme cost £{rng.randint(1, 900)}m, up {rng.randint(1, 800)}% since {year}.",
        f"The number of {thing} has roughly doubled since {year}.",
        f"Pupils aged {rng.randint(5, 17)} came on 3 April {year}, visit {rng.randint(2, 30)}.",
        f"Half of all {thing} in {place} were counted at 10.30am on Friday.",
        f"Section {rng.randint(1, 9)}.{rng.randint(1, 9)}: at least {_count(rng)} {thing} a day.",
    ]
    return rng.choice(templates)


def make_claims(count: int, seed: int = 13) -> list[tuple[str, str]]:
    """``count`` claims as (quote, statement) pairs, one to three sentences each."""
    rng = random.Random(seed)
    claims = []
    for _ in range(count):
        quote = " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
        statement = " ".join(_sentence(rng) for _ in range(rng.randint(1, 2)))
        claims.append((quote, statement))
    return claims


def median_ms_per_claim(count: int = 2000, seed: int = 13) -> float:
    """Median milliseconds to extract the figures of one claim (its quote and its statement)
    over ``count`` generated claims, after a warm-up pass over a hundred others."""
    for quote, statement in make_claims(100, seed=seed + 1):
        extract_figures(quote)
        extract_figures(statement)
    timings = []
    for quote, statement in make_claims(count, seed=seed):
        started = time.perf_counter()
        extract_figures(quote)
        extract_figures(statement)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)
