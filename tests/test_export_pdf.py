import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader

from annotations.exporters import html, pdf
from annotations.exporters.scope import DRAFT_LABEL, Scope
from annotations.models import Article, Source, Verdict
from tests.export_helpers import worked_example

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
