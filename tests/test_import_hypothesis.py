"""Hypothesis's own files, as they are: API search results and the client's export.

The fixtures (tests/fixtures/hypothesis/) have the shape Hypothesis writes — ``rows`` with
``RangeSelector``, ``TextPositionSelector`` and ``TextQuoteSelector`` targets whose offsets and
context are those of the whole page (headline and byline included) — on an invented article,
``library-hours.txt`` (the cleaned body the app keeps).
"""

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.importers.w3c import W3CImportError, import_annotations
from annotations.models import Article, Claim, Comment, User
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "hypothesis"
PAGE = "https://www.riverside-courier.example/news/2024/03/12/library-weekend-opening"
SEARCH_RESULTS = FIXTURES / "search-results.json"
CLIENT_EXPORT = FIXTURES / "client-export.json"
# Annotation ids in the fixtures.
VISITORS, COST, HEADLINE, PAGE_NOTE, REPLY, HIGHLIGHT, OTHER_PAGE = (
    "Kq3vT0nREe-2pFd8c1Xw9A",
    "Lb7xQ1nREe-9mT2aRk4u0g",
    "Mc1yR2nREe-4kP9bSs7v1h",
    "Nd5zS3nREe-1qW6cTt8w2i",
    "Oe8aT4nREe-7rX3dUu9x3j",
    "Pf2bU5nREe-3sY8eVv0y4k",
    "Qg6cV6nREe-8tZ1fWw1z5l",
)


@pytest.fixture
def article():
    body = (FIXTURES / "library-hours.txt").read_text(encoding="utf-8").strip()
    return ArticleFactory(url=PAGE, body=body)


@pytest.fixture
def importer():
    return UserFactory(username="desk")


def rows() -> list[dict]:
    return json.loads(SEARCH_RESULTS.read_text(encoding="utf-8"))["rows"]


def row(annotation_id: str) -> dict:
    return next(r for r in rows() if r["id"] == annotation_id)


def test_search_results_become_claims_with_their_text_tags_and_time(article, importer):
    result = import_annotations(SEARCH_RESULTS.read_bytes(), user=importer)
    assert result.format == "a Hypothesis API search result"
    claims = {c.quote: c for c in result.created}
    assert set(claims) == {
        "more than 4,000 visitors over eight weekends",
        "£120,000 a year",
        "from 14 to 17",
    }
    visitors = claims["more than 4,000 visitors over eight weekends"]
    assert article.body[visitors.start : visitors.end] == visitors.quote
    assert visitors.statement == (
        "Trial figure: the council's autumn report should give the exact count."
    )
    assert visitors.tags == ["figures", "council"]
    assert visitors.created_at == dt.datetime(2024, 3, 12, 9, 14, 5, 481203, tzinfo=dt.UTC)
    # Markdown is kept as written; a highlight without text keeps its tags.
    assert claims["£120,000 a year"].statement.startswith("Is **£120,000** the full-year cost")
    assert (claims["from 14 to 17"].statement, claims["from 14 to 17"].tags) == ("", ["staffing"])


def test_the_hypothesis_user_is_the_author_in_history_never_a_login(article, importer):
    # Someone here happens to have the same user name: they did not write it.
    namesake = UserFactory(username="amira_k")
    users_before = User.objects.count()
    result = import_annotations(SEARCH_RESULTS.read_bytes(), user=importer)
    visitors = next(c for c in result.created if c.quote.startswith("more than 4,000"))
    assert visitors.created_by == importer != namesake
    record = visitors.history.get()
    assert record.history_change_reason == (
        f"Imported from Hypothesis annotation {VISITORS} by acct:amira_k@hypothes.is (Amira Kovač)"
    )
    assert record.history_user == importer
    cost = next(c for c in result.created if c.quote == "£120,000 a year")
    assert cost.history.get().history_change_reason.endswith("by acct:tomas_r@hypothes.is")
    assert User.objects.count() == users_before


