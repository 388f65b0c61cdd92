"""Archived copies of sources: checking an upload and storing it safely.

The type of a snapshot is read from its content (libmagic), never from its name or the type the
browser claims. A file whose content does not match its name's extension is refused, so an HTML
page renamed ``.png`` never gets in. Files are stored under server-made names (their SHA-256) and
only ever served as downloads (see ``annotations.views.sources.snapshot_download``).

Snapshots are also archived from a source's link (``archive_link``, run as a background job
when a source is cited or from its page): the page as served, fetched by the safe fetcher
(``annotations.fetching``), its extracted text and both SHA-256s, the time, and, when the desk
enables ``FACTCHECK_ARCHIVE_ORG``, the copy the Internet Archive's "save page" made. An HTML
page is also laid out as a PDF (``render_page``: nothing fetched, no scripts), kept beside it.
A page served exactly as an earlier snapshot adds none: that snapshot is marked as still live.

A PDF can carry JavaScript or actions a viewer runs by itself; such snapshots are kept (they are
evidence) but flagged on their source's page (``active_content``).
"""

import hashlib
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import PurePath

import magic
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from annotations import fetching
from annotations.models import Job, Source, SourceSnapshot

logger = logging.getLogger(__name__)

# Content type → the file name extensions that may carry it; the first one names downloads.
ALLOWED_TYPES = {
    "application/pdf": (".pdf",),
    "text/html": (".html", ".htm"),
    "image/png": (".png",),
    "text/plain": (".txt", ".text"),
}
SNIFF_BYTES = 8192

# Names in a PDF that make a viewer run something by itself, and what to tell the reader.
ACTIVE_PDF_NAMES = {
    "JS": "contains JavaScript",
    "JavaScript": "contains JavaScript",
    "OpenAction": "runs an action when opened",
    "AA": "runs actions on page or form events",
    "Launch": "can start another program",
    "Encrypt": "is encrypted, so it could not be checked fully",
}
# A PDF name: a slash and regular characters, any of them written as #xx.
_PDF_NAME = re.compile(rb"/((?:[^\x00\t\n\f\r ()<>\[\]{}/%#]|#[0-9A-Fa-f]{2})+)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
# How much of a PDF's compressed object streams is inflated, in all (a zip bomb stops there).
MAX_INFLATED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class UploadInfo:
    content_type: str
    size: int
    sha256: str
    original_name: str
    active_content: tuple[str, ...] = ()


def detect_content_type(head: bytes) -> str:
    detected = magic.from_buffer(head, mime=True)
    # libmagic guesses at many kinds of text (text/x-c, text/csv…); for us they are plain text.
    # HTML stays HTML: it is the one text type a browser would run.
    if detected.startswith("text/") and detected != "text/html":
        return "text/plain"
    return detected


def inspect_upload(uploaded) -> UploadInfo:
    """Check an uploaded file and describe it, or raise ``ValidationError`` saying why not."""
    limit = settings.FACTCHECK_SNAPSHOT_MAX_BYTES
    size = uploaded.size
    if size > limit:
        raise ValidationError(
            "The file is too large (%(size)s; the limit is %(limit)s).",
            code="too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")

    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    content_type = detect_content_type(head)
    allowed = ", ".join(sorted({exts[0].lstrip(".").upper() for exts in ALLOWED_TYPES.values()}))
    if content_type not in ALLOWED_TYPES:
        raise ValidationError(
            "Snapshots must be %(allowed)s files; this file's content is %(type)s.",
            code="type",
            params={"allowed": allowed, "type": content_type},
        )
    name = PurePath(uploaded.name or "").name
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_TYPES[content_type]:
        raise ValidationError(
            "The file's content is %(type)s but its name ends in “%(ext)s”: "
            "rename it to %(expected)s if that is what it is.",
            code="mismatch",
            params={
                "type": content_type,
                "ext": extension or "(no extension)",
                "expected": " or ".join(ALLOWED_TYPES[content_type]),
            },
        )

    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    sha256 = digest.hexdigest()
    found = ()
    if content_type == "application/pdf":
        found = pdf_active_content(uploaded.read())
        uploaded.seek(0)
        cache.set(_active_content_key(sha256), found, timeout=None)
    return UploadInfo(content_type, size, sha256, name[:255], found)


def _pdf_names(data: bytes) -> set[str]:
    names = set()
    for match in _PDF_NAME.finditer(data):
        raw = match.group(1)
        if b"#" in raw:
            raw = _PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), raw)
        names.add(raw.decode("latin-1"))
    return names


