"""Figures in a claim's text: the quantities it states, normalised so that claims compare.

``extract_figures(text)`` reads a claim (its quote and statement, a sentence or three) and
returns one :class:`Figure` per quantity: "300,000 people", "up 700%", "1 in 10 pupils",
"£5m a year", "550,000–850,000", "doubled", "fell by a third". Years, dates, ages, ordinals,
section numbers, times and phone numbers are not figures; a year next to a figure becomes its
``period``. A number-like thing that cannot be read ("1,50", "tens of thousands") is kept as
text with ``readable=False`` and no value: it is marked, never guessed.

``normalise_number(text)`` reads one number as written ("300,000", "300k", "1.5m",
"two million", "a third", "1 in 10", "half") so that search finds the same number however it
is spelled. ``figures_comparable`` / ``figures_conflict`` say whether two figures count the
same thing and whether their values disagree.

Pure regular expressions and tables, no library: see docs/figures.md for the evaluation of
quantulum3, text2num, number-parser and inflect, and why none of them is used.

What is counted (``Figure.counted``) is the head noun of the phrase around the number,
lower-cased and made singular ("child sex abuse images" → "image", "people" → "person"), then
mapped through :data:`COUNTED_SYNONYMS`. Two rules look at the words around a person noun:

- someone arrested, charged or convicted is counted as that event ("arrested 252 people" →
  "arrest"), see :data:`EVENT_COUNTS`;
- people said to pose a threat or to be (sexually) interested in abusing children are counted
  as "offender", the same key as "predators", "paedophiles", "abusers" and "offenders".
"""

from __future__ import annotations

import re
import string
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from annotations.patterns import may_match, word_tree, words_hint

__all__ = [
    "COUNTED_SYNONYMS",
    "EVENT_COUNTS",
    "Figure",
    "extract_figures",
    "figures_comparable",
    "figures_conflict",
    "normalise_number",
]


@dataclass(frozen=True, slots=True)
class Figure:
    """One quantity stated in a text.

    ``value`` is None for ranges (the bounds are ``low``/``high``) and for what cannot be read;
    otherwise ``low == high == value``. Percentages are in percent (25.0 for 25%), ratios are
    fractions (0.1 for "1 in 10"), multipliers are factors (2.0 for "doubled"); a change stated
    as a fraction ("fell by a third") is in percent with ``unit="%"``.
    """

    text: str  # the span exactly as written
    start: int  # code-point offsets of ``text`` in the text given to extract_figures
    end: int
    value: float | None
    low: float | None
    high: float | None
    unit: str  # "count", "%", "pp", "ratio", "times", "£", "$", "€", "mm", "km", "kg", …
    counted: str | None  # singular lemma of what is counted, after COUNTED_SYNONYMS
    period: str | None  # "per month", "2019", "2017-18", "since 2012", "per year in 2019", …
    direction: str | None  # "up", "down", "same" or None
    kind: str  # "count", "amount", "percent", "ratio", "multiplier" or "change"
    readable: bool = True
    qualifier: str | None = None  # "about", "at least", "more than", "up to", "fewer than", …


# --- Words and tables -----------------------------------------------------------------------

_UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TEN_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALE_WORDS = {
    "thousand": Decimal(10**3),
    "million": Decimal(10**6),
    "billion": Decimal(10**9),
    "trillion": Decimal(10**12),
}
# Glued or abbreviated scales as British and American newsrooms write them: "300k", "1.5m",
# "£2.3bn", "$4tn". A glued "m" is million ("1.5m passengers") unless a word of size follows
# ("a 100m-long ferry").
_SCALE_SUFFIXES = {
    "k": Decimal(10**3),
    "m": Decimal(10**6),
    "mn": Decimal(10**6),
    "mln": Decimal(10**6),
    "b": Decimal(10**9),
    "bn": Decimal(10**9),
    "tn": Decimal(10**12),
    "trn": Decimal(10**12),
}
_FRACTION_WORDS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7,
    "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9, "tenth": 10, "tenths": 10,
}  # fmt: skip
_MULTIPLIER_WORDS = {
    "doubled": 2, "doubling": 2, "doubles": 2, "tripled": 3, "trebled": 3, "tripling": 3,
    "trebling": 3, "triples": 3, "quadrupled": 4, "quadrupling": 4, "halved": 0.5,
    "halving": 0.5,
}  # fmt: skip
_CURRENCIES = {"£": "£", "$": "$", "us$": "$", "€": "€"}
_UNIT_NAMES = {
    "mm": "mm", "millimetre": "mm", "millimetres": "mm", "millimeter": "mm", "millimeters": "mm",
    "cm": "cm", "centimetre": "cm", "centimetres": "cm", "km": "km", "kilometre": "km",
    "kilometres": "km", "kilometer": "km", "kilometers": "km", "mile": "mile", "miles": "mile",
    "kg": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
    "tonne": "tonne", "tonnes": "tonne", "ton": "tonne", "tons": "tonne", "litre": "litre",
    "litres": "litre", "liter": "litre", "liters": "litre", "mph": "mph", "kph": "km/h",
    "km/h": "km/h", "°c": "°C", "degrees": "°C", "degree": "°C", "pounds": "£", "pound": "£",
    "dollars": "$", "dollar": "$", "euros": "€", "euro": "€", "p": "p", "pence": "p",
}  # fmt: skip

#: What is counted, after it is made singular: several words, one key.
COUNTED_SYNONYMS = {
    "predator": "offender",
    "paedophile": "offender",
    "pedophile": "offender",
    "abuser": "offender",
    "traveller": "passenger",
    "traveler": "passenger",
    "rider": "passenger",
    "student": "pupil",
    "schoolchild": "pupil",
    "picture": "image",
    "photo": "image",
    "photograph": "image",
    "individual": "person",
    "resident": "person",
    "citizen": "person",
    "adult": "person",
    "briton": "person",
    "man": "person",
    "woman": "person",
    "incident": "case",
    "report": "case",
}
# Nouns for people: the words around them may say what is really counted.
_PERSON_KEYS = {"person", "suspect", "offender", "child", "teenager", "boy", "girl"}
#: A person noun next to one of these verbs counts that event: "arrested 252 people",
#: "1,000 suspects were arrested" → "arrest".
EVENT_COUNTS = {"arrest": "arrest", "charge": "charge", "convict": "conviction"}
_EVENT_BEFORE = re.compile(
    r"\b(arrest|charg|convict)(?:ed|ing|s)?\b(?:\s+(?:an?|the|some|about|around|nearly|over|"
    r"more|than|average|of|at|least|almost|roughly|another|further|just)){0,4}\s*$",
    re.I,
)
_EVENT_AFTER = re.compile(
    r"^(?:\s+(?:who|that|have|has|had|were|was|been|being|are|now|already)){0,3}\s+"
    r"(arrest|charg|convict)(?:ed)\b",
    re.I,
)
_THREAT = re.compile(
    r"\bpos(?:e|es|ed|ing)\s+an?\s+(?:[\w-]+\s+){0,2}(?:threat|risk|danger)\b"
    r"|\b(?:sexually\s+)?interested\s+in\s+(?:abusing\s+|harming\s+)?children\b"
    r"|\bsexual\s+interest\s+in\s+children\b",
    re.I,
)

_IRREGULAR_SINGULARS = {
    "people": "person", "men": "man", "women": "woman", "children": "child",
    "schoolchildren": "schoolchild", "mice": "mouse", "teeth": "tooth", "feet": "foot",
    "geese": "goose", "lives": "life", "wives": "wife", "knives": "knife", "leaves": "leaf",
    "halves": "half", "wolves": "wolf", "shelves": "shelf", "thieves": "thief", "data": "data",
    "media": "media", "criteria": "criterion", "phenomena": "phenomenon", "analyses": "analysis",
    "crises": "crisis", "police": "police", "staff": "staff", "sheep": "sheep", "fish": "fish",
    "series": "series", "species": "species", "news": "news", "buses": "bus",
}  # fmt: skip
_NOT_PLURAL_ENDINGS = ("ss", "us", "is", "ous", "ics", "'s", "’s")
_IRREGULAR_PLURALS = frozenset(
    w for w, s in _IRREGULAR_SINGULARS.items() if w != s and w not in {"data", "media"}
)


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that end a noun phrase (or, before a number, separate it from its subject).
_STOP = _wordset(
    """a an the and or but nor of in on at to from for with by per into onto over under
    across after before during since between among about than as like via within without
    around against through throughout toward towards up down out off upon near
    who whom whose which that where when while whether if because so though although
    is are was were be been being am has have had do does did will would shall should can
    could may might must not no never also only just even still yet already now then there
    here this these those each every any all some such other another own same its their his
    her our your my it they them he she we you i one ones what how why
    more most less least many much few fewer several very too quite rather almost nearly
    roughly approximately around estimated average total respectively alone again
    last next past previous first second third
    higher lower greater larger bigger smaller longer shorter faster slower likely
    long high tall wide deep old unchanged
    ago said says say told according hit hits reached reaches totalled totaled totals
    stood stands numbered amounted came comes"""
)
_LEADING_SKIP = _wordset(
    "of the all its their those these our his her whom which them some any more"
)
_MEASURE_NOUNS = frozenset(
    {"number", "numbers", "figure", "figures", "total", "totals", "level", "levels"}
)
_TIME_NOUNS = frozenset({"year", "month", "week", "decade", "century", "fortnight"})
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
# A number straight after one of these names a thing, it does not count one.
_LABELS = _wordset(
    """section sections clause clauses article articles paragraph paragraphs para chapter
    chapters page pages part parts schedule table figure fig item items version v vol volume
    issue no number tier level stage phase room flight platform route junction exit gate
    channel episode season series grade category question rule regulation amendment line
    bus act windows covid top key class form ward district zone lane apartment flat
    highway road street house unit block"""
)
# Capitalised words that may stand before a figure at the start of a sentence.
_FUNCTION_CAPS = _STOP | _wordset(
    """some about around over nearly almost roughly only just another estimated an
    between from up down more fewer less than at least as many much"""
)

