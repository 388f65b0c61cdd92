import contextlib
import gc
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader

from annotations import devtools, pdf_layout
from annotations.exporters import html, pdf, pdf_chromium
from annotations.exporters.scope import DRAFT_LABEL, Scope
from annotations.models import Article, Citation, Claim, Source, Verdict
from tests.export_helpers import worked_example
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<img src="file:///etc/passwd"><img src="http://127.0.0.1/steal"><link rel="stylesheet" href="http://127.0.0.1/x.css">'


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"the PDF renderer tried to connect: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_pdf_report_renders(no_network):
    worked_example()
    data = b"".join(pdf.chunks(Article.objects.all(), Scope.INTERNAL))
    assert data.startswith(b"%PDF-")
    assert len(data) > 2000


def test_pdf_renderer_loads_only_the_report_stylesheet_despite_hostile_text(no_network):
    example = worked_example(n_articles=1)
    article = example["articles"][0]
    Article.objects.filter(pk=article.pk).update(
        title=HOSTILE, url="file:///etc/passwd", standfirst="http://127.0.0.1/admin"
    )
    claim = example["approved"][0]
    claim.statement = HOSTILE
    claim.verdict_explanation = '<img src="http://169.254.169.254/latest/meta-data/">'
    claim.save()
    Source.objects.filter(pk=example["sources"][0].pk).update(
        url="http://127.0.0.1/internal", archive_url="file:///etc/shadow"
    )
    fetcher = pdf.StaticOnlyFetcher()
    data = b"".join(pdf.chunks(Article.objects.all(), Scope.PUBLISHED, fetcher=fetcher))
    assert data.startswith(b"%PDF-")
    assert fetcher.requests == [(pdf.BASE_URL + "static/annotations/report.css", True)]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://127.0.0.1/static/annotations/report.css",
        "https://report.invalid/static/../../../etc/passwd",
        "https://report.invalid/static/%2e%2e/settings.py",
        "https://report.invalid/media/snapshots/x",
        "data:text/css,body{}",
    ],
)
def test_fetcher_refuses_anything_but_static_files(url, no_network):
    fetcher = pdf.StaticOnlyFetcher()
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch(url)
    assert fetcher.requests == [(url, False)]


def test_document_asking_for_outside_resources_gets_none_of_them(no_network):
    fetcher = pdf.StaticOnlyFetcher()
    document = (
        '<html><head><link rel="stylesheet" href="/static/annotations/report.css"></head><body>'
        f'{HOSTILE}<img src="data:image/png;base64,iVBORw0KGgo="></body></html>'
    )
    assert pdf.render_pdf(document, fetcher).startswith(b"%PDF-")
    allowed = [url for url, ok in fetcher.requests if ok]
    refused = {url for url, ok in fetcher.requests if not ok}
    assert allowed == [pdf.BASE_URL + "static/annotations/report.css"]
    assert {"file:///etc/passwd", "http://127.0.0.1/steal", "http://127.0.0.1/x.css"} <= refused


def test_pdf_source_keeps_every_claim_detail_with_verdict_colours_as_classes():
    example = worked_example(n_articles=1)
    document = html.render_report(Article.objects.all(), Scope.INTERNAL, for_pdf=True)
    for claim in example["approved"] + example["drafts"]:
        assert f'id="claim-{claim.pk}"' in document
    for text in [
        "12.4 million passengers",  # the quote
        "City Transport Authority",  # claimant
        "Annual bus statistics",  # source title
        'href="https://archive.example/bus"',  # archive link
        "81% on time",  # quoted passage
        "p. 4",  # locator
        "Contradicts",  # relation
        "Checked by Rowan Reed, fact-checker.",
        "Approved by an editor of the desk on",
        DRAFT_LABEL,
        'class="report-sources"',
    ]:
        assert text in document, text
    accurate = Verdict.objects.get(label="Accurate")
    assert f'class="verdict-chip verdict-{accurate.pk}"' in document
    assert f".verdict-{accurate.pk}{{border-color:{accurate.colour}}}" in document
    # Lighter to lay out: no SVG swatches; nothing print would hide (comments, JSON-LD).
    assert "<svg" not in document
    assert "Which fares?" not in document
    assert "application/ld+json" not in document