def _split_streams(data: bytes) -> tuple[bytes, list[bytes]]:
    """The PDF's bytes outside its streams (dictionaries, where actions are named), and the
    inflated content of its compressed object streams, where dictionaries can hide too. Other
    streams (images, page content) are left out: their bytes could spell a name by chance."""
    outside, inflated, budget, position = [], [], MAX_INFLATED_BYTES, 0
    for start in _STREAM_START.finditer(data):
        if start.start() < position:
            continue  # inside the stream just skipped
        head = data[position : start.start()]
        outside.append(head)
        end = data.find(b"endstream", start.end())
        end = len(data) if end < 0 else end
        position = end
        window = head[-4096:]
        dictionary = window[window.rfind(b"obj") :] if b"obj" in window else window
        if budget <= 0 or "ObjStm" not in _pdf_names(dictionary):
            continue
        try:
            content = zlib.decompressobj().decompress(data[start.end() : end], budget)
        except zlib.error:
            continue
        budget -= len(content)
        inflated.append(content)
    outside.append(data[position:])
    return b"".join(outside), inflated


def pdf_active_content(data: bytes) -> tuple[str, ...]:
    """What in a PDF a viewer would run by itself (JavaScript, automatic actions), described."""
    outside, object_streams = _split_streams(data)
    names = _pdf_names(outside)
    for content in object_streams:
        names |= _pdf_names(content)
    found = (description for name, description in ACTIVE_PDF_NAMES.items() if name in names)
    return tuple(dict.fromkeys(found))


def _active_content_key(sha256: str) -> str:
    return f"snapshot-active-content:{sha256}"


def active_content(snapshot: SourceSnapshot) -> tuple[str, ...]:
    """``pdf_active_content`` of a stored snapshot; files never change, so it is kept."""
    if snapshot.content_type != "application/pdf":
        return ()
    key = _active_content_key(snapshot.sha256)
    found = cache.get(key)
    if found is None:
        try:
            with snapshot.file.open("rb") as stored:
                data = stored.read()
        except (OSError, ValueError):
            return ()  # the file is gone: its download says so
        found = pdf_active_content(data)
        cache.set(key, found, timeout=None)
    return found


def apply_upload(snapshot: SourceSnapshot, info: UploadInfo) -> None:
    """Copy what ``inspect_upload`` found onto a snapshot that is about to be saved."""
    snapshot.content_type = info.content_type
    snapshot.size = info.size
    snapshot.sha256 = info.sha256
    snapshot.original_name = info.original_name


def store_snapshot(source: Source, uploaded, *, by, taken_at=None) -> SourceSnapshot:
    """Validate and store an uploaded file as a snapshot of ``source``."""
    info = inspect_upload(uploaded)
    existing = source.snapshots.filter(sha256=info.sha256).first()
    if existing:
        raise ValidationError(
            "This exact file is already stored for this source (taken %(taken)s).",
            code="duplicate",
            params={"taken": f"{timezone.localtime(existing.taken_at):%Y-%m-%d %H:%M}"},
        )
    snapshot = SourceSnapshot(source=source, uploaded_by=by, taken_at=taken_at or timezone.now())
    apply_upload(snapshot, info)
    snapshot.file.save(info.sha256, uploaded, save=False)
    snapshot.save()
    return snapshot


def download_name(snapshot: SourceSnapshot) -> str:
    """A safe, server-made file name for downloads: no part of it comes from the uploader."""
    extension = ALLOWED_TYPES.get(snapshot.content_type, (".bin",))[0]
    return f"source-{snapshot.source_id}-snapshot-{snapshot.pk}{extension}"


# What a source's link may serve to be archived: what an upload may be, read by its content too.
ARCHIVED_TYPES = frozenset(ALLOWED_TYPES)


def extract_text(content_type: str, body: bytes, charset: str | None) -> str:
    """The readable text of an archived page: the main text of HTML, plain text as it is."""
    if content_type not in {"text/html", "text/plain"}:
        return ""
    try:
        decoded = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        decoded = body.decode("utf-8", errors="replace")
    if content_type == "text/plain":
        return decoded
    import trafilatura

    return trafilatura.extract(decoded, include_comments=False, favor_recall=True) or ""


def _text_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest() if text else ""


@dataclass(frozen=True)
class Archived:
    snapshot: SourceSnapshot
    created: bool  # False: the live page is still exactly ``snapshot``
    text_changed: bool | None  # against the previous snapshot from the link; None: the first


def mark_text_changes(newest_first) -> None:
    """Set ``text_changed`` on each snapshot archived from the link: whether its text differs
    from the previous such snapshot's (``None`` for the first). Uploads are left out."""
    from_link = [snapshot for snapshot in newest_first if snapshot.fetched_url]
    for snapshot in newest_first:
        snapshot.text_changed = None
    for newer, older in zip(from_link, from_link[1:], strict=False):
        newer.text_changed = newer.text_sha256 != older.text_sha256