def test_a_reply_becomes_a_comment_on_the_claim_its_root_became(article, importer):
    import_annotations(SEARCH_RESULTS.read_bytes(), user=importer)
    claim = Claim.objects.get(quote="more than 4,000 visitors over eight weekends")
    comment = claim.comments.get()
    assert comment.body == (
        "From Hypothesis, by acct:lena_m@hypothes.is (Lena Moss):\n"
        "The report says 4,112 visitors over the eight weekends."
    )
    assert comment.author == importer
    assert comment.created_at == dt.datetime(2024, 3, 12, 10, 2, 13, 667391, tzinfo=dt.UTC)
    assert Claim.objects.count() == 3  # the reply is not a claim of its own


def test_page_notes_unknown_pages_and_misplaced_quotes_are_reported_with_the_reason(article):
    result = import_annotations(SEARCH_RESULTS.read_bytes())
    reasons = {u.annotation: u.reason for u in result.unanchored}
    assert set(reasons) == {PAGE_NOTE, OTHER_PAGE, HEADLINE}
    assert reasons[PAGE_NOTE] == "a page note: it annotates the whole page, not a passage"
    assert reasons[OTHER_PAGE] == (
        "no article has the address "
        "https://www.riverside-courier.example/news/2024/03/11/bus-shelters-solar"
    )
    # The headline was stripped from the body; the same words further down, in quotation
    # marks, have neither its prefix nor its suffix around them.
    assert "not where its surrounding words are" in reasons[HEADLINE]
    assert f"NOT ANCHORED {HEADLINE}: " in "\n".join(result.lines())


def test_the_client_export_file_is_imported_as_it_is(article):
    result = import_annotations(CLIENT_EXPORT.read_bytes())
    assert result.format == "a Hypothesis client export"
    assert sorted(c.quote for c in result.created) == [
        "from 14 to 17",
        "more than 4,000 visitors over eight weekends",
    ]
    assert [u.annotation for u in result.unanchored] == [HEADLINE]


def test_importing_again_or_from_the_other_file_duplicates_nothing(article):
    import_annotations(SEARCH_RESULTS.read_bytes())
    again = import_annotations(SEARCH_RESULTS.read_bytes())
    assert again.created == [] and again.comments_added == 0
    assert sorted(again.already_imported) == sorted([VISITORS, COST, HIGHLIGHT, REPLY])
    # The client's export holds some of the same annotations.
    assert import_annotations(CLIENT_EXPORT.read_bytes()).created == []
    assert Claim.objects.count() == 3 and Comment.objects.count() == 1


def test_an_edited_annotation_imported_again_is_not_a_second_claim(article):
    import_annotations(SEARCH_RESULTS.read_bytes())
    edited = row(COST)
    edited["text"] = "Edited on Hypothesis since the first import."
    edited["updated"] = "2024-03-20T08:00:00.000000+00:00"
    result = import_annotations({"total": 1, "rows": [edited]})
    assert result.already_imported == [COST]
    assert Claim.objects.filter(quote="£120,000 a year").count() == 1


def test_a_reply_in_a_later_file_finds_the_claim_its_root_became(article):
    import_annotations({"total": 1, "rows": [row(VISITORS)]})
    result = import_annotations({"total": 1, "rows": [row(REPLY)]})
    assert (result.created, result.comments_added) == ([], 1)
    claim = Claim.objects.get()
    assert "4,112 visitors" in claim.comments.get().body


def test_a_reply_whose_root_was_not_anchored_is_reported():
    ArticleFactory(url=PAGE, body="Nothing of what the annotations quote is here.")
    result = import_annotations({"total": 2, "rows": [row(VISITORS), row(REPLY)]})
    reasons = {u.annotation: u.reason for u in result.unanchored}
    assert reasons[REPLY].startswith(f"a reply to annotation {VISITORS}, which is not anchored:")
    assert Comment.objects.count() == 0


