"""Claim families: the keys claims are filed under, proposals of the same claim in other
articles, confirming and rejecting them, the family page (members, history, split, merge,
shared evidence) and verdicts shared with the other members. Invented articles only."""

import pytest
from django.db import connection
from django.urls import reverse

from annotations import families
from annotations.families import entities, features, score, stem, terms
from annotations.figures import extract_figures
from annotations.models import (
    Citation,
    Claim,
    ClaimFamily,
    ClaimKey,
    ClaimRevision,
    FamilyMembership,
    ProposalRejection,
    ProposedCitation,
    Role,
    Verdict,
)
from tests.factories import ArticleFactory, CitationFactory, SourceFactory, UserFactory

RELATED = {"HX-Request": "true", "HX-Target": "claim-related"}

HARBOUR = (
    "The Harbour Trust says 40,000 passengers took the Gull Island ferry in 2023.",
    "The Harbour Trust counted 40,000 ferry passengers to Gull Island in 2023, a record.",
    "Gull Island had about 55,000 ferry passengers in 2023, the county council estimates.",
)
UNRELATED = (
    "The Riverside library lent 12,000 books to schools last spring.",
    "Rainfall in the valley was 30% above the long-term average in March.",
    "The Harbour Trust repainted its office in 2023.",
)


def feats(text, claimant=""):
    return features(text, "", claimant, extract_figures(text))


def article_with(text, **fields):
    return ArticleFactory(body=text, raw_text=text, **fields)


def claim_in(text, by, *, statement="", claimant="", **article_fields):
    """A claim on the whole of a new article whose body is ``text``."""
    article = article_with(text, **article_fields)
    claim = Claim.objects.create_from_selection(
        article, 0, len(text), text, by=by, statement=statement
    )
    if claimant:
        claim.edit(by=by, version=claim.version, claimant=claimant)
        claim.refresh_from_db()
    return claim


# --- Reading a claim ------------------------------------------------------------------------


def test_names_are_capitalised_runs_and_acronyms_also_known_by_initials():
    found = entities("On Friday the Gull Island Harbour Trust (GIHT) told the BBC in Britain.")
    assert {"gull island harbour trust", "giht", "bbc", "united kingdom"} <= found
    assert "friday" not in found and "on" not in found


def test_a_capitalised_word_opening_a_sentence_is_not_a_name():
    assert entities("Officers said the ferry was late. Visitors waited.") == set()
    assert entities("Wardens of the Coastal Path Trust’s Board met.") >= {
        "coastal path trust board"
    }


def test_words_are_stemmed_and_counted_things_share_their_synonyms():
    assert terms("Travellers and riders increased") == ["passenger", "passenger", "increas"]
    assert stem("predators") == stem("paedophiles") == "offender"
    assert stem("photos") == "image"


def test_the_same_claim_worded_differently_scores_above_the_threshold():
    a, b = feats(HARBOUR[0]), feats(HARBOUR[1])
    match = score(a, b)
    assert match.score >= families.THRESHOLD
    assert "figures of the same thing: passenger" in match.reasons[1]
    for other in UNRELATED:
        assert score(a, feats(other)).score < families.THRESHOLD, other


def test_index_keys_are_few_and_name_the_figure_the_names_and_rare_words():
    keys = families.index_keys(feats(HARBOUR[0], "Harbour Trust"))
    assert len(keys) <= families.MAX_KEYS
    assert "f:passenger|level-count" in keys
    assert "c:harbour trust" in keys and "e:gull island" in keys


# --- The index --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_is_filed_under_its_keys_and_refiled_when_its_words_change(reviewer):
    claim = claim_in(HARBOUR[0], reviewer)
    keys = set(ClaimKey.objects.filter(claim=claim).values_list("key", flat=True))
    assert "f:passenger|level-count" in keys
    claim.edit(by=reviewer, version=claim.version, statement="Gull Island rainfall 30% up.")
    keys = set(ClaimKey.objects.filter(claim=claim).values_list("key", flat=True))
    assert "f:rainfall|change" in keys or "w:rainfall" in keys
    assert all(k.article_id == claim.article_id for k in ClaimKey.objects.filter(claim=claim))


