"""Figures read from claims (annotations/figures.py): a table of phrases on invented, neutral
topics with the figures a reviewer would read in them, properties of number reading, how
figures compare, and the real seed articles (read from beside the checkout, never copied)."""

import math
import re
from dataclasses import replace
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.figures import (
    COUNTED_SYNONYMS,
    Figure,
    extract_figures,
    figures_comparable,
    figures_conflict,
    normalise_number,
)
from tests.shared_material import SEEDS_DIR, require

FAST = settings(max_examples=300, deadline=None)


def fig(
    text,
    value,
    unit="count",
    kind="count",
    counted=None,
    period=None,
    direction=None,
    *,
    low=None,
    high=None,
    readable=True,
):
    """What a reviewer reads in a phrase. For ranges, value is None and low/high are given."""
    if low is None and high is None:
        low = high = value
    return {
        "text": text,
        "value": value,
        "low": low,
        "high": high,
        "unit": unit,
        "counted": counted,
        "period": period,
        "direction": direction,
        "kind": kind,
        "readable": readable,
    }


def unreadable(text, counted=None):
    return fig(text, None, counted=counted, readable=False)


THIRD = 100 / 3

PHRASES = [
    # Counts: separators, decimals, glued and spelled scales, number words.
    ("The museum had 1,234,567 visitors.", [fig("1,234,567", 1234567, counted="visitor")]),
    ("The archive holds 300000 photographs.", [fig("300000", 300000, counted="image")]),
    ("About 300k users signed up.", [fig("300k", 300000, counted="user")]),
    (
        "There are 1.2 million library members, 300 000 fewer than in 2010.",
        [
            fig("1.2 million", 1.2e6, counted="member"),
            fig("300 000 fewer", 300000, "count", "change", "member", "2010", "down"),
        ],
    ),
    ("Two million visitors came to the museum.", [fig("Two million", 2e6, counted="visitor")]),
    ("Half a million meals were served.", [fig("Half a million", 5e5, counted="meal")]),
    (
        "Two and a half million books were borrowed.",
        [fig("Two and a half million", 2.5e6, counted="book")],
    ),
    (
        "The ferry has 2 decks and 12 lifeboats.",
        [fig("2", 2, counted="deck"), fig("12", 12, counted="lifeboat")],
    ),
    (
        "The ferry carried five hundred and twelve cars.",
        [fig("five hundred and twelve", 512, counted="car")],
    ),
    ("A dozen libraries stayed open late.", [fig("A dozen", 12, counted="library")]),
    (
        "In 2019, 2,000 people took the ferry.",
        [fig("2,000", 2000, counted="person", period="2019")],
    ),
    ("2000 people took the ferry.", [fig("2000", 2000, counted="person")]),
    (
        "Between 2017 and 2019 the council closed 12 libraries.",
        [fig("12", 12, counted="library", period="2017-2019")],
    ),
    (
        "Only 12 of 40 routes run daily.",
        [fig("12", 12, counted="route"), fig("40", 40, counted="route", period="per day")],
    ),
    (
        "Around 1,000 ferries sailed each month.",
        [fig("1,000", 1000, counted="ferry", period="per month")],
    ),
    (
        "The library lends 300,000 books a year.",
        [fig("300,000", 3e5, counted="book", period="per year")],
    ),
    (
        "Over 60,000 school meals are served daily.",
        [fig("60,000", 6e4, counted="meal", period="per day")],
    ),
    ("The police arrested 45 people.", [fig("45", 45, counted="arrest")]),
    ("45 people were arrested at the port.", [fig("45", 45, counted="arrest")]),
    (
        "The ferry carried 3,000 passengers, 118 of whom were children.",
        [fig("3,000", 3000, counted="passenger"), fig("118", 118)],
    ),
    (
        "The ferry carried 1,000 passengers on its first crossing and 2,000 on its second.",
        [fig("1,000", 1000, counted="passenger"), fig("2,000", 2000, counted="passenger")],
    ),
    (
        "In 2021-22 the library lent 1.1 million books, compared with 900,000 in 2019-20.",
        [
            fig("1.1 million", 1.1e6, counted="book", period="2021-22"),
            fig("900,000", 9e5, counted="book", period="2019-20"),
        ],
    ),
    (
        "The authority has three ferries, two of them new.",
        [fig("three", 3, counted="ferry"), fig("two", 2)],
    ),
    ("The storm dropped 4 inches of rain.", [fig("4", 4, counted="inch")]),
    # Ranges: en dash, hyphen, "to", "between … and …", a scale or unit on the second only.
    (
        "An estimated 550,000–850,000 people use the ferry.",
        [fig("550,000–850,000", None, counted="person", low=550000, high=850000)],
    ),
    (
        "Some 550,000-850,000 people use the ferry.",
        [fig("550,000-850,000", None, counted="person", low=550000, high=850000)],
    ),
    (
        "Between 550,000 and 850,000 people use the ferry.",
        [fig("550,000 and 850,000", None, counted="person", low=550000, high=850000)],
    ),
    (
        "Estimates put the crowd at 40,000 to 60,000 people.",
        [fig("40,000 to 60,000", None, counted="person", low=40000, high=60000)],
    ),
    (
        "2–3 million people read the leaflet.",
        [fig("2–3 million", None, counted="person", low=2e6, high=3e6)],
    ),
    (
        "Between 20 and 30 per cent of ferries run late.",
        [fig("20 and 30 per cent", None, "%", "percent", "ferry", low=20, high=30)],
    ),
    (
        "£5–10m was set aside for ferries.",
        [fig("£5–10m", None, "£", "amount", low=5e6, high=1e7)],
    ),
    # Money and measures.
    ("The council spent £5m on libraries.", [fig("£5m", 5e6, "£", "amount")]),
    ("$2.3bn was spent on roads in 2021.", [fig("$2.3bn", 2.3e9, "$", "amount", period="2021")]),
    ("The scheme cost €450,000.", [fig("€450,000", 450000, "€", "amount")]),
    ("The service costs £1.2bn a year.", [fig("£1.2bn", 1.2e9, "£", "amount", period="per year")]),
    ("Each meal costs 50p.", [fig("50p", 0.5, "£", "amount")]),
    ("Each meal costs 80 pence.", [fig("80 pence", 0.8, "£", "amount")]),
    ("Rainfall was 120mm in 2019.", [fig("120mm", 120, "mm", "amount", "rainfall", "2019")]),
    ("Rainfall reached 1,200.5mm.", [fig("1,200.5mm", 1200.5, "mm", "amount", "rainfall")]),
    ("The ferry is 100m long.", [fig("100m", 100, "m", "amount", "ferry")]),
    (
        "Rainfall fell to 80mm in March 2020.",
        [fig("80mm", 80, "mm", "amount", "rainfall", "2020", "down")],
    ),
    # Shares: per cent, fractions, "1 in 10".
    (
        "Some 44 per cent of libraries open on Sundays.",
        [fig("44 per cent", 44, "%", "percent", "library")],
    ),
    ("1 in 10 pupils skip school meals.", [fig("1 in 10", 0.1, "ratio", "ratio", "pupil")]),
    ("One in five ferries was cancelled.", [fig("One in five", 0.2, "ratio", "ratio", "ferry")]),
    (
        "One in every four pupils walks to school.",
        [fig("One in every four", 0.25, "ratio", "ratio", "pupil")],
    ),
    (
        "Some 3 in 10 libraries closed in 2019.",
        [fig("3 in 10", 0.3, "ratio", "ratio", "library", "2019")],
    ),
    ("Half of all ferries were late.", [fig("Half", 0.5, "ratio", "ratio", "ferry")]),
    ("Nearly half of pupils skip breakfast.", [fig("half", 0.5, "ratio", "ratio", "pupil")]),
    (
        "A quarter of libraries open on Sundays.",
        [fig("A quarter", 0.25, "ratio", "ratio", "library")],
    ),
    (
        "Three quarters of schools offer free meals.",
        [fig("Three quarters", 0.75, "ratio", "ratio", "school")],
    ),
    (
        "Around two thirds of pupils eat school meals.",
        [fig("two thirds", 2 / 3, "ratio", "ratio", "pupil")],
    ),
    # Changes and their direction.
    (
        "The ferry carried 1.5m passengers per year, up 25 per cent.",
        [
            fig("1.5m", 1.5e6, counted="passenger", period="per year"),
            fig("up 25 per cent", 25, "%", "change", "passenger", "per year", "up"),
        ],
    ),
    ("School meal uptake is up 700%.", [fig("up 700%", 700, "%", "change", "uptake", None, "up")]),
    (
        "Complaints rose by 25 per cent in 2017-18.",
        [fig("rose by 25 per cent", 25, "%", "change", "complaint", "2017-18", "up")],
    ),
    (
        "Ferry fares have risen 700% since 1990.",
        [fig("risen 700%", 700, "%", "change", "fare", "since 1990", "up")],
    ),
    (
        "Library visits fell by a third.",
        [fig("fell by a third", THIRD, "%", "change", "visit", None, "down")],
    ),
    (
        "Book borrowing rose by a quarter.",
        [fig("rose by a quarter", 25, "%", "change", "borrowing", None, "up")],
    ),
    (
        "A 12% rise in library loans was recorded.",
        [fig("12% rise", 12, "%", "change", "loan", None, "up")],
    ),
    (
        "The bus company reported an increase of 31 per cent in complaints.",
        [fig("increase of 31 per cent", 31, "%", "change", "complaint", None, "up")],
    ),
    (
        "Ridership is 25% higher than last year.",
        [fig("25% higher", 25, "%", "change", "ridership", "last year", "up")],
    ),
    (
        "Attendance was 0.5% lower.",
        [fig("0.5% lower", 0.5, "%", "change", "attendance", None, "down")],
    ),
    (
        "Visits rose 8 percentage points.",
        [fig("rose 8 percentage points", 8, "pp", "change", "visit", None, "up")],
    ),
    (
        "Book loans fell 40% between 2010 and 2020.",
        [fig("fell 40%", 40, "%", "change", "loan", "2010-2020", "down")],
    ),
    (
        "Fares rose by 5–10% in 2023.",
        [fig("rose by 5–10%", None, "%", "change", "fare", "2023", "up", low=5, high=10)],
    ),
    ("Fares went up 5% a year.", [fig("went up 5%", 5, "%", "change", "fare", "per year", "up")]),
    (
        "Ticket sales rose by 2.5m in 2022.",
        [fig("rose by 2.5m", 2.5e6, "count", "change", "sale", "2022", "up")],
    ),
    (
        "Loans dropped by 2,500 to 7,500.",
        [
            fig("dropped by 2,500", 2500, "count", "change", "loan", None, "down"),
            fig("7,500", 7500, counted="loan", direction="down"),
        ],
    ),
    # Both ends of "from … to" count one thing: the lanes, not "km" (read as the noun before
    # the second number, it kept the mayor's 31 km out of the conflict with the council's 29.5).
    (
        "Protected cycle lanes grew from 14 km to 31 km since 2022.",
        [
            fig("14 km", 14, "km", "amount", "lane"),
            fig("31 km", 31, "km", "amount", "lane", "since 2022", "up"),
        ],
    ),
    (
        "Costs rose from £2m to £3.5m.",
        [fig("£2m", 2e6, "£", "amount"), fig("£3.5m", 3.5e6, "£", "amount", direction="up")],
    ),
    (
        "Rainfall was unchanged at 800mm.",
        [
            fig("unchanged", 0, "%", "change", "rainfall", None, "same"),
            fig("800mm", 800, "mm", "amount", "rainfall", None, "same"),
        ],
    ),
    # Multipliers.
    ("Arrests doubled.", [fig("doubled", 2, "times", "multiplier", "arrest", None, "up")]),
    (
        "The number of crossings has tripled since 2015.",
        [fig("tripled", 3, "times", "multiplier", "crossing", "since 2015", "up")],
    ),
    (
        "Visitor numbers trebled between 2010 and 2020.",
        [fig("trebled", 3, "times", "multiplier", "visitor", "2010-2020", "up")],
    ),
    (
        "Ferry use halved in the 1990s.",
        [fig("halved", 0.5, "times", "multiplier", "use", "1990s", "down")],
    ),
    (
        "Ticket sales jumped tenfold.",
        [fig("tenfold", 10, "times", "multiplier", "sale", None, "up")],
    ),
    (
        "Ferry fares are three times higher than in 2010.",
        [fig("three times", 3, "times", "multiplier", "fare", "2010", "up")],
    ),
    (
        "The number of volunteers has more than doubled.",
        [fig("doubled", 2, "times", "multiplier", "volunteer", None, "up")],
    ),
    # What cannot be read is marked, never guessed.
    ("Tens of thousands of books were lost.", [unreadable("Tens of thousands", "book")]),
    ("Dozens of ferries were cancelled.", [unreadable("Dozens", "ferry")]),
    ("Several thousand books were damaged.", [unreadable("Several thousand", "book")]),
    ("The fare was 1,50 per trip.", [unreadable("1,50")]),
    ("There are 12,34,567 readers.", [unreadable("12,34,567", "reader")]),
    # Not figures: years, dates, ages, ordinals, section numbers, times, phones, names.
    ("The ferry left on 3 April 2020.", []),
    ("The first ferry sailed in 1901.", []),
    ("The library opened in the 21st century.", []),
    ("Children aged 13 can join the library.", []),
    ("The 13-year-old pupil won a prize.", []),
    ("Pupils aged 11 to 13 ate there.", []),
    ("Ten years ago the library was full.", []),
    ("It was the second time in five years.", []),
    ("Section 3.2 of the act covers ferries.", []),
    ("See page 12 for details.", []),
    ("Version 2.1.3 of the timetable app is out.", []),
    ("Year 6 pupils visited the library.", []),
    ("Call 0800 123 4567 for timetables.", []),
    ("Call +44 20 7946 0000 for timetables.", []),
    ("The ferry leaves at 10.30am.", []),
    ("The ferry leaves at 14:45.", []),
    ("The library is open from 9am to 5pm.", []),
    ("COVID-19 closed the library.", []),
    ("Channel 4 covered the story.", []),
    ("The M25 and A1 were closed.", []),
    ("On Friday (3) the ferry sailed.", []),
    ("One of the ferries sank.", []),
    ("The ferry office is at 10 Harbour Street.", []),
    ("The helpline is open 24/7.", []),
    ("The vote was a 50-50 split.", []),
    ("A third party runs the ferry.", []),
    ("The second half of the year was wet.", []),
    ("The council adopted a five-year plan.", []),
    ("The over-65s travel free.", []),
]


