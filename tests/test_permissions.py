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


def suggestion(objects):
    made = objects["article"].suggestions.order_by("pk").first()  # the body states figures
    return {"article_pk": objects["article"].pk, "pk": made.pk}


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


def snapshot_with_rendering(objects):
    made = SourceSnapshot(source=SourceFactory(), content_type="text/html", size=5, sha256="b" * 64)
    made.file.save("x", ContentFile(b"<p>x</p>"), save=False)
    made.rendering.save("x", ContentFile(b"%PDF-1.7 a rendering"))
    return {"pk": made.pk}


def someone_elses_notification(objects):
    from annotations.models import Notification

    made = Notification.objects.create(
        recipient=UserFactory(), kind="mentioned", claim=objects["claim"], claim_text="x"
    )
    return {"pk": made.pk}


def someone_elses_job(objects):
    """A finished job with a file, started by another user: only its owner and admins see it."""
    from annotations.models import Job

    made = Job.objects.create(
        owner=UserFactory(), kind=Job.Kind.EXPORT, title="Export", status=Job.Status.SUCCEEDED
    )
    made.result_file.save("x", ContentFile(b"a,b\n"))
    return {"pk": made.pk}


# Someone else's job: not found, except by an admin.
OWNER_OR_ADMIN = {**SIGNED_IN, "reviewer": 404, "editor": 404}


def published_slug(objects):
    article = objects["article"]
    type(article).objects.filter(pk=article.pk).update(
        publication="published", slug="a-fact-check", published_at=article.imported_at
    )
    return {"slug": "a-fact-check"}


def foreign_token(objects):
    from annotations.models import ApiToken

    token, _secret = ApiToken.issue(UserFactory(), "someone else's")
    return {"pk": token.pk}


def api_claim(objects):
    return {"claim_id": objects["claim"].pk}


def api_article(objects):
    return {"article_id": objects["article"].pk}


def api_citation(objects):
    made = CitationFactory(claim=objects["claim"])
    return {"claim_id": made.claim_id, "citation_id": made.pk}


def api_source(objects):
    return {"source_id": SourceFactory().pk}


def api_annotation(objects):
    return {"article_id": objects["article"].pk, "claim_id": objects["claim"].pk}


# The API answers 401 (not a redirect) without a token or session, 403 below the role. Its
# writes are sent with an empty JSON body and no If-Match: past the role check they answer
# 422 (the body is invalid), 428 (If-Match is missing) or 400 (not an annotation).
def api_rule(reviewer, editor=None, admin=None):
    editor = reviewer if editor is None else editor
    admin = editor if admin is None else admin
    return {
        "anonymous": 401,
        "no_role": 403,
        "reviewer": reviewer,
        "editor": editor,
        "admin": admin,
    }


