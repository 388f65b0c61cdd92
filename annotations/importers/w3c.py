"""Importing W3C Web Annotations (e.g. Hypothesis's JSON-LD export) as claims.

Accepts one ``Annotation``, a JSON array of them, an ``AnnotationPage`` or an
``AnnotationCollection`` with its pages embedded (``first``/``next``). The whole input is
checked against the Web Annotation data model's MUST rules first; one malformed annotation
refuses the input with a message saying which and why, and nothing is written.

Each annotation is then matched to an article by its target's ``source`` (both URLs
normalised) and anchored by its ``TextQuoteSelector`` (``exact``/``prefix``/``suffix``, also
inside ``refinedBy``), with a ``TextPositionSelector`` as a hint where several places match.
Annotations that cannot be anchored — no article with that URL, no text selector, the quote
not in the text — are reported with the reason, never dropped silently; the rest become claims
(statement from a ``TextualBody``, creator from ``creator`` when it names a known user).
"""

import re
from dataclasses import dataclass, field
from datetime import UTC

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotations import anchoring
from annotations.importers import jsonload
from annotations.models import Article, Claim, User
from annotations.urlnorm import normalize_url

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
COMPOSITE_TYPES = {"Choice", "Composite", "List", "Independents"}
TEXT_DIRECTIONS = {"ltr", "rtl", "auto"}


class W3CImportError(Exception):
    """The input is not valid Web Annotation JSON-LD; nothing was imported."""


@dataclass
class Unanchored:
    annotation: str
    reason: str


@dataclass
class W3CImportResult:
    created: list[Claim] = field(default_factory=list)
    unanchored: list[Unanchored] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"{len(self.created)} claim(s) created"]
        lines += [f"NOT ANCHORED {u.annotation}: {u.reason}" for u in self.unanchored]
        return lines


# --- Reading and checking ---------------------------------------------------------------------


def load(text: str | bytes):
    try:
        return jsonload.loads(text)
    except jsonload.BadJSON as error:
        raise W3CImportError(str(error)) from None


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _has_anno_context(node: dict) -> bool:
    context = node.get("@context")
    return context == ANNO_CONTEXT or (isinstance(context, list) and ANNO_CONTEXT in context)


def _types(node) -> set:
    if not isinstance(node, dict):
        return set()
    value = node.get("type", node.get("@type"))
    return set(value) if isinstance(value, list) else {value} if value else set()


def annotations_in(data, linked_pages: list[str] | None = None) -> list[dict]:
    """The annotations in a parsed document, each checked; raises ``W3CImportError``.

    Pages a collection only links to are never fetched; their IRIs go to ``linked_pages``.
    """
    linked_pages = [] if linked_pages is None else linked_pages
    if isinstance(data, list):
        if not data:
            raise W3CImportError("The list holds no annotations.")
        found = []
        for index, item in enumerate(data):
            found += _annotations_of(item, f"item {index + 1}", False, linked_pages)
        return found
    return _annotations_of(data, "the document", False, linked_pages)


def _annotations_of(node, where: str, inherited_context: bool, linked_pages: list) -> list[dict]:
    if not isinstance(node, dict):
        raise W3CImportError(f"{where}: expected a JSON object.")
    has_context = inherited_context or _has_anno_context(node)
    if not has_context:
        raise W3CImportError(f"{where}: '@context' must be (or include) {ANNO_CONTEXT}.")
    types = _types(node)
    if "AnnotationCollection" in types:
        found, page, number = [], node.get("first"), 1
        while page is not None:
            if isinstance(page, str):
                if not _iri(page):
                    raise W3CImportError(f"{where}: page {number} is not an IRI or a page.")
                linked_pages.append(page)
                break
            found += _page_items(page, f"{where}, page {number}", linked_pages)
            page, number = page.get("next"), number + 1
        return found
    if "AnnotationPage" in types:
        return _page_items(node, where, linked_pages)
    check_annotation(node, where)
    return [node]


def _page_items(page, where: str, linked_pages: list) -> list[dict]:
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise W3CImportError(f"{where}: an AnnotationPage needs a list of 'items'.")
    found = []
    for index, item in enumerate(page["items"]):
        found += _annotations_of(item, f"{where}, item {index + 1}", True, linked_pages)
    return found


def _iri(value) -> bool:
    return isinstance(value, str) and bool(IRI.match(value))


def _date_time(value) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        return parse_datetime(value) is not None
    except ValueError:
        return False