def test_a_page_known_by_its_document_link_is_matched(article):
    annotation = row(COST)
    moved = "https://m.riverside-courier.example/library-weekend-opening?ref=home"
    annotation["uri"] = annotation["target"][0]["source"] = moved
    annotation["document"]["link"] = [{"href": moved}, {"href": PAGE, "rel": "canonical"}]
    [claim] = import_annotations([annotation]).created
    assert claim.article == article


def test_the_command_reads_search_results_and_lists_what_it_could_not_anchor(article, capsys):
    UserFactory(username="desk")
    call_command("import_annotations", str(SEARCH_RESULTS), "--user", "desk")
    out, err = capsys.readouterr()
    assert out.startswith(
        "3 claim(s) created, 1 comment(s) added, 3 not anchored (a Hypothesis API search result)"
    )
    assert f"NOT ANCHORED {PAGE_NOTE}: a page note" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data["rows"][2].update(tags="figures"), r"rows\[2\] .*'tags' must be a list"),
        (lambda data: data["rows"][0].update(created="yesterday"), r"'created' must be a date"),
        (lambda data: data["rows"][1].pop("id"), r"rows\[1\]: 'id' must be"),
        (lambda data: data.update(rows={"id": "x"}), r"'rows' must be a list"),
        (
            lambda data: data["rows"][4]["target"][0]["selector"][2].update(exact=None),
            r"TextQuoteSelector needs one string 'exact'",
        ),
    ],
)
def test_a_malformed_hypothesis_file_is_refused_whole_in_one_line(
    change, message, article, tmp_path
):
    data = json.loads(SEARCH_RESULTS.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match=message) as error:
        call_command("import_annotations", str(path))
    assert "\n" not in str(error.value)
    assert str(error.value).endswith("Nothing was imported.")
    assert Claim.objects.count() == Comment.objects.count() == 0


def test_a_list_of_annotations_with_one_malformed_is_refused_as_hypothesis(article):
    annotations = [row(VISITORS), row(COST) | {"tags": "budget"}, "not an annotation"]
    with pytest.raises(W3CImportError, match=r"^item 2 \(annotation Lb7x.*'tags' must be a list"):
        import_annotations(annotations)
    assert Claim.objects.count() == 0


def test_strict_mode_reads_w3c_only(article):
    with pytest.raises(W3CImportError, match="Hypothesis API search result, not W3C"):
        import_annotations(SEARCH_RESULTS.read_bytes(), strict=True)
    assert Claim.objects.count() == 0
    with pytest.raises(CommandError, match="Hypothesis client export, not W3C"):
        call_command("import_annotations", str(CLIENT_EXPORT), "--strict", stderr=io.StringIO())


def test_an_article_is_matched_however_its_address_is_spelled(importer):
    article = ArticleFactory(url=PAGE.replace("https://www.", "https://WWW."), body="x")
    article.body = (FIXTURES / "library-hours.txt").read_text(encoding="utf-8").strip()
    article.save()
    annotation = row(COST)
    annotation["uri"] = annotation["target"][0]["source"] = PAGE + "?utm_source=newsletter"
    [claim] = import_annotations([annotation]).created
    assert Article.objects.get() == claim.article


def test_a_highlight_of_the_page_headline_becomes_a_headline_claim():
    # The page's <h1> is the article's title: the annotation's quote is not in the body (only
    # further down, in quotation marks, with other words around it), but it is the headline.
    body = (FIXTURES / "library-hours.txt").read_text(encoding="utf-8").strip()
    article = ArticleFactory(url=PAGE, body=body, title="Library extends weekend opening hours")
    result = import_annotations([row(HEADLINE)])
    [claim] = result.created
    assert (claim.article, claim.part, claim.start, claim.end) == (article, "headline", 0, 37)
    assert claim.statement == "Headline overstates it: only Sundays are new."
    assert result.unanchored == []
