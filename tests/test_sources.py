"""The in-app source library: list with usage, detail, reliability (Editors+), merge model rule."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import Claim, Source, Verdict
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    approved = ClaimFactory(
        state=Claim.State.APPROVED, verdict=Verdict.objects.get(label="Accurate")
    )
    backing = CitationFactory(claim=approved, source__title="Backing bulletin").source
    cited = CitationFactory(source__title="Cited report").source
    unused = SourceFactory(title="Unused page")
    return backing, cited, unused


def titles(response):
    return [source.title for source in response.context["page"]]


def test_source_list_shows_usage_without_a_query_per_row(
    client, reviewer, library, django_assert_num_queries
):
    SourceFactory.create_batch(6)
    client.force_login(reviewer)
    # session, user with their role groups (one query), count for the paginator, the sources with
    # claim/verdict/snapshot counts in one annotated query.
    with django_assert_num_queries(4):
        response = client.get(reverse("annotations:source-list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Backing bulletin" in page and "Unused page" in page
    assert len(titles(response)) == 9


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ("unused", ["Unused page"]),
        ("cited", ["Backing bulletin", "Cited report"]),
        ("approved", ["Backing bulletin"]),
    ],
)
def test_source_list_usage_filters(client, reviewer, library, usage, expected):
    client.force_login(reviewer)
    response = client.get(reverse("annotations:source-list"), {"usage": usage})
    assert titles(response) == expected


def test_source_list_search_and_reliability_filter(client, reviewer, library):
    backing = library[0]
    backing.reliability = Source.Reliability.PRIMARY_OFFICIAL
    backing.save()
    client.force_login(reviewer)
    response = client.get(reverse("annotations:source-list"), {"q": "report"})
    assert titles(response) == ["Cited report"]
    response = client.get(reverse("annotations:source-list"), {"reliability": "primary_official"})
    assert titles(response) == ["Backing bulletin"]
    response = client.get(reverse("annotations:source-list"), {"reliability": "unrated"})
    assert titles(response) == ["Cited report", "Unused page"]


def test_source_detail_lists_the_claims_citing_it(client, reviewer, library):
    backing = library[0]
    client.force_login(reviewer)
    response = client.get(reverse("annotations:source-detail", args=[backing.pk]))
    page = response.content.decode()
    assert "1 claim, 1 approved verdict" in page
    assert "Approved" in page and "Accurate" in page
    # Reviewers see the rating but no form to change it.
    assert reverse("annotations:source-reliability", args=[backing.pk]) not in page


def test_much_cited_source_lists_its_citations_newest_first_a_page_at_a_time(
    client, reviewer, django_assert_num_queries
):
    source = SourceFactory(title="National statistics")
    article = ArticleFactory(title="Buses carry record numbers")
    start = timezone.now() - datetime.timedelta(days=60)
    for n in range(53):
        claim = ClaimFactory(article=article, statement=f"Statement number {n:02d}.")
        CitationFactory(claim=claim, source=source, created_at=start + datetime.timedelta(days=n))
    verdict = Verdict.objects.get(label="Accurate")
    Claim.objects.filter(pk=claim.pk).update(state=Claim.State.APPROVED, verdict=verdict)
    client.force_login(reviewer)
    path = reverse("annotations:source-detail", args=[source.pk])
    # session, user with their role groups (one query), the source with its usage, its snapshots,
    # the citations' count, the page of citations with claims, articles and verdicts (their shown
    # columns: no query per row for a deferred one).
    with django_assert_num_queries(6):
        page = client.get(path).content.decode()
    assert "53 claims" in page
    assert page.count("Statement number") == 50
    assert "Statement number 52" in page and "Statement number 03" in page
    assert "Statement number 02" not in page
    assert "Citations 1–50 of 53, newest first" in page
    # Each row: the claim, its article's title, the relation, the state and verdict.
    assert page.count("Buses carry record numbers") == 50
    assert re.search(r"Statement number 52.*?Approved\s*· Accurate", page, re.S)
    older = client.get(path, {"page": 2}).content.decode()
    assert [f"Statement number 0{n}" in older for n in range(3)] == [True] * 3
    assert older.count("Statement number") == 3
    assert "Citations 51–53 of 53" in older


def test_source_detail_escapes_text_and_links_only_http_urls(client, reviewer):
    source = SourceFactory(title="<script>alert(1)</script>", notes="<b>note</b>")
    Source.objects.filter(pk=source.pk).update(archive_url="javascript:alert(1)")
    client.force_login(reviewer)
    page = client.get(reverse("annotations:source-detail", args=[source.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;note&lt;/b&gt;" in page
    assert 'href="javascript:' not in page


def test_reliability_edit_is_refused_for_reviewers(client, reviewer):
    source = SourceFactory()
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:source-reliability", args=[source.pk]),
        {"reliability": "known_unreliable", "reliability_rationale": "I say so"},
    )
    assert response.status_code == 403
    source.refresh_from_db()
    assert source.reliability == ""


@pytest.mark.parametrize("who", ["editor", "admin_user"])
def test_editors_and_admins_rate_reliability_with_a_rationale(client, request, who):
    user = request.getfixturevalue(who)
    source = SourceFactory()
    client.force_login(user)
    response = client.post(
        reverse("annotations:source-reliability", args=[source.pk]),
        {
            "version": source.version,
            "reliability": "primary_official",
            "reliability_rationale": "The statistics office.",
        },
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.reliability == Source.Reliability.PRIMARY_OFFICIAL
    assert source.reliability_rationale == "The statistics office."
    assert source.history.first().history_user == user


def test_reliability_rating_without_a_rationale_is_refused_in_the_partial(client, editor):
    source = SourceFactory()
    client.force_login(editor)
    response = client.post(
        reverse("annotations:source-reliability", args=[source.pk]),
        {"version": source.version, "reliability": "unverified", "reliability_rationale": " "},
        headers={"HX-Request": "true", "HX-Target": "source-reliability"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="source-reliability"' in page
    assert "Say why the source gets this rating." in page
    source.refresh_from_db()
    assert source.reliability == ""


def test_reliability_saved_over_htmx_returns_the_updated_partial(client, editor):
    source = SourceFactory()
    client.force_login(editor)
    response = client.post(
        reverse("annotations:source-reliability", args=[source.pk]),
        {
            "version": source.version,
            "reliability": "peer_reviewed",
            "reliability_rationale": "Published in a journal.",
        },
        headers={"HX-Request": "true", "HX-Target": "source-reliability"},
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "Peer-reviewed research" in page and "Published in a journal." in page
    source.refresh_from_db()
    assert source.reliability == Source.Reliability.PEER_REVIEWED


def test_unknown_source_is_404(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("annotations:source-detail", args=[999])).status_code == 404


# --- Model rules --------------------------------------------------------------------------------


def test_duplicate_is_reported_with_the_existing_title(reviewer):
    from django.core.exceptions import ValidationError

    SourceFactory(title="Bus statistics", url="https://stats.example/buses")
    duplicate = Source(title="Again", url="HTTPS://stats.example/buses/?utm_source=x")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already in the library as “Bus statistics”" in error.value.message_dict["url"][0]


def test_with_usage_counts_claims_once_however_many_citations(library):
    backing = library[0]
    claim = backing.citations.first().claim
    CitationFactory(claim=claim, source=backing, relation="context")
    counted = Source.objects.with_usage().get(pk=backing.pk)
    assert counted.claim_count == 1
    assert counted.approved_verdict_count == 1
    assert list(Source.objects.unused()) == [library[2]]
    assert list(Source.objects.backing_approved_verdicts()) == [backing]


def test_merge_into_itself_is_refused(admin_user):
    source = SourceFactory()
    with pytest.raises(ValueError):
        source.merge_into(source, by=admin_user)


@pytest.mark.parametrize(
    ("url", "linked"),
    [("https://stats.example.org/bulletin", True), ("javascript:alert(1)", False)],
)
def test_a_sources_address_is_a_link_only_when_http(client, reviewer, url, linked):
    """The source list, the source's page and the claim panel's citations link a source's
    address (and its archived copy's) when it is http(s), and never put anything else in a
    link."""
    citation = CitationFactory(source__title="Bus counts bulletin")
    Source.objects.filter(pk=citation.source.pk).update(url=url, archive_url=url)
    client.force_login(reviewer)
    pages = {
        "list": client.get(reverse("annotations:source-list")),
        "page": client.get(reverse("annotations:source-detail", args=[citation.source.pk])),
        "panel": client.get(
            reverse(
                "annotations:claim-detail",
                args=[citation.claim.article_id, citation.claim.pk],
            )
        ),
    }
    for where, response in pages.items():
        page = response.content.decode()
        assert response.status_code == 200, where
        assert (f'href="{url}"' in page) is linked, where
        assert 'href="javascript:' not in page, where
        assert "Bus counts bulletin" in page, where  # the source is shown either way
    # The page links both the live address and the archived copy.
    assert pages["page"].content.decode().count(f'href="{url}"') >= (2 if linked else 0)
