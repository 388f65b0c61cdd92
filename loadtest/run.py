"""`python -m loadtest`: the app under gunicorn with production settings, on 127.0.0.1 only,
against a database it creates itself (a throwaway PostgreSQL cluster from bin/pgcluster, or
SQLite in a temporary directory), driven by simulated reviewers for a bounded time; then the
database is checked for lost writes.

Every process started here (gunicorn, PostgreSQL) is stopped by its own PID at the end, also
when something fails.
"""

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
PG_PORT = "54339"  # not CI's 54329, so both can run at once
# Generous limits so the run measures the app, not the limiter (printed with the results).
LIMITS = {
    "FACTCHECK_RATE_CLAIM_CREATE": "100000/m",
    "FACTCHECK_RATE_EXPORT": "100000/m",
    "FACTCHECK_RATE_IMPORT": "100000/m",
    "FACTCHECK_LOGIN_FAILURE_LIMIT": "100000",
}
#: The normal load's p95 may be this much worse with the open readers connected (issue 16).
LIVE_READERS_SLOWDOWN = 1.10


def log(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--users", type=int, default=50, help="simulated reviewers")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--writers", action="store_true", help="reviewers only write: create, edit, cite"
    )
    parser.add_argument(
        "--jobs",
        type=float,
        default=0,
        metavar="SECONDS",
        help="run a background-job worker meanwhile, and start a PDF report of 4 articles "
        "(200 claims) or a JSON export of every article every SECONDS, in turn",
    )
    parser.add_argument(
        "--asgi",
        action="store_true",
        help="serve as bin/serve does in production (Uvicorn workers, Redis between them) "
        "instead of gunicorn's synchronous workers",
    )
    parser.add_argument(
        "--live-readers",
        type=int,
        default=0,
        metavar="N",
        help="serve as bin/serve does (Uvicorn workers, Redis), run the load once as it is and "
        "once with N open readers of live updates connected, and compare the two p95s",
    )
    parser.add_argument(
        "--think",
        nargs=2,
        type=float,
        default=[0.5, 3.0],
        metavar=("MIN", "MAX"),
        help="seconds a reviewer waits between actions",
    )
    return parser.parse_args(argv)


class Stack:
    """Processes to stop and folders to remove, in reverse order, whatever happens."""

    def __init__(self):
        self.callbacks = []

    def push(self, callback):
        self.callbacks.append(callback)

    def close(self):
        while self.callbacks:
            try:
                self.callbacks.pop()()
            except Exception as error:  # noqa: BLE001 — keep stopping the rest
                log(f"cleanup step failed: {error}")


def start_postgres(tmp: Path, stack: Stack) -> str:
    cluster = tmp / "pg"
    env = dict(os.environ, PGCLUSTER_PORT=os.environ.get("LOADTEST_PG_PORT", PG_PORT))
    pgcluster = str(ROOT / "bin" / "pgcluster")
    # Registered first: `pgcluster stop` stops the server by its own PID file and removes DIR.
    stack.push(lambda: subprocess.run([pgcluster, "stop", str(cluster)], env=env, check=False))
    done = subprocess.run(
        [pgcluster, "start", str(cluster)], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bin/pgcluster start failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


def configure(tmp: Path, database_url: str | None) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="factcheck.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # Plain HTTP on loopback: no TLS redirect, cookies without the Secure flag.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        FACTCHECK_VAR_DIR=str(tmp / "var"),
        # Several workers must share rate-limit counters: the database cache, as in production.
        FACTCHECK_CACHE="db",
        # ClaimReview markup needs a public address (a loopback one is refused with a 503).
        FACTCHECK_PUBLIC_BASE_URL="https://factcheck.example.org",
        **LIMITS,
    )
    if database_url:
        os.environ["DATABASE_URL"] = database_url


