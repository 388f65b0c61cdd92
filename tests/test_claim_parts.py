"""Headline and standfirst are claimable: a claim names its part of the article, and its offsets
count from the start of that part's text."""

import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from annotations import anchoring
from annotations.importers import import_document
from annotations.models import Article, Claim
from tests.factories import ArticleFactory, ClaimFactory, UserFactory

HEADLINE = "300,000 predators on the prowl, police warn"
STANDFIRST = "Specialists say the figure counts every registered offender since 1997."


@pytest.fixture
def article(db):
    return ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)


def test_each_part_names_its_text(article):
    assert article.text_of(Article.Part.HEADLINE) == HEADLINE
    assert article.text_of("standfirst") == STANDFIRST
    assert article.text_of(Article.Part.BODY) == article.body


def test_a_selection_in_the_headline_is_anchored_in_the_headline(article):
    claim = Claim.objects.create_from_selection(
        article, 0, 30, "300,000 predators on the prowl", by=UserFactory(), part="headline"
    )
    claim.refresh_from_db()
    assert (claim.part, claim.start, claim.end) == ("headline", 0, 30)
    assert claim.quote == "300,000 predators on the prowl"
    assert claim.suffix == ", police warn"
    assert claim.text == HEADLINE


def test_a_selection_that_is_not_in_the_named_part_is_refused(article):
    # The standfirst's words at the standfirst's offsets, but sent as a headline selection.
    with pytest.raises(anchoring.AnchorError):
        Claim.objects.create_from_selection(
            article, 0, 11, "Specialists", by=UserFactory(), part="headline"
        )
    assert not Claim.objects.exists()


def test_an_unknown_part_is_refused_by_the_database(article):
    claim = ClaimFactory(article=article)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(part="footer")


def test_reading_order_puts_headline_then_standfirst_then_body(article):
    body = ClaimFactory(article=article, start=0, end=4)
    standfirst = ClaimFactory(article=article, part="standfirst", start=0, end=11)
    headline = ClaimFactory(article=article, part="headline", start=8, end=17)
    assert list(article.claims.in_reading_order()) == [headline, standfirst, body]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_what_existing_claims_cover():
    executor = MigrationExecutor(connection)
    [before] = [
        (app, name)
        for app, name in executor.loader.graph.nodes
        if app == "annotations" and name.startswith("0015_")
    ]
    [after] = [
        (app, name)
        for app, name in executor.loader.graph.nodes
        if app == "annotations" and name.endswith("_claim_part")
    ]
    leaf = executor.loader.graph.leaf_nodes("annotations")[0]
    try:
        executor.migrate([before])
        apps = MigrationExecutor(connection).loader.project_state([before]).apps
        old_article = apps.get_model("annotations", "Article").objects.create(
            title="Buses carry record numbers",
            standfirst="A standfirst",
            body="Passenger journeys rose to 12.4 million last year.",
            raw_text="raw",
            content_hash="7" * 64,
        )
        apps.get_model("annotations", "Claim").objects.create(
            article=old_article,
            start=19,
            end=40,
            quote="rose to 12.4 million ",
            prefix="",
            suffix="",
        )

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([after])
        apps = MigrationExecutor(connection).loader.project_state([after]).apps
        [claim] = apps.get_model("annotations", "Claim").objects.all()
        assert claim.part == "body"
        assert (claim.start, claim.end) == (19, 40)
        assert old_article.body[claim.start : claim.end] == claim.quote
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([leaf])


# --- In the reader ------------------------------------------------------------------------------

PANEL = {"HX-Request": "true", "HX-Target": "claim-panel"}


def reader_url(article):
    return reverse("annotations:article-detail", args=[article.pk])


def create_url(article):
    return reverse("annotations:claim-create", args=[article.pk])


def test_headline_and_standfirst_are_selection_roots_with_their_highlights(client, reviewer):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    headline = ClaimFactory(article=article, part="headline", start=0, end=7)
    standfirst = ClaimFactory(article=article, part="standfirst", start=0, end=11)
    body = ClaimFactory(article=article, start=0, end=4)
    client.force_login(reviewer)
    html = client.get(reader_url(article)).content.decode()
    headline_html = re.search(r'<span id="article-headline"[^>]*>(.*?)</span>\s*</h1>', html, re.S)
    assert 'data-part="headline"' in headline_html.group(0)
    assert (
        f'<mark class="hl state-to_do" data-claims="{headline.pk}" data-s="0">300,000</mark>'
        in (headline_html.group(1))
    )
    standfirst_html = re.search(r'<p id="article-standfirst"[^>]*>(.*?)</p>', html, re.S)
    assert 'data-part="standfirst"' in standfirst_html.group(0)
    assert f'data-claims="{standfirst.pk}" data-s="0">Specialists</mark>' in standfirst_html.group(
        1
    )
    # The body's highlight at offset 0 is the body's, not the headline's.
    body_html = html[html.index('id="article-body"') :]
    assert (
        f'data-claims="{body.pk}"' in body_html and f'data-claims="{headline.pk}"' not in body_html
    )
    # The claim list reads the headline's words for the headline claim, in reading order.
    rows = re.findall(r'id="claim-item-(\d+)"', html)
    assert rows == [str(headline.pk), str(standfirst.pk), str(body.pk)]


