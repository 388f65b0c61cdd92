import io
import json

import pytest
from django.core.management import call_command

from annotations.exporters import FORMATS
from annotations.exporters.scope import Scope
from annotations.importers.report import import_report
from annotations.models import Article, Citation, Claim, Comment, Source, User
from tests.export_helpers import worked_example

pytestmark = pytest.mark.django_db


def export_json(scope=Scope.INTERNAL, articles=None) -> str:
    out = io.StringIO()
    FORMATS["json"].write(articles or Article.objects.all(), scope, out)
    return out.getvalue()


def wipe_database():
    Comment.objects.all().delete()
    Citation.objects.all().delete()
    Claim.objects.all().delete()
    Article.objects.all().delete()
    Source.objects.all().delete()
    User.objects.all().delete()


def test_json_export_is_complete_and_versioned():
    example = worked_example()
    data = json.loads(export_json())
    assert data["schema_version"] == 1
    assert {v["label"] for v in data["verdicts"]} >= {"Accurate", "Misleading", "Unverifiable"}
    article = data["articles"][0]
    assert article["raw_text"] and article["body"]
    claim = article["claims"][0]
    assert claim["quote"] == article["body"][claim["start"] : claim["end"]]
    assert {"prefix", "suffix", "statement", "verdict", "approved_by", "citations"} <= set(claim)
    assert claim["citations"][0]["source"] == example["sources"][0].url
    assert any(c["comments"] for c in article["claims"])
    assert {u["username"] for u in data["users"]} >= {"rowan", "ellis"}
    assert {s["url"] for s in data["sources"]} == {s.url for s in example["sources"]}
    # No database ids anywhere: the file means the same in any database.
    assert '"id"' not in export_json()


def test_published_json_has_only_approved_claims_and_no_comments():
    worked_example()
    data = json.loads(export_json(Scope.PUBLISHED))
    claims = [claim for article in data["articles"] for claim in article["claims"]]
    assert len(claims) == 6
    assert {claim["state"] for claim in claims} == {"approved"}
    assert not any(claim["comments"] for claim in claims)


def test_round_trip_through_an_empty_database_is_identical():
    worked_example()
    first = export_json()
    wipe_database()
    summary = import_report(first)
    assert summary.created["articles"] == 2
    assert summary.created["claims"] == 8
    assert export_json() == first


def test_importing_the_same_file_twice_duplicates_nothing():
    worked_example()
    text = export_json()
    summary = import_report(text)
    assert summary.created["articles"] == summary.created["claims"] == 0
    assert summary.existing["claims"] == 8
    assert Claim.objects.count() == 8
    assert Source.objects.count() == 2
    assert export_json() == text


def test_merge_adds_only_what_is_missing():
    worked_example()
    text = export_json()
    data = json.loads(text)
    # The target already has the first article, with one claim fewer.
    wipe_database()
    partial = json.loads(text)
    partial["articles"] = partial["articles"][:1]
    partial["articles"][0]["claims"] = partial["articles"][0]["claims"][:2]
    import_report(partial)
    summary = import_report(data)
    assert summary.existing["articles"] == 1
    assert summary.created["articles"] == 1
    assert summary.created["claims"] == 6
    assert Claim.objects.count() == 8
    assert export_json() == text


def test_missing_users_are_created_inactive_without_password():
    worked_example()
    text = export_json()
    wipe_database()
    import_report(text)
    rowan = User.objects.get(username="rowan")
    assert not rowan.is_active
    assert not rowan.has_usable_password()
    assert rowan.get_full_name() == "Rowan Reed"


def test_export_command_writes_json_to_a_file(tmp_path):
    example = worked_example()
    target = tmp_path / "out.json"
    call_command(
        "export_report",
        "--format=json",
        f"--article={example['articles'][0].pk}",
        f"--output={target}",
        "--no-progress",
    )
    data = json.loads(target.read_text(encoding="utf-8"))
    assert len(data["articles"]) == 1


def test_export_command_writes_to_stdout_and_import_command_restores(tmp_path, capsys):
    worked_example()
    call_command("export_report", "--format=json", "--scope=internal", "--no-progress")
    text = capsys.readouterr().out
    wipe_database()
    path = tmp_path / "backup.json"
    path.write_text(text, encoding="utf-8")
    call_command("import_report", str(path))
    assert "articles: 2 created" in capsys.readouterr().out
    assert export_json() == text
