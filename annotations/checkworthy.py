"""Check-worthy sentences: which sentences of a text a reviewer should look at first, and why.

``assess(text)`` cuts a text (an article's body, headline or standfirst) into sentences and
gives each a score between 0 and 1 with the reasons for it:

- ``figure``: it states a figure, as ``figures.extract_figures`` reads it (the one reader of
  figures in the app: years, dates, ages and the like are not figures);
- ``comparison``: a comparison or a trend ("up 700%", "doubled", "the highest since 2010",
  "more than", "rose");
- ``causal``: a causal claim ("because of", "led to", "driven by");
- ``prediction``: a prediction ("will", "is expected to", "by 2030");
- ``attribution``: it is attributed ("said", "according to", "estimates", "figures show");
- ``official``: it names an official source (an agency, a ministry, the police, "ONS").

Questions, opinions and recommendations ("should", "I think") weigh less; site furniture
(newsletter prompts, cookie notices) and fragments of a few words weigh nothing. The weights
are explainable rules, tuned on the labelled set in ``bench/checkworthy_set/`` (see
``bench/checkworthy.py`` for the evaluation). A sentence is *suggested* when its score reaches
:data:`THRESHOLD`; ``suggestions(text)`` gives only those, stopping on each other sentence as
soon as it cannot be one (what storing them at import needs).

For each sentence, ``Assessment`` also carries what the reader's "add claim" prefills: the
claim-bearing clause of a long sentence (its quote), a checkable statement, the category and
the claimant named by the attribution ("Simon Bailey", "the National Crime Agency").

Sentences come from Bling Fire's sentence breaker, run on each paragraph (a sentence never
crosses a line break), with one repair: an initial ("J. K. Rowling") does not end a sentence.
See README, "Check-worthy suggestions", for how it compared with pysbd and syntok.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from annotations.figures import Figure, extract_figures
from annotations.patterns import may_match, word_tree

__all__ = [
    "REASONS",
    "THRESHOLD",
    "Assessment",
    "Sentence",
    "assess",
    "split_sentences",
    "suggestions",
]

#: Reason code → what the reader says about it.
REASONS = {
    "figure": "states a figure",
    "comparison": "compares or states a trend",
    "causal": "states a cause",
    "prediction": "predicts",
    "attribution": "is attributed to a source",
    "official": "names an official source",
}
WEIGHTS = {
    "figure": 0.5,
    "comparison": 0.2,
    "causal": 0.25,
    "prediction": 0.2,
    "attribution": 0.15,
    "official": 0.15,
}
#: A sentence scoring this much or more is suggested.
THRESHOLD = 0.35
# A sentence longer than this (in characters) is trimmed to its claim-bearing clause.
LONG_SENTENCE = 180
# Fewer words than this is a fragment (a dateline, a caption, "Read more").
MIN_WORDS = 5

# Patterns below are matched against the lower-cased sentence: re.IGNORECASE made them three
# times slower, a third of the 25 KB budget. Their words are written as trees of letters
# (``word_tree``): a plain alternation of sixty words took twice the time, which went on every
# sentence. Only whether a pattern matches, and where its first match starts, is ever used.


def _words(*alternatives: str) -> str:
    """``word_tree`` of words and phrases written "rose|risen|compared with"."""
    return word_tree(word for words in alternatives for word in words.split("|"))


_COMPARISON = re.compile(
    r"\b(?:"
    + _words(
        "doubled|doubling|doubles|tripled|tripling|trebled|trebling|halved|halving",
        "quadrupled|quadrupling|rose|risen|rise|rises|rising|increase|increased|increases",
        "increasing|fell|fallen|falling|decrease|decreased|decreases|decreasing|drop|dropped",
        "drops|decline|declined|declines|declining|grew|grown|growth|surge|surged|surges",
        "surging|soared|soaring|plunge|plunged|plunging|jump|jumped|climb|climbed|climbing",
        "slump|slumped|tumble|tumbled|spike|spikes|spiked",
        "record high|record highs|record low|record lows|record number|record numbers",
        "record level|record levels",
        "more than|less than|fewer than|higher than|lower than|larger than|smaller than",
        "greater than|faster than|slower than|cheaper than|dearer than|bigger than|worse than",
        "better than|compared with|compared to|twice as|times as|times more",
        "since records began",
    )
    + r"|(?:up|down) (?:by )?(?:almost |nearly |about |some )?[\d£$€]"
    + r"|(?:"
    + _words("highest|lowest|largest|biggest|smallest|fastest|slowest|worst|best|most|fewest")
    + r") (?:\w+ ){0,3}(?:since|ever|on record|in (?:a|the|\d)|of any)"
    + r"|outnumber\w*)\b",
)
_CAUSAL = re.compile(
    r"\b(?:"
    + _words(
        "because|because of|caused|causes|causing|due to|led to|lead to|leads to|leading to",
        "result in|resulted in|results in|as a result|as a result of|to blame for|blamed",
        "driven by|fuelled by|fueled by|thanks to|linked to|responsible for|triggered",
        "prevented|prevents|reduced the|reduces the|reducing the|so that|which means",
    )
    + r"|attribut\w+ to|contribut\w+ to)\b",
)
_PREDICTION = re.compile(
    r"\b(?:"
    + _words(
        "won't|is expected to|are expected to|expected to|expect|expects|forecast|forecasts",
        "forecasted|predict|predicts|predicted|projected|projection|projections|on course to",
        "on track to|set to|likely to|could reach|could rise|could fall|could cost",
        "could double|could lead|could hit|could top|by the end of|by the middle of",
        "in the coming|next year|next decade",
    )
    + r"|will (?!be able)|by 20\d\d)\b",
)
_ATTRIBUTION = re.compile(
    r"\b"
    + _words(
        "said|says|say|told|tells|according to|estimate|estimates|estimated|claims|claimed",
        "warns|warned|stated|states that|reported|reports that|found|finds|show|shows|showed",
        "shown|revealed|reveals|suggest|suggests|suggested|admitted|insisted|argued|announced",
        "confirmed|concluded|believes|calculated|figures|data|statistics|survey|study",
        "analysis|research|report",
    )
    + r"\b",
)
# A sentence without a figure is suggested only with a trend, a cause or a prediction: one
# search for any of the three rules out most such sentences where three would (each pattern is
# "\b(?:…)", so the union is "\b(?:…|…|…)" and matches where one of them does).
_TREND_CAUSE_OR_PREDICTION = re.compile(
    r"\b(?:"
    + "|".join(p.pattern.removeprefix(r"\b") for p in (_COMPARISON, _CAUSAL, _PREDICTION))
    + ")"
)
_INSTITUTIONS = _words(
    "Agency|Council|Office|Department|Ministry|Commission|Authority|Service|Services|Bureau",
    "Institute|Police|Constabulary|Trust|Bank|Board|Committee|Organisation|Organization|Court",
    "Parliament|Government|Treasury|Statistics|Survey|Fund|Foundation|Society|Association",
    "University|Centre|Center|Inspectorate|Regulator|Executive",
)
# A body's name: "the National Crime Agency", "Office for National Statistics". Looked for
# only where one of its last words follows a space (``_INSTITUTION``), as every such name ends.
_OFFICIAL_BODY = re.compile(
    r"\b(?:[A-Z][\w’'-]+ (?:(?:of|for|and|on)(?: the)? )?){1,5}(?:" + _INSTITUTIONS + r")\b"
)
_INSTITUTION = re.compile(r" (?:" + _INSTITUTIONS + r")\b")
_OFFICIAL_TITLE = re.compile(
    r"\b(?:"
    + _words(
        "Prime Minister|Home Secretary|Chancellor|Chief Constable|Secretary of State",
        "Commissioner|Ofsted|Ofcom|Ofgem|NHS|ONS|NCA|IFS|OBR|IWF|NSPCC|WHO|OECD|IMF|UN",
        "Eurostat|FBI|CDC|Interpol|Europol",
    )
    + r"|[A-Z][a-z]+ Minister|Minister (?:for|of) [A-Z]\w+)\b"
)
_OFFICIAL_WORD = re.compile(
    r"\b"
    + _words(
        "the government|the police|the ministry|the department|the council|the regulator",
        "the watchdog|official|officials|spokesman|spokeswoman|spokesperson|minister|ministers",
    )
    + r"\b",
)
_OPINION = re.compile(
    r"\b(?:"
    + _words(
        "i think|i believe|i feel|in my view|we should|should|must|ought to|it is time",
        "it's time|shameful|outrageous|wonderful|brilliant|terrible|awful|ridiculous|absurd",
        "let us|let's|we need to|deserve|deserves|i hope|hopefully|perhaps|arguably",
    )
    + r"|disgrace\w*)\b",
)
_BOILERPLATE = re.compile(
    r"\b"
    + _words(
        "subscribe|sign up|newsletter|click here|cookie|cookies|share this|follow us|read more",
        "comment are|comment policy|comment below|comments are|comments policy|comments below",
        "leave a comment|all rights reserved|copyright|advertisement|privacy policy",
        "privacy notice|terms of|terms and conditions|photograph:|photo:|image caption",
        "getty images|sign in|log in|recent articles|related:",
    )
    + r"|©",
)
# What a text that states a number holds: a digit, or a number word. The digit is looked for
# first on its own (the engine skips to a digit at once, where "\d|\bone|…" tries the words
# at every character before it): most texts with a number have a digit.
_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(
    r"\b"
    + _words(
        "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty",
        "fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|dozen",
        "half|halved|third|quarter|doubled|tripled|trebled|quadrupled|fifth|tenth",
    ),
)


def _states_number(lowered: str) -> bool:
    """Whether ``lowered`` (lower-cased) holds a digit or a number word."""
    return _DIGIT.search(lowered) is not None or _NUMBER_WORD.search(lowered) is not None


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int  # code-point offsets in the text given to split_sentences
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """One sentence, how check-worthy it is, and what a claim made from it would hold."""

    start: int
    end: int
    text: str
    score: float  # 0..1, two decimals
    reasons: tuple[str, ...]  # codes of REASONS, in REASONS' order
    figures: tuple[str, ...]  # the figures as written
    # What a claim made from it would hold; worked out only for suggested sentences.
    quote_start: int  # the claim-bearing clause (the whole sentence unless it is long)
    quote_end: int
    statement: str
    claimant: str
    category: str  # a Claim.Category value

    @property
    def suggested(self) -> bool:
        return self.score >= THRESHOLD


# --- Sentences -----------------------------------------------------------------------------------

_LINES = re.compile(r"[^\n]+")
_SPACE = re.compile(r"\s+")


def _locate(line: str, sentence: str, position: int) -> tuple[int, int] | None:
    """Where Bling Fire's ``sentence`` (its whitespace may be normalised) lies in ``line``."""
    found = line.find(sentence, position)
    if found != -1:
        return found, found + len(sentence)
    words = sentence.split()
    if not words:
        return None
    pattern = r"\s+".join(map(re.escape, words))
    match = re.compile(pattern).search(line, position)
    return (match.start(), match.end()) if match else None