def check_annotation(node: dict, where: str) -> None:
    """The data model's MUST rules for one annotation (section numbers from the W3C spec)."""

    def fail(message: str):
        label = node.get("id") if isinstance(node.get("id"), str) else where
        raise W3CImportError(f"Annotation {label}: {message}")

    if "Annotation" not in _types(node):
        fail("'type' must be 'Annotation' (3.1).")
    if not _iri(node.get("id")):
        fail("'id' must be exactly one IRI (3.1).")
    if "target" not in node:
        fail("an annotation needs a 'target' (3.1).")
    if "body" in node and "bodyValue" in node:
        fail("'body' and 'bodyValue' cannot both be given (3.2.5).")
    if "bodyValue" in node and not isinstance(node["bodyValue"], str):
        fail("'bodyValue' must be one string (3.2.5).")
    for name in ("created", "modified", "generated"):
        if name in node and not _date_time(node[name]):
            fail(f"'{name}' must be one xsd:dateTime (3.3.1).")
    for name in ("creator", "generator"):
        if name in node:
            for agent in _as_list(node[name]):
                if not (_iri(agent) or isinstance(agent, dict)):
                    fail(f"'{name}' must be an IRI or an agent object (3.3.1).")
                if isinstance(agent, dict) and "id" in agent and not _iri(agent["id"]):
                    fail(f"the {name}'s 'id' must be an IRI (3.3.1).")
    for name in ("rights", "via", "canonical"):
        if name in node and not all(_iri(value) for value in _as_list(node[name])):
            fail(f"'{name}' must be an IRI (3.3.6–3.3.7).")
    for name in ("body", "target"):
        if name in node:
            values = _as_list(node[name])
            if not values:
                fail(f"'{name}' is empty.")
            for value in values:
                problem = _resource_problem(value, is_body=name == "body")
                if problem:
                    fail(f"{name}: {problem}")


def _resource_problem(value, *, is_body: bool) -> str | None:
    """Why a body or target is malformed, or None."""
    if isinstance(value, str):
        return None if _iri(value) else f"{value!r} is not an IRI (3.2)."
    if not isinstance(value, dict):
        return "each body or target must be an IRI or an object (3.2)."
    types = _types(value)
    if "id" in value and not _iri(value["id"]):
        return "'id' must be an IRI (3.2.1)."
    if "format" in value and not all(isinstance(v, str) for v in _as_list(value["format"])):
        return "'format' must be a media type string (3.2.1)."
    if "language" in value and not all(isinstance(v, str) for v in _as_list(value["language"])):
        return "'language' must be a language tag string (3.2.1)."
    if "processingLanguage" in value and not isinstance(value["processingLanguage"], str):
        return "'processingLanguage' must be one language tag (3.2.1)."
    if "textDirection" in value and value["textDirection"] not in TEXT_DIRECTIONS:
        return "'textDirection' must be one of ltr, rtl, auto (3.2.1)."
    if "TextualBody" in types and not isinstance(value.get("value"), str):
        return "a TextualBody needs one string 'value' (3.2.4)."
    if len(types & COMPOSITE_TYPES) > 1:
        return "a resource can be only one of Choice, Composite, List, Independents (3.2.7)."
    if "items" in value:
        if not types & COMPOSITE_TYPES:
            return "'items' only belongs in a Choice, Composite, List or Independents (3.2.7)."
        for item in _as_list(value["items"]):
            if problem := _resource_problem(item, is_body=is_body):
                return problem
    if "SpecificResource" in types or "selector" in value or "state" in value:
        if "source" not in value:
            return "a SpecificResource needs a 'source' (4)."
        if problem := _resource_problem(value["source"], is_body=is_body):
            return problem
    for selector in _as_list(value.get("selector", [])):
        if problem := _selector_problem(selector):
            return problem
    return None


def _selector_problem(selector) -> str | None:
    if isinstance(selector, str):
        return None if _iri(selector) else f"selector {selector!r} is not an IRI (4.2)."
    if not isinstance(selector, dict):
        return "a selector must be an object or an IRI (4.2)."
    types = _types(selector)
    # An SvgSelector may point at its SVG by id instead of holding it as a value.
    needs_value = bool(types & {"FragmentSelector", "CssSelector", "XPathSelector"}) or (
        "SvgSelector" in types and "value" in selector
    )
    if needs_value and not isinstance(selector.get("value"), str):
        return f"a {'/'.join(sorted(types))} needs one string 'value' (4.2)."
    if "TextQuoteSelector" in types and not isinstance(selector.get("exact"), str):
        return "a TextQuoteSelector needs one string 'exact' (4.2.4)."
    if types & {"TextPositionSelector", "DataPositionSelector"}:
        for name in ("start", "end"):
            number = selector.get(name)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                return f"a {'/'.join(sorted(types))} needs a whole '{name}' ≥ 0 (4.2.5)."
    if "RangeSelector" in types and not ("startSelector" in selector and "endSelector" in selector):
        return "a RangeSelector needs 'startSelector' and 'endSelector' (4.2.9)."
    if "refinedBy" in selector:
        for refinement in _as_list(selector["refinedBy"]):
            if problem := _selector_problem(refinement):
                return problem
    return None