_NUMBER_WORD = "|".join(
    sorted([*_UNIT_WORDS, *_TEN_WORDS, "hundred", *_SCALE_WORDS, "dozen"], key=len, reverse=True)
)
_FRACTION_WORD = "|".join(sorted(_FRACTION_WORDS, key=len, reverse=True))
_SMALL_WORD = "a|an|one|two|three|four|five|six|seven|eight|nine"
_SCALE_AFTER = r"million|billion|trillion|thousand|bn|mn|m|k"

# One pass over the text finds every number-like thing ("atom"); ranges and ratios are joined
# afterwards, and each candidate is then judged in its context.
_ATOM = re.compile(
    rf"""
    (?<!\w)  # every figure starts a word: this skips most positions at once
    (?:(?P<vague>
        \b(?:tens|hundreds|thousands|millions|billions|dozens|scores)\s+of\s+
          (?:thousands|millions|billions)\b
      | \b(?:several|a\s+few|many)\s+(?:hundred|thousand|million|billion)\b
      | \b(?:hundreds|thousands|millions|billions|dozens|scores)\b(?=\s+(?:of|more)\b)
    )
  | (?P<frac>
        \b(?:(?:{_NUMBER_WORD})\s+and\s+an?\s+half
          |(?:(?:{_SMALL_WORD})[\s-]+)?(?:{_FRACTION_WORD}))\b
        (?:\s+(?:of\s+)?an?\s+(?:million|billion|thousand)\b)?
        (?:\s+(?:million|billion|thousand)\b)?
    )
  | (?P<mult>\b(?:{"|".join(_MULTIPLIER_WORDS)})\b
      | \btwice\b(?=\s+(?:as|the)\b)
      | \b(?:\d+|{_NUMBER_WORD})[ -]?fold\b)
  | (?P<cur>US\$|[£$€])?[ \u00a0]?
    (?P<num>(?<!\w)(?<!\d[.,])\d(?:[\d,.\u00a0\u202f\u2009]*\d)?
        (?:(?<!\d{{4}})[ ]\d{{3}}(?![\w]|[.,]\d))*)
    (?P<suf>%|°C|[^\W\d_]+)?
    (?:[ \u00a0](?P<scale>million|billion|trillion|thousand|bn|mn)\b)?
  | (?P<words>
        \b(?:an?\s+)?(?:{_NUMBER_WORD})
        (?:(?:[ -]|(?<=hundred)\s+and\s|(?<=thousand)\s+and\s|(?<=million)\s+and\s)
           (?:{_NUMBER_WORD}))*\b
    )
  | (?P<same>\b(?:unchanged|stayed\s+the\s+same|remained\s+the\s+same|held\s+steady
      |remained\s+(?:stable|steady|flat)|no\s+change)\b))
    """,
    re.I | re.X,
)

_UNIT_AFTER = re.compile(
    r"""[ \u00a0]?(?:
        (?P<pp>percentage[ \u00a0]+points?\b)
      | (?P<pct>%|per[ \u00a0]?cent\b|percent\b|pc\b)
      | (?P<unit>millimetres?|millimeters?|mm|centimetres?|cm|kilometres?|kilometers?|km/h|km
          |miles?|kg|kilos?|kilograms?|tonnes?|tons?|litres?|liters?|mph|kph|degrees?
          |°C|pounds|dollars|euros|pence)\b
    )""",
    re.I | re.X,
)

# Masked before anything else: whatever digits they hold are not figures.
_LINKS = re.compile(r"https?://\S+|www\.\S+|\b[\w.+-]+@[\w-]+\.[\w.]+", re.I)
_MASKS = [
    re.compile(  # phone numbers: UK, international, North American
        r"(?<![\w+])(?:\+\d{1,3}[\s.-]?(?:\(0\)\s?)?\d{2,5}|\(0\d{2,5}\)|0\d{2,5})"
        r"(?:[\s.-]?\d{2,4}){2,3}(?![\w])"
        r"|\(\d{3}\)\s?\d{3}-\d{4}\b|\b\d{3}-\d{3}-\d{4}\b"
    ),
    re.compile(r"\b\d{1,2}[:.]\d{2}\s?(?:am|pm)\b|\b\d{1,2}:\d{2}(?::\d{2})?\b", re.I),
    re.compile(r"\b\d{1,2}\s?(?:am|pm)\b", re.I),
    re.compile(r"\b\d+(?:\.\d+){2,}\b(?<!\d\.\d{3}\.\d{3})"),  # 3.2.1, 192.168.0.1
    re.compile(r"\b\d{1,3}/\d{1,3}\b(?!/)"),  # 24/7, 9/11 (dates are matched before)
]
# Dates are masked too, but their year is a period.
_DATES = [
    re.compile(r"\b(?P<y>\d{4})-\d{2}-\d{2}\b"),
    re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.](?P<y>\d{4}|\d{2})\b"),
    re.compile(
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b\.?(?:,?\s+(?P<y>\d{{4}})\b)?"
    ),
    re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{{4}})\b)?"),
    re.compile(rf"\b(?:{_WEEKDAYS})\s+\(\d{{1,2}}\)"),
]
# One pass for all of them; a date's year, read back from its span, is a period marker.
# Each starts with a digit, "+" or "(" (dates also with a capital): a look-ahead on that
# first character lets the engine skip every other position at once.
_MASK = re.compile("(?=[\\d+(])(?:" + "|".join(f"(?:{p.pattern})" for p in _MASKS) + ")", re.I)
_DATE = re.compile(  # month names keep their case: "may 3" is not a date
    "(?=[\\dA-Z])(?:" + "|".join(f"(?:{p.pattern.replace('?P<y>', '')})" for p in _DATES) + ")"
)
_DATE_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
# The year patterns below start with a character rather than "\b", which lets the engine skip
# to where they can match instead of trying them at every character: "\b1" is written
# "1(?<!\w1)" (the character before the 1 is not part of a word).
_YEAR_RANGE = re.compile(
    r"(?P<a>1(?<!\w1)[89]\d\d|2(?<!\w2)0\d\d)\s*(?:[-–/]|\bto\b)\s*(?P<b>1[89]\d\d|20\d\d|\d\d)\b"
    r"(?!\s*%)"
)
_YEAR_BETWEEN = re.compile(
    r"\bbetween\s+(?P<a>1[89]\d\d|20\d\d)\s+and\s+(?P<b>1[89]\d\d|20\d\d)\b", re.I
)
# The same in the lower-cased text (``folded``), where it can start with the word itself.
_YEAR_BETWEEN_LOWER = re.compile(
    r"between(?<!\wbetween)\s+(?P<a>1[89]\d\d|20\d\d)\s+and\s+(?P<b>1[89]\d\d|20\d\d)\b"
)
# "the 1990s": the marker is the decade's, so "the" is not looked for.
_DECADE = re.compile(r"(?P<d>1(?<!\w1)[89]\d0|2(?<!\w2)0\d0)(?:’|')?s\b")
_RELATIVE = re.compile(
    r"\b(?:(?:in|over|during)\s+)?(?:the\s+)?"
    r"(?P<rel>(?:last|past|previous)\s+(?:(?:\d+|[a-z]+)\s+)?(?:years|months|weeks|decades)"
    r"|(?:last|this|next|the\s+past|the\s+previous)\s+(?:year|month|week|decade)"
    r"|a\s+year\s+earlier|the\s+year\s+before)\b",
    re.I,
)
_YEAR_PREP = re.compile(
    r"\b(?:in|since|from|by|until|till|to|before|after|during|of|between|and|early|late|mid|"
    r"spring|summer|autumn|winter|year|fy|financial|calendar|the)[\s-]*$",
    re.I,
)
_SINCE = re.compile(r"\b(?:since|from)\s+$", re.I)
_RATE = re.compile(
    r"\b(?:(?:per|a|an|each|every|in\s+a)\s+(?P<u>day|week|month|year|annum)\b"
    r"(?!\s+(?:ago|earlier|later|before|after|on|old))"
    r"|(?P<adv>daily|weekly|monthly|annually|yearly|annual))\b",
    re.I,
)
# "[.!?…]+[\"'”’)\]]*(?=\s)|\n" written to start with the set of its first characters, which
# lets the engine skip to them at once instead of trying the pattern at every character.
_SENTENCE_END = re.compile(r"[.!?…\n](?:(?<=\n)|[.!?…]*[\"'”’)\]]*(?=\s))")

