"""Helpers for the security tests: enumerate the URLconf, fill URL arguments from a connected
set of objects, fingerprint the database, and audit HTML for injected markup.

Everything is discovered from the URLconf and the models, so views that land later are
exercised without anyone editing these tests.
"""

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from html import unescape as html_unescape
from html.parser import HTMLParser

from django.apps import apps
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Candidate values for string URL arguments whose meaning is known by name.
STRING_CANDIDATES = {
    "format": ["html", "md", "markdown", "csv", "json", "claimreview", "w3c", "jsonld", "pdf"],
    "fmt": ["html", "md", "markdown", "csv", "json", "claimreview", "w3c", "jsonld", "pdf"],
    "scope": ["internal", "published"],
    "app_label": ["annotations"],
    "slug": ["world-fact-check"],  # the public page of build_world's article
}
# Export formats also tried as ?format= on export URLs that take no format argument.
EXPORT_FORMATS = STRING_CANDIDATES["format"]
# URL name fragment (e.g. "claim" in "claim-update") → the object kind that fills its `pk`.
KINDS = (
    "article",
    "claim",
    "citation",
    "comment",
    "source",
    "snapshot",
    "verdict",
    "user",
    "figure",
    "family",
    "token",
    "notification",
    "suggestion",
    "job",
)
KIND_ALIASES = {
    "inbox": "notification",  # "inbox/<pk>/": one notification of the inbox
    "sourcesnapshot": "snapshot",
    "person": "user",
    "reviewer": "user",
    "familie": "family",  # "families/<pk>" less its "s"
}
NEVER_FETCH = {
    "logout",  # POST only; GET answers 405 and would end the session anyway
    "admin:logout",
    "admin:view_on_site",  # redirects off-site by design
}


@dataclass(frozen=True)
class UrlEntry:
    name: str  # "namespace:name", or "" for an unnamed pattern
    route: str
    kwargs: dict[str, str] = field(default_factory=dict)  # argument name → converter kind
    positional: int = 0  # unnamed regex groups

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")


def _converter_kind(converter) -> str:
    return type(converter).__name__.removesuffix("Converter").lower() or "str"


