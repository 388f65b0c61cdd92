"""The WebSocket every open page of a signed-in person keeps (``/live/``, ``static/annotations/
live.js``): events from ``annotations.live`` and who else is on the same article.

One asyncio task per socket, no worker thread: an idle page costs a few kilobytes. A page
subscribes to the topics it shows (an article, the dashboard); each subscription is checked
against the person's role as the page itself is, and a refused one gets nothing. The person's
own group (their inbox) is joined on connecting.

Presence (``annotations.presence``): the page's server keeps its entry in the article's roster
(what it has open, typing or not) and the readers are sent the whole roster, coalesced, when it
changes; a page never answers another page's arrival.

Claim events reach the socket at once while they are few; beyond ``CLAIM_BURST`` in a quarter
of a second they are held to the window's end, where each claim's latest change goes out once:
a burst of a thousand changes a second reaches a page as a few batches, each changed claim once
in each.
"""

import asyncio
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from annotations import live
from annotations.models import Article, User
from annotations.presence import presence_here, seen_by

#: How many articles one socket may follow at once (a page follows one).
MAX_SUBSCRIPTIONS = 4
#: Claim events go to the page at once, up to ``CLAIM_BURST`` in a window of ``CLAIM_COALESCE``
#: seconds; beyond that they are held to the window's end, each claim's latest once.
CLAIM_COALESCE = 0.25
CLAIM_BURST = 4

#: How long a socket trusts the role it last saw before checking it again, on the next message
#: it would pass on. A role taken away through the app closes the person's sockets at once
#: (``live.roles_changed``); this bounds what a change made behind its back (SQL, a bulk
#: ``update()``) lets through to this many seconds, for one query per socket at most as often.
ROLE_RECHECK_SECONDS = 30


@database_sync_to_async
def _holds_a_role(user_id: int) -> bool:
    return User.objects.filter(pk=user_id).able_to_review().exists()


@database_sync_to_async
def _roles(user) -> tuple[bool, bool]:
    return user.is_reviewer, user.is_editor