_CHANGE_UP = (
    "up|rose|risen|rise|rises|rising|increased|increases|increasing|grew|grown|grow|grows|"
    "growing|jumped|jumps|climbed|climbs|soared|soars|surged|surges|gained|went up|gone up|"
    "rocketed|leapt|leaped|swelled|expanded"
)
_CHANGE_DOWN = (
    "down|fell|fallen|fall|falls|falling|dropped|drops|declined|declines|decreased|decreases|"
    "shrank|shrunk|slumped|plunged|plummeted|cut|reduced|went down|gone down|lost|tumbled|"
    "dipped|slid"
)
# Verbs that also take a plain object ("the storm dropped 4 inches", "the firm lost £2m"): a
# change only with "by" or a share ("dropped by 4", "lost 5%").
_AMBIGUOUS_CHANGE = frozenset({"dropped", "drops", "cut", "lost", "gained", "reduced", "expanded"})
_QUALIFIER = (
    r"about|around|approximately|roughly|some|nearly|almost|at\s+least|more\s+than|over|"
    r"fewer\s+than|less\s+than|under|up\s+to|as\s+many\s+as|as\s+much\s+as|as\s+few\s+as|"
    r"at\s+most|an\s+estimated|estimated|an\s+average\s+of|on\s+average|upwards\s+of|"
    r"in\s+excess\s+of|just\s+over|just\s+under|well\s+over|only|just"
)
_QUALIFIER_NAMES = {
    "about": "about", "around": "about", "approximately": "about", "roughly": "about",
    "some": "about", "an estimated": "about", "estimated": "about",
    "nearly": "almost", "almost": "almost", "just under": "almost",
    "at least": "at least", "upwards of": "at least",
    "more than": "more than", "over": "more than", "in excess of": "more than",
    "just over": "more than", "well over": "more than",
    "fewer than": "fewer than", "less than": "fewer than", "under": "fewer than",
    "up to": "up to", "as many as": "up to", "as much as": "up to", "at most": "up to",
    "as few as": "as few as", "an average of": "average", "on average": "average",
    "only": "only", "just": "only",
}  # fmt: skip


def _last_word(text: str) -> str:
    """The run of ASCII letters that ends ``text`` (trailing spaces aside), lower-cased. (The
    patterns' IGNORECASE would also take "ſ" and the Kelvin sign for s and k; a word spelled
    with them is not looked for: not a spelling of news text.)"""
    stripped = text.rstrip()
    return stripped[len(stripped.rstrip(string.ascii_letters)) :].lower()


def _final_words(*alternations: str) -> frozenset[str]:
    """The last word of each alternative of ``"up|went up|at\\s+least"``-style alternations."""
    return frozenset(
        alternative.replace(r"\s+", " ").split()[-1].lower()
        for alternation in alternations
        for alternative in alternation.split("|")
    )


def _most_words(*alternations: str) -> int:
    """How many words a run of the alternations holds at most, one alternative of each in
    turn ("went up" then "by" then "as many as": 6)."""
    return sum(
        max(len(alternative.replace(r"\s+", " ").split()) for alternative in alternation.split("|"))
        for alternation in alternations
    )


class _AtEnd:
    """A pattern that can only match at the end of its text ("rose by about" before a number),
    looked for only when the text's last word can end a match, and then only in the text's
    last ``words`` words. Searching for ``…\\s*$`` tries the whole pattern at every position
    of the text; the last word rules most texts out at once, and a match, whose words are
    separated by spaces, starts at the earliest in the word that many words from the end:
    the search starts there (``search(text, pos)`` sees the characters before ``pos``, so
    ``\\b`` is judged as before) and finds what it finds in the whole text."""

    def __init__(self, pattern: re.Pattern, final_words: frozenset[str], words: int) -> None:
        self.pattern = pattern
        self.final_words = final_words
        self.words = words

    def _earliest(self, text: str) -> int:
        """Where a match can start at the earliest: after the text that precedes its last
        ``words`` words (the whole text when it has fewer)."""
        head = text.rsplit(None, self.words)
        return len(head[0]) if len(head) > self.words else 0

    def search(self, text: str, last_word: str | None = None) -> re.Match | None:
        """``last_word``: ``_last_word(text)``, when the caller has it already."""
        if (_last_word(text) if last_word is None else last_word) not in self.final_words:
            return None
        return self.pattern.search(text, self._earliest(text))

    def sub(self, replacement: str, text: str) -> str:
        """``pattern.sub(replacement, text)``: a match ends the text, so there is one."""
        found = self.search(text)
        if found is None:
            return text
        return text[: found.start()] + found.expand(replacement) + text[found.end() :]


_CHANGE_BEFORE = _AtEnd(
    re.compile(
        rf"\b(?P<verb>{_CHANGE_UP}|{_CHANGE_DOWN})(?:\s+(?P<by>by)|\s+(?:a|an|of))?"
        rf"(?:\s+(?P<q>{_QUALIFIER}))?\s*$",
        re.I,
    ),
    _final_words(_CHANGE_UP, _CHANGE_DOWN, "by|a|an|of", _QUALIFIER),
    _most_words(f"{_CHANGE_UP}|{_CHANGE_DOWN}", "by|a|an|of", _QUALIFIER),
)
_CHANGE_NOUN_BEFORE = _AtEnd(
    re.compile(
        r"\b(?P<noun>increase|rise|growth|jump|surge|hike|fall|drop|decline|decrease|reduction|"
        rf"cut|slump)\s+of(?:\s+(?P<q>{_QUALIFIER}))?\s*$",
        re.I,
    ),
    _final_words("of", _QUALIFIER),
    _most_words("increase", "of", _QUALIFIER),  # each noun is one word
)
_CHANGE_AFTER = re.compile(
    r"^[\s-]*(?P<noun>increase|rise|growth|jump|surge|hike|up|higher|more|"
    r"fall|drop|decline|decrease|reduction|cut|slump|down|lower|fewer|less)\b"
    r"(?!\s+than\s+(?:half|a\s+third|a\s+quarter))",
    re.I,
)
_TO_AFTER_CHANGE = _AtEnd(
    re.compile(
        rf"\b(?P<verb>{_CHANGE_UP}|{_CHANGE_DOWN}|remained|stayed|held|steady|unchanged)"
        rf"\s+(?:at|to)(?:\s+(?P<q>{_QUALIFIER}))?\s*$",
        re.I,
    ),
    _final_words("at|to", _QUALIFIER),
    _most_words(f"{_CHANGE_UP}|{_CHANGE_DOWN}", "at|to", _QUALIFIER),
)
_QUALIFIER_BEFORE = _AtEnd(
    re.compile(rf"\b(?P<q>{_QUALIFIER})\s*$", re.I),
    _final_words(_QUALIFIER),
    _most_words(_QUALIFIER),
)
_DOWN_WORDS = frozenset(_CHANGE_DOWN.split("|")) | {
    "fall", "drop", "decline", "decrease", "reduction", "cut", "slump", "down", "lower",
    "fewer", "less",
}  # fmt: skip
_COUNT_OF_BEFORE = re.compile(
    r"\b(?:number|numbers|count|total|amount|level|levels|volume|proportion|share|rate|"
    r"increase|rise|growth|jump|fall|drop|decline)[”’\"']?\s+(?:in|of)\s+(?:the\s+)?"
    r"(?:number\s+of\s+|amount\s+of\s+)?(?P<phrase>(?:[\w’'-]+\s*){1,5})",
    re.I,
)
_AGE_AFTER = re.compile(r"^(?:[\s-]*years?[\s-]*olds?|[\s-]+yr[\s-]*olds?|-year)\b", re.I)
_AGO_AFTER = re.compile(
    r"^\s+(?:years?|months?|weeks?|days?|decades?)\s+(?:ago|earlier|before)\b", re.I
)
_AGE_BEFORE = _AtEnd(
    re.compile(
        r"\b(?:aged|age|ages|aged\s+between|aged\s+from|(?:children|child|kids|pupils|boys|"
        r"girls|people|adults|those|anyone|everyone)\s+(?:under|over|below|above))\s*$",
        re.I,
    ),
    _final_words("aged|age|ages|between|from|under|over|below|above"),
    _most_words("aged between|children under"),
)
_TIMES_AFTER = re.compile(
    r"^\s+times\s+(?:as|more|higher|greater|larger|bigger|lower|fewer|less|smaller|the|over)\b",
    re.I,
)
_RATIO_GAP = re.compile(r"\s+in\s+(?:every\s+)?", re.I)
_RANGE_GAP = re.compile(r"\s*(?:–|—|-|‐|to|and)\s*", re.I)
_WORD_TOKEN = re.compile(r"[^\W\d_][\w’'-]*|\d[\d,.]*|[^\w\s]")
_DIGITS = re.compile(
    r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+)(?:\.\d+)?|\.\d+"
)
_NUMBER_AS_WRITTEN = re.compile(
    rf"(?P<num>{_DIGITS.pattern})\s*(?P<scale>{_SCALE_AFTER}|bn|mn|mln|b|tn|trn)?", re.I
)


