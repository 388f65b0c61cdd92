"""PostgreSQL: parameters bound on the server, and a statement a connection keeps running is
prepared once (``FACTCHECK_DB_PREPARE_THRESHOLD``, settings), so PostgreSQL stops parsing and
planning the claim panel's statements again. Settings are read once at import: those cases run
in a fresh interpreter."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from annotations.models import Claim
from tests.test_security_settings import production_env, run_python

POSTGRES_URL = "postgres://factcheck@db.example.org/factcheck"
READ_OPTIONS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "o = s.DATABASES['default']['OPTIONS']; "
    "print(json.dumps([o.get('server_side_binding'), o.get('prepare_threshold', 'unset')]))"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, [True, 5]), ("0", [True, 0]), ("20", [True, 20]), ("off", [None, "unset"])],
)
def test_prepare_threshold_setting_binds_on_the_server_unless_off(tmp_path, value, expected):
    env = production_env(tmp_path, DATABASE_URL=POSTGRES_URL, FACTCHECK_DB_PREPARE_THRESHOLD=value)
    result = run_python(READ_OPTIONS, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


def test_a_bad_prepare_threshold_stops_start_up_and_names_the_setting(tmp_path):
    env = production_env(
        tmp_path, DATABASE_URL=POSTGRES_URL, FACTCHECK_DB_PREPARE_THRESHOLD="often"
    )
    result = run_python(READ_OPTIONS, env)
    assert result.returncode != 0
    assert "FACTCHECK_DB_PREPARE_THRESHOLD must be an integer" in result.stderr


def test_sqlite_is_left_as_it_was(tmp_path):
    env = production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run_python(READ_OPTIONS, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [None, "unset"]


@pytest.mark.django_db
def test_claims_created_one_after_another_run_a_prepared_insert(client, reviewer, article):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    client.force_login(reviewer)
    address = reverse("annotations:claim-create", args=[article.pk])
    words = article.body.split()[:12]
    position = 0
    for word in words:
        start = article.body.index(word, position)
        position = start + len(word)
        response = client.post(
            address,
            {"start": start, "end": position, "quote": word, "category": "other"},
            headers={"HX-Request": "true", "HX-Target": "claim-panel"},
        )
        assert response.status_code == 200
    assert Claim.objects.filter(article=article).count() == len(words)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    inserts = [s for s in prepared if s.startswith('INSERT INTO "annotations_claim" ')]
    # Every value a parameter: one statement serves every claim.
    assert len(inserts) == 1
    assert "$1" in inserts[0] and "passengers" not in inserts[0]
