"""Several app servers: a change saved through one server process reaches a page whose WebSocket
is held by another, both on one PostgreSQL and one Redis (the channel layer), as behind a load
balancer. A server killed mid-stream: its page reconnects to the other and hears what follows.
Presence crosses servers the same way (the article's roster in Redis).

Needs PostgreSQL (DATABASE_URL) and Debian's redis-server, which .ci/run installs; skipped
locally without them, failed in CI without redis-server on PostgreSQL.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from annotations.models import Role
from tests.factories import CitationFactory, ClaimFactory, UserFactory, VerdictFactory

ROOT = Path(__file__).resolve().parents[1]
CSRF = "x" * 32  # any well-formed token: the cookie and the header only have to match

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on port {port}")


def database_url() -> str:
    """The configured DATABASE_URL, naming the test database instead."""
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI (.ci/run installs Debian's package)")
        pytest.skip("no redis-server: `apt-get install redis-server` to run this test")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def app_servers(redis_url, tmp_path):
    """Start ``n`` Uvicorn processes of the app on the test database and one Redis."""
    if connection.vendor != "postgresql":
        pytest.skip("several app servers share one PostgreSQL (set DATABASE_URL)")
    env = dict(os.environ)
    env |= {
        "DATABASE_URL": database_url(),
        "FACTCHECK_REDIS_URL": redis_url,
        "DJANGO_DEBUG": "1",
        "FACTCHECK_VAR_DIR": str(tmp_path / "var"),
    }
    with ExitStack() as stack:
        started = {}

        def start(name: str) -> int:
            port = free_port()
            log = stack.enter_context(open(tmp_path / f"{name}.log", "wb"))
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "factcheck.asgi:application",
                    "--port",
                    str(port),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(lambda: (process.poll() is None and process.kill(), process.wait(10)))
            wait_for_port(port, process)
            started[name] = process
            return port

        yield start, started


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def post(port: int, path: str, session: str, data: dict) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=urllib.parse.urlencode(data).encode(),
        headers={
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request, timeout=10) as answer:
        return answer.status


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


def listen(port: int, session: str, article_id: int):
    from websockets.sync.client import connect

    socket_ = connect(
        f"ws://127.0.0.1:{port}/live/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": f"sessionid={session}"},
        open_timeout=10,
    )
    assert json.loads(socket_.recv(timeout=5)) == {"event": "ready"}
    socket_.send(json.dumps({"action": "subscribe", "topic": "article", "article": article_id}))
    assert json.loads(socket_.recv(timeout=5))["event"] == "subscribed"
    return socket_


def next_claim_event(socket_, timeout: float = 5) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(socket_.recv(timeout=max(0.01, deadline - time.monotonic())))
        if event.get("event") == "claim":
            return event


def test_a_change_through_one_server_reaches_a_page_on_another(app_servers):
    start, started = app_servers
    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    proposer = UserFactory(username="raj", role=Role.REVIEWER)
    editor = UserFactory(username="edith", role=Role.EDITOR)
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(by=proposer, version=claim.version, verdict=VerdictFactory())
    claim.refresh_from_db()
    port_a, port_b = start("a"), start("b")

    page = listen(port_b, session_of(reviewer), claim.article_id)
    path = f"/articles/{claim.article_id}/claims/{claim.pk}/approve/"
    assert post(port_a, path, session_of(editor), {"version": claim.version}) == 302
    event = next_claim_event(page)
    assert (event["claim"], event["kind"], event["by"]) == (claim.pk, "changed", "edith")

    # Server B dies with the page on it: the page reconnects to A and hears the next change.
    started["b"].kill()
    started["b"].wait(10)
    page = listen(port_a, session_of(reviewer), claim.article_id)
    path = f"/articles/{claim.article_id}/claims/{claim.pk}/comments/"
    assert post(port_a, path, session_of(editor), {"body": "Checked again"}) == 302
    event = next_claim_event(page)
    assert (event["claim"], event["kind"], event["by"]) == (claim.pk, "discussed", "edith")


def next_presence(socket_, wanted, timeout: float = 5) -> list:
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(socket_.recv(timeout=max(0.01, deadline - time.monotonic())))
        if event.get("event") == "presence" and wanted(event["people"]):
            return event["people"]


def test_readers_on_two_servers_see_each_other_and_one_leaving(app_servers):
    """Presence crosses servers: the roster of the article is shared through Redis."""
    start, _ = app_servers
    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    editor = UserFactory(username="edith", role=Role.EDITOR)
    claim = ClaimFactory()
    port_a, port_b = start("a"), start("b")

    rita = listen(port_a, session_of(reviewer), claim.article_id)
    edith = listen(port_b, session_of(editor), claim.article_id)
    assert next_presence(edith, bool) == [{"user": "rita", "claim": None, "editing": False}]
    assert next_presence(rita, bool) == [{"user": "edith", "claim": None, "editing": False}]
    edith.close()
    assert next_presence(rita, lambda people: not people) == []


def test_an_idle_page_on_the_redis_layer_keeps_its_socket_and_hears_the_next_change(
    settings, redis_url
):
    """The Redis layer's receive loop polls for 5 s; redis-py 8 times out a socket read after
    5 s by default, so a server with nothing to pass on for five seconds raised TimeoutError in
    its pages' consumers and closed their sockets (seen as 1006 in the load test)."""
    from asgiref.sync import async_to_sync
    from channels.db import database_sync_to_async

    from factcheck.settings import redis_channel_layer
    from tests.test_live import opened, signed_in

    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(redis_url)}
    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    editor = UserFactory(username="edith", role=Role.EDITOR)
    claim = ClaimFactory()
    session = signed_in(reviewer)

    async def scenario():
        page = await opened(session, article=claim.article_id)
        assert await page.receive_nothing(timeout=7)  # idle past the poll and the read timeout
        await database_sync_to_async(claim.edit)(
            by=editor, version=claim.version, statement="Heard after a quiet spell"
        )
        event = await page.receive_json_from(timeout=5)
        await page.disconnect()
        return event

    event = async_to_sync(scenario)()
    assert (event["event"], event["claim"], event["by"]) == ("claim", claim.pk, "edith")
