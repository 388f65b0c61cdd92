"""The dashboard's list of open conflicts (claim families whose figures disagree)."""

from django import template

from annotations.models import ClaimFamily

register = template.Library()

OPEN_CONFLICTS_SHOWN = 8


@register.inclusion_tag("annotations/families/_open_conflicts.html")
def open_conflicts(limit: int = OPEN_CONFLICTS_SHOWN) -> dict:
    """The newest open conflicts, and whether there are more: one query."""
    conflicts = ClaimFamily.objects.open_conflicts()
    shown = list(conflicts[: limit + 1])
    return {"conflicts": shown[:limit], "more": len(shown) > limit}
