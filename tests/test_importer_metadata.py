"""Titles, bylines, publishers and dates read from real-shaped saved pages.

Every page is one of tests/fixtures/html_pages (written for these tests, on invented topics);
its expected.json describes the shape it reproduces. Each test names what trafilatura alone
gets wrong on that shape.
"""

import datetime
from pathlib import Path

import pytest

from annotations.importers import parsing

PAGES = Path(__file__).resolve().parent / "fixtures" / "html_pages"


def parse_page(slug: str):
    folder = PAGES / slug
    html = next(folder / name for name in ("page.html", "source.html") if (folder / name).exists())
    return parsing.parse_html(html.read_text(encoding="utf-8"))


# Bylines ------------------------------------------------------------------------------------


def test_comment_form_label_is_not_taken_for_the_author():
    # The only "author" on the page is the comment form's "Username" field.
    article = parse_page("brackwater-library-sunday-opening")
    assert article.byline == ""


def test_date_glued_to_the_byline_is_dropped():
    # <div class="byline">By Rhiannon Vale <span>May 14, 2024</span></div>
    article = parse_page("weather-station-school-roof")
    assert article.byline == "Rhiannon Vale"
    assert article.published_on == datetime.date(2024, 5, 14)


def test_same_author_in_two_cases_is_named_once():
    # meta author "Owen Achterberg", JSON-LD and visible byline "OWEN ACHTERBERG".
    article = parse_page("school-meals-free-breakfast")
    assert article.byline == "Owen Achterberg"


def test_publisher_signing_as_author_is_not_a_byline():
    # meta author and og:site_name are both "Northvale News".
    article = parse_page("northvale-council-tax-vote")
    assert article.byline == ""
    assert article.publisher == "Northvale News"


def test_publisher_as_author_gives_way_to_the_reporting_credit():
    # meta author is the site; the reporter is named in "Reporting by …; editing by …".
    article = parse_page("food-bank-demand-wire-copy")
    assert article.byline == "Amir Nazari"
    assert "Reporting by" not in article.body
    assert "Reporting by Amir Nazari; editing by Claire Voss" in article.removed


def test_two_authors_read_as_a_byline():
    article = parse_page("library-merger-two-reporters")
    assert article.byline == "Hannah Oyelaran and Declan Murtagh"


@pytest.mark.parametrize(
    ("slug", "byline"),
    [
        ("esk-valley-rowing-regatta", "Callum Dewar"),  # "By Callum Dewar | Monday 8 July 2024"
        ("comet-visible-before-dawn", "Ines Carvalho"),  # "By …" span beside "Published …"
        ("harbour-bus-fares-rise", "Lena Okafor"),  # "Filed under Transport on … by Lena Okafor"
        ("swimming-teacher-q-and-a", "Piotr Zielinski"),  # "Interview by … · 6 June 2024"
    ],
)
def test_byline_printed_under_the_headline_is_found(slug, byline):
    assert parse_page(slug).byline == byline


def test_byline_and_date_line_leave_the_text_and_are_reported():
    # "Fergus Laidlaw · 3 June 2025" under the headline was kept as the standfirst.
    article = parse_page("reservoir-levels-after-dry-spring")
    assert "Fergus Laidlaw" not in article.standfirst + article.body
    assert "Fergus Laidlaw · 3 June 2025" in article.removed
    assert article.body.startswith("Reservoirs across the uplands")


def test_bare_date_line_under_the_headline_is_not_the_standfirst():
    article = parse_page("saved-allotment-waiting-list")
    assert article.standfirst == ""
    assert "Tuesday 23 April 2024" in article.removed
    assert article.published_on == datetime.date(2024, 4, 23)


@pytest.mark.parametrize(
    ("raw", "publisher", "expected"),
    [
        ("Joshua Sokol May", "", "Joshua Sokol"),
        ("Theresa May", "", "Theresa May"),  # a surname that is also a month stays
        ("By Jane Doe 12 March 2024", "", "Jane Doe"),
        ("Jane Doe Updated", "", "Jane Doe"),
        ("Username", "", ""),
        ("Email", "", ""),
        ("Name", "The Courier", ""),
        ("Jane Doe; JANE DOE", "", "Jane Doe"),
        ("jane doe", "", "Jane Doe"),
        ("AP", "", "AP"),  # an agency's initials stay in capitals
        ("BBC News", "BBC", ""),
        ("BBC News", "BBC News", ""),
        ("The Riverton Observer", "Riverton Observer", ""),
        ("Jane Doe, transport correspondent", "", "Jane Doe"),
        ("Words by Jane Doe", "", "Jane Doe"),
        ("Jane Doe; John Roe; Ann Poe", "", "Jane Doe, John Roe and Ann Poe"),
        ("Jane Doe and John Roe", "", "Jane Doe and John Roe"),
        ("Jane; Jane Doe", "", "Jane Doe"),
        ("newsdesk@example.org", "", ""),
        ("https://example.org/people/jane-doe", "", ""),
        ("", "", ""),
    ],
)
def test_clean_byline(raw, publisher, expected):
    assert parsing.clean_byline(raw, publisher) == expected


