"""A claim's addresses made from one reversed address per name (``reader.claim_address``,
``{% claim_url %}``) are the ones ``reverse`` and ``{% url %}`` give."""

import pytest
from django.template import engines
from django.urls import reverse, set_script_prefix

from annotations import urls
from annotations.reader import claim_address
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def claim_address_names() -> list[str]:
    """Every URL name of the app whose address takes an article's id and a claim's."""
    return sorted(
        f"annotations:{pattern.name}"
        for pattern in urls.urlpatterns
        if set(pattern.pattern.converters) == {"article_pk", "pk"}
    )


def test_every_claim_address_is_the_reversed_one_under_any_script_prefix():
    claim = ClaimFactory()
    names = claim_address_names()
    assert "annotations:claim-update" in names and len(names) > 10
    try:
        for prefix in ("/", "/desk/"):
            set_script_prefix(prefix)
            for name in names:
                expected = reverse(name, args=[claim.article_id, claim.pk])
                assert claim_address(name, claim) == expected
                assert expected.startswith(prefix)
    finally:
        set_script_prefix("/")


def test_the_claim_url_tag_writes_what_the_url_tag_writes():
    claim = ClaimFactory()
    template = engines["django"].from_string(
        "{% load claim_links %}{% claim_url 'annotations:claim-dismiss' claim %}|"
        "{% url 'annotations:claim-dismiss' claim.article_id claim.pk %}"
    )
    ours, django_s = template.render({"claim": claim}).split("|")
    assert ours == django_s