def _ids(phrases):
    return [re.sub(r"\W+", "-", phrase.lower()).strip("-")[:50] for phrase, _ in phrases]


def test_the_table_has_enough_varied_phrases():
    assert len(PHRASES) >= 60
    assert len({phrase for phrase, _ in PHRASES}) == len(PHRASES)


def _as_dict(figure: Figure) -> dict:
    return {key: getattr(figure, key) for key in fig("", None)}


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize(("phrase", "expected"), PHRASES, ids=_ids(PHRASES))
def test_figures_read_in_a_phrase(phrase, expected):
    found = extract_figures(phrase)
    got = [_as_dict(f) for f in found]
    for figure in found:
        assert phrase[figure.start : figure.end] == figure.text
    assert len(got) == len(expected), got
    for actual, wanted in zip(got, expected, strict=True):
        numbers = ("value", "low", "high")
        assert {k: v for k, v in actual.items() if k not in numbers} == {
            k: v for k, v in wanted.items() if k not in numbers
        }
        for key in numbers:
            assert _close(actual[key], wanted[key]), (key, actual, wanted)


@pytest.mark.parametrize(
    ("phrase", "qualifier"),
    [
        ("At least 300 ferries were late.", "at least"),
        ("More than 300 ferries were late.", "more than"),
        ("Over 300 ferries were late.", "more than"),
        ("As many as 300 ferries were late.", "up to"),
        ("Roughly 300 ferries were late.", "about"),
        ("Fewer than 300 ferries were late.", "fewer than"),
        ("Nearly 300 ferries were late.", "almost"),
        ("300 ferries were late.", None),
    ],
)
def test_qualifiers_are_kept_beside_the_value(phrase, qualifier):
    (figure,) = extract_figures(phrase)
    assert figure.value == 300
    assert figure.qualifier == qualifier


