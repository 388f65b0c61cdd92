"""The entry point a production server loads (``bin/serve`` runs gunicorn on it)."""

import gc
import importlib
from wsgiref.util import setup_testing_defaults

import pytest

pytestmark = pytest.mark.django_db


def test_the_wsgi_application_answers_with_its_templates_ready_and_its_heap_frozen():
    module = importlib.import_module("factcheck.wsgi")
    gc.unfreeze()
    module.warm_up()  # what loading the module does (it may have been loaded already)
    try:
        assert gc.get_freeze_count() > 0
        environ = {"PATH_INFO": "/accounts/login/", "HTTP_HOST": "testserver"}
        setup_testing_defaults(environ)
        statuses = []
        body = b"".join(
            module.application(environ, lambda status, headers: statuses.append(status))
        )
    finally:
        gc.unfreeze()
    assert statuses == ["200 OK"]
    assert b"Sign in" in body
