"""CSRF: every URL in the URLconf refuses a state-changing request without a token, even from
a signed-in admin, and no GET anywhere changes the database.

The URLs are enumerated from the URLconf and filled from a connected set of objects
(tests/security_support.py), so views that land later are covered as they land.
"""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests import security_support as support

pytestmark = pytest.mark.django_db

UNSAFE_METHODS = ("post", "put", "patch", "delete")


@pytest.fixture
def world(db):
    return support.build_world()


@pytest.fixture
def admin_client(admin_user):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(admin_user)
    return client


def _all_urls(world):
    entries = support.app_url_entries() + support.admin_url_entries()
    entries = [entry for entry in entries if entry.name != "admin:view_on_site"]
    urls, unfillable = support.reversible_urls(entries, world)
    return urls, unfillable


def test_every_url_pattern_can_be_exercised(world):
    """The walks below skip nothing: every pattern's arguments can be filled."""
    _, unfillable = _all_urls(world)
    assert not unfillable, (
        "URL patterns whose arguments the security tests cannot fill (teach "
        f"tests/security_support.py about them): {[e.name for e in unfillable]}"
    )


def test_state_changing_requests_without_a_token_are_refused_everywhere(world, admin_client):
    urls, _ = _all_urls(world)
    assert len(urls) >= 10
    before = support.db_fingerprint()
    accepted = []
    for _entry, url in urls:
        for method in UNSAFE_METHODS:
            for headers in ({}, {"HX-Request": "true"}):
                response = getattr(admin_client, method)(
                    url, data={"title": "changed", "body": "changed"}, headers=headers
                )
                text = support.response_text(response)
                # PUT, PATCH and DELETE are never used by the pages: every URL answers them
                # 405 unread. An API URL answers 405 to the methods it does not have.
                unused = response.status_code == 405 and (
                    method != "post" or url.startswith("/api/")
                )
                if not unused and (response.status_code != 403 or "CSRF" not in text):
                    accepted.append(f"{method.upper()} {url} {headers}: {response.status_code}")
    assert not accepted, "requests accepted without a CSRF token:\n" + "\n".join(accepted)
    after = support.db_fingerprint()
    changed = [table for table in before if before[table] != after.get(table)]
    assert not changed, f"tables changed by refused requests: {changed}"


def test_a_wrong_token_is_refused_too(world, admin_client):
    admin_client.get(reverse("annotations:article-list"))  # sets the CSRF cookie
    response = admin_client.post(
        reverse("logout"), headers={"X-CSRFToken": "x" * 64, "HX-Request": "true"}
    )
    assert response.status_code == 403
    assert admin_client.get(reverse("annotations:article-list")).status_code == 200


def test_htmx_requests_send_the_token_from_the_body_hx_headers(world, admin_client):
    page = admin_client.get(reverse("annotations:article-list"))
    match = re.search(r"<body[^>]*hx-headers='([^']+)'", support.response_text(page))
    assert match, "<body> has no hx-headers carrying the CSRF token"
    token = json.loads(match.group(1))["X-CSRFToken"]
    response = admin_client.post(
        reverse("logout"), headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert response.status_code == 302  # accepted: signed out
    assert admin_client.get(reverse("annotations:article-list")).status_code == 302


def test_every_get_leaves_the_database_unchanged(world, admin_client, reviewer):
    urls, _ = _all_urls(world)
    urls = [(entry, url) for entry, url in urls if entry.name not in support.NEVER_FETCH]
    reviewer_client = Client(raise_request_exception=False)
    reviewer_client.force_login(reviewer)
    anonymous = Client(raise_request_exception=False)
    before = support.db_fingerprint()
    fetched = 0
    for _entry, url in urls:
        for client in (admin_client, reviewer_client, anonymous):
            response = client.get(url)
            fetched += 1
            if response.status_code == 200 and support.is_html(response):
                html = support.response_text(response)
                for target in sorted(set(re.findall(r'hx-target="#([\w-]+)"', html)))[:10]:
                    client.get(url, headers={"HX-Request": "true", "HX-Target": target})
            client.head(url)
            client.options(url)
    after = support.db_fingerprint()
    changed = [table for table in before if before[table] != after.get(table)]
    assert not changed, f"tables changed by GET/HEAD/OPTIONS requests: {changed}"
    assert fetched >= 30


def test_api_requests_with_a_token_need_no_csrf_token(world, admin_user):
    """A token is not a cookie a browser adds by itself: token requests to every API URL and
    method are never refused for want of a CSRF token (what they do is the API tests')."""
    from tests.api_support import token_client

    client = token_client(admin_user)
    client.handler.enforce_csrf_checks = True
    urls, _ = _all_urls(world)
    api_urls = [url for _entry, url in urls if url.startswith("/api/")]
    assert len(api_urls) >= 10
    refused = []
    for url in api_urls:
        for method in UNSAFE_METHODS:
            response = getattr(client, method)(url, data="{}", content_type="application/json")
            if response.status_code == 403 and "CSRF" in support.response_text(response):
                refused.append(f"{method.upper()} {url}")
    assert not refused, "token requests refused for CSRF:\n" + "\n".join(refused)