def seed(args, rng: random.Random) -> dict:
    from django.core.management import call_command
    from django.urls import NoReverseMatch, reverse

    from annotations.models import Claim, Role
    from bench import data

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    reviewers = data.ensure_users(args.users, "loadreviewer", Role.REVIEWER)
    data.ensure_users(2, "loadeditor", Role.EDITOR)
    sources = data.make_sources(rng, 200, tag="load")
    articles = [
        data.make_article(
            rng,
            claims=50,
            size=12_000,
            sources=sources,
            citations=50,
            author=reviewers[0],
            tag=f"load-{n}",
        )
        for n in range(args.articles)
    ]
    # Claims in the works: an edit of an approved claim is a proposed change, not a write.
    editable = [c for c in articles[0].claims if c.state != Claim.State.APPROVED]
    hot = [(articles[0].article.pk, claim.pk) for claim in editable[:3]]

    def name(url_name, **kwargs):
        # URL templates with {placeholders}: reverse with numbers, then put names back.
        placeholders = {key: 900000000 + n for n, key in enumerate(kwargs)}
        path = reverse(
            url_name, kwargs=dict(zip(kwargs.values(), placeholders.values(), strict=True))
        )
        for key, number in placeholders.items():
            path = path.replace(str(number), "{" + key + "}")
        return path

    urls = {
        "dashboard": reverse("annotations:article-list"),
        "reader": name("annotations:article-detail", article="pk"),
        "create": name("annotations:claim-create", article="article_pk"),
        "claim": name("annotations:claim-detail", article="article_pk", claim="pk"),
        "update": name("annotations:claim-update", article="article_pk", claim="pk"),
        "cite": name("annotations:citation-create", article="article_pk", claim="pk"),
    }
    with contextlib.suppress(NoReverseMatch):  # exports not built yet
        urls["export"] = name("annotations:export", format="format")
        urls["export-start"] = name("annotations:export-start", format="format")
    return {
        "usernames": [user.username for user in reviewers],
        "articles": [{"pk": a.article.pk, "body": a.article.body} for a in articles],
        "hot_claims": hot,
        "sources": [source.pk for source in sources],
        "urls": urls,
        "job_articles": [a.article.pk for a in articles[:4]],
    }


class LiveReaders:
    """``count`` reader pages open on the articles, each holding its live-updates WebSocket
    (subscribed, as a reader page is), in a thread of their own while the load runs."""

    def __init__(self, base_url: str, count: int, usernames: list[str], article_ids: list[int]):
        self.base_url, self.count = base_url, count
        self.usernames, self.article_ids = usernames[:10], article_ids
        self.arrivals: list = []
        self.ready: list = []
        self.closed: dict = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.tasks: list = []

    def __enter__(self):
        from bench.data import PASSWORD
        from bench.server import Session
        from loadtest.live import open_readers

        cookies = []
        for username in self.usernames:
            session = Session(self.base_url)
            assert session.login(username, PASSWORD), f"{username} could not sign in"
            cookies.append(session.cookies["sessionid"])
        self.thread.start()
        opening = open_readers(
            SimpleNamespace(readers=self.count),
            [self.base_url.removeprefix("http://")],
            cookies,
            self.article_ids,
            self.arrivals,
            self.ready,
            self.closed,
        )
        self.tasks = asyncio.run_coroutine_threadsafe(opening, self.loop).result(120)
        deadline = time.monotonic() + 120
        while len(self.ready) < self.count and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # the rosters they were told settle
        return self

    def __exit__(self, *exc):
        async def close():
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            # The sockets' keep-alive tasks go with them.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def report(self) -> dict:
        return {
            "readers": self.count,
            "subscribed": len(self.ready),
            "closed_by_server": len(self.closed),
            "close_codes": sorted({int(code or 0) for code, _, _ in self.closed.values()}),
            "events_heard": len(self.arrivals),
        }


def pooled_check(checks: list[dict]) -> dict:
    """The integrity checks of several runs as one."""
    outcomes = collections.Counter()
    for one in checks:
        outcomes.update(one["by_outcome"])
    return {
        "by_outcome": dict(sorted(outcomes.items())),
        "successful_writes": sum(one["successful_writes"] for one in checks),
        "lost_writes": sum(one["lost_writes"] for one in checks),
        "problems": [problem for one in checks for problem in one["problems"]],
    }


def percentiles(values: list[float]) -> dict:
    from bench.measure import percentile

    if not values:
        return {"p50": None, "p95": None, "p99": None}
    return {
        "p50": round(percentile(values, 0.50), 1),
        "p95": round(percentile(values, 0.95), 1),
        "p99": round(percentile(values, 0.99), 1),
    }


def start_job_worker(tmp: Path, stack: Stack) -> None:
    """``manage.py run_worker`` beside the server, as ``bin/serve`` runs one; stopped by its PID."""
    output = open(tmp / "worker.log", "wb")  # noqa: SIM115 — closed by the stack
    stack.push(output.close)
    worker = subprocess.Popen(  # noqa: S603 — our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "run_worker", "--no-reload"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=output,
        stderr=subprocess.STDOUT,
    )

    def stop():
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    stack.push(stop)


