"""The HTML fact-check report: readable on screen, printable, and the source of the PDF.

The page (``reports/report.html``) is assembled from three pieces — the document start, one
section per article, the document end with the sources list — so the download can stream an
article at a time. Verdict colours are SVG ``fill`` attributes, not inline styles, so the page
works under the CSP. Each article section embeds its ClaimReview JSON-LD
(``<script type="application/ld+json">``, escaped so that no text can close the element).

The PDF's source (``for_pdf``) is the same report, lighter to lay out: only the PDF renderer reads
it, so verdict colours are classes in a ``<style>`` generated from the vocabulary instead of
hundreds of small SVGs, and what print never shows (comments, the JSON-LD) is left out.

Under a claim that other articles make too (a family), the report lists where else it
appeared, with links, and a small table of how the members' figures compare
(``exporters.related``); no script, so the same on paper.

People are named as the public page names them (``publishing.people_shown``: their byline,
``User.byline``, never a username). A published article's section ends with its corrections and
updates log, and the report with the desk's methodology, both as the public page has them
(``publishing.public_page``, ``publishing.methodology``).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from annotations import publishing
from annotations.exporters import claimreview
from annotations.exporters.claimreview import ReviewData
from annotations.exporters.scope import DRAFT_LABEL, ArticleBundle, ExportData, Scope
from annotations.models import Article
from annotations.urlnorm import is_http_url

REPORT_CSS = "annotations/report.css"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@cache
def report_css() -> SafeString:
    """The report's stylesheet, for a downloaded file that must stand on its own.

    Our own static file, never user data: marked safe so that its quotes survive.
    """
    path = finders.find(REPORT_CSS) or settings.STATIC_ROOT / REPORT_CSS
    with open(path, encoding="utf-8") as file:
        css = file.read()
    if "</" in css:  # cannot end the <style> element, whatever is edited into it
        raise ValueError(f"{REPORT_CSS} must not contain '</'.")
    return mark_safe(css)  # noqa: S308


def _links(bundle: ArticleBundle) -> ArticleBundle:
    """Add ``href`` keys: only http(s) URLs are ever rendered as links."""
    article = bundle.article
    article["href"] = article["url"] if is_http_url(article["url"]) else ""
    for claim in bundle.claims:
        for citation in claim["citations"]:
            _source_links(citation["source"])
    return bundle


def _source_links(source: dict) -> dict:
    source["href"] = source["url"] if is_http_url(source["url"]) else ""
    source["archive_href"] = source["archive_url"] if is_http_url(source["archive_url"]) else ""
    return source


def verdict_css(verdicts) -> SafeString:
    """``.verdict-<id>`` classes colouring the verdict chips of the PDF.

    Colours are checked as ``#rrggbb`` (the database enforces it too), so nothing else can
    reach the stylesheet.
    """
    rules = [
        f".verdict-{int(v['id'])}{{border-color:{v['colour']}}}"
        for v in verdicts
        if HEX_COLOUR.fullmatch(v["colour"])
    ]
    return mark_safe("\n".join(rules))  # noqa: S308


def _base_context(scope: Scope, inline_css: bool) -> dict:
    return {
        "scope": scope,
        "draft_label": DRAFT_LABEL,
        "organisation": settings.FACTCHECK_ORGANISATION_NAME,
        "generated_at": timezone.now(),
        "inline_css": report_css() if inline_css else "",
        "methodology": publishing.methodology(),
    }


@dataclass
class ReportData(ReviewData):
    """The report's claims, with ``*_name`` beside the ``*_username`` keys (the names people
    read, two queries per chunk of articles), and the ids of the chunk's published articles
    (``published_ids``, one query more)."""

    published_ids: set[int] = field(default_factory=set)

    def _load_claims(self, article_ids: list[int]) -> dict[int, list[dict]]:
        grouped = super()._load_claims(article_ids)
        claims = [claim for found in grouped.values() for claim in found]
        ids = {c["verdict_proposed_by_id"] for c in claims} | {c["approved_by_id"] for c in claims}
        ids |= {comment["author_id"] for c in claims for comment in c["comments"]}
        people = publishing.people_shown(ids - {None})

        def name(user_id):
            person = people.get(user_id)
            return person["byline"] if person else ""

        for claim in claims:
            claim["verdict_proposed_by_name"] = name(claim["verdict_proposed_by_id"])
            claim["approved_by_name"] = name(claim["approved_by_id"])
            for comment in claim["comments"]:
                comment["author_name"] = name(comment["author_id"])
        self.published_ids |= set(
            Article.objects.filter(pk__in=article_ids, published_at__isnull=False).values_list(
                "pk", flat=True
            )
        )
        return grouped


def _publication(data: "ReportData", bundle: ArticleBundle) -> dict | None:
    """The public page's corrections log and address, for a published article."""
    if bundle.article["id"] not in data.published_ids:
        return None
    article = Article.objects.select_related("publisher").get(pk=bundle.article["id"])
    page = publishing.public_page(article)
    return {
        "page_url": page.article["page_url"],
        "live": article.is_live,
        "corrections": page.corrections,
    }


