"""schema.org ClaimReview JSON-LD, following Google's fact-check markup guidelines.

One ``ClaimReview`` per approved claim, whatever the scope asked for: a ClaimReview is a
published verdict by definition. ``reviewRating`` carries the verdict label as
``alternateName`` and, for verdicts on the vocabulary's numeric scale, ``ratingValue`` with the
scale's ``bestRating``/``worstRating``; verdicts off the scale (e.g. "Unverifiable") get the
label only.

A claim that several articles make (a family, see ``annotations.families``) is one claim
reviewed: its ``itemReviewed`` lists every member's article that has an address as an
``appearance`` (``CreativeWork`` with ``url``), this claim's own article first.

Compared field by field with what Full Fact, Africa Check and PolitiFact publish:

- ``author``: the desk (``FACTCHECK_ORGANISATION_NAME``), with ``url``, ``logo`` and ``sameAs``
  when configured.
- ``itemReviewed.author``: the claimant, typed as the reviewer said on the claim (Person or
  Organization; left out until they say: never guessed from the name), with the ``sameAs``
  addresses they gave. ``itemReviewed.datePublished`` is the claim's date and
  ``firstAppearance`` the article it was checked in.
- ``datePublished``: when the claim was published on its fact-check page (else approved),
  ``dateModified``: the latest correction approved since (the page's corrections log).
- ``reviewRating``: for a published claim, the label, rating and scale frozen when it was
  published or last corrected (``PublishedClaim.frozen_rating``), so an edit of the verdict
  list does not change a published review.
- ``url``: the claim on its public fact-check page while the article is published, else the
  internal report.

The ClaimReview export is refused (``PublicAddressError``) when debug is off and the public base
URL is unset or a loopback address: every ``url`` would point nowhere (``public_address_problem``;
``manage.py check --deploy`` warns with ``factcheck.W001``).
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Max, Q
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from annotations.exporters._common import dumps, iso
from annotations.exporters.links import public_base_url
from annotations.exporters.related import RelatedData
from annotations.exporters.request import ExportRequestError
from annotations.exporters.scope import ExportData, Scope
from annotations.models import Article, Claim, ClaimRevision
from annotations.urlnorm import is_http_url

# Like django.utils.html.json_script: nothing in the data can end the <script> element.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


class PublicAddressError(ExportRequestError):
    """The ClaimReview export cannot be made here: its addresses would point nowhere."""

    status = 503  # the server's configuration, not the request, is at fault


def public_address_problem(*, debug: bool | None = None) -> str:
    """Why the public base URL cannot go into published markup ("" when it can): unset, not
    http(s), or a loopback address. Always "" with debug on (``debug`` defaults to the
    setting), where 127.0.0.1 is the honest address."""
    if settings.DEBUG if debug is None else debug:
        return ""
    base = (settings.FACTCHECK_PUBLIC_BASE_URL or "").strip()
    if not base:
        return (
            "FACTCHECK_PUBLIC_BASE_URL is not set: ClaimReview needs the public address of the "
            "fact-check pages (e.g. https://factcheck.example.org)."
        )
    host = urlsplit(base).hostname or ""
    if not is_http_url(base) or not host:
        return f"FACTCHECK_PUBLIC_BASE_URL ({base}) is not an http(s) address."
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if loopback or host == "0.0.0.0":  # noqa: S104 — compared, not bound
        return (
            f"FACTCHECK_PUBLIC_BASE_URL is {base}, an address of this machine: ClaimReview "
            "links would point nowhere for readers and search engines. Set it to the public "
            "address of the fact-check pages."
        )
    return ""


def same_as(lines: str) -> list[str]:
    """The http(s) addresses of a ``sameAs`` text (one per line)."""
    return [line.strip() for line in (lines or "").splitlines() if is_http_url(line.strip())]


def claimant_entry(name: str, kind: str, links: str = "") -> dict | None:
    """The claim's author as the reviewer typed it; None until they say which it is."""
    if kind not in Claim.ClaimantKind.values:
        return None
    entry = {"@type": kind, "name": name}
    if found := same_as(links):
        entry["sameAs"] = found[0] if len(found) == 1 else found
    return entry


