"""Importing article files (.txt, .md, .html) into the database.

One file is one transaction: it is created, updated, left unchanged, or fails with a one-line
message and writes nothing. The same functions serve the ``import_articles`` command and the
admin's upload form.
"""

import contextlib
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotations.importers.parsing import (
    ParsedArticle,
    ParseError,
    parse_html,
    parse_markdown,
    parse_text,
)
from annotations.models import Article, Claim, Publisher
from annotations.urlnorm import normalize_url

logger = logging.getLogger(__name__)

PARSERS: dict[str, Callable[[str], ParsedArticle]] = {
    ".txt": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
}
SUPPORTED_EXTENSIONS = tuple(PARSERS)

# Tried in order. UTF-8 (with or without a byte-order mark) is what almost every saved page
# is; Windows-1252 is what the rest usually is, and is reported as a warning because a wrong
# guess shows up as odd punctuation that a reviewer should check.
FALLBACK_ENCODING = "cp1252"

# Files in a folder that are about the folder, not articles: README.md, LICENSE, CHANGELOG...
NOT_ARTICLES_RE = re.compile(
    r"(?:read[-_ ]?me|licen[cs]e|copying|change[-_ ]?log|changes|contributing|authors|"
    r"code[-_]of[-_]conduct|security|notice|todo)(?:\.[^.]*)?",
    re.IGNORECASE,
)


class ImportFailed(Exception):
    """A file cannot be imported; the message is shown to the user as it is."""


@dataclass
class FileOutcome:
    name: str
    status: str  # created, updated, unchanged, changed, failed
    message: str = ""
    article: Article | None = None
    warnings: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # lines left out as site furniture
    orphaned: list[Claim] = field(default_factory=list)  # claims whose quote was not found

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def line(self) -> str:
        text = f"{self.status.upper():9} {self.name}"
        if self.message:
            text += f": {self.message}"
        return text


@dataclass(frozen=True)
class Skipped:
    path: str
    why: str

    def line(self) -> str:
        return f"SKIPPED   {self.path}: {self.why}"


