"""Object-level access across the whole URLconf, and allow-listed query parameters.

- An id that does not exist, or an object that belongs to another parent (a claim of another
  article, a citation of another claim), answers 404 on GET and POST and changes nothing.
- Filtering and sorting parameters of the dashboard and the exports are allow-listed: unknown
  parameters and ORM-looking values are ignored (same results) or refused with a 400, never
  passed to the ORM and never a server error.

The role × URL matrix itself is tests/test_permissions.py.
"""

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import NoReverseMatch, reverse

from annotations.models import Role, User
from tests import security_support as support
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

MISSING = 987654
# Arguments naming an object (everything but format-like strings).
OBJECT_ARGS = re.compile(r"^(pk|id|\w+_pk|\w+_id)$")


@pytest.fixture
def world(db):
    return support.build_world()


@pytest.fixture
def admin_client(admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def _object_urls(world):
    entries = [e for e in support.app_url_entries() if any(map(OBJECT_ARGS.match, e.kwargs))]
    result = []
    for entry in entries:
        for kwargs in support.fill_kwargs(entry, world) or []:
            result.append((entry, kwargs))
    return result


# For the API: a JSON body every endpoint's schema accepts (each reads the fields it has), so
# that the request reaches the lookup of its objects; "If-Match: *" for the same reason.
API_BODY = json.dumps(
    {"statement": "x", "body": "x", "verdict": 1, "reason": "x", "relation": "supports"}
)


def _api_statuses(client, url) -> dict[str, int]:
    """Every method of the API: those the address has reach the view; the others are 405."""
    statuses = {"get": client.get(url).status_code}
    for method in ("post", "patch", "put", "delete"):
        response = getattr(client, method)(
            url, data=API_BODY, content_type="application/json", headers={"If-Match": "*"}
        )
        statuses[method] = response.status_code
    return statuses


def _check_404_and_nothing_changed(client, url, problems, label):
    """GET and POST: one of them reaches the view and answers 404; the other may be 405.
    (API addresses: every method they have answers 404.)"""
    before = support.db_fingerprint()
    if url.startswith("/api/"):
        statuses = _api_statuses(client, url)
    else:
        statuses = {
            method: getattr(client, method)(url, data={"statement": "x", "body": "x"}).status_code
            for method in ("get", "post")
        }
    if set(statuses.values()) - {404, 405} or 404 not in statuses.values():
        problems.append(f"{url} ({label}): {statuses}")
    if support.db_fingerprint() != before:
        problems.append(f"{url} ({label}): the database changed")


def test_ids_that_do_not_exist_answer_404_and_change_nothing(world, admin_client):
    problems, checked = [], 0
    for entry, kwargs in _object_urls(world):
        for arg in kwargs:
            if not OBJECT_ARGS.match(arg):
                continue
            url = reverse(entry.name, kwargs={**kwargs, arg: MISSING})
            _check_404_and_nothing_changed(admin_client, url, problems, f"{arg} missing")
            checked += 1
    assert checked >= 5
    assert not problems, "\n".join(problems)


def test_ids_beyond_the_database_integer_range_answer_404_not_500(world, admin_client):
    """``<int:…>`` matches any number of digits; the lookup must not overflow the database."""
    problems = []
    for entry, kwargs in _object_urls(world):
        for arg in kwargs:
            if OBJECT_ARGS.match(arg):
                marker = 987654321  # reverse() refuses huge ids, so put them in by hand
                template = reverse(entry.name, kwargs={**kwargs, arg: marker})
                for huge in (2**63, 10**30):
                    url = template.replace(f"/{marker}/", f"/{huge}/")
                    _check_404_and_nothing_changed(admin_client, url, problems, f"{arg}={huge}")
    assert not problems, "\n".join(problems)


def test_objects_under_the_wrong_parent_answer_404_and_change_nothing(world, admin_client):
    """A claim reached through another article, a citation through another claim: 404."""
    other_article = ArticleFactory(title="Another article")
    other_claim = ClaimFactory(article=other_article)
    other_citation = CitationFactory(claim=other_claim)
    problems, checked = [], 0
    for entry, kwargs in _object_urls(world):
        swaps = []
        if "article_pk" in kwargs and len(kwargs) > 1:
            swaps.append(("article_pk", other_article.pk))
        if "citation_pk" in kwargs:
            swaps.append(("citation_pk", other_citation.pk))
        for arg, value in swaps:
            url = reverse(entry.name, kwargs={**kwargs, arg: value})
            _check_404_and_nothing_changed(admin_client, url, problems, f"foreign {arg}")
            checked += 1
    assert checked >= 3
    assert not problems, "\n".join(problems)


def test_a_user_without_a_role_reaches_no_object(world):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="norole"))
    before = support.db_fingerprint()
    problems = []
    for entry, kwargs in _object_urls(world):
        url = reverse(entry.name, kwargs=kwargs)
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            if status not in {403, 404, 405}:
                problems.append(f"{method.upper()} {url}: {status}")
    assert not problems, "\n".join(problems)
    assert support.db_fingerprint() == before


