import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from annotations.models import Role
from tests.factories import ArticleFactory, UserFactory
from tests.shared_material import SEEDS_DIR, require

# CI runs the property tests on the same examples every time (a change, not the luck of the
# draw, fails a build); locally each run explores new ones and keeps failures in .hypothesis/.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests run on a database file, as the app itself does (WAL, one connection per
    thread), not on Django's shared in-memory database. In memory, every thread of a live server
    shares the test's one connection: two requests at once on it can deadlock when one runs the
    search triggers' Python function while the other holds the interpreter's lock (a browser
    test hung CI that way), and a third fails with "database table is locked"."""
    from django.conf import settings

    for alias, database in settings.DATABASES.items():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            folder = tmp_path_factory.mktemp("database")
            database.setdefault("TEST", {})["NAME"] = str(folder / f"{alias}.sqlite3")


@pytest.fixture(autouse=True)
def _fast_tests(settings, tmp_path):
    # Quick password hashing and a private media folder per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests run with debug off, where ClaimReview refuses a loopback public address.
    settings.FACTCHECK_PUBLIC_BASE_URL = "https://factcheck.example.org"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache, keyed by user id: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _rate_limit_clock_stands_still(monkeypatch):
    """The rate limits count hits per window of the clock (a minute for "2/m"): a slow test that
    crossed into the next minute between its requests started a new window and saw no 429. The
    counters' clock stands 20 s into a minute (tests that move it set their own)."""
    from types import SimpleNamespace

    from annotations import ratelimit

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 60 * 16_667 + 20.0))


@pytest.fixture(autouse=True)
def _default_data(request):
    """Re-create the migration-seeded groups and verdicts that transactional tests flush."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        from django.contrib.auth.models import Group

        from annotations.defaults import seed_defaults
        from annotations.models import Verdict

        request.getfixturevalue("transactional_db")
        if not Verdict.objects.exists():
            # Numbered from 1 again, as on a new desk: PostgreSQL's flush keeps the sequence,
            # and after a few dozen transactional tests the verdicts' ids passed 63, the last
            # with a bit in the dashboard's profiles (the tallies' tests then had none).
            from django.core.management.color import no_style
            from django.db import connection

            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), [Verdict]):
                    cursor.execute(statement)
        seed_defaults(Group, Verdict)


@pytest.fixture
def seeds_dir() -> Path:
    return require(SEEDS_DIR, "the seed corpus")


@pytest.fixture
def reviewer(db):
    return UserFactory(username="rita", role=Role.REVIEWER)


@pytest.fixture
def reviewer2(db):
    return UserFactory(username="raj", role=Role.REVIEWER)


@pytest.fixture
def editor(db):
    return UserFactory(username="edith", role=Role.EDITOR)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", role=Role.ADMIN)


@pytest.fixture
def article(db):
    return ArticleFactory()


@pytest.fixture
def loopback_allowed(settings):
    """Let the fetcher reach a test's own web server (tests/web_server.py) on loopback."""

    def allow(server):
        settings.FACTCHECK_FETCH_ALLOW_LOOPBACK = True
        settings.FACTCHECK_FETCH_PORTS = [80, 443, server.port]
        return server

    return allow


@pytest.fixture
def locked_elsewhere():
    """``with locked_elsewhere("table"):`` another connection holds ``table`` (PostgreSQL's
    ACCESS EXCLUSIVE lock, as a long migration or bulk write would) while the block runs, and
    this connection waits at most a second for any lock: a statement that needs the table
    fails with "lock timeout". For tests with ``django_db(transaction=True)``."""
    import contextlib
    import threading

    from django.db import connection, connections, transaction

    @contextlib.contextmanager
    def hold(table: str):
        locked, finished = threading.Event(), threading.Event()

        def lock():
            try:
                with transaction.atomic(), connections["default"].cursor() as cursor:
                    cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
                    locked.set()
                    finished.wait(10)
            finally:
                connections.close_all()

        thread = threading.Thread(target=lock)
        thread.start()
        try:
            assert locked.wait(5)
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
            yield
        finally:
            finished.set()
            thread.join()
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")

    return hold
