"""Sources archived from their link: on citing, or with the button on the source's page; the
snapshots over time, and whether the live page changed."""

import hashlib
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from annotations import snapshots
from annotations.models import Job, SourceSnapshot
from tests.factories import ClaimFactory, SourceFactory
from tests.job_support import run_worker
from tests.web_server import Page, serve

REPORT = (
    b"<html><head><title>Ferry statistics 2025</title></head><body><main>"
    b"<h1>Ferry statistics 2025</h1><p>The harbour ferry carried 1,204,311 passengers in "
    b"2025, up from 1,150,020 in 2024, according to the port authority's count.</p>"
    b"<p>Average occupancy was 61 per cent across 14,200 sailings.</p></main></body></html>"
)
REVISED = REPORT.replace(b"1,204,311", b"1,198,870")


@pytest.fixture
def archive(client, django_capture_on_commit_callbacks):
    def press_the_button(source):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("annotations:source-archive", args=[source.pk]))
        assert response.status_code == 302
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
        return Job.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])

    return press_the_button


def test_the_button_archives_the_page_as_served_with_its_text_and_hash(
    client, reviewer, archive, loopback_allowed
):
    with serve({"/stats": Page(REPORT, headers={"Content-Type": "text/html"})}) as server:
        loopback_allowed(server)
        source = SourceFactory(url=server.url("/stats"))
        client.force_login(reviewer)
        job = archive(source)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.message == "Archived the first snapshot of this page."
    snapshot = SourceSnapshot.objects.get(source=source)
    assert snapshot.file.read() == REPORT
    assert snapshot.sha256 == hashlib.sha256(REPORT).hexdigest()
    assert snapshot.content_type == "text/html"
    assert snapshot.fetched_url == server.url("/stats")
    assert "1,204,311 passengers" in snapshot.text
    assert snapshot.uploaded_by == reviewer
    html = client.get(reverse("annotations:source-detail", args=[source.pk])).content.decode()
    assert "First copy of the page." in html
    assert "Archive the live page now" in html


def test_the_page_over_time_unchanged_then_changed(client, reviewer, archive, loopback_allowed):
    served = {"/stats": Page(REPORT)}
    with serve(served) as server:
        loopback_allowed(server)
        source = SourceFactory(url=server.url("/stats"))
        client.force_login(reviewer)
        archive(source)
        again = archive(source)
        served["/stats"] = Page(REVISED)
        changed = archive(source)
    assert again.message.startswith("The live page is unchanged since the snapshot of")
    assert changed.message == (
        "Archived a new snapshot: the page's text changed since the previous one."
    )
    first, latest = SourceSnapshot.objects.filter(source=source).order_by("taken_at")
    assert first.last_seen_at > first.taken_at  # the second visit found it unchanged
    assert "1,198,870" in latest.text
    html = client.get(reverse("annotations:source-detail", args=[source.pk])).content.decode()
    assert "The page's text changed</strong> since the previous copy." in html
    assert "Still served as of" in html


def test_a_page_that_cannot_be_archived_says_why_and_keeps_nothing(
    client, reviewer, archive, loopback_allowed
):
    page = Page(b"GIF89a...", headers={"Content-Type": "image/gif"})
    with serve({"/chart.gif": page}) as server:
        loopback_allowed(server)
        source = SourceFactory(url=server.url("/chart.gif"))
        client.force_login(reviewer)
        job = archive(source)
    assert job.status == Job.Status.FAILED
    assert "is image/gif, not" in job.message
    assert not SourceSnapshot.objects.exists()


def test_a_type_the_content_belies_is_refused(client, reviewer, archive, loopback_allowed):
    page = Page(b"%PDF-1.4\n%fake", headers={"Content-Type": "image/png"})
    with serve({"/x.png": page}) as server:
        loopback_allowed(server)
        source = SourceFactory(url=server.url("/x.png"))
        client.force_login(reviewer)
        job = archive(source)
    assert job.status == Job.Status.FAILED
    assert "says it is image/png but its content is application/pdf" in job.message


def test_citing_a_source_archives_it_once(
    client, reviewer, loopback_allowed, django_capture_on_commit_callbacks
):
    claim = ClaimFactory()
    with serve({"/stats": Page(REPORT)}) as server:
        loopback_allowed(server)
        client.force_login(reviewer)
        address = reverse(
            "annotations:citation-create",
            kwargs={"article_pk": claim.article_id, "pk": claim.pk},
        )
        data = {
            "version": 1,
            "new_title": "Ferry statistics 2025",
            "new_url": server.url("/stats"),
            "relation": "supports",
        }
        panel = {"HX-Request": "true", "HX-Target": "claim-panel"}
        with django_capture_on_commit_callbacks(execute=True):
            html = client.post(address, data, headers=panel).content.decode()
        assert "Its page is being archived" in html
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
        snapshot = SourceSnapshot.objects.get()
        # Citing it again (from another claim) does not archive it again.
        other = ClaimFactory()
        address = reverse(
            "annotations:citation-create",
            kwargs={"article_pk": other.article_id, "pk": other.pk},
        )
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                address,
                {"version": 1, "source": snapshot.source_id, "relation": "supports"},
                headers=panel,
            )
    assert Job.objects.filter(kind=Job.Kind.SOURCE_SNAPSHOT).count() == 1
    assert "1,204,311" in snapshot.text


