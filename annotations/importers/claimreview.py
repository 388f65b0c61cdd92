"""Importing fact-checks other organisations published, from their ClaimReview markup.

Three shapes are read, each file on its own:

- a JSON-LD file: one ClaimReview, a list of them, or a graph (``@graph``) holding some;
- a saved fact-check page (``.html``): the ClaimReviews inside its
  ``<script type="application/ld+json">`` blocks, however they nest (a WordPress ``@graph``, a
  ``WebPage`` whose ``mainEntity`` is the review, several reviews in an array);
- a data feed in the shape of the public ClaimReview feeds: a ``DataFeed`` whose
  ``dataFeedElement`` list holds ``DataFeedItem``s with the reviews as their ``item`` (an object
  or a list).

A file that cannot be read (not JSON, a broken JSON-LD block, a JSON file holding no
ClaimReview) is refused whole with one line saying why; a page without ClaimReview is skipped
and counted; a review missing what a fact-check needs (claimReviewed, reviewRating with a
rating in words or a number, url) is listed with the reason, and the others are imported.
Every review is kept once, by its normalised URL (``PublishedReview``): importing it again
updates it when it changed. The writing is one transaction: a failed import changes nothing.
"""

from __future__ import annotations

import datetime
import html
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.importers.jsonload import BadJSON, loads
from annotations.models import PublishedReview, PublishedReviewKey
from annotations.urlnorm import normalize_url

JSON_EXTENSIONS = (".json", ".jsonld")
PAGE_EXTENSIONS = (".html", ".htm")
SUPPORTED_EXTENSIONS = JSON_EXTENSIONS + PAGE_EXTENSIONS
#: Reviews written per batch (one query reads the stored ones of a batch).
BATCH = 500
#: Appearances kept per review, at most.
MAX_APPEARANCES = 50

_SPACE = re.compile(r"\s+")
_LD_JSON_TYPE = re.compile(r"^\s*application/ld\+json\s*(?:;.*)?$", re.IGNORECASE)
# Old pages wrap their JSON-LD in an HTML comment or a CDATA section for old browsers.
_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")


class BadFile(ValueError):
    """A file cannot be read as ClaimReview markup; the message says why in one line."""


@dataclass
class ReviewData:
    """One ClaimReview as read from a file, before it is stored."""

    where: str  # the file and the review's place in it, for messages
    url: str
    claim_reviewed: str
    rating: str
    rating_value: float | None
    best_rating: float | None
    worst_rating: float | None
    organisation: str
    organisation_url: str
    headline: str
    reviewed_on: datetime.date | None
    claimant: str
    claim_date: datetime.date | None
    appearances: list[str]

    def values(self) -> dict:
        return {name: getattr(self, name) for name in PublishedReview.CONTENT_FIELDS}


@dataclass
class Rejected:
    """A review that was not imported, and why."""

    where: str
    reason: str

    def line(self) -> str:
        return f"NOT IMPORTED {self.where}: {self.reason}"


@dataclass
class FileReading:
    """What one file held."""

    name: str
    reviews: list[ReviewData] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    error: str = ""  # the file was refused whole
    no_reviews: bool = False  # a page without ClaimReview: skipped


@dataclass
class ImportResult:
    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: int = 0  # the same URL again in this import: the last reading is kept
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    skipped: list[str] = field(default_factory=list)  # pages without ClaimReview
    rejected: list[Rejected] = field(default_factory=list)
    failed: str = ""  # nothing was written, and why

    def lines(self) -> list[str]:
        lines = [f"REFUSED {name}: {why}" for name, why in self.refused]
        lines += [f"SKIPPED {name}: no ClaimReview in this page" for name in self.skipped]
        lines += [rejected.line() for rejected in self.rejected]
        if self.failed:
            lines.append(f"FAILED: {self.failed}")
        return lines

    def summary(self) -> str:
        if self.failed:
            return f"Nothing imported: {self.failed}"
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged "
            f"from {self.files} file(s)"
        )
        if self.repeated:
            text += f"; {self.repeated} read twice (the last reading kept)"
        if self.skipped:
            text += f"; {len(self.skipped)} page(s) without ClaimReview skipped"
        if self.rejected:
            text += f"; {len(self.rejected)} review(s) not imported (listed)"
        if self.refused:
            text += f"; {len(self.refused)} file(s) refused"
        return text + "."