def test_a_headline_selection_creates_a_headline_claim_and_redraws_the_headline(client, reviewer):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    ClaimFactory(article=article, start=0, end=4)  # not the first claim: one row is added
    client.force_login(reviewer)
    response = client.post(
        create_url(article),
        {
            "part": "headline",
            "start": 0,
            "end": 30,
            "quote": "300,000 predators on the prowl",
            "category": "statistic",
        },
        headers=PANEL | {"X-Claim-Count": "1"},
    )
    html = response.content.decode()
    claim = Claim.objects.get(part="headline")
    assert claim.quote == "300,000 predators on the prowl"
    assert '<div hx-swap-oob="innerHTML:#article-headline">' in html
    assert f'data-claims="{claim.pk}" data-s="0">300,000 predators on the prowl</mark>' in html
    assert "innerHTML:#article-body" not in html  # the body is left alone
    # The headline comes first in reading order: the row goes before the body claim's.
    body_claim = Claim.objects.get(part="body")
    assert f'hx-swap-oob="beforebegin:#claim-item-{body_claim.pk}"' in html


def test_a_standfirst_selection_at_body_offsets_is_refused_with_a_message(client, reviewer):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    client.force_login(reviewer)
    start = article.body.index("12.4 million")
    html = client.post(
        create_url(article),
        {"part": "standfirst", "start": start, "end": start + 12, "quote": "12.4 million"},
        headers=PANEL,
    ).content.decode()
    assert not Claim.objects.exists()
    assert 'class="alert error"' in html or "errorlist" in html


def test_a_form_without_a_part_makes_a_body_claim(client, reviewer):
    # A reader page opened before headlines were claimable sends no part.
    article = ArticleFactory(title=HEADLINE)
    client.force_login(reviewer)
    start = article.body.index("12.4 million")
    client.post(
        create_url(article),
        {"start": start, "end": start + 12, "quote": "12.4 million", "category": "other"},
        headers=PANEL,
    )
    assert Claim.objects.get().part == "body"


# --- When the headline's text changes ----------------------------------------------------------


def test_a_new_title_moves_headline_claims_and_orphans_those_it_lost(client, reviewer):
    article = ArticleFactory(title=HEADLINE)
    kept = ClaimFactory(article=article, part="headline", start=8, end=17)  # "predators"
    lost = ClaimFactory(article=article, part="headline", start=18, end=30)  # "on the prowl"
    body = ClaimFactory(article=article, start=0, end=4)
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:article-details", args=[article.pk]),
        {
            "version": article.version,
            "title": "Police warn: 300,000 predators in the county",
            "url": article.url,
            "publisher": article.publisher.name,
            "byline": "",
            "published_on": "",
            "language": "",
        },
        headers={"HX-Request": "true", "HX-Target": "article-details"},
    )
    html = response.content.decode()
    assert "1 claim(s) in the headline lost their place" in html
    kept.refresh_from_db()
    lost.refresh_from_db()
    body.refresh_from_db()
    assert (kept.start, kept.end, kept.quote, kept.is_orphan) == (21, 30, "predators", False)
    assert lost.is_orphan and lost.quote == "on the prowl"
    assert "not in the article" in lost.orphan_reason
    assert not body.is_orphan and (body.start, body.end) == (0, 4)
    # The header shows the new title with the moved claim highlighted.
    assert f'data-claims="{kept.pk}" data-s="21">predators</mark>' in html
    assert kept.history.first().history_change_reason == "Moved onto the article's new text"


def test_an_importer_update_finds_headline_and_standfirst_claims_in_their_new_text(reviewer):
    first = b"Harbour dues up 4%\n\nThe board raised dues by 4% to 120 pounds a year.\n"
    import_document("dues.txt", first)
    article = Article.objects.get()
    assert article.title == "Harbour dues up 4%"
    headline = ClaimFactory(article=article, part="headline", start=13, end=18)  # "up 4%"
    start = article.body.index("by 4%")
    body = ClaimFactory(article=article, start=start, end=start + 5)
    second = b"Harbour dues: up 4% again\n\nThe board raised dues by 4% to 120 pounds a year.\n"
    outcome = import_document("dues.txt", second, article=article, user=reviewer)
    assert outcome.status == "updated"
    headline.refresh_from_db()
    body.refresh_from_db()
    assert (headline.part, headline.start, headline.quote) == ("headline", 14, "up 4%")
    assert not headline.is_orphan and not body.is_orphan


