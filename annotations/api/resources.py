"""The JSON API (``/api/v1/``): articles, claims, citations, sources, verdicts, comments and
search, as the pages have them.

Each endpoint is the page's view in another dress: the same role check, the same form
validates the input (its messages come back as problem details), the same model method or
queryset does the work (workflow rules, two-person rule, versions), the same importer reads
article files. Nothing here decides a rule of its own.
"""

import datetime

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from annotations import search as fulltext
from annotations.anchoring import AnchorError
from annotations.api import representations as rep
from annotations.api.auth import admins, editors
from annotations.api.http import (
    Problem,
    content_etag,
    decode_cursor,
    expected_version,
    json_response,
    limit_rate,
    next_link,
    not_modified,
    page_size,
    stale_problem,
)
from annotations.forms import (
    CitationForm,
    CitationRemoveForm,
    ClaimCreateForm,
    ClaimDetailsForm,
    CommentForm,
    SendBackForm,
    VerdictForm,
)
from annotations.importers import SUPPORTED_EXTENSIONS, import_document
from annotations.models import (
    Article,
    Claim,
    ClaimQuerySet,
    Comment,
    EditResult,
    Source,
    StaleClaimError,
    User,
    Verdict,
)

router = Router()
ERRORS = {
    400: rep.ProblemOut,
    401: rep.ProblemOut,
    403: rep.ProblemOut,
    404: rep.ProblemOut,
    422: rep.ProblemOut,
    429: rep.ProblemOut,
}
WRITE_ERRORS = {**ERRORS, 409: rep.ProblemOut, 412: rep.ProblemOut, 428: rep.ProblemOut}


def valid(form):
    """The form's cleaned data, or a 422 with its messages field by field."""
    if not form.is_valid():
        errors = {
            name: [str(message) for message in messages] for name, messages in form.errors.items()
        }
        raise Problem(
            422,
            "Invalid input",
            "Some values were refused; see errors.",
            errors={
                ("body" if name == "__all__" else name): found for name, found in errors.items()
            },
        )
    return form.cleaned_data


def listed(request: HttpRequest, rows: list, limit: int, data) -> object:
    """A page of a cursor-paged list, with its ``next`` link and a content ETag."""
    more = len(rows) > limit
    body = {"items": [data(row) for row in rows[:limit]], "next": None}
    if more:
        last = rows[limit - 1]
        body["next"] = next_link(request, last["id"] if isinstance(last, dict) else last.pk)
    response = json_response(body)
    etag = content_etag(response.content)
    return not_modified(request, etag) or _tagged(response, etag)


def _tagged(response, etag: str):
    response["ETag"] = etag
    return response


def _one(request: HttpRequest, data: dict, etag: str, *, status: int = 200, location: str = ""):
    if status == 200 and (unchanged := not_modified(request, etag)):
        return unchanged
    response = json_response(data, status=status, etag=etag)
    if location:
        response["Location"] = location
    return response


# --- The index ---------------------------------------------------------------------------------


class IndexOut(Schema):
    articles: str
    claims: str
    sources: str
    verdicts: str
    search: str
    docs: str
    openapi: str


@router.get("/", response={200: IndexOut, **ERRORS}, url_name="api-root", tags=["index"])
def index(request: HttpRequest):
    """Where each collection is."""
    return {
        "articles": reverse("api-v1:article-list"),
        "claims": reverse("api-v1:claim-list"),
        "sources": reverse("api-v1:source-list"),
        "verdicts": reverse("api-v1:verdict-list"),
        "search": reverse("api-v1:search"),
        "docs": reverse("api-v1:openapi-view"),
        "openapi": reverse("api-v1:openapi-json"),
    }


# --- Articles --------------------------------------------------------------------------------


class ArticleFilters(Schema):
    q: str = Field("", max_length=200, description="Words of the title or text.")
    review_state: Article.State | None = None
    claim_state: Claim.State | None = Field(None, description="Articles with a claim in it.")
    verdict: int | None = Field(None, description="Articles with a claim of this verdict id.")
    publisher: str | None = Field(None, max_length=300)
    assignee: str | None = Field(None, description="A user name, or 'me'.")
    cursor: str | None = None
    limit: int | None = None


