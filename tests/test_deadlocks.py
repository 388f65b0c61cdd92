"""A save PostgreSQL aborted to break a deadlock runs again instead of failing the request."""

import pytest
from django.db import OperationalError, transaction

from annotations.models import Claim, Notification
from tests.factories import ClaimFactory, UserFactory

# Each save here opens its own transaction, as in a request (a test wrapped in one would not).
pytestmark = pytest.mark.django_db(transaction=True)


class Deadlock(Exception):
    sqlstate = "40P01"


def aborted(sqlstate="40P01") -> OperationalError:
    cause = Deadlock("deadlock detected")
    cause.sqlstate = sqlstate
    error = OperationalError("deadlock detected")
    error.__cause__ = cause
    return error


@pytest.fixture
def aborted_once(monkeypatch):
    """The first save's transaction is aborted at its end, as PostgreSQL aborts the one it
    picks; the next goes through."""
    calls = {"n": 0}
    original = Notification.objects.about_claim_change

    def about_claim_change(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise aborted()
        return original(*args, **kwargs)

    monkeypatch.setattr(Notification.objects, "about_claim_change", about_claim_change)
    monkeypatch.setattr("annotations.deadlocks.time.sleep", lambda seconds: None)
    return calls


def test_an_edit_aborted_by_a_deadlock_is_saved_once_on_its_second_try(aborted_once):
    claim = ClaimFactory(statement="Buses carried 12 million riders")
    editor = UserFactory(username="edith")
    seen = claim.version
    claim.edit(by=editor, version=seen, statement="Buses carried 12.4 million riders")

    saved = Claim.objects.get(pk=claim.pk)
    assert saved.statement == "Buses carried 12.4 million riders"
    assert saved.version == seen + 1  # one new version, not two
    assert saved.history.count() == 2  # created, then the edit once
    assert aborted_once["n"] == 2


def test_inside_a_callers_transaction_the_error_goes_to_the_caller(aborted_once):
    claim = ClaimFactory(statement="Buses carried 12 million riders")
    editor = UserFactory(username="edith")
    with pytest.raises(OperationalError), transaction.atomic():
        claim.edit(by=editor, version=claim.version, statement="Buses carried 13 million")
    assert aborted_once["n"] == 1


def test_other_database_errors_are_not_tried_again(monkeypatch):
    claim = ClaimFactory(statement="Buses carried 12 million riders")
    calls = []

    def about_claim_change(*args, **kwargs):
        calls.append(1)
        raise aborted(sqlstate="53300")  # too many connections: not another transaction's doing

    monkeypatch.setattr(Notification.objects, "about_claim_change", about_claim_change)
    with pytest.raises(OperationalError):
        claim.edit(by=UserFactory(), version=claim.version, statement="Buses carried 13 million")
    assert len(calls) == 1
    assert Claim.objects.get(pk=claim.pk).statement == "Buses carried 12 million riders"


def test_a_claim_made_from_a_selection_is_made_once_after_a_deadlock(monkeypatch):
    from annotations.models import Claim as ClaimModel
    from tests.factories import ArticleFactory

    article = ArticleFactory(body="Buses carried 12.4 million riders last year.")
    calls = []
    original = ClaimModel.refile

    def refile(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise aborted()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ClaimModel, "refile", refile)
    monkeypatch.setattr("annotations.deadlocks.time.sleep", lambda seconds: None)
    claim = Claim.objects.create_from_selection(
        article, 0, 5, "Buses", by=UserFactory(), statement="Buses carried riders"
    )
    assert list(Claim.objects.values_list("pk", flat=True)) == [claim.pk]
    assert claim.history.count() == 1
    assert len(calls) == 2


def test_a_citation_of_a_new_source_after_a_deadlock_saves_the_source_and_cites_it(
    aborted_once,
):
    from annotations.models import Citation, Source

    claim = ClaimFactory(statement="Buses carried 12 million riders")
    source = Source(title="Bus statistics 2024", url="https://stats.example/buses-2024")
    citation = claim.add_citation(
        by=UserFactory(), version=claim.version, source=source, quote="12.4 million", locator="p. 3"
    )
    assert aborted_once["n"] == 2
    stored = Source.objects.get(url="https://stats.example/buses-2024")
    assert citation.pk is not None and citation.source_id == stored.pk
    assert list(Citation.objects.values_list("source_id", flat=True)) == [stored.pk]


def test_a_citation_removed_after_a_deadlock_is_removed(monkeypatch):
    from annotations.models import Citation
    from tests.factories import CitationFactory

    citation = CitationFactory()
    claim = Claim.objects.get(pk=citation.claim_id)
    calls = []
    original = Claim._note_work

    def note_work(self, by):
        calls.append(1)
        if len(calls) == 1:
            raise aborted()
        return original(self, by)

    monkeypatch.setattr(Claim, "_note_work", note_work)
    monkeypatch.setattr("annotations.deadlocks.time.sleep", lambda seconds: None)
    claim.remove_citation(citation, by=UserFactory(), version=claim.version)
    assert len(calls) == 2
    assert not Citation.objects.exists()


def test_an_edit_aborted_by_deadlocks_four_times_is_saved_on_its_fifth_try(monkeypatch):
    """Under heavy load the same two saves may meet again: four aborts in a row still end in
    the edit saved once, not a server error."""
    claim = ClaimFactory(statement="Buses carried 12 million")
    original = Notification.objects.about_claim_change
    calls = {"n": 0}

    def about_claim_change(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= 4:
            raise aborted()
        return original(*args, **kwargs)

    monkeypatch.setattr(Notification.objects, "about_claim_change", about_claim_change)
    monkeypatch.setattr("annotations.deadlocks.time.sleep", lambda seconds: None)
    claim.edit(by=UserFactory(), version=claim.version, statement="Buses carried 13 million")
    claim.refresh_from_db()
    assert claim.statement == "Buses carried 13 million"
    assert claim.version == 2
    assert calls["n"] == 5
