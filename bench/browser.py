"""Headless Chromium: time from navigation start until every highlight of the reader exists
and has layout, measured inside the page (``performance.now()`` counts from navigation start).

The figure is taken over a bare DevTools pipe (``annotations.devtools``); the same visits through
Playwright, which instruments every page it drives, are reported beside it for comparison.
"""

import os
import statistics
import sys
from pathlib import Path

from annotations.devtools import Chromium
from bench.measure import Result, percentile
from bench.server import Session

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

VIEWPORT = {"width": 1400, "height": 900}

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


def finish_sample(sample: dict, first_paint: float | None, metrics: list[dict]) -> dict:
    """Add the first contentful paint and the renderer's CPU (``Performance.getMetrics``)."""
    # First contentful paint is reported when the frame is presented, after the recorder ran.
    # The highlights are on screen when both have happened: the frame after the page's own
    # scripts, and the first presented frame.
    sample["firstPaint"] = first_paint
    sample["drawn"] = max(sample["drawn"], first_paint or 0)
    # Where the renderer's main thread spent its time (the page's whole life so far).
    values = {metric["name"]: metric["value"] for metric in metrics}
    sample["cpu"] = {
        name: round(values.get(key, 0) * 1000)
        for name, key in (
            ("script", "ScriptDuration"),
            ("style", "RecalcStyleDuration"),
            ("layout", "LayoutDuration"),
            ("tasks", "TaskDuration"),
        )
    }
    return sample


def visit_over_devtools(browser: Chromium, url: str) -> dict:
    """Open ``url`` in a fresh tab; return what the recorder saw plus the renderer's CPU.

    Nothing is asked of the page while it loads: the recorder says when it is done on the
    console."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    for method, params in (
        ("Page.enable", None),  # else the recorder is not added to the next document
        ("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER}),
        ("Runtime.enable", None),
        ("Performance.enable", None),
        (
            "Emulation.setDeviceMetricsOverride",
            {**VIEWPORT, "deviceScaleFactor": 1, "mobile": False},
        ),
    ):
        browser.send(method, params, session)
    browser.forget_events()
    browser.send("Page.navigate", {"url": url}, session)
    browser.wait_for_event(
        lambda message: (
            message.get("sessionId") == session
            and message.get("method") == "Runtime.consoleAPICalled"
            and [arg.get("value") for arg in message["params"]["args"]] == ["bench:drawn"]
        )
    )

    def evaluate(expression: str):
        answer = browser.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session,
        )
        return answer["result"].get("value")

    sample = evaluate("window.__benchDrawn")
    sample["viewport"] = evaluate("[innerWidth, innerHeight]")
    metrics = browser.send("Performance.getMetrics", None, session)["metrics"]
    finish_sample(sample, evaluate(FIRST_PAINT), metrics)
    browser.send("Target.closeTarget", {"targetId": target})
    # Closing finishes after the answer: wait, so that the next tab does not overlap it.
    browser.wait_for_event(
        lambda message: (
            message.get("method") == "Target.detachedFromTarget"
            and message["params"].get("sessionId") == session
        )
    )
    return sample


def visit_through_playwright(context, path: str) -> dict:
    """The same visit in a Playwright page (for comparison)."""
    tab = context.new_page()
    cdp = context.new_cdp_session(tab)
    cdp.send("Performance.enable")
    # wait_for_function is no option: it compiles its predicate in the page, which the page's
    # CSP forbids.
    with tab.expect_console_message(lambda message: message.text == "bench:drawn"):
        tab.goto(path, wait_until="load")
    sample = tab.evaluate("window.__benchDrawn")
    finish_sample(sample, tab.evaluate(FIRST_PAINT), cdp.send("Performance.getMetrics")["metrics"])
    tab.close()
    return sample


def samples_over_devtools(base_url, paths, cookies, *, runs, warmup) -> dict[str, list[dict]]:
    with Chromium(CHROMIUM, CHROMIUM_ARGS) as browser:
        browser.send(
            "Storage.setCookies",
            {
                "cookies": [
                    {"name": name, "value": value, "url": base_url}
                    for name, value in cookies.items()
                ]
            },
        )
        return {
            path: [visit_over_devtools(browser, base_url + path) for _ in range(warmup + runs)][
                warmup:
            ]
            for path in paths
        }


def samples_through_playwright(base_url, paths, cookies, *, runs, warmup):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
            context.set_default_timeout(30_000)
            context.add_cookies(
                [{"name": name, "value": value, "url": base_url} for name, value in cookies.items()]
            )
            context.add_init_script(RECORDER)
            return {
                path: [visit_through_playwright(context, path) for _ in range(warmup + runs)][
                    warmup:
                ]
                for path in paths
            }
        finally:
            browser.close()


def summarise(result: Result, samples, baseline, claims: int) -> Result:
    last = samples[-1]
    if not last["marks"]:
        result.note = "n/a (not built yet): the reader draws no `<mark>` highlights"
        return result
    times = [sample["drawn"] for sample in samples]
    result.runs = len(samples)
    result.median_ms = round(statistics.median(times), 1)
    result.p95_ms = round(percentile(times, 0.95), 1)
    complete = last["laidOut"] == last["marks"] and last["claims"] >= claims
    if result.target_ms is not None:
        result.passed = result.median_ms <= result.target_ms and complete
    elif not complete:
        result.passed = False
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
) -> list[Result]:
    """The figure over a bare DevTools pipe, and the same visits through Playwright."""
    result = Result(figure, target_ms=target_ms)
    compared = Result(f"{figure}, through Playwright (for comparison)")
    if not CHROMIUM.exists():
        result.note = compared.note = f"n/a: no Chromium at {CHROMIUM}"
        return [result, compared]
    session = Session(base_url)
    if not session.login(username, password):
        raise RuntimeError(f"could not sign in as {username}")
    session.close()
    # Calibration: the same measurement on the tiny sign-in page, so the cost of a new tab in
    # this browser on this machine can be told apart from the reader's.
    paths = (path, "/accounts/login/")
    kwargs = {"runs": runs, "warmup": warmup}
    direct = samples_over_devtools(base_url, paths, session.cookies, **kwargs)
    if direct[path][-1]["viewport"] != [VIEWPORT["width"], VIEWPORT["height"]]:
        raise RuntimeError(f"the tab's viewport is {direct[path][-1]['viewport']}, not {VIEWPORT}")
    through = samples_through_playwright(base_url, paths, session.cookies, **kwargs)
    if os.environ.get("BENCH_VERBOSE"):
        print("resources of the last run:", direct[path][-1]["resources"], file=sys.stderr)
    summarise(result, direct[path], direct["/accounts/login/"], claims)
    summarise(compared, through[path], through["/accounts/login/"], claims)
    return [result, compared]
