"""Live updates: what changed, told to the pages open on it (Django Channels).

A change is published once its transaction commits, to a *group* of the channel layer: the
article's group (every reader open on it), the dashboard's, or one person's (their inbox badge).
An event says only what changed and who changed it, never content: each page then asks the
server for the fragments it draws (``article-live``, the dashboard's ``article-results``, the
inbox badge) through ordinary views, which check roles as for any page. So an event can never
show someone what their role does not let them see, and the fragments are the ones the author
of a change gets back (``change_fragments``).

The consumer that holds the WebSockets is ``annotations.consumers.LiveConsumer``; the channel
layer is the in-memory one for a single server process and Redis for several (settings).
"""

import asyncio
import atexit
import collections
import concurrent.futures
import logging
import os
import threading
import weakref

from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"


def article_group(article_id: int) -> str:
    return f"article-{article_id}"


def person_group(user_id: int) -> str:
    return f"person-{user_id}"


def publish(group: str, event: dict, *, key: str = "") -> None:
    """Send ``event`` to ``group`` when the current transaction commits (at once outside
    one). Events of one transaction with the same ``key`` are sent once, the last one."""
    publish_together([(group, event, key)])


def publish_together(events: list[tuple[str, dict, str]]) -> None:
    """``publish`` for the (group, event, key) events of one change, handed to the channel
    layer in one go."""
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_Publication(_transactions_batch(), events))
    else:  # sent at once (or refused, under manual transaction management)
        messages = [(group, {"type": "live.event", "event": event}) for group, event, _ in events]
        transaction.on_commit(lambda: _hand_over(messages))


# Events waiting for their transaction to commit. Each ``publish_together`` call is one
# ``_Publication``, handed to ``transaction.on_commit`` and held by nothing else: a rollback —
# of the transaction, or of the savepoint (inner atomic block) it was published in — makes
# Django drop it from its commit callbacks, which frees it at once, events and all. Its batch
# (the transaction's publications by (group, key)) keeps only weak references to it, so a
# publication that is gone was rolled back, and one that is alive runs when the transaction
# commits, in the order published. A transaction that changes one claim a thousand times (an
# import, a bulk action) sends one event for it: the last that committed, sent with the last
# publication naming it.


class _Batch:
    """The publications of one transaction, by the (group, key) slots they fill."""

    def __init__(self):
        self.slots: dict[tuple[str, str], list[weakref.ref]] = {}
        self.committed = False  # its publications have started running

    def add(self, publication: "_Publication") -> None:
        for slot in publication.slots:
            self.slots.setdefault(slot, []).append(weakref.ref(publication))

    def last_for(self, slot: tuple[str, str]) -> "_Publication | None":
        """The last publication filling ``slot`` that was not rolled back."""
        for reference in reversed(self.slots[slot]):
            publication = reference()
            if publication is not None:
                return publication
        return None


_current = threading.local()  # a weak reference to this thread's open transaction's batch


def _transactions_batch() -> _Batch:
    """The batch of the transaction open in this thread (the connection is the thread's). The
    previous transaction's is gone (rolled back: nothing holds it) or committed."""
    reference = getattr(_current, "batch", None)
    batch = reference() if reference is not None else None
    if batch is None or batch.committed:
        batch = _Batch()
        _current.batch = weakref.ref(batch)
    return batch


class _Publication:
    """The events of one ``publish_together`` call; called when its transaction commits."""

    __slots__ = ("__weakref__", "batch", "events")

    def __init__(self, batch: _Batch, events: list[tuple[str, dict, str]]):
        self.batch = batch
        # (slot, group, event): one event per slot, the last; one without a key has no slot.
        last = {(group, key): index for index, (group, _, key) in enumerate(events) if key}
        self.events = [
            ((group, key) if key else None, group, event)
            for index, (group, event, key) in enumerate(events)
            if not key or last[group, key] == index
        ]
        batch.add(self)

    @property
    def slots(self) -> list[tuple[str, str]]:
        return [slot for slot, _, _ in self.events if slot is not None]

    def __call__(self) -> None:
        self.batch.committed = True
        queued = [
            (group, {"type": "live.event", "event": event})
            for slot, group, event in self.events
            if slot is None or self.batch.last_for(slot) is self
        ]
        if queued:
            _hand_over(queued)