# --- Reading --------------------------------------------------------------------------------------


def read_file(name: str, data: bytes) -> FileReading:
    """Read one file's reviews (a JSON-LD file or feed, or a saved page, told by its
    extension, else by its first character)."""
    reading = FileReading(name)
    try:
        if not data.strip():
            raise BadFile("the file is empty")
        text = _decode(data)
        extension = os.path.splitext(name)[1].lower()
        is_page = extension in PAGE_EXTENSIONS or (
            extension not in JSON_EXTENSIONS and text.lstrip()[:1] not in {"{", "["}
        )
        if is_page:
            documents = _ld_json_blocks(text)
        else:
            try:
                documents = [loads(text)]
            except BadJSON as error:
                raise BadFile(str(error)) from None
        nodes = [node for document in documents for node in _claim_reviews(document)]
        if not nodes and is_page:
            reading.no_reviews = True
            return reading
        if not nodes:
            raise BadFile("no ClaimReview in this file")
    except BadFile as error:
        reading.error = str(error)
        return reading
    named: dict[str, dict] = {}
    for document in documents:
        _collect_named(document, named)
    for number, node in enumerate(nodes, start=1):
        where = f"{name}, review {number}" if len(nodes) > 1 else name
        try:
            reading.reviews.append(review_data(node, where, named))
        except ValueError as error:
            # Named by what it has, so that the reader finds it in the file.
            hint = _text(node.get("url"), 200) or _text(node.get("claimReviewed"), 80)
            reading.rejected.append(Rejected(f"{where} ({hint})" if hint else where, str(error)))
    return reading


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadFile(f"not UTF-8 text (invalid byte at {error.start})") from None


