"""The live WebSocket (``/live/``): who may open it, what a subscription lets through, the events
a change sends, presence; and the reader's live fragments (``article-live``)."""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from django.urls import reverse

from annotations import live, presence
from annotations.models import Claim, Role
from factcheck.asgi import application
from tests.factories import (
    ArticleFactory,
    CitationFactory,
    ClaimFactory,
    UserFactory,
    VerdictFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """Channels closes stale connections around each database call, as a server should; here
    the connection holds the test's transaction (on PostgreSQL closing it would end the test's
    data), as Django's test client keeps it across requests."""
    import channels.db

    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)


def signed_in(user) -> str:
    """The session cookie of ``user``'s browser ("" for someone signed out)."""
    if user is None:
        return ""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def socket_for(session: str, origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    """A WebSocket opened by a browser with that session cookie, from a page of ``origin``."""
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, "/live/", headers=headers)


def committed(function, *args, **kwargs):
    """Run a change as a request would, its on-commit announcements included (the test's own
    transaction never commits)."""
    from django.test import TestCase

    def run():
        with TestCase.captureOnCommitCallbacks(execute=True):
            return function(*args, **kwargs)

    return database_sync_to_async(run)()


async def opened(session: str, *, article=None):
    """A page's socket, subscribed to ``article`` and told who else is there."""
    socket = socket_for(session)
    connected, _ = await socket.connect()
    assert connected
    assert await socket.receive_json_from() == {"event": "ready"}
    if article is not None:
        await socket.send_json_to({"action": "subscribe", "topic": "article", "article": article})
        assert (await socket.receive_json_from())["event"] == "subscribed"
        told = await socket.receive_json_from()
        assert told["event"] == "presence"
        socket.people_on_arrival = told["people"]
    return socket


