"""After a claim is created, changed or deleted, the panel response carries out-of-band htmx
fragments for the part of the reader page that changed: they must leave the page exactly as a
fresh load would show it."""

import random
import re

import pytest
from django.urls import reverse

from annotations.models import Claim, Verdict
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory

pytestmark = pytest.mark.django_db

PANEL = {"HX-Request": "true", "HX-Target": "claim-panel"}
BODY = "\n\n".join(
    [
        "The harbour ferry carried 41,000 passengers in June, up from 38,500 a year earlier.",
        "Fares rose by 5% in April; the operator says the rise paid for two new crews.",
        "A second boat joins the route in May, doubling departures on weekday mornings.",
        "Council figures show the ferry now takes 900 cars a day off the bridge.",
    ]
)
PARAGRAPH = re.compile(r'<p data-s="(\d+)">(.*?)</p>', re.S)
FRAGMENT = re.compile(
    r"<div hx-swap-oob=\"innerHTML:#article-body > p\[data-s='(\d+)'\]\">(.*?)</div>", re.S
)
ROW = re.compile(r'<a id="claim-item-(\d+)"')


def reader(client, article) -> str:
    return client.get(reverse("annotations:article-detail", args=[article.pk])).content.decode()


def paragraphs(page: str) -> dict[int, str]:
    return {int(start): inner for start, inner in PARAGRAPH.findall(page)}


def claim_at(article, text: str, **fields) -> Claim:
    start = article.body.index(text)
    return ClaimFactory(article=article, start=start, end=start + len(text), **fields)


