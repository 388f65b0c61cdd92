"""The HTML, PDF and Markdown reports name people as the public page does (display names and
roles, never usernames) and carry the corrections log and the methodology."""

import io

import pytest
from django.urls import reverse

from annotations.exporters import FORMATS, html
from annotations.exporters.scope import Scope
from annotations.models import Article, Methodology, Role, Verdict
from tests.factories import (
    ArticleFactory,
    CitationFactory,
    ClaimFactory,
    CommentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    checker = UserFactory(
        username="rm_login", first_name="Rita", last_name="Mendes", role=Role.REVIEWER
    )
    editor = UserFactory(username="ed_login", role=Role.EDITOR)  # no name on the account
    editor2 = UserFactory(username="tk_login", first_name="Tom", last_name="Kay", role=Role.EDITOR)
    article = ArticleFactory(title="Record bus numbers")
    claim = ClaimFactory(article=article, start=0, end=20, quote=article.body[0:20])
    CitationFactory(claim=claim)
    CommentFactory(claim=claim, author=checker, body="Which year?")
    claim.refresh_from_db()
    claim.propose_verdict(
        by=checker, version=claim.version, verdict=Verdict.objects.get(label="Accurate")
    )
    claim.approve(by=editor, version=claim.version)
    claim.refresh_from_db()
    return {"checker": checker, "editor": editor, "editor2": editor2, "claim": claim}


def markdown(scope=Scope.INTERNAL) -> str:
    out = io.StringIO()
    FORMATS["markdown"].write(Article.objects.all(), scope, out)
    return out.getvalue()


@pytest.mark.parametrize("for_pdf", [False, True])
def test_reports_name_people_by_display_name_never_username(desk, for_pdf):
    document = html.render_report(Article.objects.all(), Scope.INTERNAL, for_pdf=for_pdf)
    assert "Checked by Rita Mendes, fact-checker." in document
    assert "Approved by an editor of the desk on" in document
    for username in ("rm_login", "ed_login"):
        assert username not in document
    if not for_pdf:  # comments are left out of print
        assert "<strong>Rita Mendes, fact-checker</strong>" in document


def test_markdown_report_names_people_by_display_name_and_ends_with_the_methodology(desk):
    Methodology.objects.create(
        pk=1, text="We check against primary sources.", corrections_policy="We correct openly."
    )
    document = markdown()
    assert "Checked by Rita Mendes, fact-checker" in document
    assert "approved by an editor of the desk on" in document
    assert "rm_login" not in document and "ed_login" not in document
    assert "## How we check" in document
    assert "We check against primary sources." in document
    assert "We correct openly." in document


def test_report_shows_the_methodology_and_a_published_articles_corrections(client, desk):
    Methodology.objects.create(pk=1, text="We check against primary sources.")
    claim = desk["claim"]
    article = claim.article
    article.publish([claim], by=desk["editor2"], version=article.version)
    claim.refresh_from_db()
    claim.propose_verdict(
        by=desk["checker"],
        version=claim.version,
        verdict=Verdict.objects.get(label="Misleading"),
        explanation="The figure was revised.",
        reason="The bulletin was revised on 3 June.",
    )
    claim.refresh_from_db()
    claim.approve_revision(by=desk["editor2"], version=claim.version)
    article.refresh_from_db()
    for for_pdf in (False, True):
        document = html.render_report(Article.objects.all(), Scope.PUBLISHED, for_pdf=for_pdf)
        log = document[document.index("Corrections and updates") :]
        assert "Correction to claim 1" in log
        assert "The bulletin was revised on 3 June." in log
        assert "<del>Accurate</del>" in log and "<ins>Misleading</ins>" in log
        assert f"/fact-checks/{article.slug}/" in log
        assert "How we check" in document and "We check against primary sources." in document
    client.force_login(desk["checker"])
    page = client.get(reverse("annotations:article-report", args=[article.pk])).content.decode()
    assert "The bulletin was revised on 3 June." in page and "tk_login" not in page


def test_an_unpublished_article_has_no_corrections_log_but_the_methodology(desk):
    document = html.render_report(Article.objects.all(), Scope.PUBLISHED)
    assert "Corrections and updates" not in document
    assert "How we check" in document
