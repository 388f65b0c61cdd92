"""Security headers on every page, htmx fragment and download in the URLconf, and a scan of
templates/ and static/ for what the Content-Security-Policy would block (inline scripts, event
handler attributes, style attributes, ``javascript:`` URLs, assets from other hosts)."""

import re
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests import security_support as support
from tests.xss_payloads import MARKER

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
# static/vendor/ holds third-party files as their packages publish them (axe-core, which only
# the browser tests load); test_vendored_files_are_never_linked_by_a_page keeps it that way.
VENDOR = ROOT / "static" / "vendor"
SCRIPTS = sorted(path for path in (ROOT / "static").rglob("*.js") if VENDOR not in path.parents)
STYLESHEETS = sorted((ROOT / "static").rglob("*.css"))


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(response) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if not csp:
        problems.append("no Content-Security-Policy")
    directives = csp_directives(csp)
    script_src = directives.get("script-src", directives.get("default-src", []))
    if not script_src:
        problems.append("CSP without script-src or default-src")
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        if unsafe in script_src:
            problems.append(f"CSP script-src allows {unsafe}")
    if directives.get("object-src", directives.get("default-src")) != ["'none'"]:
        problems.append("CSP object-src is not 'none'")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not response.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    framing_denied = response.get("X-Frame-Options") == "DENY" or directives.get(
        "frame-ancestors"
    ) == ["'none'"]
    if not framing_denied:
        problems.append("framing not denied (X-Frame-Options / frame-ancestors)")
    return problems


@pytest.fixture
def pages(db, admin_user):
    """(label, response) for every GET page, htmx fragment and download the URLconf offers."""
    world = support.build_world()
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    found = []
    entries = [e for e in support.app_url_entries() if e.name not in support.NEVER_FETCH]
    urls, _ = support.reversible_urls(entries, world)
    for entry, url in urls:
        response = client.get(url)
        found.append((url, response))
        if response.status_code == 200 and support.is_html(response):
            html = support.response_text(response)
            for target in sorted(set(re.findall(r'hx-target="#([\w-]+)"', html)))[:10]:
                fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": target})
                found.append((f"{url} #{target}", fragment))
        if "export" in entry.name and "format" not in entry.kwargs:
            for name in support.EXPORT_FORMATS:
                found.append((f"{url}?format={name}", client.get(url, {"format": name})))
    snapshot_urls = [u for e, u in urls if "snapshot" in e.name or "download" in e.name]
    for url in snapshot_urls:
        found.append((url, client.get(url)))
    found.append(("404 page", client.get("/no-such-page/")))
    found.append(("405 answer", client.get(reverse("logout"))))
    from tests.factories import UserFactory

    no_role = Client(raise_request_exception=False)
    no_role.force_login(UserFactory(username="norole"))
    found.append(("403 page", no_role.get(reverse("annotations:article-list"))))
    anonymous = Client()
    found.append(("login page", anonymous.get(reverse("login"))))
    for entry, url in support.reversible_urls(support.admin_url_entries(), world)[0]:
        if entry.name.endswith(("_changelist", ":index")):
            found.append((url, client.get(url)))
    return found


def test_every_response_carries_the_security_headers(pages):
    problems = []
    for label, response in pages:
        if response.status_code >= 500:
            continue  # reported by the XSS and CSRF walks, with the exception
        problems += [f"{label} ({response.status_code}): {p}" for p in header_problems(response)]
    assert not problems, "\n".join(problems)


def test_fragments_and_downloads_were_really_checked(pages):
    labels = [label for label, response in pages if response.status_code == 200]
    assert any(" #" in label for label in labels), "no htmx fragment was fetched"
    assert any("404" in label for label, _ in pages)
    assert any(label == "403 page" and r.status_code == 403 for label, r in pages)


def test_downloads_are_attachments_and_not_sniffed(pages):
    problems = []
    for label, response in pages:
        if response.status_code != 200 or support.is_html(response):
            continue
        if label.endswith(".css") or "stylesheet" in label or "css" in label:
            continue
        disposition = response.get("Content-Disposition", "")
        content_type = response.get("Content-Type", "")
        if "html" in content_type or "svg" in content_type:
            problems.append(f"{label}: served as {content_type}")
        if "snapshot" in label and not disposition.startswith("attachment"):
            problems.append(f"{label}: snapshot not served as an attachment")
    assert not problems, "\n".join(problems)