# --- Anchoring and writing --------------------------------------------------------------------


def _text_selectors(selectors) -> tuple[dict | None, dict | None]:
    """The first TextQuoteSelector and TextPositionSelector, looking inside ``refinedBy``."""
    quote = position = None
    pending = list(_as_list(selectors or []))
    while pending:
        selector = pending.pop(0)
        if not isinstance(selector, dict):
            continue
        types = _types(selector)
        if "TextQuoteSelector" in types and quote is None:
            quote = selector
        if "TextPositionSelector" in types and position is None:
            position = selector
        pending += _as_list(selector.get("refinedBy", []))
    return quote, position


def _normalised(url) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return normalize_url(url)
    except ValidationError:
        return None


def _statement(annotation: dict) -> str:
    if isinstance(annotation.get("bodyValue"), str):
        return annotation["bodyValue"].strip()
    bodies = [b for b in _as_list(annotation.get("body", [])) if "TextualBody" in _types(b)]
    for purposes in ({"describing"}, {"commenting", "assessing", None}):
        for body in bodies:
            if set(_as_list(body.get("purpose"))) & purposes or (
                None in purposes and "purpose" not in body
            ):
                return body["value"].strip()
    return bodies[0]["value"].strip() if bodies else ""


def _creator(annotation: dict, users: dict[str, User]) -> User | None:
    for agent in _as_list(annotation.get("creator", [])):
        names = []
        if isinstance(agent, dict):
            names = [agent.get("nickname"), agent.get("name"), agent.get("id")]
        elif isinstance(agent, str):
            names = [agent]
        for name in names:
            if not isinstance(name, str):
                continue
            # Hypothesis names users acct:username@authority.
            if name.startswith("acct:"):
                name = name[5:].split("@", 1)[0]
            if name in users:
                return users[name]
    return None


def import_annotations(data, *, user: User | None = None) -> W3CImportResult:
    """Import parsed W3C JSON-LD (or its text); see the module doc. One transaction."""
    if isinstance(data, str | bytes):
        data = load(data)
    linked_pages: list[str] = []
    annotations = annotations_in(data, linked_pages)

    articles: dict[str, Article] = {}
    for article in Article.objects.exclude(url="").only("pk", "url", "body"):
        if key := _normalised(article.url):
            articles.setdefault(key, article)
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    result = W3CImportResult()
    for page in linked_pages:
        result.unanchored.append(
            Unanchored(page, "this page is only linked, not in the file; it was not fetched")
        )

    with transaction.atomic():
        for annotation in annotations:
            label = annotation["id"]
            claim, reason = _claim_for(annotation, articles, users, user)
            if claim is None:
                result.unanchored.append(Unanchored(label, reason))
            else:
                claim.save()
                result.created.append(claim)
    return result


def _claim_for(annotation, articles, users, user) -> tuple[Claim | None, str]:
    reasons = []
    for target in _as_list(annotation["target"]):
        if isinstance(target, str):
            reasons.append("the target has no text selector (it is a whole page)")
            continue
        source = target.get("source")
        source = source.get("id") if isinstance(source, dict) else source
        article = articles.get(_normalised(source))
        if article is None:
            reasons.append(f"no article has the address {source}")
            continue
        quote, position = _text_selectors(target.get("selector"))
        if quote is None:
            reasons.append("the target has no TextQuoteSelector")
            continue
        hint = position.get("start") if position else None
        selector = anchoring.locate(
            article.body,
            quote["exact"],
            quote.get("prefix", "") or "",
            quote.get("suffix", "") or "",
            position_hint=hint,
        )
        if selector is None:
            reasons.append(f"the quote “{quote['exact'][:60]}” is not in “{article}”")
            continue
        statement = _statement(annotation)
        if Claim.objects.filter(
            article=article, start=selector.start, end=selector.end, statement=statement
        ).exists():
            reasons.append("already imported: the article has this claim")
            continue
        creator = _creator(annotation, users) or user
        claim = Claim(statement=statement, created_by=creator)
        claim.article = article
        claim.start, claim.end = selector.start, selector.end
        claim.quote, claim.prefix, claim.suffix = selector.exact, selector.prefix, selector.suffix
        if (created := annotation.get("created")) and (when := parse_datetime(created)):
            claim.created_at = when if timezone.is_aware(when) else timezone.make_aware(when, UTC)
        claim._history_user = creator
        return claim, ""
    return None, "; ".join(reasons) or "no target"
