"""`python -m loadtest`: the app under gunicorn with production settings, on 127.0.0.1 only,
against a database it creates itself (a throwaway PostgreSQL cluster from bin/pgcluster, or
SQLite in a temporary directory), driven by simulated reviewers for a bounded time; then the
database is checked for lost writes.

Every process started here (gunicorn, PostgreSQL) is stopped by its own PID at the end, also
when something fails.
"""

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_PORT = "54339"  # not CI's 54329, so both can run at once
# Generous limits so the run measures the app, not the limiter (printed with the results).
LIMITS = {
    "FACTCHECK_RATE_CLAIM_CREATE": "100000/m",
    "FACTCHECK_RATE_EXPORT": "100000/m",
    "FACTCHECK_RATE_IMPORT": "100000/m",
    "FACTCHECK_LOGIN_FAILURE_LIMIT": "100000",
}


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
    return rows


def print_summary(summary: dict, machine: str) -> None:
    print()
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
        log(f"starting gunicorn ({args.workers} workers) and {args.users} reviewers")
        server = Gunicorn(
            dict(os.environ), workers=args.workers, threads=args.threads, log_path=server_log
        )
        stack.push(server.stop)
        from django.utils import timezone

        load_began = timezone.now()
        if args.jobs:
            log("starting a background-job worker (manage.py run_worker)")
            start_job_worker(tmp, stack)
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
            samples, writes, elapsed = drive(plan, args.users)
            peaks = [proc_status(pid).get("VmHWM", 0) for pid in server.worker_pids()]
        if args.jobs:
            wait_for_jobs(load_began)
        log("load finished; checking the database")
        load_average = " / ".join(f"{value:.1f}" for value in os.getloadavg())
        integrity = check(writes)
        summary = summarise(
            args, plan, samples, writes, elapsed, integrity, server_log.read_text(errors="replace")
        )
        summary["load_average"] = load_average
        if args.jobs:
            summary["job_every"] = args.jobs
            summary["jobs"] = job_outcomes(load_began)
        summary["worker_peak_mb"] = round(max(peaks, default=0) / 1024, 1)
        print_summary(summary, machine_text)
        results = ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        summary["machine"] = machine_text
        (results / f"loadtest-{args.db}.json").write_text(json.dumps(summary, indent=2) + "\n")
        return 0 if all(row[3] for row in verdicts(summary)) else 1
    finally:
        stack.close()
