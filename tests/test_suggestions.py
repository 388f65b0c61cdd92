"""Check-worthy suggestions: sentences, scores and reasons, the claim they prefill, storage at
import, dismissals kept across re-computation, the reader, the dashboard, the backfill."""

import json
import re

from django.core.management import call_command
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations import checkworthy
from annotations.importers import import_document
from annotations.models import Article, Claim, Suggestion, SuggestionDismissal
from tests.factories import ArticleFactory, ClaimFactory, UserFactory
from tests.shared_material import SEEDS_DIR, require

FERRY = "\n\n".join(
    [
        "Harbour ferry to stop at night",
        "The harbour ferry will stop running after 9pm from March, the council said on Monday.",
        "Passenger numbers fell by a third last year, to 410,000, according to the Harbour "
        "Transport Authority.",
        "“We cannot keep an empty boat going at midnight,” said Dana Whitlock, the council’s "
        "transport lead.",
        "Residents on the island say the cut will leave night-shift workers stranded.",
        "What happens to the nurses on the late shift?",
        "The Office for Island Statistics estimates that 1,200 people commute by ferry each day.",
        "Sign up to our newsletter for the latest harbour news.",
    ]
)


def reader_url(article):
    return reverse("annotations:article-detail", args=[article.pk])


def suggestion_data(html: str) -> list[dict]:
    found = re.search(r'<script id="suggestion-data" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


def sentence_of(article, suggestion) -> str:
    return article.body[suggestion.start : suggestion.end]


# --- Sentences -----------------------------------------------------------------------------------


def test_sentences_keep_abbreviations_decimals_initials_and_quotes_whole():
    text = (
        "Dr. Amara Lewis said the rate rose 3.5% in 2019. “Is that enough?” she asked. "
        "The U.S. figure was 2.4 million. J. K. Rowling wrote it.\n"
        "A new line is a new sentence"
    )
    sentences = checkworthy.split_sentences(text)
    assert [s.text for s in sentences] == [
        "Dr. Amara Lewis said the rate rose 3.5% in 2019.",
        "“Is that enough?” she asked.",
        "The U.S. figure was 2.4 million.",
        "J. K. Rowling wrote it.",
        "A new line is a new sentence",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_sentence_offsets_count_code_points_past_emoji_and_odd_spacing():
    text = "Fans 😀 cheered.  Ticket sales   rose 40% in May.\n\n\nThe end came."
    sentences = checkworthy.split_sentences(text)
    assert [text[s.start : s.end] for s in sentences] == [
        "Fans 😀 cheered.",
        "Ticket sales   rose 40% in May.",
        "The end came.",
    ]


# --- Scores, reasons and the claim they prefill --------------------------------------------------


def by_sentence(text):
    return {a.text: a for a in checkworthy.assess(text)}


def test_a_figure_with_its_source_is_suggested_with_the_reasons_and_prefill():
    found = by_sentence(FERRY)[
        "Passenger numbers fell by a third last year, to 410,000, according to the Harbour "
        "Transport Authority."
    ]
    assert found.suggested
    assert found.reasons == ("figure", "comparison", "attribution", "official")
    assert found.category == Claim.Category.STATISTIC
    assert found.claimant == "the Harbour Transport Authority"
    assert found.statement.startswith("Passenger numbers fell by a third last year")


def test_a_figure_under_a_heading_line_is_read_as_in_its_sentence_alone():
    """A heading's capitalised words above are not a name for the number that starts the next
    line ("Channel 4" is a name; "Harbour Board" then "250 jobs" is not): figures are read
    line by line, never across a line break."""
    headed = "News from Harbour Board\n250 jobs were lost at the plant last year."
    alone = "250 jobs were lost at the plant last year."

    [heading, sentence] = checkworthy.assess(headed)
    [expected] = checkworthy.assess(alone)

    assert not heading.suggested
    assert sentence.suggested and "figure" in sentence.reasons
    assert (sentence.score, sentence.reasons, sentence.figures, sentence.category) == (
        expected.score,
        expected.reasons,
        expected.figures,
        expected.category,
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Update From The Harbour Board",
                "Ferry Fares",
                "300 passengers were turned away on Monday.",
                "Fares rose by 12% to £4.50, the operator said.",
                "Some 40 crossings were cancelled, up from 25 a year earlier.",
                "The council expects the bridge to cost £2.3m by 2027.",
                "Channel 4 reported the delays.",
            ]
        ),
        min_size=1,
        max_size=6,
    )
)
def test_figures_of_each_line_are_what_each_sentence_alone_has(lines):
    """Reading the figures of a whole text at once gives each sentence the figures it has
    read on its own."""
    text = "\n".join(lines)
    together = checkworthy.assess(text)
    alone = [a for line in lines for a in checkworthy.assess(line)]
    assert [(a.text, a.score, a.reasons, a.figures) for a in together] == [
        (a.text, a.score, a.reasons, a.figures) for a in alone
    ]