def test_a_year_next_to_a_figure_is_its_period_not_a_value():
    figures = extract_figures("Library loans reached 7,000 in 1990 and 17,000 in 2020.")
    assert [(f.value, f.period) for f in figures] == [(7000, "1990"), (17000, "2020")]


def test_from_one_year_to_another_the_later_figure_says_which_way_it_went():
    first, second = extract_figures("Ferry crossings went from 9,000 in 2001 to 4,000 in 2021.")
    assert (first.value, first.period, first.direction) == (9000, "2001", None)
    assert (second.value, second.period, second.direction) == (4000, "2021", "down")


def test_the_end_of_a_change_from_one_figure_to_another_is_compared_with_other_claims():
    """The mayor's "from 14 km to 31 km" against the council's 29.5 km: the 31 km is a
    figure of the lanes like the council's, so the two are compared and disagree by under
    10 %, while the 14 km start is far from both."""
    *_, mayor = extract_figures("Protected cycle lanes grew from 14 km to 31 km since 2022.")
    (council,) = extract_figures("The city has 29.5 km of protected cycle lanes.")
    assert figures_comparable(mayor, council)
    assert not figures_conflict(mayor, council)


def test_an_empty_or_numberless_text_has_no_figures():
    assert extract_figures("") == []
    assert extract_figures("   ") == []
    assert extract_figures("The library is closed on Sundays.") == []