def send_now(group: str, event: dict) -> None:
    """Hand ``event`` to the channel layer. A layer that fails (Redis down) costs the live
    update, never the change that was saved: pages catch up when they reconnect."""
    _hand_over([(group, {"type": "live.event", "event": event})])


# --- Handing messages to the channel layer -----------------------------------------------------
# The channel layer is asynchronous; changes are saved by synchronous code. Each hand-over is
# queued for an event loop that sends it in the background, in the order handed over, and the
# saving thread goes on at once. Which loop: the caller's own, when it runs in one; else the
# loop serving this process's ASGI application (``serving``), where the in-memory layer's
# consumers live (a view run in a thread of Uvicorn or Daphne); else, outside any server (the
# test client, a WSGI server, a job worker, a command), a loop of the process's own in a
# thread of its own, started once. ``async_to_sync`` made a new thread and a new event loop for
# every hand-over outside a server: 1.3 ms of CPU of each claim-create POST at a load average
# of 7 (make bench-scale, "claim create POST"), and a new Redis connection each time.


#: Seconds one announcement may take to reach the channel layer before it is given up.
SEND_TIMEOUT = 5


class _Courier:
    """The hand-overs waiting for one event loop, sent one batch after the other. It holds its
    loop weakly, and its task only while sending, so a loop that is closed and dropped (a
    test's, a server's that stopped) is freed with its courier (``_couriers`` is keyed weakly
    by loop: a courier holding its loop would keep both for ever)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = weakref.ref(loop)
        self.waiting: collections.deque = collections.deque()
        self.task: asyncio.Task | None = None  # the batches being sent; only touched on the loop

    def post(self, layer, messages: list[tuple[str, dict]]) -> None:
        """From any thread."""
        loop = self.loop()
        if loop is None:
            raise RuntimeError("the event loop is gone")
        loop.call_soon_threadsafe(self._queue, layer, messages)

    def _queue(self, layer, messages) -> None:
        self.waiting.append((layer, messages))
        if self.task is None or self.task.done():  # done: cancelled before it started
            self.task = asyncio.get_running_loop().create_task(self._send_waiting())

    async def _send_waiting(self) -> None:
        try:
            while self.waiting:
                layer, messages = self.waiting.popleft()
                try:
                    for group, message in messages:
                        # A stalled layer (Redis not answering) loses this announcement, not
                        # every later one: pages catch up when they reconnect.
                        await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT)
                except Exception:  # the change is committed; only its live announcement is lost
                    logger.exception(
                        "Live update to %s not sent", ", ".join(g for g, _ in messages)
                    )
        finally:
            # Nothing waits (no await since the deque was found empty): the next hand-over
            # starts a new task.
            self.task = None

    async def sent(self) -> None:
        """Returns once every batch handed over before it was asked is sent."""
        await asyncio.sleep(0)  # a hand-over from this loop's own thread reaches ``_queue`` first
        while self.task is not None and not self.task.done():
            await asyncio.wait([self.task])


_couriers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Courier]" = (
    weakref.WeakKeyDictionary()
)
_couriers_lock = threading.Lock()
# The loop serving this process's ASGI application (weakly: a server that stopped leaves it to
# be freed), and this process's own hand-over loop: (process id, loop), as a forked process
# inherits the values but not the threads.
_server: "tuple[int, weakref.ref[asyncio.AbstractEventLoop]] | None" = None
_own: tuple[int, asyncio.AbstractEventLoop] | None = None


def serving(loop: asyncio.AbstractEventLoop) -> None:
    """Name the event loop serving this process's ASGI application (``factcheck.asgi``)."""
    global _server
    if _server is None or _server[1]() is not loop:
        _server = (os.getpid(), weakref.ref(loop))


