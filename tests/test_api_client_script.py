"""docs/api_client.py, the standard-library client of the README, run against the live server:
it imports an article, marks three claims, cites a source and proposes a verdict."""

import subprocess
import sys
from pathlib import Path

import pytest

from annotations.models import ApiToken, Article, Claim, Role
from tests.factories import SourceFactory, UserFactory

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "api_client.py"
ARTICLE = """# Night buses return

The council said night buses carried 41,000 passengers in March.
Fares will stay at £2 until the end of the year, the operator said.
Three new routes serve the hospital and the university.
"""
QUOTES = [
    "night buses carried 41,000 passengers in March",
    "Fares will stay at £2 until the end of the year",
    "Three new routes serve the hospital",
]


def run(live_server, token: str, tmp_path: Path, *extra: str):
    article = tmp_path / "night-buses.md"
    article.write_text(ARTICLE, encoding="utf-8")
    command = [sys.executable, str(SCRIPT), "--url", live_server.url, "--token", token]
    command += [str(article), *QUOTES, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.django_db(transaction=True)
def test_the_client_script_does_its_job_against_the_live_server(live_server, tmp_path):
    admin = UserFactory(username="ada", role=Role.ADMIN)
    _token, secret = ApiToken.issue(admin, "client script")
    source = ["--source-url", "https://stats.example.org/buses?utm_source=x"]
    source += ["--source-title", "Bus statistics, March", "--verdict", "Accurate"]
    result = run(live_server, secret, tmp_path, *source, "--explanation", "Table 3 says so.")
    assert result.returncode == 0, result.stderr
    article = Article.objects.get()
    assert article.title == "Night buses return"
    claims = list(Claim.objects.filter(article=article).order_by("start"))
    assert [claim.quote for claim in claims] == QUOTES
    first = claims[0]
    assert first.state == Claim.State.NEEDS_REVIEW
    assert first.verdict.label == "Accurate" and first.verdict_proposed_by == admin
    assert first.verdict_explanation == "Table 3 says so."
    assert [c.source.url for c in first.citations.all()] == ["https://stats.example.org/buses"]
    assert "proposed" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_the_client_script_cites_the_librarys_source_and_reports_refusals(live_server, tmp_path):
    admin = UserFactory(username="ada", role=Role.ADMIN)
    existing = SourceFactory(url="https://stats.example.org/buses")
    _token, secret = ApiToken.issue(admin, "client script")
    source = ["--source-url", "https://STATS.example.org/buses", "--source-title", "Again"]
    result = run(live_server, secret, tmp_path, *source, "--verdict", "Accurate")
    assert result.returncode == 0, result.stderr
    assert Claim.objects.order_by("start").first().citations.get().source == existing
    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    _token, weaker = ApiToken.issue(reviewer, "client script")
    refused = run(live_server, weaker, tmp_path, *source, "--verdict", "Accurate")
    assert refused.returncode == 1 and "403" in refused.stderr and "Admin" in refused.stderr