def create(client, article, text: str) -> str:
    start = article.body.index(text)
    response = client.post(
        reverse("annotations:claim-create", args=[article.pk]),
        {"start": start, "end": start + len(text), "quote": text, "category": "statistic"},
        headers=PANEL,
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def article():
    return ArticleFactory(body=BODY)


@pytest.fixture
def signed_in(client, reviewer):
    client.force_login(reviewer)
    return client


def test_new_claim_redraws_only_the_paragraphs_it_spans_as_a_fresh_page_shows_them(
    signed_in, article
):
    claim_at(article, "38,500 a year earlier.\n\nFares rose by 5%")
    claim_at(article, "900 cars a day")
    html = create(signed_in, article, "41,000 passengers in June, up from 38,500 a year")
    new = Claim.objects.latest("pk")
    fragments = {int(start): inner for start, inner in FRAGMENT.findall(html)}
    fresh = paragraphs(reader(signed_in, article))
    first, second, *_ = sorted(fresh)
    assert sorted(fragments) == [first]
    assert fragments[first] == fresh[first]
    assert f'data-claims="{new.pk}"' in fragments[first]
    assert "layered depth-2" in fragments[first]  # overlaps the claim across the break
    assert second not in fragments


def test_fragments_match_a_fresh_page_for_any_new_span(signed_in, article):
    rng = random.Random(7)
    words = [m.start() for m in re.finditer(r"\S+", BODY)]
    for _ in range(12):
        start = rng.choice(words)
        end = min(len(BODY), start + rng.randint(5, 160))
        text = BODY[start:end].strip()
        html = create(signed_in, article, text) if text else ""
        fresh = paragraphs(reader(signed_in, article))
        for p_start, inner in FRAGMENT.findall(html):
            assert inner == fresh[int(p_start)]


def test_new_row_goes_before_the_next_claim_in_reading_order_and_the_count_updates(
    signed_in, article
):
    claim_at(article, "The harbour ferry")
    later = claim_at(article, "900 cars a day")
    html = create(signed_in, article, "Fares rose by 5%")
    new = Claim.objects.latest("pk")
    assert f'<div hx-swap-oob="beforebegin:#claim-item-{later.pk}"><a id="claim-item-{new.pk}"' in (
        html
    )
    assert '<span id="claim-count" class="count" hx-swap-oob="true">3</span>' in html
    assert ROW.findall(reader(signed_in, article)) == [
        str(pk) for pk in Claim.objects.order_by("start", "end", "pk").values_list("pk", flat=True)
    ]


def test_a_claim_after_all_others_is_appended_to_the_list(signed_in, article):
    claim_at(article, "The harbour ferry")
    html = create(signed_in, article, "900 cars a day")
    assert '<div hx-swap-oob="beforeend:#claim-rows"><a id="claim-item-' in html


def test_the_first_claim_replaces_the_empty_list(signed_in, article):
    html = create(signed_in, article, "Fares rose by 5%")
    assert '<section id="claim-list" class="claim-list" hx-swap-oob="true">' in html
    assert "No claims yet" not in html


def test_a_page_that_missed_other_changes_gets_the_whole_list_and_body(signed_in, article):
    claim_at(article, "The harbour ferry")
    claim_at(article, "900 cars a day")  # added by someone else: this page still shows 1
    start = article.body.index("Fares rose by 5%")
    response = signed_in.post(
        reverse("annotations:claim-create", args=[article.pk]),
        {"start": start, "end": start + 16, "quote": "Fares rose by 5%", "category": "other"},
        headers={**PANEL, "X-Claim-Count": "1"},
    )
    html = response.content.decode()
    assert '<section id="claim-list" class="claim-list" hx-swap-oob="true">' in html
    assert 'id="article-body"' in html and "beforebegin:" not in html
    assert ROW.findall(html) == [
        str(pk) for pk in Claim.objects.order_by("start", "end", "pk").values_list("pk", flat=True)
    ]
    # A page that is up to date gets just the new row.
    html = create(signed_in, article, "two new crews")
    assert "claim-list" not in html and 'hx-swap-oob="beforebegin:' in html


def test_a_verdict_change_recolours_the_claim_and_replaces_its_row(signed_in, article, editor):
    claim = claim_at(article, "Fares rose by 5%")
    CitationFactory(claim=claim)
    accurate = Verdict.objects.get(label="Accurate")
    response = signed_in.post(
        reverse("annotations:claim-propose", args=[article.pk, claim.pk]),
        {"version": claim.version, "verdict": accurate.pk, "explanation": "The fare table."},
        headers=PANEL,
    )
    html = response.content.decode()
    assert f'<mark class="hl verdict-{accurate.pk}" data-claims="{claim.pk}"' in html
    row = re.search(rf'<a id="claim-item-{claim.pk}"[^>]*>', html).group(0)
    assert 'hx-swap-oob="true"' in row and 'data-verdict="Accurate"' in row
    assert "claim-count" not in html  # the number of claims did not change


def test_deleting_removes_the_row_and_unmarks_the_text(signed_in, article):
    keep = claim_at(article, "The harbour ferry")
    gone = claim_at(article, "Fares rose by 5%")
    response = signed_in.post(
        reverse("annotations:claim-delete", args=[article.pk, gone.pk]),
        {"version": gone.version},
        headers=PANEL,
    )
    html = response.content.decode()
    assert f'<div id="claim-item-{gone.pk}" hx-swap-oob="delete"></div>' in html
    assert '<span id="claim-count" class="count" hx-swap-oob="true">1</span>' in html
    fragments = dict(FRAGMENT.findall(html))
    assert fragments and all(
        f'data-claims="{gone.pk}"' not in inner for inner in fragments.values()
    )
    assert f"claim-item-{keep.pk}" not in html


def test_deleting_the_last_claim_shows_the_empty_list(signed_in, article):
    claim = claim_at(article, "Fares rose by 5%")
    response = signed_in.post(
        reverse("annotations:claim-delete", args=[article.pk, claim.pk]),
        {"version": claim.version},
        headers=PANEL,
    )
    assert "No claims yet" in response.content.decode()


def test_a_claim_on_a_paragraph_break_alone_still_gets_its_row_refreshed(signed_in, article):
    start = BODY.index("\n\n")
    claim = ClaimFactory(article=article, start=start, end=start + 2)
    response = signed_in.post(
        reverse("annotations:claim-update", args=[article.pk, claim.pk]),
        {
            "version": claim.version,
            "statement": "Only white space",
            "claimant": "",
            "claim_date": "",
            "category": "other",
            "assignee": "",
        },
        headers=PANEL,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert not FRAGMENT.findall(html)
    assert re.search(rf'<a id="claim-item-{claim.pk}"[^>]*hx-swap-oob="true"', html)


@pytest.mark.parametrize("existing", [3, 60])
def test_creating_a_claim_takes_the_same_queries_however_many_claims_there_are(
    signed_in, article, existing, django_assert_num_queries
):
    for n in range(existing):
        ClaimFactory(article=article, start=n % 40, end=n % 40 + 8)
    signed_in.get(reverse("annotations:article-detail", args=[article.pk]))
    # session, user with their role groups (one query since roles.SignedInUserBackend, was
    # two), article, insert claim, insert its history, insert the figures read from its words,
    # insert its index keys (one transaction); panel: assignee and verdict options; refresh:
    # the claims near the new one with the count and the next in order.
    with django_assert_num_queries(10):
        create(signed_in, article, "900 cars a day")


def test_the_article_read_for_a_panel_is_the_article_as_the_orm_reads_it(article):
    """The claim panel's responses read the article by SQL compiled once (``by_id``): every
    column as the ORM gives it, and no article for an unknown id."""
    from annotations.models import Article

    article.removed_lines = ["Advertisement"]
    article.save()
    expected = Article.objects.get(pk=article.pk)
    found = Article.objects.by_id(article.pk)
    for field in Article._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert Article.objects.by_id(article.pk + 1000) is None


def test_a_claim_posted_for_the_panel_on_an_unknown_article_is_404(signed_in, article):
    response = signed_in.post(
        reverse("annotations:claim-create", args=[article.pk + 1000]),
        {"start": 0, "end": 5, "quote": article.body[:5], "category": "statistic"},
        headers=PANEL,
    )
    assert response.status_code == 404
    assert not Claim.objects.exists()
