"""W3C Web Annotation JSON-LD: an ``AnnotationCollection`` of one ``Annotation`` per claim.

Each annotation has motivation ``assessing`` and targets the article (its URL, or a ``urn:``
naming its text by hash when it has none) with a ``TextQuoteSelector`` and a
``TextPositionSelector`` (an orphan, whose offsets no longer point into the text, has only its
last known quote). Bodies: the restated claim (purpose ``describing``), the verdict label
(``classifying``) and explanation (``assessing``), the claim's tags (``tagging``), every cited
source as a ``SpecificResource`` (``linking``) with the quoted passage as a
``TextQuoteSelector``, and in the internal scope a ``tagging`` body marking unapproved work and
the discussion as ``commenting`` bodies with their author and time.

What W3C has no term for (claimant, claim date, category, review state and approval, orphan
status, a citation's relation, locator and note, a source's title, publisher and kind) is in
our extension vocabulary, ``NAMESPACE``, whose terms a second ``@context`` object defines
(docs/w3c-extension.md). ``annotations.importers.w3c`` reads it all back: an export imported
into a database holding the same articles, verdicts and people exports the same again.

Every annotation carries the ``@context`` itself so it can be taken out of the collection and
used alone. Pages of ``PAGE_SIZE`` annotations are embedded one in the other through ``next``,
so the whole collection is one streamable document.
"""

from django.urls import reverse

from annotations.exporters._common import dumps, iso
from annotations.exporters.links import public_base_url
from annotations.exporters.scope import DRAFT_LABEL, ExportData, Scope
from annotations.urlnorm import is_http_url

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# A fixed vocabulary IRI, the same for every installation (a placeholder domain until the
# project publishes the vocabulary; see docs/w3c-extension.md).
NAMESPACE = "https://factcheck.example/ns/annotation#"
EXTENSION_CONTEXT = {
    "fc": NAMESPACE,
    "claimant": "fc:claimant",
    "claimDate": {"@id": "fc:claimDate", "@type": "xsd:date"},
    "claimCategory": "fc:claimCategory",
    "reviewState": "fc:reviewState",
    "sentBackReason": "fc:sentBackReason",
    "verdictProposedBy": "fc:verdictProposedBy",
    "approvedBy": "fc:approvedBy",
    "approvedAt": {"@id": "fc:approvedAt", "@type": "xsd:dateTime"},
    "assignee": "fc:assignee",
    "orphanedAt": {"@id": "fc:orphanedAt", "@type": "xsd:dateTime"},
    "orphanReason": "fc:orphanReason",
    "lastKnownStart": "fc:lastKnownStart",
    "articlePart": "fc:articlePart",
    "citationRelation": "fc:citationRelation",
    "citationLocator": "fc:citationLocator",
    "citationNote": "fc:citationNote",
    "sourceTitle": "fc:sourceTitle",
    "sourcePublisher": "fc:sourcePublisher",
    "sourceKind": "fc:sourceKind",
}
CONTEXT = [ANNO_CONTEXT, EXTENSION_CONTEXT]
PAGE_SIZE = 200


def target_source(article: dict) -> str:
    if article["url"] and is_http_url(article["url"]):
        return article["url"]
    return f"urn:sha256:{article['content_hash']}"


def _person(username: str | None) -> dict | None:
    return {"type": "Person", "nickname": username} if username else None


def _bodies(claim: dict) -> list[dict]:
    bodies = []
    if claim["statement"]:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "describing",
                "value": claim["statement"],
                "format": "text/plain",
            }
        )
    if claim["verdict"]:
        bodies.append(
            {"type": "TextualBody", "purpose": "classifying", "value": claim["verdict"]["label"]}
        )
    if claim["verdict_explanation"]:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "assessing",
                "value": claim["verdict_explanation"],
                "format": "text/plain",
            }
        )
    if claim["is_draft"]:
        bodies.append({"type": "TextualBody", "purpose": "tagging", "value": DRAFT_LABEL})
    for tag in claim["tags"] or []:
        bodies.append({"type": "TextualBody", "purpose": "tagging", "value": tag})
    for citation in claim["citations"]:
        source = citation["source"]
        body = {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": source["url"],
            "citationRelation": citation["relation"],
            "sourceTitle": source["title"],
            "sourceKind": source["kind"],
        }
        if citation["quote"]:
            body["selector"] = {"type": "TextQuoteSelector", "exact": citation["quote"]}
        optional = {
            "citationLocator": citation["locator"],
            "citationNote": citation["note"],
            "sourcePublisher": source["publisher"],
            "creator": _person(citation["created_by_username"]),
            "created": iso(citation["created_at"]),
        }
        body.update((key, value) for key, value in optional.items() if value)
        bodies.append(body)
    for comment in claim["comments"]:
        body = {
            "type": "TextualBody",
            "purpose": "commenting",
            "value": comment["body"],
            "format": "text/plain",
            "created": iso(comment["created_at"]),
        }
        if creator := _person(comment["author_username"]):
            body["creator"] = creator
        bodies.append(body)
    return bodies


