"""The JSON API (/api/v1/): tokens, the workflow as the pages have it, versions and ETags,
problem details, paging, rate limits, CSRF for sessions and CORS."""

import pytest
from django.test import Client
from django.urls import reverse

from annotations.api import representations as rep
from annotations.models import ApiToken, Article, Citation, Claim, Notification, Source, Verdict
from tests.api_support import claim_body, token_client
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

CLAIMS = reverse("api-v1:claim-list")


def claim_url(claim_id: int) -> str:
    return reverse("api-v1:claim-detail", args=[claim_id])


def create_claim(client, article, needle="12.4 million passengers", **fields):
    response = client.post(CLAIMS, claim_body(article, needle, **fields), "application/json")
    assert response.status_code == 201, response.content
    return response


def assert_problem(response, status: int, words: str = ""):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"]
    if words:
        assert words in problem.get("detail", "") + str(problem.get("errors", "")), problem
    return problem


# --- Tokens ---------------------------------------------------------------------------------


def test_a_request_without_a_token_gets_401_with_a_problem_and_a_challenge():
    response = Client().get(CLAIMS)
    assert_problem(response, 401, "token")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_or_malformed_token_is_refused():
    for header in ("Bearer fct_nonsense", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        response = Client(headers={"Authorization": header}).get(CLAIMS)
        assert_problem(response, 401)


def test_a_revoked_token_stops_working_at_once(reviewer):
    token, secret = ApiToken.issue(reviewer, "cms")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get(CLAIMS).status_code == 200
    token.revoke(by=reviewer)
    assert_problem(client.get(CLAIMS), 401, "revoked")


def test_an_inactive_users_tokens_are_dead(reviewer):
    client = token_client(reviewer)
    reviewer.is_active = False
    reviewer.save()
    assert_problem(client.get(CLAIMS), 401)


def test_a_token_acts_with_its_owners_role_and_nothing_more(reviewer, article):
    client = token_client(reviewer)
    created = create_claim(client, article).json()
    response = client.post(reverse("api-v1:claim-approve", args=[created["id"]]))
    assert_problem(response, 403, "Editor")


def test_an_account_without_a_role_is_refused_everywhere():
    from tests.factories import UserFactory

    client = token_client(UserFactory(username="norole"))
    assert_problem(client.get(CLAIMS), 403)


def test_the_token_records_when_it_was_last_used(reviewer):
    token, secret = ApiToken.issue(reviewer, "cms")
    assert token.last_used_at is None
    Client(headers={"Authorization": f"Bearer {secret}"}).get(CLAIMS)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_only_a_hash_of_the_secret_is_stored(reviewer):
    token, secret = ApiToken.issue(reviewer, "cms")
    stored = ApiToken.objects.filter(pk=token.pk).values()[0]
    assert secret not in str(stored)
    assert stored["key_hash"] == ApiToken.hash_secret(secret)


# --- Claims: creating, reading, versions -----------------------------------------------------


def test_creating_a_claim_answers_201_with_its_location_etag_and_representation(reviewer, article):
    response = create_claim(client := token_client(reviewer), article, statement="12.4m riders")
    data = rep.ClaimOut.model_validate(response.json())
    assert response["Location"] == claim_url(data.id)
    assert response["ETag"] == f'"claim-{data.id}-v1"'
    assert data.quote == "12.4 million passengers" and data.statement == "12.4m riders"
    claim = Claim.objects.get(pk=data.id)
    assert claim.created_by == reviewer
    assert client.get(claim_url(data.id)).json()["statement"] == "12.4m riders"


def test_a_quote_that_is_not_the_text_at_its_offsets_is_refused_and_nothing_is_saved(
    reviewer, article
):
    body = claim_body(article, "12.4 million passengers") | {"quote": "13 million passengers"}
    response = token_client(reviewer).post(CLAIMS, body, "application/json")
    assert_problem(response, 422, "does not match")
    assert not Claim.objects.exists()


def test_a_missing_field_is_named_in_the_problem(reviewer, article):
    response = token_client(reviewer).post(CLAIMS, {"article": article.pk}, "application/json")
    problem = assert_problem(response, 422)
    assert {"start", "end", "quote"} <= set(problem["errors"])


def test_if_none_match_with_the_current_etag_answers_304(reviewer):
    claim = ClaimFactory()
    client = token_client(reviewer)
    first = client.get(claim_url(claim.pk))
    again = client.get(claim_url(claim.pk), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    listed = client.get(CLAIMS)
    assert client.get(CLAIMS, headers={"If-None-Match": listed["ETag"]}).status_code == 304


def test_a_change_without_if_match_is_refused_with_428(reviewer):
    claim = ClaimFactory()
    response = token_client(reviewer).patch(
        claim_url(claim.pk), {"statement": "new"}, "application/json"
    )
    assert_problem(response, 428, "If-Match")
    claim.refresh_from_db()
    assert claim.statement != "new"


def test_a_stale_write_answers_412_with_the_current_claim_and_keeps_the_newer_text(
    reviewer, reviewer2
):
    claim = ClaimFactory()
    mine, theirs = token_client(reviewer), token_client(reviewer2)
    etag = mine.get(claim_url(claim.pk))["ETag"]
    saved = theirs.patch(
        claim_url(claim.pk), {"statement": "theirs"}, "application/json", headers={"If-Match": etag}
    )
    assert saved.status_code == 200 and saved["ETag"] != etag
    stale = mine.patch(
        claim_url(claim.pk), {"statement": "mine"}, "application/json", headers={"If-Match": etag}
    )
    problem = assert_problem(stale, 412)
    assert problem["current"]["statement"] == "theirs"
    assert stale["ETag"] == saved["ETag"]
    # Said to a program: the version stored now and the ETag to retry with, not the page's
    # "their version is shown below".
    assert "shown below" not in problem["detail"]
    assert f"version {claim.version + 1} now" in problem["detail"]
    assert f"If-Match: {saved['ETag']}" in problem["detail"]
    claim.refresh_from_db()
    assert claim.statement == "theirs"


def test_an_if_match_naming_another_claim_or_no_version_answers_412_not_a_version_error(
    reviewer,
):
    """A script that sends the ETag of the wrong claim (or a mangled one) is told the claim is
    not the one it read, with the claim as it is, for every write; it is not told about a
    "version" field it never sent, and nothing is written."""
    claim, other = ClaimFactory(), ClaimFactory()
    verdict = Verdict.objects.filter(is_active=True).first()
    client = token_client(reviewer)
    wrong_tags = [client.get(claim_url(other.pk))["ETag"], f'"claim-{claim.pk}-v0"', '"abc"']
    writes = [
        lambda tag: client.patch(
            claim_url(claim.pk),
            {"statement": "mine"},
            "application/json",
            headers={"If-Match": tag},
        ),
        lambda tag: client.post(
            reverse("api-v1:claim-propose", args=[claim.pk]),
            {"verdict": verdict.pk, "explanation": "Table 2."},
            "application/json",
            headers={"If-Match": tag},
        ),
        lambda tag: client.post(
            reverse("api-v1:citation-list", args=[claim.pk]),
            {"source": SourceFactory().pk, "relation": "supports"},
            "application/json",
            headers={"If-Match": tag},
        ),
    ]
    for tag in wrong_tags:
        for write in writes:
            problem = assert_problem(
                write(tag), 412, f'send it with If-Match: "claim-{claim.pk}-v{claim.version}"'
            )
            assert problem["current"]["id"] == claim.pk
            assert "errors" not in problem
    stored = Claim.objects.get(pk=claim.pk)
    assert stored.version == claim.version and stored.statement == claim.statement
    assert not stored.citations.exists() and stored.verdict is None


def test_patch_changes_only_the_fields_sent(reviewer):
    claim = ClaimFactory(claimant="The mayor")
    client = token_client(reviewer)
    etag = client.get(claim_url(claim.pk))["ETag"]
    response = client.patch(
        claim_url(claim.pk),
        {"statement": "Buses carried 12.4m", "assignee": reviewer.username},
        "application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 200, response.content
    claim.refresh_from_db()
    assert claim.statement == "Buses carried 12.4m" and claim.claimant == "The mayor"
    assert claim.assignee == reviewer and claim.state == Claim.State.IN_PROGRESS


def test_a_bad_value_names_its_field_and_loses_nothing(reviewer):
    claim = ClaimFactory()
    client = token_client(reviewer)
    etag = client.get(claim_url(claim.pk))["ETag"]
    response = client.patch(
        claim_url(claim.pk),
        {"claimant_same_as": "not an address"},
        "application/json",
        headers={"If-Match": etag},
    )
    problem = assert_problem(response, 422)
    assert "claimant_same_as" in problem["errors"]
    assert Claim.objects.get(pk=claim.pk).version == claim.version


# --- The workflow, as the pages have it -------------------------------------------------------


def _propose(client, claim_id, verdict):
    etag = client.get(claim_url(claim_id))["ETag"]
    return client.post(
        reverse("api-v1:claim-propose", args=[claim_id]),
        {"verdict": verdict.pk, "explanation": "The bulletin says so."},
        "application/json",
        headers={"If-Match": etag},
    )


def _approve(client, claim_id):
    etag = client.get(claim_url(claim_id))["ETag"]
    return client.post(reverse("api-v1:claim-approve", args=[claim_id]), headers={"If-Match": etag})


def test_the_two_person_rule_holds_through_the_api(editor, admin_user):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    verdict = Verdict.objects.active().first()
    proposer, other = token_client(editor), token_client(admin_user)
    proposed = _propose(proposer, claim.pk, verdict)
    assert proposed.status_code == 200 and proposed.json()["state"] == "needs_review"
    assert_problem(_approve(proposer, claim.pk), 409, "second editor")
    approved = _approve(other, claim.pk)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert approved.json()["approved_by"] == admin_user.username


def test_approval_needs_a_cited_source(editor, admin_user):
    claim = ClaimFactory()
    _propose(token_client(editor), claim.pk, Verdict.objects.active().first())
    assert_problem(_approve(token_client(admin_user), claim.pk), 409, "Cite at least one")
    assert Claim.objects.get(pk=claim.pk).state == Claim.State.NEEDS_REVIEW


def test_a_retired_verdict_is_refused_as_on_the_page(reviewer):
    claim = ClaimFactory()
    retired = Verdict.objects.create(label="Old", colour="#000000", is_active=False, order=99)
    problem = assert_problem(_propose(token_client(reviewer), claim.pk, retired), 422)
    assert "verdict" in problem["errors"]


def test_sending_back_needs_a_reason_and_records_it(reviewer, editor):
    claim = ClaimFactory()
    _propose(token_client(reviewer), claim.pk, Verdict.objects.active().first())
    client = token_client(editor)
    url = reverse("api-v1:claim-send-back", args=[claim.pk])
    etag = client.get(claim_url(claim.pk))["ETag"]
    assert_problem(
        client.post(url, {"reason": ""}, "application/json", headers={"If-Match": etag}), 422
    )
    response = client.post(
        url, {"reason": "Check the 2023 figure"}, "application/json", headers={"If-Match": etag}
    )
    assert response.json()["state"] == "sent_back"
    assert response.json()["sent_back_reason"] == "Check the 2023 figure"


def test_a_change_to_an_approved_claim_is_proposed_with_202_and_waits(editor, admin_user):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    _propose(token_client(editor), claim.pk, Verdict.objects.active().first())
    _approve(client := token_client(admin_user), claim.pk)
    etag = client.get(claim_url(claim.pk))["ETag"]
    response = client.patch(
        claim_url(claim.pk),
        {"statement": "Revised", "change_reason": "Typo"},
        "application/json",
        headers={"If-Match": etag},
    )
    assert response.status_code == 202
    claim.refresh_from_db()
    assert claim.statement != "Revised" and claim.pending_revision() is not None


def test_deleting_a_claim_keeps_its_history(reviewer):
    claim = ClaimFactory()
    client = token_client(reviewer)
    etag = client.get(claim_url(claim.pk))["ETag"]
    assert client.delete(claim_url(claim.pk), headers={"If-Match": etag}).status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert Claim.history.filter(id=claim.pk, history_type="-").exists()
    assert_problem(client.get(claim_url(claim.pk)), 404)


# --- Citations, sources, comments -------------------------------------------------------------


def test_citing_a_new_source_normalises_its_url_and_refuses_one_the_library_has(reviewer):
    claim = ClaimFactory()
    existing = SourceFactory(url="https://stats.example/bulletin")
    client = token_client(reviewer)
    url = reverse("api-v1:citation-list", args=[claim.pk])
    etag = client.get(claim_url(claim.pk))["ETag"]
    body = {"new_title": "Bulletin", "relation": "supports"}
    duplicate = client.post(
        url,
        body | {"new_url": "HTTPS://Stats.Example/bulletin?utm_source=x"},
        "application/json",
        headers={"If-Match": etag},
    )
    problem = assert_problem(duplicate, 409, "already in the library")
    assert problem["existing_source"]["id"] == existing.pk
    cited = client.post(
        url,
        body | {"new_url": "HTTPS://Data.Example/Table?utm_campaign=y"},
        "application/json",
        headers={"If-Match": etag},
    )
    assert cited.status_code == 200, cited.content
    assert cited.json()["citations"][0]["source"]["url"] == "https://data.example/Table"
    assert client.get(url).json()[0]["relation"] == "supports"


def test_removing_a_citation(reviewer):
    citation = CitationFactory()
    client = token_client(reviewer)
    etag = client.get(claim_url(citation.claim_id))["ETag"]
    url = reverse("api-v1:citation-detail", args=[citation.claim_id, citation.pk])
    assert client.delete(url, headers={"If-Match": etag}).status_code == 200
    assert not Citation.objects.filter(pk=citation.pk).exists()


def test_sources_are_created_normalised_and_duplicates_answer_409(reviewer):
    client = token_client(reviewer)
    url = reverse("api-v1:source-list")
    body = {"url": "https://WWW.Example.org/report?utm_source=feed", "title": "Report"}
    created = client.post(url, body, "application/json")
    assert created.status_code == 201, created.content
    assert created.json()["url"] == Source.objects.get().url
    again = client.post(url, body | {"url": "https://www.example.org/report"}, "application/json")
    problem = assert_problem(again, 409, "already in the library")
    assert again["Location"] == created["Location"]
    assert problem["existing_source"]["id"] == created.json()["id"]
    bad = client.post(url, {"url": "javascript:alert(1)", "title": "x"}, "application/json")
    assert_problem(bad, 422)
    assert Source.objects.count() == 1


def test_comments_are_listed_and_added(reviewer):
    claim = ClaimFactory()
    client = token_client(reviewer)
    url = reverse("api-v1:comment-list", args=[claim.pk])
    assert client.post(url, {"body": "Checked"}, "application/json").status_code == 201
    assert [c["body"] for c in client.get(url).json()] == ["Checked"]
    assert client.get(url).json()[0]["author"] == reviewer.username


def test_a_comment_through_the_api_notifies_whom_it_mentions_and_who_works_on_the_claim(
    reviewer, reviewer2, editor
):
    claim = ClaimFactory(created_by=reviewer)
    url = reverse("api-v1:comment-list", args=[claim.pk])
    posted = token_client(editor).post(url, {"body": "@raj, is this final?"}, "application/json")
    assert posted.status_code == 201, posted.content
    mention = Notification.objects.get(recipient=reviewer2)
    assert (mention.kind, mention.claim, mention.actor) == (
        Notification.Kind.MENTIONED,
        claim,
        editor,
    )
    assert mention.text == "@raj, is this final?"
    told = Notification.objects.get(recipient=reviewer)  # the claim's author
    assert told.kind == Notification.Kind.COMMENTED


def test_verdicts_and_search(reviewer):
    ClaimFactory(statement="Trams carried 7 million riders")
    client = token_client(reviewer)
    verdicts = client.get(reverse("api-v1:verdict-list")).json()
    assert [v["label"] for v in verdicts] == list(Verdict.objects.values_list("label", flat=True))
    found = client.get(reverse("api-v1:search"), {"q": "trams", "kind": "claim"}).json()
    assert found["items"][0]["title"].startswith("Trams carried")
    assert_problem(client.get(reverse("api-v1:search"), {"q": "x", "kind": "bogus"}), 400)


# --- Articles ---------------------------------------------------------------------------------


def test_an_article_shows_the_standfirst_its_standfirst_claims_point_into(reviewer):
    article = ArticleFactory(standfirst="Ridership rose 8% as fares froze for a second year.")
    client = token_client(reviewer)
    body = claim_body(article, "12.4 million passengers")
    start = article.standfirst.index("rose 8%")
    body |= {"part": "standfirst", "start": start, "end": start + 7, "quote": "rose 8%"}
    claim = client.post(CLAIMS, body, "application/json").json()
    shown = client.get(reverse("api-v1:article-detail", args=[article.pk])).json()
    assert shown["standfirst"] == article.standfirst
    assert shown[claim["part"]][claim["start"] : claim["end"]] == claim["quote"] == "rose 8%"
    assert shown["body"] == article.body and shown["title"] == article.title


def test_an_admin_imports_an_article_from_text_through_the_importer(admin_user, reviewer):
    url = reverse("api-v1:article-list")
    text = "# Ferries are late\n\nThe ferry ran late on 40% of days in March, the council said.\n"
    body = {"filename": "ferries.md", "text": text}
    assert_problem(token_client(reviewer).post(url, body, "application/json"), 403)
    client = token_client(admin_user)
    created = client.post(url, body, "application/json")
    assert created.status_code == 201, created.content
    article = Article.objects.get()
    assert created.json()["article"]["title"] == article.title == "Ferries are late"
    assert "40% of days" in created.json()["article"]["body"]
    again = client.post(url, body, "application/json")
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    bad = client.post(url, {"filename": "x.exe", "text": "x"}, "application/json")
    assert_problem(bad, 422, "x.exe")
    assert Article.objects.count() == 1


def test_an_uploaded_file_is_imported(admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("rail.txt", b"Rail fares rise\n\nFares rise 4.9% in March.\n")
    response = token_client(admin_user).post(reverse("api-v1:article-upload"), {"file": upload})
    assert response.status_code == 201, response.content
    assert response.json()["article"]["title"] == "Rail fares rise"


def test_articles_are_filtered_as_the_dashboard_filters(reviewer):
    wanted = ClaimFactory(state=Claim.State.NEEDS_REVIEW).article
    ArticleFactory()
    client = token_client(reviewer)
    response = client.get(reverse("api-v1:article-list"), {"claim_state": "needs_review"})
    assert [a["id"] for a in response.json()["items"]] == [wanted.pk]
    assert_problem(client.get(reverse("api-v1:article-list"), {"claim_state": "bogus"}), 422)


# --- Lists: cursors and query counts -----------------------------------------------------------


def test_claims_are_paged_by_cursor_without_gaps_or_repeats(reviewer):
    article = ArticleFactory()
    made = [ClaimFactory(article=article).pk for _ in range(5)]
    client = token_client(reviewer)
    seen, url = [], CLAIMS + f"?article={article.pk}&limit=2"
    while url:
        page = client.get(url).json()
        seen += [claim["id"] for claim in page["items"]]
        url = page["next"]
    assert seen == made
    assert_problem(client.get(CLAIMS, {"cursor": "garbage"}), 400)
    assert_problem(client.get(CLAIMS, {"limit": 1000}), 400)


@pytest.mark.parametrize("count", [3, 30])
def test_listing_claims_takes_as_many_queries_for_30_as_for_3(
    reviewer, django_assert_num_queries, count
):
    article = ArticleFactory()
    for _ in range(count):
        CitationFactory(claim=ClaimFactory(article=article))
    _token, secret = ApiToken.issue(reviewer, "q")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    client.get(CLAIMS)  # records the token's use: the minute after, no write
    # token and its user, the user's groups, the claims with verdicts and people, their
    # citations with sources
    with django_assert_num_queries(4):
        response = client.get(CLAIMS, {"article": article.pk, "limit": 100})
    assert len(response.json()["items"]) == count


# --- Sessions, CSRF, rate limits, CORS ---------------------------------------------------------


def test_a_session_may_read_but_writes_need_the_csrf_token(reviewer, article):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    assert client.get(CLAIMS).status_code == 200
    body = claim_body(article, "12.4 million passengers")
    assert_problem(client.post(CLAIMS, body, "application/json"), 403, "CSRF")
    client.get(reverse("annotations:article-list"))
    token = client.cookies["csrftoken"].value
    response = client.post(CLAIMS, body, "application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_token_requests_need_no_csrf_token(reviewer, article):
    _token, secret = ApiToken.issue(reviewer, "script")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})
    create_claim(client, article)


def test_creating_claims_is_rate_limited_as_on_the_page(reviewer, article, settings):
    settings.FACTCHECK_RATE_LIMITS = {**settings.FACTCHECK_RATE_LIMITS, "claim-create": "1/m"}
    client = token_client(reviewer)
    create_claim(client, article)
    body = claim_body(article, "94% of buses")
    response = client.post(CLAIMS, body, "application/json")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    assert Claim.objects.count() == 1


def test_cors_is_off_unless_origins_are_configured(reviewer, settings):
    client = token_client(reviewer)
    origin = {"Origin": "https://cms.example.org"}
    assert "Access-Control-Allow-Origin" not in client.get(CLAIMS, headers=origin)
    settings.CORS_ALLOWED_ORIGINS = ["https://cms.example.org"]
    allowed = client.get(CLAIMS, headers=origin)
    assert allowed["Access-Control-Allow-Origin"] == "https://cms.example.org"
    assert "Access-Control-Allow-Credentials" not in allowed
    other = client.get(CLAIMS, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other
    page = client.get(reverse("annotations:article-list"), headers=origin)
    assert "Access-Control-Allow-Origin" not in page


def test_assignee_filters_name_people_me_or_nobody(reviewer):
    mine = ClaimFactory(assignee=reviewer)
    nobodys = ClaimFactory()
    client = token_client(reviewer)
    ids = lambda params: [c["id"] for c in client.get(CLAIMS, params).json()["items"]]  # noqa: E731
    assert ids({"assignee": "me"}) == ids({"assignee": reviewer.username}) == [mine.pk]
    assert ids({"assignee": "none"}) == [nobodys.pk]
    assert_problem(client.get(CLAIMS, {"assignee": "nobody-here"}), 400, "nobody-here")
    articles = reverse("api-v1:article-list")
    assert [a["id"] for a in client.get(articles, {"assignee": "me"}).json()["items"]] == [
        mine.article_id
    ]
    assert_problem(client.get(articles, {"assignee": "none"}), 400)
