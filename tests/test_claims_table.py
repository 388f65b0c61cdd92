"""The claims table (/claims/): every claim of every article, filtered, sorted and paged, the
same search as the search page, actions on ticked claims (assign, put in a family) and the
exports of the selection in every format. Invented articles only."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from annotations import claim_selection
from annotations.claim_selection import ordered_plainly, sorted_page
from annotations.exporters import FORMATS
from annotations.models import (
    Claim,
    ClaimFamily,
    FamilyEvent,
    FamilyMembership,
    Role,
    Verdict,
)
from tests.export_helpers import export_menu_fields
from tests.factories import ArticleFactory, CitationFactory, UserFactory

URL = reverse("annotations:claim-list")
ASSIGN = reverse("annotations:claim-bulk-assign")
FAMILY = reverse("annotations:claim-bulk-family")
RESULTS = {"HX-Request": "true", "HX-Target": "claim-results"}

pytestmark = pytest.mark.django_db


def claim_in(text, *, by, statement="", publisher="Riverside Gazette", **fields):
    """A claim on the whole of a new article whose body is ``text``; ``fields`` are set on it
    afterwards as stored values (state, verdict, assignee…)."""
    article = ArticleFactory(body=text, publisher=publisher)
    claim = Claim.objects.create_from_selection(
        article, 0, len(text), text, by=by, statement=statement or f"Checkable: {text}"
    )
    if fields:
        Claim.objects.filter(pk=claim.pk).update(**fields)
        claim.refresh_from_db()
    return claim


def shown(response) -> list[int]:
    """The claim ids of the table's rows, in order."""
    return [int(pk) for pk in re.findall(r'id="claim-row-(\d+)"', response.content.decode())]


def verdict(label: str) -> Verdict:
    return Verdict.objects.get(label=label)


