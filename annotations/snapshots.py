"""Archived copies of sources: checking an upload and storing it safely.

The type of a snapshot is read from its content (libmagic), never from its name or the type the
browser claims. A file whose content does not match its name's extension is refused, so an HTML
page renamed ``.png`` never gets in. Files are stored under server-made names (their SHA-256) and
only ever served as downloads (see ``annotations.views.sources.snapshot_download``).
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from annotations.models import Source, SourceSnapshot

# Content type → the file name extensions that may carry it; the first one names downloads.
ALLOWED_TYPES = {
    "application/pdf": (".pdf",),
    "text/html": (".html", ".htm"),
    "image/png": (".png",),
    "text/plain": (".txt", ".text"),
}
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class UploadInfo:
    content_type: str
    size: int
    sha256: str
    original_name: str


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
    return UploadInfo(content_type, size, digest.hexdigest(), name[:255])


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
