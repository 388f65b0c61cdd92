"""An article's details edited on the article page: title, URL, publisher (a record, chosen or
created inline), author, date and language; versioned, with history; the inferred-title flag."""

import datetime
import json

import pytest
from django.urls import reverse

from annotations.models import Article, Publisher
from tests.factories import ArticleFactory, PublisherFactory

pytestmark = pytest.mark.django_db

DETAILS = {"HX-Request": "true", "HX-Target": "article-details"}


def details_url(article):
    return reverse("annotations:article-details", args=[article.pk])


def form_data(article, **changes):
    """The details form as the header sends it."""
    data = {
        "version": article.version,
        "title": article.title,
        "url": article.url,
        "publisher": article.publisher.name if article.publisher else "",
        "publisher_url": "",
        "publisher_country": "",
        "byline": article.byline,
        "published_on": article.published_on.isoformat() if article.published_on else "",
        "language": article.language,
    }
    return data | changes


@pytest.fixture
def signed_in(client, reviewer):
    client.force_login(reviewer)
    return client


def test_reviewer_edits_every_detail_from_the_header(signed_in, reviewer):
    article = ArticleFactory(publisher="Riverside Gazette")
    herald = PublisherFactory(name="Hillside Herald")
    response = signed_in.post(
        details_url(article),
        form_data(
            article,
            title="Bus journeys reach a record",
            url="HTTPS://Gazette.Example/news/buses/?utm_source=feed#top",
            publisher="hillside herald",
            byline="Ana Lima",
            published_on="2025-03-04",
            language="pt",
        ),
        headers=DETAILS,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="article-details"' in html
    assert "Details saved." in html and "Bus journeys reach a record" in html
    article.refresh_from_db()
    assert article.title == "Bus journeys reach a record"
    assert article.url == "https://gazette.example/news/buses"  # normalised like sources'
    assert article.publisher == herald  # chosen, whatever the case typed
    assert article.byline == "Ana Lima"
    assert article.published_on == datetime.date(2025, 3, 4)
    assert article.language == "pt"
    record = article.history.first()
    assert record.history_user == reviewer and record.history_change_reason == "Details edited"


def test_a_new_publisher_is_created_inline_with_its_home_page_and_country(signed_in):
    article = ArticleFactory(publisher="")
    signed_in.post(
        details_url(article),
        form_data(
            article,
            publisher="  Coastline   Post ",
            publisher_url="https://Coastline.example/?utm_medium=x",
            publisher_country="IE",
        ),
        headers=DETAILS,
    )
    article.refresh_from_db()
    assert article.publisher.name == "Coastline Post"
    assert article.publisher.url == "https://coastline.example/"
    assert article.publisher.get_country_display() == "Ireland"
    assert Publisher.objects.count() == 1


def test_publisher_search_offers_existing_names_as_the_reviewer_types(signed_in):
    PublisherFactory(name="Hillside Herald")
    PublisherFactory(name="Riverside Gazette")
    response = signed_in.get(reverse("annotations:publisher-search"), {"publisher": "herald"})
    html = response.content.decode()
    assert '<datalist id="publisher-options">' in html
    assert '<option value="Hillside Herald">' in html and "Riverside" not in html


def test_stale_details_edit_is_refused_and_keeps_the_newer_values(signed_in, reviewer2):
    article = ArticleFactory(title="Ferry timetable changes")
    opened = form_data(article)
    article.edit_details(by=reviewer2, version=article.version, byline="Raj Patel")
    response = signed_in.post(
        details_url(article), opened | {"byline": "Someone Else"}, headers=DETAILS
    )
    html = response.content.decode()
    assert "Someone else changed this article" in html
    assert "Raj Patel" in html  # their value is shown
    assert 'value="Someone Else"' in html  # what was typed is kept in the form
    article.refresh_from_db()
    assert article.byline == "Raj Patel"
    # Saving again from the refreshed form (now on their version) goes through.
    version = int(html.split('name="version" value="')[1].split('"')[0])
    assert version == article.version
    signed_in.post(details_url(article), opened | {"version": version, "byline": "Someone Else"})
    article.refresh_from_db()
    assert article.byline == "Someone Else"


def test_an_admin_save_makes_an_open_details_form_stale(signed_in, admin_user):
    article = ArticleFactory()
    opened = form_data(article)
    article.section = "Transport"
    article.save()  # any save (the admin, an import) raises the version
    signed_in.post(details_url(article), opened | {"title": "Changed"}, headers=DETAILS)
    article.refresh_from_db()
    assert article.title != "Changed"


def test_confirming_the_title_clears_the_inferred_flag(signed_in):
    article = ArticleFactory(title="The ferry carried more people", title_inferred=True)
    signed_in.post(details_url(article), form_data(article, byline="Ana"), headers=DETAILS)
    article.refresh_from_db()
    assert article.title_inferred  # another detail saved: the title is not confirmed by it
    response = signed_in.get(details_url(article), headers=DETAILS)
    assert "This title is right" in response.content.decode()
    signed_in.post(details_url(article), form_data(article, title_confirmed="on"), headers=DETAILS)
    article.refresh_from_db()
    assert not article.title_inferred
    assert article.history.first().history_change_reason == "Details edited; title confirmed"


def test_changing_an_inferred_title_clears_the_flag(signed_in):
    article = ArticleFactory(title="The ferry carried more people", title_inferred=True)
    signed_in.post(details_url(article), form_data(article, title="Ferry numbers"))
    article.refresh_from_db()
    assert article.title == "Ferry numbers" and not article.title_inferred


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "javascript:alert(1)"}, "http"),
        ({"title": "   "}, "This field is required."),
        ({"language": "xx"}, "Select a valid choice"),
        ({"published_on": "4 March"}, "Enter a valid date"),
    ],
)
def test_bad_details_are_refused_with_a_message_and_nothing_is_saved(signed_in, changes, message):
    article = ArticleFactory(title="Ferry timetable changes", byline="Ana")
    response = signed_in.post(
        details_url(article), form_data(article, byline="Changed", **changes), headers=DETAILS
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    article.refresh_from_db()
    assert article.byline == "Ana"


def test_a_url_another_article_has_is_refused_naming_it(signed_in):
    ArticleFactory(title="The first story", url="https://gazette.example/story")
    article = ArticleFactory()
    response = signed_in.post(
        details_url(article),
        form_data(article, url="https://gazette.example/story/?utm_source=x"),
        headers=DETAILS,
    )
    assert "Another article has this URL: “The first story”" in response.content.decode()


def test_a_field_missing_from_the_form_is_an_error_not_a_blanking(signed_in):
    article = ArticleFactory(byline="Ana Lima")
    data = form_data(article, title="New title")
    del data["byline"]
    response = signed_in.post(details_url(article), data, headers=DETAILS)
    assert "This field was missing" in response.content.decode()
    article.refresh_from_db()
    assert article.byline == "Ana Lima" and article.title != "New title"


def test_details_form_works_without_htmx(signed_in):
    article = ArticleFactory()
    page = signed_in.get(details_url(article))
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = signed_in.post(details_url(article), form_data(article, byline="Ana"))
    assert response.status_code == 302 and response.url == article.get_absolute_url()


def test_the_reader_header_shows_the_details_and_loads_the_state(signed_in):
    article = ArticleFactory(publisher="Hillside Herald", language="en", byline="Ana Lima")
    html = signed_in.get(article.get_absolute_url()).content.decode()
    assert "Hillside Herald" in html and "English" in html and "Edit details" in html
    assert reverse("annotations:article-publication", args=[article.pk]) in html
    fragment = signed_in.get(
        reverse("annotations:article-publication", args=[article.pk]),
        headers={"HX-Request": "true", "HX-Target": "article-publication"},
    ).content.decode()
    assert "To do" in fragment and "<html" not in fragment


def test_importer_files_the_publisher_as_a_record(reviewer):
    from annotations.importers import import_document

    text = (
        "Ferry numbers rise\n\nSign up to the Riverton Gazette e-mail newsletter.\n\n"
        "The ferry carried 820,000 people last year, the council said."
    )
    first = import_document("a.txt", text.encode(), user=reviewer)
    second = import_document("b.txt", (text + " More.").encode(), user=reviewer)
    assert first.article.publisher.name == "Riverton Gazette"
    assert second.article.publisher == first.article.publisher  # one record per name
    assert Publisher.objects.count() == 1


def test_dashboard_filters_by_publisher_record(client, reviewer):
    herald = PublisherFactory(name="Hillside Herald")
    ArticleFactory(title="Herald story", publisher=herald)
    ArticleFactory(title="Gazette story", publisher="Riverside Gazette")
    PublisherFactory(name="Unused Weekly")  # no article: not offered
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-list")).content.decode()
    assert '<option value="Hillside Herald"' in html and "Unused Weekly" not in html
    filtered = client.get(reverse("annotations:article-list"), {"publisher": "Hillside Herald"})
    assert "Herald story" in filtered.content.decode()
    assert "Gazette story" not in filtered.content.decode()


def test_publisher_names_are_unique_whatever_their_case():
    Publisher.objects.create(name="Hillside Herald")
    assert Publisher.objects.named("HILLSIDE  herald") == Publisher.objects.get()
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Publisher.objects.create(name="hillside herald")


def test_article_state_in_the_json_export_and_publisher_as_a_name(client, reviewer):
    article = ArticleFactory(publisher="Hillside Herald")
    client.force_login(reviewer)
    response = client.get(reverse("annotations:export", args=["json"]), {"article": article.pk})
    [exported] = json.loads(b"".join(response.streaming_content))["articles"]
    assert exported["publisher"] == "Hillside Herald"  # a string, as the schema says
    assert exported["review_state"] == Article.objects.get().review_state == "to_do"
