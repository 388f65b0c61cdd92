"""Tests for the pure article parsers (no database).

The seed articles are read from /work/shared/seeds (outside the repo) and never copied here;
assertions only quote titles and the first words of bodies.
"""

import datetime
import importlib.util
import sys
from pathlib import Path

import pytest

from tests.shared_material import SEEDS_DIR, require

REPO = Path(__file__).resolve().parents[1]


def _load_parsing():
    """Import the parsers; load the file directly when the package needs Django settings.

    ``annotations.importers`` imports models, so under ``pytest -p no:django`` the package
    import fails while the pure module itself needs nothing from Django.
    """
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured

    try:
        from annotations.importers import parsing
    except (ImportError, ImproperlyConfigured, AppRegistryNotReady):
        path = REPO / "annotations" / "importers" / "parsing.py"
        spec = importlib.util.spec_from_file_location("importer_parsing_under_test", path)
        assert spec is not None and spec.loader is not None
        parsing = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = parsing  # dataclasses look the module up while decorating
        spec.loader.exec_module(parsing)
    return parsing


_parsing = _load_parsing()
ParsedArticle = _parsing.ParsedArticle
ParseError = _parsing.ParseError
parse_html = _parsing.parse_html
parse_markdown = _parsing.parse_markdown
parse_text = _parsing.parse_text

SEEDS = SEEDS_DIR


def _seed(prefix: str) -> ParsedArticle:
    require(SEEDS, "the seed corpus")
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    require(matches[0] if matches else SEEDS / f"{prefix}_*.txt", f"seed file {prefix}")
    return parse_text(matches[0].read_text(encoding="utf-8"))


def _assert_clean_paragraphs(article: ParsedArticle) -> None:
    paragraphs = article.body.split("\n\n")
    assert all(p and p == p.strip() for p in paragraphs)
    assert "\n\n\n" not in article.body


# --- seed corpus ----------------------------------------------------------------------------


def test_seed_000_date_prefix_inferred_title_and_provenance_note():
    article = _seed("000")
    assert article.published_on == datetime.date(2017, 12, 29)
    assert article.body.startswith("Britain’s top cop in charge of child protection")
    assert "date 2017" not in article.body
    assert article.title_inferred is True
    assert article.title.startswith("Britain’s top cop")
    assert article.title.endswith("…")
    assert len(article.title) <= 100
    assert len(article.title.split()) <= 12
    assert article.notes == (
        "A version of this article appeared on The Daily Caller News Foundation website."
    )
    assert "A version of this article" not in article.body
    _assert_clean_paragraphs(article)


def test_seed_001_section_title_and_newsletter_tail():
    article = _seed("001")
    assert article.section == "online child safety"
    assert article.title == "Law enforcement ‘overwhelmed’ by online child abuse cases"
    assert article.title_inferred is False
    assert article.body.startswith("A UK police chief has said")
    assert "Sign up to the E&T News" not in article.body
    assert "Recent articles" not in article.body
    assert any(line.startswith("Sign up to the E&T News e-mail") for line in article.removed)
    assert "Recent articles" in article.removed
    assert article.publisher == "E&T News"  # named by the newsletter line, kept before removal
    assert article.body.endswith("carrying out child abuse.")
    _assert_clean_paragraphs(article)


def test_seed_002_title_and_duplicated_caption():
    article = _seed("002")
    assert article.title == (
        "NCA warns of spike in online child abuse, with 300,000 predators on the prowl"
    )
    assert "Representational image" not in article.body
    assert article.removed.count("(Representational image: iStock)") == 2
    assert article.body.startswith("British police specialists say")
    assert article.standfirst == ""
    _assert_clean_paragraphs(article)


def test_seed_003_single_newlines_and_glued_photo_credit():
    article = _seed("003")
    assert article.title == "Child abuse increasing and more complex to police, crime agency says"
    assert article.body.startswith("Child sex abuse is becoming")
    assert "PA Media" not in article.body
    assert "PA Media" in article.removed
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) == 17
    assert all("\n" not in p for p in paragraphs)
    # characters inside kept paragraphs are untouched: en dash and non-breaking hyphen
    assert "dark web – it's" in article.body
    assert "whole\u2011system" in article.body
    _assert_clean_paragraphs(article)


