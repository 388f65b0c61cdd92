"""Sign-in security: throttling after repeated failures (django-axes), a new session key at
sign-in, sessions that are dead after sign-out or a password change, and cookie flags."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password


def sign_in(client, username, password=PASSWORD, url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def signed_in(client) -> bool:
    return client.get(reverse("annotations:article-list")).status_code == 200


def test_sixth_attempt_is_locked_out_even_with_the_right_password(client, reviewer):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for attempt in range(1, limit):
        response = sign_in(client, reviewer.username, "wrong password")
        assert response.status_code == 200, attempt  # the form again, with its error
        assert not signed_in(client)
    locked = sign_in(client, reviewer.username, "wrong password")  # the limit is reached
    assert locked.status_code in {403, 429}
    response = sign_in(client, reviewer.username, PASSWORD)
    assert response.status_code in {403, 429}
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not signed_in(client)
    # Visible to admins: the attempt is recorded.
    attempt = AccessAttempt.objects.get(username=reviewer.username)
    assert attempt.failures_since_start >= limit


def test_lockout_covers_the_admin_sign_in_too(client, admin_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, admin_user.username, "wrong", url=reverse("admin:login"))
    response = sign_in(client, admin_user.username, PASSWORD, url=reverse("admin:login"))
    assert response.status_code in {403, 429}
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_user_name_and_address(client, reviewer, reviewer2):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, reviewer.username, "wrong")
    # Another person at the same address is not locked out with them ...
    other = Client()
    assert sign_in(other, reviewer2.username).status_code == 302
    # ... nor the same person from another address.
    elsewhere = Client(REMOTE_ADDR="192.0.2.50")
    assert sign_in(elsewhere, reviewer.username).status_code == 302


def test_failures_below_the_limit_are_forgiven_after_a_success(client, reviewer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, reviewer.username, "wrong")
    assert sign_in(client, reviewer.username).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, reviewer.username, "wrong")
    assert sign_in(client, reviewer.username).status_code == 302


def test_session_key_rotates_at_sign_in(client, reviewer):
    session = client.session  # an anonymous session, e.g. planted by an attacker
    session["probe"] = "anonymous"
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    before = session.session_key

    response = sign_in(client, reviewer.username)
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert signed_in(client)

    planted = Client()
    planted.cookies[settings.SESSION_COOKIE_NAME] = before
    assert not signed_in(planted)


def test_old_session_cookie_is_dead_after_sign_out(client, reviewer):
    assert sign_in(client, reviewer.username).status_code == 302
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert signed_in(thief)  # the stolen cookie works while the session lives

    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=cookie).exists()
    assert not signed_in(thief)
    response = thief.get(reverse("annotations:article-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_out_needs_a_post(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("logout")).status_code == 405
    assert signed_in(client)


def test_password_change_ends_other_sessions(reviewer):
    desk, laptop = Client(), Client()
    assert sign_in(desk, reviewer.username).status_code == 302
    assert sign_in(laptop, reviewer.username).status_code == 302
    response = desk.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert signed_in(desk)  # the session that changed it stays signed in
    assert not signed_in(laptop)


def test_deactivated_user_is_signed_out_at_the_next_request(client):
    user = UserFactory(username="leaver", role="Reviewer")
    assert sign_in(client, user.username).status_code == 302
    user.is_active = False
    user.save()
    assert not signed_in(client)


def test_session_and_csrf_cookies_are_http_only_where_it_matters(client, reviewer):
    response = sign_in(client, reviewer.username)
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"
    csrf = client.cookies.get(settings.CSRF_COOKIE_NAME)
    assert csrf is None or csrf["samesite"] == "Lax"