@pytest.fixture
def signed_in(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def desk(reviewer, reviewer2, editor):
    """Claims of several articles: states, verdicts, assignees, figures, a family in conflict."""
    ferry = claim_in(
        "The ferry carried 40,000 passengers to Gull Island in 2023.",
        by=reviewer,
        state=Claim.State.APPROVED,
        verdict=verdict("Accurate"),
        assignee=reviewer,
    )
    library = claim_in(
        "The library opened a reading room for schools.",
        by=reviewer,
        publisher="Hillside Herald",
        category=Claim.Category.QUOTE,
        assignee=reviewer2,
    )
    threat = claim_in("Police say 80,000 people pose a threat online.", by=reviewer)
    threat_again = claim_in(
        "Police say 300,000 people pose a threat online.",
        by=reviewer,
        publisher="Hillside Herald",
        state=Claim.State.NEEDS_REVIEW,
        verdict=verdict("Inaccurate"),
    )
    family = ClaimFamily.confirm(threat, threat_again, by=reviewer, seen=(None,) * 4)
    return {
        "ferry": ferry,
        "library": library,
        "threat": threat,
        "threat_again": threat_again,
        "family": family,
    }


# --- The table ------------------------------------------------------------------------------


def test_table_lists_every_claim_with_article_state_verdict_assignee_figures_and_family(
    signed_in, desk
):
    response = signed_in.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert sorted(shown(response)) == sorted(c.pk for k, c in desk.items() if k != "family")
    assert "Checkable: The ferry carried 40,000 passengers to Gull Island in 2023." in html
    assert "Hillside Herald" in html and "Riverside Gazette" in html
    assert "Needs review" in html and "Accurate" in html and "Inaccurate" in html
    assert "40,000 passenger" in html  # the figure as read
    assert f'href="/families/{desk["family"].pk}/"' in html
    assert '<span class="badge conflict">conflict</span>' in html  # 80,000 against 300,000
    assert "4</strong> claims" in html
    assert f'<a href="/articles/{desk["ferry"].article_id}/#claim-{desk["ferry"].pk}">' in html


def test_a_figure_the_statement_restates_from_the_quote_is_listed_once_in_its_row(
    signed_in, reviewer
):
    """Every claim whose statement restated its quote's figure showed it twice in the Figures
    column ("at least 80,000 offender" above itself); a different figure in the statement keeps
    its own line."""
    restated = claim_in(
        "Police say 80,000 people pose a threat online.",
        by=reviewer,
        statement="80,000 people pose a threat online.",
    )
    revised = claim_in(
        "Police say 80,000 people pose a threat online.",
        by=reviewer,
        statement="300,000 people pose a threat online.",
    )
    assert restated.figures.count() == 2 and revised.figures.count() == 2  # both stored

    html = signed_in.get(URL).content.decode()

    def figures_cell(claim):
        row = html[html.index(f'id="claim-row-{claim.pk}"') :]
        cell = row[row.index('class="col-figures"') :]
        return re.findall(r'<span class="figure">([^<]*)</span>', cell[: cell.index("</td>")])

    assert [text.strip() for text in figures_cell(restated)] == ["80,000 offender"]
    assert [text.strip() for text in figures_cell(revised)] == [
        "80,000 offender",
        "300,000 offender",
    ]


def test_the_header_links_to_the_table(signed_in):
    assert (
        f'<a href="{URL}">Claims</a>'
        in signed_in.get(reverse("annotations:article-list")).content.decode()
    )


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"state": "approved"}, ["ferry"]),
        ({"state": "needs_review"}, ["threat_again"]),
        ({"category": "quote"}, ["library"]),
        ({"publisher": "Hillside Herald"}, ["library", "threat_again"]),
        ({"figure": "yes"}, ["ferry", "threat", "threat_again"]),
        ({"figure": "no"}, ["library"]),
        ({"family": "yes"}, ["threat", "threat_again"]),
        ({"family": "no"}, ["ferry", "library"]),
        ({"conflict": "open"}, ["threat", "threat_again"]),
        ({"conflict": "resolved"}, []),
        ({"verdict": "none"}, ["library", "threat"]),
        ({"assignee": "none"}, ["threat", "threat_again"]),
        ({"assignee": "me"}, ["ferry"]),
        ({"q": "passengers"}, ["ferry"]),
        ({"q": "40000"}, ["ferry"]),  # a number found however it is written
        ({"q": '"pose a threat"', "publisher": "Hillside Herald"}, ["threat_again"]),
    ],
)
def test_filters_select_the_claims(signed_in, desk, params, expected):
    response = signed_in.get(URL, params)

    assert response.status_code == 200
    assert sorted(shown(response)) == sorted(desk[name].pk for name in expected)


def test_filters_by_verdict_assignee_and_article_by_id(signed_in, desk, reviewer2):
    accurate = verdict("Accurate")
    assert shown(signed_in.get(URL, {"verdict": accurate.pk})) == [desk["ferry"].pk]
    assert shown(signed_in.get(URL, {"assignee": reviewer2.pk})) == [desk["library"].pk]
    article = desk["threat"].article
    response = signed_in.get(URL, {"article": article.pk})
    assert shown(response) == [desk["threat"].pk]
    assert article.title in response.content.decode()


def test_a_resolved_conflict_is_told_apart(signed_in, desk, reviewer):
    family = desk["family"]
    family.resolve(
        by=reviewer,
        version=family.version,
        resolution=ClaimFamily.Resolution.DIFFERENT_DEFINITIONS,
        note="One counts offenders, the other images.",
    )
    assert shown(signed_in.get(URL, {"conflict": "open"})) == []
    response = signed_in.get(URL, {"conflict": "resolved"})
    assert sorted(shown(response)) == sorted([desk["threat"].pk, desk["threat_again"].pk])
    assert '<span class="badge">resolved</span>' in response.content.decode()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"verdict": "12345"}, "Verdict: “12345” is not one of the choices"),
        ({"state": "<b>done</b>"}, "State: “&lt;b&gt;done&lt;/b&gt;” is not one of the choices"),
        ({"assignee": "someone"}, "Assigned to: “someone” is not one of the choices"),
        ({"conflict": "maybe"}, "Figures conflict: “maybe” is not one of the choices"),
        ({"article": "x1"}, "Article: “x1” is not an article&#x27;s number"),
        ({"sort": "password"}, "Sort: “password” is not a column"),
    ],
)
def test_unknown_filter_values_are_left_out_with_a_message(signed_in, desk, params, message):
    response = signed_in.get(URL, params)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(shown(response)) == 4  # the filter was left out, nothing else


