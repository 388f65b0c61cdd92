"""The same claim in other articles: what a claim is about, the keys it is found by, and how
alike two claims are. Pure functions, no database (the index and the proposals are on the
models: ``ClaimKey``, ``Claim.proposals``).

A claim is read into ``ClaimFeatures``: the content words of its statement and quote (lower
case, light stemming, the synonyms of counted things mapped as the figure reader maps them:
"paedophiles", "predators" and "abusers" are all "offender"), the word pairs, the entities it
names (organisations, places, people: capitalised phrases and acronyms, each multi-word name
also known by its initials, so "National Crime Agency" meets "NCA"), its claimant, and its
figures (``annotations.figures``).

``index_keys`` turns features into the few rare keys a claim is filed under (figure keys:
counted thing and scale; entity keys; word pairs; the longest words; the claimant), so that
finding candidates for a new claim reads the claims sharing a key, a capped number per key,
instead of scanning every claim. ``score`` then weighs a candidate: word and pair overlap,
figures of the same counted thing (values compared with ``figures_comparable``), entities and
the claimant, each with a reason a reviewer can read.

Why no NLP library: spaCy's and NLTK's named-entity models are data downloaded from a hub at
run time (which this project cannot rely on), and the entity and term extraction here is a
few tested rules that run in well under a millisecond per claim (see tests/test_families.py).
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from annotations.figures import COUNTED_SYNONYMS, Figure, figures_comparable

#: A pair of claims scoring at least this is proposed (chosen on tests/fixtures/claim_pairs.json,
#: see bench/claim_pairs.py).
THRESHOLD = 0.35
#: Keys a claim is filed under, at most.
MAX_KEYS = 24
#: Weights of the parts of the score; a part that neither claim has (no figures, no entities,
#: no claimant) is left out and the others share its weight.
WEIGHTS = {"words": 0.45, "figures": 0.35, "entities": 0.15, "claimant": 0.05}
#: Two claims whose figures count different things (trees and schoolchildren) are rarely the
#: same claim, whatever else they share: their score is multiplied by this.
DIFFERENT_THINGS = 0.5
#: How much of the words' part the backing (figures, names, claimant) can take away.
BACKING = 0.5
#: Figures of the same counted thing that compare add this much on their own.
FIGURE_BONUS = 0.25

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "nor",
        "of",
        "in",
        "on",
        "at",
        "to",
        "from",
        "for",
        "with",
        "by",
        "per",
        "into",
        "onto",
        "over",
        "under",
        "across",
        "after",
        "before",
        "during",
        "since",
        "between",
        "among",
        "about",
        "than",
        "as",
        "like",
        "via",
        "within",
        "without",
        "around",
        "against",
        "through",
        "throughout",
        "toward",
        "towards",
        "up",
        "down",
        "out",
        "off",
        "upon",
        "near",
        "who",
        "whom",
        "whose",
        "which",
        "that",
        "where",
        "when",
        "while",
        "whether",
        "if",
        "because",
        "so",
        "though",
        "although",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "not",
        "no",
        "never",
        "also",
        "only",
        "just",
        "even",
        "still",
        "yet",
        "already",
        "now",
        "then",
        "there",
        "here",
        "this",
        "these",
        "those",
        "each",
        "every",
        "any",
        "all",
        "some",
        "such",
        "other",
        "another",
        "own",
        "same",
        "its",
        "their",
        "his",
        "her",
        "our",
        "your",
        "my",
        "it",
        "they",
        "them",
        "he",
        "she",
        "we",
        "you",
        "i",
        "one",
        "ones",
        "what",
        "how",
        "why",
        "more",
        "most",
        "less",
        "least",
        "many",
        "much",
        "few",
        "fewer",
        "several",
        "very",
        "too",
        "quite",
        "rather",
        "almost",
        "nearly",
        "roughly",
        "approximately",
        "estimated",
        "estimate",
        "estimates",
        "total",
        "respectively",
        "alone",
        "again",
        "last",
        "next",
        "past",
        "previous",
        "first",
        "second",
        "third",
        "said",
        "says",
        "say",
        "saying",
        "told",
        "tells",
        "according",
        "added",
        "adds",
        "claimed",
        "claims",
        "claim",
        "warned",
        "warns",
        "reported",
        "reports",
        "report",
        "stated",
        "states",
        "believe",
        "believes",
        "think",
        "thinks",
        "according",
        "percent",
        "per",
        "cent",
        "cents",
        "year",
        "years",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "time",
        "times",
        "today",
        "yesterday",
        "number",
        "numbers",
        "figure",
        "figures",
        "mr",
        "mrs",
        "ms",
        "dr",
        "sir",
        "new",
        "least",
        "around",
        "found",
        "find",
        "finds",
        "show",
        "shows",
        "showed",
        "shown",
        "confirmed",
        "confirms",
        "admits",
        "admitted",
        "estimates",
        "estimated",
        "says",
        "told",
        "claims",
        "claimed",
        "reports",
        "reported",
        "recorded",
        "records",
        "suggests",
        "suggested",
    ]
)
# A capitalised word that starts a sentence names nothing on its own unless it is one of
# these kinds of word; connectors may stand inside a name ("Minister for Transport").
_NAME_CONNECTORS = frozenset({"of", "for", "the", "and", "on", "de", "du", "la", "le", "von"})
# What stands just before the first word of a sentence (looked for in the few characters
# before a word, so reading a claim stays linear in its length).
_SENTENCE_END_BEFORE = re.compile(r"(?:[.!?…:;]\s+|\n\s*|[\"“‘(]\s*)$")
_ACRONYM = re.compile(r"^[A-Z][A-Z&]{1,7}s?$")
# Capitalised for other reasons than naming someone or something.
_NOT_NAMES = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "mr",
        "mrs",
        "ms",
        "dr",
        "sir",
    ]
)
# Between two words of one name: white space, or a possessive ("Chiefs’ Council").
_NAME_GAP = re.compile(r"['’]?\s*")
# Countries and their people are written several ways; a name in one is the name in all.
_ENTITY_ALIASES = {
    "uk": "united kingdom",
    "u.k": "united kingdom",
    "britain": "united kingdom",
    "great britain": "united kingdom",
    "british": "united kingdom",
    "briton": "united kingdom",
    "britons": "united kingdom",
    "us": "united states",
    "usa": "united states",
    "u.s": "united states",
    "america": "united states",
    "american": "united states",
    "americans": "united states",
    "eu": "european union",
}
_IRREGULAR = {
    "people": "person",
    "men": "man",
    "women": "woman",
    "children": "child",
    "mice": "mouse",
    "feet": "foot",
    "teeth": "tooth",
    "lives": "life",
}


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """A light stem: singular nouns, and verbs without -ing/-ed/-es, so that "increased",
    "increases" and "increase" meet; then the counted-thing synonyms of the figure reader."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if word in _IRREGULAR:
        word = _IRREGULAR[word]
    elif len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word in COUNTED_SYNONYMS:
        return COUNTED_SYNONYMS[word]
    for suffix in ("ing", "ed"):
        if len(word) >= len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # "stopped" → "stop"
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return COUNTED_SYNONYMS.get(word, word)


