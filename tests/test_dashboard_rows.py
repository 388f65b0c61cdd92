"""The dashboard's rows and charts, written as strings (``annotations.dashboard_rows``,
``charts.BarChart.html``) instead of by templates (README, "Scale"), are what the templates
drew: the templates they replace are kept in tests/fixtures and both are drawn for the same
articles."""

import datetime
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from annotations.models import Article, Claim
from tests.factories import ArticleFactory, ClaimFactory, VerdictFactory

URL = reverse("annotations:article-list")

pytestmark = pytest.mark.django_db

#: The rows as the dashboard's template drew them before (inside its ``{% localize off %}``).
FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE_ROWS = (FIXTURES / "dashboard_rows_before.html").read_text()
#: A bar chart as its template drew it, inside the dashboard's ``{% localize off %}``.
TEMPLATE_CHART = (
    "{% load l10n %}{% localize off %}"
    + (FIXTURES / "bar_chart_before.html").read_text()
    + "{% endlocalize %}"
)


def spaced(html: str) -> str:
    """HTML with each run of white space as one space: what a browser makes of it here."""
    return re.sub(r"\s+", " ", html).strip()


def test_rows_are_the_rows_the_template_drew(client, reviewer, reviewer2):
    odd = VerdictFactory(label='Half "true" <mostly> & more', colour="#a1b2c3")
    plain = VerdictFactory(label="Accurate")
    busy = ArticleFactory(
        title='Rents & "fair" <rises> for 2024',
        publisher='Smith & Sons "Weekly" <Press>',
        published_on=datetime.date(2024, 3, 5),
    )
    ClaimFactory(article=busy, state=Claim.State.APPROVED, verdict=odd, assignee=reviewer)
    ClaimFactory(article=busy, state=Claim.State.APPROVED, verdict=odd)
    ClaimFactory(article=busy, state=Claim.State.NEEDS_REVIEW, verdict=plain)
    ClaimFactory(article=busy, state=Claim.State.TO_DO, assignee=reviewer)
    ClaimFactory(article=busy, state=Claim.State.SENT_BACK, assignee=reviewer2)
    ClaimFactory(article=busy, state=Claim.State.DISMISSED)
    ArticleFactory(title="No publisher, no date", publisher="", published_on=None)
    withdrawn = ArticleFactory(
        title="Withdrawn",
        publication=Article.Publication.UNPUBLISHED,
        published_at=timezone.now(),
        slug="withdrawn",
        published_on=None,
    )
    ClaimFactory(article=withdrawn, state=Claim.State.IN_PROGRESS)
    client.force_login(reviewer)

    for params in ({}, {"sort": "title"}, {"sort": "progress"}):
        response = client.get(URL, params)

        html = response.content.decode()
        rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        articles = response.context["page"].object_list
        assert len(articles) == 3
        drawn = Template(TEMPLATE_ROWS).render(Context({"page": articles}))
        assert spaced(rows) == spaced(drawn)
    # Each kind of cell was drawn: links to claims assigned and to suggestions, none, no
    # claims, withdrawn, no date.
    for drawn_cell in (
        'class="mine"',
        'class="suggested"',
        '<span class="muted">0</span>',
        "No claims yet",
        "(withdrawn)",
        '<td class="nowrap">—</td>',
    ):
        assert drawn_cell in rows
    assert "Smith &amp; Sons &quot;Weekly&quot; &lt;Press&gt;" in rows
    assert 'title="Half &quot;true&quot; &lt;mostly&gt; &amp; more"' in rows


def test_charts_are_the_charts_the_template_drew(client, reviewer):
    long = VerdictFactory(label='Misleading: "true" figures <out of> context & more')
    once = VerdictFactory(label="Once")
    article = ArticleFactory()
    ClaimFactory.create_batch(2, article=article, verdict=long, state=Claim.State.APPROVED)
    ClaimFactory(article=article, verdict=once, state=Claim.State.NEEDS_REVIEW)
    ClaimFactory(article=article)
    client.force_login(reviewer)

    for params in ({}, {"verdict": once.pk}, {"review_state": "published"}):
        response = client.get(URL, params)

        html = response.content.decode()
        for name in ("state_chart", "verdict_chart"):
            chart = response.context[name]
            figure = html.split(f'<figure class="chart card" id="chart-{chart.slug}">', 1)[1]
            figure = (
                f'<figure class="chart card" id="chart-{chart.slug}">'
                + figure.split("</figure>", 1)[0]
                + "</figure>"
            )
            drawn = Template(TEMPLATE_CHART).render(Context({"chart": chart}))
            assert spaced(figure) == spaced(drawn)
    assert "Misleading: &quot;true&quot; …</text>" in html  # the label cut to 20
