"""Both JSON import commands refuse absurdly nested files in one line and write nothing."""

import json

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Article, Claim, Comment, Source, User
from tests.export_helpers import worked_example, worked_example_by_the_rules
from tests.test_export_json import export_json, wipe_database

pytestmark = pytest.mark.django_db

DEPTH = 50_000
# shape → (text, the column of the first bracket too deep: the 101st level)
NESTED = {
    "arrays": ("[" * DEPTH + "]" * DEPTH, 101),
    "objects": ('{"a":' * DEPTH + "1" + "}" * DEPTH, 501),
    "inside an export": (
        '{"schema_version": 1, "articles": ' + "[" * DEPTH + "]" * DEPTH + "}",
        134,
    ),
}


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Article, Claim, Comment, Source, User))


@pytest.mark.parametrize("command", ["import_report", "import_annotations"])
@pytest.mark.parametrize("shape", list(NESTED))
def test_deeply_nested_json_is_refused_in_one_line_and_writes_nothing(tmp_path, command, shape):
    worked_example()
    before = counts()
    path = tmp_path / "nested.json"
    text, column = NESTED[shape]
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command(command, str(path))
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: Too deeply nested")
    assert f"(line 1, column {column})" in message
    assert message.endswith("Nothing was imported.")
    assert counts() == before


def test_the_place_of_the_first_level_too_deep_is_given_by_line_and_column(tmp_path):
    path = tmp_path / "nested.json"
    path.write_text('{\n  "articles": [\n' + "   " + "[" * 200, encoding="utf-8")
    with pytest.raises(CommandError, match=r"Too deeply nested.*\(line 3, column 102\)"):
        call_command("import_report", str(path))


def test_brackets_and_escaped_quotes_inside_text_are_not_nesting(tmp_path):
    # Text full of brackets and escaped quotes is data: it must not count as depth, and a
    # string must end where JSON says it does.
    worked_example_by_the_rules()
    tricky = '\\"[' * 3_000 + '"{' * 3_000 + "\\" + "]"
    Claim.objects.filter(pk=Claim.objects.order_by("pk")[0].pk).update(statement=tricky)
    text = export_json()
    assert json.loads(text)  # Python's own parser reads it
    wipe_database()
    path = tmp_path / "tricky.json"
    path.write_text(text, encoding="utf-8")
    call_command("import_report", str(path))
    assert Claim.objects.filter(statement=tricky).exists()
    assert export_json() == text
