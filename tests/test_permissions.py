"""Every URL in the URLconf × anonymous / reviewer / editor / admin → the expected status.

A URL that is not listed in ``EXPECTED`` fails ``test_every_url_has_a_rule``: a new view cannot
be added without deciding who may use it. Object-level rules (someone else's object) are tested
next to the views they belong to.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import ArticleFactory, ClaimFactory

ROLES = ("anonymous", "reviewer", "editor", "admin")
LOGIN = "login-redirect"  # 302 to the sign-in page


def _objects():
    claim = ClaimFactory()
    return {"article": claim.article, "claim": claim}


# Expected statuses by role, for the common cases.
SIGNED_IN = {"anonymous": LOGIN, "reviewer": 200, "editor": 200, "admin": 200}
EDITORS_ONLY = {"anonymous": LOGIN, "reviewer": 403, "editor": 200, "admin": 200}
ADMINS_ONLY = {"anonymous": LOGIN, "reviewer": 403, "editor": 403, "admin": 200}
EVERYONE = dict.fromkeys(ROLES, 200)


def no_kwargs(objects):
    return {}


def article_pk(objects):
    return {"pk": objects["article"].pk}


# url name → (method, kwargs builder, {role: expected status})
# Kwargs builders get the dict made by _objects().
EXPECTED = {
    "login": ("get", no_kwargs, EVERYONE),
    "logout": ("post", no_kwargs, dict.fromkeys(ROLES, 302)),
    "password_change": ("get", no_kwargs, SIGNED_IN),
    "password_change_done": ("get", no_kwargs, SIGNED_IN),
    "annotations:article-list": ("get", no_kwargs, SIGNED_IN),
    "annotations:article-detail": ("get", article_pk, SIGNED_IN),
}


def url_names(resolver=None, namespace=""):
    """All named URL patterns outside the admin site, as 'namespace:name'."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_url_has_a_rule():
    missing = sorted(set(url_names()) - set(EXPECTED))
    assert not missing, f"URLs without an access rule in EXPECTED: {missing}"


@pytest.fixture
def users(reviewer, editor, admin_user):
    return {"anonymous": None, "reviewer": reviewer, "editor": editor, "admin": admin_user}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_role_gets_expected_status(client, users, name, role):
    method, build_kwargs, expected_by_role = EXPECTED[name]
    url = reverse(name, kwargs=build_kwargs(_objects()))
    if users[role]:
        client.force_login(users[role])
    response = getattr(client, method)(url)
    expected = expected_by_role[role]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected, f"{role} {method.upper()} {url}"


@pytest.mark.django_db
def test_signed_in_user_without_a_role_is_refused_everywhere(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="norole"))
    article = ArticleFactory()
    assert client.get(reverse("annotations:article-list")).status_code == 403
    assert client.get(reverse("annotations:article-detail", args=[article.pk])).status_code == 403
