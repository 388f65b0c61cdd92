"""Annotations as the importer reads them, whatever tool wrote the file.

``annotations.importers.w3c`` (W3C Web Annotations, ours included), ``.hypothesis`` (its API
search results and its client's export) and ``.recogito`` (@recogito/text-annotator's own JSON)
each turn their shape into ``Incoming`` annotations; ``w3c.import_annotations`` anchors and
writes them. A reader checks the structure as it goes and raises ``W3CImportError`` (one line
saying where and why) for anything malformed, before anything is written.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


class W3CImportError(Exception):
    """The input cannot be read as annotations; nothing was imported."""


@dataclass
class Target:
    """One target of an annotation: the document it names and the passage in it."""

    # The document's address as the annotation gives it; None when it names none (Recogito
    # leaves it out: the caller says which article with --article).
    source: str | None
    # Other addresses of the same document (Hypothesis's ``uri``, ``document.link`` hrefs).
    alternatives: list[str] = field(default_factory=list)
    exact: str | None = None  # TextQuoteSelector
    prefix: str = ""
    suffix: str = ""
    position: int | None = None  # TextPositionSelector start, a hint only
    whole_page: bool = False  # no selector at all: a page note
    # Which of the article's texts the selectors are in (``Article.Part``): our own export
    # says so for a headline or standfirst claim (``articlePart``); anything else is the body.
    part: str = "body"


@dataclass
class TextNote:
    """A comment that comes with an annotation (a reply, a further body), and who wrote it."""

    text: str
    author: str = ""  # as the tool names them, for people to read
    username: str | None = None  # one of our users (our own export only)
    created: datetime.datetime | None = None


@dataclass
class CitationData:
    """A cited source, from our own export's extension (docs/w3c-extension.md)."""

    url: str
    relation: str
    quote: str = ""
    locator: str = ""
    note: str = ""
    title: str = ""
    publisher: str = ""
    kind: str = ""
    username: str | None = None
    created: datetime.datetime | None = None


@dataclass
class OwnFields:
    """What our own W3C export says beyond W3C terms (docs/w3c-extension.md)."""

    claimant: str = ""
    claim_date: datetime.date | None = None
    category: str = ""
    state: str = ""
    verdict: str = ""  # label
    verdict_explanation: str = ""
    verdict_proposed_by: str | None = None
    approved_by: str | None = None
    approved_at: datetime.datetime | None = None
    sent_back_reason: str = ""
    assignee: str | None = None
    created_by: str | None = None
    orphaned_at: datetime.datetime | None = None
    orphan_reason: str = ""
    last_known_start: int = 0
    claim_id: int | None = None  # from the annotation's IRI, our report URL of the claim
    citations: list[CitationData] = field(default_factory=list)


@dataclass
class Incoming:
    label: str  # the annotation's id as written, for messages
    tool: str  # "Hypothesis", "Recogito", "W3C": says in history where a claim came from
    targets: list[Target]
    statement: str = ""
    tags: list[str] = field(default_factory=list)
    author: str = ""  # who wrote it, as the tool names them (never made a user here)
    created: datetime.datetime | None = None
    modified: datetime.datetime | None = None
    comments: list[TextNote] = field(default_factory=list)
    reply_to: str | None = None  # a Hypothesis reply: the id of the annotation it answers
    ours: OwnFields | None = None


# --- Checking values as the readers go --------------------------------------------------------


def fail(where: str, message: str):
    raise W3CImportError(f"{where}: {message}")


def text(node: dict, key: str, where: str, *, max_length: int | None = None) -> str:
    """An optional string member (empty when absent or null)."""
    value = node.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        fail(where, f"'{key}' must be a string.")
    if max_length is not None and len(value) > max_length:
        fail(where, f"'{key}' is longer than {max_length} characters.")
    return value


def strings(node: dict, key: str, where: str) -> list[str]:
    """An optional list of strings (empty when absent or null)."""
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        fail(where, f"'{key}' must be a list of strings.")
    return value


def objects(value, where: str, name: str) -> list[dict]:
    """A list of objects (one object is read as a list of one)."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, dict) for item in items):
        fail(where, f"each of '{name}' must be a JSON object.")
    return items


def date_time(node: dict, key: str, where: str) -> datetime.datetime | None:
    value = node.get(key)
    if value is None:
        return None
    parsed = None
    if isinstance(value, str) and "T" in value:
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    if parsed is None:
        fail(where, f"'{key}' must be a date and time such as 2024-03-12T09:30:00Z.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, datetime.UTC)


def date(node: dict, key: str, where: str) -> datetime.date | None:
    value = node.get(key)
    if value is None:
        return None
    try:
        parsed = parse_date(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        fail(where, f"'{key}' must be a date such as 2024-03-12.")
    return parsed


def offset(node: dict, key: str, where: str) -> int | None:
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        fail(where, f"'{key}' must be a whole number ≥ 0.")
    return value


def unique_tags(values: list[str]) -> list[str]:
    """Tags as given, stripped, without empties or repeats, in their order."""
    seen: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in seen:
            seen.append(value)
    return seen