# --- Counted things and their synonyms ------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "There are 300 predators in the county.",
        "There are 300 offenders in the county.",
        "There are 300 paedophiles in the county.",
        "There are 300 people posing a threat to children in the county.",
        "Officials say 300 people in the county pose a serious threat to children.",
        "There are 300 men sexually interested in children in the county.",
        "There are 300 adults interested in abusing children in the county.",
    ],
)
def test_people_posing_a_threat_are_one_counted_thing(phrase):
    (figure,) = extract_figures(phrase)
    assert (figure.value, figure.counted) == (300, "offender")


def test_people_without_a_threat_are_counted_as_people():
    (figure,) = extract_figures("There are 300 people in the county who take the ferry.")
    assert figure.counted == "person"


@pytest.mark.parametrize(
    ("phrase", "counted"),
    [
        ("The ferry carried 400 travellers.", "passenger"),
        ("The ferry carried 400 passengers.", "passenger"),
        ("The school has 400 students.", "pupil"),
        ("The school has 400 pupils.", "pupil"),
        ("The archive holds 400 pictures.", "image"),
        ("The archive holds 400 photos.", "image"),
        ("The village has 400 residents.", "person"),
        ("Staff counted 400 ferries.", "ferry"),
        ("Staff counted 400 buses.", "bus"),
        ("Staff counted 400 libraries.", "library"),
        ("Staff counted 400 children.", "child"),
        ("Staff counted 400 women.", "person"),
    ],
)
def test_counted_nouns_are_singular_and_synonyms_share_a_key(phrase, counted):
    (figure,) = extract_figures(phrase)
    assert figure.counted == counted


