"""The review workflow as model methods: states, the two-person rule, versions, reopening."""

import pytest

from annotations.anchoring import AnchorError
from annotations.models import Claim, StaleClaimError, Verdict, WorkflowError
from tests.factories import CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accurate():
    return Verdict.objects.get(label="Accurate")


@pytest.fixture
def proposed(reviewer, accurate):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=accurate, explanation="ok")
    return claim


def test_claim_created_from_selection_trims_white_space_and_keeps_context(article, reviewer):
    start = article.body.index("12.4")
    claim = Claim.objects.create_from_selection(
        article, start - 1, start + 13, " 12.4 million", by=reviewer
    )
    assert claim.quote == "12.4 million"
    assert claim.start == start
    assert claim.prefix.endswith("carried ")
    assert claim.history.first().history_user == reviewer


@pytest.mark.parametrize(
    ("start", "end", "quote", "message"),
    [
        (5, 5, "", "outside"),
        (0, 10_000, "x", "outside"),
        (0, 10, "Something else", "does not match"),
    ],
)
def test_bad_selections_are_refused_with_a_reason(article, reviewer, start, end, quote, message):
    with pytest.raises(AnchorError, match=message):
        Claim.objects.create_from_selection(article, start, end, quote, by=reviewer)
    assert not Claim.objects.exists()


def test_selection_of_only_white_space_is_refused_as_empty(article, reviewer):
    gap = article.body.index("\n\n")
    with pytest.raises(AnchorError, match="empty"):
        Claim.objects.create_from_selection(article, gap, gap + 2, "\n\n", by=reviewer)


def test_first_edit_starts_work_and_raises_the_version(reviewer):
    claim = ClaimFactory()
    assert claim.edit(by=reviewer, version=1, statement="Buses carried 12.4m people")
    claim.refresh_from_db()
    assert claim.state == Claim.State.IN_PROGRESS
    assert claim.version == 2


def test_edit_that_changes_nothing_saves_nothing(reviewer):
    claim = ClaimFactory()
    assert not claim.edit(by=reviewer, version=1, statement=claim.statement)
    claim.refresh_from_db()
    assert claim.version == 1


def test_stale_edit_is_refused_and_keeps_the_newer_text(reviewer, reviewer2):
    claim = ClaimFactory()
    other_tab = Claim.objects.get(pk=claim.pk)
    claim.edit(by=reviewer, version=1, statement="First saved")
    with pytest.raises(StaleClaimError) as refused:
        other_tab.edit(by=reviewer2, version=1, statement="Second, stale")
    assert refused.value.current.statement == "First saved"
    claim.refresh_from_db()
    assert claim.statement == "First saved"
    assert claim.version == 2


def test_proposing_a_verdict_records_who_and_awaits_review(proposed, reviewer, accurate):
    proposed.refresh_from_db()
    assert proposed.state == Claim.State.NEEDS_REVIEW
    assert proposed.verdict == accurate
    assert proposed.verdict_proposed_by == reviewer


def test_a_retired_verdict_cannot_be_proposed(reviewer):
    retired = Verdict.objects.create(label="Old scale", colour="#123456", is_active=False)
    claim = ClaimFactory()
    with pytest.raises(WorkflowError, match="no longer in use"):
        claim.propose_verdict(by=reviewer, version=1, verdict=retired)


def test_editor_approves_someone_elses_verdict_and_it_is_recorded(proposed, editor):
    proposed.approve(by=editor, version=proposed.version)
    proposed.refresh_from_db()
    assert proposed.state == Claim.State.APPROVED
    assert proposed.approved_by == editor
    assert proposed.approved_at is not None


def test_editor_cannot_approve_their_own_verdict(editor, accurate):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    claim.propose_verdict(by=editor, version=1, verdict=accurate)
    with pytest.raises(WorkflowError, match="second editor"):
        claim.approve(by=editor, version=claim.version)
    claim.refresh_from_db()
    assert claim.state == Claim.State.NEEDS_REVIEW


def test_verdict_without_citation_cannot_be_approved(reviewer, editor, accurate):
    claim = ClaimFactory()
    claim.propose_verdict(by=reviewer, version=1, verdict=accurate)
    with pytest.raises(WorkflowError, match="at least one"):
        claim.approve(by=editor, version=claim.version)


def test_reviewer_cannot_approve(proposed, reviewer2):
    with pytest.raises(WorkflowError, match="Only an editor"):
        proposed.approve(by=reviewer2, version=proposed.version)


def test_send_back_needs_a_reason(proposed, editor):
    with pytest.raises(WorkflowError, match="Say why"):
        proposed.send_back(by=editor, version=proposed.version, reason="  ")
    proposed.send_back(by=editor, version=proposed.version, reason="Check the 2023 figure")
    proposed.refresh_from_db()
    assert proposed.state == Claim.State.SENT_BACK
    assert proposed.sent_back_reason == "Check the 2023 figure"


def test_changing_an_approved_claim_proposes_the_change_and_history_shows_it(
    proposed, editor, reviewer
):
    # An approved claim stays approved until a second person approves the change (more in
    # tests/test_approved_revisions.py).
    proposed.approve(by=editor, version=proposed.version)
    proposed.edit(by=reviewer, version=proposed.version, statement="Restated", reason="Clearer")
    proposed.refresh_from_db()
    assert proposed.state == Claim.State.APPROVED
    assert proposed.approved_by == editor
    assert proposed.statement != "Restated"
    assert proposed.revisions.get().changes == {"statement": "Restated"}
    latest = proposed.history.first()
    assert latest.history_change_reason.startswith("Proposed change #")
    assert latest.history_user == reviewer


def test_citing_a_source_on_an_approved_claim_proposes_it(proposed, editor, reviewer):
    proposed.approve(by=editor, version=proposed.version)
    proposed.add_citation(
        by=reviewer, version=proposed.version, source=SourceFactory(), reason="More evidence"
    )
    proposed.refresh_from_db()
    assert proposed.state == Claim.State.APPROVED
    assert proposed.citations.count() == 1
    assert proposed.revisions.get().added_citations.count() == 1


def test_deleted_claim_stays_in_history(reviewer):
    claim = ClaimFactory()
    pk = claim.pk
    claim.delete_version(by=reviewer, version=1)
    assert not Claim.objects.filter(pk=pk).exists()
    assert Claim.history.filter(id=pk, history_type="-").get().history_user == reviewer
