"""The article workflow: states that follow the claims (to do → in progress → in review →
ready), claims dismissed as not checkable, publishing chosen claims, corrections after
publication (updated) and withdrawal."""

import pytest
from django.urls import reverse

from annotations.models import Article, Claim, ClaimRevision, Verdict, WorkflowError
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

PANEL = {"HX-Request": "true", "HX-Target": "claim-panel"}
State = Article.State


def claim_url(name, claim):
    return reverse(f"annotations:{name}", kwargs={"article_pk": claim.article_id, "pk": claim.pk})


def approve(claim, reviewer, editor, verdict="Accurate"):
    """Propose (reviewer) and approve (editor) a verdict, citing a source first."""
    if not claim.citations.exists():
        CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(
        by=reviewer,
        version=claim.version,
        verdict=Verdict.objects.get(label=verdict),
        explanation=f"The bulletin says so ({claim.pk}).",
    )
    claim.approve(by=editor, version=claim.version)
    claim.refresh_from_db()
    return claim


def claims_on(article, count):
    body = article.body
    spans = [(0, 20), (100, 130), (180, 210), (260, 290)][:count]
    return [ClaimFactory(article=article, start=s, end=e, quote=body[s:e]) for s, e in spans]


@pytest.fixture
def ready_article(reviewer, editor):
    """Two approved claims and one dismissed as not checkable."""
    article = ArticleFactory(title="City buses carry record numbers")
    first, second, third = claims_on(article, 3)
    approve(first, reviewer, editor)
    approve(second, reviewer, editor, verdict="Misleading")
    third.dismiss(by=reviewer, version=third.version, reason="An opinion, not a fact.")
    return article


# --- States ---------------------------------------------------------------------------------


def _state_everywhere(article) -> set[str]:
    """The article's state as the model, the annotation and the filter each see it."""
    fresh = Article.objects.get(pk=article.pk)
    annotated = Article.objects.with_review_state().get(pk=article.pk).review_state
    filtered = [s for s in State.values if Article.objects.in_state(s).filter(pk=article.pk)]
    assert len(filtered) == 1, filtered
    return {fresh.review_state, annotated, filtered[0]}


def test_article_state_follows_its_claims_to_ready(reviewer, editor):
    article = ArticleFactory()
    assert _state_everywhere(article) == {State.TO_DO}
    first, second = claims_on(article, 2)
    assert _state_everywhere(article) == {State.IN_PROGRESS}  # a claim exists
    for claim in (first, second):
        CitationFactory(claim=claim)
        claim.refresh_from_db()
        claim.propose_verdict(
            by=reviewer, version=claim.version, verdict=Verdict.objects.get(label="Accurate")
        )
    assert _state_everywhere(article) == {State.IN_REVIEW}  # every claim awaits review
    first.refresh_from_db()
    first.send_back(by=editor, version=first.version, reason="Cite the 2023 table too.")
    assert _state_everywhere(article) == {State.IN_PROGRESS}  # work again
    first.refresh_from_db()
    first.propose_verdict(
        by=reviewer, version=first.version, verdict=Verdict.objects.get(label="Accurate")
    )
    for claim in (first, second):
        claim.refresh_from_db()
        claim.approve(by=editor, version=claim.version)
    assert _state_everywhere(article) == {State.READY}


def test_a_dismissed_claim_counts_as_done(reviewer, editor):
    article = ArticleFactory()
    kept, opinion = claims_on(article, 2)
    approve(kept, reviewer, editor)
    assert _state_everywhere(article) == {State.IN_PROGRESS}
    opinion.dismiss(by=reviewer, version=opinion.version, reason="An opinion.")
    assert _state_everywhere(article) == {State.READY}


def test_dashboard_shows_and_filters_article_states(client, reviewer, editor, ready_article):
    ArticleFactory(title="Untouched story")
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-list")).content.decode()
    assert "Ready to publish" in html and "To do" in html
    ready = client.get(reverse("annotations:article-list"), {"review_state": "ready"})
    assert "City buses carry record numbers" in ready.content.decode()
    assert "Untouched story" not in ready.content.decode()


# --- Dismissing -----------------------------------------------------------------------------


