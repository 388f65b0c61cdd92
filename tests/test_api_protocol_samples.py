"""The W3C working group's annotation samples POSTed to an article's container: the incorrect
ones are refused as problem details and write nothing; none of the correct ones is a server
error (they annotate other documents, so most are refused with the reason, never stored
elsewhere)."""

import pytest
from django.urls import reverse

from annotations.models import Claim, Comment
from tests.api_support import token_client
from tests.factories import ArticleFactory
from tests.shared_material import W3C_DIR, require

pytestmark = pytest.mark.django_db

LD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def samples(kind: str):
    folder = require(W3C_DIR, "the W3C test material") / "w3c-test-samples" / kind
    return sorted(folder.glob("*.json"))


def test_incorrect_samples_are_refused_as_problems_and_write_nothing(reviewer):
    client = token_client(reviewer)
    container = reverse("api-v1:annotation-container", args=[ArticleFactory().pk])
    found = samples("incorrect")
    assert len(found) >= 30
    for path in found:
        response = client.post(container, path.read_bytes(), LD)
        assert 400 <= response.status_code < 500, f"{path.name}: {response.status_code}"
        assert response["Content-Type"] == "application/problem+json", path.name
        assert response.json()["detail"], path.name
    assert not Claim.objects.exists() and not Comment.objects.exists()


def test_correct_samples_are_never_a_server_error(reviewer):
    client = token_client(reviewer)
    container = reverse("api-v1:annotation-container", args=[ArticleFactory().pk])
    found = samples("correct")
    assert len(found) >= 40
    for path in found:
        response = client.post(container, path.read_bytes(), LD)
        assert response.status_code < 500, f"{path.name}: {response.content[:200]!r}"
        if response.status_code >= 400:
            assert response.json()["detail"], path.name
