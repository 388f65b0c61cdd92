"""Check-worthy suggestions stored for each article, and the reviewers' dismissals of them.

A :class:`Suggestion` is derived data: ``checkworthy.suggestions`` (the sentences scoring at
least ``checkworthy.THRESHOLD``) run on the article's text when it is imported or its text
changes (``Article.save``), or by ``manage.py compute_suggestions`` for articles imported
before. Working them out again replaces them all.

A :class:`SuggestionDismissal` is a reviewer's decision, kept for good: who dismissed which
sentence and when, with the score and reasons it had then, so that the scorer can be studied
against what reviewers turned down. It is matched to the article's sentences by their text
(its SHA-256), so a dismissed sentence stays dismissed when the text around it changes or the
suggestions are worked out again; one whose sentence left the text is kept all the same.

A suggestion is *reviewed* once dismissed or once a claim covers part of its sentence.

Suggestions are made in every part of the article (``Article.Part``: headline, standfirst and
body), their offsets counting from the start of their part's text, as claims' do. This module
is imported at the end of ``annotations/models.py``, which registers its models.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from annotations import checkworthy, families
from annotations.figures import extract_figures
from annotations.models import Article, Claim, PublishedReview

# Reading order, for the reader's n/N.
PART_ORDER = {part: index for index, part in enumerate(Article.Part.values)}


def sentence_hash(text: str) -> str:
    """What a dismissal remembers a sentence by: its words, whatever the spacing."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


class SuggestionDismissal(models.Model):
    article = models.ForeignKey(
        "annotations.Article", on_delete=models.CASCADE, related_name="suggestion_dismissals"
    )
    part = models.CharField(
        max_length=10,
        choices=Article.Part.choices,
        default=Article.Part.BODY,
        help_text="The article's text the sentence is in (headline, standfirst or body).",
    )
    # Copied from the article's text, never typed: not editable.
    sentence = models.TextField(
        editable=False, help_text="The sentence as it stood when it was dismissed."
    )
    sentence_hash = models.CharField(
        max_length=64,
        editable=False,
        help_text="SHA-256 of the sentence's words: how it is found again.",
    )
    score = models.FloatField(help_text="The check-worthiness score it had when dismissed.")
    reasons = models.JSONField(
        default=list, blank=True, help_text="The reasons it was suggested for (codes)."
    )
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "part", "sentence_hash"], name="suggestion_dismissed_once"
            ),
            models.CheckConstraint(
                condition=Q(part__in=Article.Part.values), name="suggestion_dismissal_part_known"
            ),
        ]

    def __str__(self):
        return f"Dismissed: {self.sentence[:60]}"


class SuggestionQuerySet(models.QuerySet):
    def unreviewed(self):
        """Neither dismissed nor covered, even in part, by a claim anchored in the text."""
        covering = Claim.objects.anchored().filter(
            article=OuterRef("article"),
            part=OuterRef("part"),
            start__lt=OuterRef("end"),
            end__gt=OuterRef("start"),
        )
        return self.filter(dismissal__isnull=True).exclude(Exists(covering))

    def for_reader(self, article) -> list[dict]:
        """What the reader needs of the article's unreviewed suggestions, in reading order
        (headline, standfirst, body): one query whatever their number."""
        texts = {part: article.text_of(part) for part in Article.Part.values}
        dismiss_prefix = reverse("annotations:suggestion-dismiss", args=[article.pk, 0])
        dismiss_prefix = dismiss_prefix[: dismiss_prefix.rindex("/0/") + 1]
        rows = (
            self.filter(article=article)
            .unreviewed()
            .values_list(
                "pk",
                "part",
                "start",
                "end",
                "quote_start",
                "quote_end",
                "score",
                "reasons",
                "statement",
                "claimant",
                "category",
            )
        )
        rows = sorted(rows, key=lambda row: (PART_ORDER[row[1]], row[2]))
        return [
            {
                "id": pk,
                "part": part,
                "start": start,
                "end": end,
                "quote_start": quote_start,
                "quote_end": quote_end,
                "quote": texts[part][quote_start:quote_end],
                "score": score,
                "why": ", ".join(checkworthy.REASONS[code] for code in reasons),
                "statement": statement,
                "claimant": claimant,
                "category": category,
                "dismiss_url": f"{dismiss_prefix}{pk}/dismiss/",
                # Published fact-checks of the sentence: asked for when it is shown.
                "checks_url": f"{dismiss_prefix}{pk}/checks/",
            }
            for (
                pk,
                part,
                start,
                end,
                quote_start,
                quote_end,
                score,
                reasons,
                statement,
                claimant,
                category,
            ) in rows
        ]

    def unreviewed_counts(self, article_ids) -> dict[int, int]:
        """Unreviewed suggestions per article, from one grouped query."""
        rows = (
            self.filter(article_id__in=article_ids)
            .unreviewed()
            .values_list("article_id")
            .annotate(n=models.Count("pk"))
            .order_by()
        )
        return dict(rows)