_METRIC_AFTER = re.compile(r"[\s-]*(?:high|tall|long|wide|deep|sprint|race|metres?)\b")
_NOUN_AFTER = re.compile(r"\s+([^\W\d_][\w’'-]*)")
_THE_NUMBER = re.compile(r"\bthe\s+number\s+$", re.I)
_NOT_A_SHARE_BEFORE = re.compile(
    r"\b(?:first|second|latter|former|last|other|the|this|each|every)\s+$", re.I
)
_SHARE_AFTER = re.compile(r"\s+(?:of|the|their|its|all)\b", re.I)
_SHARE_BEFORE = re.compile(rf"\b(?:by|than|{_QUALIFIER})\s+$", re.I)
_BETWEEN_BEFORE = re.compile(r"\bbetween\s+$", re.I)
_FROM_BEFORE = re.compile(r"\bfrom\s+$", re.I)
_TO_BEFORE = re.compile(r"\bto\s+$")
_ONLY_TO = re.compile(r"\s*to\s+")
_CHANGE_WORD = re.compile(rf"\b(?:{_CHANGE_UP}|{_CHANGE_DOWN})\b", re.I)
_TIMES_WORD = re.compile(r"\s+times")
_CHANGE_COUNT_WORD = re.compile(
    r"more|fewer|less|higher|lower|up|down|increase|rise|fall|drop", re.I
)
_SUBSET = re.compile(r"\s+(?:out\s+)?of\s+(?:them|whom|which|these|those|us|you|it)\b", re.I)
_ADDRESS_AFTER = re.compile(
    r"\s+(?:[A-Z][\w'’-]*\s+){1,3}(?:Street|St|Road|Rd|Avenue|Lane|Square|Place|Drive|Way|"
    r"Close|Terrace|Crescent|Gardens|Court|Row|Walk|Hill)\b"
)
_SCORE_AFTER = re.compile(r"\s+(?:split|vote|win|draw|defeat|victory|lead|score|majority)\b", re.I)
_PART_OF = re.compile(r"\s+(?:out\s+)?of\s+(?:the\s+)?[\d,]+\s+")
_WHAT_CHANGED = re.compile(
    r"\s*(?:[\w-]+\s+)?(?:in|as\s+many|as\s+much|more|of)\s+(?:the\s+)?"
    r"(?:number\s+of\s+|amount\s+of\s+)?",
    re.I,
)
_CLAUSE_BREAK = re.compile(r"[,;:()]|\s[–—-]\s")
_SUBJECT_BREAK = re.compile(r"[;:,()“”\"]|\s[–—-]\s|\d[\d,.]*%?|[.!?]\s")
_LETTER_WORD = re.compile(r"[^\W\d_][\w’'-]*")
_SPACES = re.compile(r"\s+")
_YEAR_DIGITS = re.compile(r"1[89]\d\d|20\d\d")
_DIGIT = re.compile(r"\d")
_RELATIVE_HINT = re.compile(r"year|month|week|decade", re.I)
# What every match of _RELATIVE holds, in the lower-cased text: a word of each group.
_RELATIVE_NEEDS = (
    re.compile(word_tree(["year", "month", "week", "decade"])),
    re.compile(word_tree(["last", "past", "previous", "this", "next", "earlier", "before"])),
)
_RELATIVE_LOWER = re.compile(_RELATIVE.pattern)  # for text already lower-cased
# "in the past three years": the most words a match of _RELATIVE holds before its unit.
_RELATIVE_WORDS_BEFORE = 4


# --- Reading one number ---------------------------------------------------------------------


def normalise_number(text: str) -> float | None:
    """The value of one number as written, or None when it cannot be read for sure.

    Reads digits with thousands separators and decimals ("300,000", "1,234.5"), glued or
    spelled scales ("300k", "1.5m", "£2.3bn", "2 million"), number words ("two million",
    "one hundred and five", "a dozen"), fractions ("a third", "two thirds", "half",
    "half a million", "two and a half million") and ratios ("1 in 10", "one in every five").
    A leading currency sign and a trailing "%"/"per cent" are ignored. Vague amounts ("tens of
    thousands", "several hundred") and badly grouped digits ("1,50") give None.
    """
    value = _number_value(text)
    return None if value is None else float(value)


@lru_cache(maxsize=4096)
def _number_value(text: str) -> Decimal | None:
    s = re.sub(r"[\s\u00a0\u202f\u2009]+", " ", text.strip().lower())
    s = re.sub(r"^(?:us\$|[£$€])\s?", "", s)
    s = re.sub(r"\s?(?:%|per ?cent|percent)$", "", s).strip()
    if not s:
        return None
    ratio = re.fullmatch(r"(.+?) in (?:every )?(.+)", s)
    if ratio:
        part, whole = _number_value(ratio[1]), _number_value(ratio[2])
        if part is None or not whole or part > whole:
            return None
        return part / whole
    slash = re.fullmatch(r"(\d+) ?/ ?(\d+)", s)
    if slash:
        part, whole = int(slash[1]), int(slash[2])
        return Decimal(part) / Decimal(whole) if 0 < part < whole else None
    digits = _NUMBER_AS_WRITTEN.fullmatch(s)
    if digits:
        return _digits_value(digits["num"], digits["scale"])
    if re.search(r"\d", s) and not re.fullmatch(r"[\d.,]+ [a-z ]+", s):
        return None
    return _words_value(re.split(r"[ -]+", s))


_NO_SEPARATORS = str.maketrans("", "", ", \u00a0\u202f\u2009")


def _digits_value(digits: str, scale: str | None) -> Decimal | None:
    if not _DIGITS.fullmatch(digits):
        return None
    try:
        value = Decimal(digits.translate(_NO_SEPARATORS))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None
    if scale:
        factor = _SCALE_SUFFIXES.get(scale.lower()) or _SCALE_WORDS.get(scale.lower())
        if factor is None:
            return None
        value *= factor
    return value


_AFTER_A = frozenset({"hundred", "dozen", *_SCALE_WORDS, *_FRACTION_WORDS})


def _words_value(tokens: list[str]) -> Decimal | None:
    """Number words, left to right: "two hundred and five thousand", "one and a half million",
    "half a million", "a quarter of a million", "three quarters", "a dozen"."""
    total = Decimal(0)
    current: Decimal | None = None
    seen = False
    i = 0
    while i < len(tokens):
        word = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if word in {"a", "an"}:
            if after not in _AFTER_A:
                return None
            if current is None:
                current = Decimal(1)  # "a dozen", "a third", "a million"
            elif tokens[i - 1] not in _FRACTION_WORDS and tokens[i - 1] != "of":
                return None  # only "half a million", "a quarter of a million" go on
            i += 1
            continue
        if word == "and":
            if after in {"a", "an"} and i + 2 < len(tokens) and tokens[i + 2] == "half":
                if current is None:
                    return None
                current += Decimal("0.5")
                i += 3
                seen = True
                continue
            if not seen:
                return None
            i += 1
            continue
        if word == "of" and current is not None and after in {"a", "an"}:
            i += 1
            continue
        if word in _UNIT_WORDS or word in _TEN_WORDS:
            n = Decimal(_UNIT_WORDS.get(word, _TEN_WORDS.get(word, 0)))
            if current is not None:
                rest = current % 100
                if not (rest == 0 or (rest % 10 == 0 and rest >= 20 and n < 10)):
                    return None
            current = (current or Decimal(0)) + n
        elif word in _FRACTION_WORDS:
            part = Decimal(1) / Decimal(_FRACTION_WORDS[word])
            current = part if current is None else current * part
        elif word == "hundred":
            if current is not None and current >= 100:
                return None
            current = (current or Decimal(1)) * 100
        elif word == "dozen":
            current = (current or Decimal(1)) * 12
        elif word in _SCALE_WORDS:
            total += (current if current is not None else Decimal(1)) * _SCALE_WORDS[word]
            current = None
        elif not seen and _DIGITS.fullmatch(word):
            current = _digits_value(word, None)
            if current is None:
                return None
        else:
            return None
        seen = True
        i += 1
    if not seen:
        return None
    return total + (current or Decimal(0))


# --- Finding figures ------------------------------------------------------------------------


@dataclass
class _Atom:
    start: int
    end: int
    kind: str  # "num", "words", "frac", "vague", "mult", "same"
    value: Decimal | None = None
    readable: bool = True
    unit: str = "count"
    scale: Decimal | None = None  # a glued or spelled scale ("m", "million"), for ranges
    low: Decimal | None = None
    high: Decimal | None = None
    ratio: bool = False
    year: bool = False
    skip: bool = False


@dataclass
class _Marker:
    start: int
    end: int
    label: str
    taken: bool = False


def extract_figures(text: str, *, described: bool = True) -> list[Figure]:
    """Every figure stated in ``text``, in order of position.

    ``described=False`` is for a caller that needs only which figures a text states and where
    (check-worthiness): each figure is found and read as ever (``text``, ``start``, ``end``,
    ``value``, ``low``, ``high``, ``unit``, ``direction``, ``kind``, ``readable``), but its
    ``period`` is not looked for (None), nor a ``qualifier`` before it ("about 5%"; one in a
    change, "rose by about 5%", is still read), nor what it counts (``counted``: None) unless
    that decides whether it is a figure ("three years" is not) or a later figure of its
    sentence may read it. A sixth of the time.

    The work grows linearly with the text and with the figures found in it (about 0.2 ms a
    figure): no input makes it quadratic."""
    if not text or text.isspace():
        return []
    masked = _masked_spans(text)
    lowered = text.lower()
    folded = lowered if len(lowered) == len(text) else None  # None: "İ" became two letters
    markers = _period_markers(text, masked, folded)
    atoms = _atoms(text, masked, markers, folded)
    atoms = _join(text, atoms)
    candidates = [a for a in atoms if not a.skip and not _excluded(text, a)]
    sentences = _Sentences(text)
    previous: list[tuple[_Atom, Figure]] = []
    first_in_sentence = 0
    sentence_seen = -1
    for index, atom in enumerate(candidates):
        sentence_start, sentence_end = sentences.of(atom.start)
        if sentence_start != sentence_seen:
            sentence_seen, first_in_sentence = sentence_start, len(previous)
        prev_end = candidates[index - 1].end if index else sentence_start
        next_start = candidates[index + 1].start if index + 1 < len(candidates) else len(text)
        figure = _read(
            text,
            atom,
            left_from=max(sentence_start, prev_end),
            right_to=min(sentence_end, next_start),
            sentence_start=sentence_start,
            # The last few figures of the same sentence: what a change or a "to" refers to.
            earlier=previous[max(first_in_sentence, len(previous) - 3) :],
            described=described,
            # A later figure of the sentence may read what this one counts.
            followed=next_start < sentence_end,
        )
        if figure is not None:
            previous.append((atom, figure))
    if described:
        _attach_periods(previous, markers, sentences)
    return [f for _, f in previous]