def test_a_ten_kilobyte_query_of_operators_and_quotes_is_answered(signed_in, desk):
    response = signed_in.get(URL, {"q": ('"NEAR( * AND ' * 800) + "passengers"})

    assert response.status_code == 200
    assert "Only the first 500 characters of the search were used." in response.content.decode()
    assert shown(signed_in.get(URL, {"q": "*:( OR NOT"})) == []


@pytest.mark.parametrize("page", ["0", "-3", "abc", "9" * 30, "99999999999"])
def test_any_page_number_gives_a_page(signed_in, desk, page):
    response = signed_in.get(URL, {"page": page})

    assert response.status_code == 200
    if page in ("0", "-3", "abc"):
        assert len(shown(response)) == 4
    else:
        assert shown(response) == []
        assert "Pages stop at 200" in response.content.decode()


# --- Sorting and paging -----------------------------------------------------------------------


def test_sorting_by_each_column(signed_in, desk, reviewer, reviewer2):
    ferry, library, threat, again = (
        desk[k] for k in ("ferry", "library", "threat", "threat_again")
    )

    def order(sort):
        return shown(signed_in.get(URL, {"sort": sort}))

    # The workflow's order: to do, …, needs review, approved.
    assert order("state") == [library.pk, threat.pk, again.pk, ferry.pk]
    # The vocabulary's order (Accurate before Inaccurate), then no verdict.
    assert order("verdict") == [ferry.pk, again.pk, library.pk, threat.pk]
    assert order("-verdict") == [threat.pk, library.pk, again.pk, ferry.pk]
    # By user name (raj, rita), nobody last.
    assert order("assignee") == [library.pk, ferry.pk, threat.pk, again.pk]
    # Smallest figure first, claims without one last.
    assert order("figure") == [ferry.pk, threat.pk, again.pk, library.pk]
    assert order("-figure") == [again.pk, threat.pk, ferry.pk, library.pk]
    statements = {c.pk: c.statement.lower() for c in (ferry, library, threat, again)}
    assert order("statement") == sorted(statements, key=statements.get)
    assert order("-statement") == sorted(statements, key=statements.get, reverse=True)
    titles = {c.pk: c.article.title for c in (ferry, library, threat, again)}
    assert order("article") == sorted(titles, key=titles.get)
    Claim.objects.filter(pk=library.pk).update(updated_at=library.updated_at.replace(year=2020))
    assert order("updated")[0] == library.pk
    assert order("-updated")[-1] == library.pk


def test_sort_headers_link_to_the_other_direction_and_say_which_is_on(signed_in, desk):
    html = signed_in.get(URL, {"sort": "verdict"}).content.decode()

    assert '<th scope="col" aria-sort="ascending">' in html
    assert "sort=-verdict" in html


def test_paging(signed_in, reviewer, monkeypatch):
    monkeypatch.setattr(claim_selection, "PAGE_SIZE", 3)
    made = [claim_in(f"The harbour wall needs repair number {n}.", by=reviewer) for n in range(7)]
    newest_first = [claim.pk for claim in reversed(made)]

    first = signed_in.get(URL, {"sort": "-updated"})
    third = signed_in.get(URL, {"sort": "-updated", "page": 3})

    assert shown(first) == newest_first[:3]
    assert "Page 1 of 3" in first.content.decode()
    assert shown(third) == newest_first[6:]
    assert 'rel="prev"' in third.content.decode() and 'rel="next"' not in third.content.decode()


