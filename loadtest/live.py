"""`python -m loadtest.live`: open readers of live updates (issue 16).

Starts the ASGI app under Uvicorn with production settings on 127.0.0.1 (one process on SQLite
with the in-memory channel layer, or ``--servers N`` processes on a throwaway PostgreSQL sharing
a throwaway Redis), opens ``--readers`` WebSockets spread over the servers and the articles,
each subscribed to its article as a reader page is, and then makes ``--writes`` claim changes
through the first server's HTTP views (a reviewer marks a claim not checkable, then reopens it).

Reported: the servers' memory before and after the readers connected (their idle cost), and
for every change the time from its POST being sent to its event arriving at each reader of the
article (p50, p95, max) — an upper bound of "commit to change drawn", less the page's own fetch
of the fragments. Every reader must hear every change of its article, and no server may close a
reader's socket: a closed one is counted, with its close code, and the servers' logged errors are
named (the 38 deliveries once lost were pages whose server died of ``ChannelFull`` while answering
presence greetings).

Every process started here is stopped by its own PID at the end, also when something fails.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.server import Session, free_port, proc_status
from loadtest.run import ROOT, Stack, configure, log, percentiles, start_postgres

TARGET_P95_MS = 1000
TARGET_IDLE_MB = 150


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m loadtest.live", description=__doc__)
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between writes")
    parser.add_argument(
        "--servers", type=int, default=1, help="app server processes (2+: PostgreSQL and Redis)"
    )
    parser.add_argument(
        "--per-write", action="store_true", help="log each change's answer and arrival times"
    )
    parser.add_argument(
        "--panel-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="each reader opens a claim's panel about this often during the changes (0: never)",
    )
    return parser.parse_args(argv)


def start_redis(tmp: Path, stack: Stack) -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("--servers 2+ needs redis-server (Debian: apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack.push(lambda: stop(process))
    wait_for(port, process)
    return f"redis://127.0.0.1:{port}/0"


def wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process for port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def start_server(tmp: Path, stack: Stack, name: str) -> tuple[str, subprocess.Popen]:
    port = free_port()
    log_file = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 — closed by the stack
    stack.push(log_file.close)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "factcheck.asgi:application",
            f"--port={port}",
            "--no-access-log",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=log_file,
        stderr=log_file,
    )
    stack.push(lambda: stop(process))
    wait_for(port, process)
    return f"127.0.0.1:{port}", process


def stop(process: subprocess.Popen) -> None:
    """Stop a server by its PID: asked first, killed if it has not gone within 10 s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def seed(args, rng: random.Random) -> dict:
    from django.core.management import call_command

    from annotations.models import Claim, Role
    from bench import data

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    readers = data.ensure_users(10, "livereader", Role.REVIEWER)
    writer = data.ensure_users(1, "livewriter", Role.REVIEWER)[0]
    articles = [data.make_article(rng, claims=5, size=4_000).article for _ in range(args.articles)]
    claims = {
        a.pk: list(
            Claim.objects.filter(article=a)
            .exclude(state=Claim.State.APPROVED)
            .values_list("pk", flat=True)
        )
        for a in articles
    }
    return {"readers": readers, "writer": writer, "claims": claims}


def rss_mb(processes) -> float:
    return sum(proc_status(p.pid).get("VmRSS", 0) for p in processes) / 1024


async def open_readers(args, hosts, cookies, article_ids, arrivals, ready, closed, sockets=None):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async def reader(number: int):
        host = hosts[number % len(hosts)]
        article = article_ids[number % len(article_ids)]
        socket = await connect(
            f"ws://{host}/live/",
            origin=f"http://{host}",
            additional_headers={"Cookie": f"sessionid={cookies[number % len(cookies)]}"},
            open_timeout=60,
            max_queue=None,
        )
        if sockets is not None:
            sockets[number] = (socket, article)
        await socket.recv()  # ready
        await socket.send(
            json.dumps({"action": "subscribe", "topic": "article", "article": article})
        )
        try:
            async for message in socket:
                event = json.loads(message)
                if event.get("event") == "subscribed":
                    ready.append(number)
                elif event.get("event") == "claim":
                    arrivals.append(
                        (number, article, event["claim"], event["version"], time.monotonic())
                    )
        except ConnectionClosed:
            pass
        # The server closed a page it should have kept: say how, since its events are lost.
        closed[number] = (socket.close_code, host, time.monotonic())

    # Opened in batches, as pages are opened over a few seconds, not in one instant.
    tasks = []
    for start in range(0, args.readers, 50):
        tasks += [
            asyncio.create_task(reader(n)) for n in range(start, min(args.readers, start + 50))
        ]
        await asyncio.sleep(0.2)
    return tasks


