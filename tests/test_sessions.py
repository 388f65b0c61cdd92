"""Sessions (factcheck/sessions.py): kept in the database as Django's engine keeps them, read
by a statement written once; a person stays signed in until their session expires or is
removed, and never gets someone else's."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from factcheck.sessions import SessionStore

PASSWORD = "correct-horse-battery"  # the factories' password
DASHBOARD = reverse("annotations:article-list")

pytestmark = pytest.mark.django_db


def signed_in_through_the_form(client, user) -> str:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_app_keeps_its_sessions_with_this_engine():
    assert settings.SESSION_ENGINE == "factcheck.sessions"


def test_a_person_signed_in_stays_signed_in(client, reviewer):
    signed_in_through_the_form(client, reviewer)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert response.context["user"] == reviewer


def test_an_expired_session_signs_the_person_out(client, reviewer):
    key = signed_in_through_the_form(client, reviewer)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_session_removed_or_made_up_is_nobodys(client, reviewer):
    key = signed_in_through_the_form(client, reviewer)
    Session.objects.filter(session_key=key).delete()
    assert client.get(DASHBOARD).status_code == 302

    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32  # a key nobody was given
    assert client.get(DASHBOARD).status_code == 302


def test_it_reads_what_djangos_engine_reads(client, reviewer):
    key = signed_in_through_the_form(client, reviewer)

    ours, djangos = SessionStore(key), DjangoSessionStore(key)

    assert ours.load() == djangos.load()
    assert ours.load()["_auth_user_id"] == str(reviewer.pk)
    assert SessionStore("no-such-session-key-at-all").load() == {}


def test_a_session_that_expires_in_a_second_is_still_read(client, reviewer):
    key = signed_in_through_the_form(client, reviewer)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=5)
    )

    assert SessionStore(key).load()["_auth_user_id"] == str(reviewer.pk)