# Titles and publishers ----------------------------------------------------------------------


def test_section_heading_is_not_the_title():
    # Logo in one <h1>, headline in another, "Sport" in <h2 class="section-title">.
    article = parse_page("esk-valley-rowing-regatta")
    assert article.title == "Junior rowers win the Esk regatta at their first attempt"
    assert article.section == "Sport"
    assert article.publisher == "Esk Valley Gazette"  # the <title> the logo links home with
    assert article.standfirst == ""
    assert article.body.startswith("A crew of four teenagers")


def test_section_name_in_og_title_gives_way_to_the_headline():
    article = parse_page("comet-visible-before-dawn")
    assert article.title == "Comet visible to the naked eye before dawn this week"
    assert article.section == "Science"
    assert article.standfirst == ""


@pytest.mark.parametrize(
    ("slug", "title"),
    [
        ("tram-extension-consultation", "Tram extension to the hospital: consultation opens"),
        (
            "footbridge-reopens-after-repairs",
            "Footbridge over the Mardle reopens after eight months of repairs",
        ),
        ("northvale-council-tax-vote", "Council tax to rise by 4.9% after late-night vote"),
    ],
)
def test_site_name_after_the_headline_is_cut(slug, title):
    article = parse_page(slug)
    assert article.title == title
    assert title not in article.standfirst + article.body


def test_headline_with_a_dot_is_not_swapped_with_the_site_name():
    # "<title>Bus fares to rise 2.5% in April … | Harbour Gazette" and a site-name <h1>.
    article = parse_page("harbour-bus-fares-rise")
    assert article.title == "Bus fares to rise 2.5% in April as operator cites fuel costs"
    assert article.publisher == "Harbour Gazette"


@pytest.mark.parametrize(
    ("slug", "publisher"),
    [
        ("brackwater-library-sunday-opening", "Brackwater Town News"),  # Headline | Site
        ("saved-allotment-waiting-list", "Greenhill Courier"),  # Headline – Site
        ("recycling-centre-sunday-opening", "Quarry District Council"),  # Site - News - Headline
    ],
)
def test_publisher_read_from_the_title_when_the_page_names_no_site(slug, publisher):
    assert parse_page(slug).publisher == publisher


def test_press_release_names_its_organisation_and_leaves_the_release_line_out():
    # <title>Press release: Headline | Organisation</title>, "For immediate release: <date>".
    article = parse_page("wind-turbine-press-release")
    assert article.publisher == "Glenmoor Energy Co-operative"
    assert "For immediate release: 9 October 2024" in article.removed
    assert article.published_on == datetime.date(2024, 10, 9)


def test_title_made_of_separators_is_replaced_by_the_first_sentence():
    sentence = "The ferry will run an extra evening crossing from February on weekdays."
    text = " ".join([sentence] * 4)
    html = f"<html><head><title> | | </title></head><body><p>{text}</p></body></html>"
    article = parsing.parse_html(html)
    assert article.title == sentence.rstrip(".")
    assert article.title_inferred


def test_layout_table_page_reads_as_paragraphs():
    # A 1990s page laid out with a table: menu and article side by side in one row.
    article = parse_page("footpath-diversion-table-layout")
    assert article.title == "Footpath diversion approved"
    assert article.publisher == "Ashcombe Parish Council"
    paragraphs = article.body.split("\n\n")
    assert paragraphs[0].startswith("The county council has approved the diversion")
    assert len(paragraphs) == 5
    assert "Your councillors" not in article.body


def test_standfirst_the_extractor_left_out_is_restored():
    article = parse_page("tram-extension-consultation")
    assert article.standfirst.startswith("Planners want to hear from patients")


def test_read_more_link_between_paragraphs_leaves_the_text():
    article = parse_page("night-bus-trial-related-links")
    assert "Bus fares frozen until March" not in article.body
    assert "Read more: Bus fares frozen until March" in article.removed


# Dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    [
        "harbour-dredging-plain-html",  # "dredged in 2017" in the text gave 2017-01-01
        "saved-village-hall-solar-panels",  # "June 2024" gave 2024-01-01
    ],
)
def test_year_mentioned_in_the_text_is_not_a_publication_date(slug):
    assert parse_page(slug).published_on is None
