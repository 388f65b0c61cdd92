"""Conflicting figures: a family whose members' figures disagree, its page (table and SVG chart
over time), the resolution reviewers record, the dashboard's open conflicts and the reader's
badges. Invented articles, and the seed corpus for the done-when check."""

import datetime
import re

import pytest
from django.urls import reverse

from annotations.families import ChartPoint, chart
from annotations.importers import import_paths
from annotations.models import Article, Claim, ClaimFamily, ClaimFigure, FamilyMembership
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

SQUIRRELS = (
    ("There are 2,000 red squirrels left in the Northfell forest, the wildlife trust says.",
     datetime.date(2019, 5, 1), "Northfell Wildlife Trust"),
    ("Rangers count as few as 800 red squirrels in the Northfell forest.",
     datetime.date(2021, 3, 2), "Northfell Rangers"),
    ("Between 1,500 and 2,500 red squirrels live in Northfell forest, a survey estimates.",
     datetime.date(2023, 9, 9), "Forest Survey"),
)  # fmt: skip


def claim_in(text, by, *, when=None, claimant=""):
    article = ArticleFactory(body=text, published_on=when)
    claim = Claim.objects.create_from_selection(article, 0, len(text), text, by=by)
    if claimant:
        claim.edit(by=by, version=claim.version, claimant=claimant)
        claim.refresh_from_db()
    return claim


def family_of(claims, by):
    family = None
    for claim in claims[1:]:
        first = FamilyMembership.objects.filter(claim=claims[0]).first()
        family = ClaimFamily.confirm(
            claims[0],
            claim,
            by=by,
            seen=(first and first.family_id, first and first.family.version, None, None),
        )
    family.refresh_from_db()
    return family


@pytest.fixture
def squirrels(reviewer):
    claims = [claim_in(text, reviewer, when=when, claimant=who) for text, when, who in SQUIRRELS]
    return family_of(claims, reviewer), claims


def test_a_family_whose_figures_disagree_is_a_conflict(squirrels):
    family, claims = squirrels
    assert family.conflict and family.open_conflict
    two_thousand, eight_hundred = (claims[0].figures.get(), claims[1].figures.get())
    assert {two_thousand.pk, eight_hundred.pk} <= set(family.conflict_figures)
    assert ClaimFamily.objects.open_conflicts().get() == family


def test_figures_within_the_tolerance_or_inside_a_range_are_no_conflict(reviewer):
    claims = [
        claim_in("The Gull Island ferry carried 40,000 passengers in 2023.", reviewer),
        claim_in("Some 41,000 passengers took the Gull Island ferry in 2023.", reviewer),
        claim_in("Between 35,000 and 45,000 passengers used the Gull Island ferry in 2023.",
                 reviewer),
    ]  # fmt: skip
    assert not family_of(claims, reviewer).conflict


def test_correcting_a_figure_rechecks_the_family(squirrels, reviewer):
    family, claims = squirrels
    figure = claims[1].figures.get()
    reading = {name: getattr(figure, name) for name in ClaimFigure.READING}
    figure.correct(by=reviewer, version=figure.version, **reading | {
        "value": 2000.0, "low": 2000.0, "high": 2000.0}, note="Misread")  # fmt: skip
    family.refresh_from_db()
    # 2,000 and 2,000 agree, and both are inside 1,500–2,500: no conflict left.
    assert not family.conflict and family.conflict_figures == []


def test_the_conflict_page_shows_every_figure_as_a_table_and_a_chart(client, reviewer, squirrels):
    family, claims = squirrels
    client.force_login(reviewer)
    html = client.get(reverse("annotations:family-detail", args=[family.pk])).content.decode()
    assert '<span class="badge conflict">conflict</span>' in html
    table = html[html.index('<table class="conflict-table') :]
    table = table[: table.index("</table>")]
    for _text, when, who in SQUIRRELS:
        assert who in table and f'datetime="{when:%Y-%m-%d}"' in table
    assert "as few as 800" in table and "1,500–2,500" in table and "squirrel" in table
    assert table.count('class="disagrees"') == 3  # 800 disagrees with both others
    # The chart: accessible, server-drawn, each point a link to its claim, the range a bar.
    svg = html[html.index("<svg") : html.index("</svg>")]
    # A group, not an image: an image's parts are hidden from screen readers, its links too.
    assert 'role="group"' in svg and "<title id=" in svg and "<desc id=" in svg
    for claim in claims:
        assert (
            f'href="{reverse("annotations:claim-detail", args=[claim.article_id, claim.pk])}"'
            in svg
        )
    assert svg.count("<circle") == 3 and svg.count("<rect") == 1
    assert ">2020<" in svg and ">2023<" in svg  # a tick each New Year within the dates


