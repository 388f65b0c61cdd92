"""The API's OpenAPI document: valid OpenAPI 3.1, listing every API URL of the URLconf with
each of its methods; the documentation page serves its assets itself, under the strict CSP; and
responses have the shapes the document gives them."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts

from annotations.api import representations as rep
from tests.api_support import token_client
from tests.factories import CitationFactory, ClaimFactory

pytestmark = pytest.mark.django_db

NOT_ENDPOINTS = {"openapi-json", "openapi-view"}  # the document and its page describe the API


def schema():
    return Client().get(reverse("api-v1:openapi-json")).json()


def api_routes() -> list[tuple[str, URLPattern]]:
    """(route with {name} parameters, pattern) of every API endpoint in the URLconf."""
    found = []

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry, route)
            elif route.startswith("api/") and entry.name not in NOT_ENDPOINTS:
                found.append((re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", "/" + route), entry))

    walk(get_resolver(), "")
    return found


def test_the_schema_is_valid_openapi_3_1():
    document = schema()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any error
    assert consts.VERSIONS  # the validator in use knows the versions it checks


def test_every_api_endpoint_in_the_urlconf_is_in_the_schema_with_its_methods():
    from annotations.api import api

    paths = schema()["paths"]
    routes = api_routes()
    assert len(routes) >= 15
    for route, _pattern in routes:
        assert route in paths, f"{route} is not in the OpenAPI document"
    # Every method an endpoint answers is documented (ninja dispatches per path).
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            documented = paths.get("/api/v1" + re.sub(r"\{\w+:(\w+)\}", r"{\1}", path), {})
            for operation in path_view.operations:
                for method in operation.methods:
                    assert method.lower() in documented, f"{method} {path} undocumented"


def test_every_operation_says_who_may_call_it_and_what_errors_look_like():
    for path, operations in schema()["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security"), f"{method} {path} has no security"
            assert "401" in operation["responses"], f"{method} {path} lists no 401"


def test_the_documentation_page_serves_its_assets_locally_under_the_csp():
    response = Client().get(reverse("api-v1:openapi-view"))
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/static/") for url in assets), assets
    for url in assets:
        assert finders.find(url.removeprefix("/static/")), f"{url} is not served from here"
    # No inline script runs: the only <script> without src holds JSON settings.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/json"' in attrs for attrs in inline)
    assert reverse("api-v1:openapi-json") in html


def test_responses_have_the_documented_shapes(reviewer):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    client = token_client(reviewer)
    rep.ClaimPage.model_validate(client.get(reverse("api-v1:claim-list")).json())
    rep.ClaimOut.model_validate(client.get(reverse("api-v1:claim-detail", args=[claim.pk])).json())
    rep.ArticlePage.model_validate(client.get(reverse("api-v1:article-list")).json())
    rep.ArticleDetailOut.model_validate(
        client.get(reverse("api-v1:article-detail", args=[claim.article_id])).json()
    )
    rep.SourcePage.model_validate(client.get(reverse("api-v1:source-list")).json())
    rep.SearchOut.model_validate(client.get(reverse("api-v1:search"), {"q": "bus"}).json())
    problem = client.get(reverse("api-v1:claim-detail", args=[claim.pk + 99]))
    rep.ProblemOut.model_validate(problem.json())
