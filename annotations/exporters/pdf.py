"""The PDF report: the HTML report rendered by WeasyPrint, with nothing fetched from outside.

WeasyPrint would otherwise follow any URL in the document — ``file:///etc/passwd`` or an
internal ``http://127.0.0.1/`` address (SSRF). The report never puts user text into a URL it
loads (text is escaped; only the stylesheet is loaded), and ``StaticOnlyFetcher`` makes sure of
it: it answers only URLs under the report's own static prefix, from the app's static files, and
refuses everything else (other hosts, ``file:``, ``data:``), recording each request.

WeasyPrint is the default renderer. ``FACTCHECK_PDF_RENDERER = "chromium"`` renders the same
document with Debian's headless Chromium instead (about three times faster on a 200-claim
report, see the README's Performance section). Chromium must fetch nothing either: the document
is written to a private temporary directory with its stylesheet inline and a
Content-Security-Policy that allows nothing but inline styles (no images, fonts, frames,
scripts or connections, ``file:`` included); the browser gets a throwaway profile, a proxy and a
host resolver that lead nowhere, no background networking, and runs in Chromium's sandbox —
or, as root (where Chromium refuses its sandbox), in an empty network namespace.
"""

import gc
import mimetypes
import os
import re
import shutil
import subprocess
import tempfile
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


class PDFRenderError(RuntimeError):
    """The PDF renderer failed or timed out; nothing was written."""


# Loads nothing at all, not even from file: — only the document's own <style> elements apply.
CHROMIUM_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
)
HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def uses_chromium() -> bool:
    return settings.FACTCHECK_PDF_RENDERER == "chromium"


def chromium_program() -> str | None:
    """The Chromium program to run, or None when it is not installed."""
    return shutil.which(settings.FACTCHECK_PDF_CHROMIUM)


def with_chromium_csp(document: str) -> str:
    """The document with the policy as the first element of its head, before anything loads."""
    if HEAD.search(document):
        return HEAD.sub(lambda head: head.group(0) + CHROMIUM_CSP, document, count=1)
    return CHROMIUM_CSP + document


def chromium_command(program: str, profile: Path, source: Path, output: Path) -> list[str]:
    command = [
        program,
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--disable-breakpad",
        "--disable-features=Translate,MediaRouter,OptimizationHints",
        "--metrics-recording-only",
        # Whatever might still try: no name resolves, and every connection goes to a proxy on a
        # closed port (loopback included: "<-loopback>" removes its implicit bypass).
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={output}",
        source.as_uri(),
    ]
    if os.geteuid() == 0:
        # Chromium will not sandbox itself as root: the whole browser then runs in a new,
        # empty network namespace (no interface but a loopback that is down).
        return ["unshare", "--net", *command[:1], "--no-sandbox", *command[1:]]
    return command


def render_pdf_with_chromium(document: str) -> bytes:
    """The document printed by headless Chromium. Its stylesheet must be inline (``chunks``
    renders it so); the policy added here keeps Chromium from loading anything else."""
    program = chromium_program()
    if program is None:
        raise PDFRenderError(
            f"FACTCHECK_PDF_RENDERER is chromium but {settings.FACTCHECK_PDF_CHROMIUM!r} "
            "is not installed."
        )
    with tempfile.TemporaryDirectory(prefix="factcheck-pdf-") as directory:
        work = Path(directory)
        source, output = work / "report.html", work / "report.pdf"
        source.write_text(with_chromium_csp(document), encoding="utf-8")
        try:
            # The program comes from settings; the arguments are our own paths, no user text.
            finished = subprocess.run(  # noqa: S603
                chromium_command(program, work / "profile", source, output),
                capture_output=True,
                timeout=settings.FACTCHECK_PDF_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise PDFRenderError(
                f"Chromium took more than {settings.FACTCHECK_PDF_TIMEOUT} s to print the report."
            ) from None
        if finished.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
            detail = finished.stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise PDFRenderError(
                f"Chromium could not print the report (exit {finished.returncode}): "
                + " / ".join(detail)
            )
        return output.read_bytes()


def render_pdf(document: str, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """The document as a PDF, by the configured renderer. ``fetcher`` serves WeasyPrint's
    requests; Chromium makes none (an inline stylesheet is all it uses)."""
    if uses_chromium():
        return render_pdf_with_chromium(document)
    with _collector_paused():
        return HTML(
            string=document, base_url=BASE_URL, url_fetcher=fetcher or StaticOnlyFetcher()
        ).write_pdf()


def chunks(articles, scope: Scope, *, fetcher: StaticOnlyFetcher | None = None):
    """One chunk: a PDF cannot be written before its last page is laid out."""
    document = html.render_report(articles, scope, for_pdf=True, inline_css=uses_chromium())
    yield render_pdf(INDENTATION.sub("\n", document), fetcher)
