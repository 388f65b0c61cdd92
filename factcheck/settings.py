"""Settings for factcheck, all read from environment variables.

Development needs none of them: SQLite in ``var/``, debug on, a fixed development key. Production
sets ``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and usually
``DATABASE_URL``; a missing or development secret key with debug off stops start-up.
"""

import os
import re
import sys
from pathlib import Path

import dj_database_url
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    if not re.fullmatch(r"[1-9][0-9]*/[smh]", value):
        raise ImproperlyConfigured(f"{name} must be a rate such as '120/m' (per s, m or h)")
    return value


def env_proxy_hops(name: str) -> int:
    """How many proxies in front of the app append to X-Forwarded-For: 0 (off) or more.

    ``1``/``on``/``true``/``yes`` mean one proxy, ``0``/``off``/``false``/``no`` (or unset) none.
    """
    value = (os.environ.get(name) or "0").strip().lower()
    if value in {"true", "yes", "on"}:
        return 1
    if value in {"false", "no", "off"}:
        return 0
    if not value.isdigit():
        raise ImproperlyConfigured(
            f"{name} must be the number of proxies in front of the app (0 for none, 1 for "
            f"one TLS proxy, 2 for a load balancer and a proxy…), not {value!r}"
        )
    return int(value)


DEBUG = env_bool("DJANGO_DEBUG", True)

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("The development secret key cannot be used with DJANGO_DEBUG off")
elif not DEBUG and (
    # Django's own rule (security.W009): long, varied and not one of its generated dev keys.
    len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
    or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is too weak for DJANGO_DEBUG off: it needs at least "
        f"{SECRET_KEY_MIN_LENGTH} characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them "
        f"different, and no {SECRET_KEY_INSECURE_PREFIX!r} prefix. Generate one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Daphne's runserver serves the ASGI application in development (make demo: pages and the live
# updates' WebSocket). Loading it installs Twisted's reactor, 27 MiB in every process, so only
# runserver loads it: bin/serve serves with Uvicorn, and workers and commands need none of it.
DEVELOPMENT_SERVER = sys.argv[1:2] == ["runserver"]
INSTALLED_APPS = [
    *(["daphne"] if DEVELOPMENT_SERVER else []),  # first: its runserver replaces Django's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "corsheaders",
    "ninja",  # the API's documentation page and its assets, served from here
    "channels",
    "django_tasks",
    "django_tasks_db",
    "annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Answers cross-origin requests to the API only, and only from FACTCHECK_API_CORS_ORIGINS.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "annotations.middleware.RejectNulInQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "annotations.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Below the header middleware, so that its 405 carries their headers too.
    "annotations.middleware.AllowedMethodsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"
ASGI_APPLICATION = "factcheck.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "annotations.context_processors.roles",
            ],
            "builtins": ["template_partials.templatetags.partials"],
            "debug": DEBUG,
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default, in WAL mode with IMMEDIATE transactions: writers queue for the lock at
# BEGIN instead of failing with "database is locked" half-way through a transaction.
VAR_DIR = Path(os.environ.get("FACTCHECK_VAR_DIR", BASE_DIR / "var"))
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=20000;"
        "PRAGMA foreign_keys=ON;"
    ),
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    else:
        # No JIT compilation: the planner's cost of a full-text or a large query crosses its
        # threshold, and compiling one takes ~200 ms for a statement that runs in a few (seen in
        # make bench-scale's plans). A desk's queries are short; JIT is for analytics.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        # A pool of connections per process (psycopg_pool), not one kept per thread: under
        # bin/serve's Uvicorn workers each request's code runs in a thread of its own, and a
        # connection kept per thread outlived it until PostgreSQL refused more clients ("too
        # many clients already" in make loadtest). FACTCHECK_DB_POOL_SIZE: the most a process
        # holds. Requests beyond it wait for one, as they would wait for a synchronous worker:
        # at 30 s, a storm of sign-ins (each holding its connection while its password is
        # hashed) made the dashboard's requests fail meanwhile.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        # A pooled connection is checked before it is lent: after a restart or a failover of
        # PostgreSQL, a dead one would cost a request a server error.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        options["pool"] = {
            "min_size": 1,
            "max_size": env_int("FACTCHECK_DB_POOL_SIZE", 16),
            "timeout": 120,
        }
        # Parameters bound on the server, and a statement a connection has run
        # FACTCHECK_DB_PREPARE_THRESHOLD times (psycopg's default, 5) prepared: PostgreSQL then
        # neither parses nor plans it again. A pooled connection lives on across requests, so a
        # request runs prepared statements: creating a claim cost its server process 3.5-4.8
        # ms of CPU instead of 5.2-6.5 on the 2,000,000-claim desk (README, "Claim create, a
        # third time"). Django leaves this off by default for poolers that hand a server connection
        # to another client between transactions (PgBouncer's transaction mode), where a
        # prepared statement may be missing: set FACTCHECK_DB_PREPARE_THRESHOLD=off behind one.
        prepare_threshold = os.environ.get("FACTCHECK_DB_PREPARE_THRESHOLD", "5").strip()
        if prepare_threshold.lower() not in {"off", "none"}:
            options["server_side_binding"] = True
            options["prepare_threshold"] = env_int("FACTCHECK_DB_PREPARE_THRESHOLD", 5)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # Reuse the connection (and its PRAGMAs) across requests of a thread.
            "CONN_MAX_AGE": env_int("DJANGO_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate-limit counters and other short-lived data. Several app servers must share one cache
# (e.g. FACTCHECK_CACHE=db with `manage.py createcachetable`), or each counts on its own.
_cache_choice = os.environ.get("FACTCHECK_CACHE", "locmem")
if _cache_choice == "db":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "factcheck_cache",
        }
    }
