"""The PDF report: the HTML report rendered by WeasyPrint, with nothing fetched from outside.

WeasyPrint would otherwise follow any URL in the document — ``file:///etc/passwd`` or an
internal ``http://127.0.0.1/`` address (SSRF). The report never puts user text into a URL it
loads (text is escaped; only the stylesheet is loaded), and ``StaticOnlyFetcher`` makes sure of
it: it answers only URLs under the report's own static prefix, from the app's static files, and
refuses everything else (other hosts, ``file:``, ``data:``), recording each request.
"""

import gc
import mimetypes
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from annotations.exporters import html
from annotations.exporters.scope import Scope

# The template's indentation: a newline and what follows it is one collapsible space to
# WeasyPrint (the report has no preformatted text), and a third of the bytes it parses.
INDENTATION = re.compile(r"\n[ \t\r\n]+")

# A host that cannot resolve: relative URLs in the report resolve against it, never the network.
BASE_URL = "https://report.invalid/"


class RefusedURL(ValueError):
    """A URL outside the app's static files; WeasyPrint skips the resource."""


class StaticOnlyFetcher(URLFetcher):
    def __init__(self):
        super().__init__(allowed_protocols={"https"}, allow_redirects=False)
        self.requests: list[tuple[str, bool]] = []

    def static_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        prefix = urlsplit(BASE_URL + settings.STATIC_URL.lstrip("/")).path
        if (
            parts.scheme != "https"
            or parts.netloc != urlsplit(BASE_URL).netloc
            or not parts.path.startswith(prefix)
        ):
            return None
        relative = unquote(parts.path[len(prefix) :])
        if not relative or any(part in {"", ".", ".."} for part in relative.split("/")):
            return None
        found = finders.find(relative)
        if found:
            return Path(found)
        root = Path(settings.STATIC_ROOT).resolve()
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
        return None

    def fetch(self, url, headers=None):
        path = self.static_path(url)
        self.requests.append((url, path is not None))
        if path is None:
            raise RefusedURL(f"The PDF report may load only the app's static files, not {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


@contextmanager
def _collector_paused():
    """WeasyPrint allocates millions of short-lived objects while laying out a long report; the
    cyclic garbage collector would scan the growing heap again and again (a quarter to a third
    of a 200-claim PDF's time). Reference counting still frees what it can; the collector
    resumes afterwards and frees the render's cycles at once, so a worker stays small."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


def render_pdf(document: str, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    with _collector_paused():
        return HTML(
            string=document, base_url=BASE_URL, url_fetcher=fetcher or StaticOnlyFetcher()
        ).write_pdf()


def chunks(articles, scope: Scope, *, fetcher: StaticOnlyFetcher | None = None):
    """One chunk: a PDF cannot be written before its last page is laid out."""
    document = html.render_report(articles, scope, for_pdf=True)
    yield render_pdf(INDENTATION.sub("\n", document), fetcher)