def test_claimant_is_read_from_the_attribution_in_its_several_shapes():
    claimant = checkworthy.claimant_in
    assert claimant("The Office for Island Statistics estimates that 1,200 people commute.") == (
        "the Office for Island Statistics"
    )
    assert claimant("“It is 40% cheaper,” said Dana Whitlock, the council’s lead.") == (
        "Dana Whitlock"
    )
    assert (
        claimant(
            "Dana Whitlock, the council’s transport lead, told the Gazette that 2,000 people "
            "signed."
        )
        == "Dana Whitlock"
    )
    assert claimant("Figures from the Ministry of Transport show a 12% rise.") == (
        "the Ministry of Transport"
    )
    assert claimant("“It is 40% cheaper,” he said.") == ""


def test_questions_opinions_furniture_and_fragments_are_not_suggested():
    found = by_sentence(FERRY)
    assert not found["What happens to the nurses on the late shift?"].suggested
    assert not found["Sign up to our newsletter for the latest harbour news."].suggested
    assert not found["Harbour ferry to stop at night"].suggested
    opinion = by_sentence("I think the council should be ashamed of this decision.")
    assert all(not a.suggested for a in opinion.values())


def test_a_long_sentence_is_trimmed_to_the_clause_with_the_figure():
    sentence = (
        "The council, which has run the ferry since the bridge closed and which says it has "
        "tried every other way of saving money, spent £4.2m on the service last year; critics "
        "say the island has been let down for a decade by a string of broken promises."
    )
    (found,) = checkworthy.assess(sentence)
    quote = sentence[found.quote_start : found.quote_end]
    assert "£4.2m" in quote and "critics" not in quote
    assert found.quote_end - found.quote_start < len(sentence)


def test_a_causal_claim_and_a_prediction_get_their_categories():
    found = by_sentence(
        "The closures were caused by a shortage of engineers, the union said. "
        "Officials expect the new timetable to be set by next year."
    )
    assert found[
        "The closures were caused by a shortage of engineers, the union said."
    ].category == (Claim.Category.CAUSAL)
    prediction = found["Officials expect the new timetable to be set by next year."]
    assert "prediction" in prediction.reasons


def test_seed_articles_get_their_figures_suggested_with_the_named_source():
    seeds = require(SEEDS_DIR, "The seed corpus")
    suggested = {}
    for path in sorted(seeds.glob("0*.txt")):
        for found in checkworthy.assess(path.read_text()):
            if found.suggested:
                suggested[found.text] = found
    crime_agency = [a for a in suggested.values() if "300,000" in a.text]
    assert crime_agency and crime_agency[0].claimant == "the National Crime Agency"
    assert any(a.claimant == "Simon Bailey" for a in suggested.values())
    assert any("up 700" in a.text.lower() or "700%" in a.text for a in suggested.values())