def test_the_chart_scale_is_linear_from_zero_and_logarithmic_for_wide_spreads():
    day = datetime.date(2020, 1, 1)
    linear = chart([ChartPoint(day, 80_000, 80_000, "a", "/a"), ChartPoint(
        day.replace(year=2021), 300_000, 300_000, "b", "/b")])  # fmt: skip
    assert not linear.log and linear.y_ticks[0][1] == "0" and linear.y_ticks[-1][1] == "300k"
    low, high = linear.points
    assert low.y > high.y and low.x < high.x  # higher values up, later dates right
    wide = chart([ChartPoint(day, 7_000, 7_000, "a", "/a"), ChartPoint(
        day.replace(year=2020), 17_000_000, 17_000_000, "b", "/b")])  # fmt: skip
    assert wide.log and [label for _, label in wide.y_ticks][:2] == ["1k", "10k"]


def test_a_resolution_needs_a_note_is_recorded_and_leaves_the_open_list(
    client, reviewer, squirrels
):
    family, _ = squirrels
    client.force_login(reviewer)
    address = reverse("annotations:family-resolve", args=[family.pk])
    data = {"version": family.version, "resolution": "different_definitions", "note": ""}
    html = client.post(address, data).content.decode()
    assert "Say how the figures were reconciled" in html
    data["note"] = "The rangers count adults only."
    assert client.post(address, data).status_code == 302
    family.refresh_from_db()
    assert family.resolution == "different_definitions" and family.resolved_by == reviewer
    assert not family.open_conflict and not ClaimFamily.objects.open_conflicts().exists()
    assert family.events.filter(kind="resolved", note__contains="adults only").exists()
    # A stale resolution form is refused, the page shows the family as it is.
    html = client.post(address, data | {"resolution": "source_wrong"}).content.decode()
    assert "Someone else changed this family" in html


def test_a_new_disagreeing_member_reopens_a_resolved_conflict(reviewer, squirrels):
    family, claims = squirrels
    family.resolve(by=reviewer, version=family.version, resolution="other", note="Checked")
    family.refresh_from_db()
    newcomer = claim_in("Only 300 red squirrels remain in Northfell forest, campaigners say.",
                        reviewer)  # fmt: skip
    ClaimFamily.confirm(claims[0], newcomer, by=reviewer,
                        seen=(family.pk, family.version, None, None))  # fmt: skip
    family.refresh_from_db()
    assert family.open_conflict and family.resolution == ""
    assert family.events.filter(kind="reopened").exists()


def test_the_dashboard_lists_open_conflicts(client, reviewer, squirrels):
    family, _ = squirrels
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-list")).content.decode()
    assert "Open conflicts" in html and f'href="/families/{family.pk}/#figures"' in html


# --- The reader's badges ----------------------------------------------------------------------


def test_claim_rows_carry_a_badge_for_a_conflict_or_related_claims(client, reviewer, squirrels):
    family, claims = squirrels
    agreeing = [
        claim_in("The Gull Island ferry carried 40,000 passengers in 2023.", reviewer),
        claim_in("Some 40,000 passengers took the Gull Island ferry in 2023.", reviewer),
    ]
    family_of(agreeing, reviewer)
    client.force_login(reviewer)
    html = client.get(claims[0].article.get_absolute_url()).content.decode()
    assert re.search(
        rf'<a id="claim-item-{claims[0].pk}"[^>]*>[^<]*'
        r'<span class="badge family-badge conflict">conflict</span></a>',
        html,
    )
    html = client.get(agreeing[0].article.get_absolute_url()).content.decode()
    assert '<span class="badge family-badge">1 related</span></a>' in html


def test_an_edited_claims_row_keeps_its_badge(client, reviewer, squirrels):
    _, claims = squirrels
    claim = claims[0]
    client.force_login(reviewer)
    html = client.post(
        reverse("annotations:claim-update", args=[claim.article_id, claim.pk]),
        {
            "version": claim.version,
            "statement": "Northfell has 2,000 red squirrels.",
            "claimant": claim.claimant,
            "claim_date": "",
            "category": claim.category,
            "assignee": "",
            "change_reason": "",
        },
        headers={"HX-Request": "true", "HX-Target": "claim-panel"},
    ).content.decode()
    assert re.search(rf'<a id="claim-item-{claim.pk}"[^>]*hx-swap-oob="true"[^>]*>', html)
    assert 'family-badge conflict">conflict</span></a>' in html


