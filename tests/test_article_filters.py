"""The dashboard and the exports select articles with the same filters
(``ArticleQuerySet.matching``): the same query string picks the same articles in both."""

import json

import pytest
from django.urls import reverse

from annotations.models import Verdict
from tests.factories import ArticleFactory, ClaimFactory
from tests.test_dashboard import titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reviewer, reviewer2):
    """Four articles that each filter tells apart; ``reviewer`` (signed in) is "me"."""
    # The articles' states follow their claims: ready, in progress, ready, to do.
    for title, publisher, claim in [
        ("Herald mine", "Hillside Herald", ("approved", "Accurate", reviewer)),
        ("Herald ferry", "Hillside Herald", ("to_do", "Inaccurate", reviewer2)),
        ("Gazette ferry", "Riverside Gazette", ("approved", "Inaccurate", reviewer2)),
        ("Gazette quiet", "Riverside Gazette", None),
    ]:
        article = ArticleFactory(title=title, publisher=publisher)
        if claim:
            state, label, assignee = claim
            verdict = Verdict.objects.get(label=label)
            ClaimFactory(article=article, state=state, verdict=verdict, assignee=assignee)
    return {"inaccurate": Verdict.objects.get(label="Inaccurate").pk, "raj": reviewer2.pk}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Gazette ferry", "Gazette quiet", "Herald ferry", "Herald mine"]),
        ({"q": "ferry"}, ["Gazette ferry", "Herald ferry"]),
        ({"review_state": "ready", "publisher": "Hillside Herald"}, ["Herald mine"]),
        ({"claim_state": "approved", "verdict": "{inaccurate}"}, ["Gazette ferry"]),
        ({"assignee": "me"}, ["Herald mine"]),
        ({"assignee": "{raj}", "q": "ferry", "claim_state": "to_do"}, ["Herald ferry"]),
    ],
    ids=lambda value: "&".join(value) if isinstance(value, dict) else None,
)
def test_dashboard_and_export_select_the_same_articles(client, reviewer, world, params, expected):
    params = {name: value.format(**world) for name, value in params.items()}
    client.force_login(reviewer)

    dashboard = client.get(reverse("annotations:article-list"), params)
    export = client.get(reverse("annotations:export", args=["json"]), params)

    assert sorted(titles(dashboard)) == expected
    exported = json.loads(b"".join(export.streaming_content))["articles"]
    assert sorted(article["title"] for article in exported) == expected