async def presence_heard(socket, wanted, timeout: float = 3) -> list:
    """The first roster ``socket`` is sent for which ``wanted(people)`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event = await socket.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        if event["event"] == "presence" and wanted(event["people"]):
            return event["people"]


@pytest.mark.parametrize(
    ("role", "opens"),
    [
        ("anonymous", False),
        ("no_role", False),
        (Role.REVIEWER, True),
        (Role.EDITOR, True),
        (Role.ADMIN, True),
    ],
)
def test_the_live_socket_opens_only_for_people_with_a_role(role, opens):
    user = None if role == "anonymous" else UserFactory(role=None if role == "no_role" else role)
    session = signed_in(user)

    async def attempt():
        socket = socket_for(session)
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    connected, code = async_to_sync(attempt)()
    assert connected is opens
    if not opens:
        assert code == (4401 if role == "anonymous" else 4403)


def test_a_page_of_another_origin_cannot_open_the_socket(reviewer):
    session = signed_in(reviewer)

    async def attempt():
        socket = socket_for(session, origin=b"https://evil.example")
        connected, _ = await socket.connect()
        await socket.disconnect()
        return connected

    assert async_to_sync(attempt)() is False


def test_a_reader_hears_who_changed_which_claim(reviewer, editor):
    claim = ClaimFactory()

    rita_session = signed_in(reviewer)

    async def scenario():
        socket = await opened(rita_session, article=claim.article_id)
        await committed(claim.edit, by=editor, version=claim.version, statement="Now checked")
        event = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return event

    event = async_to_sync(scenario)()
    assert event["event"] == "claim"
    assert event["kind"] == "changed"
    assert (event["claim"], event["article"], event["by"]) == (claim.pk, claim.article_id, "edith")
    assert (event["start"], event["end"]) == (claim.start, claim.end)
    assert "Now checked" not in str(event)  # events carry no content: pages fetch it


def test_an_approval_is_heard_by_the_dashboard_and_the_proposer_inbox(reviewer, editor):
    claim = ClaimFactory(assignee=reviewer)
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=VerdictFactory())

    rita_session = signed_in(reviewer)

    async def scenario():
        socket = await opened(rita_session)
        await socket.send_json_to({"action": "subscribe", "topic": "dashboard"})
        assert (await socket.receive_json_from())["topic"] == "dashboard"
        await committed(claim.approve, by=editor, version=claim.version)
        events = [await socket.receive_json_from(timeout=2) for _ in range(2)]
        await socket.disconnect()
        return events

    events = async_to_sync(scenario)()
    assert {"event": "inbox"} in events
    assert {"event": "article", "article": claim.article_id} in [
        {key: e.get(key) for key in ("event", "article")} for e in events
    ]


def test_a_forged_subscription_gets_nothing(reviewer, editor):
    claim = ClaimFactory()

    rita_session = signed_in(reviewer)

    async def scenario():
        socket = await opened(rita_session)
        for forged in (
            {"action": "subscribe", "topic": "article", "article": 10**12},
            {"action": "subscribe", "topic": "article", "article": str(claim.article_id)},
            {"action": "subscribe", "topic": "person", "article": editor.pk},
        ):
            await socket.send_json_to(forged)
            assert (await socket.receive_json_from())["event"] == "refused"
        await committed(claim.edit, by=editor, version=claim.version, statement="Elsewhere")
        nothing = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return nothing

    assert async_to_sync(scenario)() is True


def test_a_thousand_saves_in_one_transaction_send_one_event(reviewer, editor):
    claim = ClaimFactory()

    def burst():
        with transaction.atomic():
            for number in range(1000):
                claim.statement = f"Draft {number}"
                claim._history_user = editor
                claim.save()

    rita_session = signed_in(reviewer)

    async def scenario():
        socket = await opened(rita_session, article=claim.article_id)
        await committed(burst)
        first = await socket.receive_json_from(timeout=2)
        nothing = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return first, nothing

    first, nothing = async_to_sync(scenario)()
    assert first["claim"] == claim.pk
    assert nothing is True


def test_presence_arrives_follows_the_open_claim_and_goes(reviewer, editor):
    claim = ClaimFactory()
    article = claim.article_id

    rita_session = signed_in(reviewer)
    edith_session = signed_in(editor)

    async def scenario():
        rita = await opened(rita_session, article=article)
        edith = await opened(edith_session, article=article)
        # Each learns of the other: edith at once, rita in the next roster the server sends.
        heard_by_edith = edith.people_on_arrival
        heard_by_rita = await presence_heard(rita, bool)
        await edith.send_json_to(
            {"action": "presence", "article": article, "claim": claim.pk, "editing": True}
        )
        typing = await presence_heard(rita, lambda people: people and people[0]["editing"])
        await edith.disconnect()
        gone = await presence_heard(rita, lambda people: not people)
        await rita.disconnect()
        return heard_by_rita, heard_by_edith, typing, gone

    heard_by_rita, heard_by_edith, typing, gone = async_to_sync(scenario)()
    assert heard_by_rita == [{"user": "edith", "claim": None, "editing": False}]
    assert heard_by_edith == [{"user": "rita", "claim": None, "editing": False}]
    assert typing == [{"user": "edith", "claim": claim.pk, "editing": True}]
    assert gone == []


def test_readers_arriving_together_all_hear_the_next_change(settings, reviewer, editor):
    """Pages that open an article at once must not flood each other's queues: with presence
    answered page by page, a burst of arrivals overflowed a page's channel and the page that
    answered lost its socket (38 of 400 deliveries lost in the two-server load test)."""
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 3}}
    }
    claim = ClaimFactory()
    sessions = [signed_in(UserFactory(role=Role.REVIEWER)) for _ in range(8)]

    async def scenario():
        pages = []
        for session in sessions:
            page = await opened(session)
            await page.send_json_to(
                {"action": "subscribe", "topic": "article", "article": claim.article_id}
            )
            pages.append(page)
        await asyncio.sleep(0.5)  # every page subscribed and told who is there
        await committed(claim.edit, by=editor, version=claim.version, statement="Seen by all")
        heard = []
        for page in pages:
            event = await page.receive_json_from(timeout=3)
            while event["event"] != "claim":  # subscribed, who is there
                event = await page.receive_json_from(timeout=3)
            heard.append((event["event"], event["claim"]))
            await page.disconnect()
        return heard

    assert async_to_sync(scenario)() == [("claim", claim.pk)] * 8


def test_arrivals_cost_a_few_roster_broadcasts_not_a_greeting_per_pair(
    monkeypatch, reviewer, editor
):
    """Ten readers arriving on one article: the server tells them the roster a couple of
    times (coalesced), instead of each page answering each newcomer (10 × 9 / 2 answers)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    carried = []  # the messages pages and servers sent (a group's is one, as in Redis)
    fanning_out = []
    send, group_send = layer.send, layer.group_send

    async def counted_send(channel, message):
        if not fanning_out and message["type"] != "live.event":
            carried.append(message["type"])
        await send(channel, message)

    async def counted_group_send(group, message):
        if message["type"] != "live.event":
            carried.append(message["type"])
        fanning_out.append(group)
        try:
            await group_send(group, message)
        finally:
            fanning_out.pop()

    monkeypatch.setattr(layer, "send", counted_send)
    monkeypatch.setattr(layer, "group_send", counted_group_send)
    claim = ClaimFactory()
    sessions = [
        signed_in(UserFactory(username=f"reader{n}", role=Role.REVIEWER)) for n in range(10)
    ]

    async def scenario():
        loop = asyncio.get_running_loop()
        started = loop.time()
        pages = [await opened(session, article=claim.article_id) for session in sessions]
        everyone = await presence_heard(pages[0], lambda people: len(people) == 9)
        took, messages = loop.time() - started, list(carried)
        for page in pages:
            await page.disconnect()
        return everyone, took, messages

    everyone, took, messages = async_to_sync(scenario)()
    assert [entry["user"] for entry in everyone] == [f"reader{n}" for n in range(1, 10)]
    # A roster at the first arrival, then at most one a second however many arrive meanwhile.
    assert set(messages) == {"live.roster"}
    assert len(messages) <= 2 + took / presence.BROADCAST_INTERVAL, (len(messages), took)


