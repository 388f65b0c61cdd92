"""Pure parsers that turn a saved article (plain text, Markdown or HTML) into a ParsedArticle.

Saved pages carry site furniture (section labels, badges, captions, newsletter prompts, comment
forms). The heuristics below separate that furniture from the article text. Characters inside
kept paragraphs are never rewritten (curly quotes, non-breaking spaces and dashes stay as they
are) so that character offsets into ``body`` stay meaningful; only whitespace at paragraph ends
is trimmed and empty paragraphs are dropped.

Every pattern list is module-level so it can be extended without touching the logic.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

__all__ = ["ParseError", "ParsedArticle", "parse_html", "parse_markdown", "parse_text"]


class ParseError(ValueError):
    """Raised with a one-line, user-facing message when a document holds no article text."""


@dataclass
class ParsedArticle:
    title: str
    body: str  # cleaned body text, paragraphs separated by exactly "\n\n"
    title_inferred: bool = False  # True when no title line existed and it was derived from body
    standfirst: str = ""
    byline: str = ""
    publisher: str = ""
    url: str = ""
    published_on: datetime.date | None = None
    section: str = ""  # section label such as "online child safety"
    notes: str = ""  # provenance kept visible, e.g. "A version of this article appeared on ..."
    removed: list[str] = field(default_factory=list)  # boilerplate lines dropped, for the report


# --------------------------------------------------------------------------------------------
# Pattern lists. Each regex is matched (case-insensitively) against a whole stripped line.
# --------------------------------------------------------------------------------------------

# Lines longer than this (in words) are never treated as boilerplate: real paragraphs are long.
BOILERPLATE_MAX_WORDS = 40

# Newsletter and subscription prompts.
NEWSLETTER_PATTERNS = [
    r"sign up (?:to|for)\b.*\b(?:newsletter|e-?mail|inbox|alerts?)\b.*",
    r"subscribe (?:to|for)\b.*\b(?:newsletter|e-?mail|inbox|updates)\b.*",
    r"(?:get|receive) (?:the|our)\b.*\bnewsletter\b.*",
    r"enter your e-?mail(?: address)?\b.*",
]

# Headings that introduce lists of links to other articles.
RELATED_PATTERNS = [
    r"(?:recent|related|more|popular|trending|latest|recommended|top)"
    r" (?:articles|stories|posts|news|reads)\s*:?",
    r"most (?:read|popular|viewed|shared)\s*:?",
    r"(?:read more|see also|you may also like|you might also like|more on this story)\s*:?",
]

# Comment-form furniture left at the end of blog and news pages.
COMMENT_FORM_PATTERNS = [
    r"be the first to comment\.?",
    r"leave a (?:reply|comment)\.?",
    r"(?:post|submit) (?:a )?comment\.?",
    r"cancel reply\.?",
    r"\d+ comments?",
    r"comments?\s*\(?\d*\)?",
    r"your email address will not be published\..*",
    r"required fields are marked.*",
    r"this site uses akismet to reduce spam\..*",
    r"notify me of (?:follow-up comments|new posts)\b.*",
    r"save my name, email, and website in this browser\b.*",
]

# Badges and page chrome shown as short standalone lines.
BADGE_PATTERNS = [
    r"fact[- ]checked\.?",
    r"advertisement",
    r"skip advertisement",
    r"sponsored(?: content)?",
    r"share(?: this)?(?: article| story)?",
    r"listen to this article.*",
    r"(?:\d+ )?min(?:ute)?s? read",
]

# Image captions and credits on their own line: "(Representational image: iStock)",
# "(Photo: Jane Doe)", "Image source, Getty Images", "Photo: Reuters".
CAPTION_PATTERNS = [
    r"\([^()]*\b(?:image|photo|photograph|picture|illustration|credit|file photo)s?\b[^()]*\)",
    r"image (?:source|caption)\b.*",
    r"(?:photo|photograph|image|picture)(?: credit)?\s*:\s*.{0,80}",
]

# Photo-agency credits. Alone on a line they are dropped; glued to the first word of a
# paragraph ("PA MediaChild sex abuse ...") the credit is cut off.
PHOTO_CREDITS = [
    "PA Media",
    "PA Wire",
    "Getty Images",
    "Reuters",
    "AFP",
    "AP",
    "EPA",
    "Shutterstock",
    "Alamy",
    "iStock",
]

_NEWSLETTER_RE = re.compile("|".join(f"(?:{p})" for p in NEWSLETTER_PATTERNS), re.IGNORECASE)

BOILERPLATE_PATTERNS = [
    *NEWSLETTER_PATTERNS,
    *RELATED_PATTERNS,
    *COMMENT_FORM_PATTERNS,
    *BADGE_PATTERNS,
    *CAPTION_PATTERNS,
    *(re.escape(credit) for credit in PHOTO_CREDITS),
]
_BOILERPLATE_RE = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE_PATTERNS), re.IGNORECASE)

# Lines after which the rest of the page is furniture (link lists, comment forms), provided
# every remaining paragraph is short (see TAIL_MAX_WORDS).
TAIL_MARKER_PATTERNS = [*RELATED_PATTERNS, *COMMENT_FORM_PATTERNS]
_TAIL_MARKER_RE = re.compile("|".join(f"(?:{p})" for p in TAIL_MARKER_PATTERNS), re.IGNORECASE)
TAIL_MAX_WORDS = 20

# A credit glued to a capitalised word with no space. The lookahead demands a capital followed
# by at least two lower-case letters, so "APIs" or "APEC" are left alone.
_GLUED_CREDIT_RE = re.compile(
    r"^(?P<credit>" + "|".join(re.escape(c) for c in PHOTO_CREDITS) + r")(?=[A-Z][a-z]{2,})"
)

# Provenance notes: kept out of the body but shown in ``notes``, never silently dropped.
PROVENANCE_PATTERNS = [
    r"(?:a )?version of this (?:article|story|piece) (?:first |originally )?appeared\b.*",
    r"this (?:article|story|piece) (?:was )?(?:first |originally )?"
    r"(?:appeared|published|ran)\b.*",
    r"(?:originally|first) (?:published|appeared)\b.*",
    r"(?:re)?published with permission\b.*",
    r"this (?:article|story) is republished from\b.*",
]
_PROVENANCE_RE = re.compile("|".join(f"(?:{p})" for p in PROVENANCE_PATTERNS), re.IGNORECASE)

# A leading " date 2017-12-29 " token glued before the first sentence.
_DATE_PREFIX_RE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:\s+|$)", re.IGNORECASE)

# Whole date lines near the top: "Published: 12 March 2024", "Updated 2024-03-12".
_DATE_LINE_RE = re.compile(
    r"(?:published|posted|updated|date)(?: on)?\s*:?\s*(?P<date>.+)", re.IGNORECASE
)
_DATE_FORMATS = ["%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y"]

# "By Jane Smith", "By Jane Smith and Tom Lee, Political Editor".
_BYLINE_RE = re.compile(
    r"[Bb]y\s+(?P<name>[A-Z][\w’'.-]*(?:\s+(?:[A-Z][\w’'.-]*|and|&|de|van|von|der|la))*)"
    r"(?:\s*[,|–—-]\s*.{0,60})?",
)

# How many leading paragraphs may hold metadata (section, title, byline, date, standfirst).
HEADER_SCAN = 6
TITLE_MAX_WORDS = 25
TITLE_MAX_CHARS = 200
SECTION_MAX_WORDS = 5
SECTION_MAX_CHARS = 40
STANDFIRST_MAX_WORDS = 40
INFERRED_TITLE_MAX_WORDS = 12
INFERRED_TITLE_MAX_CHARS = 100
# HTML main text shorter than this is only trusted when trafilatura's precise mode agrees.
HTML_MIN_TRUSTED_CHARS = 200

# Closing quotes and brackets ignored when looking at how a line ends.
_CLOSERS = "\"'”’»)]"
# A line ending in one of these reads as a sentence, not a headline. "?" and "!" are allowed
# in headlines.
_SENTENCE_END = (".", ",", ";", ":", "…")
# End of the first sentence: terminal punctuation (plus closers) followed by space and a capital
# or opening quote.
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[A-Z\"“‘'(])")


# --------------------------------------------------------------------------------------------
# Public parsers
# --------------------------------------------------------------------------------------------


def parse_text(text: str) -> ParsedArticle:
    """Parse a plain-text article (.txt)."""
    return _parse_blocks(_split_blocks(_normalise(text)))


def parse_markdown(text: str) -> ParsedArticle:
    """Parse Markdown: the first level-1 heading (ATX "# T" or setext "T\\n===") is the title.

    Other heading markers are stripped and those lines treated like plain text.
    """
    lines = _normalise(text).split("\n")
    title = ""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not title and line.strip() and re.fullmatch(r"=+\s*", nxt):
            title = line.strip()
            i += 2
            continue
        heading = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$", line)
        if heading:
            if not title and len(heading.group(1)) == 1:
                title = heading.group(2).strip()
            else:
                out.append(heading.group(2))
        elif re.fullmatch(r"\s{0,3}(?:=+|-{3,})\s*", line):
            out.append("")  # setext underline or thematic break: a paragraph boundary
        else:
            out.append(line)
        i += 1
    return _parse_blocks(_split_blocks("\n".join(out)), title=title or None)


def parse_html(html: str, url: str = "") -> ParsedArticle:
    """Parse an HTML page with trafilatura: main text plus title, date, author, site name.

    trafilatura's metadata is then checked against the page itself (see "HTML pages" below):
    a section name or the site's name taken for the title gives way to the page's main heading,
    a trailing " | Site" is cut, bylines are cleaned with ``clean_byline``, and the headline,
    kickers, byline and date lines, link bars and credit lines repeated in the main text are
    moved to ``removed``.
    """
    import trafilatura

    page = _read_page(html)
    options = {"url": url or None, "with_metadata": True, "include_comments": False}
    doc = trafilatura.bare_extraction(page.html, **options)
    meta = doc.as_dict() if doc is not None else {}
    text = meta.get("text") or ""
    # trafilatura's fallback grabs any text (e.g. a lone nav link) when no article is found; a
    # short result only counts when the precise extractor also finds main text.
    if len(text.strip()) < HTML_MIN_TRUSTED_CHARS and text.strip():
        precise = trafilatura.bare_extraction(page.html, fast=True, favor_precision=True, **options)
        if precise is None or not (precise.as_dict().get("text") or "").strip():
            text = ""
    if not text.strip():
        raise ParseError("no article text found in the HTML")
    blocks = _split_blocks(_normalise(text))

    sitename = (meta.get("sitename") or "").strip()
    found_title = (meta.get("title") or "").strip()
    title = _choose_title(found_title, page, sitename, blocks)
    publisher = _choose_publisher(sitename, title, page)
    raw_bylines = [(meta.get("author") or "").strip(), _byline_on_page(page)]
    names = [name for raw in raw_bylines for name in _byline_names(raw, publisher)]
    blocks, removed, meta_date, credited = _strip_page_furniture(blocks, title, page, names)

    article = _parse_blocks(
        blocks, title=title or None, empty_message="no article text found in the HTML"
    )
    article.removed = removed + article.removed
    for raw in (article.byline, *raw_bylines, credited):
        if byline := clean_byline(raw, publisher):
            article.byline = byline
            break
    else:
        article.byline = ""
    article.publisher = publisher or article.publisher
    article.url = url or (meta.get("url") or "").strip()
    date = _trusted_date(meta.get("date") or "", page)
    article.published_on = _parse_date(date) or article.published_on or meta_date
    if not article.standfirst:
        article.standfirst = _standfirst_on_page(page, article.body)
    if title != found_title and _is_section_name(found_title, page, publisher):
        article.section = article.section or found_title
    categories = meta.get("categories") or []
    if categories and not article.section:
        article.section = str(categories[0]).strip()
    return article


# --------------------------------------------------------------------------------------------
# HTML pages: checking trafilatura's metadata against the page
# --------------------------------------------------------------------------------------------

# fmt: off
# Labels of comment, sign-up and log-in forms that extractors take for an author's name.
FORM_LABELS = frozenset({
    "name", "your name", "full name", "username", "user name", "user", "nickname", "email",
    "e-mail", "email address", "your email", "website", "url", "comment", "your comment",
    "password", "login", "log in", "sign in", "register", "reply", "required", "anonymous",
    "guest", "author", "admin", "administrator",
})
_MONTH_WORDS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})
_WEEKDAY_WORDS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
})
# Words glued to a name by the date or time next to it ("Joshua Sokol May", "Jane Doe Updated").
BYLINE_DATE_WORDS = _MONTH_WORDS | _WEEKDAY_WORDS | {
    "published", "updated", "posted", "modified", "on", "at", "am", "pm", "gmt", "bst", "utc",
    "cet", "est", "edt", "pst", "pdt", "today", "yesterday", "ago", "min", "mins", "minute",
    "minutes", "st", "nd", "rd", "th",
}
# Date words that are also surnames: "Theresa May" keeps its second word.
_SURNAME_DATE_WORDS = frozenset({"may", "march", "june", "april", "august"})
# A part of a byline holding one of these is a job title ("transport correspondent").
BYLINE_ROLE_WORDS = frozenset({
    "editor", "correspondent", "reporter", "writer", "contributor", "columnist", "journalist",
    "staff", "desk", "team", "newsroom", "producer", "photographer", "photographs", "photos",
    "reporting", "editing", "agencies", "agency", "wires",
})
# What is left of a news organisation's name when it signs as author ("BBC News" for "BBC").
_ORGANISATION_SUFFIXES = frozenset({
    "news", "online", "staff", "reporters", "newsroom", "team", "desk", "digital", "media",
})
# fmt: on

_BYLINE_PREFIX_RE = re.compile(
    r"^(?:(?:written|words|text|story|interview|reporting|additional reporting|posted|report"
    r"|compiled|edited)\s+by|by)\b\s*:?\s*",
    re.IGNORECASE,
)
_LINK_OR_EMAIL_RE = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+", re.IGNORECASE)
_BYLINE_SPLIT_RE = re.compile(r"\s*(?:[;|,/·•]|\s[-–—]\s|\band\b|&|\bwith\b)\s*")
_NAME = (
    r"[A-Z][\w’'.-]*(?:\s+(?:[A-Z][\w’'.-]*|and|&|de|van|von|der|den|la|le|du|da|di|al|bin|y)){0,7}"
)
# "By Jane Doe", "Interview by Jane Doe · 6 June", or a meta line ending "… by Jane Doe".
_PAGE_BYLINE_RES = [
    re.compile(
        r"^(?:(?i:written|words|text|story|interview|reporting|posted|report)\s+)?(?i:by)\s*:?\s+"
        rf"(?P<name>{_NAME})"
    ),
    re.compile(
        rf"^(?:Posted|Filed|Published|Submitted|Written|Updated)\b.*\bby\s+(?P<name>{_NAME})\s*$"
    ),
]
# A credit at the end of wire copy: "Reporting by Jane Doe; editing by John Roe".
_CREDIT_LINE_RE = re.compile(
    rf"(?i:(?:additional )?(?:reporting|words|text|interview) by) (?P<name>{_NAME})(?:\s*[;,.].*)?"
)

_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# Dates and times as pages print them next to bylines.
_DATE_EXPRESSION_RE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_RE},?\s+\d{{4}}"
    rf"|{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}[:.]\d{2}\s*(?:am|pm)?)(?!\w)",
    re.IGNORECASE,
)
# Words a byline or date line may hold besides names and dates.
_META_LINE_WORDS = (
    BYLINE_DATE_WORDS
    | BYLINE_ROLE_WORDS
    | {"by", "words", "interview", "written", "posted", "filed", "press", "release", "last"}
    | {"page", "and", "for", "immediate", "embargoed", "until"}
)
META_LINE_MAX_WORDS = 16

# Separators between a headline and the site's name in <title> and og:title.
_TITLE_SEPARATOR_RE = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|«)\s+")
# Class or id of a heading that holds the site's name rather than the article's.
_SITE_HEADING_RE = re.compile(
    r"logo|brand|site-?(?:title|name)|blog-?(?:title|name)|masthead", re.IGNORECASE
)
_STANDFIRST_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:standfirst|dek|excerpt|summary|subtitle|strapline|subhead|lede|intro"
    r"|description)(?:$|[\s_-])",
    re.IGNORECASE,
)
# How far after the main heading bylines and standfirsts are looked for (elements).
PAGE_BYLINE_SCAN = 25
PAGE_STANDFIRST_SCAN = 6
# A line of the main text made only of links (menu, breadcrumb, "Read more: …") up to this long.
LINK_LINE_MAX_WORDS = 15


def clean_byline(raw: str, publisher: str = "") -> str:
    """The author names in ``raw``, cleaned: "Jane Doe", "Jane Doe and John Roe", or "".

    Drops what extractors and saved pages glue to names: a "By"/"Words by" prefix, dates and
    times ("Joshua Sokol May" → "Joshua Sokol", "Jane Doe 12 March 2024"), job titles when a
    name is left ("Jane Doe, transport correspondent"), comment-form labels ("Username",
    "Email"), e-mail addresses and links, and the publisher signing as author ("BBC News" for
    the BBC). A name given twice in different case is kept once ("JANE DOE" becomes
    "Jane Doe").
    """
    names = _byline_names(raw, publisher)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _byline_names(raw: str, publisher: str = "") -> list[str]:
    raw = _LINK_OR_EMAIL_RE.sub(" ", raw or "")
    parts = [
        _clean_name(part)
        for part in _BYLINE_SPLIT_RE.split(raw)
        if not _same_organisation(_BYLINE_PREFIX_RE.sub("", part), publisher)
    ]
    parts = [part for part in parts if part]
    people = [part for part in parts if not _is_role(part)]
    if people:
        parts = people
    names: list[str] = []
    for name in parts:
        if name.casefold() in FORM_LABELS or _same_organisation(name, publisher):
            continue
        if name.islower() or (name.isupper() and " " in name):  # not "AP" or "BBC"
            name = name.title()
        key = f" {_key(name)} "
        if any(key in f" {_key(kept)} " for kept in names):
            continue  # the same name again, or part of a name already kept
        names = [kept for kept in names if f" {_key(kept)} " not in key]
        names.append(name)
    return names


def _clean_name(part: str) -> str:
    part = _BYLINE_PREFIX_RE.sub("", part.strip(" \t\n.,;:|·•*-–—"))
    words = part.split()
    # A date or time glued on: cut at the first word holding a digit ("Jane Doe 12 May").
    for i, word in enumerate(words):
        if any(ch.isdigit() for ch in word):
            del words[i:]
            break

    def glued(word: str) -> bool:
        word = word.strip(".,").casefold()
        return word in BYLINE_DATE_WORDS and not (len(words) == 2 and word in _SURNAME_DATE_WORDS)

    while len(words) > 1 and glued(words[-1]):
        words.pop()
    while len(words) > 1 and glued(words[0]):
        words.pop(0)
    name = " ".join(words).strip(" .,;:|-–—")
    return name if any(ch.isalpha() for ch in name) else ""


def _is_role(part: str) -> bool:
    return any(word in BYLINE_ROLE_WORDS for word in re.findall(r"\w+", part.casefold()))


def _key(text: str) -> str:
    """Text compared the way a reader would: case and spacing ignored."""
    return " ".join(text.split()).casefold()


def _organisation_key(name: str) -> str:
    words = re.findall(r"\w+", name.casefold())
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _same_organisation(name: str, publisher: str) -> bool:
    """Whether ``name`` is the publisher itself, alone or as "… News", "… Staff"."""
    a, b = _organisation_key(name), _organisation_key(publisher)
    if not a or not b:
        return False
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    if not longer.startswith(shorter):
        return False
    rest = longer[len(shorter) :].split()
    return all(word in _ORGANISATION_SUFFIXES for word in rest)


@dataclass
class _HtmlPage:
    """What the page itself shows, to check trafilatura's metadata against."""

    html: str  # what trafilatura reads: the page, with layout tables turned into blocks
    tree: object = None  # lxml root, None when the page cannot be parsed
    title_tag: str = ""
    heading: object = None  # the main <h1> element
    link_texts: set[str] = field(default_factory=set)  # keys of every link's text
    link_lines: set[str] = field(default_factory=set)  # keys of elements made only of links
    home_links: set[str] = field(default_factory=set)  # keys of links to the front page
    sections: set[str] = field(default_factory=set)  # keys of article:section values

    @property
    def heading_text(self) -> str:
        return _text_of(self.heading) if self.heading is not None else ""


