"""Orphaned claims: a claim whose quote an article's new text lost is kept, shown in the reader
apart from the highlighted ones with the reason, and re-attached by a reviewer to a selection."""

import pytest
from django.urls import reverse

from annotations.importers import import_document
from annotations.models import Article, Claim
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory

pytestmark = pytest.mark.django_db

FIRST = b"Harbour dues\n\nThe board raised dues by 4% to \xc2\xa3120 a year for small boats.\n"
SECOND = b"Harbour dues\n\nThe board set dues at \xc2\xa3120 a year for small boats from May.\n"


@pytest.fixture
def orphaned(reviewer):
    import_document("dues.txt", FIRST)
    article = Article.objects.get()
    start = article.body.index("by 4%")
    claim = ClaimFactory(article=article, start=start, end=start + 5, statement="Dues rose 4%")
    kept_start = article.body.index("£120")
    kept = ClaimFactory(article=article, start=kept_start, end=kept_start + 4)
    outcome = import_document("dues.txt", SECOND, article=article, user=reviewer)
    assert outcome.status == "updated" and outcome.orphaned == [claim]
    claim.refresh_from_db()
    kept.refresh_from_db()
    return claim, kept


def reader(client, user, article):
    client.force_login(user)
    return client.get(reverse("annotations:article-detail", args=[article.pk])).content.decode()


def test_an_orphan_is_listed_with_its_reason_and_not_highlighted(client, reviewer, orphaned):
    claim, kept = orphaned
    page = reader(client, reviewer, claim.article)
    assert "Orphaned claims" in page
    assert f'id="orphan-{claim.pk}"' in page
    assert "by 4%" in page and "the quoted text is not in the article" in page
    assert f'id="claim-item-{claim.pk}"' not in page
    assert f'id="claim-item-{kept.pk}"' in page
    assert f'data-claims="{claim.pk}"' not in page
    assert '<span id="claim-count" class="count">1</span>' in page


def test_a_reviewer_reattaches_an_orphan_to_a_selection(client, reviewer, orphaned):
    claim, _ = orphaned
    body = claim.article.body
    start = body.index("set dues at")
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:claim-reattach", args=[claim.article_id, claim.pk]),
        {"start": start, "end": start + 11, "quote": "set dues at", "version": claim.version},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert not claim.is_orphan and claim.orphan_reason == ""
    assert (claim.start, claim.quote) == (start, "set dues at")
    record = claim.history.first()
    assert record.history_user == reviewer
    assert record.history_change_reason == "Re-attached (its quote was “by 4%”)"
    page = reader(client, reviewer, claim.article)
    assert "Orphaned claims" not in page and f'id="claim-item-{claim.pk}"' in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quote": "other words"}, "does not match the article"),
        ({"start": ""}, "Select the words in the article"),
        ({"version": 1}, "Someone else saved this claim"),
    ],
)
def test_a_bad_or_stale_reattachment_changes_nothing_and_says_why(
    client, reviewer, orphaned, change, message
):
    claim, _ = orphaned
    start = claim.article.body.index("set dues at")
    data = {"start": start, "end": start + 11, "quote": "set dues at", "version": claim.version}
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:claim-reattach", args=[claim.article_id, claim.pk]),
        data | change,
        follow=True,
    )
    assert message in response.content.decode()
    claim.refresh_from_db()
    assert claim.is_orphan and claim.quote == "by 4%"


def test_a_claim_in_its_place_cannot_be_reattached(client, reviewer):
    article = ArticleFactory()
    claim = ClaimFactory(article=article, start=0, end=5)
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:claim-reattach", args=[article.pk, claim.pk]),
        {"start": 6, "end": 10, "quote": article.body[6:10], "version": claim.version},
        follow=True,
    )
    assert "nothing to re-attach" in response.content.decode()
    claim.refresh_from_db()
    assert claim.start == 0


def test_an_orphan_costs_one_query_and_a_reader_without_orphans_none(
    client, reviewer, orphaned, django_assert_num_queries
):
    claim, _ = orphaned
    client.force_login(reviewer)
    url = reverse("annotations:article-detail", args=[claim.article_id])
    client.get(url)
    # session, user with their role groups (one query), article, verdicts, the article's
    # claims, its orphans, its unreviewed suggestions
    with django_assert_num_queries(7):
        client.get(url)
    Claim.objects.filter(pk=claim.pk).update(orphaned_at=None)
    with django_assert_num_queries(6):
        client.get(url)