def url_entries(resolver=None, namespace="", prefix="") -> list[UrlEntry]:
    """Every URL pattern of the project, with its argument names and converter kinds."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(url_entries(entry, inner, route))
        elif isinstance(entry, URLPattern):
            kwargs = {
                name: _converter_kind(conv) for name, conv in entry.pattern.converters.items()
            }
            for group in entry.pattern.regex.groupindex:
                kwargs.setdefault(group, "str")
            name = f"{namespace}{entry.name}" if entry.name else ""
            regex = entry.pattern.regex
            positional = regex.groups - len(regex.groupindex)
            found.append(UrlEntry(name, route, kwargs, positional))
    return found


def app_url_entries() -> list[UrlEntry]:
    """Named patterns outside the admin site."""
    return [entry for entry in url_entries() if entry.name and not entry.is_admin]


def admin_url_entries() -> list[UrlEntry]:
    return [entry for entry in url_entries() if entry.name and entry.is_admin]


# --- Objects to fill URL arguments ----------------------------------------------------------


def build_world(text=None, *, requester=None) -> dict:
    """A connected set of objects: every kind of object the URLs can name, one of each.

    ``text(model_label, field_name, max_length)`` gives the value for each free-text field;
    by default neutral text from the factories.
    """
    from annotations.models import (
        Article,
        ClaimFigure,
        ClaimRevision,
        Methodology,
        ProposedCitation,
        PublishedClaim,
        Publisher,
        SourceSnapshot,
        Verdict,
    )
    from tests.factories import (
        ArticleFactory,
        CitationFactory,
        ClaimFactory,
        CommentFactory,
        SourceFactory,
        UserFactory,
        VerdictFactory,
    )

    def fill(model, **fixed):
        values = dict(fixed)
        if text is not None:
            for name, max_length in free_text_fields(model):
                if name not in values:
                    values[name] = text(model._meta.label, name, max_length)
        return values

    other_user = UserFactory(**fill(apps.get_model("annotations", "User"), username="olga"))
    publisher = Publisher.objects.create(**{"name": "Riverside Gazette"} | fill(Publisher))
    article = ArticleFactory(publisher=publisher, **fill(apps.get_model("annotations", "Article")))
    verdict = VerdictFactory(**{"label": "Half right", "colour": "#123456"} | fill(Verdict))
    claim = ClaimFactory(
        article=article,
        created_by=other_user,
        assignee=other_user,
        verdict=verdict,
        verdict_proposed_by=other_user,
        **fill(apps.get_model("annotations", "Claim")),
    )
    source = SourceFactory(created_by=other_user, **fill(apps.get_model("annotations", "Source")))
    citation = CitationFactory(
        claim=claim,
        source=source,
        created_by=other_user,
        **fill(apps.get_model("annotations", "Citation")),
    )
    comment = CommentFactory(
        claim=claim, author=other_user, **fill(apps.get_model("annotations", "Comment"))
    )
    # A change proposed to the claim (shown in its panel once the claim is approved).
    revision = ClaimRevision.objects.create(
        claim=claim, proposed_by=other_user, base_version=claim.version, **fill(ClaimRevision)
    )
    ProposedCitation.objects.create(revision=revision, source=source, **fill(ProposedCitation))
    # A family: the claim and a claim of another article, with an event of its history.
    from annotations.models import ClaimFamily, FamilyEvent

    other_claim = ClaimFactory(
        created_by=other_user, **fill(apps.get_model("annotations", "Claim"))
    )
    family = ClaimFamily.confirm(claim, other_claim, by=other_user, seen=(None,) * 4)
    # Its figures disagree and a reviewer recorded why (the page shows the resolution).
    ClaimFamily.objects.filter(pk=family.pk).update(
        conflict=True, resolution=ClaimFamily.Resolution.OTHER, **fill(ClaimFamily)
    )
    family.refresh_from_db()
    FamilyEvent.objects.create(
        family=family, kind=FamilyEvent.Kind.EDITED, by=other_user, **fill(FamilyEvent)
    )
    # A figure a reviewer corrected (shown in the claim's "figures and related claims").
    figure = ClaimFigure.objects.create(
        claim=claim,
        source=ClaimFigure.Source.STATEMENT,
        start=0,
        end=2,
        text=claim.statement[:2],
        value=12.0,
        low=12.0,
        high=12.0,
        status=ClaimFigure.Status.CORRECTED,
        corrected_by=other_user,
        corrected_at=claim.created_at,
        **fill(ClaimFigure),
    )
    # A published fact-check of the claim's words (the panel's "Checked by …" line, the admin).
    from annotations.models import PublishedReview, PublishedReviewKey

    review_values = fill(PublishedReview)
    checked = review_values.get("claim_reviewed", "")
    review_values["claim_reviewed"] = f"{claim.statement} {claim.quote} {checked}".strip()
    review = PublishedReview(
        url="https://checks.example/world-check",
        rating_value=2.0,
        best_rating=5.0,
        **review_values,
    )
    if not review.rating:
        review.rating = "Misleading"
    review.read_figures()
    review.save()
    PublishedReviewKey.file([review], created=[review])
    # Published, with its public page at /fact-checks/world-fact-check/ (the claim shows there
    # once approved) and the desk's methodology.
    PublishedClaim.objects.create(claim=claim, published_by=other_user, **fill(PublishedClaim))
    Article.objects.filter(pk=article.pk).update(
        publication=Article.Publication.PUBLISHED,
        slug=STRING_CANDIDATES["slug"][0],
        published_at=claim.created_at,
        published_by=other_user,
    )
    article.refresh_from_db()
    Methodology.objects.create(**{"text": "Two people approve every verdict."} | fill(Methodology))
    snapshot_values = fill(SourceSnapshot)
    snapshot = SourceSnapshot(
        source=source,
        content_type="text/plain",
        size=5,
        sha256=hashlib.sha256(b"hello").hexdigest(),
        uploaded_by=other_user,
        **snapshot_values,
    )
    snapshot.file.save("snapshot.txt", ContentFile(b"hello"), save=True)
    # Notifications about the claim, in the inbox of everyone signed up so far (the pages that
    # list them are each person's own).
    from annotations.models import Notification, User

    notifications = Notification.objects.bulk_create(
        Notification(
            recipient=person,
            kind=Notification.Kind.MENTIONED,
            claim=claim,
            article=article,
            actor=other_user,
            **{"claim_text": str(claim)[:200]} | fill(Notification),
        )
        for person in User.objects.all()
    )
    # A background job under way, the requester's (so that its page shows to them).
    from annotations.models import Job

    job = Job.objects.create(
        owner=requester or other_user,
        kind=Job.Kind.ARTICLE_LINK,
        status=Job.Status.RUNNING,
        progress_total=2,
        **{"title": "Import a page", "progress_note": "Fetching"} | fill(Job),
    )
    # Sign-in records (django-axes): user agent and user name are whatever a stranger sends.
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    defaults = {"ip_address": "192.0.2.1", "username": "olga", "user_agent": "pytest"}
    defaults |= {"http_accept": "text/html", "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(
        **(defaults | {"get_data": "", "post_data": "", "failures_since_start": 1})
        | fill(AccessAttempt)
    )
    AccessLog.objects.create(**defaults | fill(AccessLog))
    AccessFailureLog.objects.create(**defaults | fill(AccessFailureLog))
    # A personal API token: the requester's, so that their account page lists it.
    from annotations.models import ApiToken

    owner = requester or other_user
    token, _secret = ApiToken.issue(owner, **({"name": "Newsroom CMS"} | fill(ApiToken)))
    # A check-worthy suggestion in the article (worked out from the body; one is made when
    # the body's words suggest none).
    from annotations.models import Suggestion

    suggestion = article.suggestions.order_by("pk").first() or Suggestion.objects.create(
        article=article,
        start=0,
        end=min(len(article.body), 20),
        quote_start=0,
        quote_end=min(len(article.body), 20),
        sentence_hash="0" * 64,
        score=0.5,
        reasons=["figure"],
        category="statistic",
    )
    return {
        "suggestion": suggestion,
        "article": article,
        "claim": claim,
        "citation": citation,
        "comment": comment,
        "source": source,
        "snapshot": snapshot,
        "verdict": verdict,
        "user": other_user,
        "figure": figure,
        "family": family,
        "token": token,
        "notification": notifications[-1] if notifications else None,
        "job": job,
    }


# Per model: fields derived from other data (a claim's quote is a slice of the article body).
DERIVED_FIELDS = {
    "annotations.Claim": {"quote", "prefix", "suffix"},
    "annotations.ApiToken": {"key_hash", "hint"},  # the secret's hash and first characters
    # Written by the tallies' triggers only (annotations/tallies.py): copies of the article's
    # title, publication and publisher's name (their own fields get the payloads), a claim
    # state and an article state.
    "annotations.ArticleTally": {"title", "publication", "publisher_name"},
    "annotations.DeskTally": {"state", "review_state"},
}
SKIPPED_FIELD_NAMES = {
    # derived or machine-made, never typed by a person
    "password",
    "content_hash",
    "raw_encoding",
    "sha256",
    "content_type",
    "quote_hash",
}


def free_text_fields(model) -> list[tuple[str, int | None]]:
    """(name, max_length) of the text fields a person can type into."""
    from django.db import models

    found = []
    for model_field in model._meta.concrete_fields:
        if not isinstance(model_field, models.CharField | models.TextField):
            continue
        if isinstance(model_field, models.EmailField | models.URLField | models.SlugField):
            continue
        if model_field.choices or not model_field.editable or model_field.primary_key:
            continue
        derived = DERIVED_FIELDS.get(model._meta.label, set())
        if model_field.name in SKIPPED_FIELD_NAMES | derived or any(
            getattr(validator, "regex", None) for validator in model_field.validators
        ):
            continue
        found.append((model_field.name, model_field.max_length))
    return found


def _kind_from_name(url_name: str) -> str | None:
    short = url_name.rsplit(":", 1)[-1]
    first = re.split(r"[-_]", short)[0].lower()
    first = KIND_ALIASES.get(first, first)
    return first if first in KINDS else None


def _admin_model(url_name: str):
    short = url_name.removeprefix("admin:")
    for model in admin.site._registry:
        key = f"{model._meta.app_label}_{model._meta.model_name}_"
        if short.startswith(key):
            return model
    if short == "auth_user_password_change":
        return apps.get_model("annotations", "User")
    return None


def export_formats() -> list[str]:
    try:
        from annotations.exporters import FORMATS
    except ImportError:
        return EXPORT_FORMATS
    return list(FORMATS)


def _kind_from_route(route: str, arg: str) -> str | None:
    """``claims/<int:pk>`` → "claim": the path segment before the argument names its kind."""
    match = re.search(r"([a-z_-]+)/<(?:\w+:)?" + re.escape(arg) + ">", route)
    if not match:
        return None
    word = match.group(1).removesuffix("s")
    word = KIND_ALIASES.get(word, word)
    return word if word in KINDS else None


def _value_for(entry: UrlEntry, arg: str, kind: str, world: dict) -> list | None:
    """Candidate values for one URL argument, or None if it cannot be filled."""
    if arg in {"format", "fmt"}:
        return export_formats()
    if arg in STRING_CANDIDATES:
        return STRING_CANDIDATES[arg]
    if entry.is_admin and arg in {"object_id", "id"}:
        model = _admin_model(entry.name)
        obj = model and model._default_manager.order_by("pk").first()
        return [str(obj.pk)] if obj else None
    base = arg.removesuffix("_pk").removesuffix("_id")
    if arg in {"pk", "id", "object_id"}:
        base = _kind_from_route(entry.route, arg) or _kind_from_name(entry.name)
    base = KIND_ALIASES.get(base, base)
    if base in world and world[base] is not None:
        return [world[base].pk]
    return None


def _positional_args(entry: UrlEntry) -> list | None:
    """django-simple-history's admin pages: (object id, history id) as unnamed groups."""
    model = _admin_model(entry.name)
    if entry.name.endswith("_simple_history") and entry.positional == 2 and model:
        record = model.history.order_by("history_id").last()
        if record is None:
            return None
        return [str(getattr(record, model._meta.pk.attname)), str(record.history_id)]
    return None