API_READ = api_rule(200)
# (url name, method, kwargs builder, rules): every method of every API URL.
API_EXPECTED = [
    ("api-v1:api-root", "get", no_kwargs, API_READ),
    ("api-v1:openapi-json", "get", no_kwargs, EVERYONE),
    ("api-v1:openapi-view", "get", no_kwargs, EVERYONE),
    ("api-v1:article-list", "get", no_kwargs, API_READ),
    ("api-v1:article-list", "post", no_kwargs, api_rule(403, 403, 422)),
    ("api-v1:article-upload", "post", no_kwargs, api_rule(403, 403, 422)),
    ("api-v1:article-detail", "get", api_article, API_READ),
    ("api-v1:claim-list", "get", no_kwargs, API_READ),
    ("api-v1:claim-list", "post", no_kwargs, api_rule(422)),
    ("api-v1:claim-detail", "get", api_claim, API_READ),
    ("api-v1:claim-detail", "patch", api_claim, api_rule(428)),
    ("api-v1:claim-detail", "delete", api_claim, api_rule(428)),
    ("api-v1:claim-propose", "post", api_claim, api_rule(422)),
    ("api-v1:claim-approve", "post", api_claim, api_rule(403, 428)),
    ("api-v1:claim-send-back", "post", api_claim, api_rule(403, 422)),
    ("api-v1:citation-list", "get", api_claim, API_READ),
    ("api-v1:citation-list", "post", api_claim, api_rule(422)),
    ("api-v1:citation-detail", "delete", api_citation, api_rule(428)),
    ("api-v1:comment-list", "get", api_claim, API_READ),
    ("api-v1:comment-list", "post", api_claim, api_rule(422)),
    ("api-v1:source-list", "get", no_kwargs, API_READ),
    ("api-v1:source-list", "post", no_kwargs, api_rule(422)),
    ("api-v1:source-detail", "get", api_source, API_READ),
    ("api-v1:verdict-list", "get", no_kwargs, API_READ),
    ("api-v1:search", "get", no_kwargs, api_rule(422)),  # q is required
    ("api-v1:annotation-container", "get", api_article, API_READ),
    ("api-v1:annotation-container", "head", api_article, API_READ),
    ("api-v1:annotation-container", "options", api_article, api_rule(200)),
    ("api-v1:annotation-container", "post", api_article, api_rule(400)),
    ("api-v1:annotation", "get", api_annotation, API_READ),
    ("api-v1:annotation", "head", api_annotation, API_READ),
    ("api-v1:annotation", "options", api_annotation, api_rule(200)),
    ("api-v1:annotation", "put", api_annotation, api_rule(428)),
    ("api-v1:annotation", "delete", api_annotation, api_rule(428)),
]
API_BY_NAME = {}
for _name, _method, _build, _rules in API_EXPECTED:
    API_BY_NAME.setdefault(_name, (_method, _build, _rules))


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
    # Dismissing a check-worthy suggestion (without htmx: back to the reader).
    "annotations:suggestion-dismiss": ("post", suggestion, SIGNED_IN_REDIRECT),
    "annotations:suggestion-checks": ("get", suggestion, SIGNED_IN_REDIRECT),
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
    "annotations:citation-from-published": ("post", claim, SIGNED_IN),
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
    "annotations:snapshot-rendering": ("get", snapshot_with_rendering, SIGNED_IN),
    # Inbox: each person's own notifications (someone else's is not found), e-mail settings,
    # the people a comment can mention; the reader's live fragments. (The live WebSocket's
    # roles are tested in test_live.py.)
    "annotations:inbox": ("get", no_kwargs, SIGNED_IN),
    "annotations:inbox-mark-all-read": ("post", no_kwargs, SIGNED_IN_REDIRECT),
    "annotations:notification-settings": ("get", no_kwargs, SIGNED_IN),
    "annotations:notification-open": (
        "post",
        someone_elses_notification,
        {**SIGNED_IN, "reviewer": 404, "editor": 404, "admin": 404},
    ),
    "annotations:people-search": ("get", no_kwargs, SIGNED_IN),
    "annotations:article-live": ("get", article_pk, SIGNED_IN),
    # Exports and reports
    "annotations:export": ("get", lambda objects: {"format": "csv"}, SIGNED_IN),
    "annotations:article-report": ("get", article_pk, SIGNED_IN),
    # The account page: every role makes and revokes its own API tokens (someone else's
    # token is not found)
    "annotations:account": ("get", no_kwargs, SIGNED_IN),
    "annotations:token-revoke": (
        "post",
        foreign_token,
        {"anonymous": LOGIN, "no_role": 403, "reviewer": 404, "editor": 404, "admin": 404},
    ),
    # The API: rules per method in API_EXPECTED below; here its GET (or first) method
    **API_BY_NAME,
    # Background jobs: everyone with a role starts them and sees their own (an empty link is a
    # form error: 400; archiving a source redirects to its job)
    "annotations:job-list": ("get", no_kwargs, SIGNED_IN),
    # The Export menu: one article in a quick format redirects to its download (303)
    "annotations:export-start": (
        "post",
        lambda objects: {"format": "csv"},
        {**SIGNED_IN, "reviewer": 303, "editor": 303, "admin": 303},
    ),
    "annotations:job-detail": ("get", someone_elses_job, OWNER_OR_ADMIN),
    "annotations:job-cancel": ("post", someone_elses_job, {**OWNER_OR_ADMIN, "admin": 302}),
    "annotations:job-download": ("get", someone_elses_job, OWNER_OR_ADMIN),
    "annotations:article-import-link": (
        "post",
        no_kwargs,
        {**SIGNED_IN, "reviewer": 400, "editor": 400, "admin": 400},
    ),
    "annotations:source-archive": ("post", source, SIGNED_IN_REDIRECT),
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
# The API's URLs are walked per method below.
@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n not in API_BY_NAME))
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


# --- The API, per method ----------------------------------------------------------------------


def test_every_api_url_has_its_methods_in_the_table():
    names = {name for name in url_names() if name.startswith("api-v1:")}
    assert names == {name for name, *_ in API_EXPECTED}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "build_kwargs", "expected_by_role"),
    API_EXPECTED,
    ids=[f"{name}-{method}" for name, method, *_ in API_EXPECTED],
)
def test_api_role_gets_expected_status_per_method(
    client, users, role, name, method, build_kwargs, expected_by_role
):
    url = reverse(name, kwargs=build_kwargs(_objects()))
    if users[role]:
        client.force_login(users[role])
    client.handler.enforce_csrf_checks = False
    if method in ("get", "head", "options"):
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, data="{}", content_type="application/json")
    expected = expected_by_role[role]
    assert response.status_code == expected, (
        f"{role} {method.upper()} {url}: {response.content[:200]}"
    )