def test_a_claim_change_refresh_ignores_orphans(client, reviewer, orphaned):
    claim, kept = orphaned
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:claim-delete", args=[kept.article_id, kept.pk]),
        {"version": kept.version},
        headers={"HX-Request": "true", "HX-Target": "claim-panel", "X-Claim-Count": "1"},
    )
    html = response.content.decode()
    # The orphan is not counted among the claims in the text: the last one went.
    assert "No claims yet" in html


def test_the_original_file_page_shows_the_file_and_what_was_left_out(client, reviewer):
    raw = (
        "Tide tables\n\nHigh tide is at 6am on Friday.\n\n"
        "Sign up for our newsletter to get the news in your inbox\n\n<b>not markup</b>\n"
    )
    import_document("folder/tides.txt", raw.encode())
    article = Article.objects.get()
    client.force_login(reviewer)
    page = reader(client, reviewer, article)
    assert "1 line left out at import" in page
    response = client.get(reverse("annotations:article-original", args=[article.pk]))
    html = response.content.decode()
    assert "folder/tides.txt" in html
    assert "<li>Sign up for our newsletter to get the news in your inbox</li>" in html
    assert "&lt;b&gt;not markup&lt;/b&gt;" in html and "<b>not markup</b>" not in html


def test_orphans_stay_orphans_until_their_quote_returns(reviewer, orphaned):
    claim, _ = orphaned
    article = claim.article
    import_document("dues.txt", FIRST.replace(b"small", b"all"), article=article)
    claim.refresh_from_db()
    # Its quote and context are back: it is attached again, by the importer, with a record.
    article.refresh_from_db()
    assert not claim.is_orphan and article.body[claim.start : claim.end] == "by 4%"
    assert claim.history.first().history_change_reason.startswith("Moved onto")


def test_reattaching_an_approved_orphan_waits_for_a_second_person(
    client, reviewer, editor, orphaned
):
    claim, _ = orphaned
    CitationFactory(claim=claim)
    Claim.objects.filter(pk=claim.pk).update(state=Claim.State.APPROVED)
    claim.refresh_from_db()
    start = claim.article.body.index("set dues at")
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:claim-reattach", args=[claim.article_id, claim.pk]),
        {"start": start, "end": start + 11, "quote": "set dues at", "version": claim.version},
        follow=True,
    )
    assert "waits for a second person" in response.content.decode()
    claim.refresh_from_db()
    assert claim.is_orphan and claim.quote == "by 4%"  # published as it was
    revision = claim.revisions.pending().get()
    assert revision.changes["span"]["quote"] == "set dues at"
    assert revision.rows(claim)[0]["proposed"].startswith("“set dues at”")
    revision_approve = reverse(
        "annotations:claim-revision-approve", args=[claim.article_id, claim.pk]
    )
    client.force_login(editor)
    client.post(revision_approve, {"version": claim.version})
    claim.refresh_from_db()
    assert not claim.is_orphan and claim.quote == "set dues at"
    assert claim.state == Claim.State.APPROVED


def test_an_approved_claim_whose_words_changed_is_orphaned_not_moved(reviewer):
    import_document("dues.txt", FIRST)
    article = Article.objects.get()
    start = article.body.index("raised dues by 4%")
    claim = ClaimFactory(article=article, start=start, end=start + 17)
    Claim.objects.filter(pk=claim.pk).update(state=Claim.State.APPROVED)
    import_document("dues.txt", FIRST.replace(b"by 4%", b"by 4.5%"), article=article)
    claim.refresh_from_db()
    assert claim.is_orphan and claim.quote == "raised dues by 4%"
    assert "second person" in claim.orphan_reason


def test_a_long_change_reason_is_cut_to_its_column_not_a_failed_save(reviewer):
    # PostgreSQL refuses a reason over 100 characters; SQLite would store it whole.
    claim = ClaimFactory()
    claim._change_reason = "Orphaned by the article's new text: " + "a very long reason " * 20
    claim.save()
    reason = claim.history.first().history_change_reason
    assert len(reason) == 100 and reason.endswith("…")
    assert reason.startswith("Orphaned by the article's new text: a very long")
