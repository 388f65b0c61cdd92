"""Presence: who has an article open, and which claim they look at or type in.

The server keeps one *roster* per article: every open page's entry (who, which claim, typing or
not). It is shared by every server process (a Redis hash when the channel layer is Redis, this
process's memory for the in-memory layer of a single server), so a page on one server sees the
readers on all of them. Each page's own server writes its entry when the page arrives, changes
what it has open or leaves, and renews it every ``RENEW_SECONDS`` while the socket is open;
an entry not renewed within ``ENTRY_TTL_SECONDS`` (its server died) is dropped.

Pages are told the roster, never each other's greetings: a change marks the article, and each
server process sends the article's readers the whole roster at most once per
``BROADCAST_INTERVAL`` seconds (the first change at once, the ones that follow within the
interval together). Fifty readers arriving on one article thus cost a handful of broadcasts,
not fifty times fifty greetings answered one by one; a broadcast is one channel-layer message
per server process, fanned out to its sockets there.
"""

import asyncio
import json
import logging
import time
import weakref

from annotations import live

logger = logging.getLogger(__name__)

#: The first change of a roster is told at once; changes within this many seconds after a
#: broadcast are told together at its end.
BROADCAST_INTERVAL = 1.0
#: How often each server renews the entries of its open pages and checks the rosters they
#: read for entries that expired (pages of a server that died).
RENEW_SECONDS = 10.0
#: An entry its server stopped renewing is dropped after this long.
ENTRY_TTL_SECONDS = 30.0

Entry = dict  # {"user": username, "claim": claim id or None, "editing": bool}


class MemoryRosters:
    """Rosters of a single server process (the in-memory channel layer)."""

    def __init__(self):
        self._rosters: dict[int, dict[str, tuple[Entry, float]]] = {}

    async def put(self, article_id: int, entries: dict[str, Entry]) -> None:
        expires = time.time() + ENTRY_TTL_SECONDS
        roster = self._rosters.setdefault(article_id, {})
        roster.update({page: (entry, expires) for page, entry in entries.items()})

    async def drop(self, article_id: int, page: str) -> None:
        roster = self._rosters.get(article_id, {})
        roster.pop(page, None)
        if not roster:
            self._rosters.pop(article_id, None)

    async def read(self, article_id: int) -> dict[str, Entry]:
        now = time.time()
        roster = self._rosters.get(article_id, {})
        for page in [page for page, (_, expires) in roster.items() if expires <= now]:
            del roster[page]
        return {page: entry for page, (entry, _) in roster.items()}


class RedisRosters:
    """Rosters shared by every server process through the Redis of the channel layer: one hash
    per article, page → entry with its expiry time."""

    def __init__(self, layer):
        self.layer = layer

    def _key(self, article_id: int) -> str:
        return f"{self.layer.prefix}:presence:{article_id}"

    def _connection(self, key: str):
        return self.layer.connection(self.layer.consistent_hash(key))

    async def put(self, article_id: int, entries: dict[str, Entry]) -> None:
        key = self._key(article_id)
        expires = time.time() + ENTRY_TTL_SECONDS
        values = {page: json.dumps([entry, expires]) for page, entry in entries.items()}
        async with self._connection(key).pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping=values)
            pipe.expire(key, int(ENTRY_TTL_SECONDS * 2))
            await pipe.execute()

    async def drop(self, article_id: int, page: str) -> None:
        key = self._key(article_id)
        await self._connection(key).hdel(key, page)

    async def read(self, article_id: int) -> dict[str, Entry]:
        key = self._key(article_id)
        connection = self._connection(key)
        now = time.time()
        roster, expired = {}, []
        for page, value in (await connection.hgetall(key)).items():
            entry, expires = json.loads(value)
            if expires <= now:
                expired.append(page)
            else:
                roster[page.decode()] = entry
        if expired:
            await connection.hdel(key, *expired)
        return roster


_memory_rosters = MemoryRosters()


def rosters_for(layer):
    from channels_redis.core import RedisChannelLayer

    return RedisRosters(layer) if isinstance(layer, RedisChannelLayer) else _memory_rosters


