"""The dashboard's list of open conflicts (claim families whose figures disagree)."""

from django import template

from annotations.models import ClaimFamily

register = template.Library()

OPEN_CONFLICTS_SHOWN = 8


@register.inclusion_tag("annotations/families/_open_conflicts.html")
def open_conflicts(limit: int = OPEN_CONFLICTS_SHOWN) -> dict:
    """The newest open conflicts, and whether there are more: one query, of the columns
    shown (the figures in conflict, JSON, were read and decoded on every dashboard page)."""
    conflicts = ClaimFamily.objects.open_conflicts().only("statement", "member_count")
    shown = list(conflicts[: limit + 1])
    return {"conflicts": shown[:limit], "more": len(shown) > limit}
