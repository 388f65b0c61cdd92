"""Headless Chromium: time from navigation start until every highlight of the reader exists
and has layout, measured inside the page (``performance.now()`` counts from navigation start)."""

import os
import statistics
import sys
from pathlib import Path

from bench.measure import Result, percentile

CHROMIUM = Path("/usr/bin/chromium")
# The flags of tests/browser/conftest.py.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Runs in every new document before its own scripts (CDP, so the page's CSP does not apply).
# After DOMContentLoaded and the page's own handlers, in the next animation frame: every <mark>
# must exist and have layout boxes; the time is taken in a task right after that frame, i.e.
# when the frame showing the highlights has been produced.
RECORDER = r"""
(() => {
  const record = () => {
    const marks = document.querySelectorAll('mark');
    const laidOut = Array.from(marks, (m) => m.getClientRects().length > 0).filter(Boolean).length;
    // A task queued from inside requestAnimationFrame runs after that frame is painted.
    setTimeout(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      window.__benchDrawn = {
        drawn: performance.now(),
        marks: marks.length,
        laidOut,
        claims: new Set(Array.from(marks, (m) =>
          (m.dataset.claims || m.dataset.claim || '').split(/[\s,]+/)).flat()
          .filter(Boolean)).size,
        responseEnd: nav ? nav.responseEnd : null,
        domInteractive: nav ? nav.domInteractive : null,
        domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
        resources: performance.getEntriesByType('resource').map((r) =>
          `${r.name.split('/').pop()} ${Math.round(r.startTime)}-${Math.round(r.responseEnd)}`),
      };
      console.log('bench:drawn');
    }, 0);
  };
  // This listener is registered before the page's own: the timeout lets the page's
  // DOMContentLoaded handlers (which may add highlights) run first; then the next frame.
  document.addEventListener('DOMContentLoaded', () => {
    setTimeout(() => requestAnimationFrame(record), 0);
  });
})();
"""


FIRST_PAINT = """
new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const entry = list.getEntriesByName('first-contentful-paint')[0];
    if (entry) resolve(entry.startTime);
  }).observe({ type: 'paint', buffered: true });
  setTimeout(() => resolve(null), 3000);
})
"""


def median(samples: list[dict], key: str) -> str:
    values = [sample[key] for sample in samples if sample.get(key) is not None]
    return f"{statistics.median(values):.0f} ms" if values else "n/a"


def visit(context, path: str) -> dict:
    """Open ``path`` in a fresh tab; return what the recorder saw plus the renderer's CPU."""
    tab = context.new_page()
    cdp = context.new_cdp_session(tab)
    cdp.send("Performance.enable")
    # The recorder says when it is done on the console: nothing is asked of the page while it
    # loads (polling it would compete with it for the renderer's main thread), and
    # wait_for_function is no option (it compiles its predicate in the page, which the
    # page's CSP forbids).
    with tab.expect_console_message(lambda message: message.text == "bench:drawn"):
        tab.goto(path, wait_until="load")
    sample = tab.evaluate("window.__benchDrawn")
    # First contentful paint is reported when the frame is presented, after the recorder ran.
    sample["firstPaint"] = tab.evaluate(FIRST_PAINT)
    # The highlights are on screen when both have happened: the frame after the page's own
    # scripts, and the first presented frame.
    sample["drawn"] = max(sample["drawn"], sample["firstPaint"] or 0)
    # Where the renderer's main thread spent its time (the page's whole life so far).
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    sample["cpu"] = {
        name: round(metrics.get(key, 0) * 1000)
        for name, key in (
            ("script", "ScriptDuration"),
            ("style", "RecalcStyleDuration"),
            ("layout", "LayoutDuration"),
            ("tasks", "TaskDuration"),
        )
    }
    tab.close()
    return sample


def highlights_drawn(
    base_url: str,
    path: str,
    username: str,
    password: str,
    *,
    runs: int,
    warmup: int,
    target_ms: float,
    figure: str,
    claims: int,
) -> Result:
    result = Result(figure, target_ms=target_ms)
    if not CHROMIUM.exists():
        result.note = f"n/a: no Chromium at {CHROMIUM}"
        return result
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                base_url=base_url, viewport={"width": 1400, "height": 900}
            )
            context.set_default_timeout(30_000)
            context.add_init_script(RECORDER)
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
            page.close()
            samples = [visit(context, path) for _ in range(warmup + runs)][warmup:]
            # Calibration: the same measurement on the tiny sign-in page, so the cost of a new
            # tab in this browser on this machine can be told apart from the reader's.
            baseline = [visit(context, "/accounts/login/") for _ in range(warmup + runs)][warmup:]
        finally:
            browser.close()
    last = samples[-1]
    if os.environ.get("BENCH_VERBOSE"):
        print("resources of the last run:", last["resources"], file=sys.stderr)
    if not last["marks"]:
        result.note = "n/a (not built yet): the reader draws no `<mark>` highlights"
        return result
    times = [sample["drawn"] for sample in samples]
    result.runs = runs
    result.median_ms = round(statistics.median(times), 1)
    result.p95_ms = round(percentile(times, 0.95), 1)
    complete = last["laidOut"] == last["marks"] and last["claims"] >= claims
    result.passed = result.median_ms <= target_ms and complete
    result.note = (
        f"{last['marks']} marks ({last['laidOut']} laid out) covering {last['claims']} of "
        f"{claims} claims; HTML received at "
        f"{statistics.median(s['responseEnd'] for s in samples):.0f} ms, "
        f"parsed {statistics.median(s['domInteractive'] for s in samples):.0f} ms, "
        f"DOMContentLoaded {statistics.median(s['domContentLoaded'] for s in samples):.0f} ms; "
        "renderer main thread: "
        + ", ".join(
            f"{name} {statistics.median(s['cpu'][name] for s in samples):.0f} ms"
            for name in ("script", "style", "layout", "tasks")
        )
        + f"; first contentful paint {median(samples, 'firstPaint')}; the sign-in page takes "
        f"{median(baseline, 'drawn')} by the same measure (first paint "
        f"{median(baseline, 'firstPaint')}): the cost of a fresh tab here"
    )
    return result
