"""HTTP hardening: signed-in responses are never kept by a browser or proxy cache, methods the
app does not use answer 405 everywhere, and snapshot PDFs that carry JavaScript or automatic
actions are flagged on their source's page."""

import re
import zlib

import pytest
from django.contrib.auth.decorators import login_not_required
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from annotations.middleware import API_METHODS, API_PATH_PREFIX, public_page
from annotations.models import SourceSnapshot
from tests import security_support as support
from tests.factories import SourceFactory
from tests.test_headers import header_problems

pytestmark = pytest.mark.django_db


# --- Cache-Control ----------------------------------------------------------------------------


def _signed_in_responses(client, world) -> list[tuple[str, object]]:
    found = []
    entries = [e for e in support.app_url_entries() if e.name not in support.NEVER_FETCH]
    for entry, url in support.reversible_urls(entries, world)[0]:
        response = client.get(url)
        found.append((url, response))
        if response.status_code == 200 and support.is_html(response):
            html = support.response_text(response)
            for target in sorted(set(re.findall(r'hx-target="#([\w-]+)"', html)))[:5]:
                headers = {"HX-Request": "true", "HX-Target": target}
                found.append((f"{url} #{target}", client.get(url, headers=headers)))
        if "export" in entry.name and "format" not in entry.kwargs:
            for name in support.export_formats():
                found.append((f"{url}?format={name}", client.get(url, {"format": name})))
    for entry, url in support.reversible_urls(support.admin_url_entries(), world)[0]:
        if entry.name.endswith(("_changelist", "_change", ":index")):
            found.append((url, client.get(url)))
    found.append(("404 page", client.get("/no-such-page/")))
    return found


def test_every_signed_in_response_is_private_and_not_stored(admin_user):
    world = support.build_world()
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    responses = _signed_in_responses(client, world)
    assert len(responses) >= 30
    problems = []
    for label, response in responses:
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        if "immutable" in directives:
            continue  # content-addressed (its URL names its content): nothing stale to keep
        if response.status_code != 404 and getattr(response.resolver_match.func, "public_page", 0):
            continue  # the same for everyone (a published fact-check): public on purpose
        if not {"private", "no-store"} <= directives:
            problems.append(f"{label} ({response.status_code}): {response.get('Cache-Control')}")
    assert not problems, "\n".join(problems)


def test_the_versioned_verdict_stylesheet_stays_cacheable(admin_user, client, article):
    client.force_login(admin_user)
    page = client.get(article.get_absolute_url()).content.decode()
    href = re.search(r'href="([^"]*verdicts\.css\?v=[^"]+)"', page).group(1)
    response = client.get(href.replace("&amp;", "&"))
    assert "immutable" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


@login_not_required
@public_page
def _public_view(request):
    response = HttpResponse("the same for everyone")
    response["Cache-Control"] = "public, max-age=300"
    return response


def _private_view(request):
    return HttpResponse("yours only")


urlpatterns = [
    path("public/", _public_view),
    path("private/", _private_view),
]


