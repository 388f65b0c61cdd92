"""The public fact-check page: readable without signing in, only published content, display
names, sources with archive links, methodology, the corrections and updates log, ClaimReview
JSON-LD, and HTTP caching (ETag / Last-Modified, 304)."""

import datetime
import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from annotations import publishing
from annotations.models import Article, Claim, Methodology, Role, Verdict
from tests import security_support as support
from tests.factories import (
    ArticleFactory,
    CitationFactory,
    ClaimFactory,
    CommentFactory,
    SourceFactory,
    UserFactory,
)
from tests.xss_payloads import MARKER, payload

pytestmark = pytest.mark.django_db

SECRET_COMMENT = "Internal: do not quote the mayor's aide."
SECRET_NOTE = "Internal note: the statistician was reluctant."


@pytest.fixture
def people(db):
    return {
        "checker": UserFactory(
            username="rita_internal", first_name="Rita", last_name="Mendes", role=Role.REVIEWER
        ),
        "nameless": UserFactory(username="raj_internal", role=Role.REVIEWER),
        "editor": UserFactory(
            username="edith_internal", first_name="Edith", last_name="Cole", role=Role.EDITOR
        ),
        "editor2": UserFactory(username="emil_internal", role=Role.EDITOR),
    }


def approve(claim, checker, editor, verdict="Accurate", explanation="Table 1 matches."):
    claim.refresh_from_db()
    claim.propose_verdict(
        by=checker,
        version=claim.version,
        verdict=Verdict.objects.get(label=verdict),
        explanation=explanation,
    )
    claim.approve(by=editor, version=claim.version)
    claim.refresh_from_db()
    return claim


@pytest.fixture
def published(people):
    """A published fact-check: two approved claims on the page, one approved claim kept off it,
    one claim still a draft (with a comment and an assignee), one dismissed."""
    article = ArticleFactory(
        title="City buses carry record numbers",
        publisher="Riverside Gazette",
        byline="Ana Lima",
        notes="Syndicated from the wire.",
    )
    body = article.body
    spans = [(0, 24), (91, 120), (182, 215), (262, 300), (301, 320)]
    on_page, also_on_page, kept_off, opinion, draft = (
        ClaimFactory.build(article=article, start=s, end=e, quote=body[s:e], claimant="The mayor")
        for s, e in spans
    )
    for claim in (on_page, also_on_page, kept_off, opinion):
        claim.created_by.save()
        claim.save()
    source = SourceFactory(
        title="Bus statistics bulletin 2024",
        url="https://stats.example/bus-2024",
        archive_url="https://archive.example/bus-2024",
        notes=SECRET_NOTE,
    )
    CitationFactory(
        claim=on_page, source=source, quote="Passenger journeys: 12.4 million", note=SECRET_NOTE
    )
    CitationFactory(claim=also_on_page, source=source, quote="On-time rate 94%")
    CitationFactory(claim=kept_off, source__title="A source only the kept-off claim cites")
    approve(on_page, people["checker"], people["editor"], explanation="The bulletin agrees.")
    approve(also_on_page, people["nameless"], people["editor"], verdict="Misleading")
    approve(kept_off, people["checker"], people["editor"], explanation="Kept off the page.")
    opinion.dismiss(by=people["checker"], version=opinion.version, reason="An opinion.")
    article.publish([on_page, also_on_page], by=people["editor"], version=None)
    # Work that starts after publication stays internal.
    draft.created_by.save()
    draft.save()
    draft.edit(
        by=people["checker"],
        version=draft.version,
        statement="A draft statement nobody approved",
        assignee=people["nameless"],
    )
    CommentFactory(claim=on_page, author=people["checker"], body=SECRET_COMMENT)
    article.refresh_from_db()
    return article


def public(client, article, **headers):
    return client.get(reverse("annotations:fact-check", args=[article.slug]), headers=headers)


