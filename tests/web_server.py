"""A small web server on loopback for tests that fetch pages (link imports, snapshots).

``serve()`` answers each path from a table of ``Page`` answers (or callables writing their own)
and records every request it received, with its headers, so a test can prove what the fetcher
sent and that a refused fetch sent nothing. ``tls_certificate()`` makes a self-signed
certificate for a host name with the system's ``openssl``.
"""

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    # Seconds to wait between sending each ``drip`` bytes of the body (a slow server).
    drip: int = 0
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]


@dataclass
class Server:
    base_url: str
    port: int
    pages: dict[str, Page | Callable]
    received: list[Received]
    sni_names: list[str]

    def url(self, path: str) -> str:
        return self.base_url + path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802
        server = self.server.test_server
        server.received.append(Received(self.path, dict(self.headers.items())))
        page = server.pages.get(self.path)
        if page is None:
            page = Page(b"<html><body>Not here</body></html>", status=404)
        if callable(page):
            page = page(self)
            if page is None:
                return
        if page.delay:
            time.sleep(page.delay)
        self.send_response(page.status)
        for name, value in page.headers.items():
            self.send_header(name, value)
        if "Content-Length" not in page.headers:
            self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        try:
            if page.drip:
                for start in range(0, len(page.body), page.drip):
                    self.wfile.write(page.body[start : start + page.drip])
                    self.wfile.flush()
                    time.sleep(0.2)
            else:
                self.wfile.write(page.body)
        except OSError:
            pass  # the client hung up (a refused or capped download)


@contextmanager
def serve(pages: dict, *, certificate: tuple[Path, Path] | None = None, host: str = "127.0.0.1"):
    httpd = ThreadingHTTPServer((host, 0), _Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    sni_names: list[str] = []
    scheme = "http"
    if certificate:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)

        def remember_sni(sock, name, ctx):
            sni_names.append(name)

        context.sni_callback = remember_sni
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    netloc = f"[{host}]" if ":" in host else host
    httpd.test_server = Server(f"{scheme}://{netloc}:{port}", port, pages, [], sni_names)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.test_server
    finally:
        httpd.shutdown()
        httpd.server_close()


def tls_certificate(directory: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate (and its key) for ``host``; it is its own CA file too."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = directory / f"{host}.pem", directory / f"{host}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=DNS:{host}",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