def _assignee(request: HttpRequest, name: str | None, *, nobody: bool = False):
    """The user an ``assignee`` filter names: a user name, ``me``, or (for claims,
    ``nobody``) ``none`` for claims assigned to no one."""
    if not name:
        return None
    if name == "me":
        return request.user
    if nobody and name == ClaimQuerySet.NONE:
        return name
    user = User.objects.filter(username=name).first()
    if user is None:
        raise Problem(400, "Unknown user", f"No one has the user name {name!r}.")
    return user


@router.get(
    "/articles/",
    response={200: rep.ArticlePage, 304: None, **ERRORS},
    url_name="article-list",
    tags=["articles"],
)
def article_list(request: HttpRequest, filters: Query[ArticleFilters]):
    """Articles, oldest first, with the dashboard's filters (``ArticleQuerySet.matching``)."""
    limit = page_size(filters.limit)
    articles = Article.objects.matching(
        q=filters.q,
        review_state=filters.review_state,
        claim_state=filters.claim_state,
        verdict=filters.verdict,
        publisher=filters.publisher,
        assignee=_assignee(request, filters.assignee),
    )
    rows = list(
        rep.articles_for_api()
        .filter(pk__in=articles.values("pk"), pk__gt=decode_cursor(filters.cursor))
        .defer("body", "raw_text")
        .order_by("pk")[: limit + 1]
    )
    return listed(request, rows, limit, rep.article_data)


@router.get(
    "/articles/{id:article_id}/",
    response={200: rep.ArticleDetailOut, 304: None, **ERRORS},
    url_name="article-detail",
    tags=["articles"],
)
def article_detail(request: HttpRequest, article_id: int):
    """One article with its standfirst and body: with its title, the texts claims point into
    (a claim's offsets count in the text of its ``part``)."""
    article = get_object_or_404(rep.articles_for_api().defer("raw_text"), pk=article_id)
    data = rep.article_data(article, with_texts=True)
    response = json_response(data)
    etag = content_etag(response.content)
    return not_modified(request, etag) or _tagged(response, etag)


class ArticleText(Schema):
    filename: str = Field(
        max_length=500,
        description=f"Its extension says how to read the text: {', '.join(SUPPORTED_EXTENSIONS)}",
    )
    text: str = Field(description="The article file's content (plain text, Markdown or HTML).")


class ImportOut(Schema):
    status: str = Field(description="created, or unchanged (the same text was imported before).")
    message: str
    warnings: list[str]
    article: rep.ArticleDetailOut


def _imported(request: HttpRequest, name: str, data: bytes):
    """Run the importer the admin's upload runs, and answer with what it did."""
    outcome = import_document(name, data, user=request.user)
    if outcome.failed:
        raise Problem(422, "Import failed", f"{name}: {outcome.message}")
    if outcome.status == "changed":
        raise Problem(
            409,
            "A version of an existing article",
            f"{name}: {outcome.message}",
            existing=reverse("api-v1:article-detail", args=[outcome.article.pk]),
        )
    article = rep.articles_for_api().get(pk=outcome.article.pk)
    body = {
        "status": outcome.status,
        "message": outcome.message,
        "warnings": outcome.warnings,
        "article": rep.article_data(article, with_texts=True),
    }
    status = 201 if outcome.status == "created" else 200
    response = json_response(body, status=status)
    response["Location"] = body["article"]["api_url"]
    return response


@router.post(
    "/articles/",
    auth=admins,
    response={201: ImportOut, 200: ImportOut, **WRITE_ERRORS},
    url_name="article-list",
    tags=["articles"],
)
def article_create(request: HttpRequest, payload: ArticleText):
    """Import an article from its text, as the admin's upload imports a file (Admin role).
    The same text twice is one article (200, ``unchanged``)."""
    limit_rate(request, "import")
    return _imported(request, payload.filename, payload.text.encode("utf-8"))