def test_every_synonym_maps_to_a_key_that_is_not_itself_a_synonym():
    assert not set(COUNTED_SYNONYMS.values()) & set(COUNTED_SYNONYMS)


# --- normalise_number ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("300,000", 300000),
        ("300000", 300000),
        ("300k", 300000),
        ("300K", 300000),
        ("300 000", 300000),
        ("300\u202f000", 300000),
        ("1,234.5", 1234.5),
        ("0.5", 0.5),
        (".5", 0.5),
        ("1.5m", 1.5e6),
        ("1.5 million", 1.5e6),
        ("£5m", 5e6),
        ("$2.3bn", 2.3e9),
        ("2.3 billion", 2.3e9),
        ("4tn", 4e12),
        ("700%", 700),
        ("25 per cent", 25),
        ("two million", 2e6),
        ("three hundred thousand", 300000),
        ("one hundred and five", 105),
        ("twenty-five", 25),
        ("a dozen", 12),
        ("a million", 1e6),
        ("half", 0.5),
        ("a half", 0.5),
        ("a third", 1 / 3),
        ("two thirds", 2 / 3),
        ("three quarters", 0.75),
        ("half a million", 5e5),
        ("a quarter of a million", 250000),
        ("two and a half million", 2.5e6),
        ("1 in 10", 0.1),
        ("one in five", 0.2),
        ("one in every four", 0.25),
        ("1/4", 0.25),
    ],
)
def test_numbers_as_written_are_read(written, value):
    assert _close(normalise_number(written), value)


@pytest.mark.parametrize(
    "written",
    [
        "",
        "ferry",
        "tens of thousands",
        "several hundred",
        "1,50",
        "12,34,567",
        "1.2.3",
        "24/7",
        "10 in 3",
        "five twenty",
        "a",
        "and",
        "3 ferries",
    ],
)
def test_what_is_not_one_number_reads_as_none(written):
    assert normalise_number(written) is None


_SMALL = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _spell(n: int) -> str:
    """British English number words, written independently of the module under test."""
    if n < 20:
        return _SMALL[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _SMALL[n % 10])
    if n < 1000:
        rest = n % 100
        return f"{_SMALL[n // 100]} hundred" + ("" if rest == 0 else f" and {_spell(rest)}")
    for scale, word in ((10**9, "billion"), (10**6, "million"), (10**3, "thousand")):
        if n >= scale:
            head, rest = divmod(n, scale)
            if rest == 0:
                return f"{_spell(head)} {word}"
            joiner = " and " if rest < 100 else " "
            return f"{_spell(head)} {word}{joiner}{_spell(rest)}"
    raise AssertionError(n)  # pragma: no cover


@FAST
@given(st.integers(min_value=0, max_value=10**12))
def test_separated_and_plain_digits_read_the_same(n):
    assert normalise_number(f"{n:,}") == n
    assert normalise_number(str(n)) == n


@FAST
@given(st.integers(min_value=1, max_value=999_999), st.sampled_from(["k", "K"]))
def test_thousands_written_as_k_read_back(n, suffix):
    assert normalise_number(f"{n}{suffix}") == n * 1000
    assert normalise_number(f"{n}{suffix}") == normalise_number(f"{n * 1000:,}")


@FAST
@given(st.integers(min_value=1, max_value=99_999), st.sampled_from(["m", "million", "bn"]))
def test_one_decimal_with_a_scale_reads_back_exactly(tenths, scale):
    written = f"{tenths // 10}.{tenths % 10}{' ' if scale == 'million' else ''}{scale}"
    factor = 10**9 if scale == "bn" else 10**6
    assert normalise_number(written) == tenths * factor // 10


@FAST
@given(st.integers(min_value=1, max_value=999_999_999))
def test_spelled_numbers_read_back(n):
    assert normalise_number(_spell(n)) == n


