"""Faults and bad input in the article importer: a failure injected part-way through a file
leaves nothing of that file (also after its Article row was written, and in the middle of an
update that moves claims), and a batch of good and bad files keeps the good ones and reports
each bad one with its reason — from the command and from the admin upload."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from simple_history.models import HistoricalRecords

from annotations.importers import import_document, import_paths
from annotations.models import Article, Claim
from tests import security_support as support
from tests.factories import ClaimFactory
from tests.job_support import upload_articles

pytestmark = pytest.mark.django_db

GOOD = b"Harbour news\n\nThe quay reopens in May after repairs costing two million.\n"


def _story(number: int) -> bytes:
    return f"Story {number}\n\nThe ferry leaves at {number} o'clock from the north quay.\n".encode()


def test_failure_after_the_article_row_is_written_leaves_nothing(monkeypatch):
    """The history record is written after the Article INSERT: failing there rolls both back."""

    def explode(*args, **kwargs):
        raise RuntimeError("history store unavailable")

    before = support.table_counts()
    monkeypatch.setattr(HistoricalRecords, "create_historical_record", explode)
    outcome = import_document("story.txt", GOOD)
    monkeypatch.undo()
    assert outcome.failed and "history store unavailable" in outcome.message
    assert support.table_counts() == before
    assert not Article.objects.exists()
    assert not Article.history.exists()


def test_failure_in_the_middle_of_an_update_keeps_the_old_text_and_claims(monkeypatch):
    import_document("story.txt", GOOD)
    article = Article.objects.get()
    for word in ("quay", "May"):
        start = article.body.index(word)
        ClaimFactory(article=article, start=start, end=start + len(word))
    fingerprint = support.db_fingerprint()

    saved = []
    original_save = Claim.save

    def fail_on_second_claim(self, *args, **kwargs):
        saved.append(self.pk)
        if len(saved) == 2:
            raise RuntimeError("disk full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Claim, "save", fail_on_second_claim)
    new_version = (
        b"Harbour news\n\nUpdated: the quay reopens in May after repairs costing two million.\n"
    )
    outcome = import_document("story.txt", new_version, article=article)
    monkeypatch.undo()
    assert outcome.failed and "disk full" in outcome.message
    assert len(saved) == 2  # the article row and the first claim had been written
    assert support.db_fingerprint() == fingerprint
    article.refresh_from_db()
    assert not article.body.startswith("Updated")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"   \n\n  \n", "empty"),
        ("binary.txt", b"GIF89a\x00\x01\x02\x00" * 20, "binary"),
        ("spreadsheet.xlsx", b"PK\x03\x04 not an article", "unsupported file type"),
        ("noext", b"Title\n\nSome text.\n", "unsupported file type"),
        ("empty-page.html", b"<html><body><nav>Menu</nav></body></html>", "no article text"),
    ],
)
def test_batch_keeps_good_files_and_reports_each_bad_one(tmp_path, name, content, reason):
    (tmp_path / "a-good.txt").write_bytes(_story(1))
    (tmp_path / name).write_bytes(content)
    (tmp_path / "z-good.txt").write_bytes(_story(2))
    paths = [tmp_path / "a-good.txt", tmp_path / name, tmp_path / "z-good.txt"]
    report = import_paths(paths)
    statuses = {outcome.name.rsplit("/", 1)[-1]: outcome for outcome in report.outcomes}
    assert statuses["a-good.txt"].status == "created"
    assert statuses["z-good.txt"].status == "created"
    assert statuses[name].failed
    assert reason in statuses[name].message
    assert Article.objects.count() == 2
    assert report.any_failed


def test_oversized_and_undecodable_files_fail_alone(tmp_path, settings):
    settings.FACTCHECK_IMPORT_MAX_BYTES = 200
    (tmp_path / "big.txt").write_bytes(b"Big\n\n" + b"word " * 100)
    # Bytes that are neither UTF-8 nor Windows-1252 (0x81 is undefined there).
    (tmp_path / "garbled.txt").write_bytes(b"Title\n\n\x81\x8d\x8f\x90\x9d text\n")
    (tmp_path / "good.txt").write_bytes(_story(3))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_articles", str(tmp_path), "--no-progress", stdout=out, stderr=err)
    assert exit_.value.code == 1
    output = out.getvalue() + err.getvalue()
    assert "too large" in output
    assert "neither UTF-8 nor Windows-1252" in output
    assert "1 created" in output and "2 failed" in output
    assert list(Article.objects.values_list("title", flat=True)) == ["Story 3"]


def test_admin_upload_keeps_good_files_and_lists_bad_ones_with_reasons(
    client, admin_user, settings
):
    settings.FACTCHECK_RATE_LIMITS = {}
    try:
        url = reverse("admin:annotations_article_upload")
    except Exception:
        pytest.skip("the admin upload has not landed")
    client.force_login(admin_user)
    files = [
        SimpleUploadedFile("one.txt", _story(1)),
        SimpleUploadedFile("empty.txt", b""),
        SimpleUploadedFile("binary.txt", b"\x00\x01\x02" * 50),
        SimpleUploadedFile("notes.docx", b"PK\x03\x04"),
        SimpleUploadedFile("two.txt", _story(2)),
    ]
    page = upload_articles(client, files)
    assert url
    assert Article.objects.count() == 2
    for name, reason in (
        ("empty.txt", "empty"),
        ("binary.txt", "binary"),
        ("notes.docx", "unsupported file type"),
    ):
        assert name in page and reason in page, name
    assert "2 of 5 file(s) processed, 3 failed" in page


def test_reimporting_a_batch_changes_nothing(tmp_path):
    for number in range(3):
        (tmp_path / f"s{number}.txt").write_bytes(_story(number))
    import_paths([tmp_path])
    fingerprint = support.db_fingerprint()
    report = import_paths([tmp_path])
    assert report.counts["unchanged"] == 3
    assert support.db_fingerprint() == fingerprint


@pytest.mark.parametrize("where", [20, 9000], ids=["early", "after-8KB"])
def test_a_nul_byte_anywhere_fails_that_file_alone(tmp_path, where):
    """PostgreSQL cannot store NUL in text: such a file must fail with a message (and the
    batch go on), on every database — not crash the import half-way."""
    data = bytearray(b"Title here\n\n" + b"word " * 2000 + b"\n")
    data[where:where] = b"\x00"
    (tmp_path / "a.txt").write_bytes(bytes(data))
    (tmp_path / "b.txt").write_bytes(_story(4))
    report = import_paths([tmp_path / "a.txt", tmp_path / "b.txt"])
    first, second = report.outcomes
    assert first.failed, first.line()
    assert second.status == "created"
    assert Article.objects.count() == 1


def test_an_unexpected_error_in_one_uploaded_file_fails_it_alone_and_is_logged(
    client, admin_user, settings, monkeypatch, caplog
):
    """Seen with a missing library: the error in the second file must not abort the batch
    after the first was imported; it is that file's FAILED line, with the traceback logged."""
    from annotations import importers

    settings.FACTCHECK_RATE_LIMITS = {}
    real_parse = importers.parse

    def parse(name, text):
        if name == "two.txt":
            raise ImportError("lxml.html.clean module is now a separate project")
        return real_parse(name, text)

    monkeypatch.setattr(importers, "parse", parse)
    client.force_login(admin_user)
    files = [
        SimpleUploadedFile(f"{name}.txt", _story(n))
        for n, name in enumerate(["one", "two", "three"])
    ]
    with caplog.at_level("ERROR", logger="annotations.importers"):
        page = upload_articles(client, files)
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Story 0", "Story 2"]
    assert "two.txt" in page and "unexpected error (ImportError" in page
    assert "2 of 3 file(s) processed, 1 failed" in page
    assert any(record.exc_info for record in caplog.records)