def test_a_role_granted_or_taken_away_counts_from_the_next_request(article):
    """The signed-in person's role groups are read in every request (SQL compiled once for
    every person, ``constant_rows``): a change made meanwhile is seen at once, for this person
    and not another."""
    person = UserFactory(username="changing")
    other = UserFactory(username="other", role=Role.EDITOR)
    client = Client(raise_request_exception=False)
    client.force_login(person)
    address = reverse("annotations:article-detail", args=[article.pk])
    assert client.get(address).status_code == 403
    person.groups.add(Group.objects.get(name=Role.REVIEWER))
    assert client.get(address).status_code == 200
    person.groups.set([Group.objects.get(name=Role.EDITOR), Group.objects.get(name=Role.ADMIN)])
    fresh = User.objects.get(pk=person.pk)
    assert fresh._group_names() == set(person.groups.values_list("name", flat=True))
    assert (fresh.is_admin, User.objects.get(pk=other.pk).is_admin) == (True, False)
    person.groups.clear()
    assert client.get(address).status_code == 403
    assert User.objects.get(pk=person.pk)._group_names() == set()


# --- Allow-listed query parameters ------------------------------------------------------------

HOSTILE_PARAMS = [
    {"order_by": "password"},
    {"ordering": "-user__password"},
    {"sort": "created_by__password"},
    {"sort": "-imported_by__password"},
    {"o": "1"},
    {"filter": "imported_by__password__startswith"},
    {"imported_by__password__startswith": "md5"},
    {"claims__created_by__password__startswith": "m"},
    {"title__regex": ".*"},
    {"publisher__in": "x"},
    {"q__contains": "x"},
    {"review_state": "password"},
    {"claim_state": "__all__"},
    {"verdict": "1 OR 1=1"},
    {"verdict": "-1"},
    {"assignee": "password"},
    {"page": "-1"},
    {"page": "99999"},
    {"page": "abc"},
    {"sort": "title", "review_state": "' OR '1'='1"},
    {"publisher": "Riverside Gazette' --"},
    {"q": "%' OR 1=1 --"},
    {"page": str(10**30)},
    {"q": "x" * 5000},
    {"q": "\x00"},
]
# Ids beyond the database's integer range (a 64-bit signed integer at most).
OVERFLOW_PARAMS = [
    {"verdict": str(10**30)},
    {"assignee": str(2**63)},
    {"article": str(10**30)},
]


def _article_ids(html: str) -> list[int]:
    return list(dict.fromkeys(int(pk) for pk in re.findall(r'href="/articles/(\d+)/"', html)))


@pytest.fixture
def articles(db, reviewer):
    made = [ArticleFactory(title=f"Ferry report {n}", publisher=f"Paper {n % 2}") for n in range(4)]
    for article in made:
        ClaimFactory(article=article, assignee=reviewer)
    return made