@FAST
@given(st.integers(min_value=2, max_value=10**9))
def test_a_count_in_a_sentence_is_found_with_its_value_and_noun(n):
    (figure,) = extract_figures(f"The ferry carried {n:,} passengers.")
    assert (figure.value, figure.counted, figure.kind, figure.text) == (
        n,
        "passenger",
        "count",
        f"{n:,}",
    )


def _assert_consistent(text: str) -> None:
    for figure in extract_figures(text):
        assert text[figure.start : figure.end] == figure.text
        if figure.readable:
            assert figure.low is not None and figure.high is not None
            assert figure.low <= figure.high
            assert figure.value is None or figure.low == figure.value == figure.high
        else:
            assert (figure.value, figure.low, figure.high) == (None, None, None)


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_gives_consistent_figures_or_none(text):
    _assert_consistent(text)


@FAST
@given(
    st.lists(
        st.sampled_from(
            [
                "300,000 ferries",
                "in 2019",
                "up 25%",
                "1 in 10 pupils",
                "£5m",
                "between 5 and 10",
                "doubled",
                "aged 13",
                "tens of thousands of",
                "a third of",
                "fell by",
                "per month",
                "the 21st",
                "0800 123 4567",
                ", ",
                ". ",
                " and ",
                " people ",
                "–",
                "-",
            ]
        ),
        max_size=12,
    )
)
def test_any_mix_of_figure_words_gives_consistent_figures(parts):
    _assert_consistent("".join(parts))


# --- Comparing figures ----------------------------------------------------------------------


def one(phrase: str) -> Figure:
    (figure,) = extract_figures(phrase)
    return figure


@pytest.mark.parametrize(
    ("a", "b", "comparable", "conflict"),
    [
        ("300 ferries sail.", "320 ferries sail.", True, False),
        ("300 ferries sail.", "400 ferries sail.", True, True),
        ("300 ferries sail.", "300 buses sail.", False, False),
        ("300 predators live here.", "80,000 offenders live here.", True, True),
        ("An estimated 550,000–850,000 people use it.", "600,000 people use it.", True, False),
        ("An estimated 550,000–850,000 people use it.", "300,000 people use it.", True, True),
        ("An estimated 550,000–850,000 people use it.", "800,000–1m people use it.", True, False),
        ("1,000 ferries sail each month.", "1,000 ferries sail each year.", False, False),
        ("1,000 ferries sail each month.", "3,000 ferries sail each month.", True, True),
        ("In 2019, 300 ferries sailed.", "In 2020, 500 ferries sailed.", False, False),
        ("In 2019, 300 ferries sailed.", "500 ferries sailed.", True, True),
        ("Ferry crossings doubled.", "Ferry crossings are up 100%.", True, False),
        ("Ferry crossings doubled.", "Ferry crossings are up 700%.", True, True),
        ("Ferry crossings halved.", "Ferry crossings fell by 50%.", True, False),
        ("Ferry crossings rose by 25%.", "Ferry crossings fell by 25%.", True, True),
        ("1 in 10 pupils walk.", "10% of pupils walk.", True, False),
        ("1 in 10 pupils walk.", "A third of pupils walk.", True, True),
        ("10% of pupils walk.", "10 pupils walk.", False, False),
        ("The council spent £5m on it.", "The council spent $5m on it.", False, False),
        ("Tens of thousands of books were lost.", "20,000 books were lost.", False, False),
    ],
)
def test_figures_compare_when_they_count_the_same_thing(a, b, comparable, conflict):
    fa, fb = one(a), one(b)
    assert figures_comparable(fa, fb) is comparable
    assert figures_comparable(fb, fa) is comparable
    assert figures_conflict(fa, fb) is conflict
    assert figures_conflict(fb, fa) is conflict


def test_the_tolerance_decides_how_far_apart_is_a_conflict():
    a, b = one("300 ferries sail."), one("330 ferries sail.")
    assert not figures_conflict(a, b, tolerance=0.1)
    assert figures_conflict(a, b, tolerance=0.05)


def test_a_figure_without_a_counted_thing_compares_with_nothing():
    a, b = one("The total was 300."), one("The total was 900.")
    assert a.counted is None
    assert not figures_comparable(a, b)
    assert not figures_conflict(a, b)


# --- The seed articles (real, beside the checkout; their text is never copied here) -------


def _seed_claims(seeds_dir):
    """Every paragraph of every seed article, as a reviewer would quote it in a claim."""
    for path in sorted(seeds_dir.glob("0*.txt")):
        for paragraph in re.split(r"\n+", path.read_text(encoding="utf-8")):
            if paragraph.strip():
                yield path.name, paragraph


