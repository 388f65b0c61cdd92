"""Claims and citations are read-only in the admin: the reader is where they change, with
version checks and the review workflow."""

import pytest
from django.urls import reverse

from annotations.models import Claim
from tests.factories import CitationFactory

pytestmark = pytest.mark.django_db


def test_admin_sees_a_claim_but_cannot_overwrite_it(client, admin_user):
    citation = CitationFactory()
    claim = citation.claim
    client.force_login(admin_user)
    url = reverse("admin:annotations_claim_change", args=[claim.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert claim.statement in page.content.decode()
    response = client.post(url, {"statement": "Overwritten from the admin", "version": 1})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.statement != "Overwritten from the admin"


def test_admin_cannot_change_a_citation_behind_the_claims_back(client, admin_user):
    citation = CitationFactory(quote="The bulletin's own words")
    client.force_login(admin_user)
    url = reverse("admin:annotations_citation_change", args=[citation.pk])
    response = client.post(url, {"source": citation.source_id, "relation": "contradicts"})
    assert response.status_code == 403
    citation.refresh_from_db()
    assert citation.relation == "supports"
    assert Claim.objects.get(pk=citation.claim_id).state == Claim.State.TO_DO