def test_above_the_count_cap_the_count_says_so(signed_in, desk, monkeypatch):
    monkeypatch.setattr(claim_selection, "COUNT_CAP", 2)
    monkeypatch.setattr(claim_selection, "PAGE_SIZE", 2)

    html = signed_in.get(URL).content.decode()

    assert "<strong>2+</strong> claims" in html
    assert "Page 1</span>" in html and 'rel="next"' in html  # no "of N": not counted


@pytest.mark.parametrize("sort", [key for key, _ in claim_selection.SORT_CHOICES])
def test_the_fast_sorts_of_many_claims_equal_one_plain_order_by(
    reviewer, reviewer2, sort, monkeypatch
):
    """Above COUNT_CAP the table reads groups, figures or a forced index instead of one ORDER
    BY; every page must be the same as the plain query's."""
    accurate, inaccurate = verdict("Accurate"), verdict("Inaccurate")
    texts = [
        "The ferry carried 40,000 passengers in 2023.",
        "The ferry carried 35,000 passengers in 2022, or 36,000 by another count.",
        "The library opened a reading room.",
        "Police say 80,000 people pose a threat.",
        "Police say 300,000 people pose a threat.",
        "A third of the buses ran late.",
        "The harbour wall needs repair.",
        "Rainfall was 30% above the average in March.",
    ]
    for n, text in enumerate(texts * 2):
        claim_in(
            text,
            by=reviewer,
            state=[Claim.State.TO_DO, Claim.State.APPROVED, Claim.State.NEEDS_REVIEW][n % 3],
            verdict=[accurate, None, inaccurate, None][n % 4],
            assignee=[reviewer, None, reviewer2][n % 3],
        )
    monkeypatch.setattr(claim_selection, "COUNT_CAP", 3)  # every selection is "many"
    for claims in (Claim.objects.all(), Claim.objects.matching(state=Claim.State.TO_DO)):
        expected = list(ordered_plainly(claims, sort).values_list("pk", flat=True))
        pages = [sorted_page(claims, sort, n, per_page=4) for n in range(1, 6)]
        assert [pk for page in pages for pk in page.ids] == expected, sort
        assert [page.has_next for page in pages if page.ids][-1] is False