def _courier(loop: asyncio.AbstractEventLoop) -> _Courier:
    with _couriers_lock:
        courier = _couriers.get(loop)
        if courier is None:
            courier = _couriers[loop] = _Courier(loop)
        return courier


def _own_loop() -> asyncio.AbstractEventLoop:
    global _own
    with _couriers_lock:
        if _own is None or _own[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-hand-over", daemon=True).start()
            _own = (os.getpid(), loop)
        return _own[1]


def _loop_for_hand_over() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    server = _server
    loop = server[1]() if server is not None and server[0] == os.getpid() else None
    if loop is not None and loop.is_running():
        return loop
    return _own_loop()


def _hand_over(messages: list[tuple[str, dict]]) -> None:
    """Queue each (group, message) of ``messages`` to be sent, in order, after those handed
    over before (see above); the caller does not wait for the channel layer."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        _courier(_loop_for_hand_over()).post(layer, messages)
    except Exception:  # a loop closed meanwhile: only the live announcement is lost
        logger.exception("Live update to %s not sent", ", ".join(g for g, _ in messages))


def wait_until_sent(timeout: float = 5.0) -> bool:
    """Wait (from synchronous code outside any event loop) until what this process handed over
    to its own loop is sent: at exit, so a command's last announcements are not lost, and in
    tests. False if that took longer than ``timeout`` seconds."""
    own = _own
    if own is None or own[0] != os.getpid() or not own[1].is_running():
        return True
    try:
        asyncio.run_coroutine_threadsafe(_courier(own[1]).sent(), own[1]).result(timeout)
    except concurrent.futures.TimeoutError:
        return False
    return True


atexit.register(wait_until_sent)


def _now() -> str:
    return timezone.localtime().isoformat(timespec="seconds")


def claim_event(claim, kind: str, by=None) -> dict:
    """What a reader needs to redraw one claim: where it is, how it changed, by whom."""
    return {
        "event": "claim",
        "kind": kind,
        "article": claim.article_id,
        "claim": claim.pk,
        "part": claim.part,
        "start": claim.start,
        "end": claim.end,
        "version": claim.version,
        "by": by.username if by is not None else "",
        "by_id": by.pk if by is not None else None,
        "at": _now(),
    }


def claim_changed(claim, kind: str, by=None) -> None:
    """Tell the article's readers and the dashboard that ``claim`` was created, changed or
    deleted (``ClaimChange`` kinds)."""
    event = claim_event(claim, kind, by)
    publish_together(
        [
            (article_group(claim.article_id), event, f"claim-{claim.pk}"),
            (
                DASHBOARD_GROUP,
                {"event": "article", "article": claim.article_id, "at": event["at"]},
                f"article-{claim.article_id}",
            ),
        ]
    )


def family_changed(family_id: int, claims, by=None) -> None:
    """Tell the readers of each claim's article that the family of these (claim id, article id)
    pairs changed (formed, joined, left, split, merged, edited): a panel open on one of them
    redraws its "figures and related claims" region, as a reload would show it."""
    by_article: dict[int, list[int]] = {}
    for claim_id, article_id in claims:
        by_article.setdefault(article_id, []).append(claim_id)
    at = _now()
    publish_together(
        [
            (
                article_group(article_id),
                {
                    "event": "family",
                    "article": article_id,
                    "family": family_id,
                    "claims": sorted(claim_ids),
                    "by": by.username if by is not None else "",
                    "by_id": by.pk if by is not None else None,
                    "at": at,
                },
                f"family-{family_id}",
            )
            for article_id, claim_ids in sorted(by_article.items())
        ]
    )


def article_text_changed(article_id: int, by=None) -> None:
    """Tell the article's readers that its own text changed (a title edited in its details):
    each redraws every region of the reader, since claims that kept their place are not
    announced one by one."""
    publish(
        article_group(article_id),
        {"event": "text", "article": article_id, "by": by.username if by else "", "at": _now()},
        key="text",
    )


def notified(user_ids) -> None:
    """Tell each person's open pages that their inbox changed."""
    for user_id in set(user_ids):
        publish(person_group(user_id), {"event": "inbox"}, key="inbox")


def roles_changed(user_ids) -> None:
    """Tell each person's open sockets, once the change commits, that their roles may have
    changed: each checks again and closes if the person no longer holds one (the consumer's
    ``dispatch``), so a person whose role is taken away hears nothing more, at once."""
    for user_id in set(user_ids):
        group = person_group(user_id)
        transaction.on_commit(lambda group=group: _hand_over([(group, {"type": "live.roles"})]))


def _connect_role_signals() -> None:
    """Every way a role is taken away: a role group removed from the person (either side of
    the relation, the admin's user page included), the person deactivated, demoted from
    superuser or deleted, a role group deleted."""
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    from annotations.models import User

    def on_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
        if not reverse and action in ("post_remove", "post_clear"):
            roles_changed([instance.pk])
        elif reverse and action == "post_remove":
            roles_changed(pk_set or ())
        elif reverse and action == "pre_clear":
            roles_changed(instance.user_set.values_list("pk", flat=True))

    def on_user_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
        # A sign-in saves last_login only: that changes no role.
        if created or raw or (update_fields and not {"is_active", "is_superuser"} & update_fields):
            return
        roles_changed([instance.pk])

    def on_user_deleted(sender, instance, **kwargs):
        roles_changed([instance.pk])

    def on_group_deleted(sender, instance, **kwargs):
        roles_changed(instance.user_set.values_list("pk", flat=True))

    m2m_changed.connect(
        on_groups_changed, sender=User.groups.through, weak=False, dispatch_uid="live-groups"
    )
    post_save.connect(on_user_saved, sender=User, weak=False, dispatch_uid="live-user-saved")
    post_delete.connect(on_user_deleted, sender=User, weak=False, dispatch_uid="live-user-deleted")
    pre_delete.connect(
        on_group_deleted, sender=Group, weak=False, dispatch_uid="live-group-deleted"
    )


def connect_signals() -> None:
    """Every path that saves or deletes a claim (the reader, bulk actions, imports, the admin)
    announces it; a comment changes its claim's panel; a role taken away closes the person's
    sockets."""
    from django.db.models.signals import post_delete, post_save

    from annotations.models import Claim, Comment

    _connect_role_signals()

    def on_claim_saved(sender, instance, created, raw=False, **kwargs):
        if not raw:
            claim_changed(instance, "created" if created else "changed", _author(instance))

    def on_claim_deleted(sender, instance, **kwargs):
        claim_changed(instance, "deleted", _author(instance))

    def on_comment_saved(sender, instance, created, raw=False, **kwargs):
        if created and not raw:
            claim = instance.claim
            event = claim_event(claim, "discussed", instance.author)
            publish(article_group(claim.article_id), event, key=f"comment-{claim.pk}")

    # Strong references: the receivers are local functions, which a weak reference would let the
    # garbage collector take (the warm-up's collection did, silencing every live update).
    post_save.connect(on_claim_saved, sender=Claim, weak=False, dispatch_uid="live-claim-saved")
    post_delete.connect(
        on_claim_deleted, sender=Claim, weak=False, dispatch_uid="live-claim-deleted"
    )
    post_save.connect(
        on_comment_saved, sender=Comment, weak=False, dispatch_uid="live-comment-saved"
    )


def _author(instance):
    # The workflow methods name who acts for the history (``_history_user``).
    return getattr(instance, "_history_user", None)