def _ld_json_blocks(page: str) -> list:
    """The parsed ``application/ld+json`` blocks of a page; a block that is not JSON refuses
    the page (saying which block)."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.fromstring(page.encode("utf-8"))
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        raise BadFile("not an HTML page") from None
    blocks = []
    scripts = [s for s in tree.iter("script") if _LD_JSON_TYPE.match(s.get("type") or "")]
    for number, script in enumerate(scripts, start=1):
        text = _WRAPPER.sub("", script.text or "").strip()
        if not text:
            continue
        try:
            blocks.append(loads(text))
        except BadJSON as error:
            raise BadFile(f"JSON-LD block {number} of {len(scripts)}: {error}") from None
    return blocks


def _type_names(node: dict) -> set[str]:
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    # "ClaimReview", "schema:ClaimReview", "https://schema.org/ClaimReview"
    return {re.split(r"[/:#]", t)[-1] for t in types if isinstance(t, str)}


def _claim_reviews(node) -> Iterator[dict]:
    """Every ClaimReview object in a JSON-LD document, however it nests (arrays, ``@graph``,
    ``mainEntity``, a feed's ``dataFeedElement`` items), in document order."""
    if isinstance(node, list):
        for item in node:
            yield from _claim_reviews(item)
    elif isinstance(node, dict):
        if "ClaimReview" in _type_names(node):
            yield node
            return
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _claim_reviews(value)


def _collect_named(node, named: dict[str, dict]) -> None:
    """Objects with an ``@id`` and a name, so that a reference (``"author": {"@id": …}``, as
    WordPress graphs write it) finds the organisation it points at."""
    if isinstance(node, list):
        for item in node:
            _collect_named(item, named)
    elif isinstance(node, dict):
        if isinstance(node.get("@id"), str) and node.get("name"):
            named.setdefault(node["@id"], node)
        for value in node.values():
            if isinstance(value, dict | list):
                _collect_named(value, named)


def _text(value, limit: int | None = None) -> str:
    """A schema.org text value: a string, a ``{"@value": …}`` object, or the first of a list;
    entities unescaped (WordPress writes ``&#8220;`` into JSON-LD), white space collapsed."""
    if isinstance(value, list):
        value = next((v for v in value if _text(v)), "")
    if isinstance(value, dict):
        value = value.get("@value", "")
    if isinstance(value, bool) or value is None:
        return ""
    text = str(value)
    if "&" in text:
        text = html.unescape(text)
    text = _SPACE.sub(" ", text).strip()
    return text[:limit] if limit else text


def _number(value) -> float | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _date(value) -> datetime.date | None:
    text = _text(value)
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _objects(value) -> list:
    """A value that may be one thing or a list of them, as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _resolve(value, named: dict[str, dict]):
    if isinstance(value, dict) and "name" not in value and value.get("@id") in named:
        return named[value["@id"]]
    return value


def _name(value, limit: int, named: dict[str, dict]) -> str:
    """The names of a person or organisation value (an object, a reference to one, a list,
    or a bare name)."""
    names = []
    for item in (_resolve(v, named) for v in _objects(value)):
        name = _text(item.get("name")) if isinstance(item, dict) else _text(item)
        if name and name not in names:
            names.append(name)
    return ", ".join(names)[:limit]


def _url_of(value) -> str:
    """A normalised http(s) URL from a URL value or an object with ``url`` (or ``@id``)."""
    raw = _text(value.get("url") or value.get("@id")) if isinstance(value, dict) else _text(value)
    try:
        return normalize_url(raw) if raw else ""
    except ValidationError:
        return ""


def review_url(raw: str) -> str:
    """A review's address, normalised (``normalize_url``) but keeping its fragment: a page
    checking several claims gives each review its own ``#fragment``, and each is kept."""
    page, _, fragment = raw.partition("#")
    url = normalize_url(page)
    return f"{url}#{fragment}" if fragment.strip() else url


def _max(field_name: str) -> int:
    return PublishedReview._meta.get_field(field_name).max_length


def review_data(node: dict, where: str, named: dict[str, dict] | None = None) -> ReviewData:
    """One ClaimReview object as ``ReviewData``; ``ValueError`` says what it lacks. ``named``:
    the objects of its document by ``@id``, for references."""
    named = named or {}
    problems = []
    claim_reviewed = _text(node.get("claimReviewed"))
    if not claim_reviewed:
        problems.append("no claimReviewed")
    ratings = [r for r in _objects(node.get("reviewRating")) if isinstance(r, dict)]
    rating = ratings[0] if ratings else {}
    rating_text = _text(rating.get("alternateName") or rating.get("name"), _max("rating"))
    value = _number(rating.get("ratingValue"))
    best, worst = _number(rating.get("bestRating")), _number(rating.get("worstRating"))
    scale = (best, worst) if best is not None and worst is not None else None
    if value is not None and scale and not min(scale) <= value <= max(scale):
        value = None  # e.g. -1, written by some publishers for "no number"
    if not ratings:
        problems.append("no reviewRating")
    elif not rating_text and value is None:
        problems.append("reviewRating has neither a rating in words (alternateName) nor a number")
    raw_url = _text(node.get("url"))
    url = ""
    if not raw_url:
        problems.append("no url")
    else:
        try:
            url = review_url(raw_url)
        except ValidationError:
            problems.append(f"url is not a web address: {raw_url[:200]}")
        if len(url) > _max("url"):
            problems.append("url is longer than 2,000 characters")
    if problems:
        raise ValueError("; ".join(problems))
    author = node.get("author") or node.get("publisher")
    organisations = [_resolve(a, named) for a in _objects(author) if isinstance(a, dict)]
    items = [i for i in _objects(node.get("itemReviewed")) if isinstance(i, dict)]
    claimants = [a for item in items for a in _objects(item.get("author"))]
    claimant = _name(claimants, _max("claimant"), named)
    appearances: list[str] = []
    for item in items:
        for key in ("firstAppearance", "appearance"):
            for appearance in _objects(item.get(key)):
                found = _url_of(appearance)
                if found and found not in appearances and len(found) <= _max("url"):
                    appearances.append(found)
    organisation_url = _url_of(organisations[0]) if organisations else ""
    return ReviewData(
        where=where,
        url=url,
        claim_reviewed=claim_reviewed[:5000],
        rating=rating_text,
        rating_value=value,
        best_rating=best,
        worst_rating=worst,
        organisation=_name(author, _max("organisation"), named),
        organisation_url=organisation_url if len(organisation_url) <= _max("url") else "",
        headline=_text(node.get("headline") or node.get("name"), _max("headline")),
        reviewed_on=_date(node.get("datePublished")),
        claimant=claimant,
        claim_date=next((d for i in items if (d := _date(i.get("datePublished")))), None),
        appearances=appearances[:MAX_APPEARANCES],
    )


def find_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files to read: each file given, and the supported files inside each folder given
    (recursively, hidden ones left out), in name order."""
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            found += sorted(
                path
                for path in given.rglob("*")
                if path.is_file()
                and path.suffix.lower() in SUPPORTED_EXTENSIONS
                and not any(part.startswith(".") for part in path.relative_to(given).parts)
            )
        else:
            found.append(given)
    return found


# --- Storing --------------------------------------------------------------------------------------


def import_readings(
    readings: Iterable[FileReading], *, user=None, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Store what the files held: each review once by URL (created, updated when it changed,
    else unchanged) and filed under its index keys, in one transaction. A URL read twice
    keeps its last reading, as importing the files one after the other would. ``progress`` is
    told how many reviews each batch wrote."""
    result = ImportResult()
    reviews: dict[str, tuple[ReviewData, str]] = {}
    for reading in readings:
        result.files += 1
        if reading.error:
            result.refused.append((reading.name, reading.error))
            continue
        if reading.no_reviews:
            result.skipped.append(reading.name)
        result.rejected += reading.rejected
        for data in reading.reviews:
            if data.url in reviews:
                result.repeated += 1
                del reviews[data.url]  # keeps the order of reading
            reviews[data.url] = (data, reading.name)
    pending = list(reviews.values())
    try:
        with transaction.atomic():
            for start in range(0, len(pending), BATCH):
                batch = pending[start : start + BATCH]
                _store_batch(batch, user, result)
                if progress:
                    progress(len(batch))
    except IntegrityError:
        # Another import stored some of the same URLs meanwhile: this one wrote nothing.
        result.created = result.updated = result.unchanged = 0
        result.failed = "another import stored some of these reviews meanwhile; import again."
    return result


def _store_batch(batch: list[tuple[ReviewData, str]], user, result: ImportResult) -> None:
    stored = {
        review.url: review
        for review in PublishedReview.objects.filter(url__in=[data.url for data, _ in batch])
    }
    new, changed = [], []
    now = timezone.now()
    for data, name in batch:
        values = data.values()
        review = stored.get(data.url)
        if review is None:
            review = PublishedReview(url=data.url, imported_by=user, imported_at=now, **values)
            new.append(review)
        elif any(getattr(review, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(review, key, value)
            review.imported_by, review.updated_at = user, now
            changed.append(review)
        else:
            result.unchanged += 1
            continue
        review.source_name = name[: _max("source_name")]
        review.read_figures()
    PublishedReview.objects.bulk_create(new)
    PublishedReview.objects.bulk_update(
        changed,
        [*PublishedReview.CONTENT_FIELDS, "figures", "source_name", "imported_by", "updated_at"],
    )
    PublishedReviewKey.file(new + changed, created=new)
    result.created += len(new)
    result.updated += len(changed)


def import_files(files: Iterable[tuple[str, bytes]], *, user=None, progress=None) -> ImportResult:
    """Read and store files given as (name, bytes): the admin's upload."""
    return import_readings(
        (read_file(name, data) for name, data in files), user=user, progress=progress
    )