def fill_kwargs(entry: UrlEntry, world: dict) -> list[dict] | None:
    """Every combination of argument values for a pattern, or None if one cannot be filled.

    Patterns with unnamed groups get their values under the key ``"*args"``.
    """
    if entry.positional:
        args = _positional_args(entry)
        return None if args is None else [{"*args": args}]
    options = {}
    for arg, kind in entry.kwargs.items():
        values = _value_for(entry, arg, kind, world)
        if values is None:
            return None
        options[arg] = values
    names = list(options)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*options.values())]


def reversible_urls(entries, world: dict) -> tuple[list[tuple[UrlEntry, str]], list[UrlEntry]]:
    """(entry, url) for every fillable pattern, and the patterns that could not be filled."""
    urls, unfillable = [], []
    for entry in entries:
        combos = fill_kwargs(entry, world)
        if combos is None:
            unfillable.append(entry)
            continue
        for kwargs in combos:
            if "*args" in kwargs:
                urls.append((entry, reverse(entry.name, args=kwargs["*args"])))
            else:
                urls.append((entry, reverse(entry.name, kwargs=kwargs)))
    return urls, unfillable


# --- Admin file exports (django-import-export) ----------------------------------------------


def admin_exporters() -> list:
    """(model, model admin) of every registered admin that writes files (an export view)."""
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if hasattr(model_admin, "export_action")
    ]