def test_the_seeds_people_posing_a_threat_are_comparable_and_conflict(seeds_dir):
    figures = {}
    for name, claim in _seed_claims(seeds_dir):
        for figure in extract_figures(claim):
            if figure.value in {20_000, 80_000, 300_000}:
                figures.setdefault(figure.value, []).append((name, figure))
    assert set(figures) == {20_000, 80_000, 300_000}
    threat = [(name, f) for found in figures.values() for name, f in found]
    assert {f.counted for _, f in threat} == {"offender"}
    assert {f.kind for _, f in threat} == {"count"}
    # Said in four different articles.
    assert len({name for name, _ in threat}) == 4
    for (_, a), (_, b) in combinations(threat, 2):
        assert figures_comparable(a, b), (a, b)
        assert figures_conflict(a, b) is (a.value != b.value), (a, b)


def test_the_seeds_other_figures_are_read(seeds_dir):
    found = [f for _, claim in _seed_claims(seeds_dir) for f in extract_figures(claim)]
    by_text = {}
    for figure in found:
        by_text.setdefault(figure.text, []).append(figure)
    doubled = by_text["doubled"][0]
    assert (doubled.kind, doubled.value, doubled.direction, doubled.counted) == (
        "multiplier",
        2,
        "up",
        "arrest",
    )
    changes = [f for f in found if f.kind == "change" and f.value == 700]
    assert len(changes) == 2 and {f.unit for f in changes} == {"%"}
    assert {f.direction for f in changes} == {"up"}
    monthly = [f for f in found if f.period == "per month"]
    assert [(f.value, f.counted) for f in monthly] == [(1000, "arrest")]
    assert any(f.value == 17_000_000 and f.counted == "image" for f in found)
    assert any(f.text.lower() == "tens of thousands" and not f.readable for f in found)
    # No year, date or age in them is read as a figure.
    assert not [f for f in found if f.value is not None and 1900 <= f.value <= 2030]
    assert not [f for f in found if f.value in {11, 13}]


# --- The bench corpus -----------------------------------------------------------------------


def test_the_bench_corpus_is_claims_with_figures_and_is_timed():
    from bench.figures import make_claims, median_ms_per_claim

    claims = make_claims(50, seed=7)
    assert claims == make_claims(50, seed=7)  # seeded: every run times the same work
    assert all(extract_figures(quote) or extract_figures(statement) for quote, statement in claims)
    assert median_ms_per_claim(count=20) > 0


def _figure_texts():
    """The labelled set of the check-worthiness bench (22 articles) and the seed articles."""
    from bench.checkworthy import load_set

    texts = [article.text for article in load_set()]
    return texts + [
        path.read_text() for path in sorted(require(SEEDS_DIR, "The seeds").glob("0*.txt"))
    ]


def test_figures_read_without_description_are_the_same_figures():
    """``described=False`` (what check-worthiness asks for) finds the same figures, with the
    same spans, values, units, kinds and directions; it leaves out the period and the
    qualifier, and what is counted where nothing else depends on it."""
    blank = {"period": None, "qualifier": None, "counted": None}
    compared = with_period = 0
    for text in _figure_texts():
        described = extract_figures(text)
        bare = extract_figures(text, described=False)
        assert [replace(f, **blank) for f in bare] == [replace(f, **blank) for f in described]
        for full, light in zip(described, bare, strict=True):
            assert light.period is None
            assert light.qualifier in (None, full.qualifier)
            assert light.counted in (None, full.counted)
            with_period += full.period is not None
        compared += len(described)
    assert compared > 150 and with_period > 40  # not vacuous: 189 figures, 56 with a period


# --- Patterns anchored at the end of a window, tried only when its last word can end them ------

_WINDOW_WORDS = [
    "rose",
    "by",
    "about",
    "around",
    "at",
    "least",
    "fell",
    "an",
    "increase",
    "of",
    "remained",
    "at",
    "to",
    "went",
    "up",
    "ROSE",
    "a",
    "of",
    "just",
    "over",
    "under",
    "estimated",
    "outgrew",
    "by",
    "cut",
    "income",
    "(rose)",
    "x",
    "5",
    ",",
    ".",
    "’",
    "é",
    "aged",
    "children",
    "between",
    "as",
    "many",
    "\u00a0",
]


