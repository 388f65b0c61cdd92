import csv
import io

import pytest

from annotations.exporters import FORMATS
from annotations.exporters.csv import neutralise
from annotations.exporters.scope import DRAFT_LABEL, Scope
from annotations.models import Article
from tests.export_helpers import worked_example

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def export(name="csv", scope=Scope.INTERNAL) -> str:
    out = io.StringIO()
    FORMATS[name].write(Article.objects.all(), scope, out)
    return out.getvalue()


def parse(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_one_row_per_claim_with_verdict_and_draft_status():
    worked_example()
    rows = parse(export())
    assert len(rows) == 8
    assert {row["status"] for row in rows} == {"Approved", DRAFT_LABEL}
    accurate = next(row for row in rows if row["verdict"] == "Accurate")
    assert accurate["verdict_rating"] == "5"
    assert accurate["claimant"] == "City Transport Authority"
    assert accurate["approved_by"] == "ellis"


def test_published_csv_has_no_unapproved_claim():
    worked_example()
    rows = parse(export(scope=Scope.PUBLISHED))
    assert len(rows) == 6
    assert {row["state"] for row in rows} == {"Approved"}


def test_one_row_per_citation():
    example = worked_example()
    rows = parse(export("csv-citations"))
    assert len(rows) == 4
    contradicting = [row for row in rows if row["relation"] == "Contradicts"]
    assert contradicting[0]["source_url"] == example["sources"][1].url
    assert contradicting[0]["passage"] == "81% on time"
    assert contradicting[0]["locator"] == "p. 4"


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["12.4 million", "", "a=b", "'quoted", 42])
def test_ordinary_cells_are_left_alone(value):
    assert neutralise(value) == str(value)


def test_csv_parses_back_to_the_same_values_apart_from_the_formula_prefix():
    example = worked_example(n_articles=1)
    awkward = 'Says "hello", then\nnew line; ends with comma,'
    for claim, text in zip(example["approved"], [HOSTILE[0], awkward, HOSTILE[2]], strict=True):
        claim.statement = text
        claim.claimant = "@handle"
        claim.save()
    rows = parse(export(scope=Scope.PUBLISHED))
    statements = [row["statement"] for row in rows]
    assert statements == ["'" + HOSTILE[0], awkward, "'" + HOSTILE[2]]
    assert {row["claimant"] for row in rows} == {"'@handle"}
    for row in rows:
        restored = {
            k: v[1:] if v.startswith("'") and v[1:2] in "=+-@\t\r" else v for k, v in row.items()
        }
        assert not any(v.startswith(("=", "+", "@")) for v in row.values())
        assert restored["statement"] in {HOSTILE[0], awkward, HOSTILE[2]}


def test_quoting_follows_rfc_4180():
    example = worked_example(n_articles=1)
    claim = example["approved"][0]
    claim.statement = 'He said "yes", twice'
    claim.save()
    text = export(scope=Scope.PUBLISHED)
    assert '"He said ""yes"", twice"' in text
    assert "\r\n" in text


def test_an_orphan_is_listed_with_its_last_known_quote_and_why(client):
    example = worked_example()
    approved = example["approved"][0]
    approved.orphan("the quoted text is not in the article")
    approved.save()
    rows = parse(export(scope=Scope.PUBLISHED))
    orphan = next(row for row in rows if row["orphaned"])
    assert orphan["quote"] == approved.quote
    assert orphan["orphaned"] == "the quoted text is not in the article"
    assert sum(1 for row in rows if row["orphaned"]) == 1
    report = FORMATS["markdown"]
    out = io.StringIO()
    report.write(Article.objects.filter(pk=approved.article_id), Scope.PUBLISHED, out)
    assert "_Last known quote: the article's current text no longer holds it" in out.getvalue()
    html = io.StringIO()
    FORMATS["html"].write(Article.objects.filter(pk=approved.article_id), Scope.PUBLISHED, html)
    assert 'class="orphan-note"' in html.getvalue()