def admin_form_data(page: str) -> dict:
    """The values the admin's change form would send as it stands."""
    from html.parser import HTMLParser

    data = {}

    class Form(HTMLParser):
        textarea = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            name = attrs.get("name")
            if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox"):
                data[name] = attrs.get("value", "")
            elif tag == "input" and name and "checked" in attrs:
                data[name] = "on"
            elif tag == "textarea" and name:
                self.textarea = name
                data[name] = ""
            elif tag == "option" and "selected" in attrs and self.select:
                data[self.select] = attrs.get("value", "")
            if tag == "select":
                self.select = name

        select = None

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.textarea = None

        def handle_data(self, text):
            if self.textarea:
                data[self.textarea] += text

    Form().feed(page)
    return data


def test_an_admin_edit_of_the_standfirst_moves_its_claims_and_warns_of_orphans(client, admin_user):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    moved = ClaimFactory(article=article, part="standfirst", start=34, end=59)
    lost = ClaimFactory(article=article, part="standfirst", start=0, end=11)  # "Specialists"
    headline = ClaimFactory(article=article, part="headline", start=0, end=7)
    client.force_login(admin_user)
    address = reverse("admin:annotations_article_change", args=[article.pk])
    data = admin_form_data(client.get(address).content.decode())
    data["standfirst"] = "Experts say: the figure counts every registered offender since 1997."
    response = client.post(address, data, follow=True)
    assert response.status_code == 200
    moved.refresh_from_db()
    lost.refresh_from_db()
    headline.refresh_from_db()
    assert (moved.start, moved.quote, moved.is_orphan) == (31, "every registered offender", False)
    assert lost.is_orphan
    assert not headline.is_orphan and headline.version == 1  # its text did not change
    assert f"Claim #{lost.pk} (“Specialists”) lost its place in the standfirst" in (
        response.content.decode()
    )


def test_an_admin_form_opened_before_a_reviewers_new_title_cannot_put_the_old_one_back(
    client, admin_user, reviewer
):
    """Saved as it was, the admin's stale form would revert the reviewer's title and move the
    headline's claims back onto the old words."""
    article = ArticleFactory(title=HEADLINE)
    headline = ClaimFactory(article=article, part="headline", start=8, end=17)  # "predators"
    client.force_login(admin_user)
    address = reverse("admin:annotations_article_change", args=[article.pk])
    data = admin_form_data(client.get(address).content.decode())
    assert data["version"] == str(article.version)
    retitled = "Now " + HEADLINE
    article.edit_details(by=reviewer, version=article.version, title=retitled)
    data["notes"] = "Checked against the court records."

    response = client.post(address, data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this article while you were editing it" in html
    assert retitled in html  # their version, shown
    article.refresh_from_db()
    headline.refresh_from_db()
    assert (article.title, article.notes) == (retitled, "")
    assert (headline.start, headline.quote) == (12, "predators")
    # The form shown again is based on the newer version: saving it now is deliberate.
    again = admin_form_data(html)
    assert again["version"] == str(article.version)
    assert client.post(address, again).status_code == 302


def test_the_claim_panel_says_a_claim_is_in_the_headline(client, reviewer):
    article = ArticleFactory(title=HEADLINE)
    headline = ClaimFactory(article=article, part="headline", start=0, end=7)
    body = ClaimFactory(article=article, start=0, end=7)
    client.force_login(reviewer)

    def panel(claim):
        address = reverse("annotations:claim-detail", args=[article.pk, claim.pk])
        return client.get(address, headers=PANEL).content.decode()

    assert '<p class="claim-part muted">In the headline:</p>' in panel(headline)
    assert "claim-part" not in panel(body)


def test_a_page_behind_others_changes_gets_every_part_redrawn(client, reviewer):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    ClaimFactory(article=article, start=0, end=4)
    elsewhere = ClaimFactory(article=article, part="standfirst", start=0, end=11)
    client.force_login(reviewer)
    html = client.post(
        create_url(article),
        {"part": "headline", "start": 8, "end": 17, "quote": "predators", "category": "other"},
        headers=PANEL | {"X-Claim-Count": "1"},  # the page shows one claim; there were two
    ).content.decode()
    new = Claim.objects.get(part="headline")
    for region in ("claim-list", "article-headline", "article-body", "article-standfirst"):
        assert re.search(rf'id="{region}"[^>]*hx-swap-oob="true"', html), region
    assert f'data-claims="{new.pk}" data-s="8">predators</mark>' in html
    assert f'data-claims="{elsewhere.pk}" data-s="0">Specialists</mark>' in html