@router.post(
    "/articles/upload/",
    auth=admins,
    response={201: ImportOut, 200: ImportOut, **WRITE_ERRORS},
    url_name="article-upload",
    tags=["articles"],
)
def article_upload(request: HttpRequest, file: File[UploadedFile]):
    """Import an uploaded article file (multipart ``file``), as the admin's upload does."""
    limit_rate(request, "import")
    data = file.read(settings.FACTCHECK_IMPORT_MAX_BYTES + 1)
    return _imported(request, file.name or "upload.txt", data)


# --- Claims ----------------------------------------------------------------------------------


class ClaimFilters(Schema):
    article: int | None = None
    q: str = Field("", max_length=200, description="Searched as the search page reads it.")
    state: Claim.State | None = None
    verdict: str | None = Field(None, description="A verdict id, or 'none'.")
    assignee: str | None = Field(None, description="A user name, 'me', or 'none'.")
    category: Claim.Category | None = None
    publisher: str | None = Field(None, max_length=300)
    cursor: str | None = None
    limit: int | None = None


def _verdict_filter(value: str | None):
    if value in (None, "", "none"):
        return value or None
    if not value.isdigit():
        raise Problem(400, "Invalid verdict", "verdict is a verdict id or 'none'.")
    return int(value)


@router.get(
    "/claims/",
    response={200: rep.ClaimPage, 304: None, **ERRORS},
    url_name="claim-list",
    tags=["claims"],
)
def claim_list(request: HttpRequest, filters: Query[ClaimFilters]):
    """Claims by id with their citations, filtered as the claims table filters
    (``ClaimQuerySet.matching``)."""
    limit = page_size(filters.limit)
    claims = Claim.objects.matching(
        q=filters.q,
        state=filters.state,
        verdict=_verdict_filter(filters.verdict),
        assignee=_assignee(request, filters.assignee, nobody=True),
        category=filters.category,
        article=filters.article,
        publisher=filters.publisher,
    )
    rows = rep.claims_data(
        claims.filter(pk__gt=decode_cursor(filters.cursor)).order_by("pk"), limit=limit + 1
    )
    return listed(request, rows, limit, dict)


class ClaimIn(Schema):
    article: int
    part: Article.Part = Field(
        Article.Part.BODY, description="The text the offsets count in: headline, standfirst, body."
    )
    start: int = Field(ge=0, description="Offset of the first character, in code points.")
    end: int = Field(ge=0, description="Offset after the last character.")
    quote: str = Field(description="The text at those offsets, as the client read it.")
    statement: str = ""
    claimant: str = ""
    claim_date: datetime.date | None = None
    category: Claim.Category = Claim.Category.OTHER


def _claim(claim_id: int) -> Claim:
    """The claim whose methods a write calls."""
    return get_object_or_404(Claim.objects.select_related("verdict"), pk=claim_id)


def _claim_data(claim_id: int) -> dict:
    found = rep.claims_data(Claim.objects.filter(pk=claim_id))
    if not found:
        raise Http404
    return found[0]


def _claim_answer(request: HttpRequest, claim_id: int, *, status: int = 200):
    claim = _claim_data(claim_id)
    return _one(request, claim, rep.claim_etag(claim), status=status)


def _stale(request: HttpRequest, error: StaleClaimError) -> Problem:
    current = _claim_data(error.current.pk)
    return stale_problem("claim", current["id"], current["version"], current=json_ready(current))


def _based_on(request: HttpRequest, claim: Claim) -> int:
    """The version of the claim the request was based on (its ``If-Match``), refused with 412
    and the current claim at once when it is not the stored one: an ETag of an older version,
    of another claim or of none is stale whatever the payload holds (the forms would otherwise
    judge the version field first and answer 422 about a number the client never sent). The
    model method checks the version again under its lock."""
    version = expected_version(request, "claim", claim.pk, claim.version)
    if version != claim.version:
        raise _stale(request, StaleClaimError(claim))
    return version


def json_ready(data: dict) -> dict:
    """Dates as ISO strings, as the response body writes them."""
    return orjson.loads(orjson.dumps(data))


