"""The W3C Web Annotation Protocol (Recommendation of 23 February 2017) for each article's claims.

Each article is an annotation container (an LDP BasicContainer that is an
``AnnotationCollection``) at ``/api/v1/annotations/<article>/``; each claim is an annotation in
it, at ``/api/v1/annotations/<article>/<claim>``. Annotations are written as the W3C export
writes them (``exporters.w3c.annotation_for``, from the rows ``ExportData`` reads) and read as
the W3C import reads them (``importers.w3c.read``); the claim is then made or changed by the
same model methods the reader's panel calls, under the same roles and versions.

What the protocol does not carry is left to the workflow, which has its own endpoints in the
JSON API: a posted annotation cannot arrive approved or with a verdict, and a replaced one
cannot change its review state, verdict or approval (those need a second person).
"""

import orjson
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router

from annotations import anchoring
from annotations.api.http import (
    Problem,
    content_etag,
    expected_version,
    limit_rate,
    not_modified,
    stale_problem,
    version_etag,
)
from annotations.api.representations import ProblemOut, path_of
from annotations.exporters.scope import ExportData, Scope
from annotations.exporters.w3c import ANNO_CONTEXT, CONTEXT, annotation_for
from annotations.exporters.w3c import PAGE_SIZE as EXPORT_PAGE_SIZE
from annotations.importers.w3c import IRI, W3CImportError, anchor_target, load, read
from annotations.models import Article, Claim, StaleClaimError
from annotations.urlnorm import normalize_url

router = Router(tags=["Web Annotation Protocol"])

PROFILE = ANNO_CONTEXT
MEDIA_TYPE = f'application/ld+json; profile="{PROFILE}"'
# Requests may send the annotation as JSON-LD (with or without the profile) or plain JSON.
ACCEPTED_BODIES = ("application/ld+json", "application/json")
PAGE_SIZE = EXPORT_PAGE_SIZE  # annotations in a page of a container (the export's pages too)
CANONICAL_LENGTH = Claim._meta.get_field("canonical_iri").max_length

LDP = "http://www.w3.org/ns/ldp#"
PREFER_MINIMAL = LDP + "PreferMinimalContainer"
PREFER_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
PREFER_DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
CONSTRAINED_BY = "http://www.w3.org/TR/annotation-protocol/"

CONTAINER_METHODS = "GET, HEAD, OPTIONS, POST"
ANNOTATION_METHODS = "GET, HEAD, OPTIONS, PUT, DELETE"
CONTAINER_LINKS = ", ".join(
    [
        f'<{LDP}BasicContainer>; rel="type"',
        '<http://www.w3.org/ns/oa#AnnotationCollection>; rel="type"',
        f'<{CONSTRAINED_BY}>; rel="{LDP}constrainedBy"',
    ]
)
ANNOTATION_LINKS = f'<{LDP}Resource>; rel="type", <http://www.w3.org/ns/oa#Annotation>; rel="type"'
# What a posted or replaced annotation may not set: the workflow's own steps.
WORKFLOW_FIELDS = (
    "state",
    "verdict",
    "verdict_explanation",
    "verdict_proposed_by",
    "approved_by",
    "assignee",
)
ERRORS = dict.fromkeys((400, 401, 403, 404, 406, 409, 412, 415, 422, 428), ProblemOut)
LD_CONTENT = {MEDIA_TYPE: {"schema": {"type": "object"}}}


# --- Negotiation and headers ------------------------------------------------------------------


def _media_ranges(accept: str) -> list[tuple[str, dict[str, str], float]]:
    ranges = []
    for part in accept.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        if not pieces[0]:
            continue
        params, quality = {}, 1.0
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            else:
                params[name] = value
        ranges.append((pieces[0].lower(), params, quality))
    return ranges


def negotiate(request: HttpRequest) -> None:
    """The one representation served is JSON-LD with the annotation profile: a request whose
    Accept rules it out (another type, or JSON-LD with another profile) gets 406."""
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return
    for media, params, quality in _media_ranges(accept):
        if quality <= 0:
            continue
        if media in ("*/*", "application/*", "application/json"):
            return
        if media == "application/ld+json":
            profiles = params.get("profile", "").split()
            if not profiles or PROFILE in profiles:
                return
    raise Problem(
        406,
        "Not acceptable",
        f"Annotations are served as {MEDIA_TYPE} only.",
    )


