import io
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader

from annotations.exporters import html, pdf
from annotations.exporters.scope import DRAFT_LABEL, Scope
from annotations.models import Article, Claim, Source, Verdict
from tests.export_helpers import worked_example
from tests.factories import ArticleFactory

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
    pdf.chromium_program() is None, reason="Chromium is not installed"
)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


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


@needs_chromium
def test_chromium_renderer_prints_every_claim_of_the_report(settings):
    settings.FACTCHECK_PDF_RENDERER = "chromium"
    example = worked_example(n_articles=1)
    data = b"".join(pdf.chunks(Article.objects.all(), Scope.INTERNAL))
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in ["12.4 million passengers", "City Transport Authority", "Sources"]:
        assert expected in text, expected
    assert f"Claim {len(example['approved']) + len(example['drafts'])}" in text


@needs_chromium
def test_chromium_renderer_fetches_nothing_a_document_asks_for(settings, tripwire_server, tmp_path):
    settings.FACTCHECK_PDF_RENDERER = "chromium"
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
        f'<object data="{base}/object"></object><img src="{secret.as_uri()}"></body></html>'
    )
    data = pdf.render_pdf(document)
    assert "Tripwire report" in pdf_text(data)
    assert requests == []


@needs_chromium
def test_chromium_is_given_no_network_and_a_throwaway_profile(tmp_path):
    command = pdf.chromium_command("chromium", tmp_path / "p", tmp_path / "r.html", tmp_path / "o")
    assert f"--user-data-dir={tmp_path / 'p'}" in command
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in command
    assert command[-1] == (tmp_path / "r.html").as_uri()
    # Chromium's own sandbox, or (as root, where it refuses one) an empty network namespace.
    assert ("--no-sandbox" not in command) or command[:2] == ["unshare", "--net"]


def test_chromium_policy_comes_first_in_the_head():
    document = '<html><head lang="en"><link rel="stylesheet" href="x.css"></head></html>'
    assert pdf.with_chromium_csp(document).startswith(
        '<html><head lang="en"><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )


def test_missing_chromium_is_a_clear_error_and_writes_nothing(settings):
    settings.FACTCHECK_PDF_RENDERER = "chromium"
    settings.FACTCHECK_PDF_CHROMIUM = "no-such-chromium-program"
    worked_example(n_articles=1)
    with pytest.raises(pdf.PDFRenderError, match="no-such-chromium-program"):
        b"".join(pdf.chunks(Article.objects.all(), Scope.INTERNAL))
