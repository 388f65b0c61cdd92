"""WeasyPrint laying out one self-contained report document, also in a child process.

A long PDF report is laid out in parts by several processes at once (``exporters.pdf``); those
processes import only this module, not Django, so what they render must stand on its own: the
report's stylesheet is inline, and ``RefuseEveryURL`` refuses whatever else the document asks
for (``file:``, ``http://127.0.0.1/``, ``data:``…), recording each URL for the caller.
"""

import gc
import os
import resource
from contextlib import contextmanager

from weasyprint import HTML
from weasyprint.urls import URLFetcher

# A host that cannot resolve: relative URLs in the report resolve against it, never the network.
BASE_URL = "https://report.invalid/"


class RefusedURL(ValueError):
    """A URL the report may not load; WeasyPrint skips the resource."""


class PDFRenderError(RuntimeError):
    """The PDF renderer failed or timed out; nothing was written."""


class RefuseEveryURL(URLFetcher):
    def __init__(self):
        super().__init__(allowed_protocols=set(), allow_redirects=False)
        self.requests: list[tuple[str, bool]] = []

    def fetch(self, url, headers=None):
        self.requests.append((url, False))
        raise RefusedURL(f"A part of the PDF report may load nothing, not {url}")


@contextmanager
def collector_paused(collect: bool):
    """WeasyPrint allocates millions of short-lived objects while laying out a long report; the
    cyclic garbage collector would scan the growing heap again and again (a quarter to a third
    of a 200-claim PDF's time). Reference counting still frees what it can; the collector
    resumes afterwards and, if ``collect``, frees the render's cycles at once, so a worker
    stays small (about 0.4 s in a server's process).

    Without ``collect`` (a child process that ends after its render), the render's objects —
    some 300,000 for a part of a 200-claim report, mostly garbage in cycles — are moved to the
    oldest generation: left in the youngest, they would all be walked and freed by the next
    young collection, at the first allocation after the render (0.24 s of each part, before
    its PDF is sent back). A child ends without collecting them; a longer-lived process frees
    them at its next full collection. Not in a process that froze objects of its own
    (``factcheck.wsgi.warm_up``): moving everything through the frozen generation would thaw
    them, so there the young collection runs as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if not collect and gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()  # into the oldest generation
            gc.enable()
            if collect:
                gc.collect()


def render(document: str, url_fetcher: URLFetcher | None = None, *, collect=True) -> bytes:
    with collector_paused(collect):
        return HTML(string=document, base_url=BASE_URL, url_fetcher=url_fetcher).write_pdf()


def render_standalone(document: str) -> tuple[bytes, list[tuple[str, bool]]]:
    """A document that needs nothing from outside, as a PDF, and the URLs it asked for (all
    refused). What a child process runs: it ends afterwards, so its garbage is not collected."""
    fetcher = RefuseEveryURL()
    return render(document, fetcher, collect=False), fetcher.requests


# A child laying out a PDF yields the CPU to the web server's requests on the same machine:
# in `make loadtest` (200 reviewers, a PDF or export job every 10 s, 2 cores) requests went from
# 6.5/s with 427 dropped connections to 47/s with none (README, Performance).
NICENESS = 10


def lower_priority() -> None:
    os.nice(NICENESS)


def limit_memory(most_bytes: int) -> None:
    """Caps the address space of the process (a child laying out a page from outside), and
    lowers its priority."""
    lower_priority()
    resource.setrlimit(resource.RLIMIT_AS, (most_bytes, most_bytes))
