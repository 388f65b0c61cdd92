import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotations.models import Claim, Source, Verdict
from tests.factories import ArticleFactory, ClaimFactory, SourceFactory


@pytest.mark.django_db
def test_default_verdict_scale_is_seeded_with_claimreview_ratings():
    ratings = dict(Verdict.objects.values_list("label", "rating"))
    assert ratings["Accurate"] == 5
    assert ratings["Inaccurate"] == 1
    assert ratings["Unverifiable"] is None
    assert list(Verdict.objects.values_list("label", flat=True)) == [
        "Accurate",
        "Mostly accurate",
        "Missing context",
        "Misleading",
        "Inaccurate",
        "Unverifiable",
    ]


@pytest.mark.django_db
def test_claim_quote_must_equal_the_body_at_its_offsets(article):
    claim = Claim(article=article, start=4, end=8, quote="nope")
    with pytest.raises(ValidationError, match="does not match"):
        claim.full_clean()


@pytest.mark.django_db
def test_claim_outside_the_body_is_invalid(article):
    length = len(article.body)
    claim = Claim(article=article, start=length - 2, end=length + 3, quote="xxxxx")
    with pytest.raises(ValidationError, match="outside"):
        claim.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "end"), [(5, 5), (9, 3)])
def test_database_refuses_empty_or_reversed_spans(article, start, end):
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(article=article, start=start, end=end, quote="")


@pytest.mark.django_db
def test_database_refuses_quote_whose_length_differs_from_the_span(article):
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(article=article, start=0, end=10, quote="too short")


@pytest.mark.django_db
def test_anchor_to_trims_whitespace_and_records_context():
    article = ArticleFactory(body="Alpha beta gamma delta.")
    claim = Claim()
    claim.anchor_to(article, 5, 12)  # " beta g" with surrounding spaces
    assert (claim.start, claim.end, claim.quote) == (6, 12, "beta g")
    assert claim.prefix == "Alpha "
    assert claim.suffix == "amma delta."
    claim.full_clean(exclude=["statement"])


@pytest.mark.django_db
def test_offsets_count_code_points_not_utf16_units():
    article = ArticleFactory(body="🚌 Bus use rose 8%.")
    claim = ClaimFactory(article=article, start=2, end=5)
    assert claim.quote == "Bus"


@pytest.mark.django_db
def test_duplicate_source_url_is_refused_after_normalisation():
    SourceFactory(url="https://stats.example/report")
    duplicate = Source(title="Same page", url="HTTPS://Stats.Example:443/report/?utm_source=x#top")
    with pytest.raises(ValidationError, match="already in the library"):
        duplicate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.django_db
def test_source_url_is_stored_normalised():
    source = SourceFactory(url="HTTP://Example.ORG/Page/?b=2&a=1&fbclid=abc")
    source.refresh_from_db()
    assert source.url == "http://example.org/Page?a=1&b=2"


@pytest.mark.django_db
def test_javascript_source_url_is_refused():
    with pytest.raises(ValidationError):
        Source(title="x", url="javascript:alert(1)").save()


@pytest.mark.django_db
def test_verdict_rating_outside_scale_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Verdict.objects.create(label="Wild", colour="#123456", rating=9)


@pytest.mark.django_db
def test_claim_changes_are_kept_in_history(article, reviewer):
    claim = ClaimFactory(article=article, statement="First wording")
    claim.statement = "Second wording"
    claim.save()
    claim_id = claim.id
    claim.delete()
    statements = list(
        Claim.history.filter(id=claim_id)
        .order_by("history_id")
        .values_list("history_type", "statement")
    )
    assert statements == [("+", "First wording"), ("~", "Second wording"), ("-", "Second wording")]


@pytest.mark.django_db
def test_roles_include_lower_ones(reviewer, editor, admin_user):
    assert (reviewer.is_reviewer, reviewer.is_editor, reviewer.is_admin) == (True, False, False)
    assert (editor.is_reviewer, editor.is_editor, editor.is_admin) == (True, True, False)
    assert (admin_user.is_reviewer, admin_user.is_editor, admin_user.is_admin) == (True, True, True)


@pytest.mark.django_db
def test_deleting_a_claim_keeps_its_discussion_in_history():
    from annotations.models import Comment
    from tests.factories import CommentFactory

    comment = CommentFactory(body="Asked the council for the raw counts.")
    comment_id = comment.pk
    comment.claim.delete()
    assert not Comment.objects.filter(pk=comment_id).exists()
    kept = Comment.history.filter(id=comment_id).order_by("history_id").last()
    assert kept.history_type == "-"
    assert kept.body == "Asked the council for the raw counts."


@pytest.mark.django_db
def test_history_rows_are_read_and_written_through_one_manager_class_per_model(reviewer):
    """Each save writes its history row through ``instance.history``: simple-history made
    a new manager class at every access (a third of a claim's history row)."""
    claim = ClaimFactory()
    claim.edit(by=reviewer, version=claim.version, statement="Checked again")
    other = ClaimFactory()
    assert type(claim.history) is type(other.history) is type(Claim.history)
    assert [row.history_type for row in claim.history.order_by("history_id")] == ["+", "~"]
    assert claim.history.first().history_user == reviewer
