"""The admin site: who gets in, and the tools admins use there."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.models import Article, Claim, Role, Source, User, Verdict
from tests.factories import (
    ArticleFactory,
    CitationFactory,
    ClaimFactory,
    SourceFactory,
    UserFactory,
)
from tests.job_support import upload_articles

pytestmark = pytest.mark.django_db


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "editor"])
def test_reviewers_and_editors_are_refused_by_the_admin(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert "not authorized to access this page" in response.content.decode()
    source = SourceFactory(title="Bulletin")
    response = client.post(
        reverse("admin:annotations_source_change", args=[source.pk]),
        {"title": "Changed", "url": source.url, "kind": source.kind},
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.title == "Bulletin"


def test_admin_pages_name_the_apps_icon(client, admin_user):
    """The app's pages name its icon; the admin's did not, so the browser asked for
    /favicon.ico on every admin page (a 404 in the console and the server's log) and the tab
    was blank."""
    source = SourceFactory()
    article = ArticleFactory()
    icon = '<link rel="icon" href="/static/annotations/favicon.svg" type="image/svg+xml">'
    assert icon in client.get(reverse("admin:login")).content.decode()
    client.force_login(admin_user)
    for url in (
        reverse("admin:index"),
        reverse("admin:annotations_source_changelist"),
        reverse("admin:annotations_source_change", args=[source.pk]),
        reverse("admin:annotations_source_delete", args=[source.pk]),
        reverse("admin:annotations_article_changelist"),
        reverse("admin:annotations_article_history", args=[article.pk]),
        reverse("admin:annotations_article_upload"),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert page.content.decode().count(icon) == 1, url


def test_staff_flag_without_the_admin_role_does_not_open_the_admin(client, editor):
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    assert client.get(reverse("admin:index")).status_code == 302


def test_admin_role_gets_in_and_can_use_every_model(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    for model in ["source", "verdict", "claim", "citation", "article", "user"]:
        assert f'href="/admin/annotations/{model}/"' in response.content.decode()


def test_admin_role_without_staff_flag_signs_in_on_the_admin_login(client):
    user = UserFactory(username="ama", role=Role.ADMIN)
    user.is_staff = False
    user.save()
    response = client.post(
        reverse("admin:login"),
        {"username": "ama", "password": "correct-horse-battery", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_editor_cannot_sign_in_on_the_admin_login(client, editor):
    response = client.post(
        reverse("admin:login"), {"username": editor.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    assert "does not have the Admin role" in response.content.decode()


# --- Sources ------------------------------------------------------------------------------------


def source_form(**fields):
    data = {
        "title": "Bus statistics",
        "url": "https://stats.example/buses",
        "publisher": "",
        "kind": Source.Kind.OFFICIAL_STATISTICS,
        "published_on": "",
        "accessed_on": "",
        "reliability": "",
        "reliability_rationale": "",
        "archive_url": "",
        "notes": "",
        "version": "1",  # the version a change form was loaded at (a new source's is 1)
    }
    for prefix in ("snapshots", "snapshots-2", "citations"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data | fields


def test_admin_add_normalises_the_url(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:annotations_source_add"),
        source_form(url="HTTPS://Stats.Example:443/buses/?utm_source=news#top"),
    )
    assert response.status_code == 302
    assert Source.objects.get().url == "https://stats.example/buses"


def test_admin_add_of_a_duplicate_links_to_the_existing_source(client, admin_user):
    existing = SourceFactory(title="Bus statistics 2024", url="https://stats.example/buses")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:annotations_source_add"),
        source_form(url="https://STATS.example/buses/?fbclid=123"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    link = reverse("admin:annotations_source_change", args=[existing.pk])
    assert f'<a href="{link}">“Bus statistics 2024” (source #{existing.pk})</a>' in page
    assert page.count("already in the library") == 1
    assert Source.objects.count() == 1


def test_admin_add_refuses_javascript_urls(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:annotations_source_add"), source_form(url="javascript:alert(1)")
    )
    assert "Only http:// and https:// URLs can be sources" in response.content.decode()
    assert not Source.objects.exists()


@pytest.fixture
def used_sources():
    """Three sources: one backing an approved verdict, one cited by an open claim, one unused."""
    approved_claim = ClaimFactory(
        state=Claim.State.APPROVED, verdict=Verdict.objects.get(label="Accurate")
    )
    backing = CitationFactory(claim=approved_claim, source__title="Backing").source
    CitationFactory(claim=ClaimFactory(article=approved_claim.article), source=backing)
    cited = CitationFactory(source__title="Cited").source
    unused = SourceFactory(title="Unused")
    return backing, cited, unused


def test_source_changelist_shows_usage_in_a_fixed_number_of_queries(
    client, admin_user, used_sources, django_assert_max_num_queries
):
    client.force_login(admin_user)
    SourceFactory.create_batch(5)
    # session, user, groups (role check), sources page count, sources with usage (one
    # annotated query), the date hierarchy, filters' facets... not one query per row.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:annotations_source_changelist"))
    page = response.content.decode()
    assert '<td class="field-claim_count">2</td>' in page
    assert '<td class="field-approved_verdict_count">1</td>' in page


@pytest.mark.parametrize(
    ("usage", "expected"),
    [("unused", {"Unused"}), ("approved", {"Backing"}), ("cited", {"Backing", "Cited"})],
)
def test_source_usage_filters(client, admin_user, used_sources, usage, expected):
    client.force_login(admin_user)
    response = client.get(reverse("admin:annotations_source_changelist"), {"usage": usage})
    shown = {s.title for s in response.context["cl"].result_list}
    assert shown == expected


def test_source_change_page_lists_the_claims_using_it(client, admin_user, used_sources):
    backing = used_sources[0]
    client.force_login(admin_user)
    response = client.get(reverse("admin:annotations_source_change", args=[backing.pk]))
    page = response.content.decode()
    assert "Used by these claims" in page
    assert page.count("Approved · Accurate") == 1


def test_source_list_sorts_by_usage(client, admin_user, used_sources):
    client.force_login(admin_user)
    # The admin's "o" parameter: the claims column (after the checkbox and four others),
    # fewest first; the titles alone would sort the other way.
    response = client.get(reverse("admin:annotations_source_changelist"), {"o": "5"})
    titles = [s.title for s in response.context["cl"].result_list]
    assert titles == ["Unused", "Cited", "Backing"]


def test_source_history_in_the_admin_does_not_count_its_citations(client, admin_user, used_sources):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    backing = used_sources[0]
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("admin:annotations_source_history", args=[backing.pk]))
    assert response.status_code == 200
    assert "Backing" in response.content.decode()
    # The usage counts are the list's: a much-cited source's history page did not wait on them.
    assert not [q for q in context.captured_queries if "annotations_citation" in q["sql"]]


# --- Merge --------------------------------------------------------------------------------------


def merge(client, sources, **extra):
    return client.post(
        reverse("admin:annotations_source_changelist"),
        {"action": "merge_sources", "_selected_action": [s.pk for s in sources], **extra},
    )


def test_merge_asks_which_source_to_keep(client, admin_user):
    a = SourceFactory(title="Bus figures")
    b = SourceFactory(title="Bus figures (copy)")
    client.force_login(admin_user)
    response = merge(client, [a, b])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose the source to keep" in page
    assert f'value="{a.pk}"' in page and f'value="{b.pk}"' in page
    assert Source.objects.count() == 2


def test_merge_moves_citations_and_snapshots_keeps_details_and_leaves_history(client, admin_user):
    keep = SourceFactory(title="Bus figures", url="https://stats.example/buses")
    dupe = SourceFactory(
        title="Bus figures (copy)",
        url="https://www.stats.example/buses",
        archive_url="https://archive.example/buses",
        notes="Found by the desk.",
    )
    citations = CitationFactory.create_batch(2, source=dupe)
    kept_citation = CitationFactory(source=keep)
    from annotations.models import SourceSnapshot

    SourceSnapshot.objects.create(
        source=dupe, file="snapshots/x", content_type="text/plain", size=1, sha256="0" * 64
    )
    client.force_login(admin_user)
    response = merge(client, [keep, dupe], confirm="yes", keep=keep.pk)
    assert response.status_code == 302

    assert not Source.objects.filter(pk=dupe.pk).exists()
    for citation in [*citations, kept_citation]:
        citation.refresh_from_db()
        assert citation.source_id == keep.pk
    assert keep.snapshots.count() == 1
    keep.refresh_from_db()
    assert keep.archive_url == "https://archive.example/buses"  # empty field filled
    assert f"Merged from source #{dupe.pk}" in keep.notes
    assert "https://www.stats.example/buses" in keep.notes
    assert "Found by the desk." in keep.notes

    reason = f"Merged source #{dupe.pk} (https://www.stats.example/buses) into source #{keep.pk}"
    latest = keep.history.first()
    assert latest.history_change_reason == reason
    assert latest.history_user == admin_user
    deleted = Source.history.filter(id=dupe.pk).first()
    assert deleted.history_type == "-"
    assert deleted.history_change_reason == reason
    moved = citations[0].history.first()
    assert moved.history_change_reason == reason
    assert moved.source_id == keep.pk
    history_page = client.get(reverse("admin:annotations_source_history", args=[keep.pk]))
    assert reason in history_page.content.decode()


def test_merge_without_a_choice_changes_nothing(client, admin_user):
    a, b = SourceFactory(), SourceFactory()
    CitationFactory(source=b)
    client.force_login(admin_user)
    response = merge(client, [a, b], confirm="yes")
    assert response.status_code == 200
    assert Source.objects.count() == 2


def test_merge_needs_two_sources(client, admin_user):
    a = SourceFactory()
    client.force_login(admin_user)
    response = merge(client, [a], confirm="yes", keep=a.pk)
    assert response.status_code == 302
    assert Source.objects.filter(pk=a.pk).exists()


# --- CSV import/export --------------------------------------------------------------------------


def csv_import(client, text: str):
    response = client.post(
        reverse("admin:annotations_source_import"),
        {
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile("sources.csv", text.encode(), "text/csv"),
        },
    )
    return response


CSV_HEADER = "url,title,publisher,kind,reliability\n"


def test_csv_import_dry_run_reports_a_duplicate_url_as_an_update(client, admin_user):
    SourceFactory(title="Old title", url="https://stats.example/buses")
    client.force_login(admin_user)
    response = csv_import(
        client,
        CSV_HEADER
        + "HTTPS://stats.example/buses/?utm_source=x,New title,Office,official_statistics,\n"
        + "https://other.example/report,Other report,,news_report,\n",
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["update", "new"]
    # A dry run: nothing written until confirmed.
    assert Source.objects.get().title == "Old title"


def test_csv_import_confirmed_updates_instead_of_duplicating(client, admin_user):
    SourceFactory(title="Old title", url="https://stats.example/buses")
    client.force_login(admin_user)
    response = csv_import(
        client,
        CSV_HEADER + "https://Stats.example/buses#x,New title,Office,official_statistics,\n",
    )
    confirm = response.context["confirm_form"]
    response = client.post(
        reverse("admin:annotations_source_process_import"), confirm.initial | {"resource": "0"}
    )
    assert response.status_code == 302
    assert Source.objects.count() == 1
    assert Source.objects.get().title == "New title"


def test_csv_import_with_bad_rows_reports_them_and_changes_nothing(client, admin_user):
    client.force_login(admin_user)
    response = csv_import(
        client,
        CSV_HEADER
        + "https://good.example/a,Good,,other,\n"
        + "javascript:alert(1),Evil,,other,\n"
        + "https://good.example/a/?utm_medium=x,Same page again,,other,\n"
        + "https://good.example/b,Bad kind,,not-a-kind,\n",
    )
    page = response.content.decode()
    assert "Only http:// and https:// URLs can be sources" in page
    assert "Row 1 has the same page (https://good.example/a)" in page
    assert "not-a-kind" in page
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert not Source.objects.exists()


def test_csv_export_uses_normalised_urls(client, admin_user):
    SourceFactory(title="Bus statistics", url="https://stats.example/buses")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:annotations_source_export"),
        {"format": "0", "resource": "0", **{f"sourceresource_{f}": "on" for f in ("url", "title")}},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "https://stats.example/buses" in body and "Bus statistics" in body


# --- Verdicts -----------------------------------------------------------------------------------


def test_verdict_changelist_shows_swatches_without_inline_styles(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:annotations_verdict_changelist"))
    page = response.content.decode()
    assert 'fill="#2e7d32"' in page
    assert 'type="color"' in page
    assert " style=" not in page
    assert "<style" not in page


def test_verdict_recolour_must_be_a_hex_colour(client, admin_user):
    verdict = Verdict.objects.get(label="Accurate")
    client.force_login(admin_user)
    data = {
        "label": verdict.label,
        "description": verdict.description,
        "colour": "#12345g",
        "rating": "5",
        "order": "10",
        "is_active": "on",
    }
    url = reverse("admin:annotations_verdict_change", args=[verdict.pk])
    response = client.post(url, data)
    assert "Enter a colour as #rrggbb." in response.content.decode()
    response = client.post(url, data | {"colour": "#123abc"})
    assert response.status_code == 302
    verdict.refresh_from_db()
    assert verdict.colour == "#123abc"
    change = verdict.history.first()
    assert change.history_user == admin_user


def test_retired_verdict_stays_on_claims_and_is_no_longer_offered(client, admin_user):
    verdict = Verdict.objects.get(label="Misleading")
    claim = ClaimFactory(verdict=verdict)
    client.force_login(admin_user)
    client.post(
        reverse("admin:annotations_verdict_changelist"),
        {"action": "retire", "_selected_action": [verdict.pk]},
    )
    verdict.refresh_from_db()
    claim.refresh_from_db()
    assert not verdict.is_active
    assert claim.verdict == verdict
    assert verdict not in Verdict.objects.active()
    assert verdict.history.first().history_change_reason == "Retired"


# --- History ------------------------------------------------------------------------------------


def test_history_page_shows_who_and_which_fields_changed(client, admin_user):
    source = SourceFactory(title="Bus statistics")
    client.force_login(admin_user)
    client.post(
        reverse("admin:annotations_source_change", args=[source.pk]),
        source_form(
            title="Bus statistics 2024",
            url=source.url,
            reliability="primary_official",
            reliability_rationale="The statistics office publishes it.",
        ),
    )
    response = client.get(reverse("admin:annotations_source_history", args=[source.pk]))
    page = response.content.decode()
    assert admin_user.username in page
    assert "<strong>Title:</strong>" in page
    assert "Bus statistics 2024" in page
    assert "<strong>Reliability:</strong>" in page
    assert " style=" not in page


# --- People -------------------------------------------------------------------------------------


def test_admin_creates_a_user_with_a_role(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:annotations_user_add"),
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "role": "Editor",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newbie")
    assert user.is_editor and not user.is_admin


def test_changing_a_users_role_replaces_the_old_one(client, admin_user, reviewer):
    other = Group.objects.create(name="Newsletter")
    reviewer.groups.add(other)
    client.force_login(admin_user)
    response = client.get(reverse("admin:annotations_user_change", args=[reviewer.pk]))
    assert '<option value="Reviewer" selected>' in response.content.decode()
    data = {
        "username": reviewer.username,
        "email": reviewer.email,
        "first_name": "",
        "last_name": "",
        "role": "Admin",
        "is_active": "on",
        "last_login": "",
        "date_joined": "2026-01-01 10:00:00",
    }
    response = client.post(reverse("admin:annotations_user_change", args=[reviewer.pk]), data)
    assert response.status_code == 302
    reviewer = User.objects.get(pk=reviewer.pk)
    assert set(reviewer.groups.values_list("name", flat=True)) == {"Admin", "Newsletter"}
    assert reviewer.is_admin and reviewer.is_staff


def test_user_list_has_a_role_column_and_filter(client, admin_user, reviewer, editor):
    client.force_login(admin_user)
    response = client.get(reverse("admin:annotations_user_changelist"), {"role": "Editor"})
    assert [u.username for u in response.context["cl"].result_list] == ["edith"]
    assert '<td class="field-role">Editor</td>' in response.content.decode()


@pytest.mark.parametrize("login_url", ["login", "admin:login"])
def test_repeated_failed_sign_ins_lock_out_and_admin_can_unlock(
    client, admin_user, reviewer, settings, login_url
):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse(login_url), {"username": "rita", "password": "wrong"})
    response = client.post(
        reverse(login_url), {"username": "rita", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    attempt = AccessAttempt.objects.get(username="rita")

    client.force_login(admin_user)
    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert "rita" in listing.content.decode()
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [attempt.pk]},
    )
    client.logout()
    assert not AccessAttempt.objects.exists()
    response = client.post(
        reverse("login"), {"username": "rita", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302


# --- Articles -----------------------------------------------------------------------------------


def test_article_upload_imports_good_files_and_reports_bad_ones(client, admin_user):
    client.force_login(admin_user)
    files = [
        SimpleUploadedFile(
            "library.txt",
            b"Library opens on Sundays\n\nThe town library will open on Sundays from May, "
            b"the council said on Tuesday.\n\nOpening hours will be 10am to 4pm.\n",
        ),
        SimpleUploadedFile("empty.txt", b""),
        SimpleUploadedFile("picture.jpg", b"\xff\xd8\xff\xe0 not an article"),
    ]
    # The upload starts a background job; its page lists one line per file.
    page = upload_articles(client, files)
    article = Article.objects.get()
    assert (
        f'CREATED   library.txt: <a href="{article.get_absolute_url()}">article #{article.pk}</a>'
        in page
    )
    assert "FAILED    empty.txt: the file is empty" in page
    assert "FAILED    picture.jpg: unsupported file type" in page
    assert "1 of 3 file(s) processed, 2 failed." in page
    assert article.imported_by == admin_user
    # The files kept for the job are removed once it ends.
    batches = default_storage.listdir("job-uploads")[0]
    assert batches and not any(default_storage.listdir(f"job-uploads/{b}")[1] for b in batches)


def test_article_upload_is_rate_limited(client, admin_user, settings):
    settings.FACTCHECK_RATE_LIMITS = {"import": "1/m"}
    from django.core.cache import cache

    cache.clear()
    client.force_login(admin_user)
    url = reverse("admin:annotations_article_upload")
    client.post(url, {"files": [SimpleUploadedFile("a.txt", b"A title\n\nSome text here.\n")]})
    response = client.post(
        url, {"files": [SimpleUploadedFile("b.txt", b"B title\n\nOther text here.\n")]}
    )
    assert response.status_code == 429
    assert "Too many imports" in response.content.decode()


def test_article_changelist_links_the_upload_page(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:annotations_article_changelist"))
    assert reverse("admin:annotations_article_upload") in response.content.decode()


def test_article_change_page_shows_raw_beside_cleaned_text_escaped(client, admin_user):
    article = ArticleFactory(
        raw_text="<h1>Buses</h1><script>alert(1)</script><p>Raw text</p>",
        body="Buses\n\nClean text",
    )
    ClaimFactory(article=article, start=0, end=5)
    client.force_login(admin_user)
    response = client.get(reverse("admin:annotations_article_change", args=[article.pk]))
    page = response.content.decode()
    assert '<div class="text-compare">' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert '<pre class="clean-text">Buses\n\nClean text</pre>' in page
    # The claims inline shows offsets read-only.
    assert 'name="claims-0-start"' not in page
    assert re.search(r'<td class="field-start">\s*<p>0</p>', page)


def test_csv_import_without_the_url_column_is_refused_clearly(client, admin_user):
    client.force_login(admin_user)
    response = csv_import(client, "title,publisher\nBus statistics,Office\n")
    assert response.status_code == 200
    assert "The file needs the columns url" in response.content.decode()
    assert not Source.objects.exists()


def stored_snapshot(source, content=b"notes"):
    from django.core.files.base import ContentFile

    from annotations.models import SourceSnapshot

    snapshot = SourceSnapshot(source=source, content_type="text/plain", size=5, sha256="b" * 64)
    snapshot.file.save("x", ContentFile(content))
    return snapshot


def test_deleting_a_snapshot_in_the_admin_removes_its_file(
    client, admin_user, django_capture_on_commit_callbacks
):
    from annotations.models import SourceSnapshot

    source = SourceFactory()
    snapshot = stored_snapshot(source)
    storage, name = snapshot.file.storage, snapshot.file.name
    client.force_login(admin_user)
    data = source_form(title=source.title, url=source.url) | {
        "snapshots-TOTAL_FORMS": "1",
        "snapshots-INITIAL_FORMS": "1",
        "snapshots-0-id": str(snapshot.pk),
        "snapshots-0-source": str(source.pk),
        "snapshots-0-DELETE": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:annotations_source_change", args=[source.pk]), data)
    assert response.status_code == 302
    assert not SourceSnapshot.objects.exists()
    assert not storage.exists(name)


def test_deleting_a_source_in_the_admin_removes_its_snapshot_files(
    client, admin_user, django_capture_on_commit_callbacks
):
    source = SourceFactory()
    kept = stored_snapshot(SourceFactory())
    names = [stored_snapshot(source).file.name for _ in range(2)]
    storage = kept.file.storage
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:annotations_source_delete", args=[source.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()
    assert not any(storage.exists(name) for name in names)
    assert storage.exists(kept.file.name)


def test_a_rolled_back_deletion_keeps_the_snapshot_file(db):
    from django.db import transaction

    snapshot = stored_snapshot(SourceFactory())
    storage, name = snapshot.file.storage, snapshot.file.name
    with pytest.raises(RuntimeError), transaction.atomic():
        snapshot.source.delete()
        raise RuntimeError("the deletion fails later in the same transaction")
    assert storage.exists(name)


def test_list_checkboxes_are_djangos_own_html_for_any_title(client, admin_user):
    from django.contrib import admin

    tricky = SourceFactory(title="Rates <b>\"up\"</b> & 'down' — 5 % (est.)")
    for model, obj in [(Source, tricky), (Claim, ClaimFactory(statement="<i>x</i> & y"))]:
        model_admin = admin.site._registry[model]
        assert model_admin.action_checkbox(obj) == admin.ModelAdmin.action_checkbox(
            model_admin, obj
        )
    client.force_login(admin_user)
    page = client.get(reverse("admin:annotations_source_changelist")).content.decode()
    assert admin.site._registry[Source].action_checkbox(tricky) in page


# --- Much-used objects --------------------------------------------------------------------------


def claims_on_one_article(article, count):
    """``count`` claims on ``article``, all on one span: one made by the factory, the rest
    written at once."""
    template = ClaimFactory(article=article)
    return Claim.objects.bulk_create(
        [
            Claim(
                article=article,
                start=template.start,
                end=template.end,
                quote=template.quote,
                statement=f"Sailing number {n} left on time.",
            )
            for n in range(count - 1)
        ]
    ) + [template]


def test_a_much_cited_source_shows_its_newest_citations_and_still_saves(client, admin_user):
    """The change page of a source cited 600 times lists a page of its citations, newest first,
    links to all of them, and saves: listing every one put two form fields per citation in the
    page, and Django refuses a POST of more than 1,000 fields, so the admin's edit was lost."""
    from datetime import timedelta

    from django.utils import timezone

    from annotations.models import Citation
    from tests.security_support import post_forms

    source = SourceFactory(title="Harbour statistics")
    claims = claims_on_one_article(ArticleFactory(), 600)
    now = timezone.now()
    Citation.objects.bulk_create(
        [
            Citation(claim=claim, source=source, locator=f"row {n}", created_at=now + timedelta(n))
            for n, claim in enumerate(claims)
        ]
    )
    client.force_login(admin_user)
    url = reverse("admin:annotations_source_change", args=[source.pk])
    page = client.get(url).content.decode()
    assert page.count('<td class="field-locator">') == 50
    assert "row 599" in page and "row 550" in page and "row 549" not in page
    assert "The 50 newest of 600 citations" in page
    everything = (
        reverse("admin:annotations_citation_changelist") + f"?source__id__exact={source.pk}"
    )
    assert f'href="{everything}"' in page

    [(_, fields, _)] = [form for form in post_forms(page) if form[1].get("title")]
    assert len(fields) < 1000
    fields["title"] = "Harbour statistics (annual)"
    response = client.post(url, fields)
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.title == "Harbour statistics (annual)"
    assert source.citations.count() == 600
    listed = client.get(everything)
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 600


def test_an_article_with_many_claims_lists_a_page_of_them_and_still_saves(client, admin_user):
    from tests.security_support import post_forms

    article = ArticleFactory(title="Ferry timetable")
    ClaimFactory(article=article, statement="The first sailing.")
    claims_on_one_article(article, 600)
    client.force_login(admin_user)
    url = reverse("admin:annotations_article_change", args=[article.pk])
    page = client.get(url).content.decode()
    assert page.count('<td class="field-quote">') == 50
    assert "The first 50 of 601 claims, in the order of the text." in page
    everything = reverse("admin:annotations_claim_changelist") + f"?article__id__exact={article.pk}"
    assert f'href="{everything}"' in page
    [(_, fields, _)] = [form for form in post_forms(page) if form[1].get("title")]
    fields["title"] = "Ferry timetable, winter"
    response = client.post(url, fields)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Ferry timetable, winter"
    assert article.claims.count() == 601
    assert client.get(everything).context["cl"].result_count == 601


def test_article_list_shows_state_and_claims_from_the_tallies_and_sorts_by_them(client, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ArticleFactory(title="Untouched")
    in_review = ArticleFactory(title="In review")
    ClaimFactory.create_batch(2, article=in_review, state=Claim.State.NEEDS_REVIEW)
    working = ArticleFactory(title="Working")
    ClaimFactory(article=working, state=Claim.State.NEEDS_REVIEW)
    ClaimFactory(article=working, state=Claim.State.IN_PROGRESS)
    ClaimFactory(article=working, state=Claim.State.TO_DO)
    client.force_login(admin_user)
    url = reverse("admin:annotations_article_changelist")
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    # Read from each article's tally, not by counting claims (24 s a page on a desk of
    # 2,000,000 claims).
    assert not [q for q in context.captured_queries if "annotations_claim" in q["sql"]]
    rows = {
        a.title: (a.review_state_label, a.claim_total) for a in response.context["cl"].result_list
    }
    assert rows == {
        "Untouched": ("To do", 0),
        "In review": ("In review", 2),
        "Working": ("In progress", 3),
    }
    # The claims column sorts (the admin's "o": the fifth column after the checkbox).
    sorted_titles = [a.title for a in client.get(url, {"o": "-6"}).context["cl"].result_list]
    assert sorted_titles == ["Working", "In review", "Untouched"]
