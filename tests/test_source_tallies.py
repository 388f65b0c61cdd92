"""How many claims cite each source (annotations/source_tallies.py): kept by the database on
every way citations, claims and sources are written, equal to counting the citations and their
claims, on SQLite and PostgreSQL; what the source pages show."""

import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from annotations import source_tallies
from annotations.models import Citation, Claim, Source, SourceTally, Verdict
from tests.factories import CitationFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def counted() -> dict[int, tuple[int, int]]:
    """source id → (claims citing it, of them approved with a verdict), counted from the
    citations and their claims."""
    return {
        source.pk: (source.claim_count, source.approved_verdict_count)
        for source in Source.objects.with_usage_counted()
    }


def tallied() -> dict[int, tuple[int, int]]:
    """The same, as the source pages read it (``with_usage``: the kept counts)."""
    return {
        source.pk: (source.claim_count, source.approved_verdict_count)
        for source in Source.objects.with_usage()
    }


def usage(source) -> tuple[int, int]:
    tally = SourceTally.objects.get(source=source)
    return tally.claims, tally.approved_verdicts


@pytest.fixture
def library(reviewer):
    """Three sources; claims in every state, some with a verdict, citing them (one claim
    cites the first source twice)."""
    verdict = Verdict.objects.first()
    sources = [SourceFactory() for _ in range(3)]
    states = list(Claim.State)
    claims = [
        ClaimFactory(
            state=states[n % len(states)],
            verdict=verdict if n % 3 else None,
            created_by=reviewer,
        )
        for n in range(9)
    ]
    for n, claim in enumerate(claims):
        CitationFactory(claim=claim, source=sources[n % 3])
    CitationFactory(claim=claims[0], source=sources[0], locator="Table 2")
    return sources, claims


def approve(claim, verdict=None):
    Claim.objects.filter(pk=claim.pk).update(
        state=Claim.State.APPROVED, verdict=verdict or Verdict.objects.first()
    )


def test_a_new_source_has_a_row_of_no_claims():
    source = SourceFactory()
    assert usage(source) == (0, 0)


def test_citations_saved_one_by_one_are_counted(library):
    assert tallied() == counted()
    assert sum(claims for claims, _ in tallied().values()) == 9


def test_a_claim_citing_a_source_twice_counts_once_until_its_last_citation_goes(reviewer):
    source = SourceFactory()
    claim = ClaimFactory(created_by=reviewer)
    approve(claim)
    first = CitationFactory(claim=claim, source=source)
    second = CitationFactory(claim=claim, source=source, locator="Annex")
    assert usage(source) == (1, 1)

    first.delete()
    assert usage(source) == (1, 1)
    second.delete()
    assert usage(source) == (0, 0)


def test_citations_created_and_deleted_in_bulk_are_counted(library, reviewer):
    sources, claims = library
    Citation.objects.bulk_create(
        [Citation(claim=claim, source=sources[2], quote="bulk") for claim in claims]
        + [Citation(claim=claims[1], source=sources[2], quote="twice")]
    )
    assert tallied() == counted()
    assert usage(sources[2])[0] == 9

    Citation.objects.filter(source=sources[2], quote="bulk").delete()
    assert tallied() == counted()
    # The three claims citing it before, and claims[1] by its second citation.
    assert usage(sources[2])[0] == 4


def test_approving_a_claim_or_taking_its_verdict_away_moves_its_sources_counts(library):
    sources, claims = library
    approve(claims[0])  # cites sources[0] twice: counted once
    assert tallied() == counted()
    Claim.objects.filter(state=Claim.State.APPROVED).update(verdict=None)
    assert tallied() == counted()
    assert all(approved == 0 for _, approved in tallied().values())
    Claim.objects.update(state=Claim.State.APPROVED, verdict=Verdict.objects.last())
    assert tallied() == counted()
    assert usage(sources[0]) == (3, 3)


def test_a_claim_approved_through_the_workflow_counts_for_its_sources(library, editor):
    sources, claims = library
    claim = claims[0]
    Claim.objects.filter(pk=claim.pk).update(state=Claim.State.NEEDS_REVIEW)
    claim.refresh_from_db()
    claim.verdict = Verdict.objects.first()
    claim.save()
    before = usage(sources[0])
    claim.refresh_from_db()
    claim.approve(by=editor, version=claim.version)
    assert usage(sources[0]) == (before[0], before[1] + 1)
    assert tallied() == counted()


