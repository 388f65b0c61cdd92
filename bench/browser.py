"""Headless Chromium: time from navigation start until every highlight of the reader exists
and has layout, measured inside the page (``performance.now()`` counts from navigation start)."""

import statistics
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
# After DOMContentLoaded (all deferred and body scripts have run), wait until the number of
# <mark> elements stops changing for a frame, force layout of every mark, then take the time
# after the next frame (requestAnimationFrame + a task: the frame with the marks is painted).
RECORDER = """
(() => {
  const done = (marks) => {
    const boxes = Array.from(marks, (m) => m.getClientRects().length > 0);
    requestAnimationFrame(() => setTimeout(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      window.__benchDrawn = {
        drawn: performance.now(),
        marks: marks.length,
        laidOut: boxes.filter(Boolean).length,
        claims: new Set(Array.from(marks, (m) =>
          (m.dataset.claims || m.dataset.claim || m.dataset.claimId || '').trim())).size,
        responseEnd: nav ? nav.responseEnd : null,
        domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
      };
    }, 0));
  };
  document.addEventListener('DOMContentLoaded', () => {
    let last = -1;
    const settle = () => {
      const marks = document.querySelectorAll('mark');
      if (marks.length === last || performance.now() > 5000) { done(marks); return; }
      last = marks.length;
      requestAnimationFrame(settle);
    };
    settle();
  });
})();
"""


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
            samples = []
            for run in range(warmup + runs):
                tab = context.new_page()  # a fresh tab each time
                tab.goto(path, wait_until="load")
                tab.wait_for_function("window.__benchDrawn !== undefined")
                sample = tab.evaluate("window.__benchDrawn")
                tab.close()
                if run >= warmup:
                    samples.append(sample)
        finally:
            browser.close()
    last = samples[-1]
    if not last["marks"]:
        result.note = "n/a (not built yet): the reader draws no <mark> highlights"
        return result
    times = [sample["drawn"] for sample in samples]
    result.runs = runs
    result.median_ms = round(statistics.median(times), 1)
    result.p95_ms = round(percentile(times, 0.95), 1)
    result.passed = result.median_ms <= target_ms and last["laidOut"] == last["marks"]
    result.note = (
        f"{last['marks']} marks ({last['laidOut']} laid out), "
        f"{last['claims']} distinct claim attributes; HTML received at "
        f"{statistics.median(s['responseEnd'] for s in samples):.0f} ms, "
        f"DOMContentLoaded {statistics.median(s['domContentLoaded'] for s in samples):.0f} ms"
    )
    return result
