"""Figures stored with claims: read when a claim is made and whenever its words change,
shown in the claim panel, corrected or removed by reviewers (never overwritten silently),
and read for existing claims by ``manage.py extract_figures``. Invented articles only."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations import anchoring
from annotations.models import Claim, ClaimFigure, ClaimRevision, Verdict
from tests.factories import ArticleFactory, CitationFactory

pytestmark = pytest.mark.django_db

FERRY = (
    "The island ferry carried 412,000 passengers in 2023, the operator said.\n\n"
    "Timetables show about 18 crossings a day in summer, up from 12 in 2019.\n\n"
    "Some councillors say tens of thousands of visitors never find a seat."
)
RELATED = {"HX-Request": "true", "HX-Target": "claim-related"}


@pytest.fixture
def ferry():
    return ArticleFactory(title="Ferry numbers", body=FERRY, raw_text=FERRY)


def claim_on(article, words, by, statement=""):
    start = article.body.index(words)
    return Claim.objects.create_from_selection(
        article, start, start + len(words), words, by=by, statement=statement
    )


def readings(claim):
    return [
        (f.source, f.text, f.value, f.counted, f.period, f.status)
        for f in ClaimFigure.objects.filter(claim=claim).order_by("source", "start")
    ]


def related_url(claim):
    return reverse("annotations:claim-related", args=[claim.article_id, claim.pk])


def figure_url(name, figure):
    claim = figure.claim
    return reverse(f"annotations:{name}", args=[claim.article_id, claim.pk, figure.pk])


def correction(figure, **values):
    prefix = f"figure-{figure.pk}-"
    data = {
        "version": figure.version,
        "low": "",
        "high": "",
        "unit": figure.unit,
        "kind": figure.kind,
        "counted": figure.counted,
        "period": figure.period,
        "direction": figure.direction,
        "qualifier": figure.qualifier,
        "note": "",
    } | values
    return {prefix + name: value for name, value in data.items()}


# --- Read when the words change -------------------------------------------------------------------


def test_a_new_claim_stores_the_figures_of_its_quote_and_statement(ferry, reviewer):
    claim = claim_on(
        ferry,
        "The island ferry carried 412,000 passengers in 2023, the operator said.",
        reviewer,
        statement="The ferry carried 412k travellers in 2023.",
    )
    assert readings(claim) == [
        ("quote", "412,000", 412000.0, "passenger", "2023", "extracted"),
        ("statement", "412k", 412000.0, "passenger", "2023", "extracted"),
    ]


def test_editing_the_statement_reads_it_again_and_leaves_the_quote_figures_alone(ferry, reviewer):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer, statement="18 a day")
    quote_figure = claim.figures.get(source="quote")
    claim.edit(by=reviewer, version=claim.version, statement="Some 25 crossings a day.")
    assert claim.figures.get(source="quote").pk == quote_figure.pk
    statement_figure = claim.figures.get(source="statement")
    assert (statement_figure.text, statement_figure.value) == ("25", 25.0)
    assert statement_figure.counted == "crossing" and statement_figure.period == "per day"


def test_an_edit_that_changes_no_words_writes_no_figures(
    ferry, reviewer, django_assert_num_queries
):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer, statement="18 a day")
    claim.refresh_from_db()
    # A save without new words reads nothing: one UPDATE of the claim, one history row.
    with django_assert_num_queries(2):
        claim.category = Claim.Category.STATISTIC
        claim.save()


def test_an_unreadable_figure_is_stored_as_text_and_never_compared(ferry, reviewer):
    claim = claim_on(ferry, "tens of thousands of visitors never find a seat", reviewer)
    figure = claim.figures.get()
    assert (figure.text, figure.readable, figure.value) == ("tens of thousands", False, None)
    assert not ClaimFigure.objects.in_use().filter(claim=claim).exists()
    assert "unreadable" in figure.shown_value


def test_an_approved_claim_keeps_its_figures_until_the_change_is_approved(
    ferry, reviewer, reviewer2, editor
):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer, statement="18 a day")
    CitationFactory(claim=claim)
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=Verdict.objects.first())
    claim.approve(by=editor, version=claim.version)
    claim.edit(by=reviewer2, version=claim.version, statement="30 a day", reason="Timetable")
    assert claim.figures.get(source="statement").value == 18.0  # only proposed so far
    other_editor = type(editor).objects.create_user("eve")
    other_editor.groups.add(*editor.groups.all())
    claim.refresh_from_db()
    claim.approve_revision(by=other_editor, version=claim.version)
    assert ClaimRevision.objects.get().state == ClaimRevision.State.APPROVED
    assert claim.figures.get(source="statement").value == 30.0


# --- Reviewers correct and remove -----------------------------------------------------------------


def test_a_correction_survives_new_words_and_the_reader_does_not_add_the_figure_again(
    ferry, reviewer
):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer, statement="18 a day")
    figure = claim.figures.get(source="statement")
    reading = {name: getattr(figure, name) for name in ClaimFigure.READING}
    figure.correct(by=reviewer, version=figure.version, note="Weekdays only", **reading | {
        "value": 16.0, "low": 16.0, "high": 16.0})  # fmt: skip
    claim.edit(by=reviewer, version=claim.version, statement="Ferries: 18 a day, 5 at night.")
    rows = list(claim.figures.filter(source="statement").order_by("start"))
    assert [(f.text, f.value, f.status) for f in rows] == [
        ("18", 16.0, "corrected"),
        ("5", 5.0, "extracted"),
    ]
    assert rows[0].extracted["value"] == 18.0 and rows[0].corrected_by == reviewer


def test_a_correction_whose_words_leave_the_text_is_kept_marked_and_not_compared(ferry, reviewer):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer, statement="18 a day")
    figure = claim.figures.get(source="statement")
    figure.remove(by=reviewer, version=figure.version, note="Not a daily count")
    claim.edit(by=reviewer, version=claim.version, statement="Twenty crossings a day.")
    kept = ClaimFigure.objects.get(pk=figure.pk)
    assert kept.status == "removed" and kept.detached and kept.note == "Not a daily count"
    fresh = claim.figures.get(source="statement", status="extracted")
    assert fresh.value == 20.0


def test_a_removed_figure_is_not_read_again_while_its_words_stay(ferry, reviewer):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer, statement="18 a day")
    figure = claim.figures.get(source="quote")
    figure.remove(by=reviewer, version=figure.version, note="Seasonal")
    claim.edit(by=reviewer, version=claim.version, statement="About 18 a day.")
    assert [f.status for f in claim.figures.filter(source="quote")] == ["removed"]


def test_panel_region_lists_the_figures_with_their_reading(client, ferry, reviewer):
    claim = claim_on(ferry, "tens of thousands of visitors never find a seat", reviewer,
                     statement="At least 40,000 visitors a year stand.")  # fmt: skip
    client.force_login(reviewer)
    html = client.get(related_url(claim), headers=RELATED).content.decode()
    assert "<html" not in html and 'id="claim-related"' in html
    assert "“tens of thousands”" in html and "unreadable: not compared until corrected" in html
    assert "at least 40,000 visitor, per year" in html
    # The panel itself loads the region after it is drawn.
    panel = client.get(
        reverse("annotations:claim-detail", args=[ferry.pk, claim.pk]),
        headers={"HX-Request": "true", "HX-Target": "claim-panel"},
    ).content.decode()
    assert f'hx-get="{related_url(claim)}"' in panel and 'hx-trigger="load"' in panel


def test_a_reviewer_corrects_an_unreadable_figure_through_the_panel(client, ferry, reviewer):
    claim = claim_on(ferry, "tens of thousands of visitors never find a seat", reviewer)
    figure = claim.figures.get()
    client.force_login(reviewer)
    response = client.post(
        figure_url("claim-figure-update", figure),
        correction(figure, low="30k", counted="Visitors", period="per year", note="Survey"),
        headers=RELATED,
    )
    html = response.content.decode()
    assert "corrected" in html and "30,000 visitor, per year" in html
    figure.refresh_from_db()
    assert (figure.value, figure.readable, figure.status, figure.version) == (
        30000.0, True, "corrected", 2)  # fmt: skip
    assert figure.extracted["readable"] is False and figure.note == "Survey"
    assert ClaimFigure.objects.in_use().filter(pk=figure.pk).exists()


def test_a_range_correction_keeps_both_bounds(client, ferry, reviewer):
    claim = claim_on(ferry, "tens of thousands of visitors never find a seat", reviewer)
    figure = claim.figures.get()
    client.force_login(reviewer)
    client.post(
        figure_url("claim-figure-update", figure),
        correction(figure, low="20,000", high="forty thousand", counted="visitor"),
        headers=RELATED,
    )
    figure.refresh_from_db()
    assert (figure.value, figure.low, figure.high) == (None, 20000.0, 40000.0)
    assert figure.shown_value == "20,000–40,000"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"low": "lots"}, "“lots” cannot be read as one number"),
        ({"low": "1,50"}, "“1,50” cannot be read as one number"),
        ({"low": "500", "high": "400"}, "The upper bound is below the lower one."),
        ({"low": ""}, "This field is required."),
    ],
)
def test_a_correction_that_cannot_be_read_says_why_and_changes_nothing(
    client, ferry, reviewer, values, message
):
    claim = claim_on(ferry, "tens of thousands of visitors never find a seat", reviewer)
    figure = claim.figures.get()
    client.force_login(reviewer)
    html = client.post(
        figure_url("claim-figure-update", figure), correction(figure, **values), headers=RELATED
    ).content.decode()
    assert message in html.replace("&quot;", '"')
    # What was typed stays in the open form.
    assert '<details class="figure-correct" open>' in html
    figure.refresh_from_db()
    assert figure.status == "extracted" and figure.version == 1 and not figure.readable


def test_a_stale_correction_is_refused_and_shows_the_newer_figure(
    client, ferry, reviewer, reviewer2
):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer)
    figure = claim.figures.get()
    form = correction(figure, low="17")
    reading = {name: getattr(figure, name) for name in ClaimFigure.READING}
    figure.correct(by=reviewer2, version=1, **reading | {"value": 19.0, "low": 19.0, "high": 19.0})
    client.force_login(reviewer)
    html = client.post(
        figure_url("claim-figure-update", figure), form, headers=RELATED
    ).content.decode()
    assert "Someone else changed this figure" in html
    assert "Now: about 19 crossing, per day (version 2)" in html
    assert 'value="17"' in html  # what the reviewer typed is kept, now on version 2
    assert re.search(rf'name="figure-{figure.pk}-version" value="2"', html)
    figure.refresh_from_db()
    assert figure.value == 19.0 and figure.corrected_by == reviewer2


def test_removing_a_figure_needs_a_reason_and_keeps_the_row(client, ferry, reviewer):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer)
    figure = claim.figures.get()
    client.force_login(reviewer)
    address = figure_url("claim-figure-remove", figure)
    prefix = f"remove-{figure.pk}-"
    html = client.post(address, {prefix + "version": 1, prefix + "note": ""}, headers=RELATED)
    assert "This field is required." in html.content.decode()
    assert ClaimFigure.objects.get(pk=figure.pk).status == "extracted"
    html = client.post(
        address, {prefix + "version": 1, prefix + "note": "A timetable, not a count"},
        headers=RELATED,
    ).content.decode()  # fmt: skip
    assert "removed from the comparisons" in html and "A timetable, not a count" in html
    figure.refresh_from_db()
    assert figure.status == "removed" and not ClaimFigure.objects.in_use().exists()


def test_figures_of_another_claim_or_article_are_404(client, ferry, reviewer):
    claim = claim_on(ferry, "about 18 crossings a day in summer", reviewer)
    other = claim_on(ArticleFactory(), "12.4 million passengers", reviewer)
    figure = other.figures.get()
    client.force_login(reviewer)
    address = reverse(
        "annotations:claim-figure-update", args=[claim.article_id, claim.pk, figure.pk]
    )
    assert client.post(address, correction(figure, low="1")).status_code == 404
    assert ClaimFigure.objects.get(pk=figure.pk).version == 1


# --- Backfill -------------------------------------------------------------------------------------


def test_extract_figures_reads_claims_written_in_bulk_and_keeps_corrections(ferry, reviewer):
    rows = []
    for words in ("412,000 passengers in 2023", "about 18 crossings a day"):
        start = ferry.body.index(words)
        claim = Claim(article=ferry, statement="Up 40% since 2019.")
        claim.set_span(anchoring.selector_for(ferry.body, start, start + len(words)))
        rows.append(claim)
    first, second = Claim.objects.bulk_create(rows)  # as imports and benchmarks write them
    assert not ClaimFigure.objects.exists()
    out = StringIO()
    call_command("extract_figures", "--no-progress", stdout=out)
    assert "Read 2 claims: figures changed in 2." in out.getvalue()
    assert [r[1:3] for r in readings(first)] == [("412,000", 412000.0), ("Up 40%", 40.0)]
    corrected = second.figures.get(source="quote")
    reading = {name: getattr(corrected, name) for name in ClaimFigure.READING}
    corrected.correct(
        by=reviewer, version=1, **reading | {"value": 20.0, "low": 20.0, "high": 20.0}
    )
    out = StringIO()
    call_command("extract_figures", "--no-progress", stdout=out)
    assert "figures changed in 0." in out.getvalue()  # nothing rewritten on a second run
    assert ClaimFigure.objects.get(pk=corrected.pk).value == 20.0


@pytest.mark.django_db(transaction=True)
def test_a_claim_whose_index_keys_cannot_be_filed_is_not_saved_half(monkeypatch, reviewer):
    from django.db import DatabaseError

    from annotations.models import ClaimKey

    article = ArticleFactory(title="Ferry numbers", body=FERRY, raw_text=FERRY)

    def failing(*args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(type(ClaimKey.objects), "file", failing)
    with pytest.raises(DatabaseError):
        claim_on(article, "412,000 passengers", reviewer)
    # The row, its history row and its figures went with the keys: no claim the index misses.
    assert not Claim.objects.exists()
    assert not Claim.history.exists()
    assert not ClaimFigure.objects.exists()
