"""Importing article files (.txt, .md, .html) into the database.

One file is one transaction: it is created, updated, left unchanged, or fails with a one-line
message and writes nothing. The same functions serve the ``import_articles`` command and the
admin's upload form.
"""

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from annotations import anchoring
from annotations.importers.parsing import (
    ParsedArticle,
    ParseError,
    parse_html,
    parse_markdown,
    parse_text,
)
from annotations.models import Article

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


class ImportFailed(Exception):
    """A file cannot be imported; the message is shown to the user as it is."""


@dataclass
class FileOutcome:
    name: str
    status: str  # created, updated, unchanged, changed, failed
    message: str = ""
    article: Article | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def line(self) -> str:
        text = f"{self.status.upper():9} {self.name}"
        if self.message:
            text += f": {self.message}"
        return text


@dataclass
class ImportReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def any_failed(self) -> bool:
        return any(outcome.failed for outcome in self.outcomes)

    def summary(self) -> str:
        counts = self.counts
        return ", ".join(
            f"{counts.get(status, 0)} {status}"
            for status in ("created", "updated", "unchanged", "changed", "failed")
        )


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


def parse(name: str, text: str) -> ParsedArticle:
    extension = Path(name).suffix.lower()
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
    return parsed


def _already_imported(content_hash: str) -> Article | None:
    return Article.objects.filter(content_hash=content_hash).first()


def _find_existing(name: str, parsed: ParsedArticle) -> Article | None:
    """The article this file is a version of: the same canonical URL, or, when neither has a
    URL, the same file name (two different pages both saved as ``article.html`` are not
    versions of each other)."""
    if parsed.url:
        return Article.objects.filter(url=parsed.url).first()
    return Article.objects.filter(source_name=name, url="").first()


def _apply(article: Article, parsed: ParsedArticle, raw_text: str, encoding: str) -> None:
    article.title = parsed.title[:500]
    article.title_inferred = parsed.title_inferred
    article.standfirst = parsed.standfirst
    article.byline = parsed.byline[:300]
    article.publisher = parsed.publisher[:300]
    article.url = parsed.url[:2000]
    article.published_on = parsed.published_on
    article.section = parsed.section[:200]
    article.body = parsed.body
    article.notes = parsed.notes
    article.raw_text = raw_text
    article.raw_encoding = encoding
    article.content_hash = Article.hash_text(raw_text)


def _reanchor_claims(article: Article, new_body: str) -> list:
    """Move every claim onto the new text by its quote, or refuse if any cannot be found."""
    moved, lost = [], []
    for claim in article.claims.all():
        selector = anchoring.locate(
            new_body, claim.quote, claim.prefix, claim.suffix, position_hint=claim.start
        )
        if selector is None:
            lost.append(claim)
            continue
        claim.start, claim.end = selector.start, selector.end
        claim.prefix, claim.suffix = selector.prefix, selector.suffix
        moved.append(claim)
    if lost:
        raise ImportFailed(
            f"the new version drops the quoted text of {len(lost)} claim(s) "
            f"(first: “{lost[0].quote[:60]}”); not updated"
        )
    return moved


def import_document(name: str, data: bytes, *, user=None, update: bool = False) -> FileOutcome:
    """Import one document's bytes. Never raises for bad input: failures are outcomes."""
    try:
        max_bytes = settings.FACTCHECK_IMPORT_MAX_BYTES
        if len(data) > max_bytes:
            raise ImportFailed(
                f"the file is too large ({len(data):,} bytes; the limit is {max_bytes:,})"
            )
        raw_text, encoding, warnings = decode(data)
        parsed = parse(name, raw_text)
        content_hash = Article.hash_text(raw_text)
        with transaction.atomic():
            same = _already_imported(content_hash)
            if same:
                return FileOutcome(name, "unchanged", f"already imported as #{same.pk}", same)
            existing = _find_existing(name, parsed)
            if existing and not update:
                return FileOutcome(
                    name,
                    "changed",
                    f"differs from article #{existing.pk}; left alone (use --update to replace)",
                    existing,
                    warnings,
                )
            if existing:
                # Locked so that no claim is created on the old text while it is replaced.
                existing = Article.objects.select_for_update().get(pk=existing.pk)
                claims = _reanchor_claims(existing, parsed.body)
                _apply(existing, parsed, raw_text, encoding)
                existing.save()
                for claim in claims:
                    claim.version += 1
                    claim.save(update_fields=["start", "end", "prefix", "suffix", "version"])
                return FileOutcome(name, "updated", f"article #{existing.pk}", existing, warnings)
            article = Article(source_name=name, imported_by=user)
            _apply(article, parsed, raw_text, encoding)
            article.save()
            message = f"article #{article.pk}"
            if parsed.title_inferred:
                message += " (title inferred — please check it)"
            return FileOutcome(name, "created", message, article, warnings)
    except ImportFailed as error:
        return FileOutcome(name, "failed", str(error))
    except IntegrityError:
        # Another import stored the same content between our check and our write.
        same = _already_imported(Article.hash_text(raw_text))
        if same:
            return FileOutcome(name, "unchanged", f"already imported as #{same.pk}", same)
        return FileOutcome(name, "failed", "could not be stored (a conflicting import ran)")


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Expand folders (recursively, sorted) into their supported files; keep files as given."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                child
                for child in path.rglob("*")
                if child.is_file() and child.suffix.lower() in SUPPORTED_EXTENSIONS
            )
        else:
            yield path


def import_file(path: Path, *, user=None, update: bool = False) -> FileOutcome:
    name = path.name
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
    outcome = import_document(name, data, user=user, update=update)
    outcome.name = str(path)
    return outcome


def import_paths(
    paths: Iterable[str | os.PathLike],
    *,
    user=None,
    update: bool = False,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    for path in iter_files(paths):
        outcome = import_file(path, user=user, update=update)
        report.outcomes.append(outcome)
        if on_file:
            on_file(outcome)
    return report