class _Spans:
    """Sorted, merged spans: does a span overlap any of them, in logarithmic time."""

    def __init__(self, spans) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            if self.ends and start <= self.ends[-1]:
                if end > self.ends[-1]:
                    self.ends[-1] = end
            else:
                self.starts.append(start)
                self.ends.append(end)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_left(self.starts, max(end, start + 1)) - 1
        return i >= 0 and self.ends[i] > start


def _masked_spans(text: str) -> list[tuple[int, int]]:
    if _DIGIT.search(text) is None:
        return []
    spans = [m.span() for m in _MASK.finditer(text)]
    if "@" in text or "://" in text or "www." in text:
        spans += [m.span() for m in _LINKS.finditer(text)]
    spans += [m.span() for m in _DATE.finditer(text)]
    return sorted(spans)


def _period_markers(text: str, masked: list[tuple[int, int]], folded: str | None) -> list[_Marker]:
    markers: list[_Marker] = []
    for start, end in masked:
        year = _DATE_YEAR.search(text, start, end)
        if year and _DATE.fullmatch(text, start, end):
            markers.append(_Marker(start, end, year[0]))
    # Every year range, "between 2017 and 2019" and decade holds a year's digits: where none is,
    # they are not looked for (a search the engine skips to a "1" or "2" in).
    has_year = _YEAR_DIGITS.search(text) is not None
    hidden = _Spans(masked)
    between = _YEAR_BETWEEN if folded is None else _YEAR_BETWEEN_LOWER
    for pattern in (between, _YEAR_RANGE) if has_year else ():
        found = []
        for m in pattern.finditer(text if folded is None or pattern is _YEAR_RANGE else folded):
            if hidden.overlaps(*m.span()):
                continue
            a, b = m["a"], m["b"]
            if len(b) == 2:
                if int(b) != (int(a) + 1) % 100:
                    continue
                label = f"{a}-{b}"
            elif int(b) <= int(a):
                continue
            else:
                label = f"{a}-{b}"
            markers.append(_Marker(*m.span(), label))
            found.append(m.span())
        # "between 2017 and 2019" is not read again as a range of its own
        if found:
            hidden = _Spans([*zip(hidden.starts, hidden.ends, strict=True), *found])
    for m in _DECADE.finditer(text) if has_year else ():
        markers.append(_Marker(m.start("d"), m.end(), f"{m['d']}s"))
    # Matched in the lower-cased text where its offsets are the text's: without IGNORECASE,
    # a third of the time.
    if folded is None:
        relative = _RELATIVE.finditer(text) if _RELATIVE_HINT.search(text) else ()
    elif (unit := _RELATIVE_NEEDS[0].search(folded)) and _RELATIVE_NEEDS[1].search(folded):
        # A match holds "year", "month", "week" or "decade" as a word, with at most
        # _RELATIVE_WORDS_BEFORE words before it: none starts before that many words ahead
        # of the first of them, where the search starts.
        head = folded[: unit.start()].rsplit(None, _RELATIVE_WORDS_BEFORE)
        earliest = len(head[0]) if len(head) > _RELATIVE_WORDS_BEFORE else 0
        relative = _RELATIVE_LOWER.finditer(folded, earliest)
    else:
        relative = ()
    for m in relative:
        markers.append(_Marker(*m.span(), _SPACES.sub(" ", m["rel"].lower())))
    return sorted(markers, key=lambda k: k.start)


def _atoms(
    text: str, masked: list[tuple[int, int]], markers: list[_Marker], folded: str | None
) -> list[_Atom]:
    atoms: list[_Atom] = []
    hidden = _Spans(masked)
    periods = _Spans((k.start, k.end) for k in markers)
    for m in _scan(text, folded):
        start, end = m.span()
        # Whatever starts inside a period ("the past three years") is not a figure; digits
        # inside a date or phone number are not either, but words may overlap a mask's edge.
        if periods.overlaps(start, start + 1):
            continue
        if hidden.overlaps(start, end) and m["num"] is not None:
            continue
        if m["vague"]:
            atoms.append(_Atom(start, end, "vague", readable=False))
        elif m["frac"]:
            atoms.append(_atom_fraction(m))
        elif m["num"] is not None:
            atom = _atom_digits(text, m)
            if atom is not None:
                atoms.append(atom)
        elif m["words"]:
            atom = _atom_words(m)
            if atom is not None:
                atoms.append(atom)
        elif m["mult"]:
            atoms.append(_atom_multiplier(m))
        else:
            atoms.append(_Atom(start, end, "same", value=Decimal(0), unit="%"))
    for atom in atoms:
        if atom.kind in {"num", "words", "frac", "vague"} and atom.unit == "count":
            _take_unit_after(text, atom)
    # A bare year is a period marker, not a figure.
    for atom in atoms:
        if atom.year:
            markers.append(_Marker(atom.start, atom.end, _year_label(text, atom)))
    markers.sort(key=lambda k: k.start)
    return [a for a in atoms if not a.year]


_TOKEN = re.compile(r"US\$|[£$€]|\w+")
# The words an atom can start with; the big pattern is tried only where one stands.
_FIRST_WORDS = frozenset(
    [*_UNIT_WORDS, *_TEN_WORDS, "hundred", *_SCALE_WORDS, "dozen", *_FRACTION_WORDS,
     *_MULTIPLIER_WORDS, "tens", "hundreds", "thousands", "millions", "billions", "dozens",
     "scores", "several", "a", "an", "many", "twice", "unchanged", "stayed", "remained", "held",
     "no"]
)  # fmt: skip


# Where an atom can start, in the lower-cased text: a currency sign, "us$" (the sign is a start
# of its own too), or a whole word (as ``\w+`` cuts words) that starts with a digit, is one of
# the first words or ends in "fold". "a" and "an" start an atom only before "few", a fraction or
# a number word ("a third", "a dozen"): a quarter of the places tried were the article "a",
# nearly always in vain.
_A_BEFORE_NUMBER = (
    r"an?[\s-]+(?=few\b|"
    + word_tree([*_FRACTION_WORDS, *_UNIT_WORDS, *_TEN_WORDS, "hundred", *_SCALE_WORDS, "dozen"])
    + ")"
)
_WORD_STARTS_ATOM = r"us\$|\d|" + word_tree(_FIRST_WORDS - {"a", "an"}) + r"\b|" + _A_BEFORE_NUMBER


def _after_non_word(word_starts_atom: str) -> re.Pattern:
    """The pattern ``_atom_starts`` searches for: a character that is not part of a word (a
    word starts after one; the currency signs are such characters), followed by a word that
    can start an atom, or itself a currency sign (``then``: and followed by such a word too).
    The engine skips to those characters at once, instead of trying ``\\b`` and the words at
    every character of the text."""
    ahead = f"(?={word_starts_atom})"
    return re.compile(rf"\W(?:(?<=[£$€])(?P<then>{ahead})?|{ahead})")


_ATOM_START = _after_non_word(_WORD_STARTS_ATOM + r"|\w*fold\b")
# The same where "fold" is not written: trying ``\w*fold`` at every word was a third of the scan.
_ATOM_START_NO_FOLD = _after_non_word(_WORD_STARTS_ATOM)


def _atom_starts(folded: str):
    """Where an atom can start in ``folded``, in order: each currency sign and each word that
    can start one (``_WORD_STARTS_ATOM``)."""
    starts = _ATOM_START if "fold" in folded else _ATOM_START_NO_FOLD
    # A space in front: a word at the very start follows a character not in a word too.
    for m in starts.finditer(" " + folded):
        at = m.start()  # in ``folded``: the character after the one matched
        if at and folded[at - 1] in "£$€":
            yield at - 1
            if m["then"] is None:
                continue
        yield at


def _scan(text: str, folded: str | None):
    """``_ATOM.finditer(text)``, several times faster: most words cannot start a figure, and
    the places where one can are found by one pattern in ``folded`` (``text`` lower-cased,
    its offsets unchanged), or word by word when lower-casing moved them (None)."""
    end = 0
    if folded is not None:
        for start in _atom_starts(folded):
            if start < end or (
                folded.startswith("us$", start) and not text.startswith("US$", start)
            ):
                continue  # "us$" starts an atom only as "US$"
            m = _ATOM.match(text, start)
            if m:
                end = m.end()
                yield m
        return
    for token in _TOKEN.finditer(text):
        start = token.start()
        if start < end:
            continue
        word = token[0]
        if not (
            word[0].isdigit()
            or word[0] in "£$€"
            or word == "US$"
            or word.lower() in _FIRST_WORDS
            or word.lower().endswith("fold")
        ):
            continue
        m = _ATOM.match(text, start)
        if m:
            end = m.end()
            yield m


def _atom_fraction(m: re.Match) -> _Atom:
    value = _number_value(m["frac"])
    start, end = m.span()
    if value is None:  # pragma: no cover - the pattern admits only readable fractions
        return _Atom(start, end, "frac", readable=False)
    counted_scale = re.search(r"(?:million|billion|thousand)$", m["frac"], re.I)
    return _Atom(start, end, "num" if counted_scale else "frac", value=value)


