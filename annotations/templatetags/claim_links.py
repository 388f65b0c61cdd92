"""``{% claim_url "annotations:claim-update" claim %}``: the address ``{% url %}`` gives for
the name with the claim's article id and id, made as ``reader.claim_address`` makes it."""

from django import template

from annotations.reader import claim_address

register = template.Library()


@register.simple_tag
def claim_url(name: str, claim) -> str:
    return claim_address(name, claim)
