"""The dashboard's table rows, written as strings.

Each row is what a template row drew (a title link, publisher, date, review state, the claims
by state as a stacked SVG bar, verdict chips, the claims assigned to the reader and the
unreviewed suggestions), but written here: the template loop over 25 rows, with a bar segment
and a chip loop in each, was 7.9 ms of the dashboard's 32 ms of CPU a request on the
2,000,000-claim desk (load average 7), these strings 0.25 ms (README, "Scale"). Everything
from the database or the desk's vocabulary is escaped here; ``tests/test_dashboard_rows.py``
holds the rows to the template they replace.
"""

from html import escape

from django.urls import reverse
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe

from annotations.models import Article, Claim

REVIEW_STATE_LABELS = {state: escape(str(state.label)) for state in Article.State}
#: A claim state's label as the bar's description and its segment's title write it.
SEGMENT_TEXTS = {
    state: (escape(str(state.label).lower()), escape(str(state.label))) for state in Claim.State
}
NO_CHIPS = '<span class="muted">—</span>'
NONE_OF_THEM = '<span class="muted">0</span>'


def article_rows(articles: list[Article], verdicts) -> SafeString:
    """The ``<tr>`` of each article, as ``views.dashboard`` decorated it (counts, segments,
    chips); ``verdicts``: the desk's, for the chips."""
    rows = _Rows(verdicts)
    return mark_safe("".join(rows.row(article) for article in articles))  # noqa: S308 — escaped in _Rows


class _Rows:
    """What the rows of one page share: each verdict's chip up to its count, the articles'
    address up to their id, each date as written."""

    def __init__(self, verdicts):
        self.chips = {}
        for verdict in verdicts:
            label, colour = escape(verdict.label), escape(verdict.colour)
            self.chips[verdict.pk] = (
                f'<span class="chip" title="{label}">\n'
                '<svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">\n'
                f'<circle cx="5" cy="5" r="5" fill="{colour}" />\n'
                f"</svg>\n{label} <b>"
            )
        # ``Article.get_absolute_url`` up to the id: reversed once, not once a row.
        detail = reverse("annotations:article-detail", args=[0])
        self.detail_prefix = escape(detail[: detail.rindex("/0/") + 1])
        self.dates = {}

    def date(self, day) -> str:
        if day is None:
            return "—"
        if day not in self.dates:
            self.dates[day] = escape(formats.date_format(day, "j M Y"))
        return self.dates[day]

    def progress(self, article: Article) -> str:
        if not article.claims_total:
            return '<span class="muted">No claims yet</span>'
        segments = article.progress_segments
        description = ", ".join(
            f"{segment.part.count} {SEGMENT_TEXTS[segment.part.key][0]}" for segment in segments
        )
        rects = "".join(
            f'<rect x="{segment.x}" y="0" width="{segment.width}" height="10" '
            f'fill="{escape(segment.part.colour)}">\n'
            f"<title>{SEGMENT_TEXTS[segment.part.key][1]}: {segment.part.count}</title>\n</rect>\n"
            for segment in segments
        )
        return (
            '<svg class="progress" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
            f'aria-label="{description}">\n{rects}</svg>\n'
            f'<span class="progress-text">{article.claims_approved} of {article.claims_total} '
            "approved</span>"
        )

    def row(self, article: Article) -> str:
        url = f"{self.detail_prefix}{article.pk}/"
        publisher = escape(article.publisher.name) if article.publisher else ""
        withdrawn = (
            '<span class="muted">(withdrawn)</span>'
            if article.publication == Article.Publication.UNPUBLISHED
            else ""
        )
        chips = "\n".join(
            f"{self.chips[verdict.pk]}{n}</b>\n</span>" for verdict, n in article.verdict_chips
        )
        mine = (
            f'<a class="mine" href="{url}" title="Claims in this article assigned to you">'
            f"{article.assigned_to_me}</a>"
            if article.assigned_to_me
            else NONE_OF_THEM
        )
        suggested = (
            f'<a class="suggested" href="{url}" title="Suggested sentences not reviewed yet">'
            f"{article.suggestions_unreviewed}</a>"
            if article.suggestions_unreviewed
            else NONE_OF_THEM
        )
        return (
            "<tr>\n"
            f'<td class="col-title">\n<a href="{url}">{escape(article.title)}</a>\n</td>\n'
            f"<td>{publisher}</td>\n"
            f'<td class="nowrap">{self.date(article.published_on)}</td>\n'
            f'<td>\n<span class="state state-{escape(article.review_state)}">'
            f"{REVIEW_STATE_LABELS[article.review_state]}</span>\n{withdrawn}\n</td>\n"
            f'<td class="col-progress">\n{self.progress(article)}\n</td>\n'
            f"<td>\n{chips or NO_CHIPS}\n</td>\n"
            f'<td class="num">\n{mine}\n</td>\n'
            f'<td class="num">\n{suggested}\n</td>\n'
            "</tr>\n"
        )
