"""The PDF report: the HTML report rendered by WeasyPrint, with nothing fetched from outside.

WeasyPrint would otherwise follow any URL in the document — ``file:///etc/passwd`` or an
internal ``http://127.0.0.1/`` address (SSRF). The report never puts user text into a URL it
loads (text is escaped; only the stylesheet is loaded), and ``StaticOnlyFetcher`` makes sure of
it: it answers only URLs under the report's own static prefix, from the app's static files, and
refuses everything else (other hosts, ``file:``, ``data:``), recording each request.

A long report is laid out in parts at once (``FACTCHECK_PDF_PROCESSES``, from
``FACTCHECK_PDF_PARALLEL_CLAIMS`` claims): WeasyPrint uses one core, and a 200-claim report is
about 4 s of it. ``html.render_pdf_parts`` cuts the PDF's source at claim boundaries into
documents of about equal weight, each with its stylesheet inline; child processes (started by a
fork server that has imported WeasyPrint and nothing of Django) lay them out with
``pdf_layout.RefuseEveryURL``, which loads nothing; ``combine`` lays their pages end to end,
numbers them ("Page n of N", the footer the stylesheet's ``@page`` rule draws, laid out by
WeasyPrint on otherwise empty pages and drawn over each page) and rebuilds the bookmarks as one
outline. Each part starts a new page, so a page before a cut may end early.

WeasyPrint is the default renderer. ``FACTCHECK_PDF_RENDERER = "chromium"`` prints the same
document with Debian's headless Chromium instead, kept running between reports and fetching
nothing either (``exporters.pdf_chromium``; several times faster on a 200-claim report, see
the README's Performance section).
"""

import io
import mimetypes
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    Fit,
    NameObject,
    StreamObject,
)
from weasyprint.urls import URLFetcher, URLFetcherResponse

from annotations import pdf_layout
from annotations.exporters import html
from annotations.exporters.pdf_chromium import render_pdf_with_chromium, uses_chromium
from annotations.exporters.scope import Scope

# The template's indentation: a newline and what follows it is one collapsible space to
# WeasyPrint (the report has no preformatted text), and a third of the bytes it parses.
INDENTATION = re.compile(r"\n[ \t\r\n]+")

BASE_URL = pdf_layout.BASE_URL
RefusedURL = pdf_layout.RefusedURL
PDFRenderError = pdf_layout.PDFRenderError


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


