"""What every API response shares: RFC 9457 problem details, JSON bodies, entity tags and
conditional requests, cursors, rate limits and role checks.

Both the JSON API (``resources``) and the Web Annotation Protocol (``protocol``) answer
through these, so an error, a stale write or a refused role reads the same on either.
"""

import base64
import binascii
import hashlib
import re

import orjson
from django.http import HttpRequest, HttpResponse

from annotations import ratelimit
from annotations.models import Role

PROBLEM_TYPE = "application/problem+json"
JSON_TYPE = "application/json"
# The rate-limit scopes the pages use, for the same actions through the API.
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


class Problem(Exception):
    """An API error answered as RFC 9457 problem details (``application/problem+json``).

    ``title`` is the same for every occurrence of the kind of problem; ``detail`` says what
    went wrong this time, in words a user can act on. ``extra`` members are added to the body
    (``errors`` for invalid fields, ``current`` for the representation a stale write missed).
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        headers: dict[str, str] | None = None,
        **extra,
    ):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    body = {"type": "about:blank", "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    body["instance"] = request.path
    body.update(problem.extra)
    response = HttpResponse(orjson.dumps(body), status=problem.status, content_type=PROBLEM_TYPE)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def json_response(data, *, status: int = 200, content_type: str = JSON_TYPE, etag: str = ""):
    response = HttpResponse(orjson.dumps(data), status=status, content_type=content_type)
    if etag:
        response["ETag"] = etag
    return response


# --- Entity tags and conditional requests ------------------------------------------------------

ETAG = re.compile(r'\s*(?:W/)?"([^"]*)"\s*')


def content_etag(body: bytes) -> str:
    """A strong entity tag naming exactly these bytes (lists, containers, pages)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def version_etag(kind: str, pk: int, version: int) -> str:
    """The entity tag of a versioned object: changes exactly when its version does, so that a
    client's ``If-Match`` is the version a page's form would carry."""
    return f'"{kind}-{pk}-v{version}"'


def requested_tags(header: str) -> list[str]:
    """The entity tags of an ``If-Match`` or ``If-None-Match`` header ("*" stays "*")."""
    if header.strip() == "*":
        return ["*"]
    return [f'"{match.group(1)}"' for match in ETAG.finditer(header)] if header else []


def not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    """A 304 for a GET or HEAD whose ``If-None-Match`` names the current tag, else None."""
    tags = requested_tags(request.headers.get("If-None-Match", ""))
    if request.method in ("GET", "HEAD") and ("*" in tags or etag in tags):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    return None


def expected_version(request: HttpRequest, kind: str, pk: int, current_version: int) -> int:
    """The version an unsafe request was based on, from its ``If-Match``; the model method
    then refuses the change if the stored row moved on (``StaleClaimError`` → 412).

    Without ``If-Match`` the request is refused (428): a write that does not say what it saw
    could silently overwrite someone else's change. ``*`` means "whatever is there now".
    """
    header = request.headers.get("If-Match", "")
    tags = requested_tags(header)
    if not tags:
        raise Problem(
            428,
            "Precondition required",
            f"Send If-Match with the ETag of the {kind} you read, so that a change someone "
            "made meanwhile is not overwritten.",
        )
    if "*" in tags:
        return current_version
    for tag in tags:
        match = re.fullmatch(rf'"{re.escape(kind)}-{pk}-v([0-9]{{1,9}})"', tag)
        if match:
            return int(match.group(1))
    return 0  # names another object or an unknown version: stale whatever is stored


def stale_problem(kind: str, pk: int, version: int, *, current: dict | None = None) -> Problem:
    """412 for a write whose ``If-Match`` does not name the stored version (someone changed
    the object since the client read it, or the tag names another object): what happened,
    the version stored now and the ETag to retry with (also in the ``ETag`` header), and, when
    given, the object as stored (``current``). Worded for a program's log, not a person on a
    page: the pages' own message speaks of values "shown below"."""
    etag = version_etag(kind, pk, version)
    again = (
        f"apply your change to `current` (the {kind} as stored)"
        if current is not None
        else f"read the {kind} again if your change depends on what it holds"
    )
    return Problem(
        412,
        "Changed meanwhile",
        f"If-Match does not name the stored version of {kind} {pk}, so nothing was changed: "
        f"it is at version {version} now (ETag {etag}), changed since you read it or never the "
        f"{kind} your tag names. To retry, {again} and send it with If-Match: {etag}.",
        headers={"ETag": etag},
        **({"current": current} if current is not None else {}),
    )


# --- Cursors ---------------------------------------------------------------------------------


def page_size(value: int | None) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise Problem(
            400, "Invalid page size", f"limit must be between 1 and {MAX_PAGE_SIZE}, not {value}."
        )
    return value


def encode_cursor(after_pk: int) -> str:
    return base64.urlsafe_b64encode(f"after:{after_pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id a page starts after (0: the first page). Cursors are opaque to clients."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = re.fullmatch(r"after:([0-9]{1,18})", text)
    if not match:
        raise Problem(
            400, "Invalid cursor", "Use the cursor of a 'next' link as it was given, unchanged."
        )
    return int(match.group(1))


def next_link(request: HttpRequest, after_pk: int) -> str:
    params = request.GET.copy()
    params["cursor"] = encode_cursor(after_pk)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


# --- Who may, and how often ------------------------------------------------------------------

ROLE_CHECKS = {
    Role.REVIEWER: lambda user: user.is_reviewer,
    Role.EDITOR: lambda user: user.is_editor,
    Role.ADMIN: lambda user: user.is_admin,
}


def limit_rate(request: HttpRequest, scope: str) -> None:
    """Count one use of ``scope`` for the requesting user, as the pages count theirs."""
    retry_after = ratelimit.hit(scope, f"user:{request.user.pk}")
    if retry_after is not None:
        raise Problem(
            429,
            "Too many requests",
            f"Slow down: try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
