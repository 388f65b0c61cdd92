"""The account page's API tokens: made with a name, shown once, listed with their last use,
revoked by their owner; an admin revokes anyone's in the admin site; nothing is deleted."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("annotations:account")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_token_is_shown_once_and_works(reviewer):
    client = signed_in(reviewer)
    response = client.post(ACCOUNT, {"name": "CMS plug-in"})
    assert response.status_code == 201
    secret = re.search(r'<code id="new-token">([^<]+)</code>', response.content.decode())[1]
    assert "copy it now" in response.content.decode().lower()
    assert secret not in client.get(ACCOUNT).content.decode()  # never shown again
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get(reverse("api-v1:claim-list")).status_code == 200
    token = ApiToken.objects.get(user=reviewer)
    assert token.name == "CMS plug-in" and token.key_hash != secret


def test_the_page_showing_a_new_tokens_secret_is_never_cached_by_itself(reviewer, settings):
    """The site-wide rule (PrivateCacheMiddleware) makes signed-in pages ``no-store``; the
    page that shows a secret says so itself too, so no change to that rule can let a cache
    keep the secret."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "PrivateCache" not in m]
    client = signed_in(reviewer)
    for response in (client.post(ACCOUNT, {"name": "CMS plug-in"}), client.get(ACCOUNT)):
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        assert {"no-store", "no-cache", "private"} <= directives
        assert response["Expires"]  # in the past, for HTTP/1.0 caches


def test_a_token_needs_a_name_and_nothing_is_made_without_one(reviewer):
    response = signed_in(reviewer).post(ACCOUNT, {"name": "   "})
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_page_lists_ones_own_tokens_with_their_last_use(reviewer, editor):
    mine, secret = ApiToken.issue(reviewer, "Notebook")
    ApiToken.issue(editor, "Editor's script")
    page = signed_in(reviewer).get(ACCOUNT).content.decode()
    assert "Notebook" in page and "Never" in page and "Editor&#x27;s script" not in page
    Client(headers={"Authorization": f"Bearer {secret}"}).get(reverse("api-v1:claim-list"))
    page = signed_in(reviewer).get(ACCOUNT).content.decode()
    assert "Never" not in page


def test_revoking_a_token_stops_it_and_keeps_its_record(reviewer):
    token, secret = ApiToken.issue(reviewer, "Old laptop")
    client = signed_in(reviewer)
    response = client.post(reverse("annotations:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == reviewer
    assert "Revoked" in client.get(ACCOUNT).content.decode()
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get(reverse("api-v1:claim-list")).status_code == 401


def test_no_one_revokes_another_persons_token_from_their_account_page(reviewer, editor):
    token, _ = ApiToken.issue(editor, "Editor's")
    response = signed_in(reviewer).post(reverse("annotations:token-revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_revokes_anyones_token_in_the_admin_site(admin_user, reviewer):
    token, secret = ApiToken.issue(reviewer, "Leaked")
    client = signed_in(admin_user)
    changelist = reverse("admin:annotations_apitoken_changelist")
    assert "Leaked" in client.get(changelist).content.decode()
    client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_by == admin_user
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get(reverse("api-v1:claim-list")).status_code == 401
    # Tokens are never deleted, nor made for someone else.
    assert (
        client.get(reverse("admin:annotations_apitoken_delete", args=[token.pk])).status_code == 403
    )
    assert client.get(reverse("admin:annotations_apitoken_add")).status_code == 403


def test_an_account_without_a_role_has_no_tokens_to_make():
    person = UserFactory(username="newcomer")
    assert signed_in(person).post(ACCOUNT, {"name": "try"}).status_code == 403
    assert not ApiToken.objects.exists()