def test_reviewer_marks_a_claim_not_checkable_in_its_panel_and_reopens_it(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    html = client.get(claim_url("claim-detail", claim), headers=PANEL).content.decode()
    assert "Not checkable?" in html
    response = client.post(
        claim_url("claim-dismiss", claim),
        {"version": claim.version, "reason": "A prediction nobody can test yet."},
        headers=PANEL,
    )
    assert "Marked not checkable." in response.content.decode()
    claim.refresh_from_db()
    assert claim.state == Claim.State.DISMISSED
    assert claim.comments.get().body == "Marked not checkable: A prediction nobody can test yet."
    assert claim.history.first().history_change_reason.startswith("Marked not checkable")
    client.post(claim_url("claim-reopen", claim), {"version": claim.version}, headers=PANEL)
    claim.refresh_from_db()
    assert claim.state == Claim.State.IN_PROGRESS


def test_dismissing_needs_a_reason_and_never_touches_an_approved_claim(client, reviewer, editor):
    claim = ClaimFactory()
    client.force_login(reviewer)
    response = client.post(
        claim_url("claim-dismiss", claim), {"version": claim.version, "reason": " "}, headers=PANEL
    )
    assert "This field is required" in response.content.decode()
    approve(claim, reviewer, editor)
    with pytest.raises(WorkflowError, match="second editor"):
        claim.dismiss(by=reviewer, version=claim.version, reason="Changed my mind.")
    claim.refresh_from_db()
    assert claim.state == Claim.State.APPROVED


def test_a_stale_dismissal_is_refused(client, reviewer, reviewer2):
    claim = ClaimFactory()
    version = claim.version
    claim.edit(by=reviewer2, version=version, claimant="The mayor")
    client.force_login(reviewer)
    response = client.post(
        claim_url("claim-dismiss", claim), {"version": version, "reason": "Opinion."}, headers=PANEL
    )
    assert "Someone else saved this claim" in response.content.decode()
    claim.refresh_from_db()
    assert claim.state != Claim.State.DISMISSED


# --- Publishing -----------------------------------------------------------------------------


def publish_url(article):
    return reverse("annotations:article-publish", args=[article.pk])


def test_editor_publishes_chosen_claims_after_a_confirmation_page(client, editor, ready_article):
    first, second = ready_article.publishable_claims()
    client.force_login(editor)
    confirm = client.get(publish_url(ready_article)).content.decode()
    assert "Publish the fact-check" in confirm and "anyone can read" in confirm
    assert first.statement in confirm and second.statement in confirm
    response = client.post(
        publish_url(ready_article), {"version": ready_article.version, "claims": [first.pk]}
    )
    assert response.status_code == 302
    ready_article.refresh_from_db()
    assert ready_article.review_state == State.PUBLISHED
    assert ready_article.published_by == editor and ready_article.published_at
    assert ready_article.slug == "city-buses-carry-record-numbers"
    assert list(Claim.objects.filter(publication__isnull=False)) == [first]
    record = ready_article.history.first()
    assert record.history_user == editor and record.history_change_reason == "Published"


def test_an_article_that_is_not_ready_is_not_published(client, editor, reviewer):
    article = ArticleFactory()
    done, _in_work = claims_on(article, 2)
    approve(done, reviewer, editor)
    client.force_login(editor)
    page = client.get(publish_url(article)).content.decode()
    assert "Not ready to publish" in page
    response = client.post(publish_url(article), {"version": article.version, "claims": [done.pk]})
    assert "The article is not ready" in response.content.decode()
    article.refresh_from_db()
    assert article.publication == "" and article.slug is None


def test_only_editors_publish_or_withdraw(client, reviewer, ready_article):
    client.force_login(reviewer)
    claim = ready_article.publishable_claims().first()
    assert client.get(publish_url(ready_article)).status_code == 403
    data = {"version": ready_article.version, "claims": [claim.pk]}
    assert client.post(publish_url(ready_article), data).status_code == 403
    unpublish = reverse("annotations:article-unpublish", args=[ready_article.pk])
    assert client.post(unpublish, {"version": 1, "reason": "x"}).status_code == 403
    ready_article.refresh_from_db()
    assert ready_article.publication == ""


def test_a_draft_claim_cannot_be_smuggled_onto_the_page(client, editor, reviewer, ready_article):
    draft = ClaimFactory(article=ready_article, start=300, end=320)
    draft.dismiss(by=reviewer, version=draft.version, reason="Duplicate.")
    client.force_login(editor)
    response = client.post(
        publish_url(ready_article), {"version": ready_article.version, "claims": [draft.pk]}
    )
    assert "Select a valid choice" in response.content.decode()
    with pytest.raises(WorkflowError, match="Only approved claims"):
        ready_article.publish([draft], by=editor, version=None)


def test_adding_claims_later_needs_a_reason_and_makes_it_updated(editor, ready_article):
    first, second = ready_article.publishable_claims()
    ready_article.publish([first], by=editor, version=ready_article.version)
    with pytest.raises(WorkflowError, match="Say why"):
        ready_article.publish([second], by=editor, version=None)
    ready_article.publish([second], by=editor, version=None, reason="Readers asked about it.")
    ready_article.refresh_from_db()
    assert ready_article.review_state == State.UPDATED and ready_article.revised_by == editor
    assert second.publication.note == "Readers asked about it."


def test_the_publication_page_offers_to_add_claims_only_when_some_are_off_the_page(
    client, editor, ready_article
):
    """Once every approved claim was on the page, it still asked why claims were added and
    offered "Add the chosen claims", with none left to choose."""
    first, second = ready_article.publishable_claims()
    ready_article.publish([first], by=editor, version=ready_article.version)
    client.force_login(editor)
    page = client.get(publish_url(ready_article)).content.decode()
    assert "Add the chosen claims to the public page" in page
    assert f'value="{second.pk}"' in page  # the one left to add, to tick
    ready_article.publish([second], by=editor, version=None, reason="Readers asked about it.")
    page = client.get(publish_url(ready_article)).content.decode()
    assert "Add the chosen claims to the public page" not in page
    assert "Why are claims added" not in page
    assert "Every approved claim is on the public page." in page
    assert "Withdraw the fact-check" in page  # withdrawing is still offered


def test_a_published_claim_cannot_be_deleted(editor, ready_article):
    claim = ready_article.publishable_claims().first()
    ready_article.publish([claim], by=editor, version=None)
    with pytest.raises(WorkflowError, match="published fact-check"):
        claim.delete_version(by=editor, version=claim.version)
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_an_approved_correction_after_publication_makes_it_updated(reviewer, editor, ready_article):
    claim = ready_article.publishable_claims().first()
    ready_article.publish([claim], by=editor, version=None)
    claim.refresh_from_db()
    claim.propose_verdict(
        by=reviewer,
        version=claim.version,
        verdict=Verdict.objects.get(label="Misleading"),
        explanation="The 2023 figure was revised.",
        reason="The statistics office revised its bulletin.",
    )
    editor2 = UserFactory(username="emil", role="Editor")
    claim.refresh_from_db()
    claim.approve_revision(by=editor2, version=claim.version)
    ready_article.refresh_from_db()
    revision = ClaimRevision.objects.approved().get()
    assert ready_article.review_state == State.UPDATED
    assert (ready_article.revised_at, ready_article.revised_by) == (revision.decided_at, editor2)


def test_withdrawal_needs_a_reason_and_the_state_follows_the_claims_again(
    client, editor, ready_article
):
    claim = ready_article.publishable_claims().first()
    ready_article.publish([claim], by=editor, version=None)
    client.force_login(editor)
    unpublish = reverse("annotations:article-unpublish", args=[ready_article.pk])
    response = client.post(unpublish, {"version": ready_article.version, "reason": ""})
    assert "This field is required" in response.content.decode()
    client.post(unpublish, {"version": ready_article.version, "reason": "Wrong article."})
    ready_article.refresh_from_db()
    assert ready_article.publication == "unpublished"
    assert ready_article.review_state == State.READY
    assert ready_article.unpublished_by == editor
    # Published again: its old address, and the withdrawal in the log.
    slug = ready_article.slug
    ready_article.publish([], by=editor, version=None)
    ready_article.refresh_from_db()
    assert ready_article.slug == slug and ready_article.review_state == State.UPDATED


def test_slugs_are_unique_and_kept_when_the_title_changes(editor, reviewer):
    articles = []
    for n in range(2):
        article = ArticleFactory(title="Ferry numbers: the facts", raw_text=f"Ferry {n}")
        claim = approve(ClaimFactory(article=article), reviewer, editor)
        article.publish([claim], by=editor, version=None)
        articles.append(article)
    assert [a.slug for a in articles] == ["ferry-numbers-the-facts", "ferry-numbers-the-facts-2"]
    articles[0].edit_details(by=editor, version=None, title="Ferry numbers, checked")
    articles[0].refresh_from_db()
    assert articles[0].slug == "ferry-numbers-the-facts"


def test_publish_page_refuses_a_stale_version(client, editor, ready_article):
    claim = ready_article.publishable_claims().first()
    version = ready_article.version
    ready_article.edit_details(by=editor, version=version, byline="Ana")
    client.force_login(editor)
    response = client.post(publish_url(ready_article), {"version": version, "claims": [claim.pk]})
    assert "Someone else changed this article" in response.content.decode()
    ready_article.refresh_from_db()
    assert ready_article.publication == ""


def test_a_withdrawn_fact_check_page_says_its_claims_are_no_longer_public(
    client, editor, ready_article
):
    """After a withdrawal the publication page still said the claims were "on the public page
    since …"; it says when and by whom it was withdrawn, and how to put the claims back."""
    first, second = ready_article.publishable_claims()
    ready_article.publish([first], by=editor, version=None)
    client.force_login(editor)
    assert "on the public page since" in client.get(publish_url(ready_article)).content.decode()
    ready_article.unpublish(by=editor, version=None, reason="Wrong article.")
    page = client.get(publish_url(ready_article)).content.decode()
    assert "on the public page since" not in page
    assert f"by {editor}: Wrong article." in page
    assert "Its claims are no longer public" in page
    assert "until the withdrawal on" in page and "back on it if published again" in page
    assert "Publishing again puts the claims that were on the page" in page
    assert "Publish again" in page and "Withdraw the fact-check" not in page
    header = client.get(
        reverse("annotations:article-publication", args=[ready_article.pk]),
        headers={"HX-Request": "true", "HX-Target": "article-publication"},
    ).content.decode()
    assert ": not public" in header and "Publish again…" in header
    # Published again, the page says so again.
    ready_article.publish([], by=editor, version=None)
    page = client.get(publish_url(ready_article)).content.decode()
    assert "on the public page since" in page and "no longer public" not in page