@database_sync_to_async
def _article_exists(pk: int) -> bool:
    return Article.objects.filter(pk=pk).exists()


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.is_reviewer, _ = await _roles(user)
        if not self.is_reviewer:
            # Every live page (reader, dashboard, inbox) needs the reviewer role.
            await self.close(code=4403)
            return
        self.user = user
        self.role_seen_at = time.monotonic()
        self.revoked = False
        self.articles: dict[int, dict] = {}  # article id → what this page has open there
        self.dashboard = False
        self.people_shown: dict[int, list] = {}  # article → the roster this page was last sent
        self.held_claims: dict[tuple, dict] = {}  # (article, claim, comment?) → latest event
        self.flush_task: asyncio.Task | None = None
        self.window_ends = 0.0  # loop time at which the current window of claim events ends
        self.sent_in_window = 0
        self.flush_timer: asyncio.TimerHandle | None = None
        await self.accept()
        await self.channel_layer.group_add(live.person_group(user.pk), self.channel_name)
        await self.send_json({"event": "ready"})

    async def disconnect(self, code):
        user = getattr(self, "user", None)
        if user is None:
            return
        await self.channel_layer.group_discard(live.person_group(user.pk), self.channel_name)
        if self.dashboard:
            await self.channel_layer.group_discard(live.DASHBOARD_GROUP, self.channel_name)
        if self.flush_timer is not None:
            self.flush_timer.cancel()
        if self.flush_task is not None:
            self.flush_task.cancel()
        for article_id in list(self.articles):
            await self._leave(article_id)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        action = content.get("action")
        if action == "subscribe":
            await self._subscribe(content)
        elif action == "presence":
            await self._presence(content)

    async def _subscribe(self, content: dict) -> None:
        topic = content.get("topic")
        if topic == "dashboard":
            self.dashboard = True
            await self.channel_layer.group_add(live.DASHBOARD_GROUP, self.channel_name)
            await self.send_json({"event": "subscribed", "topic": "dashboard"})
            return
        article_id = content.get("article")
        if (
            topic != "article"
            or not isinstance(article_id, int)
            or isinstance(article_id, bool)
            or len(self.articles) >= MAX_SUBSCRIPTIONS
            or not await _article_exists(article_id)
        ):
            await self.send_json({"event": "refused", "topic": topic})
            return
        if article_id in self.articles:
            return
        self.articles[article_id] = {"user": self.user.username, "claim": None, "editing": False}
        await self.channel_layer.group_add(live.article_group(article_id), self.channel_name)
        await self.send_json({"event": "subscribed", "topic": "article", "article": article_id})
        presence = presence_here(self.channel_layer)
        roster = await presence.arrive(article_id, self.channel_name, self.articles[article_id])
        # The page learns at once who is here; the others hear of it in the next broadcast.
        await self._send_roster(article_id, roster)

    async def _presence(self, content: dict) -> None:
        """The page says what it has open in the article: a claim's panel, and whether the
        person is typing in it."""
        article_id = content.get("article")
        if article_id not in self.articles:
            return
        claim = content.get("claim")
        self.articles[article_id] = {
            "user": self.user.username,
            "claim": claim if isinstance(claim, int) and not isinstance(claim, bool) else None,
            "editing": content.get("editing") is True,
        }
        presence = presence_here(self.channel_layer)
        await presence.update(article_id, self.channel_name, self.articles[article_id])

    async def _leave(self, article_id: int) -> None:
        self.articles.pop(article_id, None)
        self.people_shown.pop(article_id, None)
        await self.channel_layer.group_discard(live.article_group(article_id), self.channel_name)
        await presence_here(self.channel_layer).leave(article_id, self.channel_name)

    async def _send_roster(self, article_id: int, roster: dict) -> None:
        people = seen_by(roster, self.channel_name)
        if self.people_shown.get(article_id) == people:
            return  # nothing this page shows changed (its own entry did, or nobody's)
        self.people_shown[article_id] = people
        await self.send_json({"event": "presence", "article": article_id, "people": people})

    # --- Messages from the channel layer ------------------------------------------------------

    async def dispatch(self, message):
        # Whatever the channel layer brings (events, presence) is passed on only while the
        # person still holds a role.
        if message["type"].startswith("live.") and not await self._may_hear(message):
            return
        await super().dispatch(message)

    async def _may_hear(self, message) -> bool:
        if self.revoked:
            return False
        stale = time.monotonic() - self.role_seen_at > ROLE_RECHECK_SECONDS
        if message["type"] != "live.roles" and not stale:
            return True
        self.role_seen_at = time.monotonic()
        if await _holds_a_role(self.user.pk):
            return True
        self.revoked = True
        await self.close(code=4403)  # live.js does not reconnect after 4403
        return False

    async def live_roles(self, message):
        """The person's roles changed and they still hold one (``_may_hear`` checked)."""

    async def live_event(self, message):
        event = message["event"]
        if event.get("event") != "claim":
            await self.send_json(event)
            return
        # A comment redraws only the panel, a change the row too: neither replaces the other.
        self.held_claims[(event["article"], event["claim"], event["kind"] == "discussed")] = event
        if self.flush_timer is not None:
            return  # a batch is already waiting for the end of the window
        loop = asyncio.get_running_loop()
        self._open_window(loop.time())
        if self.sent_in_window < CLAIM_BURST:
            await self._flush_claims()
        else:
            self.flush_timer = loop.call_later(self.window_ends - loop.time(), self._start_flush)

    def _open_window(self, now: float) -> None:
        if now >= self.window_ends:
            self.window_ends = now + CLAIM_COALESCE
            self.sent_in_window = 0

    def _start_flush(self) -> None:
        self.flush_task = asyncio.ensure_future(self._flush_claims())

    async def _flush_claims(self) -> None:
        self.flush_timer = None
        self._open_window(asyncio.get_running_loop().time())
        held, self.held_claims = self.held_claims, {}
        if self.revoked:
            return  # the person lost their role while these waited
        self.sent_in_window += len(held)
        for event in held.values():
            await self.send_json(event)

    async def live_roster(self, message):
        article_id = message["article"]
        presence_here(self.channel_layer).heard(article_id, message["pages"])
        if article_id in self.articles:
            await self._send_roster(article_id, message["pages"])
