"""The article reader: metadata, highlighted body, claim list, legend, verdict colours."""

import re

import pytest
from django.urls import reverse

from annotations.models import Article, Claim, Verdict
from tests.factories import ArticleFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db


def reader_url(article):
    return reverse("annotations:article-detail", args=[article.pk])


def add_claims(article, count):
    """``count`` claims of varied, overlapping spans across the whole body."""
    length = len(article.body)
    verdict = Verdict.objects.first()
    claims = []
    for i in range(count):
        start = (i * 7) % (length - 30)
        end = start + 5 + (i % 25)
        claims.append(
            Claim(
                article=article,
                start=start,
                end=end,
                quote=article.body[start:end],
                state=Claim.State.IN_PROGRESS if i % 2 else Claim.State.TO_DO,
                verdict=verdict if i % 3 == 0 else None,
            )
        )
    Claim.objects.bulk_create(claims)


def test_reader_shows_metadata_and_paragraphs(client, reviewer):
    article = ArticleFactory(
        title="Ferry numbers",
        title_inferred=True,
        section="Transport",
        standfirst="More people take the boat.",
        byline="A. Writer",
        notes="Syndicated from the Harbour Herald.",
    )
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    assert "inferred title" in html
    assert "Transport" in html
    assert "More people take the boat." in html
    assert "A. Writer" in html
    assert "Syndicated from the Harbour Herald." in html
    assert f'href="{article.url}"' in html
    assert html.count('<p data-s="') == 4


def test_article_url_is_a_link_only_for_http(client, reviewer):
    article = ArticleFactory()
    Article.objects.filter(pk=article.pk).update(url="javascript:alert(1)")
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    assert 'href="javascript:' not in html


def test_claims_render_as_marks_with_their_ids(client, reviewer, article):
    outer = ClaimFactory(article=article, start=0, end=60)
    inner = ClaimFactory(article=article, start=10, end=20)
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    assert f'data-claims="{outer.pk} {inner.pk}"' in html
    assert "layered" in html
    assert f'id="claim-item-{inner.pk}"' in html


def test_claim_list_rows_are_links_showing_state_and_verdict(client, reviewer, article):
    verdict = Verdict.objects.get(label="Inaccurate")
    judged = ClaimFactory(
        article=article,
        start=0,
        end=10,
        verdict=verdict,
        state=Claim.State.NEEDS_REVIEW,
        statement='Buses <b>ran</b> "late"',
    )
    open_claim = ClaimFactory(article=article, start=100, end=110, statement="")
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    detail = reverse("annotations:claim-detail", args=[article.pk, judged.pk])
    # One element per row: the link, coloured by its class, badges from its data attributes.
    assert (
        f'<a id="claim-item-{judged.pk}" class="claim-item verdict-{verdict.pk} is-needs_review" '
        f'href="{detail}" data-state="Needs review" data-verdict="Inaccurate">'
        "Buses &lt;b&gt;ran&lt;/b&gt; &quot;late&quot;</a>"
    ) in html
    # No statement yet: the row shows the quote; no verdict, no verdict badge.
    quote = article.body[100:110].strip()
    row = re.search(rf'<a id="claim-item-{open_claim.pk}"[^>]*>([^<]*)</a>', html)
    assert row and "data-verdict" not in row.group(0) and quote in row.group(1)
    assert 'class="claim-item state-to_do is-to_do"' in row.group(0)


def test_claim_list_drawn_at_once_equals_its_rows_drawn_one_by_one():
    """The page draws all its rows in one call (attributes shared by rows of one class, state
    and verdict built once, the texts escaped together); a refresh draws a single row. Both
    write the same row for the same claim, whatever its text."""
    from annotations.reader import claim_list_item, claim_list_items

    texts = [
        "Plain words",
        "Buses <b>ran</b> \"late\" & 'early'",
        "Two\nlines,\n\nand   spaces\t",
        "",
        "é" * 200,  # cut to the list's length
        "<",
    ]
    verdicts = [None, "Inaccurate", 'Half "true" & <odd>']
    rows = [
        (
            i + 1,
            f"verdict-{i % 3}" if i % 2 else "state-to_do",
            ("to_do", "needs_review", "made-up")[i % 3],
            verdicts[i % 3],
            texts[i % len(texts)],
            (None, 3, 2)[i % 3],
            (None, False, True)[i % 3],
            (None, "", "resolved")[i % 3],
        )
        for i in range(24)
    ]
    for oob in (False, True):
        one_by_one = "".join(
            claim_list_item("/a/1/claims/", *row[:5], oob=oob, family=row[5:]) for row in rows
        )
        assert claim_list_items("/a/1/claims/", rows, oob=oob) == one_by_one
    assert claim_list_items("/a/1/claims/", []) == ""
    assert claim_list_items("/a/1/claims/", rows[1:2]) == (
        '<a id="claim-item-2" class="claim-item verdict-1 is-needs_review" '
        'href="/a/1/claims/2/" data-state="Needs review" data-verdict="Inaccurate">'
        "Buses &lt;b&gt;ran&lt;/b&gt; &quot;late&quot; &amp; &#x27;early&#x27;"
        '<span class="badge family-badge">2 related</span></a>'
    )
    # White space folded; a resolved conflict shows as the family's size.
    assert claim_list_items("/a/1/claims/", rows[2:3]).endswith(
        '>Two lines, and spaces<span class="badge family-badge">1 related</span></a>'
    )


