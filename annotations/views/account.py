"""The account page: the person's API tokens, made, listed and revoked here.

For every role (a token acts with its owner's role; an account without one uses nothing in
the app, the API included, so it has no tokens to make).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from annotations.forms import ApiTokenForm
from annotations.models import ApiToken
from annotations.roles import reviewer_required


def _page(request: HttpRequest, form: ApiTokenForm, *, secret: str = "", status: int = 200):
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "secret": secret,
    }
    return render(request, "annotations/account.html", context, status=status)


@reviewer_required
@require_http_methods(["GET", "POST"])
@never_cache  # a new token's secret is on this page once: no cache may keep a copy
def account(request: HttpRequest) -> HttpResponse:
    """GET: the tokens. POST: make a token and show its secret, this once."""
    if request.method == "GET":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    _token, secret = ApiToken.issue(request.user, form.cleaned_data["name"])
    # Rendered, not redirected: the secret is never stored, so no later page can show it.
    return _page(request, ApiTokenForm(), secret=secret, status=201)


@reviewer_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of one's own tokens (admins revoke anyone's in the admin site)."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke(by=request.user)
    return redirect("annotations:account")