async def open_panels(sockets: dict, every: float, claims: dict, rng: random.Random, until):
    """Readers open claim panels (and type in some) while the changes are posted: each page
    tells the server about once every ``every`` seconds, as a reviewer clicking through."""
    pause = every / max(1, len(sockets))
    while time.monotonic() < until:
        socket, article = sockets[rng.choice(list(sockets))]
        ids = claims.get(article) or [None]
        message = {"action": "presence", "article": article, "claim": rng.choice(ids)}
        message["editing"] = rng.random() < 0.2
        with contextlib.suppress(Exception):  # a closed socket is counted by its reader
            await socket.send(json.dumps(message))
        await asyncio.sleep(pause)


def run(args, tmp: Path, stack: Stack) -> int:
    database_url = start_postgres(tmp, stack) if args.servers > 1 else None
    configure(tmp, database_url)
    if args.servers > 1:
        os.environ["FACTCHECK_REDIS_URL"] = start_redis(tmp, stack)
    import django

    django.setup()
    from annotations.models import Claim
    from bench import data

    rng = random.Random(16)
    seeded = seed(args, rng)
    started = [start_server(tmp, stack, f"server{n}") for n in range(args.servers)]
    hosts = [host for host, _ in started]
    processes = [process for _, process in started]
    cookies = []
    for user in seeded["readers"]:
        session = Session(f"http://{hosts[0]}")
        assert session.login(user.username, data.PASSWORD), "reader could not sign in"
        cookies.append(session.cookies["sessionid"])
    writer = Session(f"http://{hosts[0]}")
    assert writer.login(seeded["writer"].username, data.PASSWORD), "writer could not sign in"
    # This driver reads claim versions with the ORM between awaits (the servers never see this).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    time.sleep(1)
    before = rss_mb(processes)
    log(f"{args.servers} server(s) up, {before:.0f} MB; opening {args.readers} readers")

    # Articles with a claim a reviewer may dismiss or reopen (an approved one is published).
    article_ids = [article for article, ids in seeded["claims"].items() if ids]
    readers_of = {
        a: [n for n in range(args.readers) if article_ids[n % len(article_ids)] == a]
        for a in article_ids
    }
    arrivals: list = []
    ready: list = []
    closed: dict = {}
    sent: dict = {}
    answered: dict = {}

    async def scenario():
        sockets: dict = {}
        tasks = await open_readers(
            args, hosts, cookies, article_ids, arrivals, ready, closed, sockets
        )
        deadline = time.monotonic() + 120
        while len(ready) < args.readers and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # the rosters the readers were told settle
        idle = rss_mb(processes)
        log(f"{len(ready)} readers subscribed; servers at {idle:.0f} MB; {args.writes} writes")
        loop = asyncio.get_running_loop()
        if args.panel_every > 0:
            until = time.monotonic() + args.writes * (args.gap + 0.1) + 3
            panels = open_panels(sockets, args.panel_every, seeded["claims"], rng, until)
            tasks.append(asyncio.create_task(panels))
        for number in range(args.writes):
            article = article_ids[number % len(article_ids)]
            ids = seeded["claims"][article]
            claim = Claim.objects.get(pk=ids[number % len(ids)])
            base = f"/articles/{article}/claims/{claim.pk}/"
            if claim.state == Claim.State.DISMISSED:
                path, form = base + "reopen/", {"version": claim.version}
            else:
                path, form = base + "dismiss/", {"version": claim.version, "reason": "load test"}
            t0 = time.monotonic()
            status, _, _ = await loop.run_in_executor(None, writer.post, path, form)
            answered[(claim.pk, claim.version + 1)] = time.monotonic() - t0
            sent[(claim.pk, claim.version + 1)] = (t0, article, status)
            await asyncio.sleep(args.gap)
        await asyncio.sleep(3)
        for task in tasks:
            task.cancel()
        # Closed as a browser closes its tabs: a server stopping waits for its open sockets.
        closing = [socket.close() for socket, _ in sockets.values()]
        await asyncio.gather(*closing, return_exceptions=True)
        return idle

    idle = asyncio.run(scenario())
    latencies = []
    missed = 0
    missed_by_closed = 0
    for (claim_pk, version), (t0, article, _status) in sent.items():
        heard = {}  # reader → when its first event of the change arrived (a comment may follow)
        for n, _, c, v, at in arrivals:
            if c == claim_pk and v == version:
                heard.setdefault(n, at)
        if heard and args.per_write:
            log(
                f"write {claim_pk}@{version}: answered {answered[(claim_pk, version)] * 1000:.0f}"
                f" ms, heard {(min(heard.values()) - t0) * 1000:.0f}"
                f"–{(max(heard.values()) - t0) * 1000:.0f} ms"
            )
        for reader in readers_of[article]:
            if reader in heard:
                latencies.append((heard[reader] - t0) * 1000)
            else:
                missed += 1
                missed_by_closed += reader in closed
    if closed:
        codes = sorted({f"{int(code or 0)} from {host}" for code, host, _ in closed.values()})
        log(
            f"{len(closed)} reader sockets closed by the server (codes {codes}); "
            f"{missed_by_closed} of the {missed} missed deliveries were theirs"
        )
    for name, process in enumerate(processes):
        if process.poll() is not None:
            log(f"server{name} exited during the run with {process.returncode}")
        text = (tmp / f"server{name}.log").read_text(errors="replace")
        # The last line of each traceback names the exception (ChannelFull was the lost pages').
        errors = [line for line in text.splitlines() if line[:1].isalpha() and "Error" in line]
        errors += [line for line in text.splitlines() if line.startswith("channels.exceptions")]
        if errors:
            log(f"server{name} logged {len(errors)} errors, e.g. {sorted(set(errors))[:3]}")
    spread = percentiles(latencies) if latencies else {}
    spread["max"] = max(latencies, default=0)
    refused = sum(1 for _, _, status in sent.values() if status not in (200, 302))
    idle_cost = idle - before
    print()
    print(
        f"Live readers: {args.readers} WebSockets on {args.servers} Uvicorn process(es) "
        f"({'PostgreSQL + Redis' if args.servers > 1 else 'SQLite, in-memory layer'}), "
        f"{args.articles} articles, {args.writes} changes posted to the first server "
        f"{args.gap} s apart"
        + (
            f"; meanwhile each reader opens a claim's panel about every {args.panel_every:g} s"
            if args.panel_every > 0
            else "."
        )
    )
    rows = [
        ("readers subscribed", str(len(ready)), str(args.readers), len(ready) == args.readers),
        (
            "server memory, idle readers (added)",
            f"{idle_cost:.0f} MB",
            f"≤ {TARGET_IDLE_MB} MB",
            idle_cost <= TARGET_IDLE_MB,
        ),
        ("delivery p50", f"{spread.get('p50') or 0:.0f} ms", "", True),
        (
            "delivery p95",
            f"{spread.get('p95') or 0:.0f} ms",
            f"≤ {TARGET_P95_MS} ms",
            bool(latencies) and spread["p95"] <= TARGET_P95_MS,
        ),
        ("delivery max", f"{spread['max']:.0f} ms", "", True),
        ("deliveries missed", str(missed), "0", missed == 0),
        ("reader sockets closed by a server", str(len(closed)), "0", not closed),
        ("writes refused", str(refused), "0", refused == 0),
    ]
    print("| figure | value | target | result |\n| --- | ---: | --- | --- |")
    for name, value, target, ok in rows:
        print(f"| {name} | {value} | {target} | {'pass' if ok else 'FAIL'} |")
    print(f"(servers at {before:.0f} MB before the readers, {idle:.0f} MB with them)")
    return 0 if all(ok for *_, ok in rows) else 1


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    tmp = Path(tempfile.mkdtemp(prefix="factcheck-live-"))
    tmp.chmod(0o755)  # the PostgreSQL cluster of --servers 2+ runs as the postgres user
    stack = Stack()
    stack.push(lambda: shutil.rmtree(tmp, ignore_errors=True))
    try:
        return run(args, tmp, stack)
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
