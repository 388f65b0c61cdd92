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
    """Parse an HTML page with trafilatura: main text plus title, date, author, site name."""
    import trafilatura

    options = {"url": url or None, "with_metadata": True, "include_comments": False}
    doc = trafilatura.bare_extraction(html, **options)
    meta = doc.as_dict() if doc is not None else {}
    text = meta.get("text") or ""
    # trafilatura's fallback grabs any text (e.g. a lone nav link) when no article is found; a
    # short result only counts when the precise extractor also finds main text.
    if len(text.strip()) < HTML_MIN_TRUSTED_CHARS and text.strip():
        precise = trafilatura.bare_extraction(html, fast=True, favor_precision=True, **options)
        if precise is None or not (precise.as_dict().get("text") or "").strip():
            text = ""
    if not text.strip():
        raise ParseError("no article text found in the HTML")
    title = (meta.get("title") or "").strip()
    blocks = _split_blocks(_normalise(text))
    # trafilatura usually keeps the <h1> as the first line of the main text.
    if title and blocks and blocks[0][0].strip() == title:
        blocks[0] = blocks[0][1:]
        blocks = [block for block in blocks if block]
    article = _parse_blocks(
        blocks, title=title or None, empty_message="no article text found in the HTML"
    )
    article.byline = article.byline or (meta.get("author") or "").strip()
    article.publisher = (meta.get("sitename") or "").strip()
    article.url = url or (meta.get("url") or "").strip()
    article.published_on = _parse_date(meta.get("date") or "") or article.published_on
    categories = meta.get("categories") or []
    if categories and not article.section:
        article.section = str(categories[0]).strip()
    return article


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
            byline = m.group("name").strip()
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
