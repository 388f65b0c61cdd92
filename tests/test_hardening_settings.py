"""Start-up hardening: a weak secret key stops production (settings and ``bin/serve``), and the
client address used for sign-in throttling comes from the proxy's header only when a proxy is
configured. Each case runs in a fresh interpreter, because settings are read once at import."""

import json
import secrets
import subprocess
import sys

import pytest

from tests.test_security_settings import ROOT, production_env, run_python

WEAK_KEYS = {
    "one-character": "x",
    "49-characters": secrets.token_urlsafe(64)[:49],
    "four-distinct-characters": "abcd" * 20,
    "django-insecure-prefix": "django-insecure-" + secrets.token_urlsafe(60),
}


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_debug_off_refuses_a_weak_secret_key_and_says_how_to_make_one(tmp_path, key):
    result = run_python(
        "import django; django.setup()", production_env(tmp_path, DJANGO_SECRET_KEY=key)
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr
    assert len(key) < 8 or key not in result.stderr  # the key itself is never printed


def test_debug_on_accepts_a_short_key_for_development(tmp_path):
    env = production_env(tmp_path, DJANGO_DEBUG="1", DJANGO_SECRET_KEY="x")
    assert run_python("import django; django.setup()", env).returncode == 0


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_bin_serve_refuses_a_weak_secret_key_before_starting_anything(tmp_path, key):
    env = production_env(
        tmp_path,
        DJANGO_SECRET_KEY=key,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Were the key let through, the next step would fail at once instead of serving.
        PYTHON="false",
    )
    result = subprocess.run(
        [str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "DJANGO_SECRET_KEY is too weak" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr
    assert len(key) < 8 or key not in result.stderr + result.stdout


def _proxy_settings(tmp_path, value):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.FACTCHECK_TRUSTED_PROXY_HOPS, "
        "getattr(s, 'SECURE_PROXY_SSL_HEADER', None)]))"
    )
    return run_python(code, production_env(tmp_path, DJANGO_BEHIND_TLS_PROXY=value))


@pytest.mark.parametrize(
    ("value", "hops", "ssl_header"),
    [
        (None, 0, None),
        ("0", 0, None),
        ("off", 0, None),
        ("1", 1, ["HTTP_X_FORWARDED_PROTO", "https"]),
        ("yes", 1, ["HTTP_X_FORWARDED_PROTO", "https"]),
        ("2", 2, ["HTTP_X_FORWARDED_PROTO", "https"]),
    ],
)
def test_behind_tls_proxy_sets_the_number_of_trusted_hops(tmp_path, value, hops, ssl_header):
    result = _proxy_settings(tmp_path, value)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [hops, ssl_header]


@pytest.mark.parametrize("value", ["maybe", "-1", "1.5"])
def test_a_malformed_proxy_setting_stops_start_up(tmp_path, value):
    result = _proxy_settings(tmp_path, value)
    assert result.returncode != 0
    assert "DJANGO_BEHIND_TLS_PROXY must be" in result.stderr


def test_throttling_after_fewer_failures_than_the_lockout_is_refused(tmp_path):
    """Failures from one address must never slow a user name down everywhere."""
    env = production_env(
        tmp_path, FACTCHECK_LOGIN_FAILURE_LIMIT="5", FACTCHECK_LOGIN_THROTTLE_AFTER="5"
    )
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "FACTCHECK_LOGIN_THROTTLE_AFTER must be more than" in result.stderr


def test_production_settings_with_a_proxy_still_pass_the_deployment_checks(tmp_path):
    env = production_env(tmp_path, DJANGO_BEHIND_TLS_PROXY="2")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
