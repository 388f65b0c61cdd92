"""`make bench` times the reader in Chromium over a bare DevTools pipe: the pipe and the
recorder must see what a page draws, at the viewport the figure is defined for."""

import functools
import http.server
import threading

import pytest

from annotations.devtools import Chromium, DevToolsError
from bench.browser import CHROMIUM_ARGS, visit_over_devtools

PAGE = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head>
<body><p>One <mark data-claims="1">claim</mark> and <mark data-claims="1 2">two</mark>.</p>
</body></html>"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")  # as the app sends
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture
def page_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def chromium(chromium_path):
    with Chromium(chromium_path, CHROMIUM_ARGS) as browser:
        yield browser
    assert browser.process.returncode is not None, "the browser outlived its `with` block"


def test_a_fresh_tab_over_devtools_reports_every_highlight_drawn(chromium, page_url):
    samples = [visit_over_devtools(chromium, page_url) for _ in range(2)]
    for sample in samples:
        assert (sample["marks"], sample["laidOut"], sample["claims"]) == (2, 2, 2)
        assert sample["viewport"] == [1400, 900]
        assert 0 < sample["domContentLoaded"] <= sample["drawn"]
        assert sample["cpu"]["tasks"] > 0
    targets = chromium.send("Target.getTargets")["targetInfos"]
    assert page_url not in [target["url"] for target in targets]  # each visit closed its tab


def test_a_devtools_error_names_the_command(chromium):
    with pytest.raises(DevToolsError, match="Target.closeTarget"):
        chromium.send("Target.closeTarget", {"targetId": "no-such-target"})
