"""Rate limits (annotations/ratelimit.py, ``settings.FACTCHECK_RATE_LIMITS``): the helper itself,
and the actions it guards — claim creation, imports (admin upload and source snapshots) and
exports — answer 429 above their rate. Tests set a low rate ("2/m") to reach it quickly."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from annotations import ratelimit
from tests.factories import ArticleFactory, SourceFactory, UserFactory

LOW = "2/m"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def low_limits(settings):
    settings.FACTCHECK_RATE_LIMITS = {"claim-create": LOW, "import": LOW, "export": LOW}
    return settings


# --- The helper ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "expected"), [("5/s", (5, 1)), ("120/m", (120, 60)), ("20/h", (20, 3600))]
)
def test_rates_are_parsed_per_second_minute_and_hour(rate, expected):
    assert ratelimit.parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "ten/m", "5/d", "5", "/m", "-1/m", "5/m/s"])
def test_malformed_rates_are_refused_with_a_clear_message(rate):
    with pytest.raises(ValueError, match="rate"):
        ratelimit.parse_rate(rate)


def test_hits_above_the_limit_get_a_retry_after(low_limits):
    assert ratelimit.hit("export", "user:1") is None
    assert ratelimit.hit("export", "user:1") is None
    retry_after = ratelimit.hit("export", "user:1")
    assert retry_after is not None and 0 < retry_after <= 60
    # Other people and other scopes have their own counters.
    assert ratelimit.hit("export", "user:2") is None
    assert ratelimit.hit("import", "user:1") is None


def test_a_scope_without_a_rate_is_not_limited(settings):
    settings.FACTCHECK_RATE_LIMITS = {}
    assert all(ratelimit.hit("export", "user:1") is None for _ in range(50))


def test_the_counter_starts_again_in_the_next_window(low_limits, monkeypatch):
    now = [60 * 16_667 + 20.0]  # 20 s into a minute
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    for _ in range(2):
        assert ratelimit.hit("export", "user:1") is None
    assert ratelimit.hit("export", "user:1") == 40  # seconds to the next minute
    now[0] += 40
    assert ratelimit.hit("export", "user:1") is None


def _view(request):
    return HttpResponse("ok")


@pytest.mark.django_db
def test_decorator_limits_only_the_given_methods_per_user_and_per_address(low_limits):
    limited = ratelimit.rate_limited("claim-create")(_view)
    factory = RequestFactory()
    user, other = UserFactory(username="one"), UserFactory(username="two")

    def call(method, who, address="192.0.2.1"):
        request = getattr(factory, method)("/x/", REMOTE_ADDR=address)
        request.user = who
        return limited(request)

    assert [call("post", user).status_code for _ in range(3)] == [200, 200, 429]
    assert call("get", user).status_code == 200  # GET is not counted
    assert call("post", other).status_code == 200  # someone else has their own allowance
    response = call("post", user)
    assert response["Retry-After"].isdigit()
    assert "Too many requests" in response.content.decode()

    from django.contrib.auth.models import AnonymousUser

    assert [call("post", AnonymousUser()).status_code for _ in range(3)] == [200, 200, 429]
    assert call("post", AnonymousUser(), address="192.0.2.9").status_code == 200


# --- The guarded actions ---------------------------------------------------------------------


def _reverse_or_skip(name, **kwargs):
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        pytest.skip(f"{name} has not landed")


@pytest.mark.django_db
def test_claim_creation_answers_429_above_the_rate(client, reviewer, low_limits):
    article = ArticleFactory()
    url = _reverse_or_skip("annotations:claim-create", article_pk=article.pk)
    client.force_login(reviewer)
    body = article.body
    statuses = []
    for start in (0, 10, 20):
        data = {"start": start, "end": start + 8, "quote": body[start : start + 8]}
        statuses.append(client.post(url, data, headers={"HX-Request": "true"}).status_code)
    assert statuses[:2] != [429, 429] and statuses[2] == 429
    assert article.claims.count() <= 2


@pytest.mark.django_db
def test_exports_answer_429_above_the_rate(client, reviewer, low_limits):
    ArticleFactory()
    url = _reverse_or_skip("annotations:export", format="csv")
    client.force_login(reviewer)
    statuses = [client.get(url).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get(url)["Retry-After"].isdigit()


@pytest.mark.django_db
def test_admin_article_upload_answers_429_above_the_rate(client, admin_user, low_limits):
    from annotations import jobs
    from annotations.models import Article, Job

    url = _reverse_or_skip("admin:annotations_article_upload")
    client.force_login(admin_user)
    statuses = []
    for number in range(3):
        upload = SimpleUploadedFile(
            f"story-{number}.txt",
            f"Ferry story {number}\n\nThe ferry now leaves at {number + 6} o'clock.\n".encode(),
            content_type="text/plain",
        )
        statuses.append(client.post(url, {"files": [upload]}).status_code)
    # Each accepted upload starts a background job (a redirect to its page).
    assert statuses == [302, 302, 429]
    for job in Job.objects.order_by("pk"):
        jobs.execute(job.pk)
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_snapshot_uploads_count_as_imports(client, reviewer, low_limits):
    source = SourceFactory()
    url = _reverse_or_skip("annotations:snapshot-create", pk=source.pk)
    client.force_login(reviewer)
    statuses = []
    for number in range(3):
        upload = SimpleUploadedFile(f"s{number}.txt", b"plain text " * (number + 1))
        statuses.append(client.post(url, {"file": upload}).status_code)
    assert statuses[2] == 429
    assert source.snapshots.count() <= 2


def test_default_rates_are_documented_in_the_readme(settings):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for scope, rate in settings.FACTCHECK_RATE_LIMITS.items():
        assert f"`{scope}`" in readme and rate in readme, scope
