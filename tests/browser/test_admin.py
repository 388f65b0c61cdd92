"""The admin in a real browser: add a source, archive a snapshot, merge two duplicates."""

import pytest

from annotations.models import Citation, Source
from tests.factories import CitationFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXT_SNAPSHOT = b"Passenger journeys: 12.4 million in the year to March.\n"


def watch_console(page) -> list[str]:
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return problems


def test_admin_adds_a_source_uploads_a_snapshot_and_merges_duplicates(
    page, sign_in, admin_user, screenshot_dir
):
    csp_errors = watch_console(page)
    sign_in(page, admin_user)

    # Add a source, with a snapshot in the same form.
    page.goto("/admin/annotations/source/add/")
    page.fill("#id_title", "Bus statistics 2024")
    page.fill("#id_url", "HTTPS://Stats.Example/buses/?utm_source=newsletter")
    page.select_option("#id_kind", "official_statistics")
    page.set_input_files(
        "input[type=file][name$='-0-file']",
        files=[{"name": "bulletin.txt", "mimeType": "text/plain", "buffer": TEXT_SNAPSHOT}],
    )
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    source = Source.objects.get()
    assert source.url == "https://stats.example/buses"
    snapshot = source.snapshots.get()
    assert snapshot.content_type == "text/plain"
    assert snapshot.uploaded_by == admin_user
    download = page.get_by_role("link", name="Download")
    assert download.get_attribute("href") == f"/snapshots/{snapshot.pk}/download/"
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == f"source-{source.pk}-snapshot-{snapshot.pk}.txt"
    page.screenshot(path=str(screenshot_dir / "admin-source.png"), full_page=True)

    # The same page spelled differently is pointed at the existing source.
    page.goto("/admin/annotations/source/add/")
    page.fill("#id_title", "Bus statistics again")
    page.fill("#id_url", "https://stats.example/buses#table-1")
    page.click("input[name=_save]")
    error = page.locator(".field-url .errorlist")
    assert "already in the library" in error.inner_text()
    assert error.get_by_role("link").get_attribute("href") == (
        f"/admin/annotations/source/{source.pk}/change/"
    )

    # A real duplicate that normalisation cannot catch (www.), cited by a claim.
    duplicate = Source.objects.create(
        title="Bus stats (www)", url="https://www.stats.example/buses", notes="From a reader."
    )
    citation = CitationFactory(source=duplicate)

    page.goto("/admin/annotations/source/")
    page.check(f"input[name=_selected_action][value='{source.pk}']")
    page.check(f"input[name=_selected_action][value='{duplicate.pk}']")
    page.select_option("select[name=action]", "merge_sources")
    page.click("button[name=index]")
    page.wait_for_selector("#merge-form")
    page.screenshot(path=str(screenshot_dir / "admin-merge.png"), full_page=True)
    page.check(f"#keep-{source.pk}")
    page.click("#merge-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Merged 1 source(s)" in page.locator(".messagelist").inner_text()

    assert list(Source.objects.values_list("pk", flat=True)) == [source.pk]
    assert Citation.objects.get(pk=citation.pk).source_id == source.pk
    source.refresh_from_db()
    assert "From a reader." in source.notes
    page.goto(f"/admin/annotations/source/{source.pk}/history/")
    assert f"Merged source #{duplicate.pk}" in page.locator("#change-history").inner_text()
    assert csp_errors == []


def test_admin_verdict_list_renders_swatches_under_the_csp(
    page, sign_in, admin_user, screenshot_dir
):
    csp_errors = watch_console(page)
    sign_in(page, admin_user)
    page.goto("/admin/annotations/verdict/")
    swatch = page.locator("svg.verdict-swatch rect").first
    assert swatch.get_attribute("fill").startswith("#")
    box = page.locator("svg.verdict-swatch").first.bounding_box()
    assert 10 <= box["width"] <= 24
    # The admin's own stylesheet applied (the header has its dark background).
    header_colour = page.locator("#header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header_colour not in ("rgba(0, 0, 0, 0)", "transparent")
    page.screenshot(path=str(screenshot_dir / "admin-verdicts.png"), full_page=True)
    assert csp_errors == []


def test_editor_rates_a_source_in_the_app_without_a_reload(page, sign_in, editor, screenshot_dir):
    from tests.factories import SourceFactory

    csp_errors = watch_console(page)
    source = SourceFactory(title="Transport statistics bulletin")
    CitationFactory(source=source)
    sign_in(page, editor)
    page.get_by_role("link", name="Sources").click()
    page.get_by_role("link", name="Transport statistics bulletin").click()
    page.evaluate("window.notReloaded = true")
    page.select_option("#id_reliability", "primary_official")
    page.fill("#id_reliability_rationale", "Published by the statistics office.")
    page.get_by_role("button", name="Save rating").click()
    page.wait_for_selector("#source-reliability .rationale")
    assert page.evaluate("window.notReloaded") is True
    assert "Primary official data" in page.locator("#source-reliability").inner_text()
    source.refresh_from_db()
    assert source.reliability == "primary_official"
    page.screenshot(path=str(screenshot_dir / "source-page.png"), full_page=True)
    assert csp_errors == []
