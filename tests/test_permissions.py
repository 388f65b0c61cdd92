"""Every URL in the URLconf × anonymous / no role / reviewer / editor / admin → the expected
status.

A URL that is not listed in ``EXPECTED`` fails ``test_every_url_has_a_rule``: a new view cannot
be added without deciding who may use it. Object-level rules (someone else's object) are tested
next to the views they belong to. The admin site has its own table at the end: its index and
every registered model's changelist are for admins only.

To add a view: add one row to ``EXPECTED``, usually with one of the constants below.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from annotations.models import SourceSnapshot
from tests.factories import CitationFactory, ClaimFactory, SourceFactory, UserFactory

# "no_role" is signed in but in none of the role groups (e.g. an account not yet set up).
ROLES = ("anonymous", "no_role", "reviewer", "editor", "admin")
LOGIN = "login-redirect"  # 302 to the sign-in page
# 302 to the admin site's sign-in page, or to the app's: LoginRequiredMiddleware answers first
# for admin pages other than the index, and either page leads back after signing in.
ADMIN_LOGIN = "admin-login-redirect"
REFUSED = "refused"  # 403, or 302 to a sign-in page: either way, not let in


def _objects():
    claim = ClaimFactory()
    return {"article": claim.article, "claim": claim}


# Expected statuses by role, for the common cases. A rule that leaves out "no_role" expects 403
# for it: an account without a role is refused everywhere in the app.
SIGNED_IN = {"anonymous": LOGIN, "no_role": 403, "reviewer": 200, "editor": 200, "admin": 200}
EDITORS_ONLY = {"anonymous": LOGIN, "no_role": 403, "reviewer": 403, "editor": 200, "admin": 200}
ADMINS_ONLY = {"anonymous": LOGIN, "no_role": 403, "reviewer": 403, "editor": 403, "admin": 200}
ANY_ACCOUNT = {"anonymous": LOGIN, "no_role": 200, "reviewer": 200, "editor": 200, "admin": 200}
EVERYONE = dict.fromkeys(ROLES, 200)
# Any role may; the action then redirects (e.g. a POST answered without htmx).
SIGNED_IN_REDIRECT = {**SIGNED_IN, "reviewer": 302, "editor": 302, "admin": 302}


def no_kwargs(objects):
    return {}


def article_pk(objects):
    return {"pk": objects["article"].pk}


def article_pk_only(objects):
    return {"article_pk": objects["article"].pk}


def claim(objects):
    return {"article_pk": objects["article"].pk, "pk": objects["claim"].pk}


def citation(objects):
    made = CitationFactory(claim=objects["claim"])
    return {"article_pk": objects["article"].pk, "pk": made.claim_id, "citation_pk": made.pk}


def figure(objects):
    made = objects["claim"].figures.first()  # read from the factory claim's words
    return {"article_pk": objects["article"].pk, "pk": made.claim_id, "figure_pk": made.pk}


def family(objects):
    from annotations.models import ClaimFamily

    other = ClaimFactory()
    made = ClaimFamily.confirm(objects["claim"], other, by=other.created_by, seen=(None,) * 4)
    return {"pk": made.pk}


def source(objects):
    return {"pk": SourceFactory().pk}


def snapshot(objects):
    made = SourceSnapshot(
        source=SourceFactory(), content_type="text/plain", size=5, sha256="a" * 64
    )
    made.file.save("x", ContentFile(b"notes"))
    return {"pk": made.pk}


def published_slug(objects):
    article = objects["article"]
    type(article).objects.filter(pk=article.pk).update(
        publication="published", slug="a-fact-check", published_at=article.imported_at
    )
    return {"slug": "a-fact-check"}


# url name → (method, kwargs builder, {role: expected status})
# Kwargs builders get the dict made by _objects().
EXPECTED = {
    "login": ("get", no_kwargs, EVERYONE),
    "logout": ("post", no_kwargs, dict.fromkeys(ROLES, 302)),
    # Any account may change its own password, with or without a role.
    "password_change": ("get", no_kwargs, ANY_ACCOUNT),
    "password_change_done": ("get", no_kwargs, ANY_ACCOUNT),
    "annotations:article-list": ("get", no_kwargs, SIGNED_IN),
    "annotations:search": ("get", no_kwargs, SIGNED_IN),
    # The claims table: reviewers read it and act on ticked claims (a POST without data
    # answers with the table's address and the reason: 302)
    "annotations:claim-list": ("get", no_kwargs, SIGNED_IN),
    "annotations:claim-bulk-assign": ("post", no_kwargs, SIGNED_IN_REDIRECT),
    "annotations:claim-bulk-family": ("post", no_kwargs, SIGNED_IN_REDIRECT),
    "annotations:article-detail": ("get", article_pk, SIGNED_IN),
    "annotations:article-original": ("get", article_pk, SIGNED_IN),
    # Article details and publication: reviewers edit details, editors publish and withdraw
    # (a POST without data re-renders the page with the errors: 200); anyone reads the
    # public page, signed in or not.
    "annotations:article-details": ("get", article_pk, SIGNED_IN),
    "annotations:article-publication": ("get", article_pk, SIGNED_IN),
    "annotations:publisher-search": ("get", no_kwargs, SIGNED_IN),
    "annotations:article-publish": ("get", article_pk, EDITORS_ONLY),
    "annotations:article-unpublish": ("post", article_pk, EDITORS_ONLY),
    "annotations:fact-check": ("get", published_slug, EVERYONE),
    # Article reader, claims, citations
    "annotations:verdict-styles": ("get", no_kwargs, SIGNED_IN),
    "annotations:claim-create": ("post", article_pk_only, SIGNED_IN),
    "annotations:claim-detail": ("get", claim, SIGNED_IN),
    "annotations:claim-reattach": ("post", claim, SIGNED_IN_REDIRECT),
    "annotations:claim-update": ("post", claim, SIGNED_IN),
    "annotations:claim-propose": ("post", claim, SIGNED_IN),
    "annotations:claim-approve": ("post", claim, EDITORS_ONLY),
    "annotations:claim-send-back": ("post", claim, EDITORS_ONLY),
    # Changes to an approved claim: reviewers propose (through the views above), editors
    # approve or send back, the author withdraws.
    "annotations:claim-revision-approve": ("post", claim, EDITORS_ONLY),
    "annotations:claim-revision-send-back": ("post", claim, EDITORS_ONLY),
    "annotations:claim-revision-withdraw": ("post", claim, SIGNED_IN),
    "annotations:claim-dismiss": ("post", claim, SIGNED_IN),
    "annotations:claim-reopen": ("post", claim, SIGNED_IN),
    "annotations:claim-delete": ("get", claim, SIGNED_IN),
    "annotations:claim-comment": ("post", claim, SIGNED_IN),
    "annotations:claim-history": ("get", claim, SIGNED_IN),
    "annotations:citation-create": ("post", claim, SIGNED_IN),
    "annotations:citation-delete": ("post", citation, SIGNED_IN_REDIRECT),
    "annotations:source-search": ("get", no_kwargs, SIGNED_IN),
    # Claims across articles: reviewers read and correct figures (a POST without data
    # re-renders the region with the errors: 200)
    "annotations:claim-related": ("get", claim, SIGNED_IN),
    "annotations:claim-figure-update": ("post", figure, SIGNED_IN),
    "annotations:claim-figure-remove": ("post", figure, SIGNED_IN),
    # Proposals and families: reviewers work on them (an invalid POST answers with the region
    # or the page and the error: 200; family actions redirect to the family page when done)
    "annotations:claim-proposal-confirm": ("post", claim, SIGNED_IN),
    "annotations:claim-proposal-reject": ("post", claim, SIGNED_IN),
    "annotations:family-detail": ("get", family, SIGNED_IN),
    "annotations:family-update": ("post", family, SIGNED_IN),
    "annotations:family-remove-member": ("post", family, SIGNED_IN),
    "annotations:family-split": ("post", family, SIGNED_IN),
    "annotations:family-merge": ("post", family, SIGNED_IN),
    "annotations:family-cite": ("post", family, SIGNED_IN),
    "annotations:family-resolve": ("post", family, SIGNED_IN),
    # Source library (a POST without a file re-renders the page with the error: 200)
    "annotations:source-list": ("get", no_kwargs, SIGNED_IN),
    "annotations:source-detail": ("get", source, SIGNED_IN),
    "annotations:source-reliability": ("get", source, EDITORS_ONLY),
    "annotations:snapshot-create": ("post", source, SIGNED_IN),
    "annotations:snapshot-download": ("get", snapshot, SIGNED_IN),
    # Exports and reports
    "annotations:export": ("get", lambda objects: {"format": "csv"}, SIGNED_IN),
    "annotations:article-report": ("get", article_pk, SIGNED_IN),
}


def url_names(resolver=None, namespace="", *, skip_admin=True):
    """All named URL patterns (by default outside the admin site), as 'namespace:name'."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if skip_admin and entry.app_name == "admin":
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
    return {
        "anonymous": None,
        "no_role": UserFactory(username="norah"),
        "reviewer": reviewer,
        "editor": editor,
        "admin": admin_user,
    }