@router.post(
    "/claims/",
    response={201: rep.ClaimOut, **WRITE_ERRORS},
    url_name="claim-list",
    tags=["claims"],
)
def claim_create(request: HttpRequest, payload: ClaimIn):
    """A claim on ``article.text_of(part)[start:end]`` (the title, standfirst or body);
    ``quote`` must be the text there (white space at the ends is trimmed, as for a selection in
    the reader)."""
    limit_rate(request, "claim-create")
    article = get_object_or_404(
        Article.objects.only("title", "standfirst", "body"), pk=payload.article
    )
    data = payload.dict()
    data["claim_date"] = data["claim_date"].isoformat() if data["claim_date"] else ""
    form = ClaimCreateForm(data, article=article)
    cleaned = valid(form)
    try:
        claim = Claim.objects.create_from_selection(
            article,
            cleaned["start"],
            cleaned["end"],
            cleaned["quote"],
            by=request.user,
            part=cleaned["part"],
            statement=cleaned["statement"].strip(),
            claimant=cleaned["claimant"].strip(),
            claim_date=cleaned["claim_date"],
            category=cleaned["category"],
        )
    except AnchorError as error:
        raise Problem(422, "Invalid input", str(error), errors={"quote": [str(error)]}) from None
    answer = _claim_answer(request, claim.pk, status=201)
    answer["Location"] = reverse("api-v1:claim-detail", args=[claim.pk])
    return answer


@router.get(
    "/claims/{id:claim_id}/",
    response={200: rep.ClaimOut, 304: None, **ERRORS},
    url_name="claim-detail",
    tags=["claims"],
)
def claim_detail(request: HttpRequest, claim_id: int):
    """One claim; its ETag names its version (send it back as If-Match to change it)."""
    return _claim_answer(request, claim_id)


class ClaimChanges(Schema):
    statement: str | None = None
    claimant: str | None = None
    claimant_kind: str | None = None
    claimant_same_as: str | None = None
    claim_date: datetime.date | None = None
    category: Claim.Category | None = None
    assignee: str | None = Field(None, description="A user name; empty for nobody.")
    change_reason: str | None = Field(
        None, description="Why an approved claim should change (it then awaits approval)."
    )


@router.patch(
    "/claims/{id:claim_id}/",
    response={200: rep.ClaimOut, 202: rep.ClaimOut, **WRITE_ERRORS},
    url_name="claim-detail",
    tags=["claims"],
)
def claim_update(request: HttpRequest, claim_id: int, payload: ClaimChanges):
    """Change the claim's details (``Claim.edit``). On an approved claim the change is
    proposed for a second editor (202)."""
    claim = _claim(claim_id)
    version = _based_on(request, claim)
    data = {
        name: ("" if value is None else value)
        for name, value in ClaimDetailsForm.for_claim(claim).initial.items()
    }
    changes = payload.dict(exclude_unset=True)
    if "assignee" in changes:
        name = changes.pop("assignee")
        assignee = User.objects.filter(username=name).first() if name else None
        if name and assignee is None:
            raise Problem(422, "Invalid input", errors={"assignee": [f"No user {name!r}."]})
        data["assignee"] = assignee.pk if assignee else ""
    for name, value in changes.items():
        data[name] = (
            "" if value is None else str(value.isoformat() if name == "claim_date" else value)
        )
    data["version"] = version
    cleaned = valid(ClaimDetailsForm(data))
    cleaned.pop("version")
    reason = cleaned.pop("change_reason")
    try:
        result = claim.edit(by=request.user, version=version, reason=reason, **cleaned)
    except StaleClaimError as error:
        raise _stale(request, error) from None
    return _claim_answer(request, claim.pk, status=202 if result == EditResult.PROPOSED else 200)


@router.delete(
    "/claims/{id:claim_id}/",
    response={204: None, **WRITE_ERRORS},
    url_name="claim-detail",
    tags=["claims"],
)
def claim_delete(request: HttpRequest, claim_id: int):
    """Delete the claim (its history keeps it); an approved one only by an editor."""
    claim = _claim(claim_id)
    version = _based_on(request, claim)
    try:
        claim.delete_version(by=request.user, version=version)
    except StaleClaimError as error:
        raise _stale(request, error) from None
    return HttpResponse(status=204)


