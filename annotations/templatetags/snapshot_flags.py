"""``{{ snapshot|active_content }}``: what in a snapshot PDF a viewer would run by itself."""

from django import template

from annotations import snapshots

register = template.Library()


@register.filter
def active_content(snapshot) -> tuple[str, ...]:
    return snapshots.active_content(snapshot)