def annotation_for(article: dict, claim: dict, scope: Scope = Scope.INTERNAL) -> dict:
    quote = {
        "type": "TextQuoteSelector",
        "exact": claim["quote"],
        "prefix": claim["prefix"],
        "suffix": claim["suffix"],
    }
    if claim["is_orphan"]:
        selectors = [quote]
    else:
        position = {"type": "TextPositionSelector", "start": claim["start"], "end": claim["end"]}
        selectors = [quote, position]
    target = {"source": target_source(article), "selector": selectors}
    if claim["part"] != "body":
        # The selectors count in the headline or the standfirst (docs/w3c-extension.md).
        target["articlePart"] = claim["part"]
    annotation = {
        "@context": CONTEXT,
        "id": claim["report_url"],
        "type": "Annotation",
        "motivation": "assessing",
        "created": iso(claim["created_at"]),
        "modified": iso(claim["updated_at"]),
        "target": target,
        "claimCategory": claim["category"],
        "reviewState": claim["state"],
    }
    if creator := _person(claim["created_by_username"]):
        annotation["creator"] = creator
    optional = {
        "claimant": claim["claimant"],
        "claimDate": iso(claim["claim_date"]),
        "verdictProposedBy": claim["verdict_proposed_by_username"],
        "approvedBy": claim["approved_by_username"],
        "approvedAt": iso(claim["approved_at"]),
    }
    if scope is Scope.INTERNAL:
        # Who works on a claim, and why it was sent back, are not published.
        optional["assignee"] = claim["assignee_username"]
        optional["sentBackReason"] = claim["sent_back_reason"]
    if claim["is_orphan"]:
        optional["orphanedAt"] = iso(claim["orphaned_at"])
        optional["orphanReason"] = claim["orphan_reason"]
        optional["lastKnownStart"] = claim["start"]
    annotation.update((key, value) for key, value in optional.items() if value not in ("", None))
    if bodies := _bodies(claim):
        annotation["body"] = bodies
    return annotation


def chunks(articles, scope: Scope):
    data = ExportData(articles, scope, with_text=False)
    total = data.count_claims()
    collection_id = (
        f"{public_base_url()}{reverse('annotations:export', args=['w3c'])}?scope={scope}"
    )
    pages = max(1, -(-total // PAGE_SIZE))

    def page_id(number: int) -> str:
        return f"{collection_id}#page-{number}"

    def page_start(number: int) -> str:
        head = {
            "id": page_id(number),
            "type": "AnnotationPage",
            "partOf": collection_id,
            "startIndex": (number - 1) * PAGE_SIZE,
        }
        return dumps(head)[:-1] + ',"items":['

    collection = {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": f"Claims checked by factcheck ({scope.label.lower()})",
        "total": total,
        "last": page_id(pages),
    }
    if total == 0:
        yield dumps(collection) + "\n"
        return
    yield dumps(collection)[:-1] + ',"first":' + page_start(1)
    page, in_page = 1, 0
    for bundle in data:
        pieces = []
        for claim in bundle.claims:
            if in_page == PAGE_SIZE:
                page += 1
                in_page = 0
                pieces.append('],"next":' + page_start(page))
            annotation = annotation_for(bundle.article, claim, scope)
            pieces.append(("," if in_page else "\n") + dumps(annotation))
            in_page += 1
        if pieces:
            yield "".join(pieces)
    # Close the items list and page object of every page, then the collection.
    yield "]" + "}" * page + "}\n"