def preferences(request: HttpRequest) -> tuple[str, set[str]]:
    """(``return`` preference, IRIs it includes) of a ``Prefer`` header (RFC 7240)."""
    header = request.headers.get("Prefer", "")
    wanted, included = "", set()
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        value = value.strip().strip('"')
        if name.strip().lower() == "return":
            wanted = value.lower()
        elif name.strip().lower() == "include":
            included.update(value.split())
    return wanted, included


def ld_response(data, *, status: int = 200, etag: str = "", container: bool = False):
    response = HttpResponse(orjson.dumps(data), status=status, content_type=MEDIA_TYPE)
    headers(response, container=container)
    if etag:
        response["ETag"] = etag
    return response


def headers(response: HttpResponse, *, container: bool) -> HttpResponse:
    response["Link"] = CONTAINER_LINKS if container else ANNOTATION_LINKS
    response["Allow"] = CONTAINER_METHODS if container else ANNOTATION_METHODS
    response["Vary"] = "Accept, Prefer" if container else "Accept"
    if container:
        response["Accept-Post"] = MEDIA_TYPE
    return response


def options_response(*, container: bool) -> HttpResponse:
    """What the address allows (the working group's test suite asks 200 of OPTIONS)."""
    return headers(HttpResponse(status=200), container=container)


# --- Writing annotations ----------------------------------------------------------------------


def container_iri(request: HttpRequest, article_id: int) -> str:
    return request.build_absolute_uri(reverse("api-v1:annotation-container", args=[article_id]))


def annotation_iri(request: HttpRequest, article_id: int, claim_id: int) -> str:
    return _origin(request) + path_of("api-v1:annotation", article_id, claim_id)


def _origin(request: HttpRequest) -> str:
    """``https://host`` of the request, worked out once per request (a page names 200 IRIs)."""
    if not hasattr(request, "_annotation_origin"):
        request._annotation_origin = request.build_absolute_uri("/").removesuffix("/")
    return request._annotation_origin


def annotations_of(request: HttpRequest, article: Article, claims: QuerySet[Claim]) -> list[dict]:
    """``claims`` (a queryset of the article's claims) as the W3C export writes them (internal
    scope, in reading order), each named by its IRI in the container (exports name it by its
    report address).

    The claims are read by the exports' loader (``ExportData``), the article not again: the
    annotations name it by its address and hash, which the caller's ``article`` holds. Listing
    the selection's articles and reading this one as a chunk of an export (its review state
    worked out from the claims, its publisher) were two of the fifteen queries of a page of
    200 (make bench, "API annotation page of 200").
    """
    data = ExportData(
        Article.objects.filter(pk=article.pk).of_claims(claims),
        Scope.INTERNAL,
        with_text=False,
        iso_dates=True,
    )
    rows = data.claims_of(article.pk)
    if not rows:
        return []
    canonical = dict(claims.exclude(canonical_iri="").order_by().values_list("pk", "canonical_iri"))
    named = {"url": article.url, "content_hash": article.content_hash}
    found = []
    for claim in rows:
        annotation = annotation_for(named, claim, Scope.INTERNAL)
        annotation["id"] = annotation_iri(request, article.pk, claim["id"])
        if claim["id"] in canonical:
            annotation["canonical"] = canonical[claim["id"]]
        found.append(annotation)
    return found


def annotation_of(request: HttpRequest, article: Article, claim_id: int) -> dict:
    """One claim of the article as its annotation (``annotations_of``)."""
    return annotations_of(request, article, Claim.objects.filter(article=article, pk=claim_id))[0]


def _page_claims(article: Article, page: int) -> QuerySet[Claim]:
    """The claims of page ``page`` of the container: ``PAGE_SIZE`` by their place in the
    article."""
    claims = Claim.objects.filter(article=article).order_by("start", "end", "pk")
    return claims[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]


def _page_iri(base: str, page: int, *, iris: bool) -> str:
    return f"{base}?iris=1&page={page}" if iris else f"{base}?page={page}"


def annotation_page(request, article: Article, page: int, total: int, *, iris: bool) -> dict:
    base = container_iri(request, article.pk)
    claims = _page_claims(article, page)
    if iris:
        ids = claims.values_list("pk", flat=True)
        items = [annotation_iri(request, article.pk, pk) for pk in ids]
    else:
        # The page's claims as a subquery: the selection's one read of them is the page's.
        items = annotations_of(request, article, Claim.objects.filter(pk__in=claims.values("pk")))
    data = {
        "@context": ANNO_CONTEXT if iris else CONTEXT,
        "id": _page_iri(base, page, iris=iris),
        "type": "AnnotationPage",
        "partOf": {"id": base, "total": total},
        "startIndex": page * PAGE_SIZE,
        "items": items,
    }
    if page > 0:
        data["prev"] = _page_iri(base, page - 1, iris=iris)
    if (page + 1) * PAGE_SIZE < total:
        data["next"] = _page_iri(base, page + 1, iris=iris)
    return data