def assert_status(response, expected, context: str):
    if expected == LOGIN:
        assert response.status_code == 302, context
        assert response["Location"].startswith(reverse("login")), context
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302, context
        assert response["Location"].startswith((reverse("admin:login"), reverse("login"))), context
    elif expected == REFUSED:
        assert response.status_code in (302, 403), context
        if response.status_code == 302:
            assert "login" in response["Location"], context
    else:
        assert response.status_code == expected, context


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_role_gets_expected_status(client, users, name, role):
    method, build_kwargs, expected_by_role = EXPECTED[name]
    url = reverse(name, kwargs=build_kwargs(_objects()))
    if users[role]:
        client.force_login(users[role])
    response = getattr(client, method)(url)
    expected = expected_by_role.get(role, 403)  # only "no_role" may be left out
    assert_status(response, expected, f"{role} {method.upper()} {url}")


# --- The admin site ---------------------------------------------------------------------------


def admin_url_names():
    """admin:index and the changelist of every model registered on the admin site."""
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.app_name == "admin":
            for name in url_names(entry, "admin:", skip_admin=False):
                if name == "admin:index" or name.endswith("_changelist"):
                    yield name


ADMIN_SITE = {
    "anonymous": ADMIN_LOGIN,
    "no_role": REFUSED,
    "reviewer": REFUSED,
    "editor": REFUSED,
    "admin": 200,
}


def test_the_admin_site_is_in_the_admin_table():
    names = set(admin_url_names())
    assert "admin:index" in names
    assert "admin:annotations_user_changelist" in names


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(admin_url_names()))
def test_admin_site_is_for_admins_only(client, users, name, role):
    url = reverse(name)
    if users[role]:
        client.force_login(users[role])
    assert_status(client.get(url), ADMIN_SITE[role], f"{role} GET {url}")