def test_an_edit_of_a_claims_text_or_a_citations_note_changes_no_count(library):
    sources, claims = library
    before = tallied()
    Claim.objects.update(statement="Reworded")
    Citation.objects.update(note="Checked again", locator="p. 4")
    assert tallied() == before == counted()


def test_a_deleted_claim_no_longer_counts(library):
    sources, claims = library
    approve(claims[3])
    claims[3].delete()  # its citations go first (Django's cascade)
    assert tallied() == counted()


def test_a_claim_deleted_before_its_citations_counts_once(library):
    # The foreign keys are checked at commit: raw SQL may delete the claim first (the rows
    # naming it are left in place here, so the transaction is rolled back, not committed).
    sources, claims = library
    approve(claims[0])  # cites sources[0] twice; two more claims cite it
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM annotations_claim WHERE id = %s", [claims[0].pk])
        assert usage(sources[0]) == (2, 0)
        cursor.execute("DELETE FROM annotations_citation WHERE claim_id = %s", [claims[0].pk])
        assert usage(sources[0]) == (2, 0)  # not taken away twice
        transaction.set_rollback(True)
    assert usage(sources[0]) == (3, 1) == counted()[sources[0].pk]


@pytest.mark.django_db(transaction=True)
def test_citations_written_before_their_claim_count_when_it_arrives(reviewer):
    # As ``loaddata`` may write them: the claim's row after its citations'.
    source = SourceFactory()
    claim = ClaimFactory(created_by=reviewer)
    approve(claim)
    claim.refresh_from_db()
    columns = "claim_id, source_id, relation, quote, locator, note, created_at"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM annotations_claim WHERE id = %s", [claim.pk])
        cursor.execute(
            f"INSERT INTO annotations_citation ({columns}) "  # noqa: S608 — our own columns
            "VALUES (%s, %s, 'supports', '', '', '', CURRENT_TIMESTAMP)",
            [claim.pk, source.pk],
        )
        assert usage(source) == (0, 0)
        claim.save(force_insert=True)
    assert usage(source) == (1, 1) == counted()[source.pk]


def test_a_citation_moved_to_another_source_or_claim_is_counted_there(library):
    sources, claims = library
    citation = Citation.objects.filter(source=sources[1]).first()
    Citation.objects.filter(pk=citation.pk).update(source=sources[2])
    assert tallied() == counted()
    Citation.objects.filter(pk=citation.pk).update(claim=claims[0])
    assert tallied() == counted()


def test_merging_a_duplicate_moves_its_counts_to_the_source_kept(library, admin_user):
    sources, claims = library
    approve(claims[1])  # cites sources[1]
    CitationFactory(claim=claims[1], source=sources[0])  # cites both: counted once after
    expected, duplicate = counted(), sources[1].pk
    sources[1].merge_into(sources[0], by=admin_user)
    assert tallied() == counted()
    assert not SourceTally.objects.filter(source_id=duplicate).exists()
    kept_claims = expected[sources[0].pk][0] + expected[duplicate][0] - 1
    assert usage(sources[0])[0] == kept_claims


def test_a_deleted_source_takes_its_row_with_it():
    source = SourceFactory()
    source_id = source.pk
    Source.objects.filter(pk=source_id).delete()
    assert not SourceTally.objects.filter(source_id=source_id).exists()


def test_missing_triggers_are_made_again_and_the_counts_repaired(library):
    sources, claims = library
    source_tallies.drop_triggers(connection)
    approve(claims[0])  # not counted
    assert tallied() != counted()

    assert source_tallies.ensure(connection)

    assert tallied() == counted()
    CitationFactory(claim=claims[0], source=sources[2])  # counted again
    assert tallied() == counted()
    assert not source_tallies.ensure(connection)  # current: nothing to do


