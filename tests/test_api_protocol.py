"""The W3C Web Annotation Protocol (Recommendation, 23 February 2017) on each article's claims.

One test per MUST and SHOULD of the protocol, named after its section: 4 Annotation Retrieval,
5 Annotation Containers (5.1 Container Retrieval, 5.2 Container Representations, 5.3 Paging,
5.4 Creating Annotations), 6 Annotation Management (6.1 Updating, 6.2 Deleting, 6.3 Errors).
Annotations themselves are checked with the W3C working group's JSON schemas.
"""

import json

import pytest
from django.urls import reverse

from annotations.api import protocol
from annotations.exporters.w3c import NAMESPACE
from annotations.models import Claim, Comment, Notification
from tests import w3c_support
from tests.api_support import token_client
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory

pytestmark = pytest.mark.django_db

PROFILE = "http://www.w3.org/ns/anno.jsonld"
LD = f'application/ld+json; profile="{PROFILE}"'
LDP = "http://www.w3.org/ns/ldp#"


@pytest.fixture
def client(reviewer):
    return token_client(reviewer)


@pytest.fixture
def claim(db):
    made = ClaimFactory()
    CitationFactory(claim=made)
    return made


def container_url(article_id: int) -> str:
    return reverse("api-v1:annotation-container", args=[article_id])


def annotation_url(claim) -> str:
    return reverse("api-v1:annotation", args=[claim.article_id, claim.pk])


def new_annotation(article, needle="94% of buses ran on time", **extra) -> dict:
    return {
        "@context": PROFILE,
        "type": "Annotation",
        "body": [
            {"type": "TextualBody", "purpose": "describing", "value": "Buses were punctual"},
            {"type": "TextualBody", "purpose": "commenting", "value": "Check the riders' figure"},
        ],
        "target": {
            "source": article.url,
            "selector": {"type": "TextQuoteSelector", "exact": needle},
        },
        **extra,
    }


def post(client, article, annotation, content_type=LD):
    return client.post(container_url(article.pk), json.dumps(annotation), content_type)


def links(response) -> set[tuple[str, str]]:
    found = set()
    for part in response["Link"].split(","):
        target, _, params = part.partition(";")
        found.add((target.strip().strip("<>"), params.split("=", 1)[1].strip().strip('"')))
    return found


# --- 4 Annotation Retrieval ----------------------------------------------------------------


def test_4_annotation_retrieval_must_support_get_head_and_options(client, claim):
    url = annotation_url(claim)
    assert client.get(url).status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and head.content == b"" and head["ETag"]
    options = client.options(url)
    assert options.status_code == 200
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in options["Allow"].split(",")}


def test_4_annotation_retrieval_must_serve_json_ld_with_the_annotation_profile(client, claim):
    response = client.get(annotation_url(claim), headers={"Accept": LD})
    assert response.status_code == 200
    assert response["Content-Type"] == LD
    assert response.json()["type"] == "Annotation"


def test_4_annotation_retrieval_should_use_the_profile_by_default(client, claim):
    response = client.get(annotation_url(claim))
    assert response["Content-Type"] == LD


def test_4_annotation_retrieval_must_send_an_etag(client, claim):
    assert client.get(annotation_url(claim))["ETag"] == f'"claim-{claim.pk}-v{claim.version}"'
    assert client.head(annotation_url(claim))["ETag"]


def test_4_annotation_retrieval_must_link_the_ldp_resource_type(client, claim):
    response = client.get(annotation_url(claim))
    assert (f"{LDP}Resource", "type") in links(response)
    assert ("http://www.w3.org/ns/oa#Annotation", "type") in links(response)  # MAY