def test_a_published_fact_check_is_readable_signed_out_with_only_published_content(
    client, published, people
):
    response = public(client, published)  # never signed in
    assert response.status_code == 200
    html = response.content.decode()
    on_page, also_on_page = published.claims.filter(publication__isnull=False)
    assert "City buses carry record numbers" in html
    assert escape(on_page.statement) in html and escape(also_on_page.statement) in html
    assert "The bulletin agrees." in html
    assert "Accurate" in html and "Misleading" in html
    assert "Bus statistics bulletin 2024" in html
    assert 'href="https://archive.example/bus-2024"' in html  # the archive link
    assert "Passenger journeys: 12.4 million" in html  # the quoted evidence
    # Bylines: names and roles; a person without a name by role; usernames never.
    assert "Rita Mendes, fact-checker" in html and "Edith Cole, editor" in html
    assert "a fact-checker of the desk" in html
    # A person without a name is named by role once, not "a fact-checker of the desk,
    # fact-checker".
    assert "of the desk, " not in visible_text(html)
    # Never shown: drafts, claims kept off the page, comments, notes, assignees, states.
    for hidden in (
        "A draft statement nobody approved",
        "Kept off the page.",
        "A source only the kept-off claim cites",
        SECRET_COMMENT,
        SECRET_NOTE,
        "Syndicated from the wire.",
        "An opinion.",
        "Needs review",
        "In progress",
        "Not checkable",
        "Approved",
        "Assigned",
        *(user.username for user in people.values()),
    ):
        assert hidden not in html, hidden
    assert '<p class="organisation">Factcheck Desk</p>' in html  # the desk's name on top
    # Readable as is: no sign-in form, no CSRF token, no app navigation.
    assert "csrfmiddlewaretoken" not in html and "X-CSRFToken" not in html


def visible_text(html: str) -> str:
    """The words of ``html`` as a reader sees them: tags dropped, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_the_source_list_has_no_space_before_its_commas(client, published):
    """The list read "Bus statistics bulletin 2024 , Office for Transport Statistics ,
    …": each comma came after the line break of the template line before it."""
    source = published.claims.first().citations.first().source
    source.published_on = datetime.date(2024, 5, 2)
    source.save()
    html = public(client, published).content.decode()
    item = re.search(r'<li id="source-1">(.*?)</li>', html, re.S).group(1)
    assert visible_text(item).startswith(
        "Bus statistics bulletin 2024, Office for Transport Statistics, 2 May 2024 · archived copy"
    )


def test_public_page_embeds_claimreview_for_each_published_claim(client, published):
    html = public(client, published).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    reviews = json.loads(block.group(1))
    assert [r["reviewRating"]["alternateName"] for r in reviews] == ["Accurate", "Misleading"]
    assert all(
        r["url"].endswith(f"/fact-checks/{published.slug}/#claim-{n}")
        for n, r in zip((1, 2), reviews, strict=True)
    )
    assert reviews[0]["itemReviewed"]["appearance"]["publisher"]["name"] == "Riverside Gazette"


def test_methodology_written_in_the_admin_is_on_every_page(client, published, admin_user):
    admin = Client()
    admin.force_login(admin_user)
    add = reverse("admin:annotations_methodology_add")
    admin.post(add, {"text": "We check claims against primary sources.", "corrections_policy": ""})
    assert Methodology.objects.get().text == "We check claims against primary sources."
    # One per desk: no second one, no deletion.
    assert admin.get(add).status_code == 403
    html = public(client, published).content.decode()
    assert "We check claims against primary sources." in html