def _text_of(element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _read_page(html: str) -> _HtmlPage:
    import lxml.etree
    import lxml.html

    try:
        try:
            tree = lxml.html.fromstring(html)
        except ValueError:  # a str with an XML encoding declaration
            tree = lxml.html.fromstring(html.encode("utf-8"))
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return _HtmlPage(html)
    page = _HtmlPage(html, tree)
    if _unwrap_layout_tables(tree):
        page.html = lxml.html.tostring(tree, encoding="unicode")
    title = tree.find(".//title")
    page.title_tag = _text_of(title) if title is not None else ""
    page.sections = {
        _key(meta.get("content", ""))
        for meta in tree.iter("meta")
        if meta.get("property") == "article:section" and meta.get("content")
    }
    for element in tree.iter("a"):
        if text := _text_of(element):
            page.link_texts.add(_key(text))
            if _is_home_link(element):
                page.home_links.add(_key(text))
    for element in tree.iter("p", "div", "li", "ul", "ol", "nav", "span", "td", "section"):
        if _is_link_line(element):
            page.link_lines.add(_key(_text_of(element)))
    page.heading = _main_heading(tree)
    return page


# A layout table cell holds blocks of text; a data table cell holds a value.
_BLOCK_TAGS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"})
LAYOUT_CELL_MIN_WORDS = 60


def _unwrap_layout_tables(tree) -> bool:
    """Turn tables used for page layout (cells holding paragraphs) into plain blocks.

    Old sites lay pages out with tables; extractors then read the article and the menu beside
    it as one table row. Returns whether anything changed.
    """
    changed = False
    for table in list(tree.iter("table")):
        cells = list(table.iter("td", "th"))
        layout = any(
            sum(1 for child in cell if child.tag in _BLOCK_TAGS) >= 2
            or len(" ".join(cell.itertext()).split()) >= LAYOUT_CELL_MIN_WORDS
            for cell in cells
        )
        if not layout:
            continue
        for element in [table, *table.iter("thead", "tbody", "tfoot", "tr", "td", "th")]:
            element.tag = "div"
            for attribute in ("width", "height", "valign", "align", "colspan", "rowspan"):
                element.attrib.pop(attribute, None)
        changed = True
    return changed


def _is_link_line(element) -> bool:
    """An element whose text is links only, apart from separators or a short label ("Read
    more:", "Topics:")."""
    links = [a for a in element.iter("a") if _text_of(a)]
    if not links:
        return False
    text = _text_of(element)
    if not text or len(text.split()) > LINK_LINE_MAX_WORDS:
        return False
    rest = text
    for link in links:
        rest = rest.replace(_text_of(link), " ", 1)
    rest = rest.strip(" |·•›»>/,-–—\n\t")
    if not rest.strip(":"):
        return len(links) >= 2 or len(text.split()) <= 6
    return len(rest.split()) <= 3 and bool(re.fullmatch(r"[\w ]+:", rest))


def _main_heading(tree):
    """The article's <h1>: not one holding the site's logo or name; inside <article> or
    <main> when there are several."""
    candidates = []
    for h1 in tree.iter("h1"):
        if not _text_of(h1):
            continue
        marks = [h1, h1.getparent(), *h1.iterchildren("a")]
        if any(
            el is not None and _SITE_HEADING_RE.search(f"{el.get('class', '')} {el.get('id', '')}")
            for el in marks
        ):
            continue
        if any(el.tag in ("nav", "footer") for el in h1.iterancestors()):
            continue
        links = [a for a in h1.iter("a") if _text_of(a)]
        if links and all(_is_home_link(a) for a in links):
            continue  # the site's name, linking to its front page
        candidates.append(h1)
    inside = [
        h for h in candidates if any(el.tag in ("article", "main") for el in h.iterancestors())
    ]
    return (inside or candidates or [None])[0]


def _is_home_link(link) -> bool:
    href = (link.get("href") or "").strip()
    return href in ("/", "./", "index.html", "index.htm") or bool(
        re.fullmatch(r"https?://[^/?#]+/?", href)
    )


def _is_section_name(title: str, page: _HtmlPage, publisher: str) -> bool:
    """A title that names a section or the site: a menu link's text, the page's
    article:section, or the publisher."""
    key = _key(title)
    return bool(key) and (
        key in page.link_texts or key in page.sections or _same_organisation(title, publisher)
    )


def _title_parts(title: str) -> list[str]:
    return [part.strip() for part in _TITLE_SEPARATOR_RE.split(title) if part.strip()]


def _strip_site_name(title: str, publisher: str) -> str:
    """ "Headline | Site" or "Site: Headline" → "Headline" when Site is the publisher."""
    if not publisher:
        return title
    separators = list(_TITLE_SEPARATOR_RE.finditer(title))
    if separators:
        last, first = separators[-1], separators[0]
        if _same_organisation(title[last.end() :], publisher):
            return title[: last.start()].strip()
        if _same_organisation(title[: first.start()], publisher):
            return title[first.end() :].strip()
    head, colon, rest = title.partition(": ")
    if colon and rest and _same_organisation(head, publisher):
        return rest.strip()
    return title


def _choose_title(found: str, page: _HtmlPage, sitename: str, blocks: list[list[str]]) -> str:
    heading = page.heading_text
    publisher = sitename or _site_from_title_tag(page.title_tag, heading)
    title = _strip_site_name(found, publisher)
    if not any(ch.isalnum() for ch in title):
        title = ""  # "| |" from an empty <title>: let the text give one
    if (
        heading
        and _key(title) != _key(heading)
        and (not title or _is_section_name(title, page, publisher) or _key(title) == _key(sitename))
    ):
        return heading
    parts = _title_parts(title)
    if len(parts) >= 2 and not heading:
        # "Site :: News :: Headline" with no <h1>: the end of it that the text starts with.
        opening = {_key(line) for block in blocks[:3] for line in block}
        for part in (parts[-1], parts[0]):
            if _key(part) in opening:
                return part
    return title


def _site_from_title_tag(title_tag: str, headline: str) -> str:
    """The other end of "Headline | Site", "Site - News - Headline" or "Press release:
    Headline | Site"."""
    parts = _title_parts(title_tag)
    if len(parts) < 2 or not headline:
        return ""

    def is_headline(part: str) -> bool:
        return _key(part) == _key(headline) or _key(part).endswith(f": {_key(headline)}")

    if is_headline(parts[0]):
        return parts[-1]
    if is_headline(parts[-1]):
        return parts[0]
    return ""


def _choose_publisher(sitename: str, title: str, page: _HtmlPage) -> str:
    if _key(sitename) == _key(title):
        sitename = ""  # the headline was taken for the site's name (a dot in it, "2.5%")
    if sitename:
        return sitename
    if site := _site_from_title_tag(page.title_tag, title):
        return site
    # A <title> holding only the site's name, which the logo links to the front page with.
    parts = _title_parts(page.title_tag)
    return next((part for part in parts if _key(part) in page.home_links), "")


def _following_texts(page: _HtmlPage, limit: int):
    """(element, text) for the elements after the main heading, in page order."""
    if page.heading is None:
        return
    for element in page.heading.xpath(f"following::*[position() <= {limit}]"):
        if element.tag in ("script", "style", "noscript", "template"):
            continue
        if text := _text_of(element):
            yield element, text


def _byline_on_page(page: _HtmlPage) -> str:
    """A "By …" line just after the main heading, which extractors miss when it carries no
    author class ("By Jane Doe | 8 July 2024", "Filed under Transport … by Jane Doe")."""
    for _element, text in _following_texts(page, PAGE_BYLINE_SCAN):
        if len(text.split()) > META_LINE_MAX_WORDS + 4:
            continue
        for pattern in _PAGE_BYLINE_RES:
            if match := pattern.search(text):
                return match.group("name")
    return ""


def _standfirst_on_page(page: _HtmlPage, body: str) -> str:
    """The summary under the headline (class "standfirst", "dek", …) when the extractor left
    it out of the text."""
    for element, text in _following_texts(page, PAGE_STANDFIRST_SCAN):
        if element.tag not in ("p", "div", "h2", "h3", "span"):
            continue
        if not _STANDFIRST_CLASS_RE.search(element.get("class", "")):
            continue
        if len(text.split()) >= 6 and _key(text) not in _key(body):
            return text
    return ""


def _is_meta_line(text: str, names: list[str]) -> bool:
    """A line holding only bylines, dates and the words around them ("Jane Doe · 3 June 2025",
    "Published 28 February 2024", "Tuesday 23 April 2024")."""
    if "\n" in text or len(text.split()) > META_LINE_MAX_WORDS:
        return False
    rest, found = text, False
    for name in names:
        rest, count = re.subn(re.escape(name), " ", rest, flags=re.IGNORECASE)
        found = found or bool(count)
    rest, count = _DATE_EXPRESSION_RE.subn(" ", rest)
    found = found or bool(count)
    words = [word.casefold() for word in re.findall(r"[^\W\d_]+", rest)]
    if not found and not any(word in _WEEKDAY_WORDS for word in words):
        return False
    return all(word in _META_LINE_WORDS for word in words)


def _strip_page_furniture(
    blocks: list[list[str]], title: str, page: _HtmlPage, names: list[str]
) -> tuple[list[list[str]], list[str], datetime.date | None, str]:
    """Take out of the main text what the page shows around the article: the headline again
    (and the kicker or badge above it), byline and date lines, link bars ("Home | News",
    "Read more: …") and a closing credit ("Reporting by …"). Returns the blocks left, the
    lines removed, a date read from a removed date line and the credited name."""
    removed: list[str] = []
    date: datetime.date | None = None
    credited = ""
    if title and blocks and len(blocks[0]) > 1 and _key(blocks[0][0]) == _key(title):
        removed.append(blocks[0][0].strip())  # the headline as the first line of a paragraph
        blocks = [blocks[0][1:], *blocks[1:]]
    texts = [" ".join(line.strip() for line in block) for block in blocks]
    drop: set[int] = set()
    head = range(min(HEADER_SCAN, len(blocks)))
    tail = range(max(0, len(blocks) - 3), len(blocks))
    for i in [*head, *tail]:
        if title and _key(texts[i]) == _key(title):
            drop.add(i)
            if i in head:  # above the headline: kicker, section label, "LIVE" badge
                drop.update(j for j in range(i) if len(texts[j].split()) <= 6)
    for i, text in enumerate(texts):
        if len(text.split()) <= LINK_LINE_MAX_WORDS and _key(text) in page.link_lines:
            drop.add(i)
    for i in [*head, *tail]:
        if i not in drop and _is_meta_line(texts[i], names):
            drop.add(i)
            for match in _DATE_EXPRESSION_RE.finditer(texts[i]):
                date = date or _parse_date(re.sub(r"(?<=\d)(?:st|nd|rd|th)\b|,", "", match[0]))
    if blocks and (len(blocks) - 1) not in drop and (m := _CREDIT_LINE_RE.fullmatch(texts[-1])):
        credited = m.group("name")
        drop.add(len(blocks) - 1)
    if len(drop) >= len(blocks):
        return blocks, removed, None, ""  # never strip a page down to nothing
    kept = [block for i, block in enumerate(blocks) if i not in drop]
    removed += [texts[i] for i in sorted(drop)]
    return kept, removed, date, credited


def _trusted_date(value: str, page: _HtmlPage) -> str:
    """trafilatura's date, unless it is a guess made from a bare year or month ("dredged in
    2017" gives 2017-01-01): a first-of-month date must also be found without the
    opportunistic text search, or be printed on the page."""
    if not value or not value.endswith("-01") or page.tree is None:
        return value
    from copy import deepcopy

    from htmldate import find_date

    strict = find_date(deepcopy(page.tree), extensive_search=False, original_date=True)
    if strict == value[:10]:
        return value
    printed = {
        _parse_date(re.sub(r"(?<=\d)(?:st|nd|rd|th)\b|,", "", m[0]))
        for m in _DATE_EXPRESSION_RE.finditer(" ".join(page.tree.itertext()))
    }
    if _parse_date(value) in printed:
        return value
    return strict or ""


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_blocks(text: str) -> list[list[str]]:
    """Split into paragraphs, each a list of lines.

    With blank lines present, blank lines separate paragraphs (single newlines inside a
    paragraph are kept). Without any blank line, every line is its own paragraph.
    """
    lines = [line.rstrip() for line in text.split("\n")]
    if not re.search(r"\n\s*\n", text.strip()):
        return [[line] for line in lines if line.strip()]
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _words(line: str) -> int:
    return len(line.split())


def _is_boilerplate(line: str) -> bool:
    stripped = line.strip()
    return _words(stripped) <= BOILERPLATE_MAX_WORDS and bool(_BOILERPLATE_RE.fullmatch(stripped))


def _is_teaser(paragraph: str) -> bool:
    """A link to another story as saved pages list them: one short line, not a sentence."""
    return (
        "\n" not in paragraph
        and _words(paragraph) <= TAIL_MAX_WORDS
        and not _ends_like_sentence(paragraph)
        and not _PROVENANCE_RE.fullmatch(paragraph)
    )


# "Sign up to the Riverton Gazette newsletter", "Get the Weekly Tide e-mail from Harbour Press":
# a prompt that names the site is the one place a plain-text file says who published it.
_PUBLISHER_IN_PROMPT_RES = [
    re.compile(r"\bfrom (?:the )?(?P<name>[A-Z][\w&’'.-]*(?: [A-Z][\w&’'.-]*){0,4})(?=[\s.,!]|$)"),
    re.compile(
        r"(?i:sign up|subscribe) (?i:to|for) (?i:the )?(?P<name>[A-Z][\w&’'.-]*"
        r"(?: [A-Z][\w&’'.-]*){0,4}) (?:daily |weekly )?(?:e-?mail|newsletter)",
    ),
]


def _publisher_named_in(line: str) -> str:
    """The publisher a newsletter prompt names, or ""."""
    if not _NEWSLETTER_RE.fullmatch(line):
        return ""
    for pattern in _PUBLISHER_IN_PROMPT_RES:
        if match := pattern.search(line):
            return match.group("name").strip()
    return ""


def _ends_like_sentence(line: str) -> bool:
    return line.strip().rstrip(_CLOSERS).endswith(_SENTENCE_END)


def _is_title_like(line: str) -> bool:
    line = line.strip()
    return (
        0 < _words(line) <= TITLE_MAX_WORDS
        and len(line) <= TITLE_MAX_CHARS
        and not _ends_like_sentence(line)
        and not _is_boilerplate(line)
    )


def _is_section_like(line: str) -> bool:
    line = line.strip()
    return (
        0 < _words(line) <= SECTION_MAX_WORDS
        and len(line) <= SECTION_MAX_CHARS
        and line == line.lower()
        and any(ch.isalpha() for ch in line)
        and not _ends_like_sentence(line)
    )


def _parse_date(value: str) -> datetime.date | None:
    value = value.strip()
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _parse_blocks(
    blocks: list[list[str]],
    title: str | None = None,
    empty_message: str = "no article text found in the document",
) -> ParsedArticle:
    """Run the shared heuristics over paragraphs; ``title`` skips title detection when given."""
    removed: list[str] = []
    notes: list[str] = []
    published_on: datetime.date | None = None

    # 1. A " date YYYY-MM-DD " token glued before the first sentence.
    if blocks:
        match = _DATE_PREFIX_RE.match(blocks[0][0])
        if match:
            published_on = _parse_date(match.group(1))
            blocks[0][0] = blocks[0][0][match.end() :]

    # 2. Drop boilerplate lines and glued photo credits, line by line: only what matches a
    #    known shape, and a heading repeated on the very next line (saved pages often carry
    #    the title twice). A repeated sentence is text: it stays. Note where the first tail
    #    marker ("Recent articles", "Leave a Reply") sat.
    cleaned: list[str] = []
    tail_start: int | None = None
    previous = ""
    publisher = ""
    for block in blocks:
        kept: list[str] = []
        for line in block:
            stripped = line.strip()
            if not stripped:
                continue
            if tail_start is None and _TAIL_MARKER_RE.fullmatch(stripped):
                tail_start = len(cleaned) + (1 if kept else 0)
            repeated_heading = stripped == previous and _is_title_like(stripped)
            previous = stripped
            if _is_boilerplate(stripped) or repeated_heading:
                publisher = publisher or _publisher_named_in(stripped)
                removed.append(stripped)
                continue
            glued = _GLUED_CREDIT_RE.match(stripped)
            if glued:
                removed.append(glued.group("credit"))
                line = line.lstrip()[glued.end() :]
            kept.append(line)
        paragraph = "\n".join(kept).strip()
        if paragraph:
            cleaned.append(paragraph)

    # 3. After a tail marker come link lists: single short lines that read as headlines, not
    #    sentences, are dropped. Anything that reads as a sentence stays, figures and all.
    if tail_start is not None:
        tail = []
        for paragraph in cleaned[tail_start:]:
            if _is_teaser(paragraph):
                removed.append(paragraph)
            else:
                tail.append(paragraph)
        cleaned[tail_start:] = tail

    # 4. Provenance notes leave the body but stay visible in ``notes``.
    paragraphs: list[str] = []
    for paragraph in cleaned:
        if _words(paragraph) <= BOILERPLATE_MAX_WORDS and _PROVENANCE_RE.fullmatch(paragraph):
            notes.append(paragraph)
        else:
            paragraphs.append(paragraph)

    # 5. Header: byline and date lines, section label, title, standfirst.
    byline = ""
    header_end = min(HEADER_SCAN, len(paragraphs))
    kept_header: list[str] = []
    for paragraph in paragraphs[:header_end]:
        if "\n" not in paragraph and not byline and (m := _BYLINE_RE.fullmatch(paragraph)):
            byline = clean_byline(m.group("name"), publisher)
            removed.append(paragraph)
            continue
        if "\n" not in paragraph and _words(paragraph) <= 6:
            m = _DATE_LINE_RE.fullmatch(paragraph)
            date = _parse_date(m.group("date")) if m else None
            if date:
                published_on = published_on or date
                continue
        kept_header.append(paragraph)
    paragraphs = kept_header + paragraphs[header_end:]

    section = ""
    title_inferred = False
    standfirst = ""
    if title is None:
        title = ""
        if (
            len(paragraphs) >= 3
            and _is_section_like(paragraphs[0])
            and _is_title_like(paragraphs[1])
            and "\n" not in paragraphs[1]
        ):
            section = paragraphs.pop(0)
        if len(paragraphs) >= 2 and "\n" not in paragraphs[0] and _is_title_like(paragraphs[0]):
            title = paragraphs.pop(0)
    if title and len(paragraphs) >= 2:
        first = paragraphs[0]
        if (
            "\n" not in first
            and _words(first) <= STANDFIRST_MAX_WORDS
            and not _ends_like_sentence(first)
            and not first.rstrip(_CLOSERS).endswith(("?", "!"))
        ):
            standfirst = paragraphs.pop(0)

    body = "\n\n".join(paragraphs)
    if not body.strip():
        raise ParseError(empty_message)
    if not title:
        title = _infer_title(paragraphs[0])
        title_inferred = True

    return ParsedArticle(
        title=title,
        body=body,
        title_inferred=title_inferred,
        standfirst=standfirst,
        byline=byline,
        published_on=published_on,
        section=section,
        notes="\n\n".join(notes),
        removed=removed,
        publisher=publisher,
    )


def _infer_title(paragraph: str) -> str:
    """First sentence of the paragraph, cut at a word boundary with "…" if it is too long."""
    first_line = paragraph.split("\n", 1)[0].strip()
    sentence = _SENTENCE_SPLIT_RE.split(first_line, maxsplit=1)[0].strip()
    words = sentence.split()
    if len(words) <= INFERRED_TITLE_MAX_WORDS and len(sentence) <= INFERRED_TITLE_MAX_CHARS:
        return sentence.rstrip(".").strip()
    short = ""
    for word in words[:INFERRED_TITLE_MAX_WORDS]:
        candidate = f"{short} {word}".strip()
        if len(candidate) > INFERRED_TITLE_MAX_CHARS - 1:
            break
        short = candidate
    return short.rstrip(",;:.–—-") + "…"
