"""The claim panel through the client: creating claims, editing, citations, the workflow."""

import re
from html import unescape

import pytest
from django.urls import reverse

from annotations.models import Citation, Claim, Comment, Role, Source, User, Verdict
from tests.factories import (
    ArticleFactory,
    CitationFactory,
    ClaimFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PANEL = {"HX-Request": "true", "HX-Target": "claim-panel"}


def url(name, claim, **extra):
    return reverse(
        f"annotations:{name}", kwargs={"article_pk": claim.article_id, "pk": claim.pk, **extra}
    )


def create_url(article):
    return reverse("annotations:claim-create", args=[article.pk])


def post_panel(client, address, data):
    response = client.post(address, data, headers=PANEL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    return html


@pytest.fixture
def accurate():
    return Verdict.objects.get(label="Accurate")


# --- Creating a claim ---------------------------------------------------------------------------


def test_selection_creates_a_claim_and_returns_body_list_and_panel(client, reviewer, article):
    client.force_login(reviewer)
    start = article.body.index("12.4 million")
    html = post_panel(
        client,
        create_url(article),
        {"start": start, "end": start + 12, "quote": "12.4 million", "category": "statistic"},
    )
    claim = Claim.objects.get()
    assert (claim.start, claim.end, claim.quote) == (start, start + 12, "12.4 million")
    assert claim.created_by == reviewer
    assert 'id="claim-panel"' in html
    # The first claim: the whole list, and the paragraph with the new highlight.
    assert 'id="claim-list"' in html and "innerHTML:#article-body" in html
    assert f'data-claims="{claim.pk}"' in html
    assert "Claim added." in html


def test_selection_with_surrounding_space_is_trimmed(client, reviewer, article):
    client.force_login(reviewer)
    start = article.body.index("12.4 million")
    post_panel(
        client,
        create_url(article),
        {"start": start - 1, "end": start + 13, "quote": " 12.4 million ", "category": "other"},
    )
    assert Claim.objects.get().quote == "12.4 million"


def test_offsets_are_code_points_after_emoji_and_other_scripts(client, reviewer):
    article = ArticleFactory(body="Bus 🚌 公共汽车 riders rose by 8% this year.")
    client.force_login(reviewer)
    start = article.body.index("8%")
    post_panel(
        client,
        create_url(article),
        {"start": start, "end": start + 2, "quote": "8%", "category": "other"},
    )
    assert Claim.objects.get().quote == "8%"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select some words"),
        ({"start": 5, "end": 5, "quote": ""}, "Select some words"),
        ({"start": 5, "end": 5, "quote": "x"}, "outside the article"),
        ({"start": 0, "end": 99_999, "quote": "x"}, "outside the article"),
        ({"start": 0, "end": 10, "quote": "Not there"}, "does not match"),
        ({"start": "a", "end": 10, "quote": "x"}, "Select some words"),
    ],
)
def test_bad_selection_is_refused_in_the_panel_and_nothing_saved(
    client, reviewer, article, data, message
):
    client.force_login(reviewer)
    html = post_panel(client, create_url(article), {"category": "other", **data})
    assert message in html
    assert 'role="alert"' in html
    assert not Claim.objects.exists()


def test_absurdly_long_selection_is_refused(client, reviewer):
    article = ArticleFactory(body="word " * 3000)
    client.force_login(reviewer)
    html = post_panel(
        client,
        create_url(article),
        {"start": 0, "end": 14000, "quote": article.body[:14000], "category": "other"},
    )
    assert "too long" in html
    assert not Claim.objects.exists()


def test_whitespace_only_selection_is_refused_as_empty(client, reviewer, article):
    client.force_login(reviewer)
    gap = article.body.index("\n\n")
    html = post_panel(
        client,
        create_url(article),
        {"start": gap, "end": gap + 2, "quote": "\n\n", "category": "other"},
    )
    assert "The selection is empty" in html


