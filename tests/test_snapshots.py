"""Snapshot uploads: type read from content, size limit, server-made names, download-only."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.models import SourceSnapshot
from tests.factories import SourceFactory

HTML = b"<!DOCTYPE html><html><head><title>x</title></head><body><script>1</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = b"Passenger journeys: 12.4 million in the year to March.\n"


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def upload(client, source, name, data):
    return client.post(
        reverse("annotations:snapshot-create", args=[source.pk]),
        {"file": SimpleUploadedFile(name, data, content_type="image/png")},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("report.pdf", PDF, "application/pdf"),
        ("page.html", HTML, "text/html"),
        ("chart.png", png_bytes(), "image/png"),
        ("notes.txt", TEXT, "text/plain"),
    ],
)
def test_allowed_snapshot_is_stored_with_hash_size_type_and_server_made_name(
    client, reviewer, name, data, content_type
):
    import hashlib

    source = SourceFactory()
    client.force_login(reviewer)
    response = upload(client, source, name, data)
    assert response.status_code == 302
    snapshot = SourceSnapshot.objects.get(source=source)
    assert snapshot.content_type == content_type  # from the content, not the browser's type
    assert snapshot.size == len(data)
    assert snapshot.sha256 == hashlib.sha256(data).hexdigest()
    assert snapshot.original_name == name
    assert snapshot.uploaded_by == reviewer
    assert snapshot.taken_at is not None
    assert snapshot.file.name.endswith(snapshot.sha256)
    assert name not in snapshot.file.name


@pytest.mark.django_db
def test_html_renamed_png_is_refused_with_the_reason(client, reviewer):
    source = SourceFactory()
    client.force_login(reviewer)
    response = upload(client, source, "innocent.png", HTML)
    assert response.status_code == 200
    page = response.content.decode()
    assert "content is text/html but its name ends in “.png”" in page
    assert not SourceSnapshot.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("photo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
        ("empty.txt", b""),
    ],
)
def test_other_types_and_empty_files_are_refused(client, reviewer, name, data):
    source = SourceFactory()
    client.force_login(reviewer)
    response = upload(client, source, name, data)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not SourceSnapshot.objects.exists()


@pytest.mark.django_db
def test_oversized_snapshot_is_refused(client, reviewer, settings):
    settings.FACTCHECK_SNAPSHOT_MAX_BYTES = 1000
    source = SourceFactory()
    client.force_login(reviewer)
    response = upload(client, source, "big.txt", b"a line of text\n" * 100)
    assert "The file is too large (1.5\xa0KB; the limit is 1000\xa0bytes)" in (
        response.content.decode()
    )
    assert not SourceSnapshot.objects.exists()


@pytest.mark.django_db
def test_the_same_file_twice_is_refused(client, reviewer):
    source = SourceFactory()
    client.force_login(reviewer)
    upload(client, source, "notes.txt", TEXT)
    response = upload(client, source, "copy.txt", TEXT)
    assert "This exact file is already stored for this source" in response.content.decode()
    assert SourceSnapshot.objects.count() == 1


@pytest.fixture
def html_snapshot(client, reviewer):
    source = SourceFactory()
    client.force_login(reviewer)
    upload(client, source, "page.html", HTML)
    client.logout()
    return SourceSnapshot.objects.get()


@pytest.mark.django_db
def test_snapshot_download_is_an_attachment_with_nosniff(client, reviewer, html_snapshot):
    client.force_login(reviewer)
    response = client.get(reverse("annotations:snapshot-download", args=[html_snapshot.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="source-{html_snapshot.source_id}-snapshot-{html_snapshot.pk}.html"' in (
        disposition
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/html"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == HTML


@pytest.mark.django_db
def test_snapshot_download_needs_sign_in(client, html_snapshot):
    response = client.get(reverse("annotations:snapshot-download", args=[html_snapshot.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_missing_snapshot_file_is_404(client, reviewer, html_snapshot):
    html_snapshot.file.delete(save=False)
    client.force_login(reviewer)
    response = client.get(reverse("annotations:snapshot-download", args=[html_snapshot.pk]))
    assert response.status_code == 404
