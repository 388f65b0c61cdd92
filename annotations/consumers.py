"""The WebSocket every open page of a signed-in person keeps (``/live/``, ``static/annotations/
live.js``): events from ``annotations.live`` and who else is on the same article.

One asyncio task per socket, no worker thread: an idle page costs a few kilobytes. A page
subscribes to the topics it shows (an article, the dashboard); each subscription is checked
against the person's role as the page itself is, and a refused one gets nothing. The person's
own group (their inbox) is joined on connecting.

Presence is carried by the same groups, so it works across servers as events do: a page that
opens an article says so to the article's group and every page there answers with what it
has open; a closed socket says goodbye; pages forget a presence not renewed within
``PRESENCE_TTL`` (live.js), which covers a server that died without saying anything.
"""

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from annotations import live
from annotations.models import Article, User

#: How many articles one socket may follow at once (a page follows one).
MAX_SUBSCRIPTIONS = 4

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
        self.articles[article_id] = {"claim": None, "editing": False}
        await self.channel_layer.group_add(live.article_group(article_id), self.channel_name)
        await self.send_json({"event": "subscribed", "topic": "article", "article": article_id})
        await self._announce(article_id, hello=True)

    async def _presence(self, content: dict) -> None:
        """The page says what it has open in the article: a claim's panel, and whether the
        person is typing in it."""
        article_id = content.get("article")
        if article_id not in self.articles:
            return
        claim = content.get("claim")
        self.articles[article_id] = {
            "claim": claim if isinstance(claim, int) and not isinstance(claim, bool) else None,
            "editing": content.get("editing") is True,
        }
        await self._announce(article_id)

    async def _announce(self, article_id: int, *, hello: bool = False, to: str = "") -> None:
        message = {
            "type": "live.presence",
            "article": article_id,
            "page": self.channel_name,
            "user": self.user.username,
            "hello": hello,
            **self.articles[article_id],
        }
        if to:
            await self.channel_layer.send(to, message)
        else:
            await self.channel_layer.group_send(live.article_group(article_id), message)

    async def _leave(self, article_id: int) -> None:
        self.articles.pop(article_id, None)
        group = live.article_group(article_id)
        await self.channel_layer.group_discard(group, self.channel_name)
        await self.channel_layer.group_send(
            group, {"type": "live.gone", "article": article_id, "page": self.channel_name}
        )

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
        await self.send_json(message["event"])

    async def live_presence(self, message):
        if message["page"] == self.channel_name or message["article"] not in self.articles:
            return
        await self.send_json(
            {
                "event": "presence",
                "article": message["article"],
                "page": message["page"],
                "user": message["user"],
                "claim": message["claim"],
                "editing": message["editing"],
            }
        )
        if message["hello"]:
            # A page just arrived: it learns who is already here.
            await self._announce(message["article"], to=message["page"])

    async def live_gone(self, message):
        if message["page"] != self.channel_name:
            await self.send_json(
                {"event": "gone", "article": message["article"], "page": message["page"]}
            )
