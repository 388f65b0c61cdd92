"""An approved claim stays approved and published as it was until a change to it is approved by
a second person. The change waits as a revision shown beside the claim in its panel."""

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Citation, Claim, ClaimRevision, Role, Verdict, WorkflowError
from tests.factories import CitationFactory, ClaimFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

PANEL = {"HX-Request": "true", "HX-Target": "claim-panel"}
APPROVED_TEXT = "Buses carried 12.4 million passengers last year"


def url(name, claim, **extra):
    return reverse(
        f"annotations:{name}", kwargs={"article_pk": claim.article_id, "pk": claim.pk, **extra}
    )


def post_panel(client, address, data):
    response = client.post(address, data, headers=PANEL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    return html


def details(claim, **changes):
    """The claim's details form as the panel sends it."""
    data = {
        "version": claim.version,
        "statement": claim.statement,
        "claimant": claim.claimant,
        "claim_date": claim.claim_date.isoformat() if claim.claim_date else "",
        "category": claim.category,
        "assignee": claim.assignee_id or "",
        "change_reason": "",
    }
    return data | changes


def published_json(client, claim) -> str:
    response = client.get(
        reverse("annotations:export", args=["json"]), {"article": claim.article_id}
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def accurate():
    return Verdict.objects.get(label="Accurate")


@pytest.fixture
def misleading():
    return Verdict.objects.get(label="Misleading")


@pytest.fixture
def editor2(db):
    return UserFactory(username="emil", role=Role.EDITOR)


@pytest.fixture
def approved(reviewer, editor, accurate):
    """Proposed by rita (reviewer), approved by edith (editor), citing one source."""
    claim = ClaimFactory(statement=APPROVED_TEXT)
    CitationFactory(claim=claim, source__title="Annual bus statistics")
    claim.refresh_from_db()
    claim.propose_verdict(
        by=reviewer, version=claim.version, verdict=accurate, explanation="Table 1 matches."
    )
    claim.approve(by=editor, version=claim.version)
    claim.refresh_from_db()
    return claim


def test_an_edit_of_an_approved_claim_waits_beside_it_and_the_claim_stays_published(
    client, approved, reviewer2, editor
):
    client.force_login(reviewer2)
    html = post_panel(
        client,
        url("claim-update", approved),
        details(
            approved,
            statement="Buses carried 12.4 million passengers in 2023",
            change_reason="The bulletin counts the calendar year 2023.",
        ),
    )
    approved.refresh_from_db()
    assert approved.state == Claim.State.APPROVED
    assert approved.statement == APPROVED_TEXT
    assert approved.approved_by == editor
    # The panel shows the pending change beside the approved claim: what changes, who, why.
    assert "Proposed change" in html
    assert "raj" in html
    assert "The bulletin counts the calendar year 2023." in html
    assert APPROVED_TEXT in html and "passengers in 2023" in html
    revision = approved.revisions.get()
    assert revision.state == ClaimRevision.State.PENDING
    assert revision.proposed_by == reviewer2
    assert revision.changes == {"statement": "Buses carried 12.4 million passengers in 2023"}
    # What is published is the approved text, not the draft.
    body = published_json(client, approved)
    assert APPROVED_TEXT in body and "passengers in 2023" not in body


def test_a_second_editor_approves_the_change_and_history_records_both(
    client, approved, reviewer2, editor
):
    approved.edit(
        by=reviewer2,
        version=approved.version,
        statement="Buses carried 12.4 million passengers in 2023",
        reason="The bulletin counts 2023.",
    )
    approved.refresh_from_db()
    client.force_login(editor)
    html = post_panel(
        client, url("claim-revision-approve", approved), {"version": approved.version}
    )
    assert "Change approved" in html
    approved.refresh_from_db()
    assert approved.statement == "Buses carried 12.4 million passengers in 2023"
    assert approved.state == Claim.State.APPROVED
    assert approved.approved_by == editor
    revision = approved.revisions.get()
    assert revision.state == ClaimRevision.State.APPROVED
    assert (revision.proposed_by, revision.decided_by) == (reviewer2, editor)
    assert revision.decided_at is not None
    assert revision.previous == {"statement": APPROVED_TEXT}
    assert revision.reason == "The bulletin counts 2023."
    approval, proposal = approved.history.order_by("-history_date", "-history_id")[:2]
    assert proposal.history_user == reviewer2
    assert "Proposed change" in proposal.history_change_reason
    assert approval.history_user == editor and "raj" in approval.history_change_reason
    page = client.get(url("claim-history", approved)).content.decode()
    assert "raj" in page and "edith" in page
    assert "passengers in 2023" in published_json(client, approved)


def test_the_author_of_a_change_cannot_approve_it(approved, editor2):
    approved.edit(by=editor2, version=approved.version, statement="Mine", reason="Clearer")
    approved.refresh_from_db()
    with pytest.raises(WorkflowError, match="second editor"):
        approved.approve_revision(by=editor2, version=approved.version)
    approved.refresh_from_db()
    assert approved.statement == APPROVED_TEXT
    assert approved.revisions.get().state == ClaimRevision.State.PENDING


def test_reviewers_cannot_approve_a_change(client, approved, reviewer, reviewer2):
    approved.edit(by=reviewer2, version=approved.version, statement="Mine", reason="Clearer")
    approved.refresh_from_db()
    client.force_login(reviewer)
    response = client.post(
        url("claim-revision-approve", approved), {"version": approved.version}, headers=PANEL
    )
    assert response.status_code == 403
    approved.refresh_from_db()
    assert approved.statement == APPROVED_TEXT


def test_sending_a_change_back_needs_a_reason_and_keeps_the_claim_as_approved(
    client, approved, reviewer2, editor
):
    approved.edit(by=reviewer2, version=approved.version, statement="Mine", reason="Clearer")
    approved.refresh_from_db()
    client.force_login(editor)
    address = url("claim-revision-send-back", approved)
    html = post_panel(client, address, {"version": approved.version, "reason": " "})
    assert "This field is required" in html
    html = post_panel(
        client, address, {"version": approved.version, "reason": "The old wording is exact."}
    )
    assert "Change sent back" in html
    approved.refresh_from_db()
    assert approved.statement == APPROVED_TEXT and approved.state == Claim.State.APPROVED
    revision = approved.revisions.get()
    assert revision.state == ClaimRevision.State.SENT_BACK
    assert revision.decision_reason == "The old wording is exact."
    assert revision.decided_by == editor


def test_a_new_verdict_for_an_approved_claim_waits_for_a_second_person(
    client, approved, reviewer2, editor, accurate, misleading
):
    client.force_login(reviewer2)
    post_panel(
        client,
        url("claim-propose", approved),
        {
            "version": approved.version,
            "verdict": misleading.pk,
            "explanation": "The figure counts journeys, not people.",
            "change_reason": "Journeys are not passengers.",
        },
    )
    approved.refresh_from_db()
    assert approved.verdict == accurate and approved.state == Claim.State.APPROVED
    assert "counts journeys, not people" not in published_json(client, approved)
    client.force_login(editor)
    post_panel(client, url("claim-revision-approve", approved), {"version": approved.version})
    approved.refresh_from_db()
    assert approved.verdict == misleading
    assert approved.verdict_explanation == "The figure counts journeys, not people."
    assert approved.verdict_proposed_by == reviewer2 and approved.approved_by == editor
    assert approved.state == Claim.State.APPROVED


def test_citing_a_source_on_an_approved_claim_waits_for_approval(
    client, approved, reviewer2, editor
):
    client.force_login(reviewer2)
    html = post_panel(
        client,
        url("citation-create", approved),
        {
            "version": approved.version,
            "new_title": "Riders' own count",
            "new_url": "https://riders.example/count",
            "new_publisher": "",
            "new_kind": "other",
            "relation": "contradicts",
            "quote": "We counted 9 million.",
            "locator": "",
            "note": "",
            "change_reason": "A second count disagrees.",
        },
    )
    assert "We counted 9 million." in html  # shown as part of the proposed change
    assert approved.citations.count() == 1
    assert "Riders' own count" not in published_json(client, approved)
    approved.refresh_from_db()
    client.force_login(editor)
    post_panel(client, url("claim-revision-approve", approved), {"version": approved.version})
    added = approved.citations.get(source__title="Riders' own count")
    assert added.relation == Citation.Relation.CONTRADICTS
    assert added.created_by == reviewer2
    assert "Riders' own count" in published_json(client, approved)


def test_removing_the_last_citation_of_an_approved_claim_cannot_be_approved(
    client, approved, reviewer2, editor
):
    citation = approved.citations.get()
    client.force_login(reviewer2)
    post_panel(
        client,
        url("citation-delete", approved, citation_pk=citation.pk),
        {"version": approved.version, "change_reason": "The bulletin was withdrawn."},
    )
    assert approved.citations.count() == 1
    approved.refresh_from_db()
    assert approved.revisions.get().removed_citations[0]["id"] == citation.pk
    client.force_login(editor)
    html = post_panel(
        client, url("claim-revision-approve", approved), {"version": approved.version}
    )
    assert "at least one cited source" in html
    assert approved.citations.count() == 1
    assert approved.revisions.get().state == ClaimRevision.State.PENDING


def test_removing_a_citation_is_applied_once_approved(approved, reviewer2, editor):
    second = CitationFactory(claim=approved, source__title="Older bulletin")
    approved.refresh_from_db()
    approved.remove_citation(second, by=reviewer2, version=approved.version, reason="Outdated")
    assert approved.citations.count() == 2
    approved.refresh_from_db()
    approved.approve_revision(by=editor, version=approved.version)
    assert list(approved.citations.values_list("source__title", flat=True)) == [
        "Annual bus statistics"
    ]
    deletion = Citation.history.get(id=second.pk, history_type="-")
    assert deletion.history_user == editor


def test_an_approval_of_an_older_proposal_is_refused_and_shows_the_newer_one(
    client, approved, reviewer2, editor
):
    approved.edit(by=reviewer2, version=approved.version, statement="First try", reason="Why")
    approved.refresh_from_db()
    seen = approved.version  # what the editor's page shows
    approved.edit(by=reviewer2, version=seen, statement="Second try")
    client.force_login(editor)
    html = post_panel(client, url("claim-revision-approve", approved), {"version": seen})
    assert "Someone else saved this claim" in html
    assert "Second try" in html
    approved.refresh_from_db()
    assert approved.statement == APPROVED_TEXT
    revision = approved.revisions.get()
    assert revision.state == ClaimRevision.State.PENDING
    assert revision.changes == {"statement": "Second try"}


def test_someone_elses_change_waits_until_the_pending_one_is_decided(
    client, approved, reviewer, reviewer2
):
    approved.edit(by=reviewer2, version=approved.version, statement="Raj's", reason="Why")
    approved.refresh_from_db()
    client.force_login(reviewer)
    html = post_panel(
        client,
        url("claim-update", approved),
        details(approved, statement="Rita's", change_reason="Mine is better"),
    )
    assert "raj proposed a change" in html
    revision = approved.revisions.get()
    assert revision.changes == {"statement": "Raj's"}


def test_a_change_to_an_approved_claim_needs_a_reason(client, approved, reviewer2):
    client.force_login(reviewer2)
    html = post_panel(
        client, url("claim-update", approved), details(approved, statement="No reason given")
    )
    assert "Say why the approved claim should change" in html
    assert "No reason given" in html  # what was typed is kept
    assert not approved.revisions.exists()


def test_reassigning_an_approved_claim_needs_no_review(client, approved, reviewer, reviewer2):
    client.force_login(reviewer)
    post_panel(client, url("claim-update", approved), details(approved, assignee=reviewer2.pk))
    approved.refresh_from_db()
    assert approved.assignee == reviewer2
    assert approved.state == Claim.State.APPROVED
    assert not approved.revisions.exists()


def test_one_editor_cannot_send_back_an_approved_claim(approved, editor2):
    with pytest.raises(WorkflowError):
        approved.send_back(by=editor2, version=approved.version, reason="I disagree")
    approved.refresh_from_db()
    assert approved.state == Claim.State.APPROVED


def test_the_author_withdraws_a_pending_change(client, approved, reviewer2):
    approved.edit(by=reviewer2, version=approved.version, statement="Oops", reason="Why")
    approved.refresh_from_db()
    client.force_login(reviewer2)
    html = post_panel(
        client, url("claim-revision-withdraw", approved), {"version": approved.version}
    )
    assert "Change withdrawn" in html
    revision = approved.revisions.get()
    assert revision.state == ClaimRevision.State.WITHDRAWN
    assert revision.decided_by == reviewer2
    approved.refresh_from_db()
    assert approved.statement == APPROVED_TEXT


def test_only_the_author_withdraws_a_change(client, approved, reviewer, reviewer2):
    approved.edit(by=reviewer2, version=approved.version, statement="Raj's", reason="Why")
    approved.refresh_from_db()
    client.force_login(reviewer)
    html = post_panel(
        client, url("claim-revision-withdraw", approved), {"version": approved.version}
    )
    assert "Only raj can withdraw" in html
    assert approved.revisions.get().state == ClaimRevision.State.PENDING


def test_the_admin_cannot_change_an_approved_claim_either(client, approved, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:annotations_claim_change", args=[approved.pk]),
        {"statement": "Changed in the admin", "version": approved.version},
    )
    assert response.status_code == 403
    approved.refresh_from_db()
    assert approved.statement == APPROVED_TEXT and approved.state == Claim.State.APPROVED


def test_the_admin_lists_revisions_for_the_corrections_record(client, approved, reviewer2):
    approved.edit(by=reviewer2, version=approved.version, statement="Raj's", reason="Clearer")
    client.force_login(UserFactory(username="ada", role=Role.ADMIN))
    page = client.get(reverse("admin:annotations_claimrevision_changelist")).content.decode()
    assert "Clearer" in page and "raj" in page


def test_merging_sources_moves_proposed_citations_too(approved, reviewer2, admin_user):
    duplicate, kept = SourceFactory(title="Copy"), SourceFactory(title="Original")
    approved.add_citation(by=reviewer2, version=approved.version, source=duplicate, reason="More")
    duplicate.merge_into(kept, by=admin_user)
    proposed = approved.revisions.get().added_citations.get()
    assert proposed.source == kept


# --- Missing fields are "invalid", never "blank them" -----------------------------------------


def test_a_details_post_missing_fields_blanks_nothing(client, reviewer):
    claim = ClaimFactory(claimant="City council")
    client.force_login(reviewer)
    html = post_panel(
        client,
        url("claim-update", claim),
        {"version": claim.version, "statement": "Restated", "category": "statistic"},
    )
    assert "missing from the form" in html
    claim.refresh_from_db()
    assert claim.claimant == "City council"
    assert claim.version == 1


def test_a_verdict_post_missing_the_explanation_keeps_it(client, reviewer, accurate):
    claim = ClaimFactory(verdict_explanation="Table 1 matches.")
    client.force_login(reviewer)
    html = post_panel(
        client, url("claim-propose", claim), {"version": claim.version, "verdict": accurate.pk}
    )
    assert "missing from the form" in html
    claim.refresh_from_db()
    assert claim.verdict_explanation == "Table 1 matches."


def test_an_editor_approving_a_change_sees_both_versions_side_by_side(
    client, approved, reviewer2, editor
):
    approved.edit(
        by=reviewer2, version=approved.version, statement="Reworded statement", reason="Why"
    )
    approved.refresh_from_db()
    client.force_login(editor)
    html = client.get(url("claim-detail", approved), headers=PANEL).content.decode()
    revision = html[html.index('id="claim-revision"') :]
    assert APPROVED_TEXT in revision and "Reworded statement" in revision
    assert "Approve change" in revision and "Send back" in revision
    client.force_login(reviewer2)
    html = client.get(url("claim-detail", approved), headers=PANEL).content.decode()
    revision = html[html.index('id="claim-revision"') :]
    assert "Approve change" not in revision and "Withdraw" in revision
    # The author's form holds the proposed wording, so a further edit amends the proposal.
    assert "Reworded statement</textarea>" in html


def test_the_approved_claim_panel_has_no_query_per_proposed_change(
    client, approved, reviewer2, editor, django_assert_num_queries
):
    for _ in range(3):
        approved.add_citation(
            by=reviewer2, version=approved.version, source=SourceFactory(), reason="More"
        )
        approved.refresh_from_db()
    client.force_login(editor)
    # session, user with their role groups (one query), claim with its people and verdict, citations
    # with sources, comments with authors, the pending revision with its author, its proposed
    # citations with their sources, verdict options, assignee options
    with django_assert_num_queries(9):
        client.get(url("claim-detail", approved), headers=PANEL)


def test_a_claim_that_is_not_approved_is_edited_as_before(client, reviewer):
    claim = ClaimFactory()
    claim.edit(by=reviewer, version=1, statement="Work in progress")
    claim.refresh_from_db()
    assert claim.statement == "Work in progress" and claim.state == Claim.State.IN_PROGRESS
    assert not ClaimRevision.objects.exists()


def test_the_changed_claim_can_be_changed_again_by_the_same_rule(
    approved, reviewer2, editor, editor2
):
    approved.edit(by=reviewer2, version=approved.version, statement="Second", reason="One")
    approved.refresh_from_db()
    approved.approve_revision(by=editor, version=approved.version)
    approved.refresh_from_db()
    approved.edit(by=editor, version=approved.version, statement="Third", reason="Two")
    approved.refresh_from_db()
    approved.approve_revision(by=editor2, version=approved.version)
    approved.refresh_from_db()
    assert approved.statement == "Third" and approved.approved_by == editor2
    decided = list(ClaimRevision.objects.approved().values_list("reason", flat=True))
    assert decided == ["One", "Two"]


def test_a_client_without_htmx_is_redirected_after_approving(approved, reviewer2, editor):
    approved.edit(by=reviewer2, version=approved.version, statement="Again", reason="Why")
    approved.refresh_from_db()
    client = Client()
    client.force_login(editor)
    response = client.post(url("claim-revision-approve", approved), {"version": approved.version})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.statement == "Again"