class VerdictIn(Schema):
    verdict: int = Field(description="A verdict id from /verdicts/ (one in use).")
    explanation: str = ""
    change_reason: str = ""


@router.post(
    "/claims/{id:claim_id}/verdict/",
    response={200: rep.ClaimOut, 202: rep.ClaimOut, **WRITE_ERRORS},
    url_name="claim-propose",
    tags=["claims"],
)
def claim_propose(request: HttpRequest, claim_id: int, payload: VerdictIn):
    """Propose a verdict (``Claim.propose_verdict``): the claim then awaits another editor."""
    claim = _claim(claim_id)
    version = _based_on(request, claim)
    cleaned = valid(VerdictForm(payload.dict() | {"version": version}))
    try:
        result = claim.propose_verdict(
            by=request.user,
            version=version,
            verdict=cleaned["verdict"],
            explanation=cleaned["explanation"],
            reason=cleaned["change_reason"],
        )
    except StaleClaimError as error:
        raise _stale(request, error) from None
    return _claim_answer(request, claim.pk, status=202 if result == EditResult.PROPOSED else 200)


@router.post(
    "/claims/{id:claim_id}/approve/",
    auth=editors,
    response={200: rep.ClaimOut, **WRITE_ERRORS},
    url_name="claim-approve",
    tags=["claims"],
)
def claim_approve(request: HttpRequest, claim_id: int):
    """Approve the proposed verdict (``Claim.approve``): an editor other than its proposer,
    with a source cited."""
    claim = _claim(claim_id)
    version = _based_on(request, claim)
    try:
        claim.approve(by=request.user, version=version)
    except StaleClaimError as error:
        raise _stale(request, error) from None
    return _claim_answer(request, claim.pk)


class ReasonIn(Schema):
    reason: str = Field(description="Why: kept with the claim.")


@router.post(
    "/claims/{id:claim_id}/send-back/",
    auth=editors,
    response={200: rep.ClaimOut, **WRITE_ERRORS},
    url_name="claim-send-back",
    tags=["claims"],
)
def claim_send_back(request: HttpRequest, claim_id: int, payload: ReasonIn):
    """Send a proposed verdict back to the reviewers (``Claim.send_back``), saying why."""
    claim = _claim(claim_id)
    version = _based_on(request, claim)
    cleaned = valid(SendBackForm({"version": version, "reason": payload.reason}))
    try:
        claim.send_back(by=request.user, version=version, reason=cleaned["reason"])
    except StaleClaimError as error:
        raise _stale(request, error) from None
    return _claim_answer(request, claim.pk)


# --- Citations -------------------------------------------------------------------------------


class CitationIn(Schema):
    source: int | None = Field(None, description="A source id from the library…")
    new_title: str = Field("", description="…or a new source described here.")
    new_url: str = ""
    new_publisher: str = ""
    new_kind: Source.Kind = Source.Kind.OTHER
    relation: str = Field(description="supports, refutes or context.")
    quote: str = ""
    locator: str = ""
    note: str = ""
    change_reason: str = ""


@router.get(
    "/claims/{id:claim_id}/citations/",
    response={200: list[rep.CitationOut], 304: None, **ERRORS},
    url_name="citation-list",
    tags=["citations"],
)
def citation_list(request: HttpRequest, claim_id: int):
    """The sources cited for the claim."""
    claim = get_object_or_404(Claim.objects.only("pk"), pk=claim_id)
    response = json_response(rep.citations_by_claim([claim.pk]).get(claim.pk, []))
    etag = content_etag(response.content)
    return not_modified(request, etag) or _tagged(response, etag)