def test_pdf_numbers_citations_and_sources_in_its_text_and_keeps_paragraphs():
    example = worked_example(n_articles=1)
    second = example["approved"][1]
    second.verdict_explanation = "The survey disagrees.\nIts sample is larger.\n\nA second point."
    second.save()
    first = example["approved"][0]
    first.verdict_explanation = "One paragraph,\nin two lines."
    first.save()
    Citation.objects.filter(claim=first).update(quote="First passage.\n\nSecond passage.")
    CitationFactory(
        claim=first, source=example["sources"][1], relation="contradicts", quote="Riders said so."
    )
    document = html.without_space_by_blocks(
        html.render_report(Article.objects.all(), Scope.INTERNAL, for_pdf=True)
    )
    # Citations numbered in each claim, sources over three figures (figure spaces), no list.
    assert re.search(
        r'<p class="citation relation-supports">1\.\s+<span class="relation">', document
    )
    assert re.search(r'<p class="citation relation-contradicts">2\.\s+<span', document)
    assert "<ol" not in document.split('class="report-sources"')[0]
    assert '<ol class="numbered figures-3"><li>\u2007\u20071.' in document
    assert "\u2007\u20072." in document and "\u2007\u20073." not in document
    # One paragraph is one <p> (its line break kept); more keep their paragraphs.
    assert '<p class="explanation">One paragraph,<br>in two lines.</p>' in document
    assert "<p>The survey disagrees.<br>Its sample is larger.</p><p>A second point.</p>" in document
    assert "<p>First passage.</p><p>Second passage.</p></blockquote>" in document
    assert '<p class="passage">Riders said so.</p>' in document
    # What a reader sees: the numbers before the sources' titles, each once.
    text = pdf_text(b"".join(pdf.chunks(Article.objects.all(), Scope.INTERNAL)))
    sources = sorted(example["sources"], key=lambda source: source.url)
    for number, source in enumerate(sources, start=1):
        assert re.search(rf"{number}\.\s*{re.escape(source.title)}", text), source.title


def test_space_beside_block_tags_is_left_out_and_every_other_space_kept():
    source = (
        '<section class="report-claim">\n<h2>Claim 1</h2>\n<p class="claim-facts">\n'
        "<b>Claimant</b> The ferry operator\n<b>Category</b> Causal\n</p>\n"
        '<ol class="numbered"><li>\u2007\u20071.\n<a href="x">A source</a>\n</li></ol>\n'
        "<pre>kept</pre> <span>inline</span> <dl><dt>Review</dt> <dd>Done</dd></dl>\n</section>"
    )
    assert html.without_space_by_blocks(source) == (
        '<section class="report-claim"><h2>Claim 1</h2><p class="claim-facts">'
        "<b>Claimant</b> The ferry operator\n<b>Category</b> Causal</p>"
        '<ol class="numbered"><li>\u2007\u20071.\n<a href="x">A source</a></li></ol>'
        "<pre>kept</pre> <span>inline</span> <dl><dt>Review</dt> <dd>Done</dd></dl></section>"
    )


def test_pdf_verdict_stylesheet_takes_only_hex_colours():
    css = html.verdict_css([{"id": 1, "colour": "#00ff00"}, {"id": 2, "colour": "red}body{x"}])
    assert css == ".verdict-1{border-color:#00ff00}"


# --- a long report laid out in parts, by several processes -----------------------------------


def outline(reader: PdfReader, items=None) -> list:
    """The bookmarks as (title, page number, [children])."""
    tree = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            tree[-1][2].extend(outline(reader, item))
        else:
            tree.append((item.title, reader.get_destination_page_number(item) + 1, []))
    return tree


def test_report_in_parts_holds_each_claim_once_in_order_with_headers_once():
    example = worked_example(n_articles=3)
    ArticleFactory(title="An article with nothing to check")
    parts = html.render_pdf_parts(Article.objects.all(), Scope.INTERNAL, lambda claims: 5)
    assert len(parts) == 5
    documents = [part.document for part in parts]
    whole = html.render_report(Article.objects.all(), Scope.INTERNAL, for_pdf=True)
    claims = [f'id="claim-{claim.pk}"' for claim in Claim.objects.all()]
    assert len(claims) == 12
    sources, header = 'class="report-sources"', 'class="report-header"'
    for text in [*claims, "An article with nothing to check", sources, header]:
        assert sum(document.count(text) for document in documents) == whole.count(text) == 1, text
    joined = "".join(documents)
    claim_ids = re.compile(r'id="claim-(\d+)"')
    assert claim_ids.findall(joined) == claim_ids.findall(whole)
    assert header in documents[0] and sources in documents[-1]
    for article in example["articles"]:  # its header and summary once, with its first claim
        assert joined.count(f'id="article-{article.pk}"') == 1
    assert sum(document.count('class="report-summary"') for document in documents) == 3
    # Claims keep their numbers across the cuts.
    assert joined.count("<h2>Claim 4</h2>") == 3
    assert "<h2>Claim 5</h2>" not in joined
    assert [part.continued for part in parts][0] is False
    assert any(part.continued for part in parts)
    assert all("@bottom-right { content: none }" in document for document in documents)


