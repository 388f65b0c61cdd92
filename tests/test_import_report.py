import json

import pytest
from django.core.management import CommandError, call_command

from annotations.importers.report import ReportImportError, import_report
from annotations.models import Article, Claim, User
from tests.export_helpers import worked_example
from tests.test_export_json import export_json, wipe_database

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported():
    worked_example()
    text = export_json()
    wipe_database()
    return json.loads(text)


def assert_nothing_imported():
    assert Article.objects.count() == 0
    assert Claim.objects.count() == 0
    assert User.objects.count() == 0


def test_not_json_is_refused_with_position():
    with pytest.raises(ReportImportError, match=r"Not valid JSON \(line 1, column 2\)"):
        import_report("{nope")


def test_other_schema_version_is_refused(exported):
    exported["schema_version"] = 2
    with pytest.raises(ReportImportError, match="schema_version 2 is not supported"):
        import_report(exported)
    assert_nothing_imported()


def test_missing_schema_version_is_refused(exported):
    del exported["schema_version"]
    with pytest.raises(ReportImportError, match="'schema_version' is missing"):
        import_report(exported)


def test_missing_field_is_reported_with_its_place(exported):
    del exported["articles"][1]["claims"][2]["quote"]
    with pytest.raises(ReportImportError, match=r"articles\[1\]\.claims\[2\]: the field 'quote'"):
        import_report(exported)
    assert_nothing_imported()


def test_a_late_error_rolls_back_everything_written_before_it(exported):
    # The first article is fine and would be written; the second's claim is off its text.
    exported["articles"][1]["claims"][0]["start"] += 1
    exported["articles"][1]["claims"][0]["end"] += 1
    with pytest.raises(ReportImportError, match="the quote is not at offsets"):
        import_report(exported)
    assert_nothing_imported()


def test_tampered_text_is_refused(exported):
    exported["articles"][0]["raw_text"] += " (edited)"
    with pytest.raises(ReportImportError, match="content_hash"):
        import_report(exported)
    assert_nothing_imported()


def test_unknown_choice_is_refused(exported):
    exported["articles"][0]["claims"][0]["state"] = "published"
    with pytest.raises(ReportImportError, match="'state' is 'published'"):
        import_report(exported)


def test_import_command_reports_a_bad_file_clearly(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "articles": 3}', encoding="utf-8")
    with pytest.raises(CommandError, match="'articles' must be a list. Nothing was imported."):
        call_command("import_report", str(bad))