def test_many_claims_are_read_through_the_index_of_their_order(reviewer, monkeypatch):
    """On SQLite the sorts by a column are read through their index (INDEXED BY) once a
    selection is wide; the plain query is the fallback, and must not be what ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("INDEXED BY is SQLite's")
    for n in range(5):
        claim_in(f"The ferry carried {n + 1},000 passengers on the harbour route.", by=reviewer)
    monkeypatch.setattr(claim_selection, "COUNT_CAP", 2)
    for sort, index in [
        ("-updated", "claim_updated"),
        ("statement", "claim_statement_start"),
        ("article", "article_title"),
        ("figure", "claim_figure_value"),
    ]:
        with CaptureQueriesContext(connection) as ran:
            page = sorted_page(Claim.objects.matching(state="to_do"), sort, 1, per_page=2)
        assert len(page.ids) == 2
        forced = [q["sql"] for q in ran.captured_queries if "INDEXED BY" in q["sql"]]
        assert len(forced) == 1 and f'INDEXED BY "{index}"' in forced[0], sort


def test_on_postgresql_the_newest_changes_are_read_in_order_from_their_index(reviewer):
    """The default sort (last change, newest first, then id) is the index's order read
    backwards: a page of a wide selection reads a page of rows, not the table (70 ms at 50,000
    claims when the index lacked the id)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan (SQLite's indexes end with the rowid)")
    for n in range(5):
        claim_in(f"The ferry carried {n + 1},000 passengers on the harbour route.", by=reviewer)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # five rows: the planner would scan
        with CaptureQueriesContext(connection) as ran:
            page = sorted_page(Claim.objects.all(), "-updated", 1, per_page=2)
        assert len(page.ids) == 2
        [ids_query] = [q["sql"] for q in ran.captured_queries if "ORDER BY" in q["sql"]]
        cursor.execute("EXPLAIN " + ids_query)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert (
        "Index Scan Backward using claim_updated" in plan
        or "Index Only Scan Backward using claim_updated" in plan
    ), plan
    assert "Sort" not in plan, plan


# --- The page's queries -------------------------------------------------------------------------


def test_query_count_is_the_same_for_a_few_claims_and_a_full_page(
    signed_in, reviewer, reviewer2, django_assert_num_queries
):
    def add(n):
        for k in range(n):
            claim = claim_in(
                f"Police say {k + 1},000 people pose a threat, report {n}-{k}.",
                by=reviewer,
                verdict=verdict("Accurate"),
                assignee=reviewer2,
            )
            if k % 2:
                other = claim_in(f"Police put the threat at {k}00 people ({n}).", by=reviewer)
                ClaimFamily.confirm(claim, other, by=reviewer, seen=(None,) * 4)

    signed_in.get(URL)  # the session
    add(2)
    # session, user with their role groups (one query); the filters' verdicts, people and
    # publishers; the count; the page's ids; its rows (article, publisher, verdict, assignee,
    # family); their figures
    with django_assert_num_queries(9):
        few = signed_in.get(URL)
    add(40)
    with django_assert_num_queries(9):
        full = signed_in.get(URL)
    assert len(shown(few)) == 3 and len(shown(full)) == claim_selection.PAGE_SIZE


def test_htmx_swaps_the_results_only_and_the_answer_varies_on_it(signed_in, desk):
    response = signed_in.get(URL, {"state": "approved"}, headers=RESULTS)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="claim-results">')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
    # A history restore sends HX-Request without the target: the whole page.
    whole = signed_in.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert "<html" in whole


# --- Assigning ----------------------------------------------------------------------------------


def ticked(*claims, versions=True, **fields):
    data = {"claim": [claim.pk for claim in claims], **fields}
    if versions:
        data.update({f"version-{claim.pk}": claim.version for claim in claims})
    return data


def test_assigning_ticked_claims_keeps_their_state_and_records_who(
    signed_in, desk, reviewer, reviewer2
):
    threat, again = desk["threat"], desk["threat_again"]

    response = signed_in.post(ASSIGN, ticked(threat, again, to=reviewer2.pk), headers=RESULTS)

    assert response.status_code == 200
    threat.refresh_from_db()
    again.refresh_from_db()
    assert threat.assignee == again.assignee == reviewer2
    # Assigning is not starting work, nor sending a proposal back to work.
    assert threat.state == Claim.State.TO_DO and again.state == Claim.State.NEEDS_REVIEW
    assert threat.history.first().history_user == reviewer
    assert "2 assigned to raj." in response.content.decode()


def test_assigning_refuses_a_claim_changed_meanwhile_and_shows_its_newer_state(
    signed_in, desk, reviewer, reviewer2, editor
):
    threat, library = desk["threat"], desk["library"]
    seen = ticked(threat, library, to=reviewer.pk)
    threat.edit(by=editor, version=threat.version, assignee=editor)  # someone else meanwhile

    response = signed_in.post(ASSIGN, seen, headers=RESULTS)

    html = response.content.decode()
    threat.refresh_from_db()
    library.refresh_from_db()
    assert threat.assignee == editor  # not overwritten
    assert library.assignee == reviewer
    assert "Changed since your page was loaded, nothing was done" in html
    assert f"assigned to edith (version {threat.version})" in html
    assert "1 assigned to rita; 1 refused" in html


def test_assigning_never_reaches_claims_outside_the_filters(signed_in, desk, reviewer2, editor):
    ferry, library = desk["ferry"], desk["library"]
    query = "?state=approved"

    response = signed_in.post(ASSIGN + query, ticked(ferry, library, to=editor.pk), headers=RESULTS)

    library.refresh_from_db()
    ferry.refresh_from_db()
    assert library.assignee == reviewer2  # as it was
    assert ferry.assignee == editor
    assert "Not among the claims these filters select now" in response.content.decode()


def test_an_export_refused_after_an_action_on_the_table_goes_back_to_the_table(
    signed_in, desk, reviewer2, editor
):
    """The table an action draws again comes from the action's address (a POST only): its
    Export menu named that address as the page to go back to, so an export refused then
    (here: the claims just assigned away, the filters match none) ended on "405 Method Not
    Allowed" instead of the table, its filters and the reason."""
    library = desk["library"]
    query = f"?assignee={reviewer2.pk}&sort=verdict"
    response = signed_in.post(ASSIGN + query, ticked(library, to=editor.pk), headers=RESULTS)
    assert shown(response) == []
    fields = export_menu_fields(response.content.decode())

    refused = signed_in.post(reverse("annotations:export-start", args=["csv"]), fields)

    assert refused.status_code == 302
    assert refused["Location"] == URL + query
    page = signed_in.get(refused["Location"])
    assert page.status_code == 200
    assert "Nothing matches this selection, so nothing was exported" in page.content.decode()


def test_assigning_without_htmx_redirects_to_the_table_with_its_filters_and_messages(
    signed_in, desk, reviewer2
):
    ferry, library = desk["ferry"], desk["library"]
    response = signed_in.post(
        ASSIGN + "?state=approved&sort=verdict", ticked(ferry, library, to="none")
    )

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?state=approved&sort=verdict"
    ferry.refresh_from_db()
    assert ferry.assignee is None
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1 assigned to nobody; 1 refused (see below)." in notes
    assert any(f"Claim #{library.pk}" in note for note in notes)


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Tick at least one claim first."),
        ({"claim": ["1; DROP TABLE"], "to": "none"}, "something else was sent"),
        ({"claim": [str(n) for n in range(1, 300)], "to": "none"}, "At most 200 claims at a time."),
        ({"claim": ["1"], "to": "99999"}, "choose a reviewer from the list"),
    ],
)
def test_a_bad_action_changes_nothing_and_says_why(signed_in, desk, data, message):
    before = list(Claim.objects.values_list("pk", "assignee_id", "version"))

    response = signed_in.post(ASSIGN, data, headers=RESULTS)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(Claim.objects.values_list("pk", "assignee_id", "version")) == before