def test_a_burst_of_a_thousand_changes_reaches_a_page_as_the_latest_of_each_claim(reviewer):
    """A thousand changes of ten claims in a second, each in its own transaction: the page is
    sent each claim's latest change a few times, not a thousand events."""
    from channels.layers import get_channel_layer

    from annotations import live

    claim = ClaimFactory()
    session = signed_in(reviewer)

    async def scenario():
        page = await opened(session, article=claim.article_id)
        layer = get_channel_layer()
        group = live.article_group(claim.article_id)
        for number in range(1000):
            event = live.claim_event(claim, "changed") | {"claim": number % 10, "version": number}
            await layer.group_send(group, {"type": "live.event", "event": event})
            if number % 10 == 9:
                await asyncio.sleep(0.01)  # a thousand in about a second
        received = []
        while not await page.receive_nothing(timeout=0.5):
            received.append(await page.receive_json_from())
        await page.disconnect()
        return received

    received = async_to_sync(scenario)()
    latest = {}
    for event in received:
        latest[event["claim"]] = event["version"]
    assert latest == {claim_number: 990 + claim_number for claim_number in range(10)}
    assert len(received) <= 100


def test_a_page_whose_server_stopped_renewing_it_leaves_the_roster(monkeypatch):
    """A server that died says no goodbye: its pages' entries expire and the next renewal of
    the article by a live server tells the readers the roster without them."""
    rosters = presence.MemoryRosters()
    now = [1000.0]
    monkeypatch.setattr(presence.time, "time", lambda: now[0])
    entry = {"user": "edith", "claim": None, "editing": False}

    async def scenario():
        await rosters.put(7, {"page-on-dead-server": entry, "page-here": entry | {"user": "rita"}})
        before = await rosters.read(7)
        now[0] += presence.ENTRY_TTL_SECONDS - 1
        await rosters.put(7, {"page-here": entry | {"user": "rita"}})  # renewed by its server
        now[0] += 2
        return before, await rosters.read(7)

    before, after = async_to_sync(scenario)()
    assert set(before) == {"page-on-dead-server", "page-here"}
    assert after == {"page-here": entry | {"user": "rita"}}


def test_presence_is_not_told_of_an_article_not_subscribed(reviewer, editor):
    article = ArticleFactory().pk

    rita_session = signed_in(reviewer)
    edith_session = signed_in(editor)

    async def scenario():
        rita = await opened(rita_session)
        edith = await opened(edith_session, article=article)
        await rita.send_json_to({"action": "presence", "article": article, "claim": None})
        rita_hears = await rita.receive_nothing(timeout=0.3)
        edith_hears = await edith.receive_nothing(timeout=0.3)
        await rita.disconnect()
        await edith.disconnect()
        return rita_hears, edith_hears

    assert async_to_sync(scenario)() == (True, True)