def _atom_digits(text: str, m: re.Match) -> _Atom | None:
    start = m.start("cur") if m["cur"] else m.start("num")
    end = m.end()
    digits, suffix, scale_word = m["num"], m["suf"], m["scale"]
    atom = _Atom(start, end, "num")
    if m["cur"]:
        atom.unit = _CURRENCIES[m["cur"].lower()]
    scale: Decimal | None = None
    if suffix:
        low = suffix.lower()
        if low in _SCALE_SUFFIXES and not (low == "m" and not m["cur"] and _looks_metric(text, m)):
            scale = _SCALE_SUFFIXES[low]
            if scale_word:  # "5m million"? then the second word is not ours
                atom.end = m.end("suf")
        elif low == "m":
            atom.unit = "m"  # metres: "a 100m-long ferry"
            atom.end = m.end("suf")
        elif low in {"%", "pc"}:
            atom.unit = "%"
            atom.end = m.end("suf")
        elif low in _UNIT_NAMES and low not in {"pounds", "dollars", "euros", "p", "pence"}:
            atom.unit = _UNIT_NAMES[low]
            atom.end = m.end("suf")
        elif low == "p" and not m["cur"]:
            atom.unit = "£"
            scale = Decimal("0.01")
            atom.end = m.end("suf")
        elif low in {"s", "’s", "'s"} and re.fullmatch(r"1[89]\d0|20\d0", digits):
            return None  # a decade, read as a period marker
        else:
            return None  # ordinals (21st), times (5pm), codes (4G, 3D)
    if scale_word and scale is None:
        scale = _SCALE_WORDS.get(scale_word.lower()) or _SCALE_SUFFIXES.get(scale_word.lower())
    elif scale_word:
        atom.end = m.end("suf")
    value = _digits_value(digits, None)
    if value is None:
        atom.readable = False
        # Multi-dot codes (3.2.1) are masked; what is left is a number we cannot read.
        return atom
    if scale is not None:
        value *= scale
        atom.scale = scale
    atom.value = value
    if (
        not m["cur"]
        and not suffix
        and not scale_word
        and _YEAR_DIGITS.fullmatch(digits)
        and _is_year(text, m.start("num"), m.end("num"))
    ):
        atom.year = True
    return atom


def _looks_metric(text: str, m: re.Match) -> bool:
    # "100m sprint", "a 5m-high wall": a metre. A plain "1.5m people" is a million.
    return bool(_METRIC_AFTER.match(text, m.end()))


def _is_year(text: str, start: int, end: int) -> bool:
    if _YEAR_PREP.search(text[max(0, start - 20) : start]):
        return True
    after = text[end : end + 30]
    noun = _NOUN_AFTER.match(after)
    # "2000 people" counts people; "in 2000", "2000 was" name a year.
    return not (noun and _plural_looking(noun[1].lower()) and noun[1].lower() not in _STOP)


def _year_label(text: str, atom: _Atom) -> str:
    year = text[atom.start : atom.end]
    if _SINCE.search(text[max(0, atom.start - 10) : atom.start]):
        return f"since {year}"
    return year


_SCALED_ONE = re.compile(r"hundred|thousand|million|billion|dozen", re.I)
_SCALE_AT_END = re.compile(r"(?:thousand|million|billion|trillion)$", re.I)


def _atom_words(m: re.Match) -> _Atom | None:
    words = m["words"]
    value = _number_value(words)
    start, end = m.span()
    if value is None:
        return None
    if value == 1 and not _SCALED_ONE.search(words):
        atom = _Atom(start, end, "words", value=value)
        atom.skip = True  # "one week", "one of them": only a ratio ("one in five") keeps it
        return atom
    atom = _Atom(start, end, "words", value=value)
    scale = _SCALE_AT_END.search(words)
    if scale:
        atom.scale = _SCALE_WORDS[scale[0].lower()]
    return atom


def _atom_multiplier(m: re.Match) -> _Atom:
    word = m["mult"].lower()
    start, end = m.span()
    if word in _MULTIPLIER_WORDS:
        value = Decimal(str(_MULTIPLIER_WORDS[word]))
    elif word == "twice":
        value = Decimal(2)
    else:
        number = re.sub(r"[\s-]*fold$", "", word)
        value = _number_value(number) or Decimal(0)
    return _Atom(start, end, "mult", value=value, unit="times")


def _take_unit_after(text: str, atom: _Atom) -> None:
    m = _UNIT_AFTER.match(text, atom.end)
    if not m:
        return
    if m["pp"]:
        atom.unit = "pp"
    elif m["pct"]:
        atom.unit = "%"
    else:
        unit = _UNIT_NAMES.get(m["unit"].lower())
        if unit is None:  # pragma: no cover - every alternative is in the table
            return
        if unit == "p":
            atom.unit = "£"
            if atom.value is not None:
                atom.value /= 100
        else:
            atom.unit = unit
    atom.end = m.end()


def _join(text: str, atoms: list[_Atom]) -> list[_Atom]:
    """Join "1 in 10" into a ratio and "550,000–850,000" / "between 5 and 10" into a range."""
    out: list[_Atom] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        b = atoms[i + 1] if i + 1 < len(atoms) else None
        if b is not None and a.kind in {"num", "words"} and b.kind in {"num", "words"}:
            gap = text[a.end : b.start]
            joined = _ratio(text, a, b, gap) or _range(text, a, b, gap)
            if joined is not None:
                out.append(joined)
                i += 2
                continue
        out.append(a)
        i += 1
    return out


def _ratio(text: str, a: _Atom, b: _Atom, gap: str) -> _Atom | None:
    if not _RATIO_GAP.fullmatch(gap) or a.unit != "count" or b.unit != "count":
        return None
    if a.value is None or b.value is None or a.scale or b.scale:
        return None
    if a.value != a.value.to_integral() or not 1 <= a.value < b.value <= 1000:
        return None
    return _Atom(a.start, b.end, "num", value=a.value / b.value, unit="ratio", ratio=True)


def _range(text: str, a: _Atom, b: _Atom, gap: str) -> _Atom | None:
    m = _RANGE_GAP.fullmatch(gap)
    if not m:
        return None
    connector = gap.strip().lower()
    before = text[max(0, a.start - 12) : a.start]
    if connector == "and" and not _BETWEEN_BEFORE.search(before):
        return None
    if connector == "to" and _CHANGE_BEFORE.search(text[max(0, a.start - 40) : a.start]):
        return None  # "fell by 2,500 to 7,500": a change and where it led
    if connector == "to" and _FROM_BEFORE.search(before):
        # "rose from 5 to 10" is a change, "ranged from 5 to 10" a range.
        sentence_before = text[max(0, a.start - 60) : a.start]
        if _CHANGE_WORD.search(sentence_before):
            return None
    if connector in {"-", "‐"} and (gap != connector):
        return None  # "5 - 10" with spaces is more often arithmetic or a score than a range
    unit_a, unit_b = a.unit, b.unit
    if unit_a != unit_b:
        if unit_a == "count":  # "5–10%", "£5–10m" (currency is on the first), "2–3 million"
            unit_a = unit_b
        elif unit_b == "count":
            unit_b = unit_a
        else:
            return None
    if unit_a != unit_b:
        return None
    joined = _Atom(a.start, b.end, "num", unit=unit_a, readable=a.readable and b.readable)
    if not joined.readable or a.value is None or b.value is None:
        joined.readable = False
        return joined
    low, high = a.value, b.value
    if b.scale and not a.scale and low * b.scale <= high:
        low *= b.scale  # "2–3 million"
    if a.scale and not b.scale and high < low:
        high *= a.scale  # "£5m-10"? rare, but never a range downwards
    if high < low:
        return None
    joined.low, joined.high = low, high
    return joined


def _excluded(text: str, a: _Atom) -> bool:
    """Numbers that name, date or age something rather than count it."""
    if a.kind in {"mult", "same", "vague"}:
        return False
    before_at = max(0, a.start - 40)
    before = text[before_at : a.start]
    after = text[a.end : a.end + 40]
    # Glued to a word by a hyphen: COVID-19, under-10s, M-25.
    if a.kind == "num" and _glued_by_hyphen(before):
        return True
    if _ADDRESS_AFTER.match(after) and a.unit == "count":  # 10 Downing Street
        return True
    if a.low is not None and (a.low == a.high or _SCORE_AFTER.match(after)):
        return True  # "a 50-50 split", "a 3-1 win"
    if _school_year_before(before):  # school years: "Year 6 pupils"
        return True
    if _AGE_AFTER.match(after) or _AGO_AFTER.match(after):
        return True
    if _AGE_BEFORE.search(before) and a.unit == "count":
        return True
    previous = _word_before(before)
    if previous:
        name, name_at = previous
        word = name.rstrip(".").lower()
        if (
            word in _LABELS
            and a.unit == "count"
            and not a.ratio
            and not (word == "number" and _THE_NUMBER.search(before))
        ):
            return True
        # "Channel 4", "Apollo 11", "Windows 10": a capitalised name before a small integer.
        if (
            name[:1].isupper()
            and word not in _FUNCTION_CAPS
            and a.kind == "num"
            and a.unit == "count"
            and a.low is None
            and not a.ratio
            and a.value is not None
            and a.value < 1000
            and a.value == a.value.to_integral()
            and text[a.start : a.end].isdigit()
            and not _starts_sentence(text, before_at + name_at)
        ):
            return True
    return a.kind == "frac" and not _fraction_counts(before, after)


def _glued_by_hyphen(before: str) -> bool:
    r"""Whether ``before`` ends with a letter and a hyphen: ``[^\W\d_]-$``, looked at from its
    end rather than tried at every letter."""
    for end in (before, before[:-1] if before.endswith("\n") else ""):  # "$" is before a last \n
        if end[-1:] == "-" and len(end) > 1 and end[-2].isalnum() and not end[-2].isdecimal():
            return True
    return False


def _school_year_before(before: str) -> bool:
    r"""Whether ``before`` ends with the word "Year" and spaces: ``\bYear\s+$``."""
    stripped = before.rstrip()
    return (
        len(stripped) < len(before)
        and stripped.endswith("Year")
        and not (len(stripped) > 4 and (stripped[-5].isalnum() or stripped[-5] == "_"))
    )


