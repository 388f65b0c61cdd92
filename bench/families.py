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