def _article_context(
    data: ExportData, bundle: ArticleBundle, base: dict, for_pdf: bool = False
) -> dict:
    reviews = []
    if not for_pdf:  # invisible on paper
        reviews = [claimreview.review_for(bundle.article, claim, data) for claim in bundle.claims]
        reviews = [review for review in reviews if review is not None]
    bundle = _links(bundle)
    return {
        **base,
        "bundle": bundle,
        "claims": bundle.claims,
        "claim_offset": 0,
        "claimreview_script": claimreview.script_tag(reviews) if reviews else "",
        "publication": _publication(data, bundle),
    }


def report_context(
    articles, scope: Scope, *, inline_css: bool = False, for_pdf: bool = False
) -> dict:
    """Everything ``reports/report.html`` needs, for a page rendered in one go."""
    data = ReportData(articles, scope)
    base = _base_context(scope, inline_css)
    if for_pdf:
        base |= {"for_pdf": True, "verdict_css": verdict_css(data.verdicts.values())}
    sections = [_article_context(data, bundle, base, for_pdf) for bundle in data]
    sources = [_source_links(s) for s in data.seen_sources()]
    return {
        **base,
        "sections": sections,
        "title": sections[0]["bundle"].article["title"] if len(sections) == 1 else None,
        "sources": sources,
        # The PDF numbers the sources in its text, right-aligned over this many figures.
        "source_figures": max(3, len(str(len(sources)))),
    }


def render_report(
    articles, scope: Scope, *, inline_css: bool = False, for_pdf: bool = False
) -> str:
    return render_to_string(
        "reports/report.html",
        report_context(articles, scope, inline_css=inline_css, for_pdf=for_pdf),
    )


# What laying out a part of the PDF costs, roughly, in characters of a claim's text: the weights
# the parts are balanced by. Measured on the 200-claim report of `make bench` (WeasyPrint's CPU
# time): a claim about 24 ms, a line of the sources list 4 ms, an article's header with its
# verdict summary about 130 ms. Leaving the sources list out of the balance made the last part
# a fifth longer than the first.


def _claim_weight(claim: dict) -> int:
    """Roughly what a claim costs to lay out: its text (quote, statement, evidence)."""
    text = sum(len(claim[key] or "") for key in ("quote", "statement", "verdict_explanation"))
    for citation in claim["citations"]:
        text += 120 + len(citation["quote"] or "") + len(citation["note"] or "")
    return 400 + text + 300 * len(claim.get("related") or ())


def _source_weight(source: dict) -> int:
    """A line of the sources list at the end of the report."""
    return 100 + sum(len(source[key] or "") for key in ("title", "publisher", "url"))


def _article_weight(section: dict) -> int:
    """An article's header, verdict summary and corrections log (with its first or last claims)."""
    corrections = len(section["publication"]["corrections"]) if section["publication"] else 0
    return 1_000 + 400 * len(section["bundle"].verdict_summary) + 300 * corrections


def _weights(context: dict, claims: list[tuple[int, int]]) -> list[int]:
    """Each claim's weight in the report ``context``, ``claims`` being (section, claim) indexes
    in order: an article's first claim carries its header, its last the corrections, and the
    report's last claim the sources list, which come in the same part."""
    sections = context["sections"]
    weights = [_claim_weight(sections[s]["bundle"].claims[n]) for s, n in claims]
    for index, (s, n) in enumerate(claims):
        if n == 0:
            weights[index] += _article_weight(sections[s])
    if weights:
        weights[-1] += sum(_source_weight(source) for source in context["sources"])
    return weights