def archive_link(source: Source, *, by) -> Archived:
    """Fetch the source's page and keep it as a snapshot, or raise ``fetching.FetchError``."""
    page = fetching.fetch(source.url, allowed_types=ARCHIVED_TYPES, user=by)
    if not page.body:
        raise fetching.FetchError(f"{page.final_url} served an empty page; nothing was archived.")
    detected = detect_content_type(page.body[:SNIFF_BYTES])
    if detected != page.content_type and not (
        # libmagic reads HTML without its doctype as plain text
        page.content_type == "text/html" and detected == "text/plain"
    ):
        raise fetching.FetchError(
            f"{page.final_url} says it is {page.content_type} but its content is {detected}; "
            "nothing was archived."
        )
    sha256 = hashlib.sha256(page.body).hexdigest()
    now = timezone.now()
    same = source.snapshots.filter(sha256=sha256).order_by("-taken_at").first()
    if same:
        SourceSnapshot.objects.filter(pk=same.pk).update(last_seen_at=now)
        same.last_seen_at = now
        return Archived(same, created=False, text_changed=False)
    text = extract_text(page.content_type, page.body, page.charset)
    previous = (
        source.snapshots.exclude(fetched_url="").order_by("-taken_at").only("text_sha256").first()
    )
    snapshot = SourceSnapshot(
        source=source,
        uploaded_by=by,
        taken_at=now,
        last_seen_at=now,
        content_type=page.content_type,
        size=len(page.body),
        sha256=sha256,
        original_name=page.final_url.rsplit("/", 1)[-1][:255],
        fetched_url=page.final_url[:2000],
        text=text,
        text_sha256=_text_hash(text),
    )
    if settings.FACTCHECK_ARCHIVE_ORG:
        snapshot.archive_org_url = save_to_archive_org(page.final_url, by=by)
    snapshot.file.save(sha256, ContentFile(page.body), save=False)
    if page.content_type == "text/html":
        rendering = render_page(page.body, page.charset)
        if rendering:
            snapshot.rendering.save(sha256, ContentFile(rendering), save=False)
    snapshot.save()
    changed = None if previous is None else previous.text_sha256 != snapshot.text_sha256
    return Archived(snapshot, created=True, text_changed=changed)


def render_page(body: bytes, charset: str | None) -> bytes | None:
    """An archived HTML page laid out as a PDF, to read it as it was without a browser; None
    when it could not be (the snapshot is kept without one; the log says why).

    Nothing the page names is fetched — pictures, stylesheets, fonts, frames, ``file:`` or
    loopback URLs — and no script runs (WeasyPrint has no JavaScript): what is laid out is the
    page's own bytes, with its inline styles. In a child process with a time and memory limit,
    since the page comes from anywhere."""
    from annotations.exporters import pdf

    if settings.FACTCHECK_SNAPSHOT_RENDER_TIMEOUT <= 0:
        return None
    try:
        document = body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        document = body.decode("utf-8", errors="replace")
    try:
        return pdf.render_isolated(
            document,
            timeout=settings.FACTCHECK_SNAPSHOT_RENDER_TIMEOUT,
            memory=settings.FACTCHECK_SNAPSHOT_RENDER_MEMORY_MB * 1024 * 1024,
        )
    except pdf.PDFRenderError as error:
        logger.warning("No PDF rendering of an archived page: %s", error)
        return None


def save_to_archive_org(url: str, *, by) -> str:
    """Ask the Internet Archive to save ``url``; the address of its copy, or "" if it could
    not (the local snapshot is kept either way). Only when the desk enables it."""
    try:
        answer = fetching.fetch(settings.FACTCHECK_ARCHIVE_ORG_SAVE_URL + url, user=None)
    except fetching.FetchError:
        return ""
    return answer.final_url[:2000]


def archive_on_citing(source: Source, *, by) -> Job | None:
    """Citing a source with a link and no snapshot yet archives it in the background."""
    from annotations import jobs

    if not source.url.startswith(("http://", "https://")) or source.snapshots.exists():
        return None
    waiting = Job.objects.unfinished().filter(
        kind=Job.Kind.SOURCE_SNAPSHOT, params__source_id=source.pk
    )
    if waiting.exists():
        return None
    return jobs.start(
        owner=by,
        kind=Job.Kind.SOURCE_SNAPSHOT,
        title=f"Archive a snapshot of {source.url}",
        params={"source_id": source.pk},
    )