class SuggestionManager(models.Manager.from_queryset(SuggestionQuerySet)):
    def refresh_for(self, article, *, created: bool = False) -> int:
        """Work out ``article``'s suggestions again from its text, keeping its dismissals;
        how many were stored.

        ``created``: the article is new, so it has neither suggestions nor dismissals yet
        (one INSERT, no reads)."""
        dismissals = {}
        if not created:
            dismissals = {
                (d.part, d.sentence_hash): d.pk for d in article.suggestion_dismissals.all()
            }
        rows = []
        for part in Article.Part.values:
            for found in checkworthy.suggestions(article.text_of(part)):
                digest = sentence_hash(found.text)
                rows.append(
                    {
                        "article": article.pk,
                        "part": part,
                        "start": found.start,
                        "end": found.end,
                        "quote_start": found.quote_start,
                        "quote_end": found.quote_end,
                        "sentence_hash": digest,
                        "score": found.score,
                        "reasons": list(found.reasons),
                        "statement": found.statement,
                        "claimant": found.claimant[:300],
                        "category": found.category,
                        "dismissal": dismissals.get((part, digest)),
                    }
                )
        using = router.db_for_write(self.model, instance=article)
        with transaction.atomic(using=using):
            if not created:
                self.filter(article=article).delete()
            self._insert_rows(rows, using)
        return len(rows)

    def _insert_rows(self, rows: list[dict], using: str) -> None:
        """INSERT worked-out suggestions, one statement run for all the rows.

        ``bulk_create`` would build a model instance per row and pass every value through its
        field: 7 ms of the 8.5 ms it took for the 143 suggestions of a 25 KB article, more
        than reading its figures. The values here are already what the columns hold (ints,
        text, a float, the dismissal's id), so only the JSON list goes through its field, and
        the time is prepared once."""
        if not rows:
            return
        connection = connections[using]
        meta = self.model._meta
        fields = [meta.get_field(name) for name in rows[0]]
        reasons = meta.get_field("reasons")
        computed_at = meta.get_field("computed_at")
        now = computed_at.get_db_prep_save(timezone.now(), connection)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in [*fields, computed_at])
        placeholders = ", ".join(["%s"] * (len(fields) + 1))
        table = connection.ops.quote_name(meta.db_table)
        values = []
        prepared = {}  # a few sets of reasons make all the rows: each is prepared once
        for row in rows:
            key = tuple(row["reasons"])
            if key not in prepared:
                prepared[key] = reasons.get_db_prep_save(row["reasons"], connection)
            row["reasons"] = prepared[key]
            values.append((*row.values(), now))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 — names from the model
                values,
            )


class Suggestion(models.Model):
    """A sentence of an article worth checking, its score and why (see ``checkworthy``)."""

    article = models.ForeignKey(
        "annotations.Article", on_delete=models.CASCADE, related_name="suggestions"
    )
    part = models.CharField(
        max_length=10,
        choices=Article.Part.choices,
        default=Article.Part.BODY,
        help_text="The article's text the sentence is in (headline, standfirst or body).",
    )
    start = models.PositiveIntegerField(help_text="The sentence's start in its part's text.")
    end = models.PositiveIntegerField(help_text="Its end (exclusive), in code points.")
    quote_start = models.PositiveIntegerField(
        help_text="Start of the claim-bearing clause that a claim made from it quotes (the "
        "whole sentence unless it is long)."
    )
    quote_end = models.PositiveIntegerField()
    # Worked out from the article's text, never typed: not editable.
    sentence_hash = models.CharField(
        max_length=64, editable=False, help_text="See ``sentence_hash``."
    )
    score = models.FloatField(help_text="Check-worthiness, 0 to 1.")
    reasons = models.JSONField(default=list, help_text="Codes of checkworthy.REASONS.")
    statement = models.TextField(
        blank=True, editable=False, help_text="The statement a claim would start with."
    )
    claimant = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        help_text="Who the sentence attributes its claim to.",
    )
    category = models.CharField(max_length=20, editable=False, help_text="A Claim.Category value.")
    dismissal = models.ForeignKey(
        SuggestionDismissal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )
    computed_at = models.DateTimeField(default=timezone.now)

    objects = SuggestionManager()

    class Meta:
        indexes = [
            models.Index(fields=["article", "part", "start"], name="suggestion_article_start")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "part", "start"], name="suggestion_one_per_sentence"
            ),
            models.CheckConstraint(
                condition=Q(part__in=Article.Part.values), name="suggestion_part_known"
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start"))
                & Q(quote_start__gte=models.F("start"))
                & Q(quote_end__lte=models.F("end"))
                & Q(quote_end__gt=models.F("quote_start")),
                name="suggestion_spans_ordered",
            ),
        ]

    def __str__(self):
        return f"Suggestion {self.start}–{self.end} ({self.score:.2f})"

    def text(self) -> str:
        return self.article.text_of(self.part)[self.start : self.end]

    def published_checks(self, *, limit: int | None = 2) -> list:
        """Fact-checks other organisations published of what the sentence says, best first:
        its claim-bearing clause, the statement and claimant a claim made from it would start
        with, and the clause's figures, matched as a claim's are
        (``PublishedReviewQuerySet.matching``)."""
        quote = self.article.text_of(self.part)[self.quote_start : self.quote_end]
        found = families.features(quote, self.statement, self.claimant, extract_figures(quote))
        return PublishedReview.objects.matching(found, limit=limit)

    def dismiss(self, *, by) -> SuggestionDismissal:
        """Record that ``by`` turned this sentence down; a second dismissal keeps the first."""
        dismissal, _ = SuggestionDismissal.objects.get_or_create(
            article_id=self.article_id,
            part=self.part,
            sentence_hash=self.sentence_hash,
            defaults={
                "sentence": self.text(),
                "score": self.score,
                "reasons": self.reasons,
                "dismissed_by": by,
            },
        )
        if self.dismissal_id != dismissal.pk:
            self.dismissal = dismissal
            self.save(update_fields=["dismissal"])
        return dismissal
