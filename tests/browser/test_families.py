"""Claims across articles in a real browser: confirming a proposal in the claim panel, the
conflict chart (and the README screenshot), citing a source once for a whole family."""

import datetime

import pytest

from annotations.models import Citation, Claim, ClaimFamily, FamilyMembership, Role
from tests.factories import ArticleFactory, CitationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SQUIRRELS = [
    ("There are 2,000 red squirrels left in the Northfell forest, the wildlife trust says.",
     datetime.date(2019, 5, 1), "Northfell Wildlife Trust"),
    ("Rangers count as few as 800 red squirrels in the Northfell forest.",
     datetime.date(2021, 3, 2), "Northfell Rangers"),
    ("Between 1,500 and 2,500 red squirrels live in the Northfell forest, a survey estimates.",
     datetime.date(2023, 9, 9), "Forest Survey"),
    ("Only 600 red squirrels remain in the Northfell forest, campaigners say.",
     datetime.date(2024, 4, 20), "Save Northfell"),
]  # fmt: skip


def claim_in(text, by, *, title, when=None, claimant=""):
    article = ArticleFactory(title=title, body=text, published_on=when)
    claim = Claim.objects.create_from_selection(article, 0, len(text), text, by=by)
    if claimant:
        claim.edit(by=by, version=claim.version, claimant=claimant)
    return Claim.objects.get(pk=claim.pk)


def squirrel_family(by):
    claims = [
        claim_in(text, by, title=f"Squirrels in Northfell ({who})", when=when, claimant=who)
        for text, when, who in SQUIRRELS
    ]
    family = None
    for claim in claims[1:]:
        seen = (family.pk, family.version, None, None) if family else (None,) * 4
        family = ClaimFamily.confirm(claims[0], claim, by=by, seen=seen)
        family.refresh_from_db()
    return family, claims


@pytest.fixture
def reviewer_user():
    return UserFactory(username="rowan", role=Role.REVIEWER)


def test_a_reviewer_confirms_a_proposal_in_the_claim_panel(page, sign_in, reviewer_user):
    mine = claim_in(SQUIRRELS[0][0], reviewer_user, title="Squirrels hold on")
    same = claim_in(SQUIRRELS[1][0], reviewer_user, title="Rangers' squirrel count")
    sign_in(page, reviewer_user)
    page.goto(f"/articles/{mine.article_id}/claims/{mine.pk}/")
    proposal = page.locator(f"#proposal-{same.pk}")
    proposal.wait_for()  # the region loads after the panel is drawn
    assert "Rangers' squirrel count" in proposal.inner_text()
    proposal.get_by_role("button", name="Same claim").click()
    page.get_by_text(f"Claim {same.pk} joined family").wait_for()
    family = FamilyMembership.objects.get(claim=mine).family
    assert FamilyMembership.objects.get(claim=same).family == family
    assert page.locator("#claim-related a", has_text=f"family #{family.pk}").count() == 1


def test_the_conflict_page_shows_the_figures_on_a_chart_over_time(
    page, sign_in, reviewer_user, screenshot_dir
):
    family, claims = squirrel_family(reviewer_user)
    assert family.open_conflict
    sign_in(page, reviewer_user)
    page.set_viewport_size({"width": 1200, "height": 1100})
    page.goto(f"/families/{family.pk}/#figures")
    chart = page.locator("svg.conflict-chart")
    chart.wait_for()
    assert chart.get_attribute("role") == "group"  # its links reach screen readers
    assert chart.locator("circle").count() == 4 and chart.locator("rect").count() == 1
    rows = page.locator("table.conflict-table tbody tr")
    assert rows.count() == 4 and "Northfell Rangers" in rows.nth(1).inner_text()
    # Points sit left to right in date order, the larger value higher.
    xs = [float(c.get_attribute("cx")) for c in chart.locator("circle").all()]
    assert xs == sorted(xs)
    page.locator("#figures").screenshot(path=str(screenshot_dir / "conflict.png"))
    # Each point is a link to its claim.
    chart.locator("a.point").nth(1).click()
    page.wait_for_url(f"**/articles/{claims[1].article_id}/claims/{claims[1].pk}/")


def test_a_source_cited_once_is_cited_for_the_whole_family(page, sign_in, reviewer_user):
    family, claims = squirrel_family(reviewer_user)
    cited = CitationFactory(claim=claims[0], quote="Spring count 2019: 2,012 red squirrels.")
    sign_in(page, reviewer_user)
    page.goto(f"/families/{family.pk}/")
    evidence = page.locator(f"#evidence-{cited.source_id}")
    evidence.get_by_role("button", name="Cite for all members (3 more)").click()
    page.get_by_text("“" + cited.source.title + "”:").wait_for()
    for claim in claims:
        assert Citation.objects.filter(claim=claim, source=cited.source).exists()
    assert (
        page.locator(f"#evidence-{cited.source_id}")
        .get_by_text("Every member cites it.")
        .is_visible()
    )


def test_on_a_phone_the_conflict_page_shows_who_said_each_figure_and_where(
    page, sign_in, reviewer_user
):
    """On a phone the figures table ran past the screen's edge: its value column kept each
    figure and its quote on one line, so who said it, in which article and when were off to
    the right, and the chart's labels were drawn a few pixels high. Each figure is now a card
    and the chart keeps a readable size, scrolled sideways within its own box."""
    family, _ = squirrel_family(reviewer_user)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, reviewer_user)
    page.goto(f"/families/{family.pk}/#figures")
    rows = page.locator("table.conflict-table tbody tr")
    assert rows.count() == 4
    for row in rows.all():
        for cell in row.locator("td").all():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (cell.inner_text(), box)
    assert "Northfell Rangers" in rows.nth(1).inner_text()
    caption = page.locator("table.conflict-table caption").first
    assert caption.bounding_box()["width"] > 250, "the caption wraps word by word"
    tick = page.locator("svg.conflict-chart text.tick").first
    assert tick.bounding_box()["height"] >= 8  # a label a person can read
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