def test_4_annotation_retrieval_must_send_allow_with_the_methods(client, claim):
    allowed = {m.strip() for m in client.get(annotation_url(claim))["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


def test_4_annotation_retrieval_must_vary_on_accept(client, claim):
    for response in (client.get(annotation_url(claim)), client.head(annotation_url(claim))):
        assert "Accept" in [v.strip() for v in response["Vary"].split(",")]


def test_4_annotation_retrieval_is_the_w3c_export_of_the_claim(client, claim):
    """The annotation is the export's, valid by the working group's schemas, named by its IRI
    in the container; the report address it has in exports is its canonical IRI."""
    w3c_support.require_material()
    data = client.get(annotation_url(claim)).json()
    assert data["id"] == "http://testserver" + annotation_url(claim)
    assert w3c_support.schema_errors(data) == []
    assert data["target"]["selector"][0]["exact"] == claim.quote


def test_4_annotation_retrieval_answers_304_to_if_none_match(client, claim):
    etag = client.get(annotation_url(claim))["ETag"]
    response = client.get(annotation_url(claim), headers={"If-None-Match": etag})
    assert response.status_code == 304


# --- 5 Annotation Containers ---------------------------------------------------------------


def test_5_annotation_containers_should_hold_annotations_under_their_iri(client, claim):
    """Each article is a container whose IRI ends with "/"; its annotations' IRIs extend it."""
    container = container_url(claim.article_id)
    assert container.endswith("/")
    assert annotation_url(claim).startswith(container)


def test_5_1_container_retrieval_must_support_get_head_and_options(client, claim):
    url = container_url(claim.article_id)
    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200 and client.head(url).content == b""
    options = client.options(url)
    assert options.status_code == 200 and "POST" in options["Allow"]


def test_5_1_container_retrieval_must_serve_json_ld_with_the_profile(client, claim):
    response = client.get(container_url(claim.article_id), headers={"Accept": LD})
    assert response["Content-Type"] == LD
    assert set(response.json()["type"]) == {"BasicContainer", "AnnotationCollection"}


def test_5_1_container_retrieval_must_link_the_basic_container_type(client, claim):
    assert (f"{LDP}BasicContainer", "type") in links(client.get(container_url(claim.article_id)))


def test_5_1_container_retrieval_should_link_the_protocol_as_its_constraints(client, claim):
    found = links(client.get(container_url(claim.article_id)))
    assert ("http://www.w3.org/TR/annotation-protocol/", f"{LDP}constrainedBy") in found


def test_5_1_container_retrieval_must_send_content_location_matching_its_id(client, claim):
    response = client.get(container_url(claim.article_id))
    assert response["Content-Location"] == response.json()["id"]
    page = client.get(container_url(claim.article_id), {"page": 0})
    assert page["Content-Location"] == page.json()["id"]


def test_5_1_container_retrieval_must_send_an_etag(client, claim):
    url = container_url(claim.article_id)
    first = client.get(url)
    assert first["ETag"]
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    ClaimFactory(article=claim.article)
    assert client.get(url)["ETag"] != first["ETag"]


def test_5_1_container_retrieval_must_send_allow(client, claim):
    allowed = {m.strip() for m in client.get(container_url(claim.article_id))["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS", "POST"}


def test_5_1_container_retrieval_must_send_accept_post(client, claim):
    assert client.get(container_url(claim.article_id))["Accept-Post"] == LD


def test_5_1_container_retrieval_must_vary_on_accept_and_prefer(client, claim):
    vary = {v.strip() for v in client.get(container_url(claim.article_id))["Vary"].split(",")}
    assert {"Accept", "Prefer"} <= vary


def test_5_2_container_representations_default_to_contained_descriptions(client, claim):
    data = client.get(container_url(claim.article_id)).json()
    assert data["total"] == 1
    assert data["first"]["items"][0]["type"] == "Annotation"


def test_5_2_container_representations_should_honour_prefer_minimal_container(client, claim):
    prefer = f'return=representation;include="{LDP}PreferMinimalContainer"'
    response = client.get(container_url(claim.article_id), headers={"Prefer": prefer})
    data = response.json()
    assert isinstance(data["first"], str) and "items" not in data
    assert data["total"] == 1
    assert response["Preference-Applied"] == "return=representation"


def test_5_2_container_representations_should_honour_prefer_contained_iris(client, claim):
    prefer = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"'
    data = client.get(container_url(claim.article_id), headers={"Prefer": prefer}).json()
    assert data["first"]["items"] == ["http://testserver" + annotation_url(claim)]


def test_5_3_paging_pages_carry_part_of_start_index_and_next(client):
    article = ArticleFactory()
    for _ in range(protocol.PAGE_SIZE + 3):
        ClaimFactory(article=article)
    collection = client.get(container_url(article.pk)).json()
    assert collection["total"] == protocol.PAGE_SIZE + 3
    assert collection["last"].endswith("?page=1")
    assert len(collection["first"]["items"]) == protocol.PAGE_SIZE
    second = client.get(collection["first"]["next"]).json()
    assert second["type"] == "AnnotationPage"
    assert second["partOf"]["id"] == collection["id"]
    assert second["startIndex"] == protocol.PAGE_SIZE and len(second["items"]) == 3
    assert second["prev"].endswith("?page=0") and "next" not in second
    w3c_support.require_material()
    assert w3c_support.schema_errors(second["items"][0]) == []
    assert client.get(container_url(article.pk), {"page": 2}).status_code == 404


def test_5_4_creating_annotations_must_answer_201_with_location_and_assign_an_iri(client, reviewer):
    article = ArticleFactory()
    response = post(client, article, new_annotation(article, id="urn:uuid:1234"))
    assert response.status_code == 201, response.content
    claim = Claim.objects.get()
    data = response.json()
    assert response["Location"] == data["id"] == "http://testserver" + annotation_url(claim)
    assert data["id"] != "urn:uuid:1234"  # the server names it
    assert response["ETag"] and response["Content-Type"] == LD
    assert claim.quote == "94% of buses ran on time" and claim.statement == "Buses were punctual"
    assert claim.created_by == reviewer and claim.state == Claim.State.TO_DO
    assert Comment.objects.get(claim=claim).body == "Check the riders' figure"


def test_5_4_creating_annotations_returns_what_was_stored(client):
    article = ArticleFactory()
    stored = post(client, article, new_annotation(article)).json()
    fetched = client.get(stored["id"]).json()
    assert stored == fetched


def test_5_4_creating_annotations_refuses_other_documents_and_unanchored_quotes(client):
    article, other = ArticleFactory(), ArticleFactory()
    elsewhere = post(client, article, new_annotation(other))
    assert elsewhere.status_code == 409
    assert elsewhere["Content-Type"] == "application/problem+json"
    missing = post(client, article, new_annotation(article, needle="trams ran on time"))
    assert missing.status_code == 422
    assert not Claim.objects.exists()


def test_5_4_creating_annotations_must_preserve_a_canonical_iri(client):
    article = ArticleFactory()
    sent = new_annotation(article, canonical="urn:uuid:6d3c1c3e-0f4b-4e6a-9c1a-2f7b5d0e8a11")
    created = post(client, article, sent)
    assert created.status_code == 201, created.content
    assert created.json()["canonical"] == sent["canonical"]
    assert client.get(created["Location"]).json()["canonical"] == sent["canonical"]
    via = post(client, article, new_annotation(article, needle="3,000 people", via="urn:x:1"))
    assert via.status_code == 422 and not Claim.objects.filter(quote="3,000 people").exists()


def test_6_1_updating_annotations_never_changes_the_canonical_iri(client):
    article = ArticleFactory()
    created = post(client, article, new_annotation(article, canonical="urn:uuid:1")).json()
    etag = client.get(created["id"])["ETag"]
    changed = dict(created, canonical="urn:uuid:2")
    refused = client.put(created["id"], json.dumps(changed), LD, headers={"If-Match": etag})
    assert refused.status_code == 409
    assert Claim.objects.get().canonical_iri == "urn:uuid:1"
    kept = client.put(created["id"], json.dumps(created), LD, headers={"If-Match": etag})
    assert kept.status_code == 200 and kept.json()["canonical"] == "urn:uuid:1"


def test_5_4_creating_annotations_cannot_take_workflow_steps(client):
    """An annotation cannot arrive approved: the two-person rule is the workflow's."""
    from annotations.exporters.w3c import CONTEXT

    article = ArticleFactory()
    forged = new_annotation(article, reviewState="approved", approvedBy="edith")
    forged["@context"] = CONTEXT
    response = post(client, article, forged)
    assert response.status_code == 409
    assert "workflow" in response.json()["detail"]
    assert not Claim.objects.exists()


# --- 6 Annotation Management ---------------------------------------------------------------


def test_6_1_updating_annotations_with_put_returns_200_and_the_new_annotation(client, claim):
    url = annotation_url(claim)
    current = client.get(url)
    annotation = current.json()
    describing = [b for b in annotation["body"] if b.get("purpose") == "describing"][0]
    describing["value"] = "Buses carried 12.4 million people"
    annotation["claimant"] = "The transport authority"
    response = client.put(url, json.dumps(annotation), LD, headers={"If-Match": current["ETag"]})
    assert response.status_code == 200, response.content
    assert response["ETag"] != current["ETag"]
    claim.refresh_from_db()
    assert claim.statement == "Buses carried 12.4 million people"
    assert claim.claimant == "The transport authority"


def test_6_1_updating_annotations_should_refuse_a_stale_if_match_with_412(client, claim, reviewer2):
    url = annotation_url(claim)
    first = client.get(url)
    other = token_client(reviewer2)
    annotation = first.json()
    annotation["claimant"] = "Someone else"
    assert (
        other.put(url, json.dumps(annotation), LD, headers={"If-Match": first["ETag"]}).status_code
        == 200
    )
    annotation["claimant"] = "Me"
    stale = client.put(url, json.dumps(annotation), LD, headers={"If-Match": first["ETag"]})
    assert stale.status_code == 412
    assert stale.json()["current"]["claimant"] == "Someone else"
    assert f"If-Match: {stale['ETag']}" in stale.json()["detail"]
    claim.refresh_from_db()
    assert claim.claimant == "Someone else"


def test_6_1_updating_annotations_cannot_move_or_approve_them(client, claim):
    url = annotation_url(claim)
    current = client.get(url)
    annotation = current.json()
    annotation["reviewState"] = "approved"
    refused = client.put(url, json.dumps(annotation), LD, headers={"If-Match": current["ETag"]})
    assert refused.status_code == 409
    assert Claim.objects.get(pk=claim.pk).state == claim.state


def test_6_2_deleting_annotations_answers_204_and_keeps_history(client, claim):
    url = annotation_url(claim)
    etag = client.get(url)["ETag"]
    refused = client.delete(url, headers={"If-Match": '"claim-0-v1"'})
    assert refused.status_code == 412
    assert f"If-Match: {etag}" in refused.json()["detail"]  # the tag to retry with
    response = client.delete(url, headers={"If-Match": etag})
    assert response.status_code == 204
    assert client.get(url).status_code == 404
    assert Claim.history.filter(id=claim.pk, history_type="-").exists()


def test_6_3_errors_answer_with_their_status(client, claim):
    url, container = annotation_url(claim), container_url(claim.article_id)
    assert client.get(url, headers={"Accept": "text/turtle"}).status_code == 406
    wrong_profile = 'application/ld+json; profile="http://www.w3.org/ns/activitystreams"'
    assert client.get(container, headers={"Accept": wrong_profile}).status_code == 406
    assert client.post(container, "<x/>", "text/xml").status_code == 415
    assert client.post(container, "{not json", LD).status_code == 400
    assert client.post(container, json.dumps({"type": "Annotation"}), LD).status_code == 400
    assert client.post(url, "{}", LD).status_code == 405
    assert client.put(container, "{}", LD).status_code == 405
    missing = reverse("api-v1:annotation", args=[claim.article_id, claim.pk + 1000])
    assert client.get(missing).status_code == 404
    assert client.put(url, "{}", LD).status_code == 428  # If-Match is required
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_an_annotation_page_takes_as_many_queries_for_200_claims_as_for_2(
    reviewer, django_assert_num_queries
):
    from django.test import Client

    from annotations.models import ApiToken

    for size in (2, 60):
        article = ArticleFactory()
        for _ in range(size):
            CitationFactory(claim=ClaimFactory(article=article))
        _token, secret = ApiToken.issue(reviewer, f"t{size}")
        client = Client(headers={"Authorization": f"Bearer {secret}"})
        client.get(container_url(article.pk))  # the token's use recorded
        # The token with its owner, the owner's roles; the article, its claims counted; the
        # exports' loader: users, verdicts, the page's claims (the selection, read once),
        # their rows, citations, sources, comments; the canonical IRIs among them. Pinned:
        # make bench's "API annotation page of 200" took 15 before the page's claims were
        # read once and the article was no longer read again as a chunk of an export.
        with django_assert_num_queries(12):
            response = client.get(container_url(article.pk), {"page": 0})
        assert len(response.json()["items"]) == size


def test_a_headline_annotation_keeps_its_part_through_get_put_and_post(client):
    # A headline claim and a body claim at the same offsets: the part tells them apart.
    article = ArticleFactory(title="300,000 predators on the prowl, police warn")
    headline = ClaimFactory(article=article, part="headline", start=0, end=7)
    ClaimFactory(article=article, start=0, end=7)
    url = annotation_url(headline)
    current = client.get(url)
    annotation = current.json()
    assert annotation["target"]["articlePart"] == "headline"
    annotation["body"][0]["value"] = "300,000 offenders at large"
    response = client.put(url, json.dumps(annotation), LD, headers={"If-Match": current["ETag"]})
    assert response.status_code == 200, response.content
    headline.refresh_from_db()
    assert headline.statement == "300,000 offenders at large"

    # A new annotation of the headline's other words, in our vocabulary.
    annotation = new_annotation(article, needle="predators on the prowl")
    annotation["@context"] = [
        PROFILE,
        {"fc": NAMESPACE, "articlePart": "fc:articlePart"},
    ]
    annotation["target"]["articlePart"] = "headline"
    response = post(client, article, annotation)
    assert response.status_code == 201, response.content
    created = Claim.objects.get(quote="predators on the prowl")
    assert (created.part, created.start, created.end) == ("headline", 8, 30)


def test_a_comment_posted_with_an_annotation_notifies_whom_it_mentions(client, reviewer2):
    article = ArticleFactory()
    annotation = new_annotation(article)
    annotation["body"][1]["value"] = "@raj, is the riders' figure final?"
    assert post(client, article, annotation).status_code == 201
    mention = Notification.objects.get(recipient=reviewer2)
    assert mention.kind == Notification.Kind.MENTIONED
    assert mention.claim == Claim.objects.get()
    assert mention.text == "@raj, is the riders' figure final?"


@pytest.mark.parametrize(
    ("part", "needle"), [("headline", "predators on the prowl"), ("standfirst", "rose 8%")]
)
def test_another_tools_annotation_of_the_headline_or_standfirst_lands_there(client, part, needle):
    """Without our articlePart, a quote that is only in the headline or the standfirst is
    anchored there, as the W3C import anchors it (one resolver for both)."""
    article = ArticleFactory(
        title="300,000 predators on the prowl, police warn",
        standfirst="Ridership rose 8% as fares froze.",
    )
    response = post(client, article, new_annotation(article, needle=needle))
    assert response.status_code == 201, response.content
    claim = Claim.objects.get()
    assert claim.part == part
    assert article.text_of(part)[claim.start : claim.end] == needle
    assert response.json()["target"]["articlePart"] == part