def test_parts_share_the_work_the_sources_list_included():
    """Each part is laid out by a process of its own and the report waits for the longest: the
    part that ends with the sources list holds fewer claims, as the list takes laying out too."""
    article = ArticleFactory()
    for _ in range(40):
        CitationFactory(claim=ClaimFactory(article=article), source=SourceFactory())

    def claims_in(part):
        return part.document.count('class="report-claim')

    parts = html.render_pdf_parts(Article.objects.all(), Scope.INTERNAL, lambda claims: 2)
    assert [claims_in(part) for part in parts] == [25, 15]
    assert 'class="report-sources"' in parts[1].document
    # With a one-line list (every claim citing one source), the claims are shared about equally.
    Citation.objects.update(source=SourceFactory())
    parts = html.render_pdf_parts(Article.objects.all(), Scope.INTERNAL, lambda claims: 2)
    assert [claims_in(part) for part in parts] == [20, 20]


def test_a_part_laid_out_leaves_the_collector_on_and_a_servers_frozen_objects_frozen():
    """A part's render leaves its garbage to the oldest generation (a child process ends
    without collecting it), never by thawing what a server worker froze at start-up."""
    frozen = gc.get_freeze_count()
    pdf_layout.render_standalone("<p>A part</p>")
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        pdf_layout.render_standalone("<p>A part</p>")
        assert gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_long_report_rendered_in_parts_reads_as_one(settings):
    settings.FACTCHECK_PDF_PARALLEL_CLAIMS = 2
    settings.FACTCHECK_PDF_PROCESSES = 3
    example = worked_example(n_articles=2)
    fetcher = pdf.StaticOnlyFetcher()
    data = b"".join(pdf.chunks(Article.objects.all(), Scope.INTERNAL, fetcher=fetcher))
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    total = len(pages)
    assert total >= 3  # one part at least per process, each from a new page
    for number, text in enumerate(pages, start=1):
        assert text.count(f"Page {number} of {total}") == 1, (number, text)
        assert text.count("Page ") == 1, text
    text = " ".join(pages)
    for claim in example["approved"] + example["drafts"]:
        assert text.count(claim.quote) >= 1, claim.quote
    for expected in ["City Transport Authority", "Annual bus statistics", "81% on time", "Sources"]:
        assert expected in text, expected
    assert text.count("Claim 4") == 2 and "Claim 5" not in text
    # The bookmarks nest as in a report laid out in one go: each article once, its claims in it.
    tree = outline(reader)
    titles = [article.title for article in example["articles"]]
    assert sorted(title for title, _, _ in tree) == sorted(titles)
    for _, _, children in tree:
        assert [title for title, _, _ in children][:4] == [f"Claim {n}" for n in range(1, 5)]
    assert "Fact-check report" in reader.metadata.title
    # The parts carry their stylesheet and ask for nothing.
    assert fetcher.requests == []


def test_parts_load_nothing_a_document_asks_for(tripwire_server, tmp_path):
    base, requests = tripwire_server
    secret = tmp_path / "secret.css"
    secret.write_text("body{color:red}")
    hostile = (
        f'<link rel="stylesheet" href="{base}/link.css"><link rel="stylesheet" '
        f'href="{secret.as_uri()}"><style>@import url({base}/import.css);</style>'
        f'<img src="{base}/image.png"><img src="file:///etc/passwd"><p>Tripwire report</p>'
    )
    fetcher = pdf.StaticOnlyFetcher()
    data = pdf.render_parts([hostile, hostile], fetcher)
    assert all("Tripwire report" in pdf_text(part) for part in data)
    assert requests == []
    refused = {url for url, allowed in fetcher.requests if not allowed}
    assert {f"{base}/image.png", "file:///etc/passwd", f"{base}/link.css"} <= refused
    assert not [url for url, allowed in fetcher.requests if allowed]