@pytest.mark.parametrize("count", [5, 500])
def test_badges_add_no_query_per_claim(client, reviewer, django_assert_num_queries, count):
    article = ArticleFactory()
    length = len(article.body)
    Claim.objects.bulk_create(
        Claim(article=article, start=s, end=s + 5, quote=article.body[s : s + 5])
        for s in ((i * 7) % (length - 10) for i in range(count))
    )
    members = list(Claim.objects.filter(article=article)[:2])
    for member in members:
        other = claim_in("The Gull Island ferry carried 40,000 passengers in 2023.", reviewer)
        ClaimFamily.confirm(member, other, by=reviewer, seen=(None,) * 4)
    client.force_login(reviewer)
    client.get(article.get_absolute_url())
    # session, user with their role groups (one query), article, all verdicts, the article's claims
    # with their families' member count and conflict (LEFT JOINs in the one query), its unreviewed
    # check-worthy suggestions
    with django_assert_num_queries(6):
        html = client.get(article.get_absolute_url()).content.decode()
    assert html.count('class="badge family-badge">1 related</span>') == 2


# --- The seeds: the done-when check -------------------------------------------------------------


def test_on_the_seeds_the_same_claim_is_proposed_across_articles_and_the_family_conflicts(
    seeds_dir, reviewer
):
    report = import_paths([seeds_dir], user=reviewer)
    assert report.counts.get("created") == 5, report.summary()
    claims = []
    for article in Article.objects.all():
        # As a reviewer would: each sentence stating one of the figures becomes a claim.
        for sentence in re.finditer(
            r"[^.!?\n]*(?:20,000|80,000|300,000)[^.!?\n]*[.!?]?", article.body
        ):
            start, end = sentence.span()
            while article.body[start].isspace():
                start += 1
            words = article.body[start:end]
            claims.append(
                Claim.objects.create_from_selection(article, start, end, words, by=reviewer)
            )
    articles = {claim.article_id for claim in claims}
    assert len(articles) == 4  # the 20,000, the 80,000 and the two 300,000 articles
    # Every claim is proposed the same claim in each other article that states a figure.
    for claim in claims:
        proposed = {p.claim.article_id for p in claim.proposals(limit=None)}
        assert proposed == articles - {claim.article_id}, (claim.quote, proposed)
    # Confirmed, one family: its figures (20,000 / 80,000 / 300,000) conflict.
    family = family_of(claims, reviewer)
    assert family.member_count == len(claims) and family.open_conflict
    values = {figure.value for figure in ClaimFigure.objects.filter(pk__in=family.conflict_figures)}
    assert values == {20_000.0, 80_000.0, 300_000.0}


def test_the_conflict_page_takes_the_same_queries_however_many_members(
    client, reviewer, django_assert_num_queries
):
    counts = []
    for size in (3, 7):
        claims = [
            claim_in(f"There are {800 + 500 * n:,} red squirrels in the Northfell forest.",
                     reviewer, when=datetime.date(2015 + n, 1, 1))
            for n in range(size)
        ]  # fmt: skip
        family = family_of(claims, reviewer)
        client.force_login(reviewer)
        address = reverse("annotations:family-detail", args=[family.pk])
        client.get(address)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(address).status_code == 200
        counts.append(len(queries))
    # session, user, groups, the family, its members with articles, publishers and verdicts,
    # their citations, its events, its figures with their claims: the same for 3 or 7 members
    assert counts[0] == counts[1], counts


def test_a_figure_both_quoted_and_restated_is_one_row_of_the_conflict_table(
    client, reviewer, squirrels
):
    """The statement restating the quote's figure listed it twice, in the table and the chart;
    a different figure in the statement keeps its own row, each saying where it was found."""
    family, claims = squirrels
    trust, rangers = claims[0], claims[1]
    trust.edit(
        by=reviewer,
        version=trust.version,
        statement="2,000 red squirrels live in the Northfell forest.",
    )
    rangers.edit(
        by=reviewer,
        version=rangers.version,
        statement="At most 900 red squirrels live in the Northfell forest.",
    )
    assert trust.figures.count() == 2 and rangers.figures.count() == 2  # both stored
    conflict_figures = ClaimFamily.objects.get(pk=family.pk).conflict_figures
    client.force_login(reviewer)
    html = client.get(reverse("annotations:family-detail", args=[family.pk])).content.decode()
    table = html[html.index('<table class="conflict-table') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr") == 1 + 4  # the header, and 2,000 · 800 · 900 · 1,500–2,500
    assert table.count("Northfell Wildlife Trust") == 1
    assert "“2,000”, in the quote and the checkable statement" in table
    assert "in the quote</span>" in table and "in the checkable statement</span>" in table
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<circle") == 4
    # What the family decides is the same: every figure that disagrees is still counted.
    assert {f.pk for f in trust.figures.all()} <= set(conflict_figures)
