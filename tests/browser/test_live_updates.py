"""Working together live, in two real browsers (a reviewer's and an editor's) on the ASGI
application: changes drawn in the other's reader without reload, the typing reviewer's text
kept under a "changed by" notice, presence, a mention reaching the inbox."""

import asyncio
import re
import socket
import threading
import time

import pytest
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from annotations.models import Claim, FamilyMembership, Role
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 — the same browser set-up
from tests.browser.test_reviewer_flow import BODY, add_claim
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def asgi_server(transactional_db):
    """The ASGI application (pages and the live WebSocket) under Uvicorn in a thread of this
    process: pytest-django's live server speaks WSGI only. Its threads open their own
    connections to the test database (a file, see tests/conftest.py)."""
    import uvicorn

    from factcheck.asgi import application

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)

    def serve():
        asyncio.run(server.serve(sockets=[listener]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def people():
    return {
        "rita": UserFactory(username="rita", role=Role.REVIEWER),
        "raj": UserFactory(username="raj", role=Role.REVIEWER),
        "edith": UserFactory(username="edith", role=Role.EDITOR),
    }


@pytest.fixture
def two_browsers(browser, asgi_server, sign_in, people):
    """A page of the reviewer's browser and one of the editor's, each signed in."""
    pages = {}
    contexts = []
    for name in ("rita", "edith"):
        context = browser.new_context(base_url=asgi_server, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, people[name])
        pages[name] = page
    yield pages
    for context in contexts:
        context.close()


def open_reader(page, article, claim=None):
    page.goto(f"/articles/{article.pk}/" + (f"claims/{claim.pk}/" if claim else ""))
    page.locator("html[data-live='subscribed-article']").wait_for(state="attached")


def test_changes_by_the_editor_are_drawn_in_the_reviewers_open_reader(two_browsers, people):
    article = ArticleFactory(title="Eastport buses", body=BODY)
    claim = ClaimFactory(article=article, start=0, end=6, statement="Riders")
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    from tests.factories import VerdictFactory

    claim.propose_verdict(by=people["raj"], version=claim.version, verdict=VerdictFactory())
    rita, edith = two_browsers["rita"], two_browsers["edith"]
    open_reader(rita, article)
    headline_top = "document.getElementById('article-title').getBoundingClientRect().top"
    alone = rita.evaluate(headline_top)
    open_reader(edith, article, claim)

    # Presence: each sees the other on the article. Its line takes the place kept for it: the
    # headline and the text under a reader's mouse do not move as it appears.
    rita.locator("#presence", has_text="edith").wait_for()
    edith.locator("#presence", has_text="rita").wait_for()
    assert rita.evaluate(headline_top) == alone

    # The editor approves: the reviewer's row turns approved without a reload.
    row = rita.locator(f"#claim-item-{claim.pk}")
    assert "is-needs_review" in row.get_attribute("class")
    rita.evaluate("window.__notReloaded = true")
    edith.get_by_role("button", name="Approve verdict").click()
    rita.locator(f"#claim-item-{claim.pk}.is-approved").wait_for()
    assert rita.evaluate("window.__notReloaded") is True

    # A claim the editor creates appears in the reviewer's reader, highlight and row.
    made = add_claim(edith, "12.4 million passengers", "The fleet carried 12.4 million")
    rita.locator(f"#claim-item-{made.pk}").wait_for()
    rita.locator(f"#article-body mark[data-claims~='{made.pk}']").first.wait_for()
    assert rita.locator("#claim-count").inner_text() == "2"

    # The editor closes the page: the reviewer no longer sees them within seconds.
    edith.close()
    rita.locator("#presence").wait_for(state="hidden", timeout=5_000)
    assert rita.evaluate(headline_top) == alone


def test_the_typing_reviewer_keeps_their_text_under_a_changed_by_notice(two_browsers, people):
    article = ArticleFactory(title="Eastport buses", body=BODY)
    claim = ClaimFactory(article=article, start=0, end=6, statement="Riders")
    rita, edith = two_browsers["rita"], two_browsers["edith"]
    open_reader(rita, article, claim)
    open_reader(edith, article, claim)

    # Presence in the claim's panel: the editor sees that the reviewer is editing it.
    field = rita.locator("#claim-panel").get_by_label("Checkable statement")
    field.fill("Riders on the network, as the reviewer words it")
    edith.locator("#claim-presence", has_text="rita is editing this claim").wait_for()

    edith_panel = edith.locator("#claim-panel")
    edith_panel.get_by_label("Checkable statement").fill("Riders, as the editor words it")
    edith_panel.get_by_role("button", name="Save", exact=True).click()
    edith.wait_for_selector("#claim-panel .alert.success")

    notice = rita.locator("#claim-live-notice")
    notice.get_by_text("Changed by edith at").wait_for()
    assert field.input_value() == "Riders on the network, as the reviewer words it"
    notice.get_by_text("see what changed").click()
    notice.get_by_text("Riders, as the editor words it").wait_for()

    # A mention in the editor's comment reaches the reviewer's inbox badge, live.
    comment = edith_panel.get_by_label("Add a comment")
    comment.press_sequentially("Please look @ri")
    edith.locator("#mention-list [data-username=rita]").wait_for()
    comment.press("Enter")
    assert comment.input_value() == "Please look @rita "
    comment.press_sequentially("at the 2023 table")
    edith_panel.get_by_role("button", name="Comment").click()
    edith.wait_for_selector("#claim-panel .alert.success")
    rita.locator("#inbox-badge .unread-count", has_text="1").wait_for()
    assert Claim.objects.get(pk=claim.pk).comments.get().body == (
        "Please look @rita at the 2023 table"
    )


def test_a_panel_nobody_types_in_is_redrawn_and_says_who_changed_it(two_browsers, people):
    """The reviewer's open panel, untouched, takes the editor's new wording and says so; the
    notice was written into the panel about to be replaced (htmx resolved the queued request at
    once) and never seen."""
    article = ArticleFactory(title="Eastport buses", body=BODY)
    claim = ClaimFactory(article=article, start=0, end=6, statement="Riders")
    rita, edith = two_browsers["rita"], two_browsers["edith"]
    open_reader(rita, article, claim)
    open_reader(edith, article, claim)

    edith_panel = edith.locator("#claim-panel")
    edith_panel.get_by_label("Checkable statement").fill("Riders, as the editor words it")
    edith_panel.get_by_role("button", name="Save", exact=True).click()
    edith.wait_for_selector("#claim-panel .alert.success")

    field = rita.locator("#claim-panel").get_by_label("Checkable statement")
    rita.wait_for_function(
        "() => document.querySelector('#claim-panel textarea[name=statement]').value"
        " === 'Riders, as the editor words it'"
    )
    notice = rita.locator("#claim-live-notice")
    notice.get_by_text("Updated: changed by edith at").wait_for()
    rita.wait_for_timeout(1_000)  # nothing drawn later takes it away
    assert notice.get_by_text("Updated: changed by edith at").is_visible()
    assert field.input_value() == "Riders, as the editor words it"


def test_a_headline_claim_made_and_deleted_by_the_editor_is_drawn_for_the_reviewer(
    two_browsers, people
):
    from tests.browser.test_headline_claims import HEADLINE, STANDFIRST, claim_words

    article = ArticleFactory(title=HEADLINE, standfirst=STANDFIRST, body=BODY)
    body_claim = ClaimFactory(article=article, start=0, end=6, statement="Riders")
    rita, edith = two_browsers["rita"], two_browsers["edith"]
    open_reader(rita, article)
    open_reader(edith, article)
    rita.evaluate("window.__notReloaded = true")

    # The editor claims words of the headline: the reviewer sees them highlighted in the
    # headline and the row first in the list (reading order), with no stray text.
    made = claim_words(edith, "article-headline", "predators", "Predators are at large")
    rita.locator(f"#article-headline mark[data-claims~='{made.pk}']").wait_for()
    assert rita.locator(f"#article-headline mark[data-claims~='{made.pk}']").inner_text() == (
        "predators"
    )
    rows = rita.locator("#claim-rows [id^='claim-item-']")
    rita.locator("#claim-count", has_text="2").wait_for()
    assert [rows.nth(i).get_attribute("id") for i in range(rows.count())] == [
        f"claim-item-{made.pk}",
        f"claim-item-{body_claim.pk}",
    ]
    assert "None" not in rita.locator("#claim-list").inner_text()

    # The editor deletes it: the reviewer's headline loses the highlight and the list the row.
    edith.get_by_role("link", name="Delete this claim…").click()
    edith.get_by_role("button", name="Delete claim").click()
    edith.locator("#claim-panel .alert.success", has_text="Claim deleted").wait_for()
    rita.locator(f"#claim-item-{made.pk}").wait_for(state="detached")
    rita.locator("#article-headline mark").wait_for(state="detached")
    assert rita.locator("#article-headline").inner_text() == HEADLINE
    assert rita.locator("#claim-count").inner_text() == "1"
    assert rita.evaluate("window.__notReloaded") is True
    assert not Claim.objects.filter(pk=made.pk).exists()


class CuttableLink:
    """A page's live socket routed through the test, which can cut it (and keep it from
    reconnecting) and let it back."""

    def __init__(self, page):
        self.cut, self.open = False, []
        page.route_web_socket(re.compile(r"/live/$"), self._through)

    def _through(self, route):
        if self.cut:
            route.close(code=1001, reason="network down")
            return
        self.open.append((route, route.connect_to_server()))

    def cut_off(self):
        self.cut = True
        for page_side, server_side in self.open:
            server_side.close()
            page_side.close(code=1001, reason="network down")

    def restore(self):
        self.cut = False


def test_a_page_that_lost_its_connection_catches_up_and_says_so(two_browsers, people):
    """The reviewer's socket is dropped (and kept from reconnecting) while the editor approves
    a verdict and edits another claim: the events meanwhile are lost, so once the socket is
    back the page redraws what it shows and says it is up to date."""
    from tests.factories import VerdictFactory

    article = ArticleFactory(title="Eastport buses", body=BODY)
    proposed = ClaimFactory(article=article, start=0, end=6, statement="Riders")
    CitationFactory(claim=proposed)
    proposed.refresh_from_db()
    proposed.propose_verdict(by=people["raj"], version=proposed.version, verdict=VerdictFactory())
    other = ClaimFactory(article=article, start=7, end=13, statement="Routes")
    rita, edith = two_browsers["rita"], two_browsers["edith"]

    # The reviewer's page reaches the server through a route the test can cut.
    link = CuttableLink(rita)
    open_reader(rita, article)
    rita.evaluate("window.__notReloaded = true")
    row = rita.locator(f"#claim-item-{proposed.pk}")
    assert "is-needs_review" in row.get_attribute("class")

    link.cut_off()
    rita.locator("#live-status", has_text="Connection lost").wait_for()

    open_reader(edith, article, proposed)
    edith.get_by_role("button", name="Approve verdict").click()
    edith.wait_for_selector("#claim-panel .alert.success")
    assert Claim.objects.get(pk=proposed.pk).state == Claim.State.APPROVED
    edith.goto(f"/articles/{article.pk}/claims/{other.pk}/")
    panel = edith.locator("#claim-panel")
    panel.get_by_label("Checkable statement").fill("Routes, as the editor words it")
    panel.get_by_role("button", name="Save", exact=True).click()
    edith.wait_for_selector("#claim-panel .alert.success")
    time.sleep(0.5)  # the events of both changes are sent, to nobody on the reviewer's side
    assert "is-needs_review" in row.get_attribute("class")

    link.restore()
    rita.locator("#live-status", has_text="Reconnected at").wait_for(timeout=20_000)
    status = rita.locator("#live-status").inner_text()
    # The time as the browser's locale writes it (14:05, or 2:05 PM).
    assert re.fullmatch(r"Reconnected at \d?\d:\d\d( [AP]M)?: the page is up to date\.", status)
    assert "is-approved" in row.get_attribute("class")
    assert "Routes, as the editor words it" in rita.locator(f"#claim-item-{other.pk}").inner_text()
    assert rita.evaluate("window.__notReloaded") is True


def test_a_page_that_cannot_catch_up_after_reconnecting_says_so(two_browsers, people):
    """Reconnected, the page asks the server for what changed meanwhile; when that request
    fails, the status says the page is behind instead of staying on "reconnecting"."""
    article = ArticleFactory(title="Eastport buses", body=BODY)
    ClaimFactory(article=article, start=0, end=6, statement="Riders")
    rita = two_browsers["rita"]
    link = CuttableLink(rita)
    open_reader(rita, article)
    link.cut_off()
    rita.locator("#live-status", has_text="Connection lost").wait_for()

    rita.route(f"**/articles/{article.pk}/live/**", lambda route: route.abort())
    link.restore()
    status = rita.locator("#live-status", has_text="could not be brought up to date")
    status.wait_for(timeout=20_000)
    assert status.get_attribute("data-kind") == "stale"
    assert "reload it" in status.inner_text()


def test_a_family_formed_by_someone_else_is_drawn_in_the_open_panel(two_browsers, people):
    """The editor confirms, from their claim's panel, that the reviewer's open claim says the
    same: the reviewer's panel showed no family until reloaded. Now its related region is drawn
    again (the family, no longer the proposal) and what the reviewer is typing stays."""
    from tests.browser.test_families import SQUIRRELS, claim_in

    mine = claim_in(SQUIRRELS[0][0], people["raj"], title="Squirrels hold on")
    theirs = claim_in(SQUIRRELS[1][0], people["raj"], title="Rangers' squirrel count")
    rita, edith = two_browsers["rita"], two_browsers["edith"]
    open_reader(rita, mine.article, mine)
    rita.locator(f"#proposal-{theirs.pk}").wait_for()
    field = rita.locator("#claim-panel").get_by_label("Checkable statement")
    field.fill("Red squirrels in Northfell, as the reviewer words it")

    open_reader(edith, theirs.article, theirs)
    edith.locator(f"#proposal-{mine.pk}").get_by_role("button", name="Same claim").click()
    edith.get_by_text(f"Claim {mine.pk} joined family").wait_for()
    family = FamilyMembership.objects.get(claim=mine).family

    related = rita.locator("#claim-related")
    related.locator("a", has_text=f"family #{family.pk}").wait_for()
    assert rita.locator(f"#proposal-{theirs.pk}").count() == 0
    rita.locator("#claim-live-notice").get_by_text("its family was changed by edith").wait_for()
    assert field.input_value() == "Red squirrels in Northfell, as the reviewer words it"


def test_a_family_change_leaves_what_is_typed_in_the_related_region(two_browsers, people):
    """Typing a figure's correction in the region the family is drawn in: the region is not
    drawn again under the reviewer's hands; a notice says the family changed and by whom."""
    from tests.browser.test_families import SQUIRRELS, claim_in

    mine = claim_in(SQUIRRELS[0][0], people["raj"], title="Squirrels hold on")
    theirs = claim_in(SQUIRRELS[1][0], people["raj"], title="Rangers' squirrel count")
    rita, edith = two_browsers["rita"], two_browsers["edith"]
    open_reader(rita, mine.article, mine)
    related = rita.locator("#claim-related")
    related.locator(f"#proposal-{theirs.pk}").wait_for()
    related.get_by_text("Correct it").first.click()
    counted = related.get_by_label("Counted").first
    counted.fill("red squirrels, adults only")

    open_reader(edith, theirs.article, theirs)
    edith.locator(f"#proposal-{mine.pk}").get_by_role("button", name="Same claim").click()
    edith.get_by_text(f"Claim {mine.pk} joined family").wait_for()

    rita.locator("#claim-live-notice").get_by_text("Its family was changed by edith").wait_for()
    assert counted.input_value() == "red squirrels, adults only"
    assert related.locator(f"#proposal-{theirs.pk}").count() == 1  # not drawn again