@router.post(
    "/claims/{id:claim_id}/citations/",
    response={200: rep.ClaimOut, 202: rep.ClaimOut, **WRITE_ERRORS},
    url_name="citation-list",
    tags=["citations"],
)
def citation_create(request: HttpRequest, claim_id: int, payload: CitationIn):
    """Cite a source (``Claim.add_citation``); a new URL is normalised and refused when the
    library has it already (``existing_source`` names it). On an approved claim the citation
    is proposed (202)."""
    claim = _claim(claim_id)
    version = _based_on(request, claim)
    data = {name: ("" if value is None else value) for name, value in payload.dict().items()}
    form = CitationForm(data | {"version": version})
    if not form.is_valid() and form.existing_source is not None:
        existing = form.existing_source
        raise Problem(
            409,
            "Already in the library",
            f"This page is already in the library as “{existing.title}”: cite source "
            f"{existing.pk} instead.",
            existing_source=rep.source_data(existing),
        )
    valid(form)
    was_approved = claim.state == Claim.State.APPROVED
    try:
        claim.add_citation(
            by=request.user,
            version=version,
            source=form.source_to_cite(request.user),
            reason=form.cleaned_data["change_reason"],
            **form.citation_fields(),
        )
    except StaleClaimError as error:
        raise _stale(request, error) from None
    return _claim_answer(request, claim.pk, status=202 if was_approved else 200)


@router.delete(
    "/claims/{id:claim_id}/citations/{id:citation_id}/",
    response={200: rep.ClaimOut, 202: rep.ClaimOut, **WRITE_ERRORS},
    url_name="citation-detail",
    tags=["citations"],
)
def citation_delete(request: HttpRequest, claim_id: int, citation_id: int, change_reason: str = ""):
    """Remove a citation (``Claim.remove_citation``); from an approved claim, propose it."""
    claim = _claim(claim_id)
    citation = get_object_or_404(claim.citations, pk=citation_id)
    version = _based_on(request, claim)
    cleaned = valid(CitationRemoveForm({"version": version, "change_reason": change_reason}))
    try:
        result = claim.remove_citation(
            citation, by=request.user, version=version, reason=cleaned["change_reason"]
        )
    except StaleClaimError as error:
        raise _stale(request, error) from None
    return _claim_answer(request, claim.pk, status=202 if result == EditResult.PROPOSED else 200)


# --- Comments --------------------------------------------------------------------------------


class CommentIn(Schema):
    body: str


@router.get(
    "/claims/{id:claim_id}/comments/",
    response={200: list[rep.CommentOut], 304: None, **ERRORS},
    url_name="comment-list",
    tags=["comments"],
)
def comment_list(request: HttpRequest, claim_id: int):
    """The claim's discussion, oldest first."""
    claim = get_object_or_404(Claim.objects.only("pk"), pk=claim_id)
    comments = Comment.objects.filter(claim=claim).select_related("author")
    response = json_response([rep.comment_data(c) for c in comments])
    etag = content_etag(response.content)
    return not_modified(request, etag) or _tagged(response, etag)


@router.post(
    "/claims/{id:claim_id}/comments/",
    response={201: rep.CommentOut, **WRITE_ERRORS},
    url_name="comment-list",
    tags=["comments"],
)
def comment_create(request: HttpRequest, claim_id: int, payload: CommentIn):
    """Add a comment to the claim's discussion."""
    # The whole row: notifying names the claim and the people who work on it.
    claim = get_object_or_404(Claim, pk=claim_id)
    cleaned = valid(CommentForm({"body": payload.body}))
    comment = claim.add_comment(by=request.user, body=cleaned["body"])
    return json_response(rep.comment_data(comment), status=201)


# --- Sources ---------------------------------------------------------------------------------


class SourceFilters(Schema):
    q: str = Field("", max_length=200, description="Words of the title, URL or publisher.")
    cursor: str | None = None
    limit: int | None = None


@router.get(
    "/sources/",
    response={200: rep.SourcePage, 304: None, **ERRORS},
    url_name="source-list",
    tags=["sources"],
)
def source_list(request: HttpRequest, filters: Query[SourceFilters]):
    """The source library by id (``SourceQuerySet.search`` with ``q``)."""
    limit = page_size(filters.limit)
    sources = Source.objects.search(filters.q) if filters.q.strip() else Source.objects.all()
    rows = list(sources.filter(pk__gt=decode_cursor(filters.cursor)).order_by("pk")[: limit + 1])
    return listed(request, rows, limit, rep.source_data)