def test_short_report_is_laid_out_in_one_go_with_its_own_page_footer(settings):
    settings.FACTCHECK_PDF_PARALLEL_CLAIMS = 60
    worked_example(n_articles=1)
    assert len(html.render_pdf_parts(Article.objects.all(), Scope.INTERNAL, pdf.parts_for)) == 1
    data = b"".join(pdf.chunks(Article.objects.all(), Scope.INTERNAL))
    assert "Page 1 of 2" in pdf_text(data) and "Page 2 of 2" in pdf_text(data)


# --- the optional Chromium renderer ----------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    pdf_chromium.chromium_program() is None, reason="Chromium is not installed"
)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def without_dates(data: bytes) -> bytes:
    """The PDF as Chromium wrote it, but for when: the rest is the same for the same page."""
    return re.sub(rb"/(CreationDate|ModDate) \(D:[^)]*\)", b"", data)


@pytest.fixture
def tripwire_server():
    """An HTTP server on loopback that records every request made to it."""
    requests = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body{color:red}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def chromium_renderer(settings):
    """The Chromium renderer, with no browser running before the test or left after it."""
    settings.FACTCHECK_PDF_RENDERER = "chromium"
    kept = pdf_chromium.kept_chromium
    kept.close()
    started = kept.started
    yield lambda: kept.started - started  # browsers started during the test
    kept.close()


def running_browser() -> subprocess.Popen:
    browser = pdf_chromium.kept_chromium.browser
    assert browser is not None and browser.alive
    return browser.process


REPORT_CHROMIUM_PRINTS = (
    "<!DOCTYPE html><html><head><style>@page{size:A4;margin:2cm} h1{background:#fde}"
    ".claim{break-inside:avoid;border-left:4px solid #c33;padding:4mm}</style></head><body>"
    "<h1>Kept browser report</h1>"
    + "".join(
        f'<div class="claim"><h2>Claim {n}</h2><p>Statement {n}.</p></div>' for n in range(40)
    )
    + "</body></html>"
)


@needs_chromium
def test_chromium_renderer_prints_every_claim_of_the_report(chromium_renderer):
    example = worked_example(n_articles=1)
    data = b"".join(pdf.chunks(Article.objects.all(), Scope.INTERNAL))
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in ["12.4 million passengers", "City Transport Authority", "Sources"]:
        assert expected in text, expected
    assert f"Claim {len(example['approved']) + len(example['drafts'])}" in text


@needs_chromium
def test_kept_browser_prints_reports_in_a_row_as_a_freshly_started_one(chromium_renderer):
    first = pdf.render_pdf(REPORT_CHROMIUM_PRINTS)  # starts the browser
    browser = running_browser()
    second = pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    third = pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    assert running_browser() is browser
    assert chromium_renderer() == 1
    assert without_dates(second) == without_dates(first) == without_dates(third)
    assert "Claim 39" in pdf_text(third)
    assert len(PdfReader(io.BytesIO(third)).pages) > 1
    # Each report's page (and its browser context) was closed once printed.
    targets = pdf_chromium.kept_chromium.browser.send("Target.getTargets")["targetInfos"]
    assert [t for t in targets if t["url"].startswith("file:")] == []