@pytest.mark.urls(__name__)
def test_a_view_marked_public_keeps_its_own_caching(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/public/")["Cache-Control"] == "public, max-age=300"
    assert client.get("/private/")["Cache-Control"] == "private, no-store"


# --- Methods ------------------------------------------------------------------------------------

UNUSED_METHODS = ["TRACE", "TRACK", "CONNECT", "PROPFIND", "OPTIONS", "PUT", "PATCH", "DELETE"]


@pytest.mark.parametrize("method", UNUSED_METHODS)
def test_methods_the_app_does_not_use_answer_405_everywhere(admin_user, method):
    world = support.build_world()
    entries = support.app_url_entries() + support.admin_url_entries()
    urls = [url for _, url in support.reversible_urls(entries, world)[0]]
    urls += ["/no-such-page/", "/static/annotations/reader.js", reverse("login")]
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(admin_user)
    anonymous = Client(raise_request_exception=False)
    problems = []
    for url in dict.fromkeys(urls):
        for client in (signed_in, anonymous):
            response = client.generic(method, url, "body=echo", HTTP_X_PROBE="echo-me")
            if url.startswith(API_PATH_PREFIX) and method in API_METHODS:
                # The API uses these methods (tests/test_permissions.py walks them per URL and
                # role): without a token it answers 401, and never echoes the request.
                if client is anonymous and response.status_code not in (401, 405):
                    problems.append(f"{method} {url} (anonymous): {response.status_code}")
                if "echo-me" in support.response_text(response):
                    problems.append(f"{method} {url}: the request was echoed")
                continue
            if response.status_code != 405:
                problems.append(f"{method} {url}: {response.status_code}")
            elif "echo-me" in support.response_text(response):
                problems.append(f"{method} {url}: the request was echoed")
    assert not problems, "\n".join(problems[:40])


def test_a_405_names_the_methods_allowed_and_carries_the_security_headers(client):
    response = client.generic("TRACE", reverse("login"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert header_problems(response) == []


def test_head_still_works(client, reviewer):
    client.force_login(reviewer)
    assert client.head(reverse("annotations:article-list")).status_code == 200


# --- PDF snapshots with JavaScript or automatic actions -----------------------------------------


def _pdf(*objects: bytes) -> bytes:
    body = b"".join(
        b"%d 0 obj\n%s\nendobj\n" % (number, obj) for number, obj in enumerate(objects, start=1)
    )
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"
PLAIN_PDF = _pdf(b"<< /Type /Catalog /Pages 2 0 R >>", PAGES)
OPEN_ACTION_JS = _pdf(
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>",
    PAGES,
    b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
)
# The names written with #xx escapes, as obfuscated files do.
ESCAPED_NAMES = _pdf(
    b"<< /Type /Catalog /Pages 2 0 R /Open#41ction 3 0 R >>",
    PAGES,
    b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
)
_packed = zlib.compress(b"3 0 << /S /JavaScript /JS (app.alert\\(1\\)) >>")
# The action hidden in a compressed object stream, where a plain byte search cannot see it.
IN_OBJECT_STREAM = _pdf(
    b"<< /Type /Catalog /Pages 2 0 R /AA << /O 3 0 R >> >>",
    PAGES,
    b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
    % (len(_packed), _packed),
)


def _upload(client, source, name, data):
    response = client.post(
        reverse("annotations:snapshot-create", args=[source.pk]),
        {"file": SimpleUploadedFile(name, data, "application/pdf")},
    )
    assert response.status_code in {200, 302}, response.content.decode()[:500]
    return SourceSnapshot.objects.get(source=source, original_name=name)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (OPEN_ACTION_JS, ["JavaScript", "runs an action when opened"]),
        (ESCAPED_NAMES, ["JavaScript", "runs an action when opened"]),
        (IN_OBJECT_STREAM, ["JavaScript", "runs actions on page or form events"]),
    ],
    ids=["open-action", "escaped-names", "object-stream"],
)
def test_a_pdf_snapshot_with_javascript_is_flagged_on_the_source_page(client, editor, data, named):
    source = SourceFactory()
    client.force_login(editor)
    _upload(client, source, "plain.pdf", PLAIN_PDF)
    _upload(client, source, "active.pdf", data)
    page = client.get(reverse("annotations:source-detail", args=[source.pk])).content.decode()
    flags = re.findall(r'<p class="snapshot-flag"[^>]*>(.*?)</p>', page, flags=re.S)
    assert len(flags) == 1, flags  # the plain PDF is not flagged
    for words in named:
        assert words in flags[0]


def test_the_flag_survives_a_restart_of_the_cache(client, editor):
    from django.core.cache import cache

    source = SourceFactory()
    client.force_login(editor)
    _upload(client, source, "active.pdf", OPEN_ACTION_JS)
    cache.clear()
    page = client.get(reverse("annotations:source-detail", args=[source.pk])).content.decode()
    assert 'class="snapshot-flag"' in page


def test_signing_out_tells_the_browser_to_drop_its_copies_of_pages(client, reviewer):
    """htmx keeps copies of pages it pushed into the history (the dashboard's filters) in
    localStorage, which no Cache-Control reaches: sign-out clears it, and the HTTP cache."""
    client.force_login(reviewer)
    page = client.get(reverse("annotations:article-list")).content.decode()
    assert 'hx-push-url="true"' in page
    assert "Clear-Site-Data" not in client.get(reverse("annotations:article-list"))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    directives = {d.strip() for d in response["Clear-Site-Data"].split(",")}
    assert {'"cache"', '"storage"'} <= directives
    assert "Clear-Site-Data" not in client.get(reverse("login"))
