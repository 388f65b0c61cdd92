"""Published fact-checks: other organisations' ClaimReview markup imported by admins (saved
pages, JSON-LD files, a data feed), kept once by URL, matched against claims by the scoring of
claim families, shown in the claim panel and cited in one click.

The saved pages in tests/fixtures/claimreview/ are written here in the shapes real publishers
use: a WordPress ``@graph`` whose review points at its organisation by ``@id``, a top-level
array of two reviews of one page (told apart by their ``#fragment``), a news article whose
``mainEntity`` is the review (wrapped in CDATA, a numeric rating without words, authors as
lists, ``firstAppearance`` and appearances as objects and bare URLs), a page with one
complete and one incomplete review, and a page without ClaimReview. The feed has the shape
of the public ClaimReview data feeds (``dataFeedElement`` items holding one review or a list).
"""

import io
import json
import random
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from annotations import families
from annotations.importers.claimreview import import_files, read_file
from annotations.models import (
    Citation,
    Claim,
    ProposedCitation,
    PublishedReview,
    PublishedReviewKey,
    Source,
)
from tests.factories import ArticleFactory

FIXTURES = Path(__file__).parent / "fixtures" / "claimreview"
RELATED = {"HX-Request": "true", "HX-Target": "claim-related"}
PANEL = {"HX-Request": "true", "HX-Target": "claim-panel"}
FLOODED = "https://coastlinecheck.example/fact-checks/arden-valley-flooded-homes"


def import_fixtures(*paths) -> str:
    out = io.StringIO()
    call_command("import_fact_checks", *(paths or [FIXTURES]), "--no-progress", stdout=out)
    return out.getvalue()


def claim_in(text, by, *, claimant=""):
    """A claim on the whole of a new article whose body is ``text``."""
    article = ArticleFactory(body=text, raw_text=text)
    claim = Claim.objects.create_from_selection(article, 0, len(text), text, by=by)
    if claimant:
        claim.edit(by=by, version=claim.version, claimant=claimant)
        claim.refresh_from_db()
    return claim


def review_json(url="https://check.example/a", **fields) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": "The pier is 300 metres long.",
        "author": {"@type": "Organization", "name": "Pier Facts"},
        "datePublished": "2024-01-01",
        "reviewRating": {"@type": "Rating", "alternateName": "True"},
        **fields,
    }


# --- Importing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_saved_pages_a_feed_and_a_json_ld_file_are_read_in_every_nesting_shape():
    output = import_fixtures()
    assert "REFUSED broken_block.html: JSON-LD block 1 of 1: Not valid JSON" in output
    assert "SKIPPED ordinary_news_page.html: no ClaimReview in this page" in output
    assert "1 page(s) without ClaimReview skipped" in output
    assert "7 created, 0 updated, 0 unchanged from 8 file(s)" in output
    reviews = {review.url: review for review in PublishedReview.objects.all()}
    assert len(reviews) == 7

    # @graph, the organisation found through its @id, the tracking parameter dropped, numbers
    # written as strings, appearances as a list of objects; the page's reading (read after
    # the feed's) is the one kept.
    flooded = reviews[FLOODED]
    assert flooded.organisation == "Coastline Check"
    assert (flooded.rating, flooded.rating_value, flooded.best_rating) == ("Misleading", 2, 5)
    assert flooded.reviewed_on.isoformat() == "2024-03-02"
    assert flooded.claimant == "Arden County Council"
    assert flooded.claim_date.isoformat() == "2024-02-20"
    assert flooded.headline == "Were 4,500 homes flooded in the Arden valley?"
    assert flooded.appearances == [
        "https://ardennews.example/2024/02/20/storm-homes",
        "https://social.example/ardencouncil/status/1760000000",
    ]
    assert flooded.source_name == "coastline_check_flooded_homes.html"
    assert "4,500" in [figure["text"] for figure in flooded.figures][0]

    # A top-level array: two reviews of one page, told apart by their fragments; a rating in
    # words only, and one whose -1 means "no number".
    fares = reviews["https://verdictwatch.example/checks/gull-island-ferry#fares"]
    assert (fares.rating, fares.rating_value, fares.claimant) == ("False", None, "Maria Holt")
    assert fares.appearances == ["https://islandecho.example/news/ferry-fares-doubled"]
    passengers = reviews["https://verdictwatch.example/checks/gull-island-ferry#passengers"]
    assert (passengers.rating, passengers.rating_value) == ("Accurate", None)

    # mainEntity of a NewsArticle, in CDATA, @type as a list, a rating with a number only,
    # firstAppearance first, an appearance given as a bare URL.
    knives = reviews["https://eastbridgefacts.example/2022/11/knife-crime-up-70"]
    assert (knives.rating, knives.rating_value, knives.rating_label) == ("", 1, "1 of 5")
    assert knives.claimant == "Eastbridge Police Federation"
    assert knives.appearances == [
        "https://eastbridgepolfed.example/statement",
        "https://eastbridgetimes.example/knife-crime",
        "https://eastbridgeradio.example/news/1234",
    ]

    # The feed: an item that is a list, and the JSON-LD file of one review.
    teachers = reviews["https://coastlinecheck.example/fact-checks/school-science-teachers"]
    assert (teachers.rating, teachers.claimant) == ("Half true", "Dana Pike")
    assert reviews["https://tidewaterfacts.example/checks/lighthouse-visitors"].rating == (
        "Mostly false"
    )
    # Every review is filed under the keys a claim is filed under.
    assert set(PublishedReviewKey.objects.filter(review=flooded).values_list("key", flat=True)) == (
        set(families.index_keys(flooded.features()))
    )