def render_pdf(document: str, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """The document as a PDF, by the configured renderer. ``fetcher`` serves WeasyPrint's
    requests; Chromium makes none (an inline stylesheet is all it uses)."""
    if uses_chromium():
        return render_pdf_with_chromium(document)
    return pdf_layout.render(document, fetcher or StaticOnlyFetcher())


# Child processes come from a fork server that has imported WeasyPrint (not Django, nor
# whatever threads the parent runs): each starts in milliseconds with nothing to inherit.
_processes = multiprocessing.get_context("forkserver")
_processes.set_forkserver_preload(["annotations.pdf_layout"])


def parts_for(claims: int) -> int:
    """How many processes lay out a report of ``claims`` claims."""
    if claims < settings.FACTCHECK_PDF_PARALLEL_CLAIMS:
        return 1
    return max(1, settings.FACTCHECK_PDF_PROCESSES)


def render_parts(documents: list[str], fetcher: StaticOnlyFetcher | None = None) -> list[bytes]:
    """Each document laid out by a process of its own; the URLs they asked for (all refused)
    are added to ``fetcher.requests``."""
    with ProcessPoolExecutor(
        max_workers=len(documents), mp_context=_processes, initializer=pdf_layout.lower_priority
    ) as pool:
        rendered = list(pool.map(pdf_layout.render_standalone, documents))
    if fetcher is not None:
        for _, requests in rendered:
            fetcher.requests.extend(requests)
    return [data for data, _ in rendered]


def render_isolated(document: str, *, timeout: float, memory: int) -> bytes:
    """A document from outside (an archived page) as a PDF, laid out in a child process that
    loads nothing (``RefuseEveryURL``), may use ``memory`` bytes and is killed after
    ``timeout`` seconds (``PDFRenderError``). WeasyPrint runs no scripts."""
    with _processes.Pool(1, initializer=pdf_layout.limit_memory, initargs=(memory,)) as pool:
        waiting = pool.apply_async(pdf_layout.render_standalone, (document,))
        try:
            data, _ = waiting.get(timeout)
        except multiprocessing.TimeoutError:
            raise PDFRenderError(f"The page took more than {timeout:g} s to lay out.") from None
        except MemoryError:
            raise PDFRenderError("The page needed too much memory to lay out.") from None
        except Exception as error:  # noqa: BLE001 — anything WeasyPrint raises on a bad page
            raise PDFRenderError(f"The page could not be laid out: {error}") from None
    return data


def page_footers(pages: int) -> bytes:
    """``pages`` empty pages with the report's own page footer ("Page n of N")."""
    page = '<div style="break-after: page"></div>'
    document = f"<!DOCTYPE html><html><head><style>{html.report_css()}</style></head><body>"
    document += page * (pages - 1) + "<div></div></body></html>"
    # Little garbage, left to the collector's own pace (a full collection here costs 0.4 s).
    return pdf_layout.render(document, pdf_layout.RefuseEveryURL(), collect=False)


def _draw_over(writer: PdfWriter, page, overlay) -> None:
    """Draws ``overlay`` (a page) over ``page`` as a form of its own, without reading the page's
    content: its resources stay apart, the page's drawing state is saved and restored around.
    (pypdf's ``merge_page`` would parse and rewrite every page's content: 0.4 s more for a
    200-claim report. ``_add_object`` is how pypdf's own code adds a new object.)"""
    form = StreamObject()
    form.set_data(overlay.get_contents().get_data())
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): overlay.mediabox,
            # Its fonts, copied into the writer (they belong to the overlay's document).
            NameObject("/Resources"): overlay["/Resources"].clone(writer),
        }
    )
    # The page's own copy of its resources: WeasyPrint's pages share one dictionary.
    resources = DictionaryObject(page["/Resources"].get_object())
    forms = resources.get("/XObject")
    forms = DictionaryObject(forms.get_object() if forms is not None else {})
    forms[NameObject("/PageFooter")] = writer._add_object(form)
    resources[NameObject("/XObject")] = forms
    page[NameObject("/Resources")] = resources
    before, after = DecodedStreamObject(), DecodedStreamObject()
    before.set_data(b"q\n")
    after.set_data(b"\nQ q /PageFooter Do Q\n")
    contents = page["/Contents"]
    drawn = contents.get_object() if isinstance(contents.get_object(), ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(before), *drawn, writer._add_object(after)]
    )


def _add_bookmark(writer, reader, item, parent, first_page: int):
    return writer.add_outline_item(
        title=item.title,
        page_number=first_page + reader.get_destination_page_number(item),
        parent=parent,
        fit=Fit.xyz(item.get("/Left"), item.get("/Top"), item.get("/Zoom")),
    )


def _copy_outline(writer, reader, items: list, parent, first_page: int) -> None:
    """Bookmarks as pypdf reads them (a list after an item holds that item's children)."""
    added = parent
    for item in items:
        if isinstance(item, list):
            _copy_outline(writer, reader, item, added, first_page)
        else:
            added = _add_bookmark(writer, reader, item, parent, first_page)


def combine(parts: list[bytes], continued: list[bool]) -> bytes:
    """The parts' pages end to end, numbered, under one outline. The first bookmark of a part
    that ``continued`` an article is that article's again: its children join the first's."""
    writer = PdfWriter()
    article = None
    for data, continues_article in zip(parts, continued, strict=True):
        reader = PdfReader(io.BytesIO(data))
        first_page = len(writer.pages)
        writer.append(reader, import_outline=False)
        if first_page == 0 and reader.metadata:
            writer.add_metadata(dict(reader.metadata))
        for position, item in enumerate(reader.outline):
            if isinstance(item, list):
                _copy_outline(writer, reader, item, article, first_page)
            elif not (position == 0 and continues_article):
                article = _add_bookmark(writer, reader, item, None, first_page)
    footers = PdfReader(io.BytesIO(page_footers(len(writer.pages))))
    for page, footer in zip(writer.pages, footers.pages, strict=True):
        _draw_over(writer, page, footer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def chunks(articles, scope: Scope, *, fetcher: StaticOnlyFetcher | None = None):
    """One chunk: a PDF cannot be written before its last page is laid out."""
    if uses_chromium():
        document = html.render_report(articles, scope, for_pdf=True, inline_css=True)
        yield render_pdf_with_chromium(INDENTATION.sub("\n", document))
        return
    parts = html.render_pdf_parts(articles, scope, parts_for)
    if len(parts) == 1:
        yield render_pdf(INDENTATION.sub("\n", parts[0].document), fetcher)
        return
    rendered = render_parts([INDENTATION.sub("\n", part.document) for part in parts], fetcher)
    yield combine(rendered, [part.continued for part in parts])
