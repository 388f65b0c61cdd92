"""Timing, query counting and peak memory of one benchmark figure."""

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass

from django.db import connection

NOT_BUILT = "n/a (not built yet)"


@dataclass
class Result:
    figure: str
    target_ms: float | None = None
    median_ms: float | None = None
    p95_ms: float | None = None
    runs: int = 0
    queries: int | None = None
    peak_kib: int | None = None
    note: str = ""
    # None: not measured; otherwise the verdict against the target (or a named check).
    passed: bool | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def consume(response) -> bytes:
    """The whole body, also of a streaming response (streaming work happens while iterating)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def measure(
    figure: str,
    call: Callable[[], object],
    *,
    runs: int,
    warmup: int = 2,
    target_ms: float | None = None,
    check: Callable[[object], str | None] | None = None,
) -> Result:
    """Time ``call`` ``runs`` times after ``warmup`` calls, counting the queries of the last
    run; then measure the peak Python allocation (tracemalloc) in one extra call.

    What this process holds before the first call is frozen out of the garbage collector's
    reach for the run, as a server worker's is (``factcheck.wsgi.warm_up``): otherwise a full
    collection, walking the benchmark's own data, lands in some timed calls.

    ``check(outcome)`` returns an error message when a call did not do what it should; the
    figure is then reported as failed with that message instead of a time.
    """
    result = Result(figure, target_ms=target_ms)
    gc.collect()
    gc.freeze()
    try:
        for _ in range(warmup):
            outcome = call()
            if check and (problem := check(outcome)):
                result.note = problem
                result.passed = False
                return result
        # Queries are counted in the last timed run, with an execute wrapper (its cost is a
        # function call per query), which unlike CaptureQueriesContext survives the
        # reconnection at each request that CONN_MAX_AGE=0 causes.
        times, executed = [], []

        def counting(execute, sql, params, many, context):
            executed.append(sql)
            return execute(sql, params, many, context)

        for run in range(runs):
            with connection.execute_wrapper(counting) if run == runs - 1 else nullcontext():
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
        peak = None
        if statistics.median(times) < 1000:
            # tracemalloc slows Python several-fold: skipped for the slow figures (PDF).
            tracemalloc.start()
            try:
                call()
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    except Exception as error:  # noqa: BLE001 — a broken page is a result, not a crash
        result.note = f"error: {type(error).__name__}: {error}"[:300]
        result.passed = False
        return result
    finally:
        gc.unfreeze()
    result.runs = runs
    result.median_ms = round(statistics.median(times), 2)
    result.p95_ms = round(percentile(times, 0.95), 2)
    result.queries = len(executed)
    result.peak_kib = None if peak is None else peak // 1024
    if target_ms is not None:
        result.passed = result.median_ms <= target_ms
    return result


def time_once(figure: str, call: Callable[[], object], *, target_ms: float | None) -> Result:
    """For figures too slow to repeat (imports): one timed call."""
    result = Result(figure, target_ms=target_ms)
    started = time.perf_counter()
    try:
        outcome = call()
    except Exception as error:  # noqa: BLE001
        result.note = f"error: {type(error).__name__}: {error}"[:300]
        result.passed = False
        return result
    elapsed = (time.perf_counter() - started) * 1000
    result.runs = 1
    result.median_ms = result.p95_ms = round(elapsed, 1)
    if isinstance(outcome, str):
        result.note = outcome
    if target_ms is not None:
        result.passed = elapsed <= target_ms
    return result


def not_built(figure: str, target_ms: float | None, what: str = "") -> Result:
    return Result(figure, target_ms=target_ms, note=NOT_BUILT + (f": {what}" if what else ""))