def _split(weights: list[int], parts: int) -> list[int]:
    """Where to cut a list into ``parts`` runs of about equal total weight (the cut indexes)."""
    total, cuts, running = sum(weights), [], 0
    for index, weight in enumerate(weights):
        if len(cuts) == parts - 1:
            break
        running += weight
        if running >= total * (len(cuts) + 1) / parts and index + 1 < len(weights):
            cuts.append(index + 1)
    return cuts


# Whitespace beside the start or end tag of a block (as the print stylesheet lays them out) is
# never shown, but WeasyPrint builds boxes for it, a few per claim: the PDF's source leaves it out
# (spaces of HTML only: a figure space numbering a source stays).
BLOCK_TAG = (
    r"</?(?:p|div|section|article|header|h[1-3]|ol|ul|li|blockquote"
    r"|table|caption|thead|tbody|tr|th|td)\b[^>]*>"
)
SPACE_BY_BLOCK_TAG = re.compile(rf"[ \t\r\n]*({BLOCK_TAG})[ \t\r\n]*")


def without_space_by_blocks(document: str) -> str:
    return SPACE_BY_BLOCK_TAG.sub(r"\1", document)


@dataclass
class PdfPart:
    document: str
    continued: bool  # it starts in the middle of an article


def render_pdf_parts(articles, scope: Scope, parts_for: Callable[[int], int]) -> list[PdfPart]:
    """The PDF's source cut into ``parts_for(number of claims)`` documents (or fewer) of about
    equal weight (``_weights``: what laying each out costs, the sources list included), at
    claim boundaries, so that each can be laid out by a process of its own
    (``exporters.pdf``).

    Laid end to end they hold exactly the report ``render_report(for_pdf=True)`` holds: the
    first has the report's header, an article's header and verdict summary come with its first
    claims, its corrections with its last ones, the sources and methodology end the last part.
    Claims keep their numbers. Every part starts a new page and has no page footer: the pages
    are numbered once the parts are put together. Parts carry their stylesheet inline (the
    processes that lay them out load nothing); a report in one part links it, as the page does.
    """
    context = report_context(articles, scope, for_pdf=True)
    claims = [
        (number, n)
        for number, section in enumerate(context["sections"])
        for n in range(len(section["bundle"].claims))
    ]
    cuts = _split(_weights(context, claims), parts_for(len(claims)))
    if not cuts:
        document = render_to_string("reports/report.html", context)
        return [PdfPart(without_space_by_blocks(document), continued=False)]
    context["inline_css"] = report_css()
    bounds = [0, *cuts, len(claims)]
    last = len(bounds) - 2
    documents, next_section = [], 0
    for index, (start, stop) in enumerate(zip(bounds, bounds[1:], strict=False)):
        # Articles without claims in scope go with the part before them.
        first_section = claims[start][0] if claims[start][1] > 0 else next_section
        last_section = len(context["sections"]) - 1 if index == last else claims[stop - 1][0]
        next_section = last_section + 1
        sections = []
        for number in range(first_section, last_section + 1):
            section = context["sections"][number]
            owned = [claims[n][1] for n in range(start, stop) if claims[n][0] == number]
            sections.append(
                {
                    **section,
                    "claims": [section["bundle"].claims[n] for n in owned],
                    "claim_offset": owned[0] if owned else 0,
                    "continued": bool(owned) and owned[0] > 0,
                    "continues": bool(owned) and owned[-1] < len(section["bundle"].claims) - 1,
                }
            )
        document = render_to_string(
            "reports/report.html",
            {
                **context,
                "sections": sections,
                "pdf_part": True,
                "report_continued": index > 0,
                "report_continues": index < last,
            },
        )
        documents.append(
            PdfPart(without_space_by_blocks(document), continued=sections[0]["continued"])
        )
    return documents


def chunks(articles, scope: Scope, *, inline_css: bool = True):
    """The report as a stream: document start, an article at a time, then the sources."""
    data = ReportData(articles, scope)
    base = _base_context(scope, inline_css)
    yield render_to_string("reports/_document_start.html", {**base, "title": None})
    for bundle in data:
        yield render_to_string("reports/_article.html", _article_context(data, bundle, base))
    sources = [_source_links(s) for s in data.seen_sources()]
    yield render_to_string("reports/_document_end.html", {**base, "sources": sources})