def _sentences(line: str) -> list[str]:
    """Bling Fire's sentences of ``line``. Imported on first use: with NumPy it is 13 MB of
    every process that loads the app, and most (an export job's worker, a server worker that
    imports nothing) never split a sentence (make bench-scale's export of 10,000 articles)."""
    import blingfire

    return blingfire.text_to_sentences(line).split("\n")


def _ends_with_initial(sentence: str) -> bool:
    """Whether ``sentence`` ends with an initial ("J."): ``(?:^|\\s)[A-Z]\\.$`` without trying
    it at every character of the sentence."""
    return (
        sentence[-1:] == "."
        and "A" <= sentence[-2:-1] <= "Z"
        and (len(sentence) == 2 or sentence[-3].isspace())
    )


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` with their code-point offsets, none crossing a line break."""
    sentences: list[Sentence] = []
    for line_match in _LINES.finditer(text):
        line = line_match.group()
        if line.isspace():
            continue
        base = line_match.start()
        # Bling Fire's own offsets come from a Python loop over every character (18 ms for
        # 25 KB); finding its sentences in the line is a tenth of that.
        position = 0
        pending: int | None = None
        for piece in _sentences(line):
            start = line.find(piece, position)  # _locate's usual case, without the call
            if start != -1:
                end = start + len(piece)
            else:
                span = _locate(line, piece, position)
                if span is None:
                    continue
                start, end = span
            position = end
            if pending is not None:
                start, pending = pending, None
            if _ends_with_initial(line[start:end]) and end < len(line.rstrip()):
                pending = start  # "J." then "K. Rowling said…": one sentence
                continue
            sentences.append(Sentence(base + start, base + end, line[start:end]))
        if pending is not None:
            sentences.append(Sentence(base + pending, base + position, line[pending:position]))
    return sentences


# --- Who said it ---------------------------------------------------------------------------------

_WORD = re.compile(r"\S+")
_VERBS = frozenset(
    [
        "said",
        "says",
        "told",
        "tells",
        "estimates",
        "estimated",
        "claims",
        "claimed",
        "warned",
        "warns",
        "stated",
        "argued",
        "believes",
        "insisted",
        "announced",
        "reported",
        "revealed",
        "admitted",
        "added",
        "explained",
        "found",
        "concluded",
        "calculated",
        "predicts",
        "predicted",
        "forecasts",
        "expects",
    ]
)
# Verbs that may come before their subject: "…,” said Simon Bailey."
_INVERTED = frozenset(
    ["said", "says", "added", "warned", "claimed", "explained", "insisted", "admitted"]
)
_CONNECTORS = frozenset({"of", "for", "and", "on", "the", "de", "van", "von", "&"})
_NOT_NAMES = frozenset(
    [
        "he",
        "she",
        "they",
        "it",
        "we",
        "i",
        "you",
        "this",
        "that",
        "these",
        "those",
        "there",
        "his",
        "her",
        "their",
        "its",
        "our",
        "a",
        "an",
        "the",
        "but",
        "and",
        "yet",
        "so",
        "then",
        "however",
        "meanwhile",
    ]
)
_SOURCE_NOUNS = frozenset(
    [
        "figures",
        "data",
        "statistics",
        "report",
        "study",
        "analysis",
        "research",
        "survey",
        "estimates",
        "numbers",
    ]
)
_TRAILING = "’'\",.;:()“”"


def _bare(token: str) -> str:
    return token.strip(_TRAILING)


def _capitalised(token: str) -> bool:
    bare = _bare(token)
    return bool(bare) and bare[0].isupper() and bare.lower() not in _NOT_NAMES


def _name_forward(tokens: list[str], index: int) -> str:
    """The proper name starting at ``tokens[index]`` ("the National Crime Agency"), or ""."""
    words: list[str] = []
    if index < len(tokens) and _bare(tokens[index]).lower() == "the":
        words.append("the")
        index += 1
    while index < len(tokens):
        token = tokens[index]
        bare = _bare(token)
        if _capitalised(token) or (words and bare.lower() in _CONNECTORS and bare == token):
            words.append(token.rstrip(",.;:)”\"’'") if _capitalised(token) else bare)
            if token != bare and token[-1] in ',.;:)”"':
                break  # the name ends at its punctuation
            index += 1
            continue
        break
    while words and words[-1].lower() in _CONNECTORS:
        words.pop()
    if not words or words == ["the"]:
        return ""
    return " ".join(words).strip(_TRAILING + " ")


def _name_backward(tokens: list[str], end: int) -> str:
    """The proper name ending at ``tokens[end]`` (inclusive), or ""."""
    index = end
    if index >= 0 and re.fullmatch(r"\([A-Z]{2,8}\)", tokens[index]):
        index -= 1  # "the National Crime Agency (NCA) estimates"
    last = index
    while index >= 0:
        token = tokens[index]
        bare = _bare(token)
        if _capitalised(token) or (bare.lower() in _CONNECTORS and index != last):
            if index != last and token[-1:] in ",;:" and token != bare:
                break
            index -= 1
            continue
        break
    first = index + 1
    while first <= last and _bare(tokens[first]).lower() in _CONNECTORS - {"the"}:
        first += 1
    if first > last:
        return ""
    words = [
        _bare(t) if i in (first, last) else t for i, t in enumerate(tokens) if first <= i <= last
    ]
    if words[0] == "The":
        words[0] = "the"
    name = " ".join(words).strip(_TRAILING + " ")
    if name.lower() == "the" or name.endswith(("’s", "'s")):
        return ""
    return name


def claimant_in(sentence: str) -> str:
    """Who the sentence attributes its claim to: a person or an organisation, or ""."""
    tokens = _WORD.findall(sentence)
    lowered = [t.strip(_TRAILING).lower() for t in tokens]  # _bare, without a call a word
    # Each loop below looks for a word it needs first: most sentences have none of them.
    for i in range(len(tokens) - 1) if "according" in lowered else ():
        if lowered[i] == "according" and lowered[i + 1] == "to":
            name = _name_forward(tokens, i + 2)
            if name:
                return name
    for i, word in enumerate(lowered) if not _SOURCE_NOUNS.isdisjoint(lowered) else ():
        if word in _SOURCE_NOUNS and i + 2 < len(tokens) and lowered[i + 1] in ("from", "by"):
            name = _name_forward(tokens, i + 2)
            if name:
                return name
    for i, word in enumerate(lowered) if not _VERBS.isdisjoint(lowered) else ():
        if word not in _VERBS or _bare(tokens[i]) != tokens[i].rstrip(",.;:"):
            continue
        before = tokens[i - 1] if i else ""
        if before and before[-1] in ",”\"'’":
            # "…,” said Simon Bailey." / "…, Simon Bailey, …, told": after or before the verb
            if word in _INVERTED:
                name = _name_forward(tokens, i + 1)
                if name:
                    return name
            first_comma = next(
                (k for k in range(i - 1) if tokens[k].endswith(",") and "“" not in tokens[k]), None
            )
            if first_comma is not None and before.endswith(","):
                name = _name_backward(tokens, first_comma)
                if name and first_comma - len(name.split()) + 1 <= 0:
                    return name
            continue
        if i:
            name = _name_backward(tokens, i - 1)
            if name:
                return name
        if i and lowered[i - 1] in _SOURCE_NOUNS:
            continue
    return ""


# --- Clause and statement ------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r";|\s[–—]\s|,\s(?=(?:but|while|whereas|although|though|which|and)\s)")
_LEAD_ATTRIBUTION = re.compile(r"^\s*according to [^,]{1,80},\s*", re.IGNORECASE)
_TAIL_ATTRIBUTION = re.compile(
    r",?[”\"]?,?\s+(?:(?:he|she|they|it|we|i) (?:said|says|added|told [^.]{1,60}|warned|claimed)"
    r"|(?:said|says|added|warned|claimed|according to) [^,.;]{1,80})\s*\.?\s*$",
    re.IGNORECASE,
)
# Where the reported claim starts: after "said that", "estimates there are", "found that".
_REPORTED = re.compile(
    r"\b(?:(?:said|says|claims?|claimed|warned|warns|estimates?|estimated|believes?|argued"
    r"|insists?|insisted|admitted|predicts?|predicted|added)\s+(?:that\s+)?"
    r"|(?:told|tells|found|finds|shows?|showed|showing|suggests?|suggested|concluded?|reported"
    r"|revealed|calculated|expects?)\b[^.;]{0,80}?\b(?:that\s+|(?=there (?:is|are|was|were)\b)))",
    re.IGNORECASE,
)
# Every match of _TAIL_ATTRIBUTION, and of _REPORTED, holds one of these: where none is, the
# patterns are not tried.
_TAIL_HINT = re.compile(_words("said|says|added|told|warned|claimed|according"))
_REPORTED_HINT = re.compile(
    _words(
        "said|says|claim|warn|estimat|believe|argued|insist|admitted|predict|added|told|tells",
        "found|finds|show|suggest|conclude|reported|revealed|calculated|expect",
    )
)
_LEADING_CONJUNCTION = re.compile(r"^(?:and|but|while|whereas|although|though|which)\s+", re.I)


def _clause(sentence: str, figures_at: list[int], hits: list[int]) -> tuple[int, int]:
    """The claim-bearing clause of a long sentence, as offsets within it."""
    if len(sentence) <= LONG_SENTENCE:
        return 0, len(sentence)
    cuts = [0]
    for match in _CLAUSE_BREAK.finditer(sentence):
        cuts.append(match.start())
        cuts.append(match.end())
    cuts.append(len(sentence))
    clauses = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    if len(clauses) < 2:
        return 0, len(sentence)
    anchors = figures_at or hits
    if not anchors:
        return 0, len(sentence)

    def weight(span):
        return sum(span[0] <= at < span[1] for at in anchors)

    start, end = max(clauses, key=lambda span: (weight(span), -span[0]))
    while start < end and sentence[start].isspace():
        start += 1
    return start, end


def _statement(clause: str) -> str:
    """A checkable statement from the clause: the reported claim without who said it."""
    text = _LEAD_ATTRIBUTION.sub("", clause)
    if may_match(text, _TAIL_HINT):
        text = _TAIL_ATTRIBUTION.sub("", text)
    reported = _REPORTED.search(text) if may_match(text, _REPORTED_HINT) else None
    if reported and reported.start() < 160 and len(text) - reported.end() > 20:
        text = text[reported.end() :]
    text = _LEADING_CONJUNCTION.sub("", text.strip())
    text = text.strip().strip("“”\"'‘’").strip().rstrip(",;:").strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?":
        text += "."
    return text


# --- Scoring -------------------------------------------------------------------------------------


# For each reason, the most that it and the reasons looked for after it can add.
_STILL_POSSIBLE = {code: sum(list(WEIGHTS.values())[index:]) for index, code in enumerate(WEIGHTS)}


def _assess_sentence(
    sentence: Sentence, stated: list[tuple[int, Figure]], *, suggested_only: bool = False
) -> Assessment | None:
    """``stated``: the figures read in the sentence, each with where it starts in the text
    the sentence is in. ``suggested_only``: None for a sentence that is not suggested, given
    as soon as no reason left to look for could make it one."""
    text = sentence.text
    lowered = text.lower()
    words = len(text.split())
    if words < MIN_WORDS:
        # A fragment (a dateline, a caption, "Read more"): nothing to check, nothing to read.
        if suggested_only:
            return None
        return Assessment(
            sentence.start, sentence.end, text, 0.0, (), (),
            sentence.start, sentence.end, "", "", "other",
        )  # fmt: skip
    reasons: list[str] = []
    stated = [(at, f) for at, f in stated if f.readable or f.kind != "count"]
    if stated and not _states_number(lowered):
        stated = []  # "twice as high", "no change": figures, but not what makes a claim
    figures = [f for _, f in stated]
    hits: list[int] = []
    if figures:
        reasons.append("figure")
    gained = WEIGHTS["figure"] if figures else 0.0  # the score so far, before penalties
    if suggested_only and not figures and not _TREND_CAUSE_OR_PREDICTION.search(lowered):
        return None  # what the loop below finds out, with one search instead of three
    for code, pattern in (
        ("comparison", _COMPARISON),
        ("causal", _CAUSAL),
        ("prediction", _PREDICTION),
        ("attribution", _ATTRIBUTION),
    ):
        # Without a figure, a sentence needs a trend, a cause or a prediction: one with none
        # of them is not looked at further (most sentences that are not suggested).
        if suggested_only and _out_of_reach(gained, code):
            return None
        match = pattern.search(lowered)
        if match:
            reasons.append(code)
            hits.append(match.start())
            gained += WEIGHTS[code]
    if suggested_only and _out_of_reach(gained, "official"):
        return None
    if (
        _OFFICIAL_TITLE.search(text)
        or (_INSTITUTION.search(text) and _OFFICIAL_BODY.search(text))
        or _OFFICIAL_WORD.search(lowered)
    ):
        reasons.append("official")
    score = sum(WEIGHTS[code] for code in reasons)
    # Penalties are looked for only where there is a score to lower (most sentences have none).
    if score and _BOILERPLATE.search(lowered):
        score = 0.0
    elif score:
        if text.rstrip("”\"’' ").endswith("?"):
            score -= 0.3
        if not figures and _OPINION.search(lowered):
            score -= 0.2
    score = round(min(1.0, max(0.0, score)), 2)
    if score < THRESHOLD:
        # Not suggested: what a claim from it would hold is never shown, so never worked out.
        if suggested_only:
            return None
        return Assessment(
            sentence.start, sentence.end, text, score, tuple(reasons),
            tuple(f.text for f in figures), sentence.start, sentence.end, "", "", "other",
        )  # fmt: skip
    clause_start, clause_end = _clause(text, [at - sentence.start for at, _ in stated], hits)
    clause = text[clause_start:clause_end]
    if figures:
        category = "statistic"
    elif "causal" in reasons:
        category = "causal"
    elif "prediction" in reasons:
        category = "prediction"
    elif "attribution" in reasons and ("“" in text or '"' in text):
        category = "quote"
    else:
        category = "other"
    return Assessment(
        start=sentence.start,
        end=sentence.end,
        text=text,
        score=score,
        reasons=tuple(reasons),
        figures=tuple(f.text for f in figures),
        quote_start=sentence.start + clause_start,
        quote_end=sentence.start + clause_end,
        statement=_statement(clause),
        claimant=claimant_in(text) if "attribution" in reasons else "",
        category=category,
    )


def _out_of_reach(gained: float, next_code: str) -> bool:
    """Whether a sentence that has ``gained`` so far stays under THRESHOLD whatever the
    reasons from ``next_code`` on find (penalties only lower a score)."""
    # Weights are hundredths: no rounding of the final score brings it back over.
    return gained + _STILL_POSSIBLE[next_code] < THRESHOLD - 0.001


def assess(text: str) -> list[Assessment]:
    """Every sentence of ``text``, in order, with its score, reasons and claim prefill."""
    return _assessments(text, suggested_only=False)


def suggestions(text: str) -> list[Assessment]:
    """The suggested sentences of ``text``, in order: ``assess``'s with ``suggested`` true,
    worked out without finishing the sentences that cannot be (what storing needs)."""
    return _assessments(text, suggested_only=True)


def _assessments(text: str, *, suggested_only: bool) -> list[Assessment]:
    sentences = split_sentences(text)
    # The figures read a line at a time (no sentence crosses a line; a figure's context must
    # not either: "News from Harbour Board" above "250 jobs were lost" is not a name for the
    # number), a fifth faster than sentence by sentence, then handed to the sentence each
    # starts in, with where it starts in ``text``.
    stated: list[list[tuple[int, Figure]]] = [[] for _ in sentences]
    starts = [sentence.start for sentence in sentences]
    for line in _LINES.finditer(text) if sentences else ():
        if not _states_number(line.group().lower()):
            continue  # no sentence of it could state a figure (``_assess_sentence``)
        for figure in extract_figures(line.group(), described=False):
            at = line.start() + figure.start
            index = bisect_right(starts, at) - 1
            if index >= 0 and at < sentences[index].end:
                stated[index].append((at, figure))
    found = [
        _assess_sentence(sentence, figures, suggested_only=suggested_only)
        for sentence, figures in zip(sentences, stated, strict=True)
    ]
    return [assessment for assessment in found if assessment is not None]
