"""`python -m bench`: build a throwaway database of seeded synthetic data, measure every figure
of issue 6 against its target, print a table and write bench/results/latest.json.

Never touches the developer's data: the database, static files and uploads live in a temporary
directory that is removed at the end. Production settings (debug off) so the figures are what a
deployment sees. ``BENCH_QUICK=1`` runs fewer iterations.
"""

import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

SEED = 20240601


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def configure_environment(tmp: Path) -> None:
    """Production-like settings on a private SQLite database; generous rate limits so the
    benchmark measures the app, not the limiter."""
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="factcheck.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        FACTCHECK_VAR_DIR=str(tmp / "var"),
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        FACTCHECK_RATE_CLAIM_CREATE="1000000/m",
        FACTCHECK_RATE_EXPORT="1000000/m",
        FACTCHECK_RATE_IMPORT="1000000/m",
        FACTCHECK_LOGIN_FAILURE_LIMIT="1000",
        # As production must set it: the ClaimReview export refuses (503) a loopback public
        # address with DEBUG off, so without it that figure measured the refusal.
        FACTCHECK_PUBLIC_BASE_URL="https://factcheck.example.org",
    )


def main() -> int:
    quick = os.environ.get("BENCH_QUICK", "") not in {"", "0"}
    tmp = Path(tempfile.mkdtemp(prefix="factcheck-bench-"))
    try:
        configure_environment(tmp)
        import django

        django.setup()
        from bench.suite import Suite

        suite = Suite(tmp, quick=quick, seed=SEED, log=log)
        return suite.run()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