class Presence:
    """One server process's side of presence, on one event loop: the entries of the pages it
    holds, and when it last told each article's readers their roster."""

    def __init__(self, layer):
        self.layer = layer
        self.rosters = rosters_for(layer)
        self.local: dict[int, dict[str, Entry]] = {}  # article → page → entry, pages held here
        self.last_told: dict[int, dict[str, Entry]] = {}  # article → the roster last broadcast
        self.told_at: dict[int, float] = {}
        self.scheduled: dict[int, asyncio.TimerHandle] = {}
        self.renewer: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    # --- What the consumers call --------------------------------------------------------------

    async def arrive(self, article_id: int, page: str, entry: Entry) -> dict[str, Entry]:
        """Record a page that opened the article; returns the roster as it now stands."""
        self.local.setdefault(article_id, {})[page] = entry
        await self.rosters.put(article_id, {page: entry})
        self._start_renewing()
        await self.changed(article_id)
        return await self.rosters.read(article_id)

    async def update(self, article_id: int, page: str, entry: Entry) -> None:
        pages = self.local.get(article_id)
        if pages is None or pages.get(page) == entry:
            return
        pages[page] = entry
        await self.rosters.put(article_id, {page: entry})
        await self.changed(article_id)

    async def leave(self, article_id: int, page: str) -> None:
        pages = self.local.get(article_id, {})
        pages.pop(page, None)
        if not pages:
            self.local.pop(article_id, None)
        await self.rosters.drop(article_id, page)
        await self.changed(article_id)

    def heard(self, article_id: int, roster: dict[str, Entry]) -> None:
        """A roster broadcast (by this server or another) reached a page here."""
        self.last_told[article_id] = roster

    # --- Coalesced broadcasts -----------------------------------------------------------------

    async def changed(self, article_id: int) -> None:
        """The article's roster changed: tell its readers now, or at the end of the interval
        if they were told less than ``BROADCAST_INTERVAL`` ago (once for every change since)."""
        if article_id in self.scheduled:
            return
        wait = self.told_at.get(article_id, float("-inf")) + BROADCAST_INTERVAL - time.monotonic()
        if wait <= 0:
            await self.broadcast(article_id)
            return
        loop = asyncio.get_running_loop()
        self.scheduled[article_id] = loop.call_later(wait, self._spawn, self.broadcast, article_id)

    def _spawn(self, function, *args) -> None:
        task = asyncio.ensure_future(function(*args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def broadcast(self, article_id: int) -> None:
        self.scheduled.pop(article_id, None)
        self.told_at[article_id] = time.monotonic()
        try:
            roster = await self.rosters.read(article_id)
            self.last_told[article_id] = roster
            await self.layer.group_send(
                live.article_group(article_id),
                {"type": "live.roster", "article": article_id, "pages": roster},
            )
        except Exception:  # presence is best effort: a failed broadcast costs no page its socket
            logger.exception("Presence of article %s not told", article_id)

    # --- Renewal ------------------------------------------------------------------------------

    def _start_renewing(self) -> None:
        if self.renewer is None or self.renewer.done():
            self.renewer = asyncio.ensure_future(self._renew())

    async def _renew(self) -> None:
        while self.local:
            await asyncio.sleep(RENEW_SECONDS)
            for article_id, pages in list(self.local.items()):
                try:
                    await self.rosters.put(article_id, dict(pages))
                    # A server that died leaves entries nobody renews: once they expire, the
                    # readers are told the roster without them.
                    if await self.rosters.read(article_id) != self.last_told.get(article_id):
                        await self.changed(article_id)
                except Exception:
                    logger.exception("Presence of article %s not renewed", article_id)


_by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Presence]" = (
    weakref.WeakKeyDictionary()
)


def presence_here(layer) -> Presence:
    """This process's presence on the running event loop (a server runs one loop; tests run
    several one after another, and timers belong to the loop that set them)."""
    loop = asyncio.get_running_loop()
    presence = _by_loop.get(loop)
    if presence is None or presence.layer is not layer:
        presence = _by_loop[loop] = Presence(layer)
    return presence


def seen_by(roster: dict[str, Entry], page: str) -> list[Entry]:
    """The roster as one page shows it: everyone else's entries, each distinct one once."""
    entries = {
        (entry["user"], entry["claim"], entry["editing"])
        for other, entry in roster.items()
        if other != page
    }
    return [
        {"user": user, "claim": claim, "editing": editing}
        for user, claim, editing in sorted(entries, key=lambda e: (e[0], e[1] or 0, e[2]))
    ]