def test_seed_004_badge_standfirst_and_comment_form():
    article = _seed("004")
    assert article.title == (
        "UK Government Agency Report Dramatic Increase In Online Child Sex Abuse"
    )
    assert article.standfirst == (
        "Crime agency boss calls for tech giants to fund child sex abuse inquiries"
    )
    assert article.body.startswith("Online child sex abuse in United Kingdom has risen")
    for furniture in (
        "Fact checked",
        "Be the first to comment",
        "Leave a Reply",
        "Your email address will not be published.",
    ):
        assert furniture not in article.body
        assert furniture in article.removed
    assert any(line.startswith("This site uses Akismet") for line in article.removed)
    assert "Akismet" not in article.body
    assert "\xa0" not in article.body.split("\n\n")[-1]
    assert article.body.endswith("said Westlake.")
    _assert_clean_paragraphs(article)


def test_seed_texts_keep_paragraph_characters_exactly():
    require(SEEDS, "the seed corpus")
    for path in sorted(SEEDS.glob("0*.txt")):
        source = path.read_text(encoding="utf-8")
        article = parse_text(source)
        for paragraph in article.body.split("\n\n"):
            assert paragraph in source, f"{path.name}: paragraph altered: {paragraph[:60]!r}"


# --- invented texts -------------------------------------------------------------------------

BUDGET_TEXT = (
    "City council approves new budget\r\n"
    "\r\n"
    "By Jane Smith\r\n"
    "\r\n"
    "Published: 12 March 2024\r\n"
    "\r\n"
    "Libraries and roads win the largest share of next year’s spending\r\n"
    "\r\n"
    "The Riverton city council approved a budget of 12 million dollars on Tuesday after a "
    "long debate about road repairs.  \r\n"
    "\r\n"
    "(Photo: Riverton council)\r\n"
    "\r\n"
    "The mayor said the plan would fund two new libraries and repave the main bridge by "
    "next spring.\r\n"
    "\r\n"
    "Related articles\r\n"
    "\r\n"
    "Council elections set for May\r\n"
    "\r\n"
    "New bus routes announced\r\n"
)


def test_plain_text_with_ordinary_title_and_metadata_lines():
    article = parse_text(BUDGET_TEXT)
    assert article.title == "City council approves new budget"
    assert article.title_inferred is False
    assert article.byline == "Jane Smith"
    assert article.published_on == datetime.date(2024, 3, 12)
    assert article.standfirst == "Libraries and roads win the largest share of next year’s spending"
    assert article.body == (
        "The Riverton city council approved a budget of 12 million dollars on Tuesday after a "
        "long debate about road repairs.\n\n"
        "The mayor said the plan would fund two new libraries and repave the main bridge by "
        "next spring."
    )
    assert "(Photo: Riverton council)" in article.removed
    assert "Related articles" in article.removed
    assert "New bus routes announced" in article.removed
    assert "\r" not in article.body


def test_glued_credit_needs_a_capitalised_word():
    article = parse_text("APIs are how the city publishes its budget data.\n")
    assert article.body.startswith("APIs are")
    article = parse_text("Getty ImagesThe budget passed after a long debate.\n")
    assert article.body == "The budget passed after a long debate."
    assert article.removed == ["Getty Images"]


def test_short_first_sentence_becomes_whole_inferred_title():
    article = parse_text("The budget passed. Councillors voted nine to two on Tuesday evening.\n")
    assert article.title == "The budget passed"
    assert article.title_inferred is True


def test_a_repeated_sentence_is_text_and_stays():
    text = (
        "Budget vote delayed\n\nThe vote moved to Friday.\n\n“No,” she said.\n\n"
        "Asked again whether the budget was safe:\n\n“No,” she said.\n"
    )
    article = parse_text(text)
    assert article.body.count("“No,” she said.") == 2
    assert article.removed == []


def test_a_heading_repeated_on_the_next_line_is_dropped_once():
    text = "Budget vote delayed\n\nBudget vote delayed\n\nThe vote moved to Friday.\n"
    article = parse_text(text)
    assert article.title == "Budget vote delayed"
    assert article.body == "The vote moved to Friday."
    assert article.removed == ["Budget vote delayed"]


def test_sentences_after_a_comments_line_stay_and_teasers_go():
    text = (
        "Harbour dues rise\n\nThe harbour board raised its dues on Monday.\n\nComments\n\n"
        "The rise adds £40 a year for a 10-metre boat.\n\n"
        "Dues were last raised in 2019, by 3%.\n\n"
        "Ferry timetable changes for winter\n\nNew café opens on the quay\n"
    )
    article = parse_text(text)
    assert "The rise adds £40 a year for a 10-metre boat." in article.body
    assert "Dues were last raised in 2019, by 3%." in article.body
    assert "Ferry timetable" not in article.body and "New café" not in article.body
    assert article.removed == [
        "Comments",
        "Ferry timetable changes for winter",
        "New café opens on the quay",
    ]


