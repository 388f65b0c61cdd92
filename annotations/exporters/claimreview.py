"""schema.org ClaimReview JSON-LD, following Google's fact-check markup guidelines.

One ``ClaimReview`` per approved claim, whatever the scope asked for: a ClaimReview is a
published verdict by definition. ``reviewRating`` carries the verdict label as
``alternateName`` and, for verdicts on the vocabulary's numeric scale, ``ratingValue`` with the
scale's ``bestRating``/``worstRating``; verdicts off the scale (e.g. "Unverifiable") get the
label only.

A claim that several articles make (a family, see ``annotations.families``) is one claim
reviewed: its ``itemReviewed`` lists every member's article that has an address as an
``appearance`` (``CreativeWork`` with ``url``), this claim's own article first.
"""

import re

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from annotations.exporters._common import dumps, iso
from annotations.exporters.related import RelatedData
from annotations.exporters.scope import ExportData, Scope
from annotations.models import Claim

# Claimants that read as organisations; anyone else is taken to be a person.
ORGANISATION_WORDS = re.compile(
    r"\b(agency|assembly|association|authority|bank|board|bureau|business|campaign|centre|"
    r"center|chamber|club|coalition|college|commission|committee|company|corporation|council|"
    r"department|foundation|government|group|hospital|inc|institute|league|limited|ltd|"
    r"ministry|network|newspaper|office|organisation|organization|parliament|party|plc|"
    r"police|school|service|society|team|trust|union|university)\b",
    re.IGNORECASE,
)

# Like django.utils.html.json_script: nothing in the data can end the <script> element.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def claimant_entry(name: str) -> dict:
    kind = "Organization" if ORGANISATION_WORDS.search(name) else "Person"
    return {"@type": kind, "name": name}


def organisation() -> dict:
    entry = {"@type": "Organization", "name": settings.FACTCHECK_ORGANISATION_NAME}
    if url := getattr(settings, "FACTCHECK_ORGANISATION_URL", ""):
        entry["url"] = url
    return entry


def creative_work(article: dict) -> dict:
    """An article where a claim appeared (``article``: the export's article dict, or a family
    member's from ``RelatedData``)."""
    work = {"@type": "CreativeWork", "headline": article["title"]}
    if article["url"]:
        work["url"] = article["url"]
    if article["published_on"]:
        work["datePublished"] = iso(article["published_on"])
    if article["publisher"]:
        work["publisher"] = {"@type": "Organization", "name": article["publisher"]}
    return work


def review_for(article: dict, claim: dict, data: ExportData) -> dict | None:
    """The ClaimReview of an approved claim with a verdict; None for anything else."""
    verdict = claim["verdict"]
    if claim["state"] != Claim.State.APPROVED or verdict is None:
        return None
    rating = {"@type": "Rating", "alternateName": verdict["label"]}
    if verdict["rating"] is not None:
        rating.update(
            ratingValue=verdict["rating"],
            bestRating=data.best_rating,
            worstRating=data.worst_rating,
        )
    appearances = [creative_work(article)]
    seen = {article["url"]}
    for other in (claim.get("related") or {}).get("others", ()):
        if other["url"] and other["url"] not in seen:  # an appearance is an address
            seen.add(other["url"])
            appearances.append(creative_work(other))
    item = {
        "@type": "Claim",
        "appearance": appearances[0] if len(appearances) == 1 else appearances,
    }
    if claim["claimant"]:
        item["author"] = claimant_entry(claim["claimant"])
    claim_date = claim["claim_date"] or article["published_on"]
    if claim_date:
        item["datePublished"] = iso(claim_date)
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": claim["report_url"],
        "claimReviewed": claim["statement"] or claim["quote"],
        "author": organisation(),
        "datePublished": iso(claim["approved_at"].date()) if claim["approved_at"] else None,
        "reviewRating": rating,
        "itemReviewed": item,
    }
    if verdict_text := claim["verdict_explanation"]:
        review["reviewBody"] = verdict_text
    if review["datePublished"] is None:
        del review["datePublished"]
    return review


def script_tag(reviews: list[dict]) -> SafeString:
    """``<script type="application/ld+json">`` with ``<``, ``>`` and ``&`` escaped as \\u00XX."""
    data = reviews[0] if len(reviews) == 1 else reviews
    escaped = dumps(data).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(escaped))  # noqa: S308 — escaped above


def chunks(articles, scope: Scope):
    """A JSON array of ClaimReviews. ``scope`` is ignored: only approved claims are reviews."""
    data = RelatedData(articles, Scope.PUBLISHED, with_text=False, with_figures=False)
    separator = "\n"
    yield "["
    for bundle in data:
        for claim in bundle.claims:
            review = review_for(bundle.article, claim, data)
            if review is not None:
                yield separator + dumps(review)
                separator = ",\n"
    yield "\n]\n"
