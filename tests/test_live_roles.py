"""A person whose role is taken away stops hearing live events at once, not at the next
reconnect: the app tells their open sockets, which check again and close (4403, after which
live.js does not reconnect); a change made behind the app's back is caught within
``ROLE_RECHECK_SECONDS`` by the socket itself."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Group

from annotations import consumers
from annotations.models import Role, User
from tests.factories import ClaimFactory, UserFactory
from tests.test_live import _keep_the_test_connection, committed, opened, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


async def closed_with(socket) -> int | None:
    output = await socket.receive_output(timeout=2)
    return output.get("code") if output["type"] == "websocket.close" else None


def take_role_from_user(user):
    user.groups.remove(Group.objects.get(name=Role.REVIEWER))


def take_user_from_group(user):
    Group.objects.get(name=Role.REVIEWER).user_set.remove(user)


def deactivate(user):
    user.is_active = False
    user.save()


def delete_group(user):
    Group.objects.get(name=Role.REVIEWER).delete()


@pytest.mark.parametrize(
    "take_away", [take_role_from_user, take_user_from_group, deactivate, delete_group]
)
def test_a_role_taken_away_closes_the_persons_open_sockets_at_once(take_away, editor):
    rita = UserFactory(username="rita", role=Role.REVIEWER)
    claim = ClaimFactory()
    session = signed_in(rita)

    async def scenario():
        socket = await opened(session, article=claim.article_id)
        await committed(take_away, rita)
        code = await closed_with(socket)
        await committed(claim.edit, by=editor, version=claim.version, statement="Later")
        nothing = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()  # as the server does once the socket closed: the page leaves
        return code, nothing

    code, heard_nothing = async_to_sync(scenario)()
    assert code == 4403
    assert heard_nothing


def test_a_sign_in_or_another_role_keeps_the_socket_open(editor):
    rita = UserFactory(username="rita", role=Role.REVIEWER)
    claim = ClaimFactory()
    session = signed_in(rita)

    def sign_in_again_and_promote(user):
        user.save(update_fields=["last_login"])
        user.groups.add(Group.objects.get(name=Role.EDITOR))
        user.first_name = "Rita"
        user.save()

    async def scenario():
        socket = await opened(session, article=claim.article_id)
        await committed(sign_in_again_and_promote, rita)
        await committed(claim.edit, by=editor, version=claim.version, statement="Heard")
        event = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return event

    assert async_to_sync(scenario)()["claim"] == claim.pk


def test_a_role_removed_behind_the_apps_back_is_caught_by_the_next_event(monkeypatch, editor):
    rita = UserFactory(username="rita", role=Role.REVIEWER)
    claim = ClaimFactory()
    session = signed_in(rita)
    monkeypatch.setattr(consumers, "ROLE_RECHECK_SECONDS", 0)

    def deactivate_in_bulk(user):
        User.objects.filter(pk=user.pk).update(is_active=False)  # no signal is sent

    async def scenario():
        socket = await opened(session, article=claim.article_id)
        await committed(deactivate_in_bulk, rita)
        await committed(claim.edit, by=editor, version=claim.version, statement="Not for rita")
        code = await closed_with(socket)
        await socket.disconnect()
        return code

    assert async_to_sync(scenario)() == 4403


def test_a_forged_subscription_to_a_claim_or_someone_elses_inbox_gets_nothing(editor):
    """There is no claim topic (a claim's changes reach its article's readers) and a person's
    own group is joined by the server, never asked for: such subscriptions are refused and let
    nothing through, neither the claim's change nor the other person's inbox."""
    rita = UserFactory(username="rita", role=Role.REVIEWER)
    claim = ClaimFactory(assignee=None)
    session = signed_in(rita)

    async def scenario():
        socket = await opened(session)
        for forged in (
            {"action": "subscribe", "topic": "claim", "claim": claim.pk},
            {"action": "subscribe", "topic": "article", "article": float(claim.article_id)},
            {"action": "subscribe", "topic": "article", "article": True},
            {"action": "subscribe", "topic": "inbox", "person": editor.pk},
        ):
            await socket.send_json_to(forged)
            assert (await socket.receive_json_from())["event"] == "refused", forged
        await committed(claim.edit, by=rita, version=claim.version, assignee=editor)
        nothing = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return nothing

    assert async_to_sync(scenario)() is True
