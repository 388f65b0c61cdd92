"""W3C Web Annotation JSON-LD: an ``AnnotationCollection`` of one ``Annotation`` per claim.

Each annotation has motivation ``assessing`` and targets the article (its URL, or a ``urn:``
naming its text by hash when it has none) with a ``TextQuoteSelector`` and a
``TextPositionSelector``. Bodies: the restated claim (purpose ``describing``), the verdict label
(``classifying``) and explanation (``assessing``), every cited source as a ``SpecificResource``
(``linking``) with the quoted passage as a ``TextQuoteSelector``, and in the internal scope a
``tagging`` body marking unapproved work. Every annotation carries the ``@context`` itself so it
can be taken out of the collection and used alone.

Pages of ``PAGE_SIZE`` annotations are embedded one in the other through ``next``, so the whole
collection is one streamable document.
"""

from django.urls import reverse

from annotations.exporters._common import dumps, iso
from annotations.exporters.scope import DRAFT_LABEL, ExportData, Scope, public_base_url
from annotations.urlnorm import is_http_url

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
PAGE_SIZE = 200


def target_source(article: dict) -> str:
    if article["url"] and is_http_url(article["url"]):
        return article["url"]
    return f"urn:sha256:{article['content_hash']}"


def annotation_for(article: dict, claim: dict) -> dict:
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
    for citation in claim["citations"]:
        body = {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": citation["source"]["url"],
        }
        if citation["quote"]:
            body["selector"] = {"type": "TextQuoteSelector", "exact": citation["quote"]}
        bodies.append(body)

    annotation = {
        "@context": CONTEXT,
        "id": claim["report_url"],
        "type": "Annotation",
        "motivation": "assessing",
        "created": iso(claim["created_at"]),
        "modified": iso(claim["updated_at"]),
        "target": {
            "source": target_source(article),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": claim["quote"],
                    "prefix": claim["prefix"],
                    "suffix": claim["suffix"],
                },
                {"type": "TextPositionSelector", "start": claim["start"], "end": claim["end"]},
            ],
        },
    }
    if claim["created_by_username"]:
        annotation["creator"] = {"type": "Person", "nickname": claim["created_by_username"]}
    if bodies:
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
        "@context": CONTEXT,
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
            pieces.append(("," if in_page else "\n") + dumps(annotation_for(bundle.article, claim)))
            in_page += 1
        if pieces:
            yield "".join(pieces)
    # Close the items list and page object of every page, then the collection.
    yield "]" + "}" * page + "}\n"
