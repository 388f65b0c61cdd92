"""The person of each request is read with their role groups in one query
(``roles.SignedInUserBackend``, ``UserManager.signed_in``): the same person and roles as the
plain reads gave, a session signed in before it came keeps working, and a person deactivated
or with another password is signed out as before."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Role, User
from annotations.roles import SESSION_BACKEND, SIGN_IN_BACKEND
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def test_signing_in_reads_later_requests_person_and_roles_in_one_query(client, article):
    editor = UserFactory(username="eda", first_name="Eda", role=Role.EDITOR)
    sign_in(client, editor)
    assert client.session[BACKEND_SESSION_KEY] == SESSION_BACKEND
    address = reverse("annotations:article-detail", args=[article.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    assert response.context["user"].username == "eda"
    assert response.context["user"].is_editor
    tables = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "annotations_user"' in sql for sql in tables[:3]) == 1
    assert not any(sql.startswith('SELECT "auth_group"') for sql in tables)


def test_a_session_signed_in_before_keeps_working(client, reviewer, article):
    client.force_login(reviewer, backend=SIGN_IN_BACKEND)
    session = client.session
    session[BACKEND_SESSION_KEY] = SIGN_IN_BACKEND
    session.save()
    response = client.get(reverse("annotations:article-detail", args=[article.pk]))
    assert response.status_code == 200
    assert response.context["user"] == reviewer


@pytest.mark.parametrize(
    "groups", [[], [Role.REVIEWER], [Role.EDITOR, Role.REVIEWER], [Role.ADMIN]]
)
def test_signed_in_reads_what_the_plain_queries_read(groups):
    person = UserFactory(username="plain", first_name="Pia", last_name="Lain")
    person.groups.set(Group.objects.filter(name__in=groups))
    Group.objects.create(name="Newsletter").user_set.add(person)
    plain = User.objects.get(pk=person.pk)
    fast = User.objects.signed_in(person.pk)
    fields = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(fast, name) for name in fields] == [getattr(plain, name) for name in fields]
    roles = (fast.is_reviewer, fast.is_editor, fast.is_admin)
    assert roles == (plain.is_reviewer, plain.is_editor, plain.is_admin)
    assert fast._group_names() == set(groups)
    assert not fast._state.adding and fast._state.db == "default"


def test_a_deactivated_person_or_a_changed_password_signs_the_session_out(client, article):
    person = UserFactory(username="leaving", role=Role.REVIEWER)
    address = reverse("annotations:article-detail", args=[article.pk])
    sign_in(client, person)
    assert client.get(address).status_code == 200
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert client.get(address).status_code == 302
    assert User.objects.signed_in(person.pk) is None
    person.is_active = True
    person.save(update_fields=["is_active"])
    sign_in(client, person)
    person.set_password("another-horse-battery")
    person.save(update_fields=["password"])
    assert client.get(address).status_code == 302
