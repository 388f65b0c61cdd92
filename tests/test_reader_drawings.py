"""The reader keeps the last long articles' drawn claims (``annotations.reader.RecentDrawings``)
and gives them again only while everything they were drawn from is unchanged: any change shows
at once, however it was written."""

import re

import pytest
from django.urls import reverse

from annotations.models import Article, Claim, ClaimFamily, FamilyMembership, Verdict
from annotations.reader import RecentDrawings, reader_context, recent_drawings
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

WORDS = "Figures from the council show 40 buses ran late in May. "


@pytest.fixture
def long_article():
    """An article with enough claims for its drawing to be kept, one per sentence."""
    recent_drawings.clear()
    article = ArticleFactory(body=WORDS * (recent_drawings.min_claims + 20))
    Claim.objects.bulk_create(
        Claim(
            article=article,
            start=i * len(WORDS),
            end=i * len(WORDS) + 36,
            quote=WORDS[:36],
            statement=f"Statement {i}",
        )
        for i in range(recent_drawings.min_claims + 20)
    )
    yield article
    recent_drawings.clear()


def page(client, article) -> str:
    html = client.get(reverse("annotations:article-detail", args=[article.pk])).content.decode()
    # The CSRF token changes between responses; nothing else may.
    return re.sub(r'(X-CSRFToken": "|csrfmiddlewaretoken" value=")\w+', r"\1-", html)


def row_of(html: str, claim: Claim) -> str:
    return re.search(rf'<a id="claim-item-{claim.pk}"[^>]*>.*?</a>', html).group(0)


def test_an_unchanged_article_is_not_drawn_again_and_looks_the_same(client, reviewer, long_article):
    client.force_login(reviewer)
    first = page(client, long_article)
    kept = reader_context(long_article)["body_html"]
    assert reader_context(long_article)["body_html"] is kept  # given again, not drawn
    assert page(client, long_article) == first
    recent_drawings.clear()
    assert page(client, long_article) == first  # drawn afresh: the same page


def test_a_claim_changed_without_save_shows_at_once(client, reviewer, long_article):
    """A queryset update sends no signal and raises no version: the drawing is still not
    given again, because the claims' rows it was drawn from differ."""
    client.force_login(reviewer)
    claim = long_article.claims.order_by("start")[3]
    verdict = Verdict.objects.get(label="Inaccurate")
    page(client, long_article)
    Claim.objects.filter(pk=claim.pk).update(
        verdict=verdict, state=Claim.State.NEEDS_REVIEW, statement="Buses <ran> late"
    )
    html = page(client, long_article)
    assert f'class="hl verdict-{verdict.pk}" data-claims="{claim.pk}"' in html
    row = row_of(html, claim)
    assert f"verdict-{verdict.pk} is-needs_review" in row and "Buses &lt;ran&gt; late" in row
    # Moved, then deleted.
    Claim.objects.filter(pk=claim.pk).update(start=claim.start + 5, end=claim.end + 5)
    assert f'data-claims="{claim.pk}" data-s="{claim.start + 5}"' in page(client, long_article)
    Claim.objects.filter(pk=claim.pk).delete()
    html = page(client, long_article)
    assert f'id="claim-item-{claim.pk}"' not in html and f'data-claims="{claim.pk}"' not in html


def test_a_renamed_verdict_and_an_edited_text_show_at_once(client, reviewer, long_article):
    client.force_login(reviewer)
    verdict = Verdict.objects.get(label="Inaccurate")
    claim = long_article.claims.order_by("start").first()
    Claim.objects.filter(pk=claim.pk).update(verdict=verdict)
    assert 'data-verdict="Inaccurate"' in row_of(page(client, long_article), claim)
    Verdict.objects.filter(pk=verdict.pk).update(label="Wrong & misleading")
    assert 'data-verdict="Wrong &amp; misleading"' in row_of(page(client, long_article), claim)
    # The same length of text, so every claim keeps its place: only the words differ.
    Article.objects.filter(pk=long_article.pk).update(
        body=long_article.body.replace("late", "slow", 1)
    )
    assert "ran slow in May" in page(client, long_article)


def test_a_family_joined_from_another_article_shows_at_once(client, reviewer, long_article):
    """The family badge counts claims of other articles: their change writes no row of this
    article, and still shows."""
    client.force_login(reviewer)
    claim = long_article.claims.order_by("start").first()
    family = ClaimFamily.objects.create(statement="Buses ran late", member_count=2)
    FamilyMembership.objects.create(claim=claim, family=family)
    assert "1 related</span>" in row_of(page(client, long_article), claim)
    ClaimFamily.objects.filter(pk=family.pk).update(member_count=4)
    assert "3 related</span>" in row_of(page(client, long_article), claim)
    ClaimFamily.objects.filter(pk=family.pk).update(conflict=True)
    assert "family-badge conflict" in row_of(page(client, long_article), claim)


def test_short_articles_are_not_kept_and_only_the_last_few_long_ones_are(long_article):
    short = ArticleFactory()
    Claim.objects.create(article=short, start=0, end=10, quote=short.body[:10])
    kept = reader_context(short)["body_html"]
    assert reader_context(short)["body_html"] is not kept  # drawn again: cheap enough

    drawings = RecentDrawings(size=2, min_claims=1)

    def draw(article_pk):
        # One claim in the body, as the reader's query reads it.
        row = (article_pk, "body", 0, 4, "to_do", None, "", None, None, None, None)
        texts = ("Title", "", f"Body of {article_pk}")
        return drawings.draw(article_pk, texts, [row], (), "/articles/1/claims/")

    first = draw(1)
    assert draw(1) is first
    draw(2)
    draw(3)  # the third article pushes out the least recently read
    again = draw(1)
    assert again is not first and again == first