def test_unchanged_page_answers_304_and_a_change_gives_a_new_etag(client, published):
    first = public(client, published)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert "public" in first["Cache-Control"] and "private" not in first["Cache-Control"]
    again = public(client, published, If_None_Match=etag)
    assert again.status_code == 304 and again.content == b""
    assert public(client, published, If_Modified_Since=modified).status_code == 304
    # A source's title edited in the library changes the page: a full answer, a new ETag.
    source = published.claims.first().citations.first().source
    source.title = "Bus statistics bulletin 2024 (revised)"
    source.save()
    changed = public(client, published, If_None_Match=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Bus statistics bulletin 2024 (revised)" in changed.content.decode()


@pytest.mark.parametrize("change", ["verdict label", "person's name", "methodology", "publisher"])
def test_what_the_page_shows_changes_its_etag_and_its_cached_rendering(
    client, published, people, change
):
    before = public(client, published)
    if change == "verdict label":
        accurate = Verdict.objects.get(label="Accurate")
        accurate.label = "Correct"
        accurate.save()
        shown = "Correct"
    elif change == "person's name":
        people["nameless"].first_name, people["nameless"].last_name = "Raj", "Patel"
        people["nameless"].save()
        shown = "Raj Patel, fact-checker"
    elif change == "methodology":
        Methodology.objects.create(text="Two people approve every verdict.")
        shown = "Two people approve every verdict."
    else:
        published.publisher.name = "Riverside Daily Gazette"
        published.publisher.save()
        shown = "Riverside Daily Gazette"
    after = public(client, published, If_None_Match=before["ETag"])
    assert after.status_code == 200 and shown in after.content.decode()


def test_cached_rendering_equals_a_fresh_one(client, published):
    first = public(client, published).content
    cached = public(client, published).content
    cache.clear()
    fresh = public(client, published).content
    assert first == cached == fresh


def test_signed_in_readers_get_the_same_public_page(client, published, people):
    anonymous = public(client, published)
    client.force_login(people["editor"])
    signed_in = public(client, published)
    assert signed_in.content == anonymous.content
    assert "private" not in signed_in["Cache-Control"]


def test_public_page_query_count_does_not_grow_with_claims(
    client, published, people, django_assert_num_queries
):
    def count():
        cache.clear()
        # 1 the article with its publisher; the validator: 2 what changed when, 3 the people
        # named. Then, not cached yet, the page itself: 4 the verdicts, 5 the claims, 6 their
        # citations with their sources, 7 the corrections, 8 the people, 9 their roles,
        # 10 the methodology.
        with django_assert_num_queries(10):
            assert public(client, published).status_code == 200
        # Cached: the article and the validator only.
        with django_assert_num_queries(3):
            assert public(client, published).status_code == 200

    count()
    body = published.body
    for n in range(10):
        claim = ClaimFactory(article=published, start=n, end=n + 10, quote=body[n : n + 10])
        CitationFactory(claim=claim)
        approve(claim, people["checker"], people["editor"])
        published.publish([claim], by=people["editor"], version=None, reason="More claims.")
    assert published.claims.filter(publication__isnull=False).count() == 12
    count()


def test_corrections_log_shows_each_change_with_the_earlier_text_and_its_reason(
    client, published, people
):
    claim = published.claims.filter(publication__isnull=False).first()
    claim.propose_verdict(
        by=people["checker"],
        version=claim.version,
        verdict=Verdict.objects.get(label="Misleading"),
        explanation="The 2023 figure was revised down.",
        reason="The statistics office revised its bulletin on 3 June.",
    )
    claim.refresh_from_db()
    claim.approve_revision(by=people["editor2"], version=claim.version)
    html = public(client, published).content.decode()
    log = html[html.index('id="corrections"') :]
    assert "Correction to claim" in log
    assert "The statistics office revised its bulletin on 3 June." in log
    assert "Was: <del>Accurate</del>" in log and "Now: <ins>Misleading</ins>" in log
    assert "The bulletin agrees." in log  # the earlier explanation stays visible
    assert "The 2023 figure was revised down." in html
    assert "Updated" in html


def test_a_correction_approved_before_publication_is_not_in_the_log(client, people):
    article = ArticleFactory()
    claim = ClaimFactory(article=article)
    CitationFactory(claim=claim)
    approve(claim, people["checker"], people["editor"])
    claim.propose_verdict(
        by=people["checker"],
        version=claim.version,
        verdict=Verdict.objects.get(label="Misleading"),
        reason="Second thoughts before publishing.",
    )
    claim.refresh_from_db()
    claim.approve_revision(by=people["editor2"], version=claim.version)
    article.publish([claim], by=people["editor"], version=None)
    html = public(client, article).content.decode()
    assert "Second thoughts before publishing." not in html
    assert "No correction since publication." in html


def test_withdrawn_fact_check_keeps_its_address_with_a_notice(client, published, people):
    published.unpublish(by=people["editor"], version=None, reason="It checked the wrong story.")
    response = public(client, published)
    assert response.status_code == 410
    html = response.content.decode()
    assert "This fact-check has been withdrawn" in html
    assert "It checked the wrong story." in html
    assert "The bulletin agrees." not in html


def test_unknown_or_never_published_fact_checks_are_404(client):
    article = ArticleFactory(title="Never published")
    address = reverse("annotations:fact-check", args=["never-published"])
    assert client.get(address).status_code == 404
    Article.objects.filter(pk=article.pk).update(slug="never-published")
    assert client.get(address).status_code == 404


def test_display_name_is_the_full_name_or_the_role_never_the_username(people):
    assert people["checker"].display_name == "Rita Mendes"
    assert people["nameless"].display_name == "a fact-checker of the desk"
    assert people["editor2"].display_name == "an editor of the desk"
    assert UserFactory(username="norole").display_name == "a member of the desk"


def test_public_page_shows_every_payload_escaped_and_no_internal_text(client, people):
    """The XSS corpus in every text the page can show (and in the internal ones it must not
    show): no payload becomes markup; the internal ones do not appear at all."""
    article = ArticleFactory(byline=payload(1, 1), publisher=payload(1, 2)[:300])
    body = article.body
    shown_markers, hidden_markers = set(), set()
    for n in range(30):
        claim = ClaimFactory(
            article=article,
            start=n,
            end=n + 5,
            quote=body[n : n + 5],
            statement=payload(2, n),
            claimant=payload(3, n)[:300],
        )
        source = SourceFactory(
            title=payload(4, n), publisher=payload(5, n)[:300], notes=payload(6, n)
        )
        CitationFactory(
            claim=claim,
            source=source,
            quote=payload(7, n),
            locator=payload(8, n)[:200],
            note=payload(9, n),
        )
        approve(claim, people["checker"], people["editor"], explanation=payload(10, n))
        CommentFactory(claim=claim, body=payload(11, n))
        hidden_markers |= {f"xss006p{n:02d}", f"xss009p{n:02d}", f"xss011p{n:02d}"}
        shown_markers |= {f"xss00{k}p{n:02d}" for k in (2, 4, 7)} | {f"xss010p{n:02d}"}
    shown_markers |= {"xss001p00", "xss001p01"}
    article.publish(list(article.claims.all()), by=people["editor"], version=None)
    # Renamed after publication (its address, made from the first title, stays).
    article.edit_details(by=people["editor"], version=None, title=payload(1, 0))
    Methodology.objects.create(text=payload(12, 0), corrections_policy=payload(12, 1))
    html = public(client, article).content.decode()
    audit = support.audit_html(html, MARKER)
    assert not audit.injections, audit.injections[:5]
    seen = set(MARKER.findall(support.strip_json_scripts(html)))
    assert shown_markers <= seen
    assert not (hidden_markers & set(MARKER.findall(html)))
    # The ClaimReview block holds the same texts, and nothing in it can end the <script>.
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "<" not in block.group(1)
    # The withdrawn notice escapes its reason too.
    article.unpublish(by=people["editor"], version=None, reason=payload(13, 0))
    notice = public(client, article).content.decode()
    assert not support.audit_html(notice, MARKER).injections
    assert escape(payload(13, 0)) in notice


def test_public_page_numbers_claims_and_sources_in_reading_order(published):
    page = publishing.public_page(Article.objects.select_related("publisher").get())
    assert len(page.claims) == 2
    assert [c["number"] for c in page.claims] == [1, 2]
    assert [s["number"] for s in page.sources] == [1]
    assert Claim.objects.get(statement=page.claims[0]["statement"]).publication


def test_the_validator_in_sql_reads_what_the_orm_reads(published, people):
    """The fast path (``publishing.stamp_values``, SQL) against the same figures read with the
    ORM, on a page with corrections, an edited citation, several people and a methodology."""
    from django.db.models import Count, Max, Sum

    from annotations.models import Citation, User

    claim = published.claims.filter(publication__isnull=False).first()
    claim.propose_verdict(
        by=people["checker"],
        version=claim.version,
        verdict=Verdict.objects.get(label="Misleading"),
        reason="Revised bulletin.",
    )
    claim.refresh_from_db()
    claim.approve_revision(by=people["editor2"], version=claim.version)
    citation = claim.citations.first()
    citation.locator = "Table 2"
    citation.save()
    Methodology.objects.create(text="How we check.")

    published.refresh_from_db()
    shown = publishing.public_claims(published)
    # (Aliases apart from the relations' names, which an aggregate may not shadow.)
    read = shown.aggregate(
        n_claims=Count("pk", distinct=True),
        n_claims_changed=Max("updated_at"),
        n_claims_added=Max("publication__published_at"),
        n_corrected=Max("revisions__updated_at"),
        n_citations=Count("citations", distinct=True),
        n_last_citation=Max("citations__id"),
        n_sources_changed=Max("citations__source__updated_at"),
    )
    orm = {name.removeprefix("n_"): value for name, value in read.items()}
    orm["citation_edits"] = Citation.history.filter(claim_id__in=shown.values("pk")).aggregate(
        last=Max("history_id")
    )["last"]
    orm["verdict_edits"] = Verdict.history.aggregate(last=Max("history_id"))["last"]
    orm["methodology_changed"] = Methodology.objects.get().updated_at
    ids = set(shown.values_list("verdict_proposed_by", flat=True))
    ids |= set(shown.values_list("approved_by", flat=True)) | {published.published_by_id}
    orm["people"] = [
        (pk, first, last, active, superuser, groups or 0)
        for pk, first, last, active, superuser, groups in User.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "first_name", "last_name", "is_active", "is_superuser")
        .annotate(roles=Sum("groups__id"))
    ]
    assert publishing.stamp_values(published) == orm
    assert orm["corrected"] and orm["citation_edits"] and len(orm["people"]) == 4


def test_a_release_that_renders_the_page_differently_changes_its_etag(
    client, published, monkeypatch
):
    before = public(client, published)["ETag"]
    # As if the page's template had changed: its source is part of the ETag.
    monkeypatch.setattr(publishing, "PAGE_TEMPLATES", ("public/withdrawn.html",))
    publishing._page_format.cache_clear()
    try:
        after = public(client, published, If_None_Match=before)
        assert after.status_code == 200 and after["ETag"] != before
    finally:
        publishing._page_format.cache_clear()