@pytest.mark.django_db
def test_reviews_missing_a_required_field_are_listed_with_the_reason_and_the_rest_imported():
    output = import_fixtures()
    assert (
        "NOT IMPORTED feed.json, review 3 (https://coastlinecheck.example/fact-checks/"
        "bridge-tolls/): no claimReviewed"
    ) in output
    assert (
        "NOT IMPORTED feed.json, review 4 (https://coastlinecheck.example/fact-checks/"
        "bridge-tolls-rise/): reviewRating has neither a rating in words (alternateName) nor "
        "a number"
    ) in output
    assert (
        "NOT IMPORTED harbour_gazette_incomplete.html, review 2 (Every bus in the county now "
        "runs on electricity.): no url"
    ) in output
    assert "3 review(s) not imported (listed)" in output
    # The complete review of the same page is there.
    assert PublishedReview.objects.filter(
        url="https://harbourgazette.example/fact-check/library-hours"
    ).exists()


@pytest.mark.django_db
def test_importing_again_keeps_each_review_once_and_updates_only_what_changed(tmp_path):
    import_fixtures()
    output = import_fixtures()
    assert "0 created, 0 updated, 7 unchanged" in output
    changed = review_json(
        url="https://coastlinecheck.example/fact-checks/arden-valley-flooded-homes/",
        claimReviewed="The county council says 4,500 homes were flooded in the Arden valley.",
        reviewRating={"@type": "Rating", "alternateName": "False"},
    )
    (tmp_path / "correction.json").write_text(json.dumps(changed))
    assert "0 created, 1 updated, 0 unchanged" in import_fixtures(tmp_path)
    flooded = PublishedReview.objects.get(url=FLOODED)
    assert flooded.rating == "False" and flooded.rating_value is None
    assert PublishedReview.objects.count() == 7
    keys = set(PublishedReviewKey.objects.filter(review=flooded).values_list("key", flat=True))
    assert keys == set(families.index_keys(flooded.features()))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("[" + json.dumps(review_json()) + ", {", "Not valid JSON (line 1, column"),
        (json.dumps({"@type": "NewsArticle", "headline": "Nothing checked"}), "no ClaimReview"),
        ("", "the file is empty"),
        ("\ufeff".encode() + b"\xff\xfe{}", "not UTF-8 text"),
    ],
)
def test_a_bad_file_is_refused_whole_with_one_line_and_writes_nothing(tmp_path, content, why):
    path = tmp_path / "reviews.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    output = import_fixtures(path)
    refused = [line for line in output.splitlines() if line.startswith("REFUSED")]
    assert len(refused) == 1 and why in refused[0]
    assert PublishedReview.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_file_stops_the_command_before_anything_is_written(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        import_fixtures(tmp_path / "nowhere.json")


@pytest.mark.django_db
def test_the_command_shows_a_progress_bar(tmp_path, capsys):
    (tmp_path / "feed.json").write_text(
        json.dumps(
            {
                "@type": "DataFeed",
                "dataFeedElement": [
                    {"@type": "DataFeedItem", "item": review_json(url=f"https://c.example/{n}")}
                    for n in range(30)
                ],
            }
        )
    )
    call_command("import_fact_checks", str(tmp_path), "--progress", stdout=io.StringIO())
    assert "30/30" in capsys.readouterr().err
    assert PublishedReview.objects.count() == 30


# --- Matching -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_is_matched_by_the_scoring_of_claim_families_figures_included(reviewer):
    import_fixtures()
    claim = claim_in(
        "Arden County Council said 4,500 homes were flooded in the Arden valley in January.",
        reviewer,
    )
    found = claim.published_checks()
    assert [check.review.url for check in found][:1] == [FLOODED]
    reasons = "; ".join(found[0].match.reasons)
    assert "figures of the same thing: home" in reasons
    assert found[0].match.score >= families.THRESHOLD
    # The same words about another counted thing are not the same claim.
    cars = claim_in("The council says 4,500 cars were towed in the Arden valley.", reviewer)
    assert FLOODED not in [check.review.url for check in cars.published_checks()]
    unrelated = claim_in("The Riverside library lent 12,000 books to schools.", reviewer)
    assert unrelated.published_checks() == []


@pytest.mark.django_db
def test_any_text_can_be_matched_such_as_a_suggested_sentence():
    import_fixtures()
    found = PublishedReview.objects.matching_text(
        "Ferry fares to Gull Island have doubled since 2020, councillor Maria Holt said."
    )
    assert found[0].review.url == "https://verdictwatch.example/checks/gull-island-ferry#fares"


@pytest.mark.django_db
@pytest.mark.parametrize("others", [5, 300])
def test_matching_takes_two_queries_and_bounded_work_however_many_reviews_share_keys(
    reviewer, django_assert_num_queries, others
):
    import_fixtures()
    files = [
        (
            "many.json",
            json.dumps(
                [
                    review_json(
                        url=f"https://many.example/{n}",
                        claimReviewed=f"{n + 1000} homes were flooded in the Arden valley.",
                    )
                    for n in range(others)
                ]
            ).encode(),
        )
    ]
    assert import_files(files).created == others
    claim = claim_in("4,500 homes were flooded in the Arden valley, the council says.", reviewer)
    figures = list(claim.figures.all())
    # the reviews filed under each of the claim's keys (capped per key), the candidates
    with django_assert_num_queries(2):
        found = claim.published_checks(figures, limit=None)
    assert 0 < len(found) <= PublishedReview.CANDIDATES


@pytest.mark.django_db
def test_finding_reviews_reads_the_index_not_the_table():
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    table = PublishedReviewKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN QUERY PLAN SELECT key, review_id FROM {table} WHERE key = %s "  # noqa: S608
            "ORDER BY review_id DESC LIMIT 101",
            ["w:ferry"],
        )
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "USING COVERING INDEX published_review_key_lookup (key=?)" in plan, plan
    assert "TEMP B-TREE" not in plan


