"""Claims across articles in the exports (issue 13, part 6): families, conflicts and figures in
the JSON file and back through ``import_report``; every member article as an appearance in
ClaimReview; where else a claim appeared, and how the figures compare, in the report."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.exporters import FORMATS
from annotations.exporters.scope import Scope
from annotations.importers.report import ReportImportError, import_report
from annotations.models import (
    Article,
    Claim,
    ClaimFamily,
    ClaimFigure,
    ClaimKey,
    FamilyEvent,
    ProposalRejection,
)
from tests.export_helpers import approve, claim_on, with_families, worked_example_by_the_rules
from tests.factories import ArticleFactory, CitationFactory
from tests.test_export_json import export_json, wipe_database

pytestmark = pytest.mark.django_db


@pytest.fixture
def example():
    return with_families(worked_example_by_the_rules())


def claims_of(data: dict) -> list[dict]:
    return [claim for article in data["articles"] for claim in article["claims"]]


def test_json_names_members_by_article_and_words_with_conflict_resolution_and_history(example):
    data = json.loads(export_json())
    passengers, fares, split = data["families"]
    first, second = example["articles"]
    assert [m["article"] for m in passengers["members"]] == [
        first.content_hash,
        second.content_hash,
    ]
    assert {m["quote"] for m in passengers["members"]} == {"12.4 million passengers"}
    assert passengers["conflict"] is True
    assert passengers["resolution"] == "revised_estimate"
    assert passengers["resolution_note"] == "The authority revised its count in March."
    assert passengers["resolved_by"] == "ellis"
    assert [event["kind"] for event in passengers["history"]] == [
        "created",
        "joined",
        "joined",
        "resolved",
    ]
    # The split is recorded on both sides, each naming the other family by its place.
    assert fares["history"][-1]["kind"] == split["history"][-1]["kind"] == "split"
    assert fares["history"][-1]["other_family"] == 2
    assert split["history"][-1]["other_family"] == 1
    assert [pair["claims"][0]["quote"] for pair in data["rejected_pairs"]] == [
        "94% of buses ran on time"
    ]


def test_json_carries_a_reviewers_correction_with_what_was_first_read(example):
    data = json.loads(export_json())
    figures = {
        (claim["quote"], figure["text"]): figure
        for claim in claims_of(data)
        for figure in claim["figures"]
        if figure["status"] != "extracted"
    }
    corrected = figures[("12.4 million passengers", "12.4 million")]
    assert corrected["status"] == "corrected"
    assert corrected["value"] == 9_100_000
    assert corrected["extracted"]["value"] == 12_400_000
    assert corrected["corrected_by"] == "rowan"
    assert corrected["note"].startswith("The bulletin's own table says 9.1 million")
    removed = figures[("3,000 people a day", "3,000")]
    assert removed["status"] == "removed"
    assert removed["note"] == "A rate per day, not a count."


def test_published_json_has_the_families_of_approved_claims_without_working_notes(example):
    data = json.loads(export_json(Scope.PUBLISHED))
    assert [family["statement"] for family in data["families"]] == [
        "Checkable: 12.4 million passengers"
    ]
    assert data["families"][0]["history"] == []
    assert data["rejected_pairs"] == []
    # Only approved claims' figures; the drafts are not in the file.
    assert "fares to rise by 2.5%" not in {claim["quote"] for claim in claims_of(data)}


def test_a_selection_lists_only_the_members_it_holds(example):
    first = example["articles"][0]
    data = json.loads(export_json(articles=Article.objects.filter(pk=first.pk)))
    assert [len(family["members"]) for family in data["families"]] == [1, 1]
    assert {m["article"] for f in data["families"] for m in f["members"]} == {first.content_hash}
    assert data["families"][0]["conflict"] is True  # the family's, where it was exported
    # Restored, the family holds the member the file has; its conflict is worked out from
    # the figures here (one member disagrees with nobody), its resolution kept.
    wipe_database()
    import_report(data)
    passengers = ClaimFamily.objects.get(statement="Checkable: 12.4 million passengers")
    assert passengers.member_count == 1
    assert not passengers.conflict
    assert passengers.resolution == ClaimFamily.Resolution.REVISED_ESTIMATE


def test_a_selection_of_claims_lists_only_those_claims_as_members(example):
    # The claims table exports the ticked claims: the fare drafts' family holds one of them.
    drafts = example["drafts"]
    fares, split = example["families"][1:]
    fares.refresh_from_db()
    split.refresh_from_db()
    fares.merge(split, by=example["editor"], version=fares.version, other_version=split.version)
    # Only the first article's fare claim is ticked: its passenger claim, a member of
    # another family, is in the article but not in the file.
    chosen = Claim.objects.filter(pk=drafts[0].pk)
    data = json.loads(export_json(articles=Article.objects.of_claims(chosen)))
    assert [[m["quote"] for m in family["members"]] for family in data["families"]] == [
        ["fares to rise by 2.5%"]
    ]
    assert data["families"][0]["members"][0]["article"] == example["articles"][0].content_hash


def test_import_restores_the_conflict_its_resolution_and_the_corrected_figure(example):
    text = export_json()
    wipe_database()
    import_report(text)
    family = ClaimFamily.objects.get(statement="Checkable: 12.4 million passengers")
    assert family.conflict and not family.open_conflict
    assert family.get_resolution_display() == "A revised estimate"
    assert family.member_count == 2
    # The corrected figure disagrees with both of the other claim's (quote and statement).
    assert len(family.conflict_figures) == 3
    corrected = ClaimFigure.objects.get(status=ClaimFigure.Status.CORRECTED)
    assert corrected.value == 9_100_000 and corrected.extracted["value"] == 12_400_000
    assert corrected.corrected_by.username == "rowan"
    assert FamilyEvent.objects.filter(kind=FamilyEvent.Kind.SPLIT, other_family__isnull=False)
    # The turned-down pair is never proposed again; the other claims are proposed.
    rejected = ProposalRejection.objects.get()
    assert rejected.other_id not in {p.claim.pk for p in rejected.claim.proposals()}


def test_a_version_1_file_still_imports_and_its_claims_are_read_for_figures_and_proposals(
    example,
):
    data = json.loads(export_json())
    data["schema_version"] = 1
    del data["families"], data["rejected_pairs"]
    for claim in claims_of(data):
        del claim["figures"]
    wipe_database()
    import_report(data)
    claim = Claim.objects.filter(quote="94% of buses ran on time").order_by("pk").first()
    assert [f.text for f in claim.figures.all()] == ["94%", "94%"]  # quote and statement
    assert ClaimKey.objects.filter(claim=claim).exists()
    other = Claim.objects.filter(quote=claim.quote).exclude(pk=claim.pk).get()
    assert other.pk in {proposal.claim.pk for proposal in claim.proposals()}
    assert not ClaimFamily.objects.exists()


def test_a_family_member_the_file_does_not_hold_refuses_the_file_and_writes_nothing(example):
    data = json.loads(export_json())
    data["families"][0]["members"][1]["start"] += 1
    wipe_database()
    with pytest.raises(ReportImportError, match=r"families\[0\]\.members\[1\]: no claim"):
        import_report(data)
    assert not Article.objects.exists() and not ClaimFamily.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "furlongs"}, r"figures\[0\]: 'unit' is 'furlongs'"),
        ({"value": "lots"}, r"figures\[0\]: 'value' has the wrong type"),
        ({"value": True}, r"figures\[0\]: 'value' has the wrong type"),
        ({"low": 5.0, "high": 1.0}, r"figures\[0\]: the range's low end is above"),
        ({"start": 9, "end": 3}, r"figures\[0\]: the figure's offsets are not in order"),
        ({"text": "x" * 301}, r"figures\[0\]: 'text' is longer than 300"),
    ],
)
def test_a_bad_figure_refuses_the_file_and_says_where(example, change, message):
    data = json.loads(export_json())
    data["articles"][0]["claims"][0]["figures"][0].update(change)
    wipe_database()
    with pytest.raises(ReportImportError, match=r"articles\[0\]\.claims\[0\]\." + message):
        import_report(data)
    assert not Article.objects.exists()


def test_a_history_entry_naming_no_family_of_the_file_is_refused(example):
    data = json.loads(export_json())
    data["families"][1]["history"][-1]["other_family"] = 7
    with pytest.raises(ReportImportError, match=r"families\[1\]\.history\[3\]: 'other_family'"):
        import_report(data)


def test_merging_leaves_a_family_already_here_as_it_is(example):
    text = export_json()
    passengers = example["families"][0]
    passengers.refresh_from_db()
    passengers.edit(by=example["editor"], version=passengers.version, statement="Ours, edited.")
    summary = import_report(text)
    assert summary.existing["families"] == 3 and not summary.created["families"]
    assert ClaimFamily.objects.current().count() == 3
    passengers.refresh_from_db()
    assert passengers.statement == "Ours, edited."


# --- ClaimReview ---------------------------------------------------------------------------------


def claimreviews() -> list[dict]:
    out = io.StringIO()
    FORMATS["claimreview"].write(Article.objects.all(), Scope.PUBLISHED, out)
    return json.loads(out.getvalue())


def test_claimreview_lists_every_member_article_as_an_appearance_of_the_claim(example):
    third = ArticleFactory(url="", title="A bulletin without an address")
    member = claim_on(third, "12.4 million passengers", created_by=example["reviewer"])
    passengers = example["families"][0]
    passengers.refresh_from_db()
    ClaimFamily.confirm(
        example["approved"][0],
        member,
        by=example["reviewer"],
        seen=(passengers.pk, passengers.version, None, None),
    )
    first, second = example["articles"]
    reviews = {review["url"]: review for review in claimreviews()}
    review = next(
        r for url, r in reviews.items() if url.endswith(f"#claim-{example['approved'][0].pk}")
    )
    appearances = review["itemReviewed"]["appearance"]
    # Its own article first; every other member's article with an address (the third has none).
    assert [work["url"] for work in appearances] == [first.url, second.url]
    assert all(work["@type"] == "CreativeWork" for work in appearances)
    assert appearances[1]["headline"] == second.title
    # A claim in no family keeps its one appearance.
    lone = next(
        r for url, r in reviews.items() if url.endswith(f"#claim-{example['approved'][2].pk}")
    )
    assert lone["itemReviewed"]["appearance"]["url"] == first.url


# --- The report ----------------------------------------------------------------------------------


def test_report_shows_where_else_a_claim_appeared_and_how_the_figures_compare(
    client, example, settings
):
    settings.FACTCHECK_PUBLIC_BASE_URL = "https://checks.example/"
    first, second = example["articles"]
    other = Claim.objects.get(article=second, quote="12.4 million passengers")
    client.force_login(example["reviewer"])
    page = client.get(reverse("annotations:article-report", args=[first.pk])).content.decode()
    assert "Also said elsewhere" in page
    assert f'href="https://checks.example/articles/{second.pk}/report/#claim-{other.pk}"' in page
    assert f'href="{second.url}"' in page
    table = page[page.index('class="report-summary figure-comparison"') :]
    table = table[: table.index("</table>")]
    assert "they disagree: a revised estimate" in table
    assert "12,400,000" in table and "9,100,000" in table
    assert table.count("(disagrees)") == 3  # 9.1 million against each 12.4 million
    assert "this article" in table
    # The resolution's note is the desk's working note: internal reports only.
    assert "revised its count in March" not in page
    internal = client.get(
        reverse("annotations:article-report", args=[first.pk]), {"scope": "internal"}
    ).content.decode()
    assert "revised its count in March" in internal


def test_a_published_report_hides_other_members_unapproved_verdicts(client, example):
    first, second = example["articles"]
    # The fare drafts are one family again: the second's draft verdict is not published.
    drafts = example["drafts"]
    CitationFactory(claim=drafts[0], source=example["sources"][0])
    approve(
        drafts[0], verdict=drafts[0].verdict, by=example["editor"], proposed_by=example["reviewer"]
    )
    fares, split = example["families"][1:]
    fares.refresh_from_db()
    split.refresh_from_db()
    fares.merge(split, by=example["editor"], version=fares.version, other_version=split.version)
    client.force_login(example["reviewer"])
    page = client.get(reverse("annotations:article-report", args=[first.pk])).content.decode()
    section = page[page.index(f'id="claim-{drafts[0].pk}"') :]
    section = section[: section.index("</section>")]
    assert second.title in section
    assert f"#claim-{drafts[1].pk}" not in section  # no place in a published report
    assert "not checked yet" in section


def test_report_escapes_what_other_articles_say(client, example):
    second = example["articles"][1]
    Article.objects.filter(pk=second.pk).update(
        title='<script>alert("t")</script>', url="javascript:alert(1)"
    )
    client.force_login(example["reviewer"])
    page = client.get(
        reverse("annotations:article-report", args=[example["articles"][0].pk])
    ).content.decode()
    assert '<script>alert("t")</script>' not in page
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


# --- A fixed number of queries, however many families ------------------------------------------


def _queries(name: str, scope: Scope) -> int:
    with CaptureQueriesContext(connection) as context:
        out = io.BytesIO() if FORMATS[name].binary else io.StringIO()
        FORMATS[name].write(Article.objects.all(), scope, out)
    return len(context.captured_queries)


def _families(n: int, by) -> None:
    """``n`` more families of two approved claims each, in two new articles."""
    left, right = ArticleFactory(), ArticleFactory()
    phrases = ["12.4 million passengers", "94% of buses ran on time", "3,000 people a day"]
    for phrase in phrases[:n]:
        pair = [claim_on(article, phrase, created_by=by) for article in (left, right)]
        ClaimFamily.confirm(*pair, by=by, seen=(None,) * 4)


@pytest.mark.parametrize(
    ("name", "scope"),
    [("json", Scope.INTERNAL), ("json", Scope.PUBLISHED), ("html", Scope.INTERNAL)]
    + [("claimreview", Scope.PUBLISHED)],
)
def test_exports_read_families_in_a_fixed_number_of_queries(example, name, scope):
    before = _queries(name, scope)
    _families(3, example["reviewer"])
    for claim in Claim.objects.exclude(state=Claim.State.APPROVED).filter(
        family_link__isnull=False
    ):
        if claim.article_id not in {a.pk for a in example["articles"]}:
            CitationFactory(claim=claim, source=example["sources"][0])
            approve(
                claim,
                verdict=example["approved"][0].verdict,
                by=example["editor"],
                proposed_by=example["reviewer"],
            )
    # Two more articles with three families more: the same chunk, the same queries.
    assert _queries(name, scope) == before


def test_json_export_query_count_is_pinned(example, django_assert_num_queries):
    # users, verdicts, article ids; one chunk: articles, claims, citations, their sources,
    # comments, figures; the library's source ids (everything is exported); memberships,
    # families, family history, rejected pairs; the users named.
    with django_assert_num_queries(15):
        export_json()
