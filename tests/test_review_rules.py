"""Review rules that close gaps around the two-person approval."""

import pytest
from django.urls import reverse

from annotations.models import Claim, Source, Verdict, WorkflowError
from tests.factories import CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(reviewer):
    claim = CitationFactory().claim
    claim.propose_verdict(
        by=reviewer, version=claim.version, verdict=Verdict.objects.get(label="Accurate")
    )
    claim.refresh_from_db()
    return claim


def test_editor_who_reshapes_a_proposal_cannot_approve_it_alone(proposed, editor):
    proposed.edit(by=editor, version=proposed.version, statement="The editor's own wording")
    proposed.refresh_from_db()
    assert proposed.state == Claim.State.IN_PROGRESS
    with pytest.raises(WorkflowError):
        proposed.approve(by=editor, version=proposed.version)
    proposed.refresh_from_db()
    assert proposed.approved_by is None


def test_proposer_may_add_evidence_while_the_proposal_waits(proposed, reviewer, editor):
    proposed.add_citation(by=reviewer, version=proposed.version, source=SourceFactory())
    proposed.refresh_from_db()
    assert proposed.state == Claim.State.NEEDS_REVIEW
    proposed.approve(by=editor, version=proposed.version)
    proposed.refresh_from_db()
    assert proposed.state == Claim.State.APPROVED


def test_reviewer_cannot_delete_a_published_claim(client, proposed, reviewer, reviewer2, editor):
    proposed.approve(by=editor, version=proposed.version)
    proposed.refresh_from_db()
    client.force_login(reviewer2)
    url = reverse("annotations:claim-delete", args=[proposed.article_id, proposed.pk])
    assert "Delete this claim" not in client.get(proposed.get_absolute_url()).content.decode()
    response = client.post(url, {"version": proposed.version})
    assert "only an editor can delete it" in response.content.decode()
    assert Claim.objects.filter(pk=proposed.pk).exists()
    client.force_login(editor)
    client.post(url, {"version": proposed.version})
    assert not Claim.objects.filter(pk=proposed.pk).exists()


def test_history_survives_a_merged_source(client, reviewer, editor):
    claim = ClaimFactory()
    old, kept = SourceFactory(title="Old copy"), SourceFactory(title="Kept copy")
    claim.add_citation(by=reviewer, version=claim.version, source=old)
    old.merge_into(kept, by=editor)
    assert not Source.objects.filter(pk=old.pk).exists()
    client.force_login(reviewer)
    response = client.get(reverse("annotations:claim-history", args=[claim.article_id, claim.pk]))
    assert response.status_code == 200
    assert "since merged or deleted" in response.content.decode()


def test_history_shows_the_newest_changes_of_a_busy_claim(client, reviewer):
    from annotations.views.claims import HISTORY_LIMIT

    claim = ClaimFactory()
    for n in range(HISTORY_LIMIT + 5):
        claim.edit(by=reviewer, version=claim.version, statement=f"Wording number {n}")
        claim.refresh_from_db()
    client.force_login(reviewer)
    page = client.get(reverse("annotations:claim-history", args=[claim.article_id, claim.pk]))
    text = page.content.decode()
    assert f"Wording number {HISTORY_LIMIT + 4}" in text
    assert "Wording number 0<" not in text