# --- The claim panel ----------------------------------------------------------------------------


def related_url(claim):
    return reverse("annotations:claim-related", args=[claim.article_id, claim.pk])


def claim_url(claim):
    return reverse("annotations:claim-detail", args=[claim.article_id, claim.pk])


@pytest.mark.django_db
def test_the_panel_says_who_checked_the_claim_when_with_what_rating_and_links_to_it(
    client, reviewer
):
    import_fixtures()
    claim = claim_in(
        "Arden County Council said 4,500 homes were flooded in the Arden valley in January.",
        reviewer,
    )
    client.force_login(reviewer)
    response = client.get(
        related_url(claim), headers={**RELATED, "HX-Current-URL": claim_url(claim)}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'Checked by Coastline Check on 2024-03-02: <strong class="rating">Misleading' in html
    assert f'href="{FLOODED}" rel="noopener noreferrer nofollow"' in html
    assert "Cite as source" in html and 'hx-target="#claim-panel"' in html
    # On the region's own page the same button is a plain form.
    page = client.get(related_url(claim)).content.decode()
    assert "Cite as source" in page and 'hx-target="#claim-panel"' not in page


@pytest.mark.django_db
def test_cite_as_source_adds_the_page_to_the_library_once_and_cites_it(client, reviewer):
    import_fixtures()
    claim = claim_in(
        "Arden County Council said 4,500 homes were flooded in the Arden valley in January.",
        reviewer,
    )
    review = PublishedReview.objects.get(url=FLOODED)
    client.force_login(reviewer)
    url = reverse("annotations:citation-from-published", args=[claim.article_id, claim.pk])
    response = client.post(url, {"version": claim.version, "review": review.pk}, headers=PANEL)
    html = response.content.decode()
    assert "Coastline Check fact-check cited as a source." in html
    source = Source.objects.get(url=FLOODED)
    assert source.title == "Were 4,500 homes flooded in the Arden valley?"
    assert (source.publisher, source.kind) == ("Coastline Check", Source.Kind.FACT_CHECK)
    assert source.published_on.isoformat() == "2024-03-02"
    citation = Citation.objects.get(claim=claim)
    assert citation.source == source and citation.locator == "Rating: Misleading"
    assert citation.quote == review.claim_reviewed
    # The region now says it is cited, and another claim citing it reuses the library's source.
    related = client.get(related_url(claim), headers=RELATED).content.decode()
    assert "Cited as a source." in related and "Cite as source" not in related
    other = claim_in("4,500 homes were flooded in the Arden valley, the council said.", reviewer)
    client.post(
        reverse("annotations:citation-from-published", args=[other.article_id, other.pk]),
        {"version": other.version, "review": review.pk},
        headers=PANEL,
    )
    assert Source.objects.filter(url=FLOODED).count() == 1
    assert Citation.objects.filter(source=source).count() == 2


@pytest.mark.django_db
def test_citing_from_a_stale_panel_is_refused_and_adds_nothing(client, reviewer):
    import_fixtures()
    claim = claim_in("4,500 homes were flooded in the Arden valley.", reviewer)
    review = PublishedReview.objects.get(url=FLOODED)
    claim.edit(by=reviewer, version=claim.version, statement="Homes flooded: 4,500.")
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:citation-from-published", args=[claim.article_id, claim.pk]),
        {"version": claim.version - 1, "review": review.pk},
        headers=PANEL,
    )
    assert "changed" in response.content.decode()
    assert not Citation.objects.filter(claim=claim).exists()
    assert not Source.objects.filter(url=FLOODED).exists()