def test_storing_suggests_exactly_the_sentences_the_full_assessment_marks():
    """Storing takes a shortcut (``checkworthy.suggestions`` stops looking at a sentence once no
    reason left could make it a suggestion): on the labelled set and the seed articles it gives
    what ``assess`` marks suggested, prefill included, and leaves the rest out."""
    from bench.checkworthy import load_set

    texts = [article.text for article in load_set()]
    texts += [path.read_text() for path in sorted(require(SEEDS_DIR, "The seeds").glob("0*.txt"))]
    stored = 0
    for text in texts:
        suggested = checkworthy.suggestions(text)
        assert suggested == [found for found in checkworthy.assess(text) if found.suggested]
        stored += len(suggested)
    assert stored > 150  # not vacuous: the set and the seeds hold about 200


# --- Stored at import, kept dismissed ------------------------------------------------------------


def test_import_stores_the_suggestions_and_an_update_keeps_a_dismissal(reviewer):
    outcome = import_document("ferry.txt", FERRY.encode(), user=reviewer)
    article = outcome.article
    stored = {sentence_of(article, s): s for s in article.suggestions.all()}
    figure = stored[
        "Passenger numbers fell by a third last year, to 410,000, according to the Harbour "
        "Transport Authority."
    ]
    assert figure.score >= checkworthy.THRESHOLD and "figure" in figure.reasons
    assert "Sign up to our newsletter for the latest harbour news." not in stored

    figure.dismiss(by=reviewer)
    dismissal = SuggestionDismissal.objects.get()
    assert (dismissal.dismissed_by, dismissal.score) == (reviewer, figure.score)
    assert dismissal.reasons == figure.reasons

    # A new version of the text: a paragraph added before it, the dismissed sentence moved.
    changed = FERRY.replace(
        "Passenger numbers",
        "The ferry has run since 1987, when it cost £2 a trip.\n\nPassenger numbers",
    )
    updated = import_document("ferry.txt", changed.encode(), user=reviewer, article=article)
    assert updated.status == "updated"
    article.refresh_from_db()
    again = {sentence_of(article, s): s for s in Suggestion.objects.filter(article=article)}
    moved = next(s for text, s in again.items() if text.startswith("Passenger numbers"))
    assert moved.start > figure.start
    assert moved.dismissal == dismissal
    assert moved not in Suggestion.objects.filter(article=article).unreviewed()
    assert SuggestionDismissal.objects.count() == 1


def test_a_details_edit_leaves_the_suggestions_and_a_new_headline_gets_its_own(reviewer):
    article = ArticleFactory(body=FERRY, title="Ferry to stop at night")
    before = set(article.suggestions.values_list("pk", flat=True))
    article.edit_details(by=reviewer, version=article.version, byline="Sam Reed")
    assert set(article.suggestions.values_list("pk", flat=True)) == before
    assert not article.suggestions.filter(part=Article.Part.HEADLINE).exists()
    headline = "Ferry passengers fell by a third, to 410,000, authority says"
    article.edit_details(by=reviewer, version=article.version, title=headline)
    (suggested,) = article.suggestions.filter(part=Article.Part.HEADLINE)
    assert (suggested.start, suggested.end) == (0, len(headline))
    assert suggested.claimant == ""  # "authority says": no name
    assert article.suggestions.filter(part=Article.Part.BODY).count() == len(before)


def test_standfirst_suggestions_count_from_the_standfirst_and_a_claim_there_reviews_them(
    client, reviewer
):
    standfirst = "Night crossings carried 11 people on average, the council said."
    article = ArticleFactory(title="Night ferry", body=FERRY, standfirst=standfirst)
    (suggested,) = article.suggestions.filter(part=Article.Part.STANDFIRST)
    assert (suggested.start, suggested.end) == (0, len(standfirst))
    # A body claim at the same offsets does not review it; a standfirst claim does.
    ClaimFactory(article=article, start=0, end=5, quote=FERRY[:5])
    unreviewed = Suggestion.objects.filter(article=article).unreviewed()
    assert unreviewed.filter(pk=suggested.pk).exists()
    ClaimFactory(
        article=article, part=Article.Part.STANDFIRST, start=0, end=5, quote=standfirst[:5]
    )
    assert not unreviewed.filter(pk=suggested.pk).exists()
    client.force_login(reviewer)
    data = suggestion_data(client.get(reader_url(article)).content.decode())
    assert all(row["part"] == "body" for row in data)