def test_a_missing_version_refuses_the_claim(signed_in, desk, reviewer2):
    response = signed_in.post(
        ASSIGN, ticked(desk["ferry"], versions=False, to=reviewer2.pk), headers=RESULTS
    )
    desk["ferry"].refresh_from_db()
    assert desk["ferry"].assignee != reviewer2
    assert "did not say which version you saw" in response.content.decode()


# --- Families -------------------------------------------------------------------------------


def test_ticked_claims_make_a_new_family_with_its_statement_and_history(signed_in, desk, reviewer):
    ferry, library = desk["ferry"], desk["library"]

    response = signed_in.post(
        FAMILY,
        ticked(ferry, library, family="new", statement="The ferry and the library claim"),
        headers=RESULTS,
    )

    family = FamilyMembership.objects.get(claim=ferry).family
    assert set(family.memberships.values_list("claim_id", flat=True)) == {ferry.pk, library.pk}
    assert family.statement == "The ferry and the library claim"
    kinds = set(family.events.values_list("kind", flat=True))
    assert {FamilyEvent.Kind.CREATED, FamilyEvent.Kind.JOINED, FamilyEvent.Kind.EDITED} <= kinds
    assert f"2 put in family #{family.pk}." in response.content.decode()


def test_ticked_claims_join_a_family_on_the_page_at_the_version_it_showed(
    signed_in, desk, reviewer
):
    family, ferry = desk["family"], desk["ferry"]
    html = signed_in.get(URL).content.decode()
    assert f'name="family-version-{family.pk}" value="{family.version}"' in html

    response = signed_in.post(
        FAMILY,
        ticked(
            ferry,
            desk["threat"],
            family=family.pk,
            **{f"family-version-{family.pk}": family.version},
        ),
        headers=RESULTS,
    )

    assert FamilyMembership.objects.get(claim=ferry).family_id == family.pk
    assert family.events.filter(kind=FamilyEvent.Kind.JOINED, claim=ferry).exists()
    assert "Already in it." in response.content.decode()


