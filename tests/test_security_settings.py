"""Production settings: Django's deployment checks pass, and a missing or development secret
key stops start-up when debug is off. Each case runs in a fresh interpreter with its own
environment, because settings are read once at import time."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "FACTCHECK_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="factcheck.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="factcheck.example.org",
        FACTCHECK_PUBLIC_BASE_URL="https://factcheck.example.org",
        FACTCHECK_VAR_DIR=str(tmp_path / "var"),
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_turn_on_https_protections(tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({name: getattr(s, name) for name in ["
        "'DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', "
        "'SECURE_REFERRER_POLICY', 'ALLOWED_HOSTS']}))"
    )
    result = run_python(code, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] in {"same-origin", "strict-origin", "no-referrer"}
    assert values["ALLOWED_HOSTS"] == ["factcheck.example.org"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "DJANGO_SECRET_KEY is required"),
        ("", "DJANGO_SECRET_KEY is required"),
        ("dev-only-insecure-key-do-not-use-in-production", "development secret key"),
    ],
    ids=["missing", "empty", "development-key"],
)
def test_debug_off_refuses_a_missing_or_development_secret_key(tmp_path, key, message):
    env = production_env(tmp_path, DJANGO_SECRET_KEY=key)
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_debug_off_with_no_allowed_hosts_fails_the_deployment_checks(tmp_path):
    """Without DJANGO_ALLOWED_HOSTS nothing is served, rather than everything."""
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.ALLOWED_HOSTS)"
    result = run_python(code, production_env(tmp_path, DJANGO_ALLOWED_HOSTS=None))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_malformed_boolean_setting_stops_start_up(tmp_path):
    result = run_python(
        "import django; django.setup()", production_env(tmp_path, DJANGO_DEBUG="maybe")
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_a_malformed_rate_limit_stops_start_up(tmp_path):
    env = production_env(tmp_path, FACTCHECK_RATE_EXPORT="lots")
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "FACTCHECK_RATE_EXPORT must be a rate" in result.stderr