def test_a_recount_repairs_missing_and_wrong_rows_and_leaves_right_ones(library):
    sources, claims = library
    source_tallies.drop_triggers(connection)
    SourceTally.objects.filter(source=sources[0]).update(claims=40, approved_verdicts=9)
    SourceTally.objects.filter(source=sources[1]).delete()
    right_before = row_version(sources[2])

    assert source_tallies.ensure(connection)

    assert tallied() == counted()
    # A row that was right is not written again (on PostgreSQL: the same row version).
    assert row_version(sources[2]) == right_before


def row_version(source) -> str | None:
    """The version of ``source``'s tally row on PostgreSQL (None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text FROM annotations_sourcetally WHERE source_id = %s", [source.pk]
        )
        return cursor.fetchone()[0]


def test_the_source_page_and_list_follow_a_change(client, reviewer, library):
    sources, claims = library
    client.force_login(reviewer)
    SourceFactory(title="Never cited")
    Claim.objects.update(state=Claim.State.TO_DO, verdict=None)

    page = client.get(reverse("annotations:source-detail", args=[sources[0].pk]))
    assert "3 claims, 0 approved verdicts" in page.content.decode()
    listed = client.get(reverse("annotations:source-list"), {"usage": "approved"})
    assert sources[0].title not in listed.content.decode()

    approve(claims[0])
    page = client.get(reverse("annotations:source-detail", args=[sources[0].pk]))
    assert "3 claims, 1 approved verdict" in page.content.decode()
    listed = client.get(reverse("annotations:source-list"), {"usage": "approved"}).content
    assert sources[0].title in listed.decode()
    unused = client.get(reverse("annotations:source-list"), {"usage": "unused"}).content
    assert "Never cited" in unused.decode() and sources[0].title not in unused.decode()


def test_the_admin_source_list_sorts_by_the_kept_counts(admin_client, library):
    sources, claims = library
    CitationFactory(claim=ClaimFactory(), source=sources[2])
    response = admin_client.get(reverse("admin:annotations_source_changelist"), {"o": "-5"})
    assert response.status_code == 200
    shown = [source.pk for source in response.context["cl"].result_list]
    assert shown[0] == sources[2].pk  # four claims: the most cited first
    assert [s.claim_count for s in response.context["cl"].result_list][0] == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_people_citing_one_source_for_one_claim_at_once_count_it_once(reviewer):
    from django.db import connections

    source = SourceFactory()
    claim = ClaimFactory(created_by=reviewer)
    approve(claim)
    started = threading.Barrier(2)

    def cite():
        try:
            with transaction.atomic():
                started.wait()
                Citation.objects.create(claim=claim, source=source, quote="at once")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cite) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Citation.objects.filter(source=source).count() == 2
    assert usage(source) == (1, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_a_claim_approved_while_someone_cites_it_counts_for_the_source(reviewer):
    from django.db import connections

    source = SourceFactory()
    claim = ClaimFactory(created_by=reviewer)
    cited = threading.Event()

    def cite():
        try:
            with transaction.atomic():
                Citation.objects.create(claim=claim, source=source, quote="meanwhile")
                cited.set()
                # Still open while the claim is approved in the other transaction, which
                # waits for the claim's row (locked by the citation's trigger).
                threading.Event().wait(0.3)
        finally:
            connections.close_all()

    thread = threading.Thread(target=cite)
    thread.start()
    cited.wait(5)
    approve(claim)
    thread.join()
    assert usage(source) == (1, 1) == counted()[source.pk]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's trigger is skipped by its WHEN clause; it has no lock on one table",
)
@pytest.mark.django_db(transaction=True)
def test_an_edit_of_a_claims_words_goes_through_while_the_citations_are_locked(
    library, locked_elsewhere
):
    """The claims' trigger looks at the citations only when a claim's "approved with a
    verdict" changed: a reviewer's edit of a claim's words neither reads nor waits for them
    (while a merge of sources or an import holds them, say), an approval does."""
    from django.db import OperationalError

    claim = library[1][1]
    with locked_elsewhere("annotations_citation"):
        claim.refresh_from_db()
        claim.statement = "Reworded while the citations are locked"
        claim.save()
        with pytest.raises(OperationalError, match="lock timeout"):
            approve(claim)
    claim.refresh_from_db()
    assert claim.statement == "Reworded while the citations are locked"
    assert tallied() == counted()