def terms(text: str) -> list[str]:
    """The content words of ``text`` in order, stemmed (numbers and stop words left out)."""
    found = []
    for match in _WORD.finditer(text or ""):
        word = match.group().lower()
        if len(word) < 3 or word in _STOPWORDS:
            continue
        found.append(stem(word))
    return found


def _name_key(words: list[str]) -> str:
    key = " ".join(re.sub(r"['’]s$", "", word) for word in words).lower()
    return _ENTITY_ALIASES.get(key, key)


def entities(text: str) -> set[str]:
    """The names in ``text``: runs of capitalised words (with "of", "for", "the"… inside),
    and acronyms, lower-cased, with country aliases joined ("UK", "Britain", "British" →
    "united kingdom"). A multi-word name is also known by its initials ("nca"). A single
    capitalised word at the start of a sentence is a name only when it is an acronym or a
    known alias ("The", "Officers" are not)."""
    text = text or ""
    found: set[str] = set()
    run: list[str] = []
    run_starts_sentence = False

    def close():
        nonlocal run
        while run and run[-1].lower() in _NAME_CONNECTORS:
            run.pop()
        while run and run[0].lower() in _NAME_CONNECTORS | _STOPWORDS:
            run.pop(0)
        if run:
            single = len(run) == 1
            key = _name_key(run)
            named = not (single and run_starts_sentence) or (
                _ACRONYM.match(run[0]) or key in _ENTITY_ALIASES.values()
            )
            if named and not (single and key in _STOPWORDS):
                found.add(key)
            initials = "".join(word[0] for word in run if word.lower() not in _NAME_CONNECTORS)
            if len(initials) >= 3:  # "National Crime Agency" is also "NCA"
                found.add(initials.lower())
            if run_starts_sentence and len(run) > 2:
                # "Wardens of the Coastal Path Trust": the first word may be capitalised only
                # because it opens the sentence; the name after the connector stands alone.
                for at, word in enumerate(run[1:-1], start=1):
                    if word.lower() in _NAME_CONNECTORS:
                        rest = [w for w in run[at:] if w.lower() not in {"the"}]
                        while rest and rest[0].lower() in _NAME_CONNECTORS:
                            rest.pop(0)
                        if rest:
                            found.add(_name_key(rest))
                        break
        run = []

    last_end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        capital = word[0].isupper() and word.lower() not in _NOT_NAMES
        adjacent = run and _NAME_GAP.fullmatch(text[last_end : match.start()]) is not None
        if capital or (run and adjacent and word.lower() in _NAME_CONNECTORS):
            if run and not adjacent:
                close()
            if not run:
                start = match.start()
                run_starts_sentence = start == 0 or bool(
                    _SENTENCE_END_BEFORE.search(text[max(0, start - 6) : start])
                )
            run.append(word)
        else:
            close()
        last_end = match.end()
    close()
    return found


