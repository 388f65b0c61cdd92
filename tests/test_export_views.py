import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from annotations.exporters import FORMATS
from annotations.exporters.scope import DRAFT_LABEL
from tests.export_helpers import worked_example

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in the cache, which outlives a test.
    cache.clear()


def download(client, name, **params):
    response = client.get(reverse("annotations:export", args=[name]), params)
    assert response.status_code == 200, response.content
    assert response.streaming
    body = b"".join(response.streaming_content)
    return response, body


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_downloads_with_a_filename_and_type(client, reviewer, name):
    example = worked_example(n_articles=1)
    client.force_login(reviewer)
    response, body = download(client, name, article=example["articles"][0].pk)
    export_format = FORMATS[name]
    assert response["Content-Type"] == export_format.content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="factcheck-article-')
    assert disposition.endswith(f'.{export_format.extension}"')
    assert response["Cache-Control"] == "private, no-store"
    assert body


def test_each_format_downloads_under_its_own_name_saying_format_and_scope(client, reviewer):
    example = worked_example(n_articles=1)
    client.force_login(reviewer)
    names = {}
    for name in FORMATS:
        response, _ = download(client, name, article=example["articles"][0].pk, scope="internal")
        filename = response["Content-Disposition"].split('filename="')[1].rstrip('"')
        assert "-internal-" in filename
        names[name] = filename.rsplit("-", 1)[1]
    assert names == {
        "html": "report.html",
        "pdf": "report.pdf",
        "markdown": "report.md",
        "csv": "claims.csv",
        "csv-citations": "citations.csv",
        "json": "data.json",
        "claimreview": "claimreview.jsonld",
        "w3c": "w3c.jsonld",
    }


def test_published_scope_is_the_default_and_has_no_unapproved_claim(client, reviewer):
    worked_example()
    client.force_login(reviewer)
    for name in ("csv", "html", "markdown", "w3c", "csv-citations", "claimreview"):
        _, body = download(client, name)
        text = body.decode("utf-8")
        assert "fares to rise" not in text, name
        assert DRAFT_LABEL not in text, name
    _, body = download(client, "json")
    claims = [c for a in json.loads(body)["articles"] for c in a["claims"]]
    assert len(claims) == 6 and {c["state"] for c in claims} == {"approved"}


def test_internal_scope_marks_unapproved_work(client, reviewer):
    worked_example()
    client.force_login(reviewer)
    for name in ("csv", "html", "markdown", "w3c"):
        _, body = download(client, name, scope="internal")
        assert DRAFT_LABEL in body.decode("utf-8"), name


def test_article_parameter_selects_articles(client, reviewer):
    example = worked_example(n_articles=2)
    client.force_login(reviewer)
    _, body = download(client, "json", article=example["articles"][1].pk)
    data = json.loads(body)
    assert [a["content_hash"] for a in data["articles"]] == [example["articles"][1].content_hash]


def test_dashboard_filters_select_articles(client, reviewer):
    example = worked_example(n_articles=2)
    example["articles"][0].title = "Ferry timetable changes"
    example["articles"][0].save()
    client.force_login(reviewer)
    _, body = download(client, "json", q="ferry", sort="title", page="2")
    assert [a["title"] for a in json.loads(body)["articles"]] == ["Ferry timetable changes"]


def test_bad_parameters_are_refused_clearly(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("annotations:export", args=["csv"]), {"scope": "secret"})
    assert response.status_code == 400
    assert "Unknown scope" in response.content.decode()
    response = client.get(reverse("annotations:export", args=["csv"]), {"article": "x"})
    assert response.status_code == 400
    assert client.get(reverse("annotations:export", args=["docx"])).status_code == 404


@pytest.mark.parametrize("name", ["verdict", "assignee"])
def test_a_blank_filter_is_no_filter_and_a_bad_one_is_refused(client, reviewer, name):
    worked_example(n_articles=2)
    client.force_login(reviewer)
    url = reverse("annotations:export", args=["json"])
    everything = json.loads(b"".join(client.get(url).streaming_content))["articles"]
    blank = client.get(url, {name: " "})
    assert blank.status_code == 200
    assert json.loads(b"".join(blank.streaming_content))["articles"] == everything
    refused = client.get(url, {name: "first"})
    assert refused.status_code == 400
    assert f"'{name}' must be a number." in refused.content.decode()


def test_exports_are_rate_limited(client, reviewer, settings):
    settings.FACTCHECK_RATE_LIMITS = {**settings.FACTCHECK_RATE_LIMITS, "export": "2/m"}
    client.force_login(reviewer)
    url = reverse("annotations:export", args=["csv"])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_report_page_shows_claims_with_anchors_and_no_inline_styles(
    client, reviewer, django_assert_max_num_queries
):
    example = worked_example(n_articles=1)
    article = example["articles"][0]
    client.force_login(reviewer)
    url = reverse("annotations:article-report", args=[article.pk])
    # session, user, groups; users, verdicts; article ids, article, claims, citations,
    # sources (no comments in published scope), family members (none: no figures read),
    # the claims' publications (ClaimReview); the methodology; the people named (users,
    # groups); whether the article is published (no: no corrections log) — the same for 3
    # claims or 300.
    with django_assert_max_num_queries(17):
        response = client.get(url)
    page = response.content.decode()
    for claim in example["approved"]:
        assert f'id="claim-{claim.pk}"' in page
    assert f'id="claim-{example["drafts"][0].pk}"' not in page
    assert "style=" not in page and "<style" not in page
    assert 'href="/static/annotations/report.css"' in page
    assert 'fill="#2e7d32"' in page  # the verdict colour as an SVG swatch
    assert "Annual bus statistics" in page and "Table 1" in page
    internal = client.get(url, {"scope": "internal"}).content.decode()
    assert f'id="claim-{example["drafts"][0].pk}"' in internal
    assert DRAFT_LABEL in internal