@pytest.mark.parametrize(
    "params",
    HOSTILE_PARAMS + OVERFLOW_PARAMS,
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()),
)
def test_dashboard_ignores_or_refuses_unknown_filters_and_sorts(client, reviewer, articles, params):
    client.force_login(reviewer)
    url = reverse("annotations:article-list")
    baseline = client.get(url)
    response = client.get(url, params)
    assert response.status_code in {200, 400}, response.status_code
    if response.status_code == 200:
        ids = _article_ids(support.response_text(response))
        assert set(ids) <= set(_article_ids(support.response_text(baseline)))
        if not ({"verdict", "publisher", "q", "review_state", "claim_state"} & set(params)):
            assert ids == _article_ids(support.response_text(baseline)), params
    assert not re.search(r"md5\$|pbkdf2_|argon2", support.response_text(response))


def test_dashboard_with_known_filters_still_filters(client, reviewer, articles):
    """The allow-list is not a no-op: a valid filter does change the results."""
    client.force_login(reviewer)
    url = reverse("annotations:article-list")
    everything = _article_ids(support.response_text(client.get(url)))
    some = _article_ids(support.response_text(client.get(url, {"publisher": "Paper 1"})))
    assert len(everything) == 4
    assert 0 < len(some) < 4


def _export_url(name="csv"):
    try:
        return reverse("annotations:export", kwargs={"format": name})
    except NoReverseMatch:
        pytest.skip("annotations:export has not landed")


@pytest.mark.parametrize(
    "params", HOSTILE_PARAMS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())
)
def test_exports_ignore_or_refuse_unknown_parameters(client, reviewer, articles, params, settings):
    settings.FACTCHECK_RATE_LIMITS = {}
    client.force_login(reviewer)
    url = _export_url()
    baseline = support.response_text(client.get(url, {"scope": "internal"}))
    response = client.get(url, {"scope": "internal", **params})
    assert response.status_code in {200, 400}, response.status_code
    text = support.response_text(response)
    if response.status_code == 400:
        assert len(text) < 300 and "Traceback" not in text  # a short, clear message
        return
    value_filters = {"verdict", "publisher", "q", "review_state", "claim_state", "assignee"}
    if not (value_filters & set(params)):
        assert text == baseline, f"{params} changed the export"
    assert not re.search(r"md5\$|pbkdf2_|argon2", text)


def test_exports_refuse_malformed_ids_with_a_clear_message(client, reviewer, articles, settings):
    settings.FACTCHECK_RATE_LIMITS = {}
    client.force_login(reviewer)
    url = _export_url("json")
    for params in ({"article": "1 OR 1=1"}, {"article": "abc"}, {"scope": "everything"}):
        response = client.get(url, params)
        assert response.status_code == 400, params
        assert response["Content-Type"].startswith("text/plain")
    unknown_format = reverse("annotations:export", kwargs={"format": "settings.py"})
    assert client.get(unknown_format).status_code == 404


# --- Roles stated on every view ---------------------------------------------------------------

RANKS = ["Reviewer", "Editor", "Admin"]


def _required_role(url: str):
    from django.urls import resolve

    return getattr(resolve(url).func, "required_role", None)


def _is_public_page(url: str) -> bool:
    from django.urls import resolve

    return getattr(resolve(url).func, "public_page", False)


def test_every_app_view_states_its_role(world):
    """House rule: each view carries @reviewer_required, @editor_required or @admin_required,
    except the few public ones, which are marked @public_page and listed in PUBLIC."""
    urls, _ = support.reversible_urls(support.app_url_entries(), world)
    missing = sorted(
        {entry.name for entry, url in urls if entry.name.startswith("annotations:")}
        - {entry.name for entry, url in urls if _required_role(url) is not None}
        - {entry.name for entry, url in urls if entry.name in PUBLIC and _is_public_page(url)}
    )
    assert not missing, f"views without a role decorator: {missing}"