def test_get_shows_the_new_claim_form_with_the_quote(client, reviewer, article):
    client.force_login(reviewer)
    start = article.body.index("94%")
    response = client.get(
        create_url(article), {"start": start, "end": start + 3, "quote": "94%"}, headers=PANEL
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "New claim" in html and "94%" in html
    assert not Claim.objects.exists()


def test_claim_create_without_htmx_redirects_to_the_claim(client, reviewer, article):
    client.force_login(reviewer)
    response = client.post(
        create_url(article), {"start": 0, "end": 3, "quote": "The", "category": "other"}
    )
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("claim-detail", claim)


def test_claim_create_is_rate_limited(client, reviewer, article, settings):
    settings.FACTCHECK_RATE_LIMITS = {"claim-create": "2/m"}
    client.force_login(reviewer)
    data = {"start": 0, "end": 3, "quote": "The", "category": "other"}
    for _ in range(2):
        client.post(create_url(article), data, headers=PANEL)
    assert client.post(create_url(article), data, headers=PANEL).status_code == 429


# --- The panel ----------------------------------------------------------------------------------


def test_claim_panel_is_a_fragment_for_htmx_and_a_page_otherwise(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    fragment = client.get(url("claim-detail", claim), headers=PANEL).content.decode()
    assert "<html" not in fragment and f"Claim {claim.pk}" in fragment
    page = client.get(url("claim-detail", claim)).content.decode()
    assert "<html" in page and f"Claim {claim.pk}" in page and 'id="article-body"' in page


def test_claim_of_another_article_is_404(client, reviewer):
    claim = ClaimFactory()
    other = ArticleFactory()
    client.force_login(reviewer)
    address = reverse("annotations:claim-detail", kwargs={"article_pk": other.pk, "pk": claim.pk})
    assert client.get(address).status_code == 404
    assert (
        client.get(reverse("annotations:claim-detail", args=[claim.article_id, 999999])).status_code
        == 404
    )


def test_claim_panel_query_count_does_not_grow(client, reviewer, django_assert_num_queries):
    few, many = ClaimFactory(), ClaimFactory()
    for claim, count in ((few, 2), (many, 25)):
        for _ in range(count):
            CitationFactory(claim=claim)
            Comment.objects.create(claim=claim, author=reviewer, body="Looks right")
    client.force_login(reviewer)
    for claim in (few, many):
        # session, user with their role groups (roles.SignedInUserBackend: one query, was two),
        # claim with its people and verdict, citations with sources, comments with authors,
        # verdict options, assignee options
        with django_assert_num_queries(7):
            client.get(url("claim-detail", claim), headers=PANEL)


def test_anyone_able_to_review_can_be_assigned_and_nobody_else(client, reviewer):
    claim = ClaimFactory()
    users = User.objects
    chief = users.create_superuser("chief", "chief@example.org", "x")  # no role group
    gone = users.create_user("gone", is_active=False)
    gone.groups.add(*reviewer.groups.all())
    nobody = users.create_user("nobody")
    client.force_login(reviewer)
    panel = client.get(url("claim-detail", claim), headers=PANEL).content.decode()
    options = panel[panel.index('name="assignee"') :].split("</select>")[0]
    assert f'value="{chief.pk}"' in options and f'value="{reviewer.pk}"' in options
    assert f'value="{gone.pk}"' not in options and f'value="{nobody.pk}"' not in options
    dashboard = client.get(reverse("annotations:article-list")).content.decode()
    choices = dashboard[dashboard.index('name="assignee"') :].split("</select>")[0]
    assert f'value="{chief.pk}"' in choices and f'value="{nobody.pk}"' not in choices


def test_edit_saves_details_and_assignee(client, reviewer, reviewer2):
    claim = ClaimFactory()
    client.force_login(reviewer)
    html = post_panel(
        client,
        url("claim-update", claim),
        {
            "version": 1,
            "statement": "Buses carried 12.4m passengers in 2024",
            "claimant": "City council",
            "claim_date": "2024-03-01",
            "category": "statistic",
            "assignee": reviewer2.pk,
        },
    )
    claim.refresh_from_db()
    assert claim.statement == "Buses carried 12.4m passengers in 2024"
    assert claim.assignee == reviewer2
    assert claim.version == 2
    assert "Saved." in html


def test_stale_edit_is_refused_and_shows_the_newer_values(client, reviewer, reviewer2):
    claim = ClaimFactory(statement="Original")
    claim.edit(by=reviewer2, version=1, statement="Their newer statement")
    client.force_login(reviewer)
    html = post_panel(
        client,
        url("claim-update", claim),
        {
            "version": 1,
            "statement": "My stale statement",
            "claimant": "",
            "claim_date": "",
            "category": "statistic",
            "assignee": "",
        },
    )
    claim.refresh_from_db()
    assert claim.statement == "Their newer statement"
    assert "Someone else saved this claim" in html
    assert "Their newer statement" in html
    assert "My stale statement" in html  # what the user typed is not lost


def test_script_in_statement_and_comment_is_escaped(client, reviewer):
    claim = ClaimFactory(statement="<script>alert(1)</script>")
    client.force_login(reviewer)
    html = post_panel(
        client, url("claim-comment", claim), {"body": "<script>x()</script>\nsecond line"}
    )
    assert "<script>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;<br>second line" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_comment_is_refused(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    html = post_panel(client, url("claim-comment", claim), {"body": ""})
    assert "This field is required" in html
    assert not Comment.objects.exists()


# --- Citations ----------------------------------------------------------------------------------


def test_source_search_finds_by_title_url_and_publisher(client, reviewer):
    SourceFactory(
        title="Harbour ferry statistics",
        url="https://ferries.example/stats",
        publisher="Port board",
    )
    client.force_login(reviewer)
    headers = {"HX-Request": "true", "HX-Target": "source-results"}
    for q in ("ferry", "ferries.example", "port board"):
        html = client.get(
            reverse("annotations:source-search"), {"q": q}, headers=headers
        ).content.decode()
        assert "Harbour ferry statistics" in html and "<html" not in html
    html = client.get(
        reverse("annotations:source-search"), {"q": "zzz"}, headers=headers
    ).content.decode()
    assert "No source in the library matches" in html


def test_cite_a_new_source_with_a_quote(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    html = post_panel(
        client,
        url("citation-create", claim),
        {
            "version": 1,
            "new_title": "Annual bus report",
            "new_url": "HTTPS://Buses.Example/report/?utm_source=x",
            "new_publisher": "Transit office",
            "new_kind": "government_report",
            "relation": "supports",
            "quote": "12.4 million journeys",
            "locator": "p. 4",
        },
    )
    citation = Citation.objects.get()
    assert citation.source.url == "https://buses.example/report"
    assert citation.quote == "12.4 million journeys"
    assert citation.source.created_by == reviewer
    assert "Annual bus report" in html
    claim.refresh_from_db()
    assert claim.version == 2 and claim.state == Claim.State.IN_PROGRESS


def test_duplicate_source_url_offers_the_existing_source(client, reviewer):
    existing = SourceFactory(title="Bus bulletin", url="https://stats.example/bus")
    claim = ClaimFactory()
    client.force_login(reviewer)
    data = {
        "version": 1,
        "new_title": "Again",
        "new_url": "https://STATS.example/bus/",
        "relation": "supports",
    }
    html = post_panel(client, url("citation-create", claim), data)
    assert "already in the library" in html
    assert f'value="{existing.pk}" checked' in html
    assert Source.objects.count() == 1
    post_panel(client, url("citation-create", claim), {**data, "source": existing.pk})
    assert Citation.objects.get().source == existing


def test_javascript_source_url_is_refused(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    html = post_panel(
        client,
        url("citation-create", claim),
        {
            "version": 1,
            "new_title": "Bad",
            "new_url": "javascript:alert(1)",
            "relation": "supports",
        },
    )
    assert "Only http:// and https://" in html
    assert not Source.objects.exists()


def test_remove_a_citation(client, reviewer):
    citation = CitationFactory()
    claim = citation.claim
    client.force_login(reviewer)
    post_panel(
        client, url("citation-delete", claim, citation_pk=citation.pk), {"version": claim.version}
    )
    assert not Citation.objects.exists()
    assert Citation.history.filter(history_type="-").exists()


# --- Workflow through the panel -----------------------------------------------------------------


def test_propose_then_a_second_editor_approves(client, reviewer, editor, accurate):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    client.force_login(reviewer)
    html = post_panel(
        client,
        url("claim-propose", claim),
        {"version": claim.version, "verdict": accurate.pk, "explanation": "Matches\nTable 1"},
    )
    assert "awaits an editor" in html
    claim.refresh_from_db()
    client.force_login(editor)
    html = post_panel(client, url("claim-approve", claim), {"version": claim.version})
    claim.refresh_from_db()
    assert claim.state == Claim.State.APPROVED and claim.approved_by == editor
    assert f'class="hl verdict-{accurate.pk}"' in html


def test_a_reviewer_who_proposed_a_verdict_is_told_an_editor_approves_it(
    client, reviewer, accurate
):
    claim = ClaimFactory()
    client.force_login(reviewer)
    html = post_panel(
        client,
        url("claim-propose", claim),
        {"version": claim.version, "verdict": accurate.pk, "explanation": ""},
    )
    assert "You proposed this verdict: an editor has to approve it." in html
    assert "second editor" not in html  # the reviewer is not an editor


def test_editor_cannot_approve_own_verdict(client, editor, accurate):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    client.force_login(editor)
    html = post_panel(
        client,
        url("claim-propose", claim),
        {"version": claim.version, "verdict": accurate.pk, "explanation": ""},
    )
    # The button is there but disabled, with the reason beside it.
    assert re.search(r"<button[^>]*\bdisabled\b[^>]*>Approve verdict</button>", html)
    assert "a second editor has to approve it" in html
    claim.refresh_from_db()
    html = post_panel(client, url("claim-approve", claim), {"version": claim.version})
    assert "a second editor has to approve it" in html
    claim.refresh_from_db()
    assert claim.state == Claim.State.NEEDS_REVIEW


def test_approval_without_citation_is_refused(client, reviewer, editor, accurate):
    claim = ClaimFactory()
    claim.propose_verdict(by=reviewer, version=1, verdict=accurate)
    client.force_login(editor)
    html = post_panel(client, url("claim-approve", claim), {"version": claim.version})
    assert "Cite at least one source" in html
    claim.refresh_from_db()
    assert claim.state == Claim.State.NEEDS_REVIEW


def test_reviewer_cannot_approve(client, reviewer2, reviewer, accurate):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=accurate)
    client.force_login(reviewer2)
    assert (
        client.post(
            url("claim-approve", claim), {"version": claim.version}, headers=PANEL
        ).status_code
        == 403
    )


def test_the_panel_offers_the_people_and_verdicts_of_the_plain_queries_in_their_order(
    client, reviewer, editor
):
    """The assignee and verdict options are read as rows from SQL compiled once
    (``constant_rows``): the same ids, names and order as the model querysets give, with
    whichever names people have, in two groups or none, and after the lists change."""
    claim = ClaimFactory()
    users = User.objects
    users.create_superuser("chief", "chief@example.org", "x", first_name="Ada", last_name="")
    both = UserFactory(username="both", first_name="Bo", last_name='O"Hara <b>', role=Role.EDITOR)
    both.groups.add(*reviewer.groups.all())
    UserFactory(username="aaron", first_name="", last_name="Zed", role=Role.REVIEWER)
    client.force_login(reviewer)

    def offered(name):
        panel = client.get(url("claim-detail", claim), headers=PANEL).content.decode()
        select = panel[panel.index(f'name="{name}"') :].split("</select>")[0]
        return [
            (v, unescape(label)) for v, label in re.findall(r'value="(\d+)"[^>]*>([^<]*)<', select)
        ]

    def plain(queryset):
        return [(str(obj.pk), str(obj)) for obj in queryset]

    assert offered("assignee") == plain(User.objects.able_to_review())
    # By username: aaron, both, chief; a name with quotes and brackets comes back as typed.
    assert [label for _, label in offered("assignee")][:3] == ["Zed", 'Bo O"Hara <b>', "Ada"]
    assert offered("verdict") == plain(Verdict.objects.active())
    Verdict.objects.create(label="Misleading <sic>", colour="#aa8800", order=0)
    UserFactory(username="newcomer", role=Role.REVIEWER)
    assert offered("verdict") == plain(Verdict.objects.active())
    assert offered("assignee") == plain(User.objects.able_to_review())


def test_retired_verdict_is_not_offered_but_still_shown(client, reviewer):
    retired = Verdict.objects.create(label="Half true", colour="#aa8800", is_active=False)
    claim = ClaimFactory(verdict=retired)
    client.force_login(reviewer)
    html = client.get(url("claim-detail", claim), headers=PANEL).content.decode()
    assert "Half true" in html and "(retired)" in html
    assert f'<option value="{retired.pk}"' not in html


def test_send_back_requires_a_reason(client, reviewer, editor, accurate):
    claim = ClaimFactory()
    claim.propose_verdict(by=reviewer, version=1, verdict=accurate)
    client.force_login(editor)
    html = post_panel(
        client, url("claim-send-back", claim), {"version": claim.version, "reason": ""}
    )
    assert "This field is required" in html
    post_panel(
        client, url("claim-send-back", claim), {"version": claim.version, "reason": "Which year?"}
    )
    claim.refresh_from_db()
    assert claim.state == Claim.State.SENT_BACK and claim.sent_back_reason == "Which year?"


def test_delete_asks_first_then_deletes_and_keeps_history(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    confirm = client.get(url("claim-delete", claim), headers=PANEL).content.decode()
    assert "Delete claim" in confirm
    assert Claim.objects.exists()
    html = post_panel(client, url("claim-delete", claim), {"version": 1})
    assert "Claim deleted" in html
    assert not Claim.objects.exists()
    assert Claim.history.filter(id=claim.pk, history_type="-").exists()


def test_history_shows_who_changed_what_including_citations(client, reviewer, editor, accurate):
    claim = ClaimFactory(statement="Old words")
    claim.edit(by=reviewer, version=1, statement="New words")
    claim.add_citation(
        by=reviewer, version=claim.version, source=SourceFactory(title="Fleet report")
    )
    client.force_login(editor)
    headers = {"HX-Request": "true", "HX-Target": "claim-history"}
    html = client.get(url("claim-history", claim), headers=headers).content.decode()
    assert "<html" not in html
    assert "Old words" in html and "New words" in html
    assert "checkable statement" in html.lower()
    assert "cited “Fleet report”" in html
    assert reviewer.username in html