@pytest.mark.django_db
def test_citing_on_an_approved_claim_proposes_the_citation_with_the_reason(
    client, reviewer, editor
):
    import_fixtures()
    claim = claim_in("4,500 homes were flooded in the Arden valley.", reviewer)
    source = Source.objects.create(title="Council data", url="https://council.example/data")
    claim.add_citation(by=reviewer, version=claim.version, source=source)
    claim.refresh_from_db()
    verdict = claim.__class__._meta.get_field("verdict").related_model.objects.first()
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=verdict)
    claim.refresh_from_db()
    claim.approve(by=editor, version=claim.version)
    claim.refresh_from_db()
    review = PublishedReview.objects.get(url=FLOODED)
    client.force_login(reviewer)
    html = client.get(related_url(claim), headers=RELATED).content.decode()
    assert "Propose citing it" in html
    client.post(
        reverse("annotations:citation-from-published", args=[claim.article_id, claim.pk]),
        {"version": claim.version, "review": review.pk, "change_reason": "Checked elsewhere"},
        headers=PANEL,
    )
    assert ProposedCitation.objects.filter(source__url=FLOODED).count() == 1
    assert not Citation.objects.filter(claim=claim, source__url=FLOODED).exists()


# --- The admin ----------------------------------------------------------------------------------


def upload(client, *paths):
    files = [SimpleUploadedFile(path.name, path.read_bytes()) for path in paths]
    return client.post(reverse("admin:annotations_publishedreview_upload"), {"files": files})


