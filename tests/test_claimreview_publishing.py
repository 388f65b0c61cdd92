"""ClaimReview as fact-checkers publish it: the claimant typed by the reviewer, the desk's
details, the public page's address, publication dates, a rating frozen when published, and no
export at all while the public address is this machine's."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotations.exporters import FORMATS
from annotations.exporters.scope import Scope
from annotations.models import Article, Role, Verdict
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db
BASE = "https://checks.example"


@pytest.fixture
def people(db):
    return {
        "checker": UserFactory(role=Role.REVIEWER, first_name="Rita", last_name="Mendes"),
        "editor": UserFactory(role=Role.EDITOR, first_name="Ana", last_name="Lopes"),
        "editor2": UserFactory(role=Role.EDITOR, first_name="Tom", last_name="Okafor"),
    }


def approved_claim(people, article=None, start=0, end=20, verdict="Accurate", **fields):
    article = article or ArticleFactory(published_on=datetime.date(2024, 2, 18))
    claim = ClaimFactory(
        article=article, start=start, end=end, quote=article.body[start:end], **fields
    )
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(
        by=people["checker"],
        version=claim.version,
        verdict=Verdict.objects.get(label=verdict),
        explanation="The bulletin says otherwise.",
    )
    claim.approve(by=people["editor"], version=claim.version)
    claim.refresh_from_db()
    return claim


def reviews() -> list[dict]:
    out = io.StringIO()
    FORMATS["claimreview"].write(Article.objects.all(), Scope.PUBLISHED, out)
    return json.loads(out.getvalue())


def panel_details(claim, **changes):
    data = {
        "version": claim.version,
        "statement": claim.statement,
        "claimant": claim.claimant,
        "claimant_kind": claim.claimant_kind,
        "claimant_same_as": claim.claimant_same_as,
        "claim_date": claim.claim_date.isoformat() if claim.claim_date else "",
        "category": claim.category,
        "assignee": claim.assignee_id or "",
        "change_reason": "",
    }
    return data | changes


def test_the_claimant_is_typed_and_linked_as_the_reviewer_says_in_the_panel(client, people):
    claim = ClaimFactory(claimant="Northfell Transport Partnership")
    client.force_login(people["checker"])
    url = reverse("annotations:claim-update", args=[claim.article_id, claim.pk])
    page = client.get(reverse("annotations:claim-detail", args=[claim.article_id, claim.pk]))
    assert 'name="claimant_kind"' in page.content.decode()
    response = client.post(
        url,
        panel_details(
            claim,
            claimant_kind="Organization",
            claimant_same_as="https://www.wikidata.org/wiki/Q1\n\n https://northfell.example/ ",
        ),
        headers={"HX-Request": "true", "HX-Target": "claim-panel"},
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.claimant_kind == "Organization"
    assert claim.claimant_same_as == "https://www.wikidata.org/wiki/Q1\nhttps://northfell.example/"


def test_a_claimant_page_that_is_not_an_address_is_refused_and_the_text_kept(client, people):
    claim = ClaimFactory(claimant="Jo Official")
    client.force_login(people["checker"])
    html = client.post(
        reverse("annotations:claim-update", args=[claim.article_id, claim.pk]),
        panel_details(claim, claimant_kind="Person", claimant_same_as="wikipedia Jo Official"),
        headers={"HX-Request": "true", "HX-Target": "claim-panel"},
    ).content.decode()
    assert "is not a web address" in html
    assert "wikipedia Jo Official" in html
    claim.refresh_from_db()
    assert claim.claimant_kind == "" and claim.claimant_same_as == ""


def test_a_form_without_the_claimant_type_leaves_it_as_it_was(client, people):
    claim = ClaimFactory(claimant="Jo Official", claimant_kind="Person")
    client.force_login(people["checker"])
    data = panel_details(claim, statement="New words")
    del data["claimant_kind"], data["claimant_same_as"]
    client.post(reverse("annotations:claim-update", args=[claim.article_id, claim.pk]), data)
    claim.refresh_from_db()
    assert claim.statement == "New words" and claim.claimant_kind == "Person"


def test_claimreview_names_the_claimant_only_with_the_type_the_reviewer_chose(people, settings):
    settings.FACTCHECK_PUBLIC_BASE_URL = BASE
    article = ArticleFactory()
    approved_claim(people, article, claimant="Police Federation")  # not said: not guessed
    approved_claim(
        people,
        article,
        start=100,
        end=130,
        claimant="Jo Official",
        claimant_kind="Person",
        claimant_same_as="https://en.wikipedia.org/wiki/Jo_Official\nnot an address",
    )
    authors = [review["itemReviewed"].get("author") for review in reviews()]
    assert authors == [
        None,
        {
            "@type": "Person",
            "name": "Jo Official",
            "sameAs": "https://en.wikipedia.org/wiki/Jo_Official",
        },
    ]


def test_the_desk_is_the_author_with_its_address_logo_and_profiles(people, settings):
    settings.FACTCHECK_PUBLIC_BASE_URL = BASE
    settings.FACTCHECK_ORGANISATION_NAME = "Harbour Fact Desk"
    settings.FACTCHECK_ORGANISATION_URL = "https://checks.example/about"
    settings.FACTCHECK_ORGANISATION_LOGO = "https://checks.example/logo.png"
    settings.FACTCHECK_ORGANISATION_SAME_AS = [
        "https://social.example/@harbour",
        "https://www.wikidata.org/wiki/Q2",
    ]
    approved_claim(people)
    assert reviews()[0]["author"] == {
        "@type": "Organization",
        "name": "Harbour Fact Desk",
        "url": "https://checks.example/about",
        "logo": "https://checks.example/logo.png",
        "sameAs": ["https://social.example/@harbour", "https://www.wikidata.org/wiki/Q2"],
    }


def published(people, **fields):
    """An article with one published claim (Misleading, rated 2) and one not put on the page."""
    article = ArticleFactory(
        title="Record bus numbers", published_on=datetime.date(2024, 2, 18), **fields
    )
    Verdict.objects.filter(label="Misleading").update(rating=2)
    on_page = approved_claim(people, article, verdict="Misleading", claim_date="2024-02-15")
    kept_off = approved_claim(people, article, start=100, end=130)
    article.publish([on_page], by=people["editor2"], version=article.version)
    return article, on_page, kept_off


def test_a_published_review_points_at_its_public_page_with_its_publication_date(people, settings):
    settings.FACTCHECK_PUBLIC_BASE_URL = BASE
    article, on_page, kept_off = published(people)
    article.refresh_from_db()
    by_claim = {r["claimReviewed"]: r for r in reviews()}
    review = by_claim[on_page.statement]
    assert review["url"] == f"{BASE}/fact-checks/{article.slug}/#claim-1"
    assert review["datePublished"] == on_page.publication.published_at.date().isoformat()
    assert "dateModified" not in review
    item = review["itemReviewed"]
    assert item["datePublished"] == "2024-02-15"
    assert item["firstAppearance"] == {
        "@type": "CreativeWork",
        "headline": "Record bus numbers",
        "url": article.url,
        "datePublished": "2024-02-18",
        "publisher": {"@type": "Organization", "name": "Riverside Gazette"},
    }
    # Not on the page: the internal report's address.
    assert by_claim[kept_off.statement]["url"].endswith(
        f"/articles/{article.pk}/report/#claim-{kept_off.pk}"
    )


def test_editing_the_verdict_list_does_not_change_a_published_review(client, people, settings):
    settings.FACTCHECK_PUBLIC_BASE_URL = BASE
    article, on_page, _ = published(people)
    before = next(r for r in reviews() if r["claimReviewed"] == on_page.statement)
    assert before["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Misleading",
        "ratingValue": 2,
        "bestRating": 5,
        "worstRating": 1,
    }
    misleading = Verdict.objects.get(label="Misleading")
    misleading.label, misleading.rating = "Half true", 3
    misleading.save()
    Verdict.objects.filter(label="Accurate").update(rating=4)
    after = next(r for r in reviews() if r["claimReviewed"] == on_page.statement)
    assert after["reviewRating"] == before["reviewRating"]
    # The public page embeds the same frozen review.
    assert embedded_reviews(client, article)[0]["reviewRating"] == before["reviewRating"]


def embedded_reviews(client, article) -> list[dict]:
    """The ClaimReview JSON-LD the public page embeds."""
    client.logout()
    html = client.get(article.get_public_url()).content.decode()
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    found = json.loads(html[start : html.index("</script>", start)])
    return found if isinstance(found, list) else [found]


def test_a_correction_sets_date_modified_and_the_review_as_now_published(client, people, settings):
    settings.FACTCHECK_PUBLIC_BASE_URL = BASE
    article, on_page, _ = published(people)
    on_page.propose_verdict(
        by=people["checker"],
        version=on_page.version,
        verdict=Verdict.objects.get(label="Inaccurate"),
        explanation="The figure was revised.",
        reason="The bulletin was revised on 3 June.",
    )
    on_page.refresh_from_db()
    on_page.approve_revision(by=people["editor2"], version=on_page.version)
    revision = on_page.revisions.approved().get()
    review = next(r for r in reviews() if r["claimReviewed"] == on_page.statement)
    assert review["dateModified"] == revision.decided_at.date().isoformat()
    assert review["reviewRating"]["alternateName"] == "Inaccurate"
    embedded = embedded_reviews(client, article)[0]
    assert embedded["dateModified"] == revision.decided_at.date().isoformat()
    assert embedded["reviewRating"]["alternateName"] == "Inaccurate"


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]/", ""]
)
def test_the_export_stops_with_a_clear_message_when_the_public_address_is_this_machine(
    client, people, settings, base
):
    settings.DEBUG = False
    settings.FACTCHECK_PUBLIC_BASE_URL = base
    approved_claim(people)
    client.force_login(people["checker"])
    response = client.get(reverse("annotations:export", args=["claimreview"]))
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert "FACTCHECK_PUBLIC_BASE_URL" in response.content.decode()
    with pytest.raises(CommandError, match="FACTCHECK_PUBLIC_BASE_URL") as raised:
        call_command("export_report", "--format", "claimreview", "--no-progress")
    assert "\n" not in str(raised.value)
    # Other formats are not concerned; with debug on, the loopback address is honest.
    assert client.get(reverse("annotations:export", args=["csv"])).status_code == 200
    settings.DEBUG = True
    assert client.get(reverse("annotations:export", args=["claimreview"])).status_code == 200


def test_check_deploy_warns_about_a_loopback_public_address(settings):
    from django.core import checks

    settings.FACTCHECK_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    found = checks.run_checks(include_deployment_checks=True)
    assert "factcheck.W001" in {message.id for message in found}
    settings.FACTCHECK_PUBLIC_BASE_URL = BASE
    found = checks.run_checks(include_deployment_checks=True)
    assert "factcheck.W001" not in {message.id for message in found}