elif _cache_choice == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured("FACTCHECK_CACHE must be 'locmem' or 'db'")

# Live updates (annotations/live.py): Django Channels. One server process needs no service (the
# in-memory layer); several processes or servers share events through Redis (FACTCHECK_REDIS_URL,
# e.g. redis://127.0.0.1:6379/0), so that every event reaches every open page whatever server
# holds its WebSocket. channels-redis queues the messages of all of a process's sockets under one
# Redis key, so ``capacity`` bounds a whole server process's backlog, not one page's: a message
# sent to a full queue is dropped (a group send) or raises ChannelFull (a direct send). The
# traffic is kept far below it: a change is one message per process, whatever the number of its
# readers there, and presence one coalesced roster per article and second (annotations/presence.py).
FACTCHECK_REDIS_URL = os.environ.get("FACTCHECK_REDIS_URL", "")


def redis_channel_layer(url: str) -> dict:
    """The Redis channel layer on ``url``. Its receive loop waits up to 5 s for a message
    (BZPOPMIN); redis-py 8 also gives up reading a socket after 5 s by default, so an idle
    server's wait raised TimeoutError and closed its pages' sockets. The socket waits longer
    than the poll, and still notices a Redis that went away."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": url, "socket_timeout": 30, "socket_connect_timeout": 5}],
            "capacity": 1000,
            "expiry": 30,
        },
    }


if FACTCHECK_REDIS_URL:
    if not re.match(r"rediss?://", FACTCHECK_REDIS_URL):
        raise ImproperlyConfigured("FACTCHECK_REDIS_URL must start with redis:// or rediss://")
    CHANNEL_LAYERS = {"default": redis_channel_layer(FACTCHECK_REDIS_URL)}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000, "expiry": 30},
        }
    }

# --- E-mail (notifications) -------------------------------------------------------------------
# The console in development; SMTP from the environment in production.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "factcheck@localhost")
# --- Background jobs ---------------------------------------------------------------------------
# The queue is django-tasks' database backend: jobs wait in the database, so no other service is
# needed and workers (`manage.py run_worker`) can run on other machines sharing the database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A running job's worker marks it alive every few seconds; one silent this long was killed and
# its job is taken back (retried, or failed when its attempts are used up).
FACTCHECK_JOB_HEARTBEAT_SECONDS = env_int("FACTCHECK_JOB_HEARTBEAT_SECONDS", 10)
FACTCHECK_JOB_STALE_SECONDS = env_int("FACTCHECK_JOB_STALE_SECONDS", 60)
# Seconds before a transient failure (a site that timed out, a locked database) is tried again,
# doubled at each attempt.
FACTCHECK_JOB_RETRY_SECONDS = env_int("FACTCHECK_JOB_RETRY_SECONDS", 30)
# Attempts at e-mailing notifications while the mail server is down or says "try later"
# (annotations/notifications.py), spaced as the jobs' retries.
FACTCHECK_EMAIL_ATTEMPTS = env_int("FACTCHECK_EMAIL_ATTEMPTS", 4)

# --- Users, sign-in ---------------------------------------------------------------------------
AUTH_USER_MODEL = "annotations.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Reads the person a session signed in, with their roles, in one query (signs no one in).
    "annotations.roles.SignedInUserBackend",
    # Admin-role users hold every permission in the admin site (see annotations/admin/site.py).
    "annotations.admin.site.AdminRoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotations:article-list"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes; the policy is in annotations/signin.py): a user name+address
# pair is locked after repeated failures, for a cool-off counted from the failure that locked it;
# failures of a user name from many addresses make it wait seconds, never lock it.
AXES_FAILURE_LIMIT = env_int("FACTCHECK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("FACTCHECK_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "annotations.signin.ThrottlingHandler"
AXES_CLIENT_IP_CALLABLE = "annotations.signin.client_address"
AXES_LOCKOUT_CALLABLE = "annotations.signin.lockout_response"
AXES_VERBOSE = False
FACTCHECK_LOGIN_THROTTLE_AFTER = env_int("FACTCHECK_LOGIN_THROTTLE_AFTER", 2 * AXES_FAILURE_LIMIT)
FACTCHECK_LOGIN_THROTTLE_MAX_SECONDS = env_int("FACTCHECK_LOGIN_THROTTLE_MAX_SECONDS", 60)
if FACTCHECK_LOGIN_THROTTLE_AFTER <= AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "FACTCHECK_LOGIN_THROTTLE_AFTER must be more than FACTCHECK_LOGIN_FAILURE_LIMIT, so that "
        "failures from one address never slow a user down at other addresses"
    )
# Proxies in front of the app that append the client's address to X-Forwarded-For (and set
# X-Forwarded-Proto): 0 without a proxy, when the header is never read.
FACTCHECK_TRUSTED_PROXY_HOPS = env_proxy_hops("DJANGO_BEHIND_TLS_PROXY")

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("FACTCHECK_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files and uploads -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: snapshots go through a signed-in download view
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "FACTCHECK_FILE_STORAGE", "django.core.files.storage.FileSystemStorage"
        ),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
# The admin's import keeps the uploaded file between its preview and its confirmation in the
# uploads storage: shared by every worker and server, and read back as the bytes uploaded (a
# temporary file read as text would turn a carriage return inside a cell into a line feed).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Security ---------------------------------------------------------------------------------
# Django's database sessions, each request's read by SQL written once (factcheck/sessions.py).
SESSION_ENGINE = "factcheck.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if FACTCHECK_TRUSTED_PROXY_HOPS:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): everything from this origin, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- The API ----------------------------------------------------------------------------------
# Cross-origin requests (a newsroom CMS calling the API from its own pages) are refused unless
# their origins are listed, e.g. "https://cms.example.org"; only the API's URLs answer them,
# with tokens (no cookies), so a listed origin cannot ride on a signed-in session.
CORS_ALLOWED_ORIGINS = env_list("FACTCHECK_API_CORS_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Location", "Link", "Allow", "Accept-Post", "Retry-After"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "prefer",
    "slug",
]

# --- The product ------------------------------------------------------------------------------
# Per-user limits ("N/s", "N/m", "N/h"); above them the action answers 429.
FACTCHECK_RATE_LIMITS = {
    "claim-create": env_rate("FACTCHECK_RATE_CLAIM_CREATE", "120/m"),
    "import": env_rate("FACTCHECK_RATE_IMPORT", "20/m"),
    "export": env_rate("FACTCHECK_RATE_EXPORT", "60/m"),
    "fetch": env_rate("FACTCHECK_RATE_FETCH", "30/m"),
}
FACTCHECK_IMPORT_MAX_BYTES = env_int("FACTCHECK_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
# A published fact-checks file (a ClaimReview feed of 10,000 reviews is about 10 MB).
FACTCHECK_FACT_CHECKS_MAX_BYTES = env_int("FACTCHECK_FACT_CHECKS_MAX_BYTES", 50 * 1024 * 1024)
# Largest source snapshot (PDF, HTML, PNG, plain text) accepted for upload.
FACTCHECK_SNAPSHOT_MAX_BYTES = env_int("FACTCHECK_SNAPSHOT_MAX_BYTES", 20 * 1024 * 1024)
# Fetching pages from the web (annotations/fetching.py): ports, timeouts in seconds, the most
# bytes a page may have (counted while it downloads), redirects followed, and a CA bundle file
# (empty: the system's certificates).
FACTCHECK_FETCH_PORTS = [int(port) for port in env_list("FACTCHECK_FETCH_PORTS", ["80", "443"])]
FACTCHECK_FETCH_CONNECT_TIMEOUT = env_int("FACTCHECK_FETCH_CONNECT_TIMEOUT", 5)
FACTCHECK_FETCH_READ_TIMEOUT = env_int("FACTCHECK_FETCH_READ_TIMEOUT", 10)
FACTCHECK_FETCH_TOTAL_TIMEOUT = env_int("FACTCHECK_FETCH_TOTAL_TIMEOUT", 30)
FACTCHECK_FETCH_MAX_BYTES = env_int("FACTCHECK_FETCH_MAX_BYTES", 10 * 1024 * 1024)
FACTCHECK_FETCH_MAX_REDIRECTS = env_int("FACTCHECK_FETCH_MAX_REDIRECTS", 5)
FACTCHECK_FETCH_CA_FILE = os.environ.get("FACTCHECK_FETCH_CA_FILE", "")
# The PDF report's renderer: "weasyprint" (the default, pure Python) or "chromium" (Debian's
# headless Chromium, kept running between reports by the process that renders; run with no
# network, a throwaway profile and a Content-Security-Policy that loads nothing).
# FACTCHECK_PDF_CHROMIUM is its program (a name on PATH or a path); FACTCHECK_PDF_TIMEOUT bounds
# one report (starting the browser included), in seconds; the browser is replaced after
# FACTCHECK_PDF_CHROMIUM_REPORTS reports.
FACTCHECK_PDF_RENDERER = os.environ.get("FACTCHECK_PDF_RENDERER", "").strip() or "weasyprint"
if FACTCHECK_PDF_RENDERER not in {"weasyprint", "chromium"}:
    raise ImproperlyConfigured(
        f"FACTCHECK_PDF_RENDERER must be 'weasyprint' or 'chromium', not {FACTCHECK_PDF_RENDERER!r}"
    )
FACTCHECK_PDF_CHROMIUM = os.environ.get("FACTCHECK_PDF_CHROMIUM", "").strip() or "chromium"
FACTCHECK_PDF_TIMEOUT = env_int("FACTCHECK_PDF_TIMEOUT", 120)
FACTCHECK_PDF_CHROMIUM_REPORTS = env_int("FACTCHECK_PDF_CHROMIUM_REPORTS", 100)
# WeasyPrint lays out a report of FACTCHECK_PDF_PARALLEL_CLAIMS claims or more in parts, by up to
# FACTCHECK_PDF_PROCESSES processes at once (default: one per core, at most 8; 1 turns it off).
FACTCHECK_PDF_PROCESSES = env_int("FACTCHECK_PDF_PROCESSES", min(os.cpu_count() or 1, 8))
FACTCHECK_PDF_PARALLEL_CLAIMS = env_int("FACTCHECK_PDF_PARALLEL_CLAIMS", 60)
# An HTML page archived from a source's link is also laid out as a PDF, in a child process given
# at most this many seconds and megabytes (0 seconds: no rendering).
FACTCHECK_SNAPSHOT_RENDER_TIMEOUT = env_int("FACTCHECK_SNAPSHOT_RENDER_TIMEOUT", 60)
FACTCHECK_SNAPSHOT_RENDER_MEMORY_MB = env_int("FACTCHECK_SNAPSHOT_RENDER_MEMORY_MB", 1024)
# Archived snapshots of sources also ask the Internet Archive to save the page (off by default:
# it tells a third party what the desk is checking).
FACTCHECK_ARCHIVE_ORG = env_bool("FACTCHECK_ARCHIVE_ORG", False)
FACTCHECK_ARCHIVE_ORG_SAVE_URL = "https://web.archive.org/save/"
# Tests' own servers listen on loopback; only a test's settings override turns this on (it is
# deliberately not read from the environment).
FACTCHECK_FETCH_ALLOW_LOOPBACK = False
FACTCHECK_PUBLIC_BASE_URL = os.environ.get("FACTCHECK_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
FACTCHECK_ORGANISATION_NAME = os.environ.get("FACTCHECK_ORGANISATION_NAME", "Factcheck Desk")
FACTCHECK_ORGANISATION_URL = os.environ.get("FACTCHECK_ORGANISATION_URL", "")
# The desk's logo (an image address) and its profiles elsewhere (comma-separated addresses):
# ClaimReview's author.logo and author.sameAs, left out when empty.
FACTCHECK_ORGANISATION_LOGO = os.environ.get("FACTCHECK_ORGANISATION_LOGO", "")
FACTCHECK_ORGANISATION_SAME_AS = env_list("FACTCHECK_ORGANISATION_SAME_AS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