@pytest.mark.django_db
def test_keys_filed_in_one_statement_are_the_rows_the_orm_would_write(reviewer):
    """A claim's keys are written in one statement on PostgreSQL (``ClaimKeyManager._insert``):
    the same rows as ``bulk_create`` writes, whatever the keys hold."""
    fast, plain = claim_in(HARBOUR[0], reviewer), claim_in(HARBOUR[1], reviewer)
    keys = ["w:ferry", 'p:"quoted", {braced}', "e:zürich", "w:back\\slash", "NULL", "p:a b"]
    ClaimKey.objects.filter(claim__in=[fast, plain]).delete()

    ClaimKey.objects._insert([(fast.pk, fast.article_id, key) for key in keys])
    ClaimKey.objects.bulk_create(
        ClaimKey(claim=plain, article_id=plain.article_id, key=key) for key in keys
    )

    def stored(claim):
        return sorted(ClaimKey.objects.filter(claim=claim).values_list("article_id", "key"))

    assert stored(fast) == [(fast.article_id, key) for key in sorted(keys)]
    assert [key for _, key in stored(fast)] == [key for _, key in stored(plain)]


@pytest.mark.django_db
def test_finding_candidates_reads_the_index_not_the_table():
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    table = ClaimKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN QUERY PLAN SELECT key, claim_id FROM {table} WHERE key = %s "  # noqa: S608
            "AND article_id <> %s ORDER BY claim_id DESC LIMIT 101",
            ["w:ferry", 1],
        )
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    # A range read of the covering index (key, claim, article), newest claims first:
    # no scan of the table and no sort, whatever the number of claims.
    assert "USING COVERING INDEX claim_key_lookup (key=?)" in plan, plan
    assert "SCAN" not in plan.replace("SCAN claim_key_lookup", "") and "TEMP B-TREE" not in plan


@pytest.mark.django_db
@pytest.mark.parametrize("others", [5, 300])
def test_proposals_take_the_same_queries_and_bounded_work_however_many_claims_share_keys(
    reviewer, django_assert_num_queries, others
):
    claim = claim_in(HARBOUR[0], reviewer)
    for n in range(others):
        claim_in(
            f"The Harbour Trust says {n + 1000} passengers took the Gull Island ferry.", reviewer
        )
    # own figures, the claims sharing each key (capped per key), rejections, families of the
    # candidates, their figures, the candidates with their articles and verdicts
    with django_assert_num_queries(6):
        found = claim.proposals(limit=None)
    assert len(found) <= Claim.CANDIDATES
    assert found and all(p.claim.article_id != claim.article_id for p in found)


# --- Proposals in the panel -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_panel_proposes_the_same_claim_in_other_articles_with_reasons(client, reviewer):
    mine = claim_in(HARBOUR[0], reviewer)
    same = claim_in(HARBOUR[1], reviewer, publisher="Island Echo")
    for text in UNRELATED:
        claim_in(text, reviewer)
    client.force_login(reviewer)
    html = client.get(
        reverse("annotations:claim-related", args=[mine.article_id, mine.pk]), headers=RELATED
    ).content.decode()
    assert f'id="proposal-{same.pk}"' in html
    assert "figures of the same thing: passenger" in html and "Island Echo" in html
    assert html.count('class="proposal"') == 1  # none of the unrelated claims
    assert 'accesskey="y"' in html


def confirm(client, claim, other, **seen):
    data = {"other": other.pk} | {k: v for k, v in seen.items() if v is not None}
    return client.post(
        reverse("annotations:claim-proposal-confirm", args=[claim.article_id, claim.pk]),
        data,
        headers=RELATED,
    )