@needs_chromium
def test_kept_browser_prints_what_chromiums_own_print_to_pdf_prints(chromium_renderer, tmp_path):
    """The renderer printed with ``chromium --print-to-pdf`` before it kept its browser: the
    page size, margins, backgrounds and absent header are the same."""
    source = tmp_path / "report.html"
    source.write_text(pdf_chromium.with_chromium_csp(REPORT_CHROMIUM_PRINTS), encoding="utf-8")
    wrapper, args = pdf_chromium.chromium_launch(pdf_chromium.chromium_program())
    one_shot = tmp_path / "one-shot.pdf"
    subprocess.run(  # noqa: S603 — our own program and paths
        [
            *wrapper,
            pdf_chromium.chromium_program(),
            *args,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={one_shot}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    kept = pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    assert without_dates(kept) == without_dates(one_shot.read_bytes())


@needs_chromium
def test_killed_browser_is_started_again_and_the_report_still_prints(chromium_renderer):
    pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    killed = running_browser()
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    data = pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    assert "Claim 39" in pdf_text(data)
    assert running_browser().pid != killed.pid
    assert chromium_renderer() == 2


@needs_chromium
def test_browser_dying_while_printing_is_replaced_and_the_report_still_prints(
    chromium_renderer, monkeypatch
):
    pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    crashed = running_browser()
    send = devtools.Chromium.send

    def crash_while_printing(browser, method, *args, **kwargs):
        if method == "Page.printToPDF" and browser.process is crashed:
            os.killpg(crashed.pid, signal.SIGKILL)
            crashed.wait()
        return send(browser, method, *args, **kwargs)

    monkeypatch.setattr(devtools.Chromium, "send", crash_while_printing)
    data = pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    assert "Claim 39" in pdf_text(data)
    assert chromium_renderer() == 2


@needs_chromium
def test_hung_browser_is_stopped_after_the_timeout_with_a_clear_error(chromium_renderer, settings):
    # The browser starts within the usual timeout (on a busy machine, starting takes seconds).
    pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    settings.FACTCHECK_PDF_TIMEOUT = 2
    hung = running_browser()
    os.kill(hung.pid, signal.SIGSTOP)
    try:
        with pytest.raises(pdf.PDFRenderError, match="Chromium took more than 2 s"):
            pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(hung.pid, signal.SIGCONT)
    assert hung.poll() is not None  # killed, not left behind
    settings.FACTCHECK_PDF_TIMEOUT = 120
    assert "Claim 39" in pdf_text(pdf.render_pdf(REPORT_CHROMIUM_PRINTS))
    assert chromium_renderer() == 2


def report_in_a_thread() -> tuple[threading.Thread, dict]:
    """A report printed by another thread (a second job, a web worker), and how it ended."""
    ended = {}

    def report():
        started = time.monotonic()
        try:
            ended["pdf"] = pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
        except pdf.PDFRenderError as error:
            ended["error"] = error
        ended["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    return thread, ended


@needs_chromium
def test_report_that_cannot_get_the_busy_browser_in_time_fails_as_busy(chromium_renderer, settings):
    pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    printing = running_browser()
    settings.FACTCHECK_PDF_TIMEOUT = 1
    # Another report holds the browser for longer than this report may wait.
    with pdf_chromium.kept_chromium._lock:
        waiting, ended = report_in_a_thread()
        waiting.join(timeout=10)
        assert not waiting.is_alive(), "the report is still waiting for the browser"
    assert "pdf" not in ended
    assert isinstance(ended["error"], pdf_chromium.ChromiumBusy)
    assert str(ended["error"]).startswith("Chromium was busy with other reports for 1 s")
    # The browser belongs to the report printing with it: left running.
    assert printing.poll() is None and running_browser() is printing
    settings.FACTCHECK_PDF_TIMEOUT = 120
    assert "Claim 39" in pdf_text(pdf.render_pdf(REPORT_CHROMIUM_PRINTS))
    assert chromium_renderer() == 1


@needs_chromium
def test_report_that_gets_the_browser_late_has_its_whole_time_to_print(chromium_renderer, settings):
    """Waiting is not held against the browser: a report that got it with a moment of its
    timeout left used to find the browser "hung" at once and kill it, healthy as it was."""
    pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    printing = running_browser()
    settings.FACTCHECK_PDF_TIMEOUT = 4
    with pdf_chromium.kept_chromium._lock:  # another report, for 3.9 of this one's 4 s
        waiting, ended = report_in_a_thread()
        time.sleep(3.9)
    waiting.join(timeout=30)
    assert "error" not in ended, ended.get("error")
    assert "Claim 39" in pdf_text(ended["pdf"])
    assert printing.poll() is None and running_browser() is printing
    assert chromium_renderer() == 1


@needs_chromium
@pytest.mark.parametrize("why", ["busy with another report", "hung"])
def test_pdf_job_out_of_time_says_so_to_its_owner(chromium_renderer, settings, why):
    from annotations import jobs
    from annotations.models import Job

    example = worked_example(n_articles=1)
    pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    settings.FACTCHECK_PDF_TIMEOUT = 1
    job = jobs.start(
        owner=example["reviewer"],
        kind=Job.Kind.EXPORT,
        title="PDF report of an article",
        params={
            "format": "pdf",
            "query": {"article": [str(example["articles"][0].pk)], "scope": ["published"]},
        },
        queue=False,
    )
    hung = running_browser()
    release = threading.Event()
    if why == "hung":
        os.kill(hung.pid, signal.SIGSTOP)
    else:  # another thread's report holds the browser (for 20 s at most)
        holding = threading.Event()

        def other_report():
            with pdf_chromium.kept_chromium._lock:
                holding.set()
                release.wait(20)

        threading.Thread(target=other_report, daemon=True).start()
        holding.wait(10)
    try:
        jobs.execute(job.pk, worker="worker-1")
    finally:
        release.set()
        with contextlib.suppress(ProcessLookupError):
            os.kill(hung.pid, signal.SIGCONT)
    job.refresh_from_db()
    assert not job.result_file
    if why == "hung":
        # Failed for good (not tried again), with the renderer's reason.
        assert (job.status, job.attempts) == (Job.Status.FAILED, 1)
        assert job.message.startswith(
            "The PDF report could not be made: Chromium took more than 1 s to print the report;"
        )
    else:
        # Nothing is wrong with a busy browser: queued to be tried again, saying why.
        assert (job.status, job.attempts) == (Job.Status.QUEUED, 1)
        assert "Chromium was busy with other reports for 1 s" in job.message


@needs_chromium
def test_browser_is_replaced_after_its_share_of_reports(chromium_renderer, settings):
    settings.FACTCHECK_PDF_CHROMIUM_REPORTS = 2
    for _ in range(2):
        pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    first = running_browser()
    pdf.render_pdf(REPORT_CHROMIUM_PRINTS)
    assert first.poll() is not None
    assert chromium_renderer() == 2


def process_ended(pid: int, *, within: float) -> bool:
    """Whether the process is gone (or a zombie, dead and waiting to be reaped) in time."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


@needs_chromium
@pytest.mark.parametrize("ending", ["exits", "is killed"])
def test_browser_ends_with_the_process_that_started_it(ending):
    script = (
        "import django, os, signal; django.setup()\n"
        "from annotations.exporters import pdf_chromium\n"
        "pdf_chromium.render_pdf_with_chromium('<p>x</p>')\n"
        "browser = pdf_chromium.kept_chromium.browser\n"
        "print(browser.process.pid, browser.profile.name, flush=True)\n"
    )
    if ending == "is killed":  # no exit handler runs: the browser sees its pipe close
        script += "os.kill(os.getpid(), signal.SIGKILL)\n"
    finished = subprocess.run(  # noqa: S603 — this Python, our own script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "FACTCHECK_PDF_RENDERER": "chromium"},
    )
    pid, profile = finished.stdout.split()
    assert process_ended(int(pid), within=10)
    if ending == "exits":
        assert finished.returncode == 0
        assert not Path(profile).exists()
    else:
        shutil.rmtree(profile, ignore_errors=True)  # only an exit handler could remove it


@needs_chromium
def test_chromium_renderer_fetches_nothing_a_document_asks_for(
    chromium_renderer, tripwire_server, tmp_path
):
    base, requests = tripwire_server
    secret = tmp_path / "secret.css"
    secret.write_text("body{color:red}")
    document = (
        f'<!DOCTYPE html><html><head><link rel="stylesheet" href="{base}/link.css">'
        f"<style>@import url({base}/import.css); @font-face{{font-family:x;src:url({base}/font)}}"
        f"body{{background:url({base}/background.png)}}</style>"
        f'<link rel="stylesheet" href="{secret.as_uri()}"></head><body>'
        f'<p style="font-family:x">Tripwire report</p><img src="{base}/image.png">'
        f'<iframe src="{base}/frame"></iframe><script src="{base}/script.js"></script>'
        f"<script>fetch('{base}/fetch'); document.write('Script ran')</script>"
        f'<object data="{base}/object"></object><img src="{secret.as_uri()}"></body></html>'
    )
    # The first report starts the browser; the second finds it running: neither fetches.
    for _ in range(2):
        data = pdf.render_pdf(document)
        assert "Tripwire report" in pdf_text(data)
        assert "Script ran" not in pdf_text(data)
    assert requests == []


@needs_chromium
def test_chromium_runs_with_no_network_and_a_throwaway_profile(chromium_renderer):
    wrapper, args = pdf_chromium.chromium_launch(pdf_chromium.chromium_program())
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in args
    assert "--proxy-server=http://127.0.0.1:9" in args
    # Chromium's own sandbox, or (as root, where it refuses one) an empty network namespace.
    assert ("--no-sandbox" not in args) or wrapper == ("unshare", "--net")
    pdf.render_pdf("<p>x</p>")
    browser = pdf_chromium.kept_chromium.browser
    command = Path(f"/proc/{browser.process.pid}/cmdline").read_bytes().split(b"\0")
    assert b"--remote-debugging-pipe" in command  # a pipe: no DevTools port to connect to
    assert not [arg for arg in command if arg.startswith(b"--remote-debugging-port")]
    assert f"--user-data-dir={browser.profile.name}".encode() in command
    if wrapper:
        # The browser's network namespace is not this process's.
        assert os.readlink(f"/proc/{browser.process.pid}/ns/net") != os.readlink(
            "/proc/self/ns/net"
        )
    profile = Path(browser.profile.name)
    assert profile.is_dir()
    pdf_chromium.kept_chromium.close()
    assert not profile.exists()


def test_chromium_policy_comes_first_in_the_head():
    document = '<html><head lang="en"><link rel="stylesheet" href="x.css"></head></html>'
    assert pdf_chromium.with_chromium_csp(document).startswith(
        '<html><head lang="en"><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )


@needs_chromium  # the program is a stand-in, but as root it runs under `unshare` as Chromium does
def test_browser_that_cannot_start_is_a_clear_error_saying_why(
    chromium_renderer, settings, tmp_path
):
    program = tmp_path / "broken-chromium"
    program.write_text("#!/bin/sh\necho 'cannot open display: the server has none' >&2\nexit 3\n")
    program.chmod(0o755)
    settings.FACTCHECK_PDF_CHROMIUM = str(program)
    with pytest.raises(pdf.PDFRenderError, match="exit 3.*cannot open display"):
        pdf.render_pdf("<p>x</p>")
    assert chromium_renderer() == 2  # tried twice, then gave up


def test_missing_chromium_is_a_clear_error_and_writes_nothing(settings):
    settings.FACTCHECK_PDF_RENDERER = "chromium"
    settings.FACTCHECK_PDF_CHROMIUM = "no-such-chromium-program"
    worked_example(n_articles=1)
    with pytest.raises(pdf.PDFRenderError, match="no-such-chromium-program"):
        b"".join(pdf.chunks(Article.objects.all(), Scope.INTERNAL))


def test_a_browser_that_cannot_be_launched_is_a_devtools_error_and_leaves_nothing_open(tmp_path):
    # No such program (say the `unshare` wrapper missing): the error the renderer turns into
    # "Chromium could not print the report", and no pipe or profile left behind.
    open_before = len(os.listdir("/proc/self/fd"))
    browser = devtools.Chromium(tmp_path / "no-such-chromium", [])
    with pytest.raises(devtools.DevToolsError, match="could not be started"):
        browser.start()
    assert len(os.listdir("/proc/self/fd")) == open_before
    assert not Path(browser.profile.name).exists()


def test_devtools_messages_are_read_whole_however_the_pipe_cuts_them(tmp_path):
    """A message cut across reads, two in one read, and a 3 MB answer (a long report's PDF)
    arriving 64 KiB at a time are each read whole, events kept in order for later."""
    browser = devtools.Chromium(tmp_path / "no-browser", [], timeout=10)
    read_end, write_end = os.pipe()
    browser._from_browser = read_end
    pdf = "A" * 3_000_000
    stream = b"".join(
        json.dumps(message).encode() + b"\0"
        for message in (
            {"method": "Page.loadEventFired", "params": {}},
            {"id": 7, "result": {"frameId": "F"}},
            {"method": "Page.frameStoppedLoading", "params": {}},
            {"id": 8, "result": {"data": pdf}},
        )
    )

    def pipe_in_uneven_pieces():
        for at in range(0, len(stream), 50_000):
            os.write(write_end, stream[at : at + 50_000])
        os.close(write_end)

    writer = threading.Thread(target=pipe_in_uneven_pieces)
    writer.start()
    try:
        answer = browser._receive(lambda message: message.get("id") == 8, keep_others=True)
        writer.join()
        assert answer["result"]["data"] == pdf
        assert [event["method"] for event in browser._events] == [
            "Page.loadEventFired",
            "Page.frameStoppedLoading",
        ]
        assert not browser._buffer
    finally:
        os.close(read_end)
        browser.profile.cleanup()
        browser.stderr.close()