def organisation() -> dict:
    entry = {"@type": "Organization", "name": settings.FACTCHECK_ORGANISATION_NAME}
    if url := settings.FACTCHECK_ORGANISATION_URL:
        entry["url"] = url
    if logo := settings.FACTCHECK_ORGANISATION_LOGO:
        entry["logo"] = logo
    if links := list(settings.FACTCHECK_ORGANISATION_SAME_AS):
        entry["sameAs"] = links[0] if len(links) == 1 else links
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
    published = claim.get("publication") or {}
    frozen = published.get("rating")  # as published: later vocabulary edits do not reach it
    if frozen:
        label, value, best, worst = (frozen[k] for k in ("label", "rating", "best", "worst"))
    else:
        label, value = verdict["label"], verdict["rating"]
        best, worst = data.best_rating, data.worst_rating
    rating = {"@type": "Rating", "alternateName": label}
    if value is not None:
        rating.update(ratingValue=value, bestRating=best, worstRating=worst)
    appearances = [creative_work(article)]
    seen = {article["url"]}
    for other in (claim.get("related") or {}).get("others", ()):
        if other["url"] and other["url"] not in seen:  # an appearance is an address
            seen.add(other["url"])
            appearances.append(creative_work(other))
    item = {
        "@type": "Claim",
        "appearance": appearances[0] if len(appearances) == 1 else appearances,
        "firstAppearance": appearances[0],
    }
    if claim["claimant"] and (
        author := claimant_entry(
            claim["claimant"], claim.get("claimant_kind", ""), claim.get("claimant_same_as", "")
        )
    ):
        item["author"] = author
    claim_date = claim["claim_date"] or article["published_on"]
    if claim_date:
        item["datePublished"] = iso(claim_date)
    published_at = published.get("published_at") or claim["approved_at"]
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": published.get("url") or claim["report_url"],
        "claimReviewed": claim["statement"] or claim["quote"],
        "author": organisation(),
        "datePublished": iso(_date(published_at)) if published_at else None,
        "reviewRating": rating,
        "itemReviewed": item,
    }
    if modified := published.get("modified_at"):
        review["dateModified"] = iso(_date(modified))
    if verdict_text := claim["verdict_explanation"]:
        review["reviewBody"] = verdict_text
    if review["datePublished"] is None:
        del review["datePublished"]
    return review


def _date(value):
    """A date, or a time's date (exports with ``iso_dates`` hand over ISO strings)."""
    if isinstance(value, str):
        return value[:10]
    return value.date() if hasattr(value, "date") else value


@dataclass
class ReviewData(RelatedData):
    """The export's claims with what ClaimReview adds: the claimant's type and ``sameAs``, and
    for a claim on a published fact-check its publication (``publication``: public ``url``,
    ``published_at``, the frozen ``rating``, ``modified_at`` from the corrections log). One
    query more per chunk of articles."""

    def _load_claims(self, article_ids: list[int]) -> dict[int, list[dict]]:
        grouped = super()._load_claims(article_ids)
        claims = {claim["id"]: claim for found in grouped.values() for claim in found}
        if claims:
            self._attach_publication(article_ids, claims)
        return grouped

    def _attach_publication(self, article_ids: list[int], claims: dict[int, dict]) -> None:
        base = public_base_url()
        pages: dict[str, str] = {}  # slug → public page (``reverse()`` once per article)
        corrected = Max(
            "revisions__decided_at",
            filter=Q(
                revisions__state=ClaimRevision.State.APPROVED,
                revisions__decided_at__gt=F("publication__published_at"),
            ),
        )
        rows = (
            Claim.objects.filter(article_id__in=article_ids)
            .annotate(modified_at=corrected)
            # The public page's order and numbering (``publishing.public_page``).
            .in_reading_order("article_id", "orphaned_at")
            .values_list(
                "pk",
                "article_id",
                "state",
                "claimant_kind",
                "claimant_same_as",
                "article__slug",
                "article__publication",
                "publication__published_at",
                "publication__rating_label",
                "publication__rating_value",
                "publication__best_rating",
                "publication__worst_rating",
                "modified_at",
            )
        )
        numbers: dict[int, int] = {}
        for pk, article_id, state, kind, links, slug, status, published_at, *rest in rows:
            label, value, best, worst, modified_at = rest
            public = published_at is not None and state == Claim.State.APPROVED
            if public:
                numbers[article_id] = numbers.get(article_id, 0) + 1
            claim = claims.get(pk)
            if claim is None:
                continue
            claim["claimant_kind"], claim["claimant_same_as"] = kind, links
            claim["publication"] = None
            if not public:
                continue
            page = ""
            if status in Article.LIVE and slug:
                if slug not in pages:
                    pages[slug] = base + Article(slug=slug).get_public_url()
                page = pages[slug]
            claim["publication"] = {
                "url": f"{page}#claim-{numbers[article_id]}" if page else "",
                "published_at": published_at,
                "modified_at": modified_at,
                "rating": {"label": label, "rating": value, "best": best, "worst": worst}
                if label
                else None,
            }


def script_tag(reviews: list[dict]) -> SafeString:
    """``<script type="application/ld+json">`` with ``<``, ``>`` and ``&`` escaped as \\u00XX."""
    data = reviews[0] if len(reviews) == 1 else reviews
    escaped = dumps(data).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(escaped))  # noqa: S308 — escaped above


def chunks(articles, scope: Scope):
    """A JSON array of ClaimReviews. ``scope`` is ignored: only approved claims are reviews.
    Raises ``PublicAddressError`` at once (before anything is streamed) when the public base
    URL would make every address point nowhere."""
    if problem := public_address_problem():
        raise PublicAddressError(problem)
    return _chunks(articles)


def _chunks(articles):
    data = ReviewData(articles, Scope.PUBLISHED, with_text=False, with_figures=False)
    separator = "\n"
    yield "["
    for bundle in data:
        for claim in bundle.claims:
            review = review_for(bundle.article, claim, data)
            if review is not None:
                yield separator + dumps(review)
                separator = ",\n"
    yield "\n]\n"