# --- The reader's live fragments --------------------------------------------------------------


def test_live_fragments_redraw_a_changed_claim_out_of_band(client, reviewer, editor):
    claim = ClaimFactory(statement="Fares fell")
    Claim.objects.filter(pk=claim.pk).update(state=Claim.State.APPROVED)
    client.force_login(reviewer)
    url = reverse("annotations:article-live", args=[claim.article_id])
    query = {"claim": claim.pk, "kind": "changed", "part": "body"} | {
        "start": claim.start,
        "end": claim.end,
    }
    html = client.get(url, query).content.decode()
    assert "<html" not in html
    assert f'id="claim-item-{claim.pk}" class="claim-item state-approved' in html
    assert 'hx-swap-oob="true"' in html
    assert "hx-swap-oob=\"innerHTML:#article-body > p[data-s='0']\"" in html


def test_live_fragments_add_a_claim_created_elsewhere(client, reviewer):
    first = ClaimFactory()
    body = first.article.body
    start = body.index("\n\n") + 2
    second = ClaimFactory(article=first.article, start=start, end=start + 10)
    client.force_login(reviewer)
    url = reverse("annotations:article-live", args=[first.article_id])
    query = {"claim": second.pk, "kind": "created", "part": "body"} | {
        "start": second.start,
        "end": second.end,
    }
    html = client.get(url, query, headers={"X-Claim-Count": "1"}).content.decode()
    assert f'<div hx-swap-oob="beforeend:#claim-rows"><a id="claim-item-{second.pk}"' in html
    assert '<span id="claim-count" class="count" hx-swap-oob="true">2</span>' in html