def test_rendered_pages_contain_nothing_the_csp_blocks(pages):
    problems = []
    for label, response in pages:
        if response.status_code >= 500 or not support.is_html(response):
            continue
        if label.startswith("/admin/"):
            continue  # Django's own admin templates; ours are scanned below
        if response.get("Content-Disposition", "").startswith("attachment"):
            continue  # a downloaded report is a standalone file, opened without our CSP
        audit = support.audit_html(support.response_text(response), MARKER)
        problems += [f"{label}: {violation}" for violation in audit.csp_violations]
    assert not problems, "\n".join(dict.fromkeys(problems))


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_is_sent_over_https_when_production_settings_enable_it(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("annotations:article-list"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    plain = client.get(reverse("annotations:article-list"))
    assert "Strict-Transport-Security" not in plain


# --- Source scan ----------------------------------------------------------------------------

TEMPLATE_RULES = [
    (r"<script\b(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", "inline <script>"),
    (r"\son[a-z]+\s*=", "inline event handler attribute"),
    (r"\sstyle\s*=", "style attribute"),
    (r"<style\b", "inline <style> element"),
    (r"javascript:", "javascript: URL"),
    (r"\s(?:data-)?hx-on", "hx-on attribute"),
    (r"\|\s*safe\b", "|safe filter"),
    (r"{%\s*autoescape\s+off", "autoescape off"),
    (r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//", "remote asset"),
    (r"@import\s+url\(\s*['\"]?(?:https?:)?//", "remote stylesheet import"),
]
SCRIPT_RULES = [
    (r"\beval\s*\(", "eval()"),
    (r"\bnew\s+Function\s*\(", "new Function()"),
    (r"document\.write", "document.write"),
    (r"javascript:", "javascript: URL"),
    (r"setAttribute\(\s*['\"](?:on|style)", "setAttribute of a handler or style"),
    (r"\.(?:innerHTML|outerHTML)\s*\+?=(?!\s*['\"]{2}\s*;)", "HTML string assigned"),
    (r"insertAdjacentHTML", "insertAdjacentHTML"),
    (r"\bsetTimeout\(\s*['\"]", "setTimeout with a string"),
    (r"https?://", "remote URL"),
]
STYLE_RULES = [
    (r"expression\s*\(", "CSS expression()"),
    (r"url\(\s*['\"]?\s*javascript:", "javascript: URL"),
    (r"(?:@import|url\()\s*['\"]?(?:https?:)?//", "remote resource"),
]


# (file, rule) → why it is fine there.
EXEMPT = {
    ("templates/reports/_document_start.html", "inline <style> element"): (
        "a downloaded HTML report is a standalone file and carries its own stylesheet; "
        "served pages are checked as rendered in test_rendered_pages_contain_nothing_the_csp_blocks"
    ),
}


def _scan(paths, rules):
    problems = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        # Template comments may mention what they avoid.
        text = re.sub(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S) if path.suffix == ".css" else text
        for pattern, what in rules:
            for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                line = text.count("\n", 0, match.start()) + 1
                relative = str(path.relative_to(ROOT))
                if (relative, what) not in EXEMPT:
                    problems.append(f"{relative}:{line}: {what}: {match.group(0)!r}")
    return problems


def test_templates_contain_nothing_the_csp_blocks():
    assert TEMPLATES, "no templates found"
    problems = _scan(TEMPLATES, TEMPLATE_RULES)
    assert not problems, "\n".join(problems)


def test_static_scripts_use_no_eval_html_strings_or_inline_styles():
    problems = [
        line
        for line in _scan(SCRIPTS, SCRIPT_RULES)
        if not re.search(r"//\s*.*https?://|www\.w3\.org", line)  # comments and SVG namespace
    ]
    assert not problems, "\n".join(problems)


def test_vendored_files_are_never_linked_by_a_page():
    vendored = [path.relative_to(ROOT / "static").as_posix() for path in VENDOR.rglob("*.js")]
    assert vendored, "static/vendor/ holds no script"
    linked = [
        f"{template.relative_to(ROOT)}: {name}"
        for template in TEMPLATES
        for name in vendored + ["vendor/"]
        if name in template.read_text(encoding="utf-8")
    ]
    assert not linked, "\n".join(linked)


def test_stylesheets_load_nothing_from_outside():
    assert STYLESHEETS
    problems = _scan(STYLESHEETS, STYLE_RULES)
    assert not problems, "\n".join(problems)


def test_the_scanner_catches_what_it_is_for():
    bad = (
        '<script>alert(1)</script><a onclick="x()" style="color:red" href="javascript:x()">'
        '<div hx-on:click="x()"></div>{{ text|safe }}'
        '<script src="https://cdn.example/htmx.js"></script>'
    )
    problems = [what for pattern, what in TEMPLATE_RULES if re.search(pattern, bad, flags=re.I)]
    assert set(problems) == {
        "inline <script>",
        "inline event handler attribute",
        "style attribute",
        "javascript: URL",
        "hx-on attribute",
        "|safe filter",
        "remote asset",
    }
    fine = '<script src="/static/a.js" defer></script><script type="application/ld+json">'
    assert not any(re.search(p, fine, flags=re.IGNORECASE) for p, _ in TEMPLATE_RULES)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "page.html",
            b"<!doctype html><html><body><script>alert(1)</script>Saved page</body></html>",
        ),
        ("image.png", b"<html><body onload=alert(1)>not really a png</body></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
    ],
)
def test_snapshots_are_downloaded_never_rendered(client, reviewer, settings, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import SourceFactory

    settings.FACTCHECK_RATE_LIMITS = {}
    source = SourceFactory()
    client.force_login(reviewer)
    client.post(
        reverse("annotations:snapshot-create", args=[source.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )
    snapshot = source.snapshots.first()
    if snapshot is None:
        assert name != "page.html", "an HTML snapshot should be accepted (and served as a file)"
        return  # refused at upload: nothing can be served
    response = client.get(reverse("annotations:snapshot-download", args=[snapshot.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = csp_directives(response["Content-Security-Policy"])
    assert "sandbox" in csp and csp.get("default-src") == ["'none'"]
    assert not response["Content-Type"].startswith(("image/svg", "application/xhtml"))
