"""Shared set-up for the export and import tests: a small, fully worked fact-check."""

import datetime as dt

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