def test_archive_org_is_asked_only_when_the_desk_enables_it(
    client, reviewer, archive, loopback_allowed, settings
):
    pages = {
        "/stats": Page(REPORT),
        "/web/20261207/stats": Page(REPORT),
    }

    def save_page(handler):
        # A stand-in for the Internet Archive's "save page": it redirects to its copy.
        return Page(status=302, headers={"Location": "/web/20261207/stats"})

    with serve(pages) as server:
        loopback_allowed(server)
        pages[f"/save/{server.url('/stats')}"] = save_page
        source = SourceFactory(url=server.url("/stats"))
        client.force_login(reviewer)
        settings.FACTCHECK_ARCHIVE_ORG_SAVE_URL = server.url("/save/")
        archive(source)
        assert SourceSnapshot.objects.get().archive_org_url == ""
        assert len(server.received) == 1
        settings.FACTCHECK_ARCHIVE_ORG = True
        pages["/stats"] = Page(REVISED)
        archive(source)
    newest = SourceSnapshot.objects.order_by("-taken_at").first()
    assert newest.archive_org_url == server.url("/web/20261207/stats")


def test_the_source_page_shows_the_archived_text_escaped(client, reviewer):
    source = SourceFactory()
    SourceSnapshot.objects.create(
        source=source,
        file="snapshots/x",
        content_type="text/html",
        size=10,
        sha256="0" * 64,
        fetched_url="https://stats.example/x",
        text="<script>alert(1)</script> 12 ferries",
        text_sha256="1" * 64,
    )
    client.force_login(reviewer)
    html = client.get(reverse("annotations:source-detail", args=[source.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 12 ferries" in html


def test_mark_text_changes_compares_each_link_snapshot_with_the_one_before():
    def snap(text_hash, fetched="https://x.example/"):
        return SourceSnapshot(text_sha256=text_hash, fetched_url=fetched)

    newest_first = [snap("b"), snap("", fetched=""), snap("a"), snap("a")]
    snapshots.mark_text_changes(newest_first)
    assert [s.text_changed for s in newest_first] == [True, None, False, None]


# --- the PDF rendering of an archived page ---------------------------------------------------


def test_an_archived_page_is_laid_out_as_a_pdf_linked_from_the_source(
    client, reviewer, archive, loopback_allowed
):
    with serve({"/stats": Page(REPORT)}) as server:
        loopback_allowed(server)
        source = SourceFactory(url=server.url("/stats"))
        client.force_login(reviewer)
        archive(source)
    snapshot = SourceSnapshot.objects.get(source=source)
    assert snapshot.rendering
    rendering = snapshot.rendering.read()
    assert rendering.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(rendering)).pages)
    assert "1,204,311 passengers" in text
    html = client.get(reverse("annotations:source-detail", args=[source.pk])).content.decode()
    link = reverse("annotations:snapshot-rendering", args=[snapshot.pk])
    assert f'href="{link}">PDF rendering</a>' in html
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == rendering


def test_the_rendering_fetches_nothing_the_page_names(
    client, reviewer, archive, loopback_allowed, tmp_path
):
    secret = tmp_path / "secret.css"
    secret.write_text("body{color:red}")
    pages = {}
    with serve(pages) as server:
        here = server.base_url
        pages["/page"] = Page(
            (
                f"<html><head><link rel='stylesheet' href='{here}/steal.css'>"
                f"<link rel='stylesheet' href='{secret.as_uri()}'><link rel='stylesheet' "
                f"href='/relative.css'><style>@import url({here}/import.css); "
                f"@font-face{{font-family:x;src:url({here}/font.woff)}}</style>"
                f"<script src='{here}/script.js'></script>"
                f"<script>document.write('<img src={here}/written.png>')</script></head><body>"
                f"<p style='font-family:x'>Harbour figures, as published.</p>"
                f"<img src='{here}/picture.png'><img src='file:///etc/passwd'>"
                f"<iframe src='{here}/frame'></iframe><object data='{here}/object'></object>"
                f"</body></html>"
            ).encode()
        )
        loopback_allowed(server)
        source = SourceFactory(url=server.url("/page"))
        client.force_login(reviewer)
        archive(source)
        asked = [request.path for request in server.received]
    assert asked == ["/page"]  # the page itself, by the fetcher, and nothing else
    snapshot = SourceSnapshot.objects.get(source=source)
    text = PdfReader(io.BytesIO(snapshot.rendering.read())).pages[0].extract_text()
    assert "Harbour figures, as published." in text


def test_a_page_that_cannot_be_laid_out_in_time_is_archived_without_a_rendering(
    client, reviewer, archive, loopback_allowed, settings
):
    settings.FACTCHECK_SNAPSHOT_RENDER_TIMEOUT = 0.001  # no page is laid out that fast
    with serve({"/stats": Page(REPORT)}) as server:
        loopback_allowed(server)
        source = SourceFactory(url=server.url("/stats"))
        client.force_login(reviewer)
        job = archive(source)
    assert job.status == Job.Status.SUCCEEDED, job.message
    snapshot = SourceSnapshot.objects.get(source=source)
    assert snapshot.file.read() == REPORT
    assert not snapshot.rendering
    html = client.get(reverse("annotations:source-detail", args=[source.pk])).content.decode()
    assert "PDF rendering" not in html
    missing = reverse("annotations:snapshot-rendering", args=[snapshot.pk])
    assert client.get(missing).status_code == 404
