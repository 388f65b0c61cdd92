"""Importing annotations made elsewhere as claims: W3C Web Annotations, Hypothesis, Recogito.

What is read (``read``):

- **W3C Web Annotation JSON-LD**: one ``Annotation``, a JSON array of them, an
  ``AnnotationPage`` or an ``AnnotationCollection`` with its pages embedded (``first``/
  ``next``; pages it only links to are reported, never fetched). Our own export
  (``annotations.exporters.w3c``) is W3C with an extension vocabulary
  (docs/w3c-extension.md) and comes back whole: statement, claimant, date, category,
  verdict and explanation, state and approval, tags, citations (sources unknown here are
  created from their description), comments and orphan status.
- **Hypothesis**: its API search results and its client's export file, as they are
  (``annotations.importers.hypothesis``).
- **Recogito**: @recogito/text-annotator's own JSON (``annotations.importers.recogito``) and
  the W3C output of text-annotator and recogito-js.

The W3C data model's MUST rules are checked first. By default the reading is lenient where
real tools stray but the meaning is clear: an ``id`` that is a bare UUID or a relative
reference (``#uuid``), an empty ``body``, creator objects without IRIs, a target without a
``source`` (the caller names the article: ``article=``, ``--article ID``). ``strict=True``
applies the rules as written and reads W3C only. Either way input that is not JSON, or not
annotations, or malformed beyond that is refused whole with one line saying where and why,
and nothing is written.

Each annotation is matched to an article by its target's address (URLs compared normalised;
``urn:sha256:<hash>`` names an article by its content hash; Hypothesis's ``uri`` and
``document.link`` hrefs are tried too) and anchored by ``anchoring.match_quote`` (the
``TextQuoteSelector`` with its context, the ``TextPositionSelector`` as a hint) in the body,
or in the headline or standfirst when our export's ``articlePart`` says so; another tool's
quote not in the body is looked for, exactly, in the headline and the standfirst. An annotation
that cannot be anchored — a page note, an unknown page, a quote that is not there, or not
where its context says — is reported with the reason, never dropped silently and never put in
a doubtful place. Who wrote an annotation elsewhere is recorded in the claim's history; only
our own export's people are matched to users here (by user name), never created.

Importing the same file again duplicates nothing: an annotation whose claim is already on the
article (same place and creation time, or same place and statement) is counted as already
imported, and so is a reply already among the claim's comments.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Q

from annotations import anchoring
from annotations.exporters.links import report_url
from annotations.exporters.scope import DRAFT_LABEL
from annotations.exporters.w3c import NAMESPACE
from annotations.importers import hypothesis, jsonload, recogito
from annotations.importers.incoming import (
    CitationData,
    Incoming,
    OwnFields,
    Target,
    TextNote,
    W3CImportError,
    date,
    date_time,
    offset,
    text,
    unique_tags,
)
from annotations.importers.report import _Importer as ReportImporter
from annotations.models import Article, Citation, Claim, Comment, Source, User, Verdict
from annotations.urlnorm import normalize_url

__all__ = ["W3CImportError", "W3CImportResult", "annotations_in", "import_annotations", "load"]

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
# What lenient reading takes as an id: an IRI reference without white space, such as a bare
# UUID or "#uuid" (Recogito's), resolved against nothing.
REFERENCE = re.compile(r"^[^\s]+$")
COMPOSITE_TYPES = {"Choice", "Composite", "List", "Independents"}
TEXT_DIRECTIONS = {"ltr", "rtl", "auto"}
CONTENT_URN = re.compile(r"^urn:sha256:([0-9a-f]{64})$", re.IGNORECASE)
OWN_CLAIM_ID = re.compile(r"#claim-(\d+)$")
REASON_LENGTH = Claim.history.model._meta.get_field("history_change_reason").max_length


@dataclass
class Unanchored:
    annotation: str
    reason: str


@dataclass
class W3CImportResult:
    format: str = ""
    created: list[Claim] = field(default_factory=list)
    comments_added: int = 0
    already_imported: list[str] = field(default_factory=list)
    unanchored: list[Unanchored] = field(default_factory=list)
    # Annotations anchored where the text differs a little from their quote.
    fuzzy: list[str] = field(default_factory=list)
    # Approvals the pages would not allow, held for review (as import_report holds them).
    held_for_review: list[str] = field(default_factory=list)
    # People our own export names who have no account here (recorded in history only).
    unknown_people: set[str] = field(default_factory=set)

    def lines(self) -> list[str]:
        """The summary first, then one line per annotation that needs a look."""
        summary = f"{len(self.created)} claim(s) created"
        if self.comments_added:
            summary += f", {self.comments_added} comment(s) added"
        if self.already_imported:
            summary += f", {len(self.already_imported)} already imported"
        if self.unanchored:
            summary += f", {len(self.unanchored)} not anchored"
        lines = [f"{summary} ({self.format})" if self.format else summary]
        lines += [f"NOT ANCHORED {u.annotation}: {u.reason}" for u in self.unanchored]
        lines += [f"APPROXIMATE {line}" for line in self.fuzzy]
        lines += self.held_for_review
        if self.unknown_people:
            names = ", ".join(sorted(self.unknown_people))
            lines.append(f"NO ACCOUNT HERE for {names}: recorded in the claims' history only.")
        return lines


# --- Reading and checking ---------------------------------------------------------------------


def load(text: str | bytes):
    try:
        return jsonload.loads(text)
    except jsonload.BadJSON as error:
        raise W3CImportError(str(error)) from None


def read(data, *, strict: bool = False) -> tuple[str, list[Incoming], list[str]]:
    """``(what the file is, its annotations, IRIs of pages only linked)``, or raise
    ``W3CImportError`` saying why the file cannot be read."""
    for tool in (hypothesis, recogito):
        if kind := tool.kind_of(data):
            if strict:
                raise W3CImportError(
                    f"This is {kind}, not W3C Web Annotation JSON-LD: --strict reads W3C only "
                    "(import it without --strict)."
                )
            return kind, tool.annotations(data), []
    linked_pages: list[str] = []
    nodes = annotations_in(data, linked_pages, strict=strict)
    found = [_incoming(node) for node in nodes]
    kind = "W3C Web Annotations" + (" from factcheck" if any(a.ours for a in found) else "")
    return kind, found, linked_pages


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _has_anno_context(node: dict) -> bool:
    context = node.get("@context")
    return context == ANNO_CONTEXT or (isinstance(context, list) and ANNO_CONTEXT in context)


def _is_ours(node: dict) -> bool:
    """Whether the annotation uses our extension vocabulary (docs/w3c-extension.md)."""
    return any(
        isinstance(item, dict) and item.get("fc") == NAMESPACE
        for item in _as_list(node.get("@context"))
    )


def _types(node) -> set:
    if not isinstance(node, dict):
        return set()
    value = node.get("type", node.get("@type"))
    return set(value) if isinstance(value, list) else {value} if value else set()


def annotations_in(data, linked_pages: list[str] | None = None, *, strict: bool = False):
    """The annotations in a parsed W3C document, each checked; raises ``W3CImportError``.

    Pages a collection only links to are never fetched; their IRIs go to ``linked_pages``.
    """
    linked_pages = [] if linked_pages is None else linked_pages
    if isinstance(data, list):
        if not data:
            raise W3CImportError("The list holds no annotations.")
        found = []
        for index, item in enumerate(data):
            found += _annotations_of(item, f"item {index + 1}", False, linked_pages, strict)
        return found
    return _annotations_of(data, "the document", False, linked_pages, strict)


def _annotations_of(node, where, inherited_context, linked_pages, strict) -> list[dict]:
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
            found += _page_items(page, f"{where}, page {number}", linked_pages, strict)
            page, number = page.get("next"), number + 1
        return found
    if "AnnotationPage" in types:
        return _page_items(node, where, linked_pages, strict)
    check_annotation(node, where, strict=strict)
    return [node]


def _page_items(page, where: str, linked_pages: list, strict: bool) -> list[dict]:
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise W3CImportError(f"{where}: an AnnotationPage needs a list of 'items'.")
    found = []
    for index, item in enumerate(page["items"]):
        found += _annotations_of(item, f"{where}, item {index + 1}", True, linked_pages, strict)
    return found


def _iri(value) -> bool:
    return isinstance(value, str) and bool(IRI.match(value))


def _identifier(value, strict: bool) -> bool:
    """An id: an IRI, or (lenient) an IRI reference such as a bare UUID or "#uuid"."""
    return _iri(value) or (not strict and isinstance(value, str) and bool(REFERENCE.match(value)))


def _date_time(value) -> bool:
    try:
        return date_time({"v": value}, "v", "") is not None
    except W3CImportError:
        return False


def check_annotation(node: dict, where: str, *, strict: bool = True) -> None:
    """The data model's MUST rules for one annotation (section numbers from the W3C spec).

    Not ``strict``: an id may be an IRI reference (a bare UUID, "#uuid"), ``body`` may be an
    empty list, a creator object's id need not be an IRI, and a target may leave out its
    ``source``.
    """

    def fail(message: str):
        label = node.get("id") if isinstance(node.get("id"), str) else where
        raise W3CImportError(f"Annotation {label}: {message}")

    if "Annotation" not in _types(node):
        fail("'type' must be 'Annotation' (3.1).")
    if not _identifier(node.get("id"), strict):
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
                if (
                    isinstance(agent, dict)
                    and "id" in agent
                    and not _identifier(agent["id"], strict)
                ):
                    fail(f"the {name}'s 'id' must be an IRI (3.3.1).")
    for name in ("rights", "via", "canonical"):
        if name in node and not all(_iri(value) for value in _as_list(node[name])):
            fail(f"'{name}' must be an IRI (3.3.6–3.3.7).")
    for name in ("body", "target"):
        if name in node:
            values = _as_list(node[name])
            if not values and (strict or name == "target"):
                fail(f"'{name}' is empty.")
            for value in values:
                problem = _resource_problem(value, is_target=name == "target", strict=strict)
                if problem:
                    fail(f"{name}: {problem}")


def _resource_problem(value, *, is_target: bool, strict: bool) -> str | None:
    """Why a body or target is malformed, or None."""
    if isinstance(value, str):
        return None if _iri(value) else f"{value!r} is not an IRI (3.2)."
    if not isinstance(value, dict):
        return "each body or target must be an IRI or an object (3.2)."
    types = _types(value)
    if "id" in value and not _identifier(value["id"], strict):
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
            if problem := _resource_problem(item, is_target=is_target, strict=strict):
                return problem
    if "SpecificResource" in types or "selector" in value or "state" in value:
        if "source" in value:
            if problem := _resource_problem(value["source"], is_target=is_target, strict=strict):
                return problem
        elif strict or not is_target:
            return "a SpecificResource needs a 'source' (4)."
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
    if "TextQuoteSelector" in types:
        if not isinstance(selector.get("exact"), str):
            return "a TextQuoteSelector needs one string 'exact' (4.2.4)."
        for name in ("prefix", "suffix"):
            if selector.get(name) is not None and not isinstance(selector[name], str):
                return f"a TextQuoteSelector's '{name}' must be a string (4.2.4)."
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


# --- From W3C to what the importer writes -----------------------------------------------------


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


def _address(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _targets(node: dict, where: str, *, ours: bool = False) -> list[Target]:
    targets = []
    for value in _as_list(node["target"]):
        if isinstance(value, str):
            targets.append(Target(source=value, whole_page=True))
            continue
        source = _address(value.get("source"))
        if "selector" not in value:
            targets.append(Target(source=source or _address(value), whole_page=True))
            continue
        target = Target(source=source)
        quote, position = _text_selectors(value["selector"])
        if quote is not None:
            target.exact = quote["exact"]
            target.prefix = quote.get("prefix") or ""
            target.suffix = quote.get("suffix") or ""
        if position is not None:
            target.position = position["start"]
        if ours:
            # The extension's articlePart: the selectors count in the headline or the
            # standfirst, not the body (docs/w3c-extension.md).
            target.part = _choice(value, "articlePart", Article.Part, where, Article.Part.BODY)
        targets.append(target)
    return targets


def anchor_target(
    article: Article, target: Target, *, ours: bool
) -> tuple[str, anchoring.QuoteMatch]:
    """``(part, match)``: where a target's quote is in ``article``. It is looked for in the
    target's part (``articlePart``, else the body), with its context and position hint. Another
    tool's quote that is not there but is, exactly, in the headline or the standfirst is taken
    from there (Hypothesis users highlight headlines too; their context on the page, navigation
    and the body's first words, is not in these short texts, so only the exact quote counts).
    Our own annotations say their part, so theirs is never guessed. The import and the
    annotation protocol both anchor with this."""
    match = anchoring.match_quote(
        article.text_of(target.part), target.exact, target.prefix, target.suffix, target.position
    )
    if match.anchored or ours:
        return target.part, match
    for part in (Article.Part.HEADLINE, Article.Part.STANDFIRST):
        found = anchoring.match_quote(article.text_of(part), target.exact)
        if found.anchored and not found.fuzzy:
            return part, found
    return target.part, match


def _purposes(body: dict, motivations: frozenset = frozenset({None})) -> set:
    """A body's purposes; a body without one serves the annotation's motivation (3.2.6)."""
    purposes = body.get("purpose")
    return set(_as_list(purposes)) if purposes else set(motivations)


def _agent(value) -> str:
    """Who an annotation's ``creator`` names, for people to read."""
    names = [recogito.agent_name(agent, "creator") for agent in _as_list(value or [])]
    return ", ".join(name for name in names if name)


def _nickname(value) -> str | None:
    """Our own user name, from a creator as our exporter writes it."""
    return value.get("nickname") if isinstance(value, dict) else None


def _incoming(node: dict) -> Incoming:
    label = node["id"]
    where = f"Annotation {label}"
    ours = _is_ours(node)
    found = Incoming(
        label=label,
        tool="factcheck" if ours else "W3C",
        targets=_targets(node, where, ours=ours),
        author=_agent(node.get("creator")),
        created=date_time(node, "created", where),
        modified=date_time(node, "modified", where),
    )
    bodies = [body for body in _as_list(node.get("body", [])) if isinstance(body, dict)]
    textual = [
        body for body in bodies if isinstance(body.get("value"), str) and "source" not in body
    ]
    if ours:
        found.ours = _own_fields(node, where)
        _read_own_bodies(found, textual, bodies, where)
        return found

    if isinstance(node.get("bodyValue"), str):
        textual = [{"value": node["bodyValue"]}]  # a TextualBody without a purpose (3.2.5)
    motivations = frozenset(_as_list(node.get("motivation") or [None]))
    labels = {"tagging", "classifying"}
    # A tag or a classification is never the statement, whatever else the annotation holds.
    tags = [b["value"] for b in textual if _purposes(b, motivations) <= labels]
    others = [b for b in textual if not _purposes(b, motivations) <= labels]
    statement_body = None
    for wanted in ({"describing"}, {"commenting", "assessing", None}):
        statement_body = next((b for b in others if _purposes(b, motivations) & wanted), None)
        if statement_body is not None:
            found.statement = statement_body["value"].strip()
            break
    found.tags = unique_tags(tags)
    for body in others:
        if body is statement_body or not body["value"].strip():
            continue
        found.comments.append(
            TextNote(
                text=body["value"].strip(),
                author=_agent(body.get("creator")) or found.author,
                created=date_time(body, "created", where),
            )
        )
    return found


def _choice(node: dict, key: str, choices, where: str, default: str = "") -> str:
    value = text(node, key, where)
    if value and value not in choices.values:
        raise W3CImportError(f"{where}: '{key}' is {value!r}, not one of {choices.values}.")
    return value or default


def _own_fields(node: dict, where: str) -> OwnFields:
    claim_id = OWN_CLAIM_ID.search(node["id"])
    return OwnFields(
        claimant=text(node, "claimant", where, max_length=300),
        claim_date=date(node, "claimDate", where),
        category=_choice(node, "claimCategory", Claim.Category, where, Claim.Category.OTHER),
        state=_choice(node, "reviewState", Claim.State, where, Claim.State.TO_DO),
        sent_back_reason=text(node, "sentBackReason", where),
        verdict_proposed_by=text(node, "verdictProposedBy", where) or None,
        approved_by=text(node, "approvedBy", where) or None,
        approved_at=date_time(node, "approvedAt", where),
        assignee=text(node, "assignee", where) or None,
        created_by=_nickname(node.get("creator")),
        orphaned_at=date_time(node, "orphanedAt", where),
        orphan_reason=text(node, "orphanReason", where, max_length=300),
        last_known_start=offset(node, "lastKnownStart", where) or 0,
        claim_id=int(claim_id.group(1)) if claim_id else None,
    )


def _read_own_bodies(found: Incoming, textual: list[dict], bodies: list[dict], where: str):
    own = found.ours
    tags = []
    for body in textual:
        purposes = _purposes(body)
        if "describing" in purposes and not found.statement:
            found.statement = body["value"]
        elif "classifying" in purposes and not own.verdict:
            own.verdict = body["value"]
        elif "assessing" in purposes and not own.verdict_explanation:
            own.verdict_explanation = body["value"]
        elif "tagging" in purposes:
            tags.append(body["value"])
        elif "commenting" in purposes:
            found.comments.append(
                TextNote(
                    text=body["value"],
                    username=_nickname(body.get("creator")),
                    created=date_time(body, "created", where),
                )
            )
    # The marker our export puts on unapproved work is not one of the claim's tags.
    if own.state != Claim.State.APPROVED and DRAFT_LABEL in tags:
        tags.remove(DRAFT_LABEL)
    found.tags = tags
    for body in bodies:
        if "source" in body and "linking" in _purposes(body):
            own.citations.append(_citation(body, where))


def _citation(body: dict, where: str) -> CitationData:
    url = _address(body["source"]) or ""
    try:
        url = normalize_url(url)
    except ValidationError as error:
        raise W3CImportError(
            f"{where}: the cited source {url!r}: {' '.join(error.messages)}"
        ) from None
    if len(url) > Source._meta.get_field("url").max_length:
        raise W3CImportError(f"{where}: the cited source's address is too long.")
    quote, _ = _text_selectors(body.get("selector"))
    return CitationData(
        url=url,
        relation=_choice(body, "citationRelation", Citation.Relation, where, "supports"),
        quote=quote["exact"] if quote else "",
        locator=text(body, "citationLocator", where, max_length=200),
        note=text(body, "citationNote", where),
        title=text(body, "sourceTitle", where, max_length=500),
        publisher=text(body, "sourcePublisher", where, max_length=300),
        kind=_choice(body, "sourceKind", Source.Kind, where, Source.Kind.OTHER),
        username=_nickname(body.get("creator")),
        created=date_time(body, "created", where),
    )


# --- Anchoring and writing --------------------------------------------------------------------


def _normalised(url) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return normalize_url(url)
    except ValidationError:
        return None


def _short(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _limit(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def provenance(tool: str, label: str) -> str:
    """How a claim's history starts its record of where the claim came from; the start of
    the change reason, which also finds the claim again (``_claim_imported_from``)."""
    return f"Imported from {tool} annotation {label}"


class _Writer:
    def __init__(self, by: User | None, article: Article | None):
        self.by = by
        self.article = article
        self.result = W3CImportResult()
        self.urls = {}
        for pk, url in Article.objects.exclude(url="").values_list("pk", "url"):
            if key := _normalised(url):
                self.urls.setdefault(key, pk)
        self.hashes: dict[str, int | None] = {}
        self.articles: dict[int, Article] = {}
        self.users: dict[str, User | None] = {}
        self.verdicts: dict[str, Verdict] = {}
        self.sources: dict[str, Source] = {}
        self.claims: dict[str, Claim] = {}  # by annotation id, for replies
        self.kept_ids = False
        # Approvals are checked by the JSON import's own rule, so both imports agree.
        self.approvals = ReportImporter({}, by)

    # Finding things

    def article_for(self, target: Target) -> tuple[Article | None, str]:
        if target.source is None:
            if self.article is not None:
                return self.article, ""
            return None, "the target names no document: say which article with --article ID"
        for address in [target.source, *target.alternatives]:
            if match := CONTENT_URN.match(address):
                content_hash = match.group(1).lower()
                if content_hash not in self.hashes:
                    found = Article.objects.filter(content_hash=content_hash)
                    self.hashes[content_hash] = found.values_list("pk", flat=True).first()
                pk = self.hashes[content_hash]
            else:
                pk = self.urls.get(_normalised(address))
            if pk is not None:
                if pk not in self.articles:
                    self.articles[pk] = Article.objects.defer("raw_text").get(pk=pk)
                return self.articles[pk], ""
        return None, f"no article has the address {target.source}"

    def user(self, username: str | None) -> User | None:
        if not username:
            return None
        if username not in self.users:
            self.users[username] = User.objects.filter(username=username).first()
            if self.users[username] is None:
                self.result.unknown_people.add(username)
        return self.users[username]

    def verdict(self, label: str, where: str) -> Verdict | None:
        if not label:
            return None
        if label not in self.verdicts:
            verdict = Verdict.objects.filter(label=label).first()
            if verdict is None:
                raise W3CImportError(
                    f"{where}: the verdict {label!r} is not in this database's vocabulary "
                    "(add it in the admin first)."
                )
            self.verdicts[label] = verdict
        return self.verdicts[label]

    def source(self, cited: CitationData) -> Source:
        if cited.url not in self.sources:
            source = Source(
                url=cited.url,
                title=cited.title or _limit(cited.url, Source._meta.get_field("title").max_length),
                publisher=cited.publisher,
                kind=cited.kind,
                created_by=self.user(cited.username),
            )
            existing = source.find_duplicate()
            if existing is None:
                source._history_user = self.by
                source._change_reason = "Described in an imported annotation"
                source.save()
            self.sources[cited.url] = existing or source
        return self.sources[cited.url]

    # Writing

    def run(self, annotations: list[Incoming]) -> None:
        for annotation in annotations:
            if annotation.reply_to is None:
                self.claim_from(annotation)
        for annotation in annotations:
            if annotation.reply_to is not None:
                self.reply_from(annotation)
        if self.kept_ids:
            # Claims were given the ids their annotations name: move the id sequence past them
            # (what loaddata does; nothing to do where the database tracks it, as SQLite).
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Claim]):
                    cursor.execute(sql)

    def claim_from(self, annotation: Incoming) -> None:
        reasons = []
        for target in annotation.targets:
            if target.whole_page:
                reasons.append("a page note: it annotates the whole page, not a passage")
                continue
            article, why = self.article_for(target)
            if article is None:
                reasons.append(why)
                continue
            if target.exact is None:
                reasons.append("the target has no TextQuoteSelector")
                continue
            if not target.exact.strip():
                reasons.append("the quote is empty")
                continue
            own = annotation.ours
            part = target.part
            if own is not None and own.orphaned_at is not None:
                # An orphan stays one: a reviewer re-attaches it.
                start = own.last_known_start
                selector = anchoring.TextSelector(
                    start,
                    start + len(target.exact),
                    target.exact,
                    target.prefix[-anchoring.CONTEXT_LENGTH :],
                    target.suffix[: anchoring.CONTEXT_LENGTH],
                )
            else:
                part, match = anchor_target(article, target, ours=own is not None)
                if not match.anchored:
                    reasons.append(f"“{_short(target.exact)}” in “{article}”: {match.reason}")
                    continue
                selector = match.selector
                if match.fuzzy:
                    self.result.fuzzy.append(
                        f"{annotation.label}: anchored to “{_short(selector.exact)}”; "
                        f"the annotation quoted “{_short(target.exact)}”"
                    )
            existing = self.existing_claim(article, selector, annotation, part)
            if existing is not None:
                self.claims[annotation.label] = existing
                self.result.already_imported.append(annotation.label)
                return
            self.claims[annotation.label] = self.write_claim(article, selector, annotation, part)
            return
        self.result.unanchored.append(
            Unanchored(annotation.label, "; ".join(reasons) or "no target")
        )

    def existing_claim(self, article, selector, annotation: Incoming, part) -> Claim | None:
        claims = Claim.objects.filter(article=article, part=part, quote=selector.exact)
        if annotation.ours is not None and annotation.ours.orphaned_at is not None:
            claims = claims.filter(orphaned_at__isnull=False)
        else:
            claims = claims.filter(start=selector.start, end=selector.end)
        if annotation.created is not None:
            return claims.filter(created_at=annotation.created).first()
        return claims.filter(statement=annotation.statement).first()

    def write_claim(self, article, selector, annotation: Incoming, part) -> Claim:
        claim = Claim(article=article, statement=annotation.statement, tags=annotation.tags)
        claim.set_span(selector, part)
        if annotation.created is not None:
            claim.created_at = annotation.created
        own = annotation.ours
        if own is None:
            claim.created_by = self.by
        else:
            self.take_own_fields(claim, own, annotation.label)
        note = None
        if claim.state == Claim.State.APPROVED:
            note = self.approvals.check_approval(
                claim, {"citations": own.citations}, annotation.label
            )
        reason = provenance(annotation.tool, annotation.label)
        if annotation.author:
            reason += f" by {annotation.author}"
        claim._history_user = self.by
        claim._change_reason = _limit(reason, REASON_LENGTH)
        claim.save()
        if annotation.modified is not None:
            # The annotation's own last change, not the time of this import.
            Claim.objects.filter(pk=claim.pk).update(updated_at=annotation.modified)
            claim.updated_at = annotation.modified
        for cited in own.citations if own else []:
            citation = Citation(
                claim=claim,
                source=self.source(cited),
                relation=cited.relation,
                quote=cited.quote,
                locator=cited.locator,
                note=cited.note,
                created_by=self.user(cited.username),
            )
            if cited.created is not None:
                citation.created_at = cited.created
            citation._history_user = self.by
            citation.save()
        for comment in annotation.comments:
            if own is None:
                self.add_foreign_comment(claim, comment, annotation.tool)
            else:
                author = self.user(comment.username)
                self.add_comment(claim, comment.text, author=author, created=comment.created)
        if note:
            self.add_comment(claim, note, author=self.by, created=None)
        self.result.created.append(claim)
        return claim

    def take_own_fields(self, claim: Claim, own: OwnFields, label: str) -> None:
        claim.created_by = self.user(own.created_by)
        claim.claimant = own.claimant
        claim.claim_date = own.claim_date
        claim.category = own.category
        claim.state = own.state
        claim.verdict = self.verdict(own.verdict, f"Annotation {label}")
        claim.verdict_explanation = own.verdict_explanation
        claim.verdict_proposed_by = self.user(own.verdict_proposed_by)
        claim.approved_by = self.user(own.approved_by)
        claim.approved_at = own.approved_at
        claim.sent_back_reason = own.sent_back_reason
        claim.assignee = self.user(own.assignee)
        if own.orphaned_at is not None:
            claim.orphan(own.orphan_reason)
            claim.orphaned_at = own.orphaned_at
        if own.claim_id is not None and own.claim_id <= 2**31 - 1:
            # The annotation is our report URL of a claim on this article: where that id is
            # free here, the claim keeps it, and so does every link to the claim.
            same_place = report_url(claim.article_id, own.claim_id) == label
            if same_place and not Claim.objects.filter(pk=own.claim_id).exists():
                claim.pk = own.claim_id
                self.kept_ids = True

    def add_comment(self, claim: Claim, body: str, *, author, created) -> bool:
        """Add a comment unless the claim has it already (same text, same time)."""
        comments = Comment.objects.filter(claim=claim, body=body)
        if created is not None:
            comments = comments.filter(created_at=created)
        if comments.exists():
            return False
        comment = Comment(claim=claim, author=author, body=body)
        if created is not None:
            comment.created_at = created
        comment._history_user = self.by
        comment.save()
        self.result.comments_added += 1
        return True

    def add_foreign_comment(self, claim: Claim, note: TextNote, tool: str) -> bool:
        """A comment written elsewhere, by someone who is never a user here: it says who."""
        body = f"From {tool}, by {note.author}:\n{note.text}" if note.author else note.text
        return self.add_comment(claim, body, author=self.by, created=note.created)

    def reply_from(self, annotation: Incoming) -> None:
        root = annotation.reply_to
        claim = self.claims.get(root) or _claim_imported_from(annotation.tool, root)
        if claim is None:
            why = next(
                (u.reason for u in self.result.unanchored if u.annotation == root),
                "it is not in this file, nor imported before",
            )
            self.result.unanchored.append(
                Unanchored(
                    annotation.label,
                    f"a reply to annotation {root}, which is not anchored: {why}",
                )
            )
            return
        if not annotation.statement:
            return
        note = TextNote(
            text=annotation.statement, author=annotation.author, created=annotation.created
        )
        if not self.add_foreign_comment(claim, note, annotation.tool):
            self.result.already_imported.append(annotation.label)


def _claim_imported_from(tool: str, label: str) -> Claim | None:
    """The claim an earlier import made from annotation ``label``, found by its history."""
    start = provenance(tool, label)
    if len(start) >= REASON_LENGTH:
        return None
    records = Claim.history.filter(history_type="+").filter(
        Q(history_change_reason=start) | Q(history_change_reason__startswith=start + " by ")
    )
    pk = records.order_by("-history_date").values_list("id", flat=True).first()
    return Claim.objects.filter(pk=pk).first() if pk is not None else None


def import_annotations(
    data,
    *,
    user: User | None = None,
    article: Article | None = None,
    strict: bool = False,
) -> W3CImportResult:
    """Import parsed annotations (or their text); see the module doc. One transaction:
    a file refused (``W3CImportError``) writes nothing.

    ``user`` is who imports (the history's user; creator of claims whose annotation names no
    one of ours); ``article`` is where targets that name no document go.
    """
    if isinstance(data, str | bytes):
        data = load(data)
    kind, annotations, linked_pages = read(data, strict=strict)
    with transaction.atomic():
        writer = _Writer(user, article)
        writer.result.format = kind
        for page in linked_pages:
            writer.result.unanchored.append(
                Unanchored(page, "this page is only linked, not in the file; it was not fetched")
            )
        writer.run(annotations)
        writer.result.held_for_review = list(writer.approvals.summary.held_for_review)
        return writer.result
