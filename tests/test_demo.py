"""`make demo`'s data: load_demo imports the demo articles and puts claims on them, twice safely."""

import io
import shutil
import subprocess
from pathlib import Path

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


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_demo_serves_on_the_port_asked_for():
    """`make demo` served on port 8000 only: with 8000 taken (another app, a second checkout)
    a new user could not start it. `make demo PORT=8123` serves there, and the public pages'
    addresses (ClaimReview, report links) point there too."""
    root = Path(__file__).resolve().parents[1]
    commands = subprocess.run(
        ["make", "--dry-run", "demo", "PORT=8123"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "manage.py runserver 127.0.0.1:8123" in commands
    assert "FACTCHECK_PUBLIC_BASE_URL:-http://127.0.0.1:8123" in commands
    default = subprocess.run(
        ["make", "--dry-run", "demo"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert "manage.py runserver 127.0.0.1:8000" in default