def _word_before(before: str) -> tuple[str, int] | None:
    r"""The word (dots kept: "St.", "No.") that ends ``before`` but for the spaces after it
    (at least one), and where it starts in ``before``: what ``([^\W\d_][\w.]*)\.?\s+$``
    finds, without trying that pattern at every letter (a tenth of the figure reader's time)."""
    stripped = before.rstrip()
    if len(stripped) == len(before):
        return None
    end = start = len(stripped)
    while start and (stripped[start - 1].isalnum() or stripped[start - 1] in "._"):
        start -= 1  # back over [\w.]
    for at in range(start, end):
        if stripped[at].isalnum() and not stripped[at].isdecimal():  # [^\W\d_]: a letter
            return stripped[at:end], at
    return None


def _starts_sentence(text: str, pos: int) -> bool:
    before = text[:pos].rstrip()
    return not before or before[-1] in ".!?\n“\"‘'(:"


def _fraction_counts(before: str, after: str) -> bool:
    # "half of", "a third of", "fell by a quarter", "more than half": a quantity; "a third
    # party", "the second half" are not.
    if _NOT_A_SHARE_BEFORE.search(before):
        return False
    if _SHARE_AFTER.match(after):
        return True
    if _SHARE_BEFORE.search(before):
        return True
    return bool(_CHANGE_BEFORE.search(before))


class _Sentences:
    """Where each sentence of a text starts and ends."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.ends = []
        for m in _SENTENCE_END.finditer(text):
            self.ends.append(m.end())
            self.starts.append(m.end())
        self.ends.append(len(text))

    def of(self, pos: int) -> tuple[int, int]:
        i = max(0, bisect_right(self.starts, pos) - 1)
        return self.starts[i], self.ends[i]


def _read(
    text: str,
    atom: _Atom,
    *,
    left_from: int,
    right_to: int,
    sentence_start: int,
    earlier: list[tuple[_Atom, Figure]],
    described: bool = True,
    followed: bool = True,
) -> Figure | None:
    """The figure ``atom`` states, or None. ``described=False``: its ``period`` and
    ``qualifier`` are not read, nor what it counts unless that makes it no figure or it is
    ``followed`` by another figure of its sentence."""
    left = text[left_from : atom.start]
    right = text[atom.end : right_to]
    start, end = atom.start, atom.end
    value = atom.value
    unit = atom.unit
    kind = "count"
    direction: str | None = None
    qualifier: str | None = None

    if atom.kind == "mult":
        kind, direction = "multiplier", "up" if (value or 0) >= 1 else "down"
    elif atom.kind == "same":
        kind, direction = "change", "same"
    elif atom.kind == "frac":
        kind, unit = "ratio", "ratio"
    elif unit == "ratio":
        kind = "ratio"
    elif unit in {"%", "pp"}:
        kind = "percent"
    elif unit != "count":
        kind = "amount"
    if atom.kind in {"num", "words"} and unit == "count" and _TIMES_AFTER.match(right):
        kind, unit, direction = "multiplier", "times", "up" if (value or 0) >= 1 else "down"
        times = _TIMES_WORD.match(right)
        end += times.end()
        right = text[end:right_to]

    # A change: "up 700%", "rose by a third", "an increase of 31%", "a 25 per cent rise".
    left_word = _last_word(left)  # for the three patterns that end where ``left`` ends
    change = _CHANGE_BEFORE.search(left, left_word)
    change_noun = _CHANGE_NOUN_BEFORE.search(left, left_word)
    change_after = _CHANGE_AFTER.match(right) if kind != "multiplier" else None
    if (
        change_after
        and kind in {"count", "amount"}
        and not _CHANGE_COUNT_WORD.match(change_after["noun"])
    ):
        change_after = None
    reached = _TO_AFTER_CHANGE.search(text[max(sentence_start, atom.start - 60) : atom.start])
    if kind in {"count", "amount", "percent", "ratio", "multiplier"} and atom.kind != "mult":
        if (
            change
            and change["verb"].lower() in _AMBIGUOUS_CHANGE
            and not change["by"]
            and kind not in {"percent", "ratio"}
        ):
            change = None
        if change and not reached and kind != "multiplier":
            word = change["verb"].lower()
            direction = "down" if word in _DOWN_WORDS else "up"
            qualifier = _qualifier(change["q"])
            start = left_from + change.start()
            kind = "change"
        elif change_noun and kind != "multiplier":
            start = left_from + change_noun.start()
            direction = "down" if change_noun["noun"].lower() in _DOWN_WORDS else "up"
            qualifier = _qualifier(change_noun["q"])
            kind = "change"
        elif change_after:
            direction = "down" if change_after["noun"].lower() in _DOWN_WORDS else "up"
            end = atom.end + change_after.end()
            right = text[end:right_to]
            kind = "change"
        elif reached:
            word = reached["verb"].lower()
            direction = (
                "same"
                if word in {"remained", "stayed", "held", "steady", "unchanged"}
                else "down"
                if word in _DOWN_WORDS
                else "up"
            )
            qualifier = _qualifier(reached["q"])
    if kind == "change" and atom.kind == "frac":
        unit, value = "%", (value * 100 if value is not None else None)
    if qualifier is None and described:
        q = _QUALIFIER_BEFORE.search(left, left_word)
        qualifier = _qualifier(q["q"]) if q else None
    if atom.kind == "vague":
        qualifier = "about"

    counts = kind in {"count", "change"} and unit == "count"
    if described or counts or followed:
        counted = _counted(text, atom, kind, unit, left, right, earlier)
    else:
        counted = None
    if counted in _TIME_NOUNS and counts:
        return None  # "three years", "over the past five years": a duration, not a figure

    # "fell by 2,500 to 7,500": where the change led.
    if direction is None and earlier and _ONLY_TO.fullmatch(left):
        prior = earlier[-1][1]
        if prior.kind == "change" and prior.direction:
            direction = prior.direction
            counted = counted or prior.counted
    # "from 7,000 (in 1990) to 17 million": the second figure says which way it went.
    if direction is None and kind in {"count", "amount"} and _TO_BEFORE.search(left):
        for prior_atom, prior in reversed(earlier):
            gap = text[prior_atom.start - 6 : prior_atom.start].lower()
            if "from" in gap and prior.unit == unit and prior.value is not None and value:
                direction = "up" if value > Decimal(str(prior.value)) else "down"
                # Both ends count one thing; the words before "to" name it for the first, not
                # for the second ("lanes grew from 14 km to 31 km": lanes, not km).
                counted = prior.counted or counted
                break

    # A range has bounds and no value; a fall keeps positive numbers, its direction says "down".
    if not atom.readable:
        fvalue = low = high = None
    elif atom.low is not None and atom.high is not None:
        fvalue, low, high = None, float(atom.low), float(atom.high)
    else:
        fvalue = low = high = None if value is None else float(value)
    return Figure(
        text=text[start:end],
        start=start,
        end=end,
        value=fvalue,
        low=low,
        high=high,
        unit=unit,
        counted=counted,
        period=_rate(left, right) if described else None,
        direction=direction,
        kind=kind,
        readable=atom.readable,
        qualifier=qualifier,
    )


def _qualifier(words: str | None) -> str | None:
    if not words:
        return None
    return _QUALIFIER_NAMES.get(_SPACES.sub(" ", words.lower()))


_RATE_UNITS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "annually": "year",
    "yearly": "year",
    "annual": "year",
    "annum": "year",
}


# Every match of _RATE holds one of these.
_RATE_HINT = words_hint(["day", "daily", "week", "month", "year", "annu"])


def _rate(left: str, right: str) -> str | None:
    """ "1,000 arrests a month", "£5m a year", "monthly"; before the figure only "each month,
    1,000 …" or "per"/"every", since "a year" before a figure is mostly "a year ago"."""
    m = _RATE.search(right[:60]) if may_match(right[:60], _RATE_HINT) else None
    if m is None:
        m = _RATE.search(left[-40:]) if may_match(left[-40:], _RATE_HINT) else None
        if m and m["u"] and m[0].split()[0].lower() in {"a", "an", "in"}:
            m = None
    if m is None:
        return None
    word = (m["adv"] or m["u"]).lower()
    return f"per {_RATE_UNITS.get(word, word)}"


def _attach_periods(
    found: list[tuple[_Atom, Figure]], markers: list[_Marker], sentences: _Sentences
) -> None:
    """A year, year range or relative period goes to the figure it follows in its sentence
    ("7,000 in 1990"); one at the head of a sentence goes to the first figure after it."""
    scopes: dict[int, str] = {}
    starts = [k.start for k in markers]
    for index, (_atom, figure) in enumerate(found):
        _, limit = sentences.of(figure.start)
        if index + 1 < len(found):
            limit = min(limit, found[index + 1][1].start)
        i = bisect_left(starts, figure.end)
        while i < len(markers) and markers[i].start < limit:
            if not markers[i].taken:
                markers[i].taken = True
                scopes[index] = markers[i].label
                break
            i += 1
    for index, (_atom, figure) in enumerate(found):
        if index in scopes:
            continue
        floor, _ = sentences.of(figure.start)
        if index:
            floor = max(floor, found[index - 1][1].end)
        i = bisect_right(starts, figure.start) - 1
        while i >= 0 and markers[i].start >= floor:
            if not markers[i].taken and markers[i].end <= figure.start:
                markers[i].taken = True
                scopes[index] = markers[i].label
                break
            i -= 1
    for index, scope in scopes.items():
        atom, figure = found[index]
        period = f"{figure.period} in {scope}" if figure.period else scope
        found[index] = (atom, replace(figure, period=period))


# --- What is counted ------------------------------------------------------------------------