@pytest.mark.parametrize(
    ("line", "publisher"),
    [
        ("Sign up to the Riverton Gazette e-mail for stories in your inbox.", "Riverton Gazette"),
        ("Get our weekly newsletter from Harbour Press delivered to your inbox", "Harbour Press"),
        ("Sign up for our newsletter to get the news in your inbox", ""),
    ],
)
def test_a_newsletter_prompt_that_names_the_site_gives_the_publisher(line, publisher):
    article = parse_text(f"Tide tables\n\nHigh tide is at 6am on Friday.\n\n{line}\n")
    assert article.publisher == publisher
    assert line in article.removed and line not in article.body


def test_markdown_heading_becomes_title():
    text = (
        "# City council approves new budget\n\n"
        "The council approved the plan on Tuesday after a long debate.\n\n"
        "## What happens next\n\n"
        "Work on the bridge starts in **April**.\n"
    )
    article = parse_markdown(text)
    assert article.title == "City council approves new budget"
    assert article.title_inferred is False
    assert article.body == (
        "The council approved the plan on Tuesday after a long debate.\n\n"
        "What happens next\n\n"
        "Work on the bridge starts in **April**."
    )
    assert "#" not in article.body


def test_markdown_without_heading_uses_text_heuristics():
    article = parse_markdown("Bridge repairs approved\n\nThe repairs start in April.\n")
    assert article.title == "Bridge repairs approved"
    assert article.body == "The repairs start in April."


BUDGET_HTML = """<!doctype html>
<html lang="en">
<head>
  <title>City council approves new budget</title>
  <meta name="author" content="Jane Smith">
  <meta property="og:site_name" content="Riverton Gazette">
  <meta property="article:published_time" content="2024-03-12T09:00:00Z">
</head>
<body>
  <nav><a href="/">Home</a> <a href="/news">News</a></nav>
  <article>
    <h1>City council approves new budget</h1>
    <p>The Riverton city council approved a budget of 12 million dollars on Tuesday after a
       long debate about road repairs and the future of the old library.</p>
    <p>The mayor said the plan would fund two new libraries and repave the main bridge by next
       spring, and that property taxes would stay the same.</p>
    <p>Opponents said the council should have kept more money in reserve for emergencies.</p>
  </article>
  <footer>Copyright 2024 Riverton Gazette</footer>
</body>
</html>"""


def test_html_title_author_date_and_paragraphs():
    article = parse_html(BUDGET_HTML, url="https://example.org/budget")
    assert article.title == "City council approves new budget"
    assert article.title_inferred is False
    assert article.byline == "Jane Smith"
    assert article.publisher == "Riverton Gazette"
    assert article.url == "https://example.org/budget"
    assert article.published_on == datetime.date(2024, 3, 12)
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("The Riverton city council approved")
    assert paragraphs[-1].startswith("Opponents said")
    assert "Copyright" not in article.body
    assert "Home" not in article.body


def test_html_without_main_text_raises():
    html = "<html><head><title>Nothing</title></head><body><nav>Home</nav></body></html>"
    with pytest.raises(ParseError, match="no article text found in the HTML"):
        parse_html(html)


@pytest.mark.parametrize("text", ["", "   ", "\r\n\r\n \t\n", "\xa0\n\n"])
def test_empty_documents_raise(text):
    with pytest.raises(ParseError):
        parse_text(text)
    with pytest.raises(ParseError):
        parse_markdown(text)


def test_boilerplate_only_document_raises():
    with pytest.raises(ParseError):
        parse_text("Leave a Reply\n\nYour email address will not be published.\n")


def test_markdown_setext_title_and_posted_on_date():
    text = (
        "Park reopens after repairs\n"
        "==========================\n\n"
        "Posted on March 4, 2023\n\n"
        "The park reopened on Saturday with a new playground.\n\n"
        "This story was first published in the Riverton Gazette.\n"
    )
    article = parse_markdown(text)
    assert article.title == "Park reopens after repairs"
    assert article.published_on == datetime.date(2023, 3, 4)
    assert article.body == "The park reopened on Saturday with a new playground."
    assert article.notes == "This story was first published in the Riverton Gazette."


@pytest.mark.parametrize(
    ("line", "byline"),
    [
        ("By Mara Quill May", "Mara Quill"),
        ("By Tom Reyes and TOM REYES", "Tom Reyes"),
        ("By Harbour Press", ""),
    ],
)
def test_a_plain_text_byline_is_cleaned_like_an_html_one(line, byline):
    text = (
        f"Quay repairs finish early\n\n{line}\n\nThe quay reopened on Monday, a week early.\n\n"
        "Sign up to the Harbour Press newsletter for more\n"
    )
    article = parse_text(text)
    assert article.byline == byline
    assert line in article.removed and line not in article.body