def admin_export_downloads(client, user) -> list[tuple[str, object, object]]:
    """(label, response, format) for every admin export: each exporting admin, each format it
    offers, each resource, with every column ticked. Admins, formats and resources come from
    the admin registry, so an export added later is covered the day it lands."""
    from django import forms
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    downloads = []
    for model, model_admin in admin_exporters():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_export")
        formats = model_admin.get_export_formats()
        resources = model_admin.get_export_resource_classes(request)
        form = model_admin.get_export_form_class()(formats, resources)
        ticked = {
            name: "on"
            for name, form_field in form.fields.items()
            if isinstance(form_field, forms.BooleanField)
        }
        for format_index, file_format in enumerate(formats):
            for resource_index, resource in enumerate(resources):
                data = {"format": str(format_index), "resource": str(resource_index), **ticked}
                label = f"admin export {meta.label} {resource.__name__} as {file_format.__name__}"
                downloads.append((label, client.post(url, data), file_format))
    return downloads


# Downloads a spreadsheet program opens as a table of cells, by Content-Type → tablib format.
SPREADSHEET_TYPES = {
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}


def spreadsheet_cells(response) -> list[str] | None:
    """Every cell of a CSV or spreadsheet download as a spreadsheet program reads it, or None
    for a response that is not one."""
    import tablib

    content_type = response.get("Content-Type", "").split(";")[0].strip()
    kind = SPREADSHEET_TYPES.get(content_type)
    if kind is None:
        return None
    if kind in {"csv", "tsv"}:
        body = response_text(response).removeprefix("\ufeff")
    else:
        body = b"".join(response.streaming_content) if response.streaming else response.content
    dataset = tablib.Dataset().load(body, format=kind)
    cells = list(dataset.headers or [])
    for row in dataset:
        cells.extend(row)
    return ["" if cell is None else str(cell) for cell in cells]


