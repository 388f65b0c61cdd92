"""Shared set-up for the export and import tests: a small, fully worked fact-check."""

import datetime as dt
import html
import re

from django.utils import timezone

from annotations.models import Claim, Role, Verdict
from tests.factories import (
    ArticleFactory,
    CitationFactory,
    ClaimFactory,
    CommentFactory,
    SourceFactory,
    UserFactory,
)


def approve(claim: Claim, *, verdict: Verdict, by, proposed_by, explanation: str = "") -> Claim:
    """Approve directly through the fields (the workflow methods are tested elsewhere)."""
    claim.verdict = verdict
    claim.verdict_explanation = explanation or f"Checked against the bulletin ({verdict.label})."
    claim.verdict_proposed_by = proposed_by
    claim.state = Claim.State.APPROVED
    claim.approved_by = by
    claim.approved_at = timezone.now()
    claim.save()
    return claim


def claim_on(article, phrase: str, **fields) -> Claim:
    start = article.body.index(phrase)
    claim = ClaimFactory.build(article=article, start=start, end=start + len(phrase), **fields)
    claim.anchor_to(article, start, start + len(phrase))
    claim.save()
    return claim


def worked_example(n_articles: int = 2) -> dict:
    """Articles with approved, proposed and draft claims, citations and comments."""
    reviewer = UserFactory(
        username="rowan", first_name="Rowan", last_name="Reed", role=Role.REVIEWER
    )
    editor = UserFactory(username="ellis", role=Role.EDITOR)
    accurate = Verdict.objects.get(label="Accurate")
    misleading = Verdict.objects.get(label="Misleading")
    unverifiable = Verdict.objects.get(label="Unverifiable")
    bulletin = SourceFactory(
        title="Annual bus statistics", archive_url="https://archive.example/bus"
    )
    survey = SourceFactory(title="Riders' punctuality survey", publisher="Riders' Forum")
    articles, approved, drafts = [], [], []
    for index in range(n_articles):
        article = ArticleFactory(published_on=dt.date(2024, 3, 1 + index), byline="Sam Writer")
        first = claim_on(
            article,
            "12.4 million passengers",
            claimant="City Transport Authority",
            claim_date=dt.date(2024, 2, 20),
            created_by=reviewer,
        )
        CitationFactory(claim=first, source=bulletin, created_by=reviewer)
        approve(first, verdict=accurate, by=editor, proposed_by=reviewer)
        second = claim_on(
            article, "94% of buses ran on time", claimant="Jo Official", created_by=reviewer
        )
        CitationFactory(
            claim=second, source=survey, relation="contradicts", quote="81% on time", locator="p. 4"
        )
        approve(second, verdict=misleading, by=editor, proposed_by=reviewer)
        third = claim_on(article, "3,000 people a day", created_by=reviewer)
        approve(third, verdict=unverifiable, by=editor, proposed_by=reviewer)
        draft = claim_on(article, "fares to rise by 2.5%", created_by=reviewer)
        draft.verdict = misleading
        draft.state = Claim.State.NEEDS_REVIEW
        draft.verdict_proposed_by = reviewer
        draft.save()
        CommentFactory(claim=draft, author=editor, body="Which fares? Ask the authority.")
        articles.append(article)
        approved += [first, second, third]
        drafts.append(draft)
    return {
        "articles": articles,
        "approved": approved,
        "drafts": drafts,
        "reviewer": reviewer,
        "editor": editor,
        "sources": [bulletin, survey],
    }


def worked_example_by_the_rules(n_articles: int = 2) -> dict:
    """The worked example with every approval as the pages allow it: ``worked_example`` approves
    its third claims without a citation, which an import does not accept as approved."""
    example = worked_example(n_articles)
    for claim in example["approved"]:
        if not claim.citations.exists():
            CitationFactory(
                claim=claim, source=example["sources"][0], created_by=example["reviewer"]
            )
    return example


def with_families(example: dict) -> dict:
    """Claims across the worked example's two articles, as reviewers would leave them: the
    passenger figures in one family whose figures disagree after a reviewer's correction
    (a conflict, resolved), a figure removed by a reviewer, the fare drafts in a family one of
    them was split off from, and a proposal turned down."""
    from annotations.models import ClaimFamily, ClaimFigure, ProposalRejection

    reviewer, editor = example["reviewer"], example["editor"]
    first = [claim for claim in example["approved"] if claim.quote.startswith("12.4")]
    second = [claim for claim in example["approved"] if claim.quote.startswith("94%")]
    third = [claim for claim in example["approved"] if claim.quote.startswith("3,000")]
    passengers = ClaimFamily.confirm(*first, by=reviewer, seen=(None,) * 4)
    figure = ClaimFigure.objects.get(claim=first[1], source="quote")
    reading = {name: getattr(figure, name) for name in ClaimFigure.READING if name != "readable"}
    figure.correct(
        by=reviewer,
        version=figure.version,
        note="The bulletin's own table says 9.1 million; the article misread it.",
        **{**reading, "value": 9_100_000.0, "low": 9_100_000.0, "high": 9_100_000.0},
    )
    passengers.refresh_from_db()
    assert passengers.conflict
    passengers.resolve(
        by=editor,
        version=passengers.version,
        resolution=ClaimFamily.Resolution.REVISED_ESTIMATE,
        note="The authority revised its count in March.",
    )
    removed = ClaimFigure.objects.get(claim=third[0], source="quote")
    removed.remove(by=reviewer, version=removed.version, note="A rate per day, not a count.")
    fares = ClaimFamily.confirm(*example["drafts"], by=reviewer, seen=(None,) * 4)
    fares.refresh_from_db()
    split = fares.split(
        [example["drafts"][1]], by=editor, version=fares.version, note="Another fare."
    )
    ProposalRejection.record(*second, by=reviewer)
    return {**example, "families": [passengers, fares, split], "figure": figure}


def export_menu_fields(page: str) -> dict[str, list[str]]:
    """The hidden fields the Export menu's form on ``page`` (its HTML) sends, as the browser
    sends them (attribute values unescaped)."""
    start = page.index('class="export-form"')
    form = page[start : page.index("</form>", start)]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        fields.setdefault(name, []).append(html.unescape(value))
    return fields
