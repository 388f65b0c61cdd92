"""Sources carry versions like claims: a save based on an older version is refused and the newer
values are shown; a form that is missing fields is invalid, never read as "blank them"."""

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Source
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

PARTIAL = {"HX-Request": "true", "HX-Target": "source-reliability"}


def reliability_url(source):
    return reverse("annotations:source-reliability", args=[source.pk])


@pytest.fixture
def rated():
    source = SourceFactory(
        reliability=Source.Reliability.PRIMARY_OFFICIAL,
        reliability_rationale="Published by the statistics office.",
    )
    source.refresh_from_db()
    return source


def test_a_post_without_the_form_fields_blanks_nothing(client, editor, rated):
    client.force_login(editor)
    # What a browser sends for a form whose fields were removed: only the CSRF token.
    response = client.post(reliability_url(rated), {"csrfmiddlewaretoken": "x"}, headers=PARTIAL)
    assert response.status_code == 200
    assert "missing from the form" in response.content.decode()
    rated.refresh_from_db()
    assert rated.reliability == Source.Reliability.PRIMARY_OFFICIAL
    assert rated.reliability_rationale == "Published by the statistics office."


def test_a_post_without_the_rationale_field_keeps_the_rationale(client, editor, rated):
    client.force_login(editor)
    client.post(reliability_url(rated), {"version": rated.version, "reliability": ""})
    rated.refresh_from_db()
    assert rated.reliability == Source.Reliability.PRIMARY_OFFICIAL
    assert rated.reliability_rationale == "Published by the statistics office."


def test_withdrawing_a_rating_needs_a_reason_too(client, editor, rated):
    client.force_login(editor)
    data = {"version": rated.version, "reliability": "", "reliability_rationale": ""}
    html = client.post(reliability_url(rated), data, headers=PARTIAL).content.decode()
    assert "Say why the rating is withdrawn." in html
    rated.refresh_from_db()
    assert rated.reliability == Source.Reliability.PRIMARY_OFFICIAL
    data["reliability_rationale"] = "The office has withdrawn the series."
    client.post(reliability_url(rated), data, headers=PARTIAL)
    rated.refresh_from_db()
    assert rated.reliability == ""
    assert rated.reliability_rationale == "The office has withdrawn the series."


def test_the_form_carries_the_version_and_every_save_raises_it(client, editor):
    source = SourceFactory()
    client.force_login(editor)
    page = client.get(reliability_url(source)).content.decode()
    assert 'name="version" value="1"' in page
    client.post(
        reliability_url(source),
        {"version": 1, "reliability": "peer_reviewed", "reliability_rationale": "A journal."},
    )
    source.refresh_from_db()
    assert source.version == 2
    assert source.history.first().history_user == editor


def test_stale_reliability_edit_is_refused_and_shows_the_newer_rating(client, editor, admin_user):
    source = SourceFactory()
    client.force_login(editor)
    other = Client()
    other.force_login(admin_user)
    # Both opened the form at version 1; the admin saves first.
    other.post(
        reliability_url(source),
        {"version": 1, "reliability": "primary_official", "reliability_rationale": "Theirs."},
    )
    data = {"version": 1, "reliability": "known_unreliable", "reliability_rationale": "Mine."}
    response = client.post(reliability_url(source), data, headers=PARTIAL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this source" in html
    assert "Theirs." in html and "Primary official data" in html  # the newer values
    assert "Mine." in html  # what the editor typed is not lost
    assert 'name="version" value="2"' in html  # now based on the newer version
    source.refresh_from_db()
    assert source.reliability == Source.Reliability.PRIMARY_OFFICIAL
    assert source.reliability_rationale == "Theirs."
    # Having seen theirs, the editor may save again on top of it.
    client.post(reliability_url(source), {**data, "version": 2}, headers=PARTIAL)
    source.refresh_from_db()
    assert source.reliability == Source.Reliability.KNOWN_UNRELIABLE
    assert source.version == 3


def test_a_save_by_any_other_path_makes_an_open_form_stale(client, editor, admin_user):
    source = SourceFactory()
    client.force_login(editor)
    # Meanwhile the source is merged into or updated from elsewhere (admin, CSV import, merge).
    duplicate = SourceFactory(publisher="Elsewhere")
    duplicate.merge_into(source, by=admin_user)
    html = client.post(
        reliability_url(source),
        {"version": 1, "reliability": "unverified", "reliability_rationale": "Unknown author."},
        headers=PARTIAL,
    ).content.decode()
    assert "Someone else changed this source" in html
    source.refresh_from_db()
    assert source.reliability == ""


# --- The admin ----------------------------------------------------------------------------------


def admin_form(source, **fields):
    data = {
        "version": source.version,
        "title": source.title,
        "url": source.url,
        "publisher": source.publisher,
        "kind": source.kind,
        "published_on": "",
        "accessed_on": "",
        "reliability": source.reliability,
        "reliability_rationale": source.reliability_rationale,
        "archive_url": source.archive_url,
        "notes": source.notes,
    }
    for prefix in ("snapshots", "snapshots-2", "citations"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data | fields


def test_admin_change_form_refuses_a_stale_save_and_shows_the_newer_values(
    client, admin_user, editor
):
    source = SourceFactory(notes="Original notes")
    url = reverse("admin:annotations_source_change", args=[source.pk])
    client.force_login(admin_user)
    assert 'name="version"' in client.get(url).content.decode()
    loaded = admin_form(source, notes="The admin's notes")
    # An editor rates the source in the app while the admin's form is open.
    app = Client()
    app.force_login(editor)
    app.post(
        reliability_url(source),
        {"version": 1, "reliability": "peer_reviewed", "reliability_rationale": "A journal."},
    )
    response = client.post(url, loaded)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this source" in html
    assert "A journal." in html and "The admin&#x27;s notes" in html
    source.refresh_from_db()
    assert source.notes == "Original notes"
    assert source.reliability == Source.Reliability.PEER_REVIEWED
    # The re-shown form is based on the newer version: saving it again is deliberate.
    assert f'name="version" value="{source.version}"' in html


def test_admin_change_form_missing_a_field_blanks_nothing(client, admin_user):
    source = SourceFactory(notes="Keep these notes")
    source.refresh_from_db()
    client.force_login(admin_user)
    data = admin_form(source)
    del data["notes"]
    response = client.post(reverse("admin:annotations_source_change", args=[source.pk]), data)
    assert response.status_code == 200
    assert "missing from the form" in response.content.decode()
    source.refresh_from_db()
    assert source.notes == "Keep these notes"


def test_admin_save_with_the_current_version_saves_and_raises_it(client, admin_user):
    source = SourceFactory()
    source.refresh_from_db()
    client.force_login(admin_user)
    url = reverse("admin:annotations_source_change", args=[source.pk])
    response = client.post(url, admin_form(source, title="Renamed bulletin"))
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.title == "Renamed bulletin"
    assert source.version == 2