def test_a_family_changed_meanwhile_refuses_every_claim_and_shows_it_as_it_is(
    signed_in, desk, reviewer2
):
    family, ferry, library = desk["family"], desk["ferry"], desk["library"]
    seen = {f"family-version-{family.pk}": family.version}
    family.edit(by=reviewer2, version=family.version, statement="Reworded by someone else")

    response = signed_in.post(
        FAMILY, ticked(ferry, library, family=family.pk, **seen), headers=RESULTS
    )

    html = response.content.decode()
    assert not FamilyMembership.objects.filter(claim__in=[ferry, library]).exists()
    assert "Nothing was added" in html
    assert f"now at version {family.version}" in html  # raised by the edit
    assert "Reworded by someone else" in html


def test_a_claim_in_another_family_is_refused_on_its_own(signed_in, desk, reviewer):
    ferry, library, threat = desk["ferry"], desk["library"], desk["threat"]

    response = signed_in.post(FAMILY, ticked(ferry, library, threat, family="new"), headers=RESULTS)

    family = FamilyMembership.objects.get(claim=ferry).family
    assert FamilyMembership.objects.get(claim=library).family == family
    assert FamilyMembership.objects.get(claim=threat).family == desk["family"]
    assert f"In family #{desk['family'].pk} already" in response.content.decode()


def test_a_new_family_needs_two_free_claims(signed_in, desk):
    response = signed_in.post(FAMILY, ticked(desk["ferry"], family="new"), headers=RESULTS)

    assert not FamilyMembership.objects.filter(claim=desk["ferry"]).exists()
    assert "A new family needs two claims" in response.content.decode()


# --- Exports of the selection ---------------------------------------------------------------


@pytest.fixture
def exported(reviewer, editor):
    """Approved claims with a citation each (so every format, ClaimReview and the citations
    CSV included, has something of each), two of them in the selection."""
    accurate = verdict("Accurate")
    made = {}
    for word in ("Albatross", "Bittern", "Cormorant", "Dunlin"):
        claim = claim_in(
            f"The {word} count at the estuary rose this winter.",
            by=reviewer,
            statement=f"{word} numbers rose this winter",
            state=Claim.State.APPROVED,
            verdict=accurate,
            verdict_proposed_by=reviewer,
            approved_by=editor,
            assignee=reviewer if word in ("Albatross", "Bittern") else None,
        )
        CitationFactory(claim=claim, note=f"{word} survey table")
        made[word] = claim
    # Another claim in a selected claim's article that the filters leave out.
    article = made["Albatross"].article
    extra = Claim.objects.create_from_selection(
        article, 4, 13, article.body[4:13], by=reviewer, statement="Egret numbers fell"
    )
    Claim.objects.filter(pk=extra.pk).update(
        state=Claim.State.APPROVED, verdict=accurate, approved_by=editor
    )
    CitationFactory(claim=extra, note="Egret survey table")
    return made


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_an_export_of_the_selection_holds_exactly_its_claims(
    signed_in, exported, reviewer, name, monkeypatch
):
    from annotations.exporters import pdf

    # The PDF's text is compressed: its HTML source is checked (rendering is tested apart).
    monkeypatch.setattr(pdf, "render_pdf", lambda document, fetcher=None: document.encode())
    url = reverse("annotations:export", args=[name])

    response = signed_in.get(url, {"of": "claims", "assignee": "me", "scope": "internal"})

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "Albatross" in body and "Bittern" in body
    for left_out in ("Cormorant", "Dunlin", "Egret"):
        assert left_out not in body, f"{name} holds {left_out}"
    assert "selected-claims" in response["Content-Disposition"]


def test_the_json_export_of_a_selection_lists_only_its_claims(signed_in, exported):
    url = reverse("annotations:export", args=["json"])

    response = signed_in.get(url, {"of": "claims", "q": "Bittern", "scope": "internal"})

    data = json.loads(b"".join(response.streaming_content))
    statements = [c["statement"] for a in data["articles"] for c in a["claims"]]
    assert statements == ["Bittern numbers rose this winter"]