def test_a_dismissal_outlives_its_sentence_leaving_the_text(reviewer):
    article = ArticleFactory(title="Night ferry", body=FERRY)
    suggestion = article.suggestions.order_by("start").first()
    suggestion.dismiss(by=reviewer)
    article.body = "An entirely different text about 40 new buses, the mayor said."
    article.save()
    assert SuggestionDismissal.objects.filter(article=article).count() == 1
    assert not article.suggestions.filter(dismissal__isnull=False).exists()


# --- The reader ----------------------------------------------------------------------------------


def test_reader_sends_unreviewed_suggestions_with_their_prefill(client, reviewer):
    article = ArticleFactory(title="Night ferry", body=FERRY)
    covered = article.suggestions.order_by("start")[0]
    dismissed = article.suggestions.order_by("start")[1]
    ClaimFactory(
        article=article,
        start=covered.start,
        end=covered.start + 10,
        quote=article.body[covered.start : covered.start + 10],
    )
    dismissed.dismiss(by=reviewer)
    client.force_login(reviewer)
    data = suggestion_data(client.get(reader_url(article)).content.decode())
    ids = [row["id"] for row in data]
    assert covered.pk not in ids and dismissed.pk not in ids
    office = next(row for row in data if "Office for Island Statistics" in row["quote"])
    assert office["claimant"] == "the Office for Island Statistics"
    assert office["category"] == "statistic"
    assert office["quote"] == article.body[office["quote_start"] : office["quote_end"]]
    assert "states a figure" in office["why"]


def test_reader_suggestions_cost_one_query_whatever_their_number(
    client, reviewer, django_assert_num_queries
):
    few = ArticleFactory(title="Night ferry", body=FERRY)
    many = ArticleFactory(title="Night ferry", body="\n\n".join([FERRY] * 30))
    client.force_login(reviewer)
    client.get(reader_url(few))  # warm the session
    for article in (few, many):
        # session, user with their role groups (one query), article, all verdicts, the article's
        # claims, its unreviewed suggestions
        with django_assert_num_queries(6):
            response = client.get(reader_url(article))
    assert len(suggestion_data(response.content.decode())) >= 30 * 3


def test_suggestion_text_is_escaped_in_the_page(client, reviewer):
    article = ArticleFactory(
        title="Late boats",
        body="The agency said 40% of <script>alert(1)</script> boats were late, up from 20%.",
    )
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    assert "<script>alert" not in html
    assert suggestion_data(html)[0]["quote"].startswith("The agency said 40% of <script>")


# --- Dismissing ----------------------------------------------------------------------------------


def dismiss_url(suggestion):
    return reverse("annotations:suggestion-dismiss", args=[suggestion.article_id, suggestion.pk])


