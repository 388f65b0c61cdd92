"""Which articles an export was asked for: the query parameters of an export's URL, a job's
or a command's, read into a scope and an articles queryset. A value that makes no sense is an
``ExportRequestError`` whose message says which; nothing is passed to the ORM unchecked."""

from collections.abc import Mapping

from django.db.models import QuerySet

from annotations.claim_selection import MAX_ID, ClaimFilters
from annotations.exporters.scope import Scope
from annotations.models import Article, User


class ExportRequestError(ValueError):
    """The export was asked for with a value that makes no sense; the message says which."""


def parse_scope(value: str | None) -> Scope:
    try:
        return Scope(value or Scope.PUBLISHED)
    except ValueError:
        raise ExportRequestError(
            f"Unknown scope {value!r}: use 'published' or 'internal'."
        ) from None


def _ints(values, name: str) -> list[int]:
    try:
        ids = [int(value) for value in values if str(value).strip()]
    except (TypeError, ValueError):
        raise ExportRequestError(f"'{name}' must be a number.") from None
    if any(not 0 < value <= MAX_ID for value in ids):
        raise ExportRequestError(f"'{name}' is not a valid id.")
    return ids


def _one_int(value, name: str) -> int | None:
    ids = _ints([value] if value is not None else [], name)
    return ids[0] if ids else None


def select_articles(params: Mapping, user: User | None = None) -> QuerySet[Article]:
    """The articles an export covers, from query parameters.

    ``of=claims`` exports a selection of claims, chosen by the claims table's filters
    (``claim_selection.ClaimFilters``): the articles that hold them, each with those claims
    only (``ArticleQuerySet.of_claims``). Otherwise ``article`` (repeatable) picks articles by
    id, or the dashboard's filters apply (``q``, ``review_state``, ``claim_state``,
    ``verdict``, ``publisher``, ``assignee`` with ``me`` for the requesting user). No
    parameters at all: every article. Unknown parameters (``page``, ``sort``) are ignored.
    """
    getlist = params.getlist if hasattr(params, "getlist") else lambda k: params.get(k) or []
    articles = Article.objects.all()
    if params.get("of") == "claims":
        filters = ClaimFilters(params, user=user)
        if problems := filters.problems():
            raise ExportRequestError(" ".join(problems))
        return articles.of_claims(filters.matching())
    if ids := _ints(getlist("article"), "article"):
        return articles.filter(pk__in=ids)
    # A blank value (``?verdict=``, as an emptied form field sends it) is no filter.
    verdict = _one_int(params.get("verdict"), "verdict")
    if (assignee := params.get("assignee")) == "me":
        assignee = user
    else:
        assignee = _one_int(assignee, "assignee")
    return articles.matching(
        q=params.get("q", ""),
        review_state=params.get("review_state"),
        claim_state=params.get("claim_state"),
        verdict=verdict,
        publisher=params.get("publisher"),
        assignee=assignee,
    )