def _claimant_key(claimant: str) -> str:
    words = _WORD.findall(claimant or "")
    return _name_key(words) if words else ""


def figure_key(figure: Figure) -> str | None:
    """What a figure is filed under: its counted thing and the scale it compares on (levels,
    shares or changes). Values and years are compared when scoring, not when finding."""
    if not figure.readable or not figure.counted:
        return None
    if figure.kind in {"percent", "ratio"}:
        scale = "share"
    elif figure.kind in {"change", "multiplier"}:
        scale = "change"
    else:
        scale = f"level-{figure.unit}"
    return f"{figure.counted}|{scale}"


@dataclass(frozen=True)
class ClaimFeatures:
    words: frozenset[str]
    pairs: frozenset[str]
    long_words: tuple[str, ...]  # the longest words first, for the index
    entities: frozenset[str]
    name_words: frozenset[str]  # the stemmed words of the names
    claimant: str
    figures: tuple[Figure, ...] = field(default=())


def features(quote: str, statement: str, claimant: str, figures=()) -> ClaimFeatures:
    """What ``score`` and ``index_keys`` need of a claim (figures as ``Figure`` objects, e.g.
    ``ClaimFigure.as_figure()`` of the figures in use)."""
    words, pairs = set(), set()
    for text in (statement, quote):
        sequence = terms(text)
        words.update(sequence)
        pairs.update(f"{a} {b}" for a, b in zip(sequence, sequence[1:], strict=False))
    words.update(figure.counted for figure in figures if figure.readable and figure.counted)
    names = entities(quote) | entities(statement)
    if claimant:
        names |= entities(claimant)
    name_words = frozenset(stem(word) for name in names for word in name.split())
    long_words = tuple(sorted(words, key=lambda w: (-len(w), w)))
    return ClaimFeatures(
        words=frozenset(words),
        pairs=frozenset(pairs),
        long_words=long_words,
        entities=frozenset(names),
        name_words=name_words,
        claimant=_claimant_key(claimant),
        figures=tuple(figures),
    )


def index_keys(found: ClaimFeatures) -> list[str]:
    """The keys a claim is filed under, most telling first, at most ``MAX_KEYS``: figure keys
    (``f:``), the claimant (``c:``), entities (``e:``), word pairs (``p:``) and the longest
    words (``w:``)."""
    keys: list[str] = []
    for figure in found.figures:
        key = figure_key(figure)
        if key:
            keys.append(f"f:{key}")
    if found.claimant:
        keys.append(f"c:{found.claimant}")
    keys += [f"e:{name}" for name in sorted(found.entities)]
    keys += [f"p:{pair}" for pair in sorted(found.pairs, key=lambda p: (-len(p), p))[:8]]
    keys += [f"w:{word}" for word in found.long_words[:10]]
    unique = list(dict.fromkeys(key[:120] for key in keys))
    return unique[:MAX_KEYS]


