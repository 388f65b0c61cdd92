"""Who an API request acts for: a personal token (``Authorization: Bearer fct_…``) or the
signed-in session of the browser.

A token request carries no cookie a browser would add by itself, so it needs no CSRF token; a
session request is a browser's, and an unsafe one must carry the CSRF token as the pages' do
(``X-CSRFToken``), or any site could make a signed-in browser write through the API.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security.base import AuthBase

from annotations.api.http import ROLE_CHECKS, Problem
from annotations.models import ApiToken, Role

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _csrf_refusal(request: HttpRequest) -> str | None:
    """Why Django's CSRF check refuses this request, or None when it passes."""
    reasons = []

    def reject(request, reason):
        reasons.append(reason)

    check = CsrfViewMiddleware(lambda request: None)
    check._reject = reject  # keep the reason instead of Django's HTML 403 page
    request.csrf_processing_done = False
    check.process_request(request)
    check.process_view(request, lambda request: None, (), {})
    return reasons[0] if reasons else None


class TokenOrSession(AuthBase):
    """The API's one authentication: a live token of an active user, or a session; and the
    role the endpoint needs, checked before its input is read (as ``roles.role_required``
    checks it for a page): 401 without a user, 403 below the role."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_description = (
        "A personal API token, made on your account page: `Authorization: Bearer fct_…`. "
        "A signed-in browser session works too; its unsafe requests need the X-CSRFToken "
        "header."
    )

    def __init__(self, role: Role):
        super().__init__()
        self.role = role

    def __call__(self, request: HttpRequest):
        user = self._user(request)
        if user is not None and not ROLE_CHECKS[self.role](user):
            raise PermissionDenied(f"This needs the {self.role.label} role.")
        return user

    def _user(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, secret = header.partition(" ")
            user = ApiToken.objects.owner_of(secret.strip()) if scheme == "Bearer" else None
            if user is None:
                raise Problem(
                    401,
                    "Not signed in",
                    "The token is unknown, revoked, or its account is inactive.",
                    headers={"WWW-Authenticate": 'Bearer realm="factcheck"'},
                )
            request.user = user
            return user
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS:
            reason = _csrf_refusal(request)
            if reason:
                raise Problem(
                    403,
                    "CSRF check failed",
                    f"CSRF verification failed ({reason}): a session request that changes "
                    "something sends the X-CSRFToken header; scripts use a token instead.",
                )
        return user


reviewers = TokenOrSession(Role.REVIEWER)
editors = TokenOrSession(Role.EDITOR)
admins = TokenOrSession(Role.ADMIN)