# --- Database fingerprint -------------------------------------------------------------------

# Tables that legitimately change on a read: the session store touched by a signed-in request.
VOLATILE_TABLES = {"django_session"}


def db_fingerprint() -> dict[str, str]:
    """A hash of every row of every table (by model), to prove a request changed nothing."""
    prints = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in VOLATILE_TABLES or not model._meta.managed:
            continue
        rows = model._base_manager.order_by("pk").values_list()
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(row).encode())
        prints[table] = digest.hexdigest()
    return prints


def table_counts() -> dict[str, int]:
    with connection.cursor():
        return {
            model._meta.db_table: model._base_manager.count()
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed
        }


# --- Responses ------------------------------------------------------------------------------


def response_text(response) -> str:
    """The body as text; a streamed body is read once and kept, so it can be read again."""
    cached = getattr(response, "_security_text", None)
    if cached is not None:
        return cached
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    response._security_text = body.decode(response.charset or "utf-8", errors="replace")
    return response._security_text


def is_html(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() in {
        "text/html",
        "application/xhtml+xml",
    }


# --- HTML audit -----------------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "hx-get",
    "hx-post",
    "hx-put",
    "hx-patch",
    "hx-delete",
    "data-hx-get",
    "data-hx-post",
    "ping",
}
JSON_SCRIPT_TYPES = {"application/ld+json", "application/json"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:image/svg")
_SCHEME_NOISE = re.compile(r"[\x00-\x20\u200b-\u200f\u2028\u2029\ufeff]+")


def _scheme_of(value: str) -> str:
    return _SCHEME_NOISE.sub("", value).lower()


# Attributes whose value is only ever text (never a URL, code or markup) once parsed.
TEXT_ATTRIBUTES = {
    "value",
    "title",
    "alt",
    "placeholder",
    "label",
    "content",
    "datetime",
    "summary",
}


def _is_safe_url_value(value: str) -> bool:
    """A same-origin URL whose user-supplied part is percent-encoded."""
    if value.startswith(("//", "/\\")):
        return False  # another host
    return value.startswith(("/", "?", "#", "http://testserver/")) and not re.search(
        r"[\s<>\"'`]", value
    )


class HtmlAudit(HTMLParser):
    """Parse a page and list the places where text carrying ``marker`` became markup.

    Escaped text can only ever end up as text or inside an attribute's value, so user text is
    injected when a marker appears in an element or attribute *name*, in a script or style
    element, in a comment, or in the value of an attribute that is not plain text (event
    handlers, ``style``, ``id``, htmx attributes, URLs other than same-origin encoded ones).

    Also lists inline scripts, inline event handlers, ``style`` attributes, ``hx-on``
    attributes and script URLs anywhere in the page (the CSP forbids them).
    """

    def __init__(self, marker: re.Pattern):
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.injections: list[str] = []  # markup that came from user text
        self.csp_violations: list[str] = []  # markup the CSP would block
        self.json_blocks: list[str] = []
        self.text_markers: set[str] = set()  # markers seen as text or attribute values
        self._raw: dict | None = None  # the open <script> or <style> element

    def _markers(self, value: str | None) -> list[str]:
        return self.marker.findall(value or "")

    def handle_starttag(self, tag, attrs):
        source = (self.get_starttag_text() or tag)[:300]
        if self._markers(tag) or any(self._markers(name) for name, _ in attrs):
            self.injections.append(f"element or attribute made from user text: {source}")
        for name, value in attrs:
            value = value or ""
            name = name.lower()
            found = self._markers(value)
            self.text_markers.update(found)
            if name.startswith(("on", "hx-on", "data-hx-on")):
                self.csp_violations.append(f"inline handler {name}=: {source}")
            if name == "style":
                self.csp_violations.append(f"style attribute: {source}")
            if name in URL_ATTRIBUTES and _scheme_of(value).startswith(DANGEROUS_SCHEMES):
                self.injections.append(f"script URL in {name}=: {source}")
            if not found:
                continue
            if name in TEXT_ATTRIBUTES or (
                name.startswith(("aria-", "data-")) and not name.startswith("data-hx")
            ):
                continue
            if name in URL_ATTRIBUTES and _is_safe_url_value(value):
                continue
            self.injections.append(f"user text in attribute {name}=: {source}")
        if tag in {"script", "style"}:
            kind = (dict(attrs).get("type") or "").lower().strip()
            self._raw = {"tag": tag, "type": kind, "text": ""}

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style"}:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self._raw is None or tag != self._raw["tag"]:
            return
        element, self._raw = self._raw, None
        if element["tag"] == "script" and element["type"] in JSON_SCRIPT_TYPES:
            self.json_blocks.append(element["text"])
            return
        if element["text"].strip():
            self.csp_violations.append(f"inline <{tag}>: {element['text'][:200]}")
        if self._markers(element["text"]):
            self.injections.append(f"user text inside <{tag}>: {element['text'][:200]}")

    def handle_data(self, data):
        if self._raw is not None:
            self._raw["text"] += data
            return
        self.text_markers.update(self._markers(data))

    def handle_comment(self, data):
        if self._markers(data):
            self.injections.append(f"user text inside an HTML comment: {data[:200]}")


def audit_html(html: str, marker: re.Pattern) -> HtmlAudit:
    audit = HtmlAudit(marker)
    audit.feed(html)
    audit.close()
    for block in audit.json_blocks:
        try:
            json.loads(block)
        except ValueError as error:
            audit.injections.append(f"JSON script block does not parse ({error}): {block[:200]}")
    return audit


def strip_json_scripts(html: str) -> str:
    """The page without its JSON data blocks (whose escaping is JSON's, not HTML's)."""
    return re.sub(
        r"<script[^>]*type=[\"']application/(?:ld\+)?json[\"'][^>]*>.*?</script>",
        "",
        html,
        flags=re.DOTALL | re.IGNORECASE,
    )


def post_forms(html: str) -> list[tuple[str, dict[str, str], str]]:
    """(action, fields with their current values, hx-target) of every POST form on a page."""
    forms = []
    for match in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, flags=re.S | re.I):
        opening, inner = match.groups()
        method = re.search(r'method="(\w+)"', opening)
        hx_post = re.search(r'hx-post="([^"]+)"', opening)
        if not hx_post and not (method and method.group(1).lower() == "post"):
            continue
        action = hx_post or re.search(r'action="([^"]*)"', opening)
        target = re.search(r'hx-target="#?([\w-]+)"', opening)
        fields = {}
        for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", inner):
            name = re.search(r'name="([^"]+)"', tag)
            if not name:
                continue
            value = re.search(r'value="([^"]*)"', tag)
            fields[name.group(1)] = html_unescape(value.group(1)) if value else ""
        for name, options in re.findall(
            r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', inner, flags=re.S
        ):
            values = re.findall(r'<option\b[^>]*value="([^"]*)"[^>]*>', options)
            chosen = re.search(r'<option\b[^>]*value="([^"]*)"[^>]*\bselected', options)
            non_empty = [value for value in values if value]
            fields[name] = chosen.group(1) if chosen else (non_empty[0] if non_empty else "")
        url = (action.group(1) if action else "").replace("&amp;", "&")
        forms.append((url, fields, target.group(1) if target else ""))
    return forms
