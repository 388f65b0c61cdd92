"""The Markdown report, for pasting into a CMS or a pull request.

User text is escaped so it stays text: Markdown punctuation and HTML (``<script>``) are
backslash-escaped, and line starts that would turn into headings, lists or quotes are escaped
too. Only http(s) URLs become links.
"""

import re

from django.conf import settings
from django.utils import timezone

from annotations import publishing
from annotations.exporters.html import ReportData
from annotations.exporters.scope import DRAFT_LABEL, ArticleBundle, Scope
from annotations.urlnorm import is_http_url

_INLINE = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
_LINE_START = re.compile(r"^(\s*)(\d+)([.)])", re.MULTILINE)


def text(value) -> str:
    """Escape for Markdown, as one paragraph (runs of white space become one space)."""
    if value is None:
        return ""
    escaped = _INLINE.sub(r"\\\1", " ".join(str(value).split()))
    escaped = re.sub(r"^([-=>])", r"\\\1", escaped)
    return _LINE_START.sub(r"\1\2\\\3", escaped)


def paragraphs(value: str) -> str:
    return "\n\n".join(text(part) for part in re.split(r"\n\s*\n", value or "") if part.strip())


def link(label: str, url: str) -> str:
    if not is_http_url(url):
        return text(label) + (f" ({text(url)})" if url else "")
    target = (
        url.replace("(", "%28")
        .replace(")", "%29")
        .replace(" ", "%20")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )
    return f"[{text(label)}](<{target}>)"


def _article(bundle: ArticleBundle, scope: Scope) -> str:
    article = bundle.article
    lines = [f"## {text(article['title'])}", ""]
    facts = []
    if article["publisher"]:
        facts.append(f"**Publisher:** {text(article['publisher'])}")
    if article["published_on"]:
        facts.append(f"**Published:** {article['published_on']:%d %B %Y}")
    if article["url"]:
        facts.append(f"**Address:** {link(article['url'], article['url'])}")
    lines += [f"- {fact}" for fact in facts] + [""]
    if not bundle.claims:
        empty = "No approved verdicts yet." if scope is Scope.PUBLISHED else "No claims yet."
        return "\n".join([*lines, f"_{empty}_", "", ""])

    lines += ["| Verdict | Claims |", "| --- | ---: |"]
    for verdict, count in bundle.verdict_summary:
        lines.append(f"| {text(verdict['label']) if verdict else 'No verdict yet'} | {count} |")
    lines.append("")
    for number, claim in enumerate(bundle.claims, start=1):
        lines += [f"### Claim {number}", ""]
        if claim["is_draft"]:
            lines += [f"**{DRAFT_LABEL}** ({claim['state_label']})", ""]
        if claim["is_orphan"]:
            lines += [
                "_Last known quote: the article's current text no longer holds it "
                f"({text(claim['orphan_reason'])})._",
                "",
            ]
        if claim["part"] != "body":
            lines += [f"_In the article's {claim['part_label'].lower()}:_", ""]
        lines += [f"> {text(claim['quote'])}", ""]
        if claim["statement"]:
            lines += [f"**Claim:** {text(claim['statement'])}", ""]
        if claim["claimant"]:
            when = f", {claim['claim_date']:%d %B %Y}" if claim["claim_date"] else ""
            lines += [f"**Claimant:** {text(claim['claimant'])}{when}", ""]
        verdict = claim["verdict"]
        lines += [f"**Verdict:** {text(verdict['label']) if verdict else '_none yet_'}", ""]
        if claim["verdict_explanation"]:
            lines += [paragraphs(claim["verdict_explanation"]), ""]
        if claim["citations"]:
            lines += ["**Evidence:**", ""]
            for citation in claim["citations"]:
                source = citation["source"]
                item = f"- {citation['relation_label']}: {link(source['title'], source['url'])}"
                if source["publisher"]:
                    item += f", {text(source['publisher'])}"
                if citation["locator"]:
                    item += f" ({text(citation['locator'])})"
                if source["archive_url"]:
                    item += f" · {link('archived copy', source['archive_url'])}"
                if citation["quote"]:
                    item += f" — “{text(citation['quote'])}”"
                lines.append(item)
            lines.append("")
        people = []
        if claim["verdict_proposed_by_name"]:
            people.append(f"Checked by {text(claim['verdict_proposed_by_name'])}")
        if claim["approved_by_name"]:
            when = f" on {claim['approved_at']:%d %B %Y}" if claim["approved_at"] else ""
            people.append(f"approved by {text(claim['approved_by_name'])}{when}")
        if people:
            lines += ["_" + "; ".join(people) + "._", ""]
    return "\n".join(lines) + "\n"


def chunks(articles, scope: Scope):
    # The HTML report's reading: people by the names they sign with, never usernames.
    data = ReportData(articles, scope, with_text=False, with_figures=False)
    now = timezone.localtime()
    yield (
        f"# Fact-check report — {text(settings.FACTCHECK_ORGANISATION_NAME)}\n\n"
        f"{scope.label}, generated {now:%d %B %Y %H:%M}.\n\n"
    )
    if scope is Scope.INTERNAL:
        yield f"**Internal report: claims marked “{DRAFT_LABEL}” must not be published.**\n\n"
    for bundle in data:
        yield _article(bundle, scope)
    sources = data.seen_sources()
    if sources:
        lines = ["## Sources", ""]
        for source in sources:
            publisher = f", {text(source['publisher'])}" if source["publisher"] else ""
            lines.append(f"1. {link(source['title'], source['url'])}{publisher}")
        yield "\n".join(lines) + "\n"
    methodology = publishing.methodology()
    lines = ["", "## How we check", ""]
    if methodology:
        lines += [paragraphs(methodology["text"]), ""]
        if methodology["corrections_policy"]:
            lines += ["### Corrections policy", "", paragraphs(methodology["corrections_policy"])]
    else:
        lines.append(
            "Each claim is restated so that it can be checked, then checked against the primary "
            "sources listed. A verdict proposed by one member of the desk is published only once "
            "a second, an editor, has approved it with its evidence."
        )
    yield "\n".join(lines) + "\n"