@dataclass
class ImportReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def any_failed(self) -> bool:
        return any(outcome.failed for outcome in self.outcomes)

    def summary(self) -> str:
        counts = self.counts
        text = ", ".join(
            f"{counts.get(status, 0)} {status}"
            for status in ("created", "updated", "unchanged", "changed", "failed")
        )
        if self.skipped:
            text += f"; {len(self.skipped)} skipped (not articles: README-style or hidden files)"
        return text


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Return (text, encoding, warnings) for a file's bytes, or raise ``ImportFailed``."""
    if not data.strip():
        raise ImportFailed("the file is empty")
    if b"\x00" in data:
        raise ImportFailed("this looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError as error:
        utf8_error = error
    try:
        text = data.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError:
        raise ImportFailed(
            f"the bytes are neither UTF-8 nor Windows-1252 (invalid byte at {utf8_error.start})"
        ) from None
    return (
        text,
        FALLBACK_ENCODING,
        [
            f"not valid UTF-8 (byte {utf8_error.start}); read as Windows-1252 — "
            "check the punctuation"
        ],
    )


def parse(name: str, text: str, *, extension: str | None = None) -> ParsedArticle:
    extension = extension or Path(name).suffix.lower()
    parser = PARSERS.get(extension)
    if parser is None:
        raise ImportFailed(
            f"unsupported file type {extension or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    try:
        parsed = parser(text)
    except ParseError as error:
        raise ImportFailed(str(error)) from None
    if not parsed.body.strip():
        raise ImportFailed("no article text found")
    if parsed.url:
        # Spelled as the article page and the source library spell URLs, so that a page is
        # found again whichever way its address was written.
        with contextlib.suppress(ValidationError):
            parsed.url = normalize_url(parsed.url)
    return parsed


def canonical_link(html: str) -> str:
    """The address a page names as its own (``<link rel="canonical">``, else ``og:url``),
    possibly relative; "" when it names none."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for link in tree.iterfind(".//link[@rel][@href]"):
        if "canonical" in link.get("rel", "").lower().split():
            return link.get("href", "").strip()
    for meta in tree.iterfind(".//meta[@property='og:url'][@content]"):
        return meta.get("content", "").strip()
    return ""


def _already_imported(content_hash: str) -> Article | None:
    return Article.objects.filter(content_hash=content_hash).first()


def _apply(article: Article, parsed: ParsedArticle, raw_text: str, encoding: str) -> None:
    article.title = parsed.title[:500]
    article.title_inferred = parsed.title_inferred
    article.standfirst = parsed.standfirst
    article.byline = parsed.byline[:300]
    article.publisher = Publisher.objects.named(parsed.publisher)
    article.url = parsed.url[:2000]
    article.published_on = parsed.published_on
    article.section = parsed.section[:200]
    article.body = parsed.body
    article.notes = parsed.notes
    article.removed_lines = parsed.removed
    article.raw_text = raw_text
    article.raw_encoding = encoding
    article.content_hash = Article.hash_text(raw_text)


def _replace_text(
    name: str, article: Article, parsed: ParsedArticle, raw_text: str, encoding: str, *, user
) -> FileOutcome:
    # Locked so that no claim is created on the old text while it is replaced.
    article = Article.objects.select_for_update().get(pk=article.pk)
    _apply(article, parsed, raw_text, encoding)
    article.save()
    # Every part may have changed: the headline's, the standfirst's and the body's claims are
    # found again in their own text.
    moved, orphaned = Claim.objects.reanchor(article, by=user)
    message = f"article #{article.pk}"
    if moved or orphaned:
        message += f"; {len(moved)} claim(s) found in the new text"
    if orphaned:
        message += (
            f", {len(orphaned)} orphaned (their quote is not in the new text; "
            "they are listed under “Orphaned claims” in the reader)"
        )
    warnings = [
        f"claim #{claim.pk} orphaned: “{claim.quote[:60]}” — {claim.orphan_reason}"
        for claim in orphaned
    ]
    return FileOutcome(
        name, "updated", message, article, warnings, removed=parsed.removed, orphaned=orphaned
    )


def import_document(
    name: str,
    data: bytes,
    *,
    user=None,
    update: bool = False,
    article: Article | None = None,
    fetched_url: str = "",
) -> FileOutcome:
    """Import one document's bytes. Never raises: failures are outcomes.

    An article is known by its canonical URL when the page gives one, else by its content:
    ``name`` (the file's path relative to the folder imported) is kept as provenance only,
    never used to decide which article a file is. A file replaces an article's text only
    with ``update`` and only when it names that article: by the same URL, or as ``article``.
    """
    try:
        return _import_document(
            name, data, user=user, update=update, article=article, fetched_url=fetched_url
        )
    except Exception as error:
        # One file's unexpected failure (a missing library, a parser bug) must not abort a
        # batch whose other files are fine: it is that file's FAILED line, and the log has the
        # traceback.
        logger.exception("Importing %s failed unexpectedly", name)
        return FileOutcome(
            name,
            "failed",
            f"unexpected error ({type(error).__name__}: {error}); nothing was written for "
            "this file and the server log has the details",
        )


# Host prefixes under which one site serves the same article (desktop, mobile, AMP).
SAME_SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def same_site(url: str, other: str) -> bool:
    """Whether two http(s) addresses are on one site: the same host, but for a www., m.,
    amp. or mobile. prefix."""

    def site(address: str) -> str:
        host = (urlsplit(address).hostname or "").rstrip(".")
        for prefix in SAME_SITE_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                return host.removeprefix(prefix)
        return host

    return bool(site(url)) and site(url) == site(other)


def _import_document(
    name: str, data: bytes, *, user, update: bool, article: Article | None, fetched_url: str = ""
) -> FileOutcome:
    try:
        max_bytes = settings.FACTCHECK_IMPORT_MAX_BYTES
        if len(data) > max_bytes:
            raise ImportFailed(
                f"the file is too large ({len(data):,} bytes; the limit is {max_bytes:,})"
            )
        raw_text, encoding, warnings = decode(data)
        if fetched_url:
            # A page fetched from a link is HTML whatever its address ends with; it is known by
            # the canonical URL it names (relative ones read against where it was found) when
            # that is on the same site, else by the address it was found at.
            parsed = parse(name, raw_text, extension=".html")
            canonical = canonical_link(raw_text) or parsed.url
            url = urljoin(fetched_url, canonical) if canonical else fetched_url
            if not same_site(url, fetched_url):
                # Any page may name any address: taken as its own, it would put another
                # outlet's name on this text and squat that outlet's article.
                warnings.append(
                    f"the page names another site's address as its canonical URL ({url}); "
                    "it is known by the address it was fetched from"
                )
                url = fetched_url
            with contextlib.suppress(ValidationError):
                url = normalize_url(url)
            parsed.url = url
        else:
            parsed = parse(name, raw_text)
        content_hash = Article.hash_text(raw_text)
        with transaction.atomic():
            same = _already_imported(content_hash)
            if same:
                return FileOutcome(
                    name, "unchanged", f"already imported as #{same.pk}", same, warnings
                )
            if article is not None:
                outcome = _replace_text(name, article, parsed, raw_text, encoding, user=user)
                outcome.warnings[:0] = warnings
                return outcome
            existing = Article.objects.filter(url=parsed.url).first() if parsed.url else None
            if existing and not update:
                return FileOutcome(
                    name,
                    "changed",
                    f"a new version of article #{existing.pk} (same URL); left alone "
                    "(use --update to replace its text)",
                    existing,
                    warnings,
                    removed=parsed.removed,
                )
            if existing:
                outcome = _replace_text(name, existing, parsed, raw_text, encoding, user=user)
                outcome.warnings[:0] = warnings
                return outcome
            created = Article(
                source_name=name[:500], imported_by=user, fetched_url=fetched_url[:2000]
            )
            _apply(created, parsed, raw_text, encoding)
            created.save()
            message = f"article #{created.pk}"
            if parsed.title_inferred:
                message += " (title inferred — please check it)"
            namesake = (
                Article.objects.filter(source_name=created.source_name, url="")
                .exclude(pk=created.pk)
                .order_by("pk")
                .first()
            )
            if namesake:
                # Two different texts from the same path: most likely a new version, but only
                # the user can say so.
                warnings.append(
                    f"article #{namesake.pk} was imported from the same path with other text; "
                    f"if this is a new version of it, import it with --update --article "
                    f"{namesake.pk} instead"
                )
            return FileOutcome(name, "created", message, created, warnings, parsed.removed)
    except ImportFailed as error:
        return FileOutcome(name, "failed", str(error))
    except IntegrityError:
        # Another import stored the same content between our check and our write.
        same = _already_imported(Article.hash_text(raw_text))
        if same:
            return FileOutcome(name, "unchanged", f"already imported as #{same.pk}", same)
        return FileOutcome(name, "failed", "could not be stored (a conflicting import ran)")


@dataclass(frozen=True)
class FoundFile:
    path: Path
    label: str  # the path relative to the folder given, or the file as given


def _hidden(parts: Iterable[str]) -> bool:
    return any(part.startswith(".") for part in parts)


def find_files(paths: Iterable[str | os.PathLike]) -> tuple[list[FoundFile], list[Skipped]]:
    """Expand folders (recursively, sorted) into their article files; keep files as given.

    In a folder, hidden files and folders and files about the folder (README, LICENSE,
    CHANGELOG and the like) are skipped and listed, as are files of other types. A file named
    on its own is always tried.
    """
    found: list[FoundFile] = []
    skipped: list[Skipped] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            found.append(FoundFile(path, path.name))
            continue
        for child in sorted(path.rglob("*")):
            if not child.is_file():
                continue
            relative = child.relative_to(path)
            label = str(Path(path.name) / relative)
            if _hidden(relative.parts):
                skipped.append(Skipped(str(child), "hidden file"))
            elif NOT_ARTICLES_RE.fullmatch(child.name):
                skipped.append(Skipped(str(child), "README/LICENSE-style file, not an article"))
            elif child.suffix.lower() in SUPPORTED_EXTENSIONS:
                found.append(FoundFile(child, label))
    return found, skipped


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """The article files ``find_files`` finds, as paths."""
    for found in find_files(paths)[0]:
        yield found.path


def import_file(
    path: Path, *, user=None, update: bool = False, label: str | None = None, article=None
) -> FileOutcome:
    try:
        if not path.exists():
            raise ImportFailed("no such file")
        if not path.is_file():
            raise ImportFailed("not a regular file")
        size = path.stat().st_size
        max_bytes = settings.FACTCHECK_IMPORT_MAX_BYTES
        if size > max_bytes:
            # Refused before reading, so a huge file costs nothing.
            raise ImportFailed(
                f"the file is too large ({size:,} bytes; the limit is {max_bytes:,})"
            )
        if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            raise ImportFailed(
                f"unsupported file type {path.suffix or '(none)'!r}; "
                f"use one of {', '.join(SUPPORTED_EXTENSIONS)}"
            )
        data = path.read_bytes()
    except ImportFailed as error:
        return FileOutcome(str(path), "failed", str(error))
    except OSError as error:
        return FileOutcome(str(path), "failed", f"cannot read the file ({error.strerror})")
    outcome = import_document(label or path.name, data, user=user, update=update, article=article)
    outcome.name = str(path)
    return outcome


def import_paths(
    paths: Iterable[str | os.PathLike],
    *,
    user=None,
    update: bool = False,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> ImportReport:
    """Import files and folders of them (see ``find_files``)."""
    found, skipped = find_files(paths)
    return import_found(found, skipped, user=user, update=update, on_file=on_file)


def import_found(
    found: list[FoundFile],
    skipped: list[Skipped],
    *,
    user=None,
    update: bool = False,
    article: Article | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> ImportReport:
    """Import what ``find_files`` found. ``article``: the one file is a new version of it."""
    report = ImportReport(skipped=skipped)
    for item in found:
        outcome = import_file(
            item.path, user=user, update=update, label=item.label, article=article
        )
        report.outcomes.append(outcome)
        if on_file:
            on_file(outcome)
    return report