def test_lower_roles_are_refused_and_change_nothing(world, reviewer, editor):
    """Every view above the reviewer role: GET and POST by a lower role → 403, no change."""
    clients = {}
    for role, user in (("Reviewer", reviewer), ("Editor", editor)):
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    urls, _ = support.reversible_urls(support.app_url_entries(), world)
    before = support.db_fingerprint()
    problems, checked = [], 0
    for _entry, url in urls:
        required = _required_role(url)
        if required is None:
            continue
        for role in RANKS[: RANKS.index(required.value)]:
            for method in ("get", "post"):
                status = getattr(clients[role], method)(url, {"reliability": "peer_reviewed"})
                checked += 1
                if status.status_code not in {403, 405}:
                    problems.append(f"{role} {method.upper()} {url}: {status.status_code}")
    assert not problems, "\n".join(problems)
    assert support.db_fingerprint() == before
    assert checked >= 2, "no view above the reviewer role was found"


# --- Open redirects and mass assignment -------------------------------------------------------

EVIL = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"]


def _off_site(location: str) -> bool:
    from urllib.parse import urlsplit

    location = location.replace("\\", "/")
    parts = urlsplit(location)
    return bool(parts.netloc and parts.netloc != "testserver") or location.startswith("//")


def test_no_url_redirects_off_site(world, admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    urls, _ = support.reversible_urls(support.app_url_entries(), world)
    problems = []
    for entry, url in urls:
        if entry.name in support.NEVER_FETCH:
            continue
        for target in EVIL:
            params = {"next": target, "redirect_to": target, "return_to": target}
            for method in ("get", "post"):
                response = getattr(client, method)(url, params)
                location = response.get("Location", "")
                if _off_site(location) or "evil.example" in response.get("HX-Redirect", ""):
                    problems.append(f"{method.upper()} {url} → {location}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("target", EVIL)
def test_sign_in_never_sends_the_user_off_site(client, reviewer, target):
    response = client.post(
        reverse("login") + f"?next={target}",
        {"username": reviewer.username, "password": "correct-horse-battery", "next": target},
    )
    assert response.status_code == 302
    assert not _off_site(response["Location"])


def test_a_reviewer_cannot_approve_or_escalate_by_posting_extra_fields(world, reviewer, admin_user):
    """Forms take only their own fields: state, approver, author, article, offsets and
    privileges in the POST body are ignored everywhere."""
    from annotations.models import Claim, User

    claim = world["claim"]
    Claim.objects.filter(pk=claim.pk).update(state=Claim.State.NEEDS_REVIEW)
    client = Client(raise_request_exception=False)
    client.force_login(reviewer)
    other_article = ArticleFactory(title="Elsewhere")
    extra = {
        "state": "approved",
        "approved_by": reviewer.pk,
        "approved_at": "2020-01-01T00:00:00Z",
        "verdict_proposed_by": admin_user.pk,
        "created_by": reviewer.pk,
        "article": other_article.pk,
        "article_id": other_article.pk,
        "start": 0,
        "end": 3,
        "quote": "The",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": "3",
        "author": admin_user.pk,
        "reliability": "peer_reviewed",
    }

    def protected():
        claims = list(
            Claim.objects.order_by("pk").values_list(
                "pk", "approved_by", "approved_at", "created_by", "article", "start", "end"
            )
        )
        approved = list(Claim.objects.filter(state="approved").values_list("pk", flat=True))
        users = list(User.objects.order_by("pk").values_list("pk", "is_staff", "is_superuser"))
        groups = sorted(reviewer.groups.values_list("name", flat=True))
        return claims, approved, users, groups

    before = protected()
    urls, _ = support.reversible_urls(support.app_url_entries(), world)
    posted = 0
    for entry, url in urls:
        if entry.name in support.NEVER_FETCH or "create" in entry.name or "delete" in entry.name:
            continue  # creating and deleting legitimately change rows (tested with their views)
        client.post(url, {**extra, "version": Claim.objects.get(pk=claim.pk).version})
        posted += 1
    assert posted >= 5
    assert protected() == before


@pytest.mark.parametrize("params", OVERFLOW_PARAMS, ids=lambda p: next(iter(p)))
def test_exports_refuse_ids_beyond_the_database_range(reviewer, articles, params, settings):
    settings.FACTCHECK_RATE_LIMITS = {}
    client = Client(raise_request_exception=False)
    client.force_login(reviewer)
    response = client.get(_export_url(), {"scope": "internal", **params})
    assert response.status_code in {200, 400}, response.status_code


def test_no_query_parameter_value_causes_a_server_error(world, admin_user):
    """Every GET page with hostile values in the parameters its forms use (NUL bytes, which
    PostgreSQL refuses in text, huge numbers, lookups): never a 500."""
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    urls, _ = support.reversible_urls(support.app_url_entries(), world)
    errors = []
    names = {"q", "search", "page", "sort", "scope", "article", "verdict", "assignee", "usage"}
    names |= {"publisher", "review_state", "claim_state", "kind", "reliability", "format"}
    values = ["\x00", "a\x00b", str(10**30), "-1", "__all__", "x" * 3000, "%", "\\"]
    for entry, url in urls:
        if entry.name in support.NEVER_FETCH:
            continue
        # Every parameter at once, then (for the NUL byte) one at a time, since a refused
        # parameter can hide what another one would do.
        attempts = [dict.fromkeys(names, value) for value in values]
        attempts += [{name: "a\x00b"} for name in sorted(names)]
        for params in attempts:
            response = client.get(url, params)
            if response.status_code >= 500:
                error = getattr(response, "exc_info", None)
                shown = {k: v[:10] for k, v in params.items()} if len(params) == 1 else "all"
                errors.append(f"{url} {shown!r}: {error[1] if error else ''}"[:200])
    assert not errors, "\n".join(errors)


# The sign-in pages, the published fact-checks (views marked @public_page), and the API's
# OpenAPI document and its documentation page (they describe the code, never data).
PUBLIC = {
    "login",
    "admin:login",
    "logout",
    "annotations:fact-check",
    "api-v1:openapi-json",
    "api-v1:openapi-view",
}


def test_anonymous_visitors_reach_nothing_but_the_sign_in_pages(world):
    """Every URL, app and admin, GET and POST: a visitor who is not signed in is sent to sign
    in (or refused) and changes nothing."""
    client = Client(raise_request_exception=False)
    entries = support.app_url_entries() + support.admin_url_entries()
    urls, _ = support.reversible_urls(entries, world)
    before = support.db_fingerprint()
    leaks = []
    for entry, url in urls:
        if entry.name in PUBLIC:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            status = response.status_code
            location = response.get("Location", "")
            sent_to_sign_in = status == 302 and "login" in location
            # The API is not a page: it answers 401 (sign in with a token) instead.
            api_refusal = url.startswith("/api/") and status == 401
            if not (sent_to_sign_in or api_refusal or status in {403, 404, 405}):
                leaks.append(f"{method.upper()} {url}: {status} {location}")
    assert not leaks, "\n".join(leaks)
    assert support.db_fingerprint() == before


def test_reviewers_and_editors_reach_no_admin_page(world, reviewer, editor):
    """Only Admins use the admin site: every admin URL refuses the other roles, GET and POST."""
    urls, _ = support.reversible_urls(support.admin_url_entries(), world)
    clients = []
    for user in (reviewer, editor):
        client = Client(raise_request_exception=False)
        client.force_login(user)  # signing in writes last_login and a sign-in record
        clients.append((user, client))
    before = support.db_fingerprint()
    leaks = []
    for user, client in clients:
        for entry, url in urls:
            if entry.name in PUBLIC | {"admin:logout", "admin:view_on_site"}:
                continue
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code == 200:
                    leaks.append(f"{user.username} {method.upper()} {url}")
    assert not leaks, "\n".join(leaks)
    assert support.db_fingerprint() == before


@pytest.mark.parametrize(
    "params", HOSTILE_PARAMS[:11], ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())
)
def test_source_library_ignores_unknown_filters_and_sorts(client, reviewer, params):
    from tests.factories import SourceFactory

    for number in range(4):
        SourceFactory(title=f"Bulletin {number}")
    client.force_login(reviewer)
    url = reverse("annotations:source-list")

    def source_ids(response):
        html = support.response_text(response)
        return list(dict.fromkeys(re.findall(r'href="/sources/(\d+)/"', html)))

    baseline = source_ids(client.get(url))
    response = client.get(url, params)
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        assert source_ids(response) == baseline
    assert len(baseline) == 4
