"""`make demo`'s data: load_demo imports the demo articles and puts claims on them, twice safely."""

import io

import pytest
from django.core.management import call_command

from annotations.models import Article, Claim, User

pytestmark = pytest.mark.django_db


def test_load_demo_creates_articles_claims_and_accounts_and_can_run_again(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Demo data loaded" in out.getvalue()
    assert Article.objects.count() == 3
    claims = Claim.objects.count()
    assert claims > 0
    # One of them is on a headline, so the demo shows a headline claim.
    headline = Claim.objects.get(part=Claim.Part.HEADLINE)
    assert headline.quote == headline.article.title[: len(headline.quote)]
    assert set(User.objects.values_list("username", flat=True)) >= {
        "reviewer",
        "reviewer2",
        "editor",
        "admin",
    }
    call_command("load_demo", stdout=io.StringIO())
    assert Article.objects.count() == 3 and Claim.objects.count() == claims