@pytest.mark.django_db
def test_one_click_confirms_a_proposal_and_both_claims_join_a_new_family(client, reviewer):
    mine, same = claim_in(HARBOUR[0], reviewer), claim_in(HARBOUR[1], reviewer)
    client.force_login(reviewer)
    html = confirm(client, mine, same).content.decode()
    family = ClaimFamily.objects.get()
    assert f"Claim {same.pk} joined family #{family.pk}" in html
    assert set(family.memberships.values_list("claim_id", flat=True)) == {mine.pk, same.pk}
    assert family.member_count == 2 and family.statement == HARBOUR[0]
    kinds = list(family.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["created", "joined", "joined"]
    # Members are no longer proposals; they are listed as the family.
    assert f'id="proposal-{same.pk}"' not in html and f"family #{family.pk}" in html


@pytest.mark.django_db
def test_a_proposal_based_on_a_family_that_changed_meanwhile_is_refused_with_the_newer_state(
    client, reviewer, reviewer2
):
    mine, same, third = (claim_in(text, reviewer) for text in HARBOUR)
    family = ClaimFamily.confirm(mine, same, by=reviewer2, seen=(None, None, None, None))
    client.force_login(reviewer)
    # The reviewer's page showed `third` with no family and `mine` in none: stale now.
    response = confirm(client, mine, third)
    html = response.content.decode()
    assert "Someone else changed this family" in html
    assert f"Family #{family.pk}</a> now (version {family.version})" in html
    assert f"Claim {same.pk}:" in html  # the newer members are shown
    assert not FamilyMembership.objects.filter(claim=third).exists()
    # Based on what is now there, it goes through.
    confirm(client, mine, third, family=family.pk, family_version=family.version)
    assert FamilyMembership.objects.get(claim=third).family == family


@pytest.mark.django_db
def test_confirming_claims_of_two_families_merges_them_with_a_record(reviewer):
    a, b = claim_in(HARBOUR[0], reviewer), claim_in(HARBOUR[1], reviewer)
    c = claim_in(HARBOUR[2], reviewer)
    d = claim_in("Gull Island ferry: 41,000 passengers in 2023, says the Harbour Trust.", reviewer)
    first = ClaimFamily.confirm(a, b, by=reviewer, seen=(None, None, None, None))
    second = ClaimFamily.confirm(c, d, by=reviewer, seen=(None, None, None, None))
    first.refresh_from_db()
    second.refresh_from_db()
    seen = (first.pk, first.version, second.pk, second.version)
    assert ClaimFamily.confirm(a, c, by=reviewer, seen=seen) == first
    second.refresh_from_db()
    assert second.merged_into == first and second.member_count == 0
    assert first.memberships.count() == 4
    assert first.events.filter(kind="merged", other_family=second).exists()
    assert second.events.filter(kind="merged", other_family=first).exists()


@pytest.mark.django_db
def test_a_rejected_proposal_is_never_proposed_again_for_either_claim(client, reviewer):
    mine, same = claim_in(HARBOUR[0], reviewer), claim_in(HARBOUR[1], reviewer)
    assert same.pk in [p.claim.pk for p in mine.proposals()]
    client.force_login(reviewer)
    html = client.post(
        reverse("annotations:claim-proposal-reject", args=[mine.article_id, mine.pk]),
        {"other": same.pk},
        headers=RELATED,
    ).content.decode()
    assert f"Claim {same.pk} will not be proposed again." in html
    assert ProposalRejection.objects.filter(claim=min(mine, same, key=lambda c: c.pk)).exists()
    assert same.pk not in [p.claim.pk for p in mine.proposals()]
    assert mine.pk not in [p.claim.pk for p in same.proposals()]


# --- The family page --------------------------------------------------------------------------


@pytest.fixture
def family(reviewer):
    a, b, c = (claim_in(text, reviewer) for text in HARBOUR)
    made = ClaimFamily.confirm(a, b, by=reviewer, seen=(None, None, None, None))
    made.refresh_from_db()
    return ClaimFamily.confirm(c, a, by=reviewer, seen=(None, None, made.pk, made.version))


def family_url(name, family):
    return reverse(f"annotations:{name}", args=[family.pk])


@pytest.mark.django_db
def test_the_family_page_lists_members_and_history(client, reviewer, family):
    client.force_login(reviewer)
    html = client.get(family_url("family-detail", family)).content.decode()
    for member in family.members():
        assert f'id="member-{member.pk}"' in html
    assert "created the family" in html and "added a claim" in html


@pytest.mark.django_db
def test_a_stale_statement_edit_is_refused_and_the_page_shows_the_family_as_it_is(
    client, reviewer, reviewer2, family
):
    family.refresh_from_db()
    seen = family.version
    family.edit(by=reviewer2, version=seen, statement="Gull Island ferry carried 40,000 in 2023")
    client.force_login(reviewer)
    response = client.post(
        family_url("family-update", family), {"version": seen, "statement": "Mine"}
    )
    html = response.content.decode()
    assert "Someone else changed this family" in html
    assert "Gull Island ferry carried 40,000 in 2023" in html
    family.refresh_from_db()
    assert family.statement == "Gull Island ferry carried 40,000 in 2023"


@pytest.mark.django_db
def test_removing_a_member_needs_a_reason_and_is_recorded(client, reviewer, family):
    family.refresh_from_db()
    leaving = family.members().last()
    client.force_login(reviewer)
    address = family_url("family-remove-member", family)
    client.post(address, {"version": family.version, "claim": leaving.pk, "note": ""})
    assert FamilyMembership.objects.filter(claim=leaving).exists()
    response = client.post(
        address, {"version": family.version, "claim": leaving.pk, "note": "Counts visitors"}
    )
    assert response.status_code == 302
    assert not FamilyMembership.objects.filter(claim=leaving).exists()
    event = family.events.get(kind="removed")
    assert event.claim == leaving and event.note == "Counts visitors" and event.by == reviewer


@pytest.mark.django_db
def test_splitting_moves_members_to_a_new_family_and_both_keep_the_record(client, reviewer, family):
    family.refresh_from_db()
    moving = family.members().last()
    client.force_login(reviewer)
    client.post(
        family_url("family-split", family),
        {"version": family.version, "claims": [moving.pk], "note": "Estimates, not counts"},
    )
    new = FamilyMembership.objects.get(claim=moving).family
    assert new != family and new.member_count == 1
    assert family.events.filter(kind="split", other_family=new, claim=moving).exists()
    assert new.events.filter(kind="split", other_family=family).exists()


@pytest.mark.django_db
def test_deleting_a_member_claim_leaves_a_trace_in_the_family(reviewer, family):
    gone = family.members().first()
    number = gone.pk
    gone.delete_version(by=reviewer, version=None)
    event = family.events.get(kind="removed")
    assert event.note == "The claim was deleted." and event.claim_label == f"claim #{number}"
    family.refresh_from_db()
    assert family.member_count == 2


# --- Shared evidence and verdicts ---------------------------------------------------------------


@pytest.fixture
def editor2(db):
    return UserFactory(username="erin", role=Role.EDITOR)


def approve(claim, reviewer, editor):
    claim.propose_verdict(by=reviewer, version=None, verdict=Verdict.objects.get(label="Accurate"))
    claim.refresh_from_db()
    claim.approve(by=editor, version=claim.version)
    claim.refresh_from_db()


@pytest.mark.django_db
def test_a_source_cited_once_is_cited_for_every_member_in_one_step(
    client, reviewer, editor, family
):
    first, second, third = family.members()
    cited = CitationFactory(claim=first, quote="Ferry returns 2023: 40,112 passengers.")
    CitationFactory(claim=third, source=SourceFactory())
    approve(third, reviewer, editor)  # approved: a citation waits for a second person
    family.refresh_from_db()
    client.force_login(reviewer)
    html = client.post(
        family_url("family-cite", family),
        {"version": family.version, "citation": cited.pk, "change_reason": "Same evidence"},
    ).content.decode()
    assert (
        f"Claim {second.pk}:\n                \n                  cited" in html or "cited" in html
    )
    copy = Citation.objects.get(claim=second, source=cited.source)
    assert copy.quote == cited.quote and copy.created_by == reviewer
    assert not Citation.objects.filter(claim=third, source=cited.source).exists()
    proposed = ProposedCitation.objects.get(source=cited.source)
    assert proposed.revision.claim == third and proposed.revision.reason == "Same evidence"
    assert "proposed as a change to the approved claim" in html
    assert family.events.filter(kind="cited").exists()


@pytest.mark.django_db
def test_citing_for_all_on_a_family_changed_meanwhile_is_refused(client, reviewer, family):
    first = family.members().first()
    cited = CitationFactory(claim=first)
    family.refresh_from_db()
    old = family.version
    family.edit(by=reviewer, version=old, statement="Reworded")
    client.force_login(reviewer)
    html = client.post(
        family_url("family-cite", family), {"version": old, "citation": cited.pk}
    ).content.decode()
    assert "Someone else changed this family" in html
    assert Citation.objects.filter(source=cited.source).count() == 1


@pytest.mark.django_db
def test_an_approved_verdict_is_proposed_never_approved_for_the_other_members(
    reviewer, editor, editor2, family
):
    first, second, third = family.members()
    CitationFactory(claim=first)
    # The third member has its own proposal under review: it keeps it.
    third.propose_verdict(
        by=reviewer, version=None, verdict=Verdict.objects.get(label="Inaccurate")
    )
    approve(first, reviewer, editor)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.state == Claim.State.NEEDS_REVIEW and second.verdict.label == "Accurate"
    assert second.verdict_proposed_by == editor and f"claim #{first.pk}" in (
        second.verdict_explanation
    )
    assert third.verdict.label == "Inaccurate" and third.verdict_proposed_by == reviewer
    # Its own second person: the editor who approved the first cannot approve it alone.
    CitationFactory(claim=second)
    assert not second.is_reviewable_by(editor) and second.is_reviewable_by(editor2)
    second.approve(by=editor2, version=second.version)
    assert family.events.filter(kind="verdict_shared", claim=first).exists()
    assert not ClaimRevision.objects.exists()


@pytest.mark.django_db
def test_a_family_can_be_deleted_with_its_members_and_history(reviewer, family):
    # Its members' deletion must not record an event on the family being deleted.
    claims = list(family.memberships.values_list("claim_id", flat=True))
    family.delete()
    assert not ClaimFamily.objects.exists()
    assert not FamilyMembership.objects.exists()
    assert Claim.objects.filter(pk__in=claims).count() == len(claims)