def test_live_fragments_without_a_change_redraw_the_whole_list_and_body(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    url = reverse("annotations:article-live", args=[claim.article_id])
    html = client.get(url, {"claim": "x", "kind": "changed"}).content.decode()
    assert '<section id="claim-list" class="claim-list" hx-swap-oob="true">' in html
    assert 'id="article-body"' in html and f"claim-item-{claim.pk}" in html


def test_the_reader_page_names_its_live_article(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-detail", args=[claim.article_id])).content
    assert f'data-live-article="{claim.article_id}"'.encode() in html
    assert b"annotations/live.js" in html


def test_the_changed_notice_shows_the_newer_values_and_who(client, reviewer, editor):
    claim = ClaimFactory()
    claim.edit(by=editor, version=claim.version, statement="Buses carried 13 million")
    client.force_login(reviewer)
    response = client.get(
        reverse("annotations:claim-detail", args=[claim.article_id, claim.pk]),
        headers={"HX-Request": "true", "HX-Target": "claim-live-notice"},
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "Changed by edith at" in html
    assert "Buses carried 13 million" in html
    assert "What you typed is kept" in html


# --- Headline and standfirst claims made by another person -------------------------------------

HEADLINE = "300,000 predators on the prowl, police warn"
STANDFIRST = "Specialists say the figure counts every registered offender since 1997."


def live_fragments(client, claim, kind, *, part, shown):
    url = reverse("annotations:article-live", args=[claim.article_id])
    query = {"claim": claim.pk, "kind": kind, "part": part, "start": claim.start, "end": claim.end}
    return client.get(url, query, headers={"X-Claim-Count": str(shown)}).content.decode()


def test_a_headline_claim_event_names_its_part(reviewer, editor):
    article = ArticleFactory(title=HEADLINE)
    rita_session = signed_in(reviewer)

    async def scenario():
        socket = await opened(rita_session, article=article.pk)
        await committed(ClaimFactory, article=article, part="headline", start=8, end=17)
        event = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return event

    event = async_to_sync(scenario)()
    assert (event["kind"], event["part"], event["start"], event["end"]) == (
        "created",
        "headline",
        8,
        17,
    )


def test_a_headline_claim_created_elsewhere_is_highlighted_and_listed(client, reviewer):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    body_claim = ClaimFactory(article=article, start=0, end=4)
    headline_claim = ClaimFactory(article=article, part="headline", start=8, end=17)
    client.force_login(reviewer)
    html = live_fragments(client, headline_claim, "created", part="headline", shown=1)
    assert "None" not in html
    assert '<div hx-swap-oob="innerHTML:#article-headline">' in html
    assert f'data-claims="{headline_claim.pk}" data-s="8">predators</mark>' in html
    # In reading order the headline comes before the body: its row goes first.
    assert (
        f'<div hx-swap-oob="beforebegin:#claim-item-{body_claim.pk}">'
        f'<a id="claim-item-{headline_claim.pk}"' in html
    )
    assert '<span id="claim-count" class="count" hx-swap-oob="true">2</span>' in html
    assert "#article-body > p" not in html  # the body is not touched


def test_a_standfirst_claim_changed_elsewhere_redraws_the_standfirst(client, reviewer):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    claim = ClaimFactory(article=article, part="standfirst", start=0, end=11)
    client.force_login(reviewer)
    html = live_fragments(client, claim, "changed", part="standfirst", shown=1)
    assert '<div hx-swap-oob="innerHTML:#article-standfirst">' in html
    assert f'data-claims="{claim.pk}" data-s="0">Specialists</mark>' in html
    assert f'id="claim-item-{claim.pk}"' in html


def test_a_headline_claim_deleted_elsewhere_loses_its_highlight_and_row(client, reviewer):
    article = ArticleFactory(title=HEADLINE)
    ClaimFactory(article=article, start=0, end=4)
    headline_claim = ClaimFactory(article=article, part="headline", start=8, end=17)
    Claim.objects.filter(pk=headline_claim.pk).delete()
    client.force_login(reviewer)
    html = live_fragments(client, headline_claim, "deleted", part="headline", shown=2)
    assert '<div hx-swap-oob="innerHTML:#article-headline">' in html
    assert "<mark" not in html and "predators on the prowl" in html
    assert f'<div id="claim-item-{headline_claim.pk}" hx-swap-oob="delete"></div>' in html
    assert '<span id="claim-count" class="count" hx-swap-oob="true">1</span>' in html


def test_a_claim_created_and_deleted_before_the_reader_asks_adds_no_row(client, reviewer):
    article = ArticleFactory(title=HEADLINE)
    ClaimFactory(article=article, start=0, end=4)
    gone = ClaimFactory(article=article, part="headline", start=8, end=17)
    Claim.objects.filter(pk=gone.pk).delete()
    ClaimFactory(article=article, part="headline", start=0, end=7)
    client.force_login(reviewer)
    # The reader shows one claim; two are there once this creation and the next one are drawn.
    html = live_fragments(client, gone, "created", part="headline", shown=1)
    assert "None" not in html
    assert f"claim-item-{gone.pk}" not in html
    assert '<div hx-swap-oob="innerHTML:#article-headline">' in html
    assert f'data-claims="{gone.pk}"' not in html and "300,000</mark>" in html


@pytest.mark.parametrize("part", ["", "footer"])
def test_a_change_of_no_known_part_redraws_every_region(client, reviewer, part):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    claim = ClaimFactory(article=article, part="headline", start=8, end=17)
    client.force_login(reviewer)
    html = live_fragments(client, claim, "created", part=part, shown=0)
    assert '<section id="claim-list" class="claim-list" hx-swap-oob="true">' in html
    assert (
        '<span id="article-headline" class="article-part" data-part="headline" hx-swap-oob' in html
    )
    assert '<p id="article-standfirst" class="standfirst article-part"' in html
    assert f'data-claims="{claim.pk}" data-s="8">predators</mark>' in html


def test_the_reconnect_redraw_includes_the_headline_and_standfirst(client, reviewer):
    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST)
    headline_claim = ClaimFactory(article=article, part="headline", start=8, end=17)
    standfirst_claim = ClaimFactory(article=article, part="standfirst", start=0, end=11)
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-live", args=[article.pk])).content.decode()
    assert 'id="article-headline"' in html and 'id="article-standfirst"' in html
    assert 'id="article-body"' in html
    assert f'data-claims="{headline_claim.pk}" data-s="8">predators</mark>' in html
    assert f'data-claims="{standfirst_claim.pk}" data-s="0">Specialists</mark>' in html


def test_a_title_edited_elsewhere_tells_readers_to_redraw(reviewer, editor):
    article = ArticleFactory(title=HEADLINE)
    rita_session = signed_in(reviewer)

    async def scenario():
        socket = await opened(rita_session, article=article.pk)
        await committed(
            article.edit_details,
            title="Police warn: 300,000 predators in the county",
            by=editor,
            version=article.version,
        )
        event = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return event

    event = async_to_sync(scenario)()
    assert (event["event"], event["article"], event["by"]) == ("text", article.pk, "edith")


def test_a_family_formed_elsewhere_is_heard_by_the_readers_of_both_claims(reviewer, editor):
    """Linking two claims of different articles saves neither claim: without its own event a
    panel open on either claim went on showing no family until reloaded."""
    from annotations.models import ClaimFamily

    mine, theirs = ClaimFactory(), ClaimFactory()
    assert mine.article_id != theirs.article_id
    rita_session = signed_in(reviewer)

    async def scenario():
        on_mine = await opened(rita_session, article=mine.article_id)
        on_theirs = await opened(rita_session, article=theirs.article_id)
        await committed(ClaimFamily.confirm, theirs, mine, by=editor, seen=(None,) * 4)
        heard = [
            await on_mine.receive_json_from(timeout=2),
            await on_theirs.receive_json_from(timeout=2),
        ]
        await on_mine.disconnect()
        await on_theirs.disconnect()
        return heard

    heard_on_mine, heard_on_theirs = async_to_sync(scenario)()
    family = ClaimFamily.objects.get()
    for heard, claim in ((heard_on_mine, mine), (heard_on_theirs, theirs)):
        assert (heard["event"], heard["article"], heard["claims"]) == (
            "family",
            claim.article_id,
            [claim.pk],
        )
        assert (heard["family"], heard["by"], heard["by_id"]) == (family.pk, "edith", editor.pk)


def _heard_on_the_layer(monkeypatch, *, failing=(), stalling=()):
    """What the channel layer is asked to send: (group, event number, loop, thread); the
    numbers in ``failing`` make the layer fail, as Redis down would, those in ``stalling``
    never come back, as a Redis that stopped answering."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    heard = []

    async def group_send(group, message):
        number = message["event"]["n"]
        if number in failing:
            raise ConnectionError("the layer is down")
        if number in stalling:
            await asyncio.Event().wait()
        heard.append((group, number, asyncio.get_running_loop(), threading.get_ident()))

    monkeypatch.setattr(layer, "group_send", group_send)
    return heard


def test_announcements_outside_an_event_loop_are_sent_in_order_on_one_loop(monkeypatch):
    """A change saved outside any server (the test client, a WSGI server, a job, a command)
    is handed to one loop of the process's own, in order, without a thread and a loop made
    for each announcement (async_to_sync made both)."""
    heard = _heard_on_the_layer(monkeypatch)
    live.send_now("article-1", {"n": 0})
    assert live.wait_until_sent()
    threads = threading.active_count()
    for n in range(1, 20):
        live.send_now(f"article-{n % 3}", {"n": n})
    assert live.wait_until_sent()

    assert [n for _, n, _, _ in heard] == list(range(20))
    assert [group for group, *_ in heard][:4] == [
        "article-1",
        "article-1",
        "article-2",
        "article-0",
    ]
    assert len({loop for _, _, loop, _ in heard}) == 1
    assert {thread for *_, thread in heard} != {threading.get_ident()}
    assert threading.active_count() == threads


def test_an_announcement_the_layer_refuses_costs_only_itself(monkeypatch, caplog):
    heard = _heard_on_the_layer(monkeypatch, failing={1})
    for n in range(3):
        live.send_now("article-1", {"n": n})
    assert live.wait_until_sent()

    assert [n for _, n, _, _ in heard] == [0, 2]
    assert "Live update to article-1 not sent" in caplog.text


def test_an_announcement_the_layer_never_answers_does_not_hold_back_the_next(monkeypatch, caplog):
    monkeypatch.setattr(live, "SEND_TIMEOUT", 0.2)
    heard = _heard_on_the_layer(monkeypatch, stalling={0})
    for n in range(2):
        live.send_now("article-1", {"n": n})
    assert live.wait_until_sent(timeout=5)

    assert [n for _, n, _, _ in heard] == [1]
    assert "Live update to article-1 not sent" in caplog.text


def test_a_change_saved_in_a_servers_thread_is_announced_on_the_servers_loop(monkeypatch):
    """A view runs in a thread of the server (Uvicorn, Daphne): its announcements are sent on
    the loop serving the live sockets, where the in-memory layer's consumers live."""
    heard = _heard_on_the_layer(monkeypatch)

    async def scenario():
        socket = socket_for("")  # any connection names the serving loop
        await socket.connect()
        await database_sync_to_async(live.send_now)("article-1", {"n": 7})
        for _ in range(100):
            if heard:
                break
            await asyncio.sleep(0.01)
        return asyncio.get_running_loop()

    serving_loop = async_to_sync(scenario)()
    assert [(n, loop) for _, n, loop, _ in heard] == [(7, serving_loop)]


# --- Events belong to their transaction ---------------------------------------------------------


class Event(dict):
    """An event a test can hold weakly, to see that nothing keeps it."""


class Rollback(Exception):
    pass


def heard_numbers(heard) -> list[int]:
    assert live.wait_until_sent()
    return [n for _, n, _, _ in heard]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transactions_events_are_never_sent_nor_kept(monkeypatch):
    import gc
    import weakref

    heard = _heard_on_the_layer(monkeypatch)
    rolled_back = [Event(n=1), Event(n=2)]
    kept = [weakref.ref(event) for event in rolled_back]
    with pytest.raises(Rollback), transaction.atomic():
        live.publish("article-1", rolled_back[0], key="claim-7")
        live.publish("article-1", rolled_back[1])
        raise Rollback
    del rolled_back
    gc.collect()
    # A worker thread that lives for days does not keep what it rolled back.
    assert [reference() for reference in kept] == [None, None]

    with transaction.atomic():  # the next transaction in the same thread
        live.publish("article-1", {"n": 3})
        live.publish("article-2", {"n": 4}, key="claim-7")
    assert heard_numbers(heard) == [3, 4]


@pytest.mark.django_db(transaction=True)
def test_an_inner_block_rolled_back_sends_none_of_its_events_and_the_outer_its_own_once(
    monkeypatch,
):
    heard = _heard_on_the_layer(monkeypatch)
    with transaction.atomic():
        live.publish("article-1", {"n": 1}, key="claim-7")
        live.publish("article-1", {"n": 2})
        with pytest.raises(Rollback), transaction.atomic():
            live.publish("article-1", {"n": 3}, key="claim-7")  # would replace 1
            live.publish("article-1", {"n": 4})
            live.publish("article-1", {"n": 5}, key="claim-8")
            raise Rollback
        live.publish("article-1", {"n": 6})
    assert heard_numbers(heard) == [1, 2, 6]
    # Nothing of it is left to the next transaction.
    with transaction.atomic():
        live.publish("article-1", {"n": 7}, key="claim-9")
    assert heard_numbers(heard) == [1, 2, 6, 7]


@pytest.mark.django_db(transaction=True)
def test_events_of_one_key_are_sent_once_the_last_that_committed(monkeypatch):
    heard = _heard_on_the_layer(monkeypatch)
    with transaction.atomic():
        live.publish("article-1", {"n": 1}, key="claim-7")
        with transaction.atomic():  # released: its event counts
            live.publish("article-1", {"n": 2}, key="claim-7")
            live.publish("article-2", {"n": 3}, key="claim-7")  # another group: its own
        live.publish("article-1", {"n": 4})
        with pytest.raises(Rollback), transaction.atomic():
            live.publish("article-1", {"n": 5}, key="claim-7")
            raise Rollback
        for n in range(6, 10):
            live.publish_together([("article-3", {"n": n}, "claim-9")] * 2)
    assert heard_numbers(heard) == [2, 3, 4, 9]


# --- Couriers -----------------------------------------------------------------------------------


def test_a_closed_loop_that_is_dropped_is_freed_with_its_courier(monkeypatch):
    import gc
    import weakref

    heard = _heard_on_the_layer(monkeypatch)

    async def announce():
        live.send_now("article-1", {"n": 1})  # on this loop, the caller's
        await asyncio.sleep(0)
        await live._courier(asyncio.get_running_loop()).sent()

    loop = asyncio.new_event_loop()
    loop.run_until_complete(announce())
    loop.close()
    assert [(n, sent_on) for _, n, sent_on, _ in heard] == [(1, loop)]
    freed = weakref.ref(loop), weakref.ref(live._couriers[loop])
    heard.clear()
    del loop
    gc.collect()
    assert [reference() for reference in freed] == [None, None]