def wait_for_jobs(since, most_seconds: float = 300) -> None:
    """Let the worker finish the jobs started during the load (bounded)."""
    from annotations.models import Job

    log("waiting for the background jobs started meanwhile to finish")
    deadline = time.monotonic() + most_seconds
    while time.monotonic() < deadline:
        waiting = Job.objects.filter(
            created_at__gte=since, kind=Job.Kind.EXPORT, finished_at__isnull=True
        )
        if not waiting.exists():
            return
        time.sleep(1)


def job_outcomes(since) -> dict:
    """The export and report jobs started during the run: how they ended and how long they
    took (from the button to the file ready). Citing a source also starts a job archiving it;
    the seeded sources' invented hosts do not resolve, so those fail and are left out."""
    from annotations.models import Job

    jobs = list(Job.objects.filter(created_at__gte=since, kind=Job.Kind.EXPORT).order_by("pk"))
    outcome = {}
    for kind in sorted({job.params["format"] for job in jobs}):
        chosen = [job for job in jobs if job.params["format"] == kind]
        done = [j for j in chosen if j.status == Job.Status.SUCCEEDED]
        seconds = [(j.finished_at - j.created_at).total_seconds() * 1000 for j in done]
        outcome[kind] = {
            "started": len(chosen),
            "succeeded": len(done),
            "failed": sum(1 for j in chosen if j.status == Job.Status.FAILED),
            "unfinished": sum(1 for j in chosen if j.finished_at is None),
            "ms": percentiles(seconds),
            "failures": [j.message for j in chosen if j.status == Job.Status.FAILED][:5],
        }
    return outcome


def summarise(args, plan, samples, writes, elapsed, integrity, server_log: str) -> dict:
    work = [s for s in samples if s.action != "sign-in"]
    elapsed_work = elapsed
    by_action = {}
    for action in sorted({s.action for s in samples}):
        chosen = [s for s in samples if s.action == action]
        by_action[action] = {"requests": len(chosen), **percentiles([s.ms for s in chosen])}
    locked = sum(1 for s in samples if s.error == "database is locked")
    locked += server_log.count("database is locked")
    return {
        "database": args.db,
        "users": args.users,
        "duration_s": round(elapsed, 1),
        "gunicorn": f"{args.workers} workers × {args.threads} threads",
        "think_s": list(plan.think),
        "writers": plan.writers,
        "requests": len(work),
        "requests_per_s": round(len(work) / elapsed_work, 1) if elapsed_work else None,
        "latency_ms": percentiles([s.ms for s in work]),
        "by_action": by_action,
        "server_errors": sum(1 for s in samples if s.status >= 500),
        "server_errors_by_action": dict(
            collections.Counter(s.action for s in samples if s.status >= 500)
        ),
        "connection_errors": sum(1 for s in samples if s.status == 0),
        "client_errors": sum(1 for s in samples if 400 <= s.status < 500),
        "database_locked": locked,
        "writes": integrity["by_outcome"],
        "successful_writes": integrity["successful_writes"],
        "lost_writes": integrity["lost_writes"],
        "problems": integrity["problems"][:50],
        "limits": LIMITS,
    }


def verdicts(summary: dict) -> list[tuple[str, str, str, bool]]:
    rows = [
        ("server errors (5xx)", str(summary["server_errors"]), "0", summary["server_errors"] == 0),
        ("lost writes", str(summary["lost_writes"]), "0", summary["lost_writes"] == 0),
        (
            "p95 latency",
            f"{summary['latency_ms']['p95']} ms",
            "≤ 150 ms",
            (summary["latency_ms"]["p95"] or 1e9) <= 150,
        ),
        (
            "p99 latency",
            f"{summary['latency_ms']['p99']} ms",
            "≤ 400 ms",
            (summary["latency_ms"]["p99"] or 1e9) <= 400,
        ),
    ]
    for kind, jobs in summary.get("jobs", {}).items():
        failed = jobs["failed"] + jobs["unfinished"]
        rows.append((f"{kind} jobs failed or unfinished", str(failed), "0", failed == 0))
    if summary["database"] == "sqlite":
        locked = summary["database_locked"]
        rows.append(('"database is locked" errors', str(locked), "0", locked == 0))
    live = summary.get("live")
    if live:
        base, now = summary["p95_without_readers"], summary["latency_ms"]["p95"]
        rows += [
            (
                f"p95 with {live['readers']} live readers / without",
                f"{now} / {base} ms ({(now / base - 1) * 100:+.0f} %)",
                f"≤ {(LIVE_READERS_SLOWDOWN - 1) * 100:+.0f} %",
                now <= base * LIVE_READERS_SLOWDOWN,
            ),
            (
                "live readers subscribed",
                str(live["subscribed"]),
                str(live["readers"]),
                live["subscribed"] == live["readers"],
            ),
            (
                "live reader sockets closed by the server",
                str(live["closed_by_server"]),
                "0",
                live["closed_by_server"] == 0,
            ),
        ]
    return rows