def _article(article_id: int) -> Article:
    return get_object_or_404(
        Article.objects.only("title", "url", "content_hash", "standfirst", "body"), pk=article_id
    )


# --- The container ----------------------------------------------------------------------------


def _read_methods(path: str, url_name: str, name: str, content: dict):
    """GET, HEAD and OPTIONS of ``path`` by one view, each its own operation in the schema."""

    def decorate(view):
        for method in ("GET", "HEAD", "OPTIONS"):
            view = router.api_operation(
                [method],
                path,
                response={200: dict, 204: None, 304: None, **ERRORS},
                url_name=url_name,
                operation_id=f"{name}_{method.lower()}",
                openapi_extra={"responses": {200: content}} if method != "OPTIONS" else None,
            )(view)
        return view

    return decorate


@_read_methods(
    "/annotations/{id:article_id}/",
    "annotation-container",
    "annotation_container",
    {"description": "The AnnotationCollection", "content": LD_CONTENT},
)
def container(request: HttpRequest, article_id: int, page: int | None = None, iris: int = 0):
    """The article's annotation container: an ``AnnotationCollection`` whose first page is
    embedded (``Prefer`` chooses: ``PreferMinimalContainer`` for none,
    ``PreferContainedIRIs`` for IRIs only); ``?page=N`` (``&iris=1``) is one
    ``AnnotationPage`` of 200."""
    if request.method == "OPTIONS":
        return options_response(container=True)
    negotiate(request)
    article = _article(article_id)
    total = Claim.objects.filter(article=article).count()
    pages = max(1, -(-total // PAGE_SIZE))
    if page is not None:
        if not 0 <= page < pages:
            raise Problem(404, "No such page", f"This container has pages 0 to {pages - 1}.")
        data = annotation_page(request, article, page, total, iris=bool(iris))
        return _conditional(request, data, container=True)
    wanted, included = preferences(request)
    use_iris = PREFER_IRIS in included
    base = container_iri(request, article.pk)
    data = {
        "@context": [ANNO_CONTEXT, "http://www.w3.org/ns/ldp.jsonld"],
        "id": base,
        "type": ["BasicContainer", "AnnotationCollection"],
        "label": f"Claims on “{article.title}”",
        "total": total,
    }
    applied = ""
    if wanted == "representation" and PREFER_MINIMAL in included:
        applied = "return=representation"
    if total:
        data["first"] = _page_iri(base, 0, iris=use_iris)
        data["last"] = _page_iri(base, pages - 1, iris=use_iris)
        if not applied:
            first = annotation_page(request, article, 0, total, iris=use_iris)
            first.pop("@context")
            first.pop("partOf")
            data["first"] = first
            if wanted == "representation" and included:
                applied = "return=representation"
    response = _conditional(request, data, container=True)
    if applied:
        response["Preference-Applied"] = applied
    return response


def _conditional(request: HttpRequest, data: dict, *, container: bool) -> HttpResponse:
    response = ld_response(data, container=container)
    response["Content-Location"] = data["id"]  # the container's (or page's) IRI, its id
    etag = content_etag(response.content)
    if unchanged := not_modified(request, etag):
        return headers(unchanged, container=container)
    response["ETag"] = etag
    if request.method == "HEAD":
        response.content = b""
    return response


def _posted(request: HttpRequest, *, iri: str = ""):
    """The one annotation in the request body, read as the W3C import reads annotations."""
    content_type = request.content_type or ""
    if content_type not in ACCEPTED_BODIES:
        raise Problem(
            415,
            "Unsupported media type",
            f"Send the annotation as {MEDIA_TYPE}.",
            headers={"Accept-Post": MEDIA_TYPE},
        )
    try:
        data = load(request.body)
    except W3CImportError as error:
        raise Problem(400, "Not JSON", str(error)) from None
    if not isinstance(data, dict):
        raise Problem(400, "Not an annotation", "Send one Annotation object.")
    # The server names the annotation (it MUST assign an IRI, whatever id a new one came
    # with); a replacement's id, if given, must be the annotation's own.
    given = data.get("id")
    if iri and given not in (None, iri):
        raise Problem(409, "Another annotation", f"The id must be this annotation's: {iri}.")
    if "via" in data:
        raise Problem(
            422, "Not kept here", "This server keeps no via IRI: send the annotation without it."
        )
    # A canonical IRI is kept as it came and never changed (the protocol's rule).
    canonical = data.get("canonical")
    if canonical is not None and (not isinstance(canonical, str) or not IRI.match(canonical)):
        raise Problem(422, "Invalid canonical IRI", "canonical is one IRI, as a string.")
    if canonical is not None and len(canonical) > CANONICAL_LENGTH:
        raise Problem(422, "Invalid canonical IRI", f"At most {CANONICAL_LENGTH} characters.")
    data["id"] = iri or "urn:factcheck:posted-annotation"
    try:
        _kind, found, _linked = read(data, strict=True)
    except W3CImportError as error:
        raise Problem(400, "Not a valid annotation", str(error)) from None
    if len(found) != 1 or found[0].reply_to is not None:
        raise Problem(400, "Not an annotation", "Send one Annotation object, not a collection.")
    found[0].canonical = canonical or ""
    return found[0]


def _target(article: Article, annotation) -> tuple[str, anchoring.TextSelector]:
    """The annotation's one target in this article, anchored as the import anchors
    (``importers.w3c.anchor_target``): the part of the article its quote is in and the selector
    there."""
    for target in annotation.targets:
        if target.source is not None and not _names(article, target.source):
            raise Problem(
                409,
                "Another document",
                f"The target is {target.source}; this container holds annotations on "
                f"“{article.title}” ({article.url or 'no address'}).",
            )
        if target.exact is None or not target.exact.strip():
            raise Problem(
                422,
                "No passage",
                "The target needs a TextQuoteSelector naming the words the claim is about.",
            )
        part, match = anchor_target(article, target, ours=annotation.ours is not None)
        if not match.anchored:
            raise Problem(422, "Not anchored", f"“{target.exact[:60]}”: {match.reason}")
        return part, match.selector
    raise Problem(422, "No target", "The annotation names no target.")


def _names(article: Article, address: str) -> bool:
    if address.lower() == f"urn:sha256:{article.content_hash}":
        return True
    try:
        return bool(article.url) and normalize_url(address) == normalize_url(article.url)
    except ValidationError:  # an address that is not a web address names no article
        return False


def _own_details(annotation) -> dict:
    """What an annotation sets of a claim's details: the statement, and from our extension
    vocabulary the claimant, its date and the category."""
    details = {"statement": annotation.statement}
    own = annotation.ours
    if own is not None:
        details.update(claimant=own.claimant, claim_date=own.claim_date)
        if own.category:
            details["category"] = own.category
    return details


def _refuse_workflow(annotation, claim: Claim | None) -> None:
    """A posted or replaced annotation cannot take a workflow step the pages take with a second
    person: its review state, verdict and approval must be the claim's (none when new)."""
    own = annotation.ours
    if own is None:
        return
    current = {
        "state": claim.state if claim else Claim.State.TO_DO,
        "verdict": (claim.verdict.label if claim and claim.verdict else ""),
        "verdict_explanation": claim.verdict_explanation if claim else "",
        "verdict_proposed_by": getattr(claim and claim.verdict_proposed_by, "username", None),
        "approved_by": getattr(claim and claim.approved_by, "username", None),
        "assignee": getattr(claim and claim.assignee, "username", None),
    }
    sent = {
        "state": own.state or Claim.State.TO_DO,
        "verdict": own.verdict,
        "verdict_explanation": own.verdict_explanation,
        "verdict_proposed_by": own.verdict_proposed_by,
        "approved_by": own.approved_by,
        "assignee": own.assignee,
    }
    changed = [name for name in WORKFLOW_FIELDS if (sent[name] or None) != (current[name] or None)]
    if changed:
        raise Problem(
            409,
            "A workflow step",
            f"{', '.join(changed)} change through the workflow (propose a verdict, approve, "
            "send back: the JSON API's claim endpoints), not by writing the annotation.",
        )


@router.post(
    "/annotations/{id:article_id}/",
    response={201: dict, **ERRORS},
    url_name="annotation-container",
    openapi_extra={
        "requestBody": {"content": LD_CONTENT, "required": True},
        "responses": {201: {"description": "The annotation as stored", "content": LD_CONTENT}},
    },
)
def annotation_create(request: HttpRequest, article_id: int):
    """Create an annotation: a claim on the passage its target's ``TextQuoteSelector`` names
    (found as the import finds quotes), with its describing body as the statement and its
    other textual bodies as comments. 201 with its IRI in ``Location``."""
    limit_rate(request, "claim-create")
    negotiate(request)
    article = _article(article_id)
    annotation = _posted(request)
    _refuse_workflow(annotation, None)
    part, selector = _target(article, annotation)
    with transaction.atomic():
        claim = Claim.objects.create_from_selection(
            article,
            selector.start,
            selector.end,
            selector.exact,
            by=request.user,
            part=part,
            tags=annotation.tags,
            canonical_iri=annotation.canonical,
            **_own_details(annotation),
        )
        for note in annotation.comments:
            claim.add_comment(by=request.user, body=note.text)
    stored = annotation_of(request, article, claim.pk)
    response = ld_response(stored, status=201, etag=version_etag("claim", claim.pk, claim.version))
    response["Location"] = stored["id"]
    return response


# --- Annotations ------------------------------------------------------------------------------


def _stale(request: HttpRequest, article: Article, claim: Claim) -> Problem:
    """412 with the annotation as it is now stored (its ETag too)."""
    current = _claim(article.pk, claim.pk)
    stored = annotation_of(request, article, current.pk)
    return stale_problem("claim", current.pk, current.version, current=stored)


def _claim(article_id: int, claim_id: int) -> Claim:
    return get_object_or_404(
        Claim.objects.select_related("verdict", "verdict_proposed_by", "approved_by", "assignee"),
        article_id=article_id,
        pk=claim_id,
    )


@_read_methods(
    "/annotations/{id:article_id}/{id:claim_id}",
    "annotation",
    "annotation",
    {"description": "The annotation", "content": LD_CONTENT},
)
def annotation(request: HttpRequest, article_id: int, claim_id: int):
    """One claim as a W3C annotation; its ETag names the claim's version."""
    if request.method == "OPTIONS":
        return options_response(container=False)
    negotiate(request)
    claim = _claim(article_id, claim_id)
    etag = version_etag("claim", claim.pk, claim.version)
    if unchanged := not_modified(request, etag):
        return headers(unchanged, container=False)
    article = _article(article_id)
    response = ld_response(annotation_of(request, article, claim.pk), etag=etag)
    if request.method == "HEAD":
        response.content = b""
    return response


@router.put(
    "/annotations/{id:article_id}/{id:claim_id}",
    response={200: dict, **ERRORS},
    url_name="annotation",
    openapi_extra={
        "requestBody": {"content": LD_CONTENT, "required": True},
        "responses": {200: {"description": "The annotation as stored", "content": LD_CONTENT}},
    },
)
def annotation_replace(request: HttpRequest, article_id: int, claim_id: int):
    """Replace the annotation: its statement, claimant, date and category change through
    ``Claim.edit`` (on an approved claim, as a change for a second editor to approve). Its
    target must stay on the claim's words; the workflow is not changed by writing it."""
    negotiate(request)
    claim = _claim(article_id, claim_id)
    version = expected_version(request, "claim", claim.pk, claim.version)
    article = _article(article_id)
    if version != claim.version:  # stale: said before anything the body holds is judged
        raise _stale(request, article, claim)
    annotation = _posted(request, iri=annotation_iri(request, article_id, claim_id))
    _refuse_workflow(annotation, claim)
    if annotation.canonical != claim.canonical_iri:
        raise Problem(
            409,
            "The canonical IRI is kept",
            "An annotation's canonical IRI never changes: send it as it is "
            f"({claim.canonical_iri or 'none'}).",
        )
    part, selector = _target(article, annotation)
    if (part, selector.start, selector.end) != (claim.part, claim.start, claim.end):
        raise Problem(
            409,
            "Another passage",
            "An annotation keeps its passage: annotate the other words as a new annotation.",
        )
    details = _own_details(annotation)
    try:
        claim.edit(by=request.user, version=version, **details)
    except StaleClaimError:
        raise _stale(request, article, claim) from None
    claim.refresh_from_db(fields=["version"])
    stored = annotation_of(request, article, claim.pk)
    return ld_response(stored, etag=version_etag("claim", claim.pk, claim.version))


@router.delete(
    "/annotations/{id:article_id}/{id:claim_id}",
    response={204: None, **ERRORS},
    url_name="annotation",
)
def annotation_delete(request: HttpRequest, article_id: int, claim_id: int):
    """Delete the annotation's claim (``Claim.delete_version``; its history keeps it)."""
    claim = _claim(article_id, claim_id)
    version = expected_version(request, "claim", claim.pk, claim.version)
    try:
        claim.delete_version(by=request.user, version=version)
    except StaleClaimError as error:
        raise stale_problem("claim", claim.pk, error.current.version) from None
    return HttpResponse(status=204)