def _counted(
    text: str,
    atom: _Atom,
    kind: str,
    unit: str,
    left: str,
    right: str,
    earlier: list[tuple[_Atom, Figure]],
) -> str | None:
    if _SUBSET.match(right):
        return None  # "118 of whom", "two of them": a part of something counted before
    words = _phrase(right)
    head = _head(words, plural=atom.value != 1)
    beyond = text[atom.end : atom.end + 80]
    part_of = _PART_OF.match(beyond)
    if head is None and part_of:  # "12 of 40 routes"
        head = _head(_phrase(beyond[part_of.end() :]), plural=True)
    if head is None and kind in {"change", "multiplier", "percent", "ratio"}:
        # "a 31% increase in the number of reported cases", "twice as many arrests"
        m = _WHAT_CHANGED.match(right)
        if m:
            head = _head(_phrase(right[m.end() :]), plural=True)
    measured = kind == "amount" and unit not in {"£", "$", "€"}
    if head is None and (kind in {"change", "multiplier", "percent"} or measured):
        head = _subject(left) or _subject(text[max(0, atom.start - 80) : atom.start])
        if head is None and earlier and kind == "change":
            head = earlier[-1][1].counted  # "82,000 images …, an increase of 700%"
    if head is None and kind in {"count", "amount"} and unit == "count":
        last = _last_match(_COUNT_OF_BEFORE, left)
        if last is not None:
            head = _head(_phrase(" " + last["phrase"]), plural=True)
    if head is None and earlier and kind == "count" and not words:
        # "1,000 passengers on the first crossing and 2,000 on the second", "1.1 million
        # books, compared with 900,000": a bare count compares with the one before it.
        prior = earlier[-1][1]
        if prior.kind == "count" and prior.unit == unit and prior.counted:
            return prior.counted
    if head is None:
        return None
    key = _key(head)
    # What the words around a person noun say is counted.
    if key in _PERSON_KEYS:
        head_end = _head_end(right, head)
        after_head = right[head_end : head_end + 120] if head_end is not None else ""
        after_head = _CLAUSE_BREAK.split(after_head, maxsplit=1)[0]
        event = _EVENT_BEFORE.search(left) or _EVENT_AFTER.match(after_head)
        if event:
            return EVENT_COUNTS[_event_stem(event[1])]
        if _THREAT.search(after_head):
            return "offender"
    elif key == "offender":
        event = _EVENT_BEFORE.search(left)
        if event:
            return EVENT_COUNTS[_event_stem(event[1])]
    return key


def _last_match(pattern: re.Pattern, text: str) -> re.Match | None:
    last = None
    for last in pattern.finditer(text):  # noqa: B007 - the loop only finds the last one
        pass
    return last


def _event_stem(word: str) -> str:
    word = word.lower()
    if word.startswith("charg"):
        return "charge"
    if word.startswith("convict"):
        return "convict"
    return "arrest"


def _head_end(right: str, head: str) -> int | None:
    m = re.search(rf"\b{re.escape(head)}\b", right, re.I)
    return m.end() if m else None


def _phrase(window: str) -> list[str]:
    """The words of the noun phrase at the start of ``window``."""
    words: list[str] = []
    tokens = _WORD_TOKEN.finditer(window[:80])
    leading = True
    for token in tokens:
        word = token[0]
        low = word.lower()
        if leading and low in _LEADING_SKIP:
            continue
        leading = False
        if not word[0].isalpha() or low in _STOP or low.endswith(("’s", "'s")):
            break
        words.append(low)
        if len(words) == 5:
            break
    return words


def _head(words: list[str], *, plural: bool) -> str | None:
    if not words:
        return None
    head = len(words) - 1
    if plural:
        head = next((i for i, word in enumerate(words) if _plural_looking(word)), head)
    if head and words[head] in _MEASURE_NOUNS:
        head -= 1  # "visitor numbers", "passenger figures": the visitors are counted
    return words[head]


def _plural_looking(word: str) -> bool:
    if word in _IRREGULAR_PLURALS:
        return True
    return len(word) > 3 and word.endswith("s") and not word.endswith(_NOT_PLURAL_ENDINGS)


def _subject(left: str) -> str | None:
    """The noun a change or share is about, read backwards: "the number of arrests has
    roughly doubled" → arrests; "Library visits fell by" → visits."""
    clause = _SUBJECT_BREAK.split(left)[-1]
    for pattern in (_CHANGE_BEFORE, _CHANGE_NOUN_BEFORE, _TO_AFTER_CHANGE):
        clause = pattern.sub("", clause)
    last = _last_match(_COUNT_OF_BEFORE, clause)
    if last is not None:
        return _head(_phrase(" " + last["phrase"]), plural=True)
    tokens = _LETTER_WORD.findall(clause)
    # Drop the verb group and trailing place names ("… in United Kingdom has risen").
    while tokens:
        while tokens and tokens[-1].lower() in _STOP:
            tokens.pop()
        run: list[str] = []
        while tokens and tokens[-1].lower() not in _STOP:
            run.insert(0, tokens.pop())
        if not run:
            return None
        proper = all(w[0].isupper() for w in run)
        if proper and tokens and tokens[-1].lower() in {"in", "across", "of", "for", "at"}:
            tokens.pop()
            continue
        words = [w.lower() for w in run if not w.lower().endswith(("’s", "'s"))]
        while len(words) > 1 and words[-1].endswith("ed"):
            words.pop()  # "Rainfall reached": the verb is not the subject
        return _head(words, plural=True)
    return None


@lru_cache(maxsize=4096)
def _key(word: str) -> str:
    word = word.lower().strip("’'-")
    singular = _singular(word)
    return COUNTED_SYNONYMS.get(singular, COUNTED_SYNONYMS.get(word, singular))


def _singular(word: str) -> str:
    if word in _IRREGULAR_SINGULARS:
        return _IRREGULAR_SINGULARS[word]
    if not _plural_looking(word):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("oes") and word[:-2] in {"potato", "tomato", "hero", "echo"}:
        return word[:-2]
    return word[:-1]


# --- Comparing figures ----------------------------------------------------------------------


def _comparison_scale(figure: Figure) -> tuple[str, str] | None:
    """Which figures may be compared, and on which scale: shares (percent and ratios) compare
    as percent, relative changes and multipliers as percent change, counts and amounts in
    their own unit."""
    if figure.kind in {"percent", "ratio"} and figure.unit in {"%", "ratio"}:
        return ("share", "%")
    if figure.kind in {"change", "multiplier"} and figure.unit in {"%", "times"}:
        return ("change", "%")
    if figure.kind == "change":
        return ("change", figure.unit)
    if figure.kind in {"count", "amount"}:
        return ("level", figure.unit)
    if figure.kind == "percent" and figure.unit == "pp":
        return ("share", "pp")
    return None


def _interval(figure: Figure) -> tuple[float, float] | None:
    if not figure.readable or figure.low is None or figure.high is None:
        return None
    low, high = figure.low, figure.high
    if figure.unit == "ratio":
        low, high = low * 100, high * 100
    elif figure.kind == "multiplier":
        low, high = (low - 1) * 100, (high - 1) * 100
    elif figure.kind == "change" and figure.direction == "down":
        low, high = -high, -low
    return low, high


def _period_parts(period: str | None) -> tuple[str | None, str | None]:
    if not period:
        return None, None
    if period.startswith("per "):
        rate, _, scope = period.partition(" in ")
        return rate, scope or None
    return None, period


def _absolute_scope(scope: str | None) -> str | None:
    # Only years can be compared across articles: "last year" depends on when it was said.
    if scope and re.fullmatch(r"(?:since )?\d{4}(?:-\d{2,4})?s?", scope):
        return scope
    return None


def figures_comparable(a: Figure, b: Figure) -> bool:
    """True when ``a`` and ``b`` count the same thing on the same scale and over the same
    period, so that their values may be set side by side.

    Both must be readable and name what they count, with the same key. The rate must be the
    same ("per month" against "per month", or none on either side); a year is compared only
    when both figures state one ("in 2019" against "in 2020" are two different things, but a
    figure without a year may be the same as one with a year).
    """
    if not (a.readable and b.readable) or a.counted is None or a.counted != b.counted:
        return False
    scale_a, scale_b = _comparison_scale(a), _comparison_scale(b)
    if scale_a is None or scale_a != scale_b:
        return False
    if _interval(a) is None or _interval(b) is None:
        return False
    rate_a, scope_a = _period_parts(a.period)
    rate_b, scope_b = _period_parts(b.period)
    if rate_a != rate_b:
        return False
    year_a, year_b = _absolute_scope(scope_a), _absolute_scope(scope_b)
    return year_a is None or year_b is None or year_a == year_b


def figures_conflict(a: Figure, b: Figure, tolerance: float = 0.1) -> bool:
    """True when ``a`` and ``b`` are comparable and their values differ by more than
    ``tolerance`` (relative to the larger magnitude). Ranges, and values within the tolerance
    of a range, do not conflict with it. Qualifiers ("at least", "about") are kept on the
    figures for the reader but do not reconcile them: two sources giving different lower
    bounds for the same thing still disagree, and a checker must trace both."""
    if not figures_comparable(a, b):
        return False
    low_a, high_a = _interval(a)  # type: ignore[misc]
    low_b, high_b = _interval(b)  # type: ignore[misc]
    if low_a > high_b:
        low_a, high_a, low_b, high_b = low_b, high_b, low_a, high_a
    # Now a starts below b; they agree when a reaches b within the tolerance.
    gap = low_b - high_a
    if gap <= 0:
        return False
    magnitude = max(abs(high_a), abs(low_b))
    return gap > tolerance * magnitude
