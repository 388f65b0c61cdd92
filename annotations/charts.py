"""Geometry for the dashboard's server-rendered SVG charts (no JavaScript, no chart library).

This module works out where the shapes go; the rows' bars are drawn by
``annotations.dashboard_rows`` and the bar charts by ``BarChart.html`` (a template drew them:
1.2 ms of a dashboard request's CPU at a load average of 3.5, the strings 0.2 ms; README,
"Scale"). Colours end up in SVG ``fill`` attributes, which the Content-Security-Policy allows
(they are not inline styles). Numbers are pre-formatted strings, never localised into "12,5".
"""

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from annotations.models import Claim

# Claim states in workflow order, with their colours (shared by progress bars, chart and legend).
STATE_COLOURS = {
    Claim.State.TO_DO: "#a3abb9",
    Claim.State.IN_PROGRESS: "#2f7bd6",
    Claim.State.NEEDS_REVIEW: "#8e5bd0",
    Claim.State.APPROVED: "#2e8b57",
    Claim.State.SENT_BACK: "#d0473b",
    Claim.State.DISMISSED: "#6b7280",
}
NO_VERDICT_COLOUR = "#d5dae3"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Part:
    """One labelled count: a row of a bar chart or a slice of a stacked bar."""

    key: str
    label: str
    count: int
    colour: str


@dataclass(frozen=True)
class Segment:
    part: Part
    x: str  # percent of the bar's width
    width: str


def stacked(parts: list[Part]) -> list[Segment]:
    """Slices of a 100-unit-wide bar in proportion to the counts; empty parts are left out."""
    total = sum(part.count for part in parts)
    segments, x = [], 0.0
    if not total:
        return segments
    for part in parts:
        if part.count:
            width = 100 * part.count / total
            segments.append(Segment(part, _num(x), _num(width)))
            x += width
    return segments


@dataclass(frozen=True)
class Bar:
    part: Part
    y: str
    text_y: str
    width: str
    count_x: str


@dataclass(frozen=True)
class BarChart:
    slug: str
    title: str
    bars: list[Bar]
    total: int
    width: int
    height: int
    label_width: int
    bar_height: int

    @property
    def description(self) -> str:
        return ", ".join(f"{bar.part.label}: {bar.part.count}" for bar in self.bars) + "."

    def html(self) -> SafeString:
        """The chart as a ``<figure>`` of an SVG with a bar, its label and its number a row
        (``tests/test_dashboard_rows.py`` holds it to the template it replaces)."""
        slug, title = escape(self.slug), escape(self.title)
        bars = "\n".join(
            f'<g class="bar" data-key="{escape(str(bar.part.key))}" '
            f'data-count="{bar.part.count}">\n'
            f'<text x="0" y="{bar.text_y}" class="bar-label">'
            f"{escape(Truncator(str(bar.part.label)).chars(20))}</text>\n"
            f'<rect x="{self.label_width}" y="{bar.y}" width="{bar.width}" '
            f'height="{self.bar_height}" rx="3" fill="{escape(bar.part.colour)}">\n'
            f"<title>{escape(str(bar.part.label))}: {bar.part.count}</title>\n</rect>\n"
            f'<text x="{bar.count_x}" y="{bar.text_y}" class="bar-count">{bar.part.count}</text>\n'
            "</g>"
            for bar in self.bars
        )
        claims = "claim" if self.total == 1 else "claims"
        return mark_safe(  # noqa: S308 — every text escaped above
            f'<figure class="chart card" id="chart-{slug}">\n'
            f'<figcaption>{title} <span class="muted">· {self.total} {claims}</span></figcaption>\n'
            f'<svg class="bar-chart" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="chart-{slug}-title chart-{slug}-desc">\n'
            f'<title id="chart-{slug}-title">{title}</title>\n'
            f'<desc id="chart-{slug}-desc">{escape(self.description)}</desc>\n'
            f"{bars}\n</svg>\n</figure>"
        )


def bar_chart(
    slug: str,
    title: str,
    parts: list[Part],
    *,
    width: int = 420,
    label_width: int = 130,
    row_height: int = 26,
    bar_height: int = 18,
) -> BarChart:
    """Horizontal bars, one row per part, scaled to the largest count; room kept for numbers."""
    number_room = 44
    scale_width = width - label_width - number_room
    largest = max((part.count for part in parts), default=0) or 1
    bars = []
    for row, part in enumerate(parts):
        top = row * row_height + (row_height - bar_height) / 2
        bar_width = scale_width * part.count / largest
        bars.append(
            Bar(
                part=part,
                y=_num(top),
                text_y=_num(top + bar_height * 0.75),
                width=_num(max(bar_width, 0.0)),
                count_x=_num(label_width + bar_width + 6),
            )
        )
    return BarChart(
        slug=slug,
        title=title,
        bars=bars,
        total=sum(part.count for part in parts),
        width=width,
        height=max(len(parts), 1) * row_height,
        label_width=label_width,
        bar_height=bar_height,
    )