def print_summary(summary: dict, machine: str) -> None:
    print()
    if "live_readers" in summary:
        print(
            f"## With {summary['live_readers']} open readers of live updates connected"
            if summary["live_readers"]
            else "## Without open readers (the same server, Uvicorn workers and Redis)"
        )
        print("(two runs of each, alternating, each half the duration: the figures pool both)")
    print(
        f"Load test on {summary['database']}: {summary['users']} "
        f"{'writers' if summary['writers'] else 'reviewers'} for "
        f"{summary['duration_s']} s against gunicorn ({summary['gunicorn']}), production "
        f"settings, 127.0.0.1; each reviewer waits {summary['think_s'][0]}–"
        f"{summary['think_s'][1]} s between actions (reading, typing)."
    )
    print(f"Machine: {machine}")
    print(
        "Rate limits and login throttling raised for the run so it measures the app: "
        + ", ".join(f"{k}={v}" for k, v in summary["limits"].items())
    )
    latency = summary["latency_ms"]
    print(
        f"{summary['requests']} requests after all signed in, {summary['requests_per_s']} req/s; "
        f"latency p50 {latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} ms; "
        f"{summary['client_errors']} 4xx, {summary['connection_errors']} dropped connections"
    )
    print("\n| action | requests | p50 | p95 | p99 |\n| --- | ---: | ---: | ---: | ---: |")
    for action, row in summary["by_action"].items():
        print(f"| {action} | {row['requests']} | {row['p50']} | {row['p95']} | {row['p99']} |")
    print("\nWrites: " + ", ".join(f"{k}: {v}" for k, v in summary["writes"].items()))
    print(f"Largest gunicorn worker peak memory (VmHWM): {summary['worker_peak_mb']} MB")
    print("\n| check | measured | target | result |\n| --- | ---: | --- | --- |")
    for name, measured, target, passed in verdicts(summary):
        print(f"| {name} | {measured} | {target} | {'pass' if passed else 'FAIL'} |")
    if summary.get("jobs"):
        print(
            f"\nBackground jobs meanwhile (one worker; a PDF report of 200 claims or a JSON export "
            f"of every article every {summary['job_every']} s), from the button to the file:"
        )
        print("| job | started | done | failed | unfinished | p50 | p95 |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for kind, jobs in summary["jobs"].items():
            print(
                f"| {kind} | {jobs['started']} | {jobs['succeeded']} | {jobs['failed']} | "
                f"{jobs['unfinished']} | {jobs['ms']['p50']} | {jobs['ms']['p95']} |"
            )
            for failure in jobs["failures"]:
                print(f"PROBLEM: a {kind} job failed: {failure}")
    print(f"Load average at the end: {summary['load_average']}")
    for problem in summary["problems"]:
        print(f"PROBLEM: {problem}")


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="factcheck-loadtest-"))
    os.chmod(tmp, 0o755)  # PostgreSQL runs as its own user when we are root
    stack = Stack()
    stack.push(lambda: shutil.rmtree(tmp, ignore_errors=True))
    try:
        database_url = None
        if args.db == "postgres":
            log(f"starting PostgreSQL (bin/pgcluster, port {PG_PORT}, Unix socket only)")
            database_url = start_postgres(tmp, stack)
        configure(tmp, database_url)
        import django

        django.setup()
        from django.db import connections

        from bench.report import describe_machine, machine
        from bench.server import Gunicorn, proc_status
        from loadtest.driver import Plan, drive
        from loadtest.integrity import check

        log("migrating, collecting static files, seeding users, articles, claims, sources")
        seeded = seed(args, random.Random(args.seed))
        from bench.data import PASSWORD

        machine_text = describe_machine(machine())
        connections.close_all()
        server_log = tmp / "gunicorn.log"
        live = args.live_readers > 0
        asgi = live or args.asgi
        if asgi:
            from loadtest.live import start_redis

            # Several Uvicorn workers share live events through Redis, as in production.
            os.environ["FACTCHECK_REDIS_URL"] = start_redis(tmp, stack)
        log(f"starting gunicorn ({args.workers} workers) and {args.users} reviewers")
        server = Gunicorn(
            dict(os.environ),
            workers=args.workers,
            threads=args.threads,
            log_path=server_log,
            asgi=asgi,
        )
        stack.push(server.stop)
        from django.utils import timezone

        load_began = timezone.now()
        if args.jobs:
            log("starting a background-job worker (manage.py run_worker)")
            start_job_worker(tmp, stack)
        summaries = []
        with server:
            plan = Plan(
                base_url=server.url,
                password=PASSWORD,
                duration=args.duration,
                ramp=10.0,
                think=tuple(args.think),
                writers=args.writers,
                job_every=args.jobs,
                **seeded,
            )
            # With --live-readers the same load runs twice on the same server: without the
            # readers, then with them connected; first a short run nobody measures, so that
            # neither pays for the workers' and the database's first requests.
            if live:
                log("warming up (not measured)")
                drive(
                    dataclasses.replace(plan, duration=min(15.0, args.duration), phase=9),
                    min(10, args.users),
                )
            # Two rounds of the pair, each half as long, so that the load other jobs put on the
            # machine weighs on both alike.
            conditions = [0, args.live_readers] if live else [None]
            rounds = 2 if live else 1
            pooled = {
                readers: {"samples": [], "writes": [], "elapsed": 0.0, "checks": []}
                for readers in conditions
            }
            reports = {}
            for number in range(rounds * len(conditions)):
                readers = conditions[number % len(conditions)]
                held = contextlib.nullcontext()
                if readers:
                    log(f"opening {readers} live readers' WebSockets")
                    held = LiveReaders(
                        server.url,
                        readers,
                        seeded["usernames"],
                        [article["pk"] for article in seeded["articles"]],
                    )
                this_run = dataclasses.replace(
                    plan, duration=args.duration / rounds, phase=number + 1 if live else 0
                )
                with held:
                    samples, writes, elapsed = drive(this_run, args.users)
                if readers:
                    reports.setdefault(readers, []).append(held.report())
                    if held.closed:
                        text = server_log.read_text(errors="replace").splitlines()
                        errors = sorted({line for line in text if "Error" in line})
                        log(f"live reader sockets closed, server errors: {errors[:5]}")
                pooled[readers]["samples"] += samples
                pooled[readers]["writes"] += writes
                pooled[readers]["elapsed"] += elapsed
                # Each run is checked against the database as it left it (a later run edits on).
                pooled[readers]["checks"].append(check(writes))
                log(f"load finished ({number + 1} of {rounds * len(conditions)})")
            peaks = [proc_status(pid).get("VmHWM", 0) for pid in server.worker_pids()]
        if args.jobs:
            wait_for_jobs(load_began)
        log("checking the database")
        load_average = " / ".join(f"{value:.1f}" for value in os.getloadavg())
        for readers in conditions:
            samples, writes = pooled[readers]["samples"], pooled[readers]["writes"]
            summary = summarise(
                args,
                plan,
                samples,
                writes,
                pooled[readers]["elapsed"],
                pooled_check(pooled[readers]["checks"]),
                server_log.read_text(errors="replace"),
            )
            summary["worker_peak_mb"] = round(max(peaks, default=0) / 1024, 1)
            summary["load_average"] = load_average
            if args.jobs:
                summary["job_every"] = args.jobs
                summary["jobs"] = job_outcomes(load_began)
            if summary["server_errors"]:
                text = server_log.read_text(errors="replace").splitlines()
                named = sorted({line for line in text if line[:1].isalpha() and ":" in line})
                kept = ROOT / "bench" / "results" / f"loadtest-{args.db}-server.log"
                kept.parent.mkdir(exist_ok=True)
                shutil.copyfile(server_log, kept)
                log(
                    f"5xx by action: {summary['server_errors_by_action']}; the server log "
                    f"names: {named[-8:]}; the whole log is kept in {kept.relative_to(ROOT)}"
                )
            if asgi:
                summary["gunicorn"] += ", Uvicorn workers, Redis"
            if readers is not None:
                summary["live_readers"] = readers
            if readers:
                runs = reports[readers]
                summary["live"] = {
                    "readers": readers,
                    "subscribed": min(run["subscribed"] for run in runs),
                    "closed_by_server": sum(run["closed_by_server"] for run in runs),
                    "events_heard": sum(run["events_heard"] for run in runs),
                }
                summary["p95_without_readers"] = summaries[0]["latency_ms"]["p95"]
            print_summary(summary, machine_text)
            summary["machine"] = machine_text
            summaries.append(summary)
        results = ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        name = f"loadtest-{args.db}-live" if live else f"loadtest-{args.db}"
        written = summaries if live else summaries[0]
        (results / f"{name}.json").write_text(json.dumps(written, indent=2) + "\n")
        return 0 if all(row[3] for s in summaries for row in verdicts(s)) else 1
    finally:
        stack.close()