@pytest.mark.django_db
def test_an_admin_imports_pages_and_a_feed_on_the_admin_page(client, admin_user):
    client.force_login(admin_user)
    listing = client.get(reverse("admin:annotations_publishedreview_changelist"))
    assert "Import published fact-checks" in listing.content.decode()
    pages = sorted((FIXTURES / "pages").iterdir())
    response = upload(client, FIXTURES / "feed.json", FIXTURES / "broken_block.html", *pages)
    html = response.content.decode()
    assert response.status_code == 200
    assert "6 created, 0 updated, 0 unchanged from 7 file(s)" in html
    assert "REFUSED broken_block.html" in html and "SKIPPED ordinary_news_page.html" in html
    assert "no claimReviewed" in html
    assert PublishedReview.objects.count() == 6


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reviewer", "editor"])
def test_only_admins_import_published_fact_checks(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = upload(client, FIXTURES / "feed.json")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert PublishedReview.objects.count() == 0


@pytest.mark.django_db
def test_read_file_tells_a_page_from_json_by_its_first_character_without_an_extension():
    page = (FIXTURES / "pages" / "verdict_watch_two_claims.html").read_bytes()
    assert len(read_file("saved-page", page).reviews) == 2
    feed = (FIXTURES / "feed.json").read_bytes()
    assert len(read_file("feed", feed).reviews) == 2


@pytest.mark.django_db
def test_the_benchmark_feed_imports_whole_and_a_retold_review_is_found(tmp_path, reviewer):
    from bench.published_checks import make_reviews, retelling_claims, write_feed

    path = write_feed(tmp_path / "feed.json", make_reviews(40, seed=3))
    result = import_files([(path.name, path.read_bytes())])
    assert (result.created, result.rejected, result.refused) == (40, [], [])
    claim = retelling_claims(random.Random(1), reviewer, 1)[0]
    found = claim.published_checks()
    assert found and found[0].review.claim_reviewed[1:] in claim.quote


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused_and_the_others_imported(
    client, admin_user, settings
):
    settings.FACTCHECK_FACT_CHECKS_MAX_BYTES = 2_000
    client.force_login(admin_user)
    html = upload(client, FIXTURES / "feed.json", FIXTURES / "single_review.jsonld")
    html = html.content.decode()
    assert "REFUSED feed.json: the file is too large" in html
    assert "1 created, 0 updated, 0 unchanged from 2 file(s)" in html
    assert list(PublishedReview.objects.values_list("organisation", flat=True)) == [
        "Tidewater Facts"
    ]


# --- Suggestions ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_suggested_sentence_shows_who_checked_it_when_the_reader_asks(
    client, reviewer, django_assert_num_queries
):
    from annotations.models import Suggestion

    import_fixtures()
    body = (
        "The storms came in January. Arden County Council said 4,500 homes were flooded in "
        "the Arden valley in January. Clean-up crews worked through the night."
    )
    article = ArticleFactory(body=body, raw_text=body)
    suggestion = next(s for s in Suggestion.objects.filter(article=article) if "4,500" in s.text())
    reader = client_reader(client, reviewer, article)
    assert suggestion.pk in [entry["id"] for entry in reader]
    checks_url = next(entry["checks_url"] for entry in reader if entry["id"] == suggestion.pk)
    headers = {"HX-Request": "true", "HX-Target": "suggestion-checks"}
    # the article, the suggestion, the reviews under the sentence's keys, the candidates
    with django_assert_num_queries(4 + SESSION_QUERIES):
        response = client.get(checks_url, headers=headers)
    html = response.content.decode()
    assert "<html" not in html and 'id="suggestion-checks"' in html
    assert "Checked by Coastline Check on 2024-03-02: <strong" in html and FLOODED in html
    # Without htmx the address leads back to the article.
    assert client.get(checks_url).status_code == 302
    # A sentence nobody checked shows nothing.
    other = next(s for s in Suggestion.objects.filter(article=article) if s.pk != suggestion.pk)
    assert other.published_checks() == []


SESSION_QUERIES = 2  # the session, its user with their role groups (roles.SignedInUserBackend)


def client_reader(client, user, article) -> list[dict]:
    client.force_login(user)
    html = client.get(reverse("annotations:article-detail", args=[article.pk])).content.decode()
    start = html.index('<script id="suggestion-data" type="application/json">')
    data = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(data)


@pytest.mark.django_db
def test_an_import_failing_part_way_writes_nothing(monkeypatch):
    from django.db import IntegrityError

    from annotations.importers import claimreview

    monkeypatch.setattr(claimreview, "BATCH", 2)
    filed = PublishedReviewKey.file

    def file_then_fail(reviews, *, created=()):
        if PublishedReview.objects.count() > 2:  # the second batch, as if another import raced
            raise IntegrityError("UNIQUE constraint failed")
        filed(reviews, created=created)

    monkeypatch.setattr(PublishedReviewKey, "file", file_then_fail)
    reviews = [review_json(url=f"https://check.example/{n}") for n in range(5)]
    result = import_files([("five.json", json.dumps(reviews).encode())])
    assert result.failed and "Nothing imported" in result.summary()
    assert (
        result.created,
        PublishedReview.objects.count(),
        PublishedReviewKey.objects.count(),
    ) == (
        0,
        0,
        0,
    )