def test_dismissing_with_htmx_answers_with_the_suggestions_without_it(client, reviewer):
    article = ArticleFactory(title="Night ferry", body=FERRY)
    first, *rest = article.suggestions.order_by("start")
    client.force_login(reviewer)
    response = client.post(
        dismiss_url(first), headers={"HX-Request": "true", "HX-Target": "suggestions"}
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="suggestions"' in html
    assert "Suggestion dismissed" in html
    assert [row["id"] for row in suggestion_data(html)] == [s.pk for s in rest]
    dismissal = SuggestionDismissal.objects.get()
    assert dismissal.dismissed_by == reviewer and dismissal.dismissed_at
    # Reloaded: still dismissed.
    page = client.get(reader_url(article)).content.decode()
    assert first.pk not in [row["id"] for row in suggestion_data(page)]


def test_dismissing_without_htmx_returns_to_the_reader(client, reviewer):
    article = ArticleFactory(title="Night ferry", body=FERRY)
    suggestion = article.suggestions.first()
    client.force_login(reviewer)
    response = client.post(dismiss_url(suggestion), follow=True)
    assert response.redirect_chain[-1][0] == reader_url(article)
    assert "it will not be suggested again" in response.content.decode()


def test_dismissing_a_suggestion_gone_with_the_text_says_so_and_changes_nothing(client, reviewer):
    article = ArticleFactory(title="Night ferry", body=FERRY)
    suggestion = article.suggestions.first()
    url = dismiss_url(suggestion)
    article.body = FERRY + "\n\nThe mayor said 300 jobs are at risk."
    article.save()
    client.force_login(reviewer)
    response = client.post(url, headers={"HX-Request": "true", "HX-Target": "suggestions"})
    assert response.status_code == 200
    assert "That suggestion is gone" in response.content.decode()
    assert not SuggestionDismissal.objects.exists()


def test_dismissing_needs_a_role_and_a_post(client, reviewer):
    article = ArticleFactory(title="Night ferry", body=FERRY)
    suggestion = article.suggestions.first()
    client.force_login(UserFactory(username="nobody"))
    assert client.post(dismiss_url(suggestion)).status_code == 403
    client.force_login(reviewer)
    assert client.get(dismiss_url(suggestion)).status_code == 405
    other = ArticleFactory()
    wrong = reverse("annotations:suggestion-dismiss", args=[other.pk, suggestion.pk])
    response = client.post(wrong, headers={"HX-Request": "true", "HX-Target": "suggestions"})
    assert "That suggestion is gone" in response.content.decode()
    assert client.post(wrong).status_code == 404
    assert not SuggestionDismissal.objects.exists()


# --- Dashboard and backfill ----------------------------------------------------------------------


def test_dashboard_counts_unreviewed_suggestions_per_article(client, reviewer):
    article = ArticleFactory(title="Night ferry", body=FERRY)
    total = article.suggestions.count()
    article.suggestions.first().dismiss(by=reviewer)
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-list")).content.decode()
    row = html[html.index("Night ferry") :]
    row = row[: row.index("</tr>")]
    assert re.search(rf'class="suggested"[^>]*>{total - 1}</a>', row)


def test_backfill_works_out_suggestions_for_articles_without_any(reviewer):
    article = ArticleFactory(title="Night ferry", body=FERRY)
    article.suggestions.first().dismiss(by=reviewer)
    Suggestion.objects.all().delete()
    Article.objects.filter(pk=article.pk).update(body=FERRY)
    call_command("compute_suggestions", "--missing", "--no-progress", verbosity=0)
    assert article.suggestions.count() >= 3
    assert article.suggestions.filter(dismissal__isnull=False).count() == 1


def test_storing_suggestions_writes_every_column_of_the_model(db):
    """Suggestions are stored by one INSERT written from the rows (not ``bulk_create``): it
    names every column, so a field added to the model without a value here fails this test
    rather than the database at import."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = ArticleFactory(body=FERRY)
    with CaptureQueriesContext(connection) as context:
        stored = Suggestion.objects.refresh_for(article)

    [insert] = [q["sql"] for q in context.captured_queries if "INSERT INTO" in q["sql"]]
    written = set(re.findall(r'"(\w+)"', insert.split("VALUES")[0])) - {Suggestion._meta.db_table}
    columns = {f.column for f in Suggestion._meta.concrete_fields if not f.primary_key}
    assert written == columns
    assert stored == article.suggestions.count() > 0
    first = article.suggestions.order_by("start").first()
    assert isinstance(first.reasons, list) and first.reasons
    assert first.dismissal_id is None and first.computed_at is not None
