"""The API: a documented JSON API and the W3C Web Annotation Protocol, under ``/api/v1/``.

Built with django-ninja: its OpenAPI 3.1 document is generated from the endpoints' type hints
and schemas, so it cannot drift from the code, and its views are plain functions, as the app's
are. ``urlpatterns()`` is what the project's URLconf includes.
"""

import logging
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from annotations import converters  # noqa: F401 - registers <id:…> for the API's paths
from annotations.api import protocol, resources
from annotations.api.auth import reviewers
from annotations.api.http import Problem, problem_response
from annotations.models import WorkflowError

logger = logging.getLogger(__name__)


def _read_only(view):
    """The schema and its documentation page are read, never written: any other method is a
    405 (CSRF has nothing to protect there, so a token client's POST is not a CSRF 403)."""
    return csrf_exempt(require_safe(view))


api = NinjaAPI(
    title="factcheck API",
    version="1",
    description=(
        "Articles, claims, citations, sources, verdicts, comments and search, with the pages' "
        "roles, workflow and versions; and each article's claims as a W3C Web Annotation "
        "Protocol container. Authenticate with a personal token from your account page "
        "(`Authorization: Bearer …`). Changes send `If-Match` with the ETag read; errors are "
        "RFC 9457 problem details."
    ),
    urls_namespace="api-v1",
    auth=reviewers,  # endpoints for editors or admins say so
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs/",
    openapi_url="/openapi.json",
    docs_decorator=_read_only,
)
api.add_router("", resources.router)
api.add_router("", protocol.router)


def _field_errors(errors: list[dict]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "start") → "start"; ("query", "limit") → "limit"
        name = location[-1] if location else "request"
        found.setdefault(name, []).append(error.get("msg", "invalid"))
    return found


@api.exception_handler(Problem)
def on_problem(request: HttpRequest, error: Problem):
    return problem_response(request, error)


@api.exception_handler(NinjaValidationError)
def on_invalid(request: HttpRequest, error: NinjaValidationError):
    problem = Problem(
        422,
        "Invalid input",
        "Some values were refused; see errors.",
        errors=_field_errors(error.errors),
    )
    return problem_response(request, problem)


@api.exception_handler(AuthenticationError)
def on_anonymous(request: HttpRequest, error: AuthenticationError):
    problem = Problem(
        401,
        "Not signed in",
        "Send a personal API token (Authorization: Bearer …), made on your account page.",
        headers={"WWW-Authenticate": 'Bearer realm="factcheck"'},
    )
    return problem_response(request, problem)


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, error: PermissionDenied):
    return problem_response(request, Problem(403, "Forbidden", str(error) or "Not allowed."))


@api.exception_handler(Http404)
def on_missing(request: HttpRequest, error: Http404):
    return problem_response(request, Problem(404, "Not found", "Nothing has this address."))


@api.exception_handler(WorkflowError)
def on_refused(request: HttpRequest, error: WorkflowError):
    """A workflow rule refused the change (the message is the one the pages show)."""
    return problem_response(request, Problem(409, "Refused by the workflow", str(error)))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError):
    return problem_response(request, Problem(error.status_code, str(error)))


@api.exception_handler(Exception)
def on_failure(request: HttpRequest, error: Exception):
    logger.exception("API request failed: %s %s", request.method, request.path)
    problem = Problem(500, "Server error", "Nothing was changed; the server log has the details.")
    return problem_response(request, problem)


def _problems_for_wrong_methods(view):
    """django-ninja answers a method a path does not have with Django's bare 405 page: the API
    answers it as problem details, with the methods it has in ``Allow``."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "problem" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            problem = Problem(
                405,
                "Method not allowed",
                f"{request.method} is not one of this address's methods ({allowed}).",
                headers={"Allow": allowed},
            )
            return problem_response(request, problem)
        return response

    return wrapped


def urlpatterns():
    """The API's URL patterns, open to the request itself: a token request carries no session,
    so the API answers 401 (not a redirect to the sign-in page) and checks roles per endpoint.

    django-ninja writes one pattern per operation, all with the path's one view (it dispatches
    on the method): one per path is kept, the first, so the URLconf lists each address once.
    """
    patterns, app_name, namespace = api.urls
    unique, seen = [], set()
    for pattern in patterns:
        if str(pattern.pattern) in seen:
            continue
        seen.add(str(pattern.pattern))
        pattern.callback = _problems_for_wrong_methods(pattern.callback)
        pattern.callback.login_required = False
        unique.append(pattern)
    return unique, app_name, namespace