@dataclass
class Match:
    """How alike two claims are (0 to 1) and why, in words a reviewer reads."""

    score: float
    reasons: list[str]

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _dice(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _same_value(x: Figure, y: Figure) -> bool:
    """Two figures that name no counted thing but say the same number on the same scale
    ("58%" and "58 per cent of their rubbish")."""
    if not (x.readable and y.readable) or x.low is None or y.low is None:
        return False
    if figure_key(Figure(**{**_fields(x), "counted": "_"})) != figure_key(
        Figure(**{**_fields(y), "counted": "_"})
    ):
        return False
    high = max(abs(x.high or 0), abs(y.high or 0)) or 1.0
    return abs(x.low - y.low) <= 0.02 * high and abs((x.high or 0) - (y.high or 0)) <= 0.02 * high


def _fields(figure: Figure) -> dict:
    return {name: getattr(figure, name) for name in Figure.__slots__}


def _figures_part(a: ClaimFeatures, b: ClaimFeatures) -> tuple[float | None, str, bool]:
    """(score, reason, counts different things): figures of the same counted thing that
    compare score 1; of the same thing over other periods 0.4; the same number where a
    counted thing is missing 0.7. Both claims counting things, none the same: they are about
    different things."""
    if not (a.figures or b.figures):
        return None, "", False
    best, reason = 0.0, ""
    counted_a = {x.counted for x in a.figures if x.readable and x.counted}
    counted_b = {y.counted for y in b.figures if y.readable and y.counted}
    for x in a.figures:
        for y in b.figures:
            if x.counted and x.counted == y.counted:
                if figures_comparable(x, y):
                    return 1.0, f"figures of the same thing: {x.counted}", False
                if figure_key(x) == figure_key(y) and best < 0.4:
                    best, reason = 0.4, f"figures of the same thing ({x.counted}), other periods"
            elif (not x.counted or not y.counted) and best < 0.7 and _same_value(x, y):
                best, reason = 0.7, "the same figure"
    different = bool(counted_a and counted_b and not counted_a & counted_b)
    return best, reason, different


def score(a: ClaimFeatures, b: ClaimFeatures) -> Match:
    """How likely ``b`` makes the same claim as ``a``, with the reasons."""
    reasons: list[str] = []
    parts: dict[str, float] = {}
    # Words of names count once, as names.
    names = a.name_words | b.name_words
    words_a, words_b = a.words - names, b.words - names
    shared_words = words_a & words_b
    # Words and word pairs: a shared pair ("sexual threat") says more than two shared words.
    words = _dice(words_a, words_b)
    pairs = _dice(a.pairs, b.pairs)
    parts["words"] = min(1.0, 0.75 * math.sqrt(words) + 0.5 * pairs)
    if shared_words:
        shown = sorted(shared_words, key=lambda w: (-len(w), w))[:5]
        reasons.append("same words: " + ", ".join(shown))
    figures, why, different = _figures_part(a, b)
    if figures is not None:
        parts["figures"] = figures
        if why:
            reasons.append(why)
    if a.entities or b.entities:
        shared = a.entities & b.entities
        parts["entities"] = 2 * len(shared) / (len(a.entities) + len(b.entities))
        if shared:
            reasons.append("both name " + ", ".join(sorted(shared)[:4]))
    if a.claimant or b.claimant:
        same = a.claimant and (
            a.claimant == b.claimant or a.claimant in b.entities or b.claimant in a.entities
        )
        parts["claimant"] = 1.0 if same else 0.0
        if same:
            reasons.append("same claimant")
    # The words carry the claim; figures, names and the claimant confirm it: two claims
    # sharing only a claimant and a name (the same body saying two different things) stay low.
    support = [name for name in parts if name != "words"]
    weight = sum(WEIGHTS[name] for name in support)
    backing = sum(WEIGHTS[name] * parts[name] for name in support) / weight if weight else 0.5
    total = parts["words"] * (1 - BACKING + BACKING * backing) + FIGURE_BONUS * parts.get(
        "figures", 0.0
    )
    if different:
        total *= DIFFERENT_THINGS
    return Match(round(min(total, 1.0), 4), reasons)


def rank_candidates(
    shared: dict[str, list[int]], *, cap: int, limit: int, leave_out=()
) -> list[int]:
    """The ids most worth scoring, best first: each key an id is filed under adds a weight,
    more for a rare key than a common one (a key shared by more than ``cap`` tells little).
    ``shared`` is what an index's ``sharing`` read: for each key, at most ``cap`` + 1 ids."""
    weights: dict[int, float] = {}
    for ids in shared.values():
        weight = 0.05 if len(ids) > cap else math.log(2 + cap / len(ids))
        for pk in ids[:cap]:
            weights[pk] = weights.get(pk, 0.0) + weight
    for pk in leave_out:
        weights.pop(pk, None)
    return sorted(weights, key=lambda pk: (-weights[pk], -pk))[:limit]


@dataclass
class Proposal:
    """A claim of another article proposed as making the same claim."""

    claim: object  # annotations.models.Claim
    match: Match
    family_id: int | None  # the family it is in, and the version the reviewer saw
    family_version: int | None = None


# --- The conflict chart ---------------------------------------------------------------------------


@dataclass
class ChartPoint:
    """One figure on the chart: when it was said, its value or range, where it links."""

    when: object  # datetime.date
    low: float
    high: float
    label: str  # what the point says, for its <title>
    url: str
    x: float = 0.0
    y_low: float = 0.0
    y_high: float = 0.0

    @property
    def y(self) -> float:
        return (self.y_low + self.y_high) / 2

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    @property
    def bar_x(self) -> float:
        return round(self.x - 5, 1)

    @property
    def bar_height(self) -> float:
        return round(self.y_low - self.y_high, 1)


@dataclass
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[ChartPoint]
    y_ticks: list[tuple[float, str]]  # (y position, label)
    x_ticks: list[tuple[float, str]]
    log: bool

    @property
    def y_label_x(self) -> int:
        return self.left - 6

    @property
    def x_label_y(self) -> int:
        return self.bottom + 18


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * power:
            return step * power
    return 10 * power


def _tick_label(value: float) -> str:
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def chart(points: list[ChartPoint], *, width: int = 720, height: int = 320) -> Chart:
    """Place figures on a chart: dates along x, values up y. The y scale starts at zero and
    is linear, unless the values span more than a hundredfold, when it is logarithmic (ten to
    ten); ranges are bars from their low to their high."""
    left, right, top, bottom = 64, width - 24, 16, height - 40
    values = [v for p in points for v in (p.low, p.high)]
    positive = [v for v in values if v > 0]
    log = bool(positive) and len(positive) == len(values) and max(values) / min(values) > 100
    if log:
        low_exp = math.floor(math.log10(min(values)))
        high_exp = math.ceil(math.log10(max(values)))
        high_exp = max(high_exp, low_exp + 1)
        y_ticks_values = [10.0**e for e in range(low_exp, high_exp + 1)]

        def to_y(value: float) -> float:
            share = (math.log10(value) - low_exp) / (high_exp - low_exp)
            return bottom - share * (bottom - top)
    else:
        lowest = min(0.0, min(values))
        highest = max(values) if values else 1.0
        if highest == lowest:
            highest = lowest + 1.0
        step = _nice_step(highest - lowest)
        start = math.floor(lowest / step) * step
        stop = math.ceil(highest / step) * step
        y_ticks_values = []
        tick = start
        while tick <= stop + step / 2:
            y_ticks_values.append(tick)
            tick += step

        def to_y(value: float) -> float:
            return bottom - (value - start) / (stop - start) * (bottom - top)

    days = [p.when.toordinal() for p in points]
    first, last = (min(days), max(days)) if days else (0, 1)
    if first == last:
        first, last = first - 180, last + 180
    pad = (last - first) * 0.06
    first, last = first - pad, last + pad

    def to_x(ordinal: float) -> float:
        return left + (ordinal - first) / (last - first) * (right - left)

    for point in points:
        point.x = round(to_x(point.when.toordinal()), 1)
        point.y_low, point.y_high = round(to_y(point.low), 1), round(to_y(point.high), 1)
    years = range(
        datetime.date.fromordinal(int(first)).year + 1,
        datetime.date.fromordinal(int(last)).year + 1,
    )
    step_years = max(1, math.ceil(len(years) / 8))
    x_ticks = [
        (round(to_x(datetime.date(year, 1, 1).toordinal()), 1), str(year))
        for year in years[::step_years]
    ]
    if not x_ticks:  # all within one year: mark the points' own dates
        x_ticks = sorted({(p.x, p.when.strftime("%-d %b %Y")) for p in points})
    y_ticks = [(round(to_y(v), 1), _tick_label(v)) for v in y_ticks_values]
    return Chart(width, height, left, right, top, bottom, points, y_ticks, x_ticks, log)