class SourceIn(Schema):
    url: str = Field(max_length=2000)
    title: str = Field(max_length=500)
    publisher: str = ""
    kind: Source.Kind = Source.Kind.OTHER
    published_on: datetime.date | None = None
    accessed_on: datetime.date | None = None
    archive_url: str = ""
    notes: str = ""


@router.post(
    "/sources/",
    response={201: rep.SourceOut, **WRITE_ERRORS},
    url_name="source-list",
    tags=["sources"],
)
def source_create(request: HttpRequest, payload: SourceIn):
    """Add a source to the library. Its URL is normalised (``urlnorm``); one the library holds
    already is refused with 409 and the existing source (``Source.find_duplicate``)."""
    source = Source(created_by=request.user, **payload.dict())
    if duplicate := source.find_duplicate():
        raise Problem(
            409,
            "Already in the library",
            f"This page is already in the library as “{duplicate.title}” (source {duplicate.pk}).",
            headers={"Location": reverse("api-v1:source-detail", args=[duplicate.pk])},
            existing_source=rep.source_data(duplicate),
        )
    try:
        source.full_clean()
    except ValidationError as error:
        raise Problem(
            422,
            "Invalid input",
            "Some values were refused; see errors.",
            errors={name: list(messages) for name, messages in error.message_dict.items()},
        ) from None
    with transaction.atomic():
        source._history_user = request.user
        source.save()
    response = json_response(rep.source_data(source), status=201, etag=rep.source_etag(source))
    response["Location"] = reverse("api-v1:source-detail", args=[source.pk])
    return response


@router.get(
    "/sources/{id:source_id}/",
    response={200: rep.SourceOut, 304: None, **ERRORS},
    url_name="source-detail",
    tags=["sources"],
)
def source_detail(request: HttpRequest, source_id: int):
    source = get_object_or_404(Source, pk=source_id)
    return _one(request, rep.source_data(source), rep.source_etag(source))


# --- Verdicts and search ---------------------------------------------------------------------


@router.get(
    "/verdicts/",
    response={200: list[rep.VerdictOut], 304: None, **ERRORS},
    url_name="verdict-list",
    tags=["verdicts"],
)
def verdict_list(request: HttpRequest):
    """The verdict vocabulary, in its order; retired verdicts have ``is_active`` false."""
    response = json_response([rep.verdict_data(v) for v in Verdict.objects.all()])
    etag = content_etag(response.content)
    return not_modified(request, etag) or _tagged(response, etag)


class SearchQuery(Schema):
    q: str = Field(max_length=500)
    kind: str | None = Field(None, description=f"One of {', '.join(fulltext.KINDS)}.")
    page: int = Field(1, ge=1, le=10_000)


def _plain(segments) -> str:
    return "".join(text for text, _marked in segments)


@router.get(
    "/search/",
    response={200: rep.SearchOut, **ERRORS},
    url_name="search",
    tags=["search"],
)
def search(request: HttpRequest, query: Query[SearchQuery]):
    """Everything the app holds, searched as the search page searches (``annotations.search``):
    with ``kind``, that kind's matches page by page; without, each kind's best few."""
    if query.kind is not None and query.kind not in fulltext.KINDS:
        raise Problem(400, "Unknown kind", f"kind is one of {', '.join(fulltext.KINDS)}.")
    results = fulltext.search(
        query.q,
        kinds=[query.kind] if query.kind else None,
        user=request.user,
        page=query.page,
    )
    items = [
        {
            "kind": hit.kind,
            "id": hit.object.pk,
            "title": _plain(hit.title),
            "snippet": _plain(hit.snippet),
            "url": hit.url,
        }
        for group in results.groups
        for hit in group.hits
    ]
    return json_response({"query": query.q, "totals": results.totals, "items": items})