def test_report_of_unknown_article_is_404(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("annotations:article-report", args=[999])).status_code == 404


def test_hostile_urls_are_never_links(client, reviewer):
    from annotations.models import Article, Source

    example = worked_example(n_articles=1)
    Article.objects.filter(pk=example["articles"][0].pk).update(url="javascript:alert(1)")
    Source.objects.filter(pk=example["sources"][0].pk).update(url="javascript:alert(2)")
    client.force_login(reviewer)
    page = client.get(
        reverse("annotations:article-report", args=[example["articles"][0].pk])
    ).content.decode()
    assert 'href="javascript:' not in page
    _, body = download(client, "markdown")
    assert "](<javascript:" not in body.decode()


def test_markdown_escapes_user_text(client, reviewer):
    example = worked_example(n_articles=1)
    claim = example["approved"][0]
    claim.statement = "# Heading <script>alert(1)</script> [link](http://x.example) *bold*"
    claim.save()
    client.force_login(reviewer)
    _, body = download(client, "markdown")
    text = body.decode()
    assert (
        r"\# Heading \<script\>alert\(1\)\</script\> \[link\]\(http://x.example\) \*bold\*" in text
    )
    assert "### Claim 1" in text and "| Verdict | Claims |" in text


def test_downloaded_html_report_stands_alone(client, reviewer):
    worked_example(n_articles=2)
    client.force_login(reviewer)
    _, body = download(client, "html")
    page = body.decode()
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")
    assert "<style>" in page and "&quot;" not in page.split("</style>")[0]
    assert page.count('class="report-article"') == 2
    assert page.count('<script type="application/ld+json">') == 2


def test_admin_action_exports_the_selected_articles(client, admin_user):
    example = worked_example(n_articles=2)
    chosen = example["articles"][1]
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:annotations_article_changelist"),
        {"action": "export_report_action", "_selected_action": [chosen.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("annotations:export", args=["html"]) + f"?article={chosen.pk}"
    )
    report = b"".join(client.get(response["Location"]).streaming_content).decode()
    assert f'id="article-{chosen.pk}"' in report
    assert f'id="article-{example["articles"][0].pk}"' not in report


@pytest.mark.parametrize(
    ("prefix", "suffix", "before", "after"),
    [
        (
            "olice specialists say there are ",
            " people in the country who pose a",
            "specialists say there are ",
            " people in the country who pose",
        ),
        ("Short start ", " end.", "Short start ", " end."),
        ("x" * 32, "y" * 32, "", ""),
    ],
)
def test_report_context_is_cut_at_whole_words(prefix, suffix, before, after):
    from annotations.exporters._common import whole_words_after, whole_words_before

    assert whole_words_before(prefix, cut=len(prefix) >= 32) == before
    assert whole_words_after(suffix, cut=len(suffix) >= 32) == after


def test_the_html_report_shows_no_word_cut_in_half(client, reviewer):
    from tests.factories import ArticleFactory, ClaimFactory

    body = (
        "British police specialists say there are at least 300,000 people in the country "
        "who pose a threat."
    )
    article = ArticleFactory(body=body, raw_text=body)
    start = body.index("at least")
    ClaimFactory(
        article=article, start=start, end=start + len("at least 300,000"), state="approved"
    )
    client.force_login(reviewer)
    page = client.get(
        reverse("annotations:article-report", args=[article.pk]), {"scope": "internal"}
    )
    html = page.content.decode()
    before = re.search(r'<span class="context">…([^<]*)</span><mark>', html).group(1)
    assert before == "specialists say there are "
    after = re.search(r'</mark><span class="context">([^<]*)…</span>', html).group(1)
    assert after == " people in the country who pose"


def test_json_export_of_every_article_reads_a_fixed_number_of_queries_per_chunk(
    client, reviewer, django_assert_num_queries
):
    """make bench's "export json, 50 articles × 200 claims (internal)" in small: eleven articles
    are two chunks of ten. Its query count is pinned here so that it does not creep up again
    (36 for the bench's five chunks)."""
    worked_example(n_articles=11)
    client.force_login(reviewer)
    url = reverse("annotations:export", args=["json"])
    # session, user; the download's name (one article or more?); users, verdicts, article
    # ids; per chunk of ten articles: articles, claims, citations, comments, figures; the
    # library's sources (ids and URLs, then a batch of rows); family memberships (none, so
    # no families or history), turned-down pairs; the users named.
    with django_assert_num_queries(11 + 5 * 2):
        response = client.get(url, {"scope": "internal"})
        data = json.loads(b"".join(response.streaming_content))
    assert len(data["articles"]) == 11
    claims = [claim for article in data["articles"] for claim in article["claims"]]
    assert any(claim["citations"] for claim in claims)
    assert any(claim["comments"] for claim in claims)
    assert any(claim["figures"] for claim in claims)