def test_highlight_colour_comes_from_verdict_or_state(client, reviewer, article):
    verdict = Verdict.objects.get(label="Inaccurate")
    judged = ClaimFactory(article=article, start=0, end=10, verdict=verdict)
    ClaimFactory(article=article, start=100, end=110, state=Claim.State.IN_PROGRESS)
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    assert f'class="hl verdict-{verdict.pk}" data-claims="{judged.pk}"' in html
    assert 'class="hl state-in_progress"' in html
    # The legend explains every active verdict and the states.
    for label in Verdict.objects.active().values_list("label", flat=True):
        assert label in html


def test_retired_verdict_still_shows_in_legend_when_used(client, reviewer, article):
    retired = Verdict.objects.create(label="Half true", colour="#aa8800", is_active=False)
    ClaimFactory(article=article, verdict=retired)
    client.force_login(reviewer)
    assert "Half true" in client.get(reader_url(article)).content.decode()


def test_article_text_is_escaped(client, reviewer):
    article = ArticleFactory(body="Before <script>alert('x')</script> after.\n\nMore <b>bold</b>.")
    ClaimFactory(article=article, start=0, end=20, statement="<script>evil()</script>")
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "<script>evil" not in html
    assert "<b>bold" not in html


def test_unknown_article_is_404(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("annotations:article-detail", args=[999999])).status_code == 404


def test_a_list_longer_than_its_box_is_laid_out_after_the_first_frame(client, reviewer):
    short, long = ArticleFactory(), ArticleFactory()
    add_claims(short, 30)
    add_claims(long, 31)
    client.force_login(reviewer)
    assert 'class="claim-rows"' in client.get(reader_url(short)).content.decode()
    page = client.get(reader_url(long)).content.decode()
    assert 'class="claim-rows pending"' in page
    # Without JavaScript nothing would lay it out later: a stylesheet shows it at once.
    assert re.search(r"<noscript>\s*<link rel=\"stylesheet\" href=\"[^\"]*reader-noscript", page)


def test_reader_query_count_does_not_grow_with_claims(client, reviewer, django_assert_num_queries):
    few, many = ArticleFactory(), ArticleFactory()
    add_claims(few, 5)
    add_claims(many, 500)
    client.force_login(reviewer)
    client.get(reader_url(few))  # warm the session
    for article in (few, many):
        # session, user with their role groups (one query since roles.SignedInUserBackend),
        # article, all verdicts, the article's claims, its unreviewed suggestions
        with django_assert_num_queries(6):
            response = client.get(reader_url(article))
        assert response.status_code == 200
    assert response.content.decode().count('id="claim-item-') == 500


def test_verdict_stylesheet_has_a_class_per_verdict_and_an_etag(client, reviewer):
    client.force_login(reviewer)
    url = reverse("annotations:verdict-styles")
    response = client.get(url)
    assert response["Content-Type"].startswith("text/css")
    accurate = Verdict.objects.get(label="Accurate")
    assert f".verdict-{accurate.pk} {{ --hl: #2e7d32; --hl-soft: rgba(46, 125, 50, 0.3); }}" in (
        response.content.decode()
    )
    again = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    accurate.colour = "#000000"
    accurate.save()
    assert client.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 200


def test_every_page_links_the_verdict_stylesheet(client, reviewer, article):
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-list")).content.decode()
    assert reverse("annotations:verdict-styles") in html


def test_no_inline_styles_or_scripts_on_the_reader(client, reviewer, article):
    ClaimFactory(article=article)
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    assert " style=" not in html
    # Scripts come from files; a JSON data block (the suggestions) is data the CSP never runs.
    assert not re.search(r'<script(?![^>]*\b(?:src=|type="application/json"))', html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "hx-on" not in html


def test_user_without_role_cannot_read(client, article):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reader_url(article)).status_code == 403


def test_reader_offers_selecting_with_the_keyboard(client, reviewer, article):
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    assert 'data-action="caret-mode"' in html and 'aria-pressed="false"' in html
    assert "<dt><kbd>v</kbd></dt>" in html  # in the shortcut help
    # The server never renders the body editable: only reader.js does, in the mode.
    assert "contenteditable" not in html