def test_an_export_of_a_selection_takes_as_many_queries_for_many_articles_as_for_few(
    signed_in, reviewer
):
    """A selection is often a claim or two of each of many articles: it is read once, and
    its articles in chunks of as many claims as whole articles give, not ten at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("annotations:export", args=["csv"])
    params = {"of": "claims", "q": "kestrel", "scope": "internal"}

    def export_queries():
        with CaptureQueriesContext(connection) as ran:
            response = signed_in.get(url, params)
            rows = b"".join(response.streaming_content).decode().count("kestrel")
        return len(ran.captured_queries), rows

    def add(n):
        for k in range(n):
            claim_in(f"A kestrel nested on tower {k} of the old mill.", by=reviewer)
            claim_in(f"The mill's tower {k} was repaired in spring.", by=reviewer)

    add(3)
    few = export_queries()
    add(30)
    many = export_queries()
    assert few[1] == 3 * 2 and many[1] == 33 * 2  # statement and quote of each selected claim
    assert few[0] == many[0]


def test_an_export_of_a_selection_with_a_bad_filter_is_refused_with_the_reason(signed_in, exported):
    url = reverse("annotations:export", args=["csv"])

    response = signed_in.get(url, {"of": "claims", "verdict": "abc"})

    assert response.status_code == 400
    assert "Verdict: “abc” is not one of the choices." in response.content.decode()


def test_the_table_offers_the_export_of_its_selection(signed_in, exported):
    html = signed_in.get(URL, {"assignee": "me", "page": 2}).content.decode()

    form = html.split('class="export-form"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="of" value="claims">' in form
    assert '<input type="hidden" name="assignee" value="me">' in form
    assert 'name="page"' not in form


# --- Who may, and escaping ---------------------------------------------------------------------


def test_people_without_a_role_may_neither_read_nor_act(client, desk):
    client.force_login(UserFactory(username="norole"))
    assert client.get(URL).status_code == 403
    for url in (ASSIGN, FAMILY):
        response = client.post(url, ticked(desk["ferry"], to="none", family="new"))
        assert response.status_code == 403
    desk["ferry"].refresh_from_db()
    assert desk["ferry"].assignee is not None


def test_actions_need_the_csrf_token(desk, reviewer2):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="checker", role=Role.REVIEWER))
    response = client.post(ASSIGN, ticked(desk["ferry"], to=reviewer2.pk))
    assert response.status_code == 403
    desk["ferry"].refresh_from_db()
    assert desk["ferry"].assignee != reviewer2
    assert client.get(URL).status_code == 200
    assert client.get(ASSIGN).status_code == 405


def test_text_in_the_table_is_escaped(signed_in, reviewer):
    hostile = '<script>alert("claim")</script>'
    claim = claim_in("The ferry leaves at nine.", by=reviewer, statement=hostile, claimant=hostile)
    other = claim_in("The bus leaves at ten.", by=reviewer)
    family = ClaimFamily.confirm(claim, other, by=reviewer, seen=(None,) * 4)
    family.edit(by=reviewer, version=family.version, statement=hostile)

    html = signed_in.get(URL, {"q": hostile}).content.decode() + signed_in.get(URL).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;claim&quot;)&lt;/script&gt;" in html


# --- The bench's requests -----------------------------------------------------------------------


def test_every_request_the_bench_times_is_answered(client):
    """``make bench`` times a mix of table requests on its furnished corpus: each must be a
    page of claims, not an error (a small corpus here; the bench's is 200,000 claims)."""
    import random

    from bench import claim_table, search

    search.build(random.Random(1), articles=12, claims=120, log=lambda *_: None)
    found = claim_table.furnish(random.Random(2), families=10)
    assert Claim.objects.exclude(assignee=None).exists()
    assert ClaimFamily.objects.filter(conflict=True).exists()
    client.force_login(found["reviewer"])
    for name, params in claim_table.mix(found):
        response = client.get(URL, params)
        assert response.status_code == 200, name
        if name in ("first page", "in a family", "sorted by figure value", "sorted by verdict"):
            assert shown(response), name