@settings(max_examples=600)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_WINDOW_WORDS), st.sampled_from(["", " ", "  ", "\n", "\t", "\u2009"])
        ),
        max_size=14,
    )
)
def test_end_anchored_patterns_find_what_a_full_search_finds(pieces):
    """The shortcuts (the last word, then only the last few words searched) never hide a
    match: "rose by about" before a figure is still read as a change with its qualifier,
    whatever precedes it, however the words are spaced."""
    from annotations import figures

    window = "".join(word + space for word, space in pieces)
    for anchored in (
        figures._CHANGE_BEFORE,
        figures._CHANGE_NOUN_BEFORE,
        figures._TO_AFTER_CHANGE,
        figures._QUALIFIER_BEFORE,
        figures._AGE_BEFORE,
    ):
        found = anchored.search(window)
        expected = anchored.pattern.search(window)
        assert (found and found.span()) == (expected and expected.span()), window
        assert anchored.sub("", window) == anchored.pattern.sub("", window)


@pytest.mark.parametrize(
    ("name", "longest"),
    [
        ("_CHANGE_BEFORE", "went up by\u00a0 as many as"),
        ("_CHANGE_NOUN_BEFORE", "increase of in excess of"),
        ("_TO_AFTER_CHANGE", "gone down to an average of"),
        ("_QUALIFIER_BEFORE", "as\tmuch as"),
        ("_AGE_BEFORE", "(children under"),
    ],
)
def test_end_anchored_patterns_find_their_longest_matches_after_many_words(name, longest):
    """Only a window's last few words are searched: as many as the longest match holds."""
    from annotations import figures

    anchored = getattr(figures, name)
    for before in ("", "Figures from the annual report of the county show that visitors "):
        window = before + longest + " \n"
        found = anchored.search(window)
        assert found is not None and found.start() == window.index(longest.lstrip("("))
        assert found.span() == anchored.pattern.search(window).span()


_PERIOD_WORDS = ["in", "over", "the", "last", "past", "previous", "this", "next", "a", "few"]
_PERIOD_WORDS += ["year", "years", "month", "weeks", "decade", "earlier", "before", "3", "weekend"]
_PERIOD_WORDS += ["biyearly", "(", ",", "x"]


@settings(max_examples=400)
@given(
    st.lists(
        st.tuples(st.sampled_from(_PERIOD_WORDS), st.sampled_from(["", " ", "  ", "\u00a0"])),
        max_size=16,
    )
)
def test_relative_periods_are_found_where_a_search_of_the_whole_text_finds_them(pieces):
    """Relative periods are searched for only from a few words before the first "year",
    "month"…: every one a search of the whole text finds is found, in the same place."""
    from annotations import figures

    text = "".join(word + space for word, space in pieces)
    everywhere = [m.span() for m in figures._RELATIVE_LOWER.finditer(text)]
    markers = figures._period_markers(text, [], text)
    assert [(marker.start, marker.end) for marker in markers] == everywhere


@pytest.mark.parametrize(
    "period",
    ["in the past three years", "over the  last 12 months", "during the the previous decade"],
)
def test_the_longest_relative_periods_late_in_a_sentence_are_found_whole(period):
    from annotations import figures

    text = f"Visitor numbers at the museum and its galleries rose 12% {period}."
    [marker] = figures._period_markers(text.lower(), [], text.lower())
    assert text[marker.start : marker.end] == period
    [figure] = extract_figures(text)
    assert figure.text == "rose 12%" and figure.period == marker.label


_SCAN_PIECES = ["US$", "us$", "$", "£", "€", "5", "1,000", "3.5", "%", "a", "An", "twice"]
_SCAN_PIECES += ["Twenty", "tenfold", "Fold", "_5", "b7", "2nd", "million", "half", "per cent"]
_SCAN_PIECES += ["BUS$", "ÉTÉ", "²", "٣", "HUNDREDS", "dozen", "no", "Unchanged", "US", " ", "\n"]


@settings(max_examples=400)
@given(st.lists(st.tuples(st.sampled_from(_SCAN_PIECES), st.sampled_from(["", " "])), max_size=12))
def test_figures_start_where_they_would_word_by_word(pieces):
    """Where a figure can start is found by one pattern in the lower-cased text; it finds the
    same places as looking at the text word by word ("US$5", "tenfold", "Unchanged at")."""
    from annotations import figures

    text = "".join(piece + space for piece, space in pieces)
    by_pattern = [m.span() for m in figures._scan(text, text.lower())]
    assert by_pattern == [m.span() for m in figures._scan(text, None)]


@pytest.mark.parametrize("opening", ["Today", "Exactly", "Researchers", "Altogether"])
def test_a_capitalised_word_opening_a_later_sentence_is_not_read_as_a_name(opening):
    # "Channel 4" is a name; "Today 300" opening a sentence is a count, wherever the sentence
    # stands in the text (the check once looked at the wrong place past the 40th character).
    first = "The ferry office reopened after the long winter storms."
    for text in (f"{opening} 300 passengers sailed.", f"{first} {opening} 300 passengers sailed."):
        assert [figure.text for figure in extract_figures(text)] == ["300"], text
