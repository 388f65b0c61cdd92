"""Accessibility: axe-core, served by the app's own static files (static/vendor/axe-core/, the
npm package's axe.min.js as published), checks the pages people work in and the public page,
and no serious or critical violation is allowed.

axe checks what is rendered, so each page is checked in the state a person sees it: the reader
with a text selection and its floating Add-claim button, the claim panel opened (a claim
awaiting review, seen by an editor), the new-claim form, the history page.
"""

import pytest
from django.urls import NoReverseMatch, reverse

from annotations.models import Claim, Role, Verdict
from tests.browser.test_reviewer_flow import BODY, drag_select
from tests.factories import ArticleFactory, CitationFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE_URL = "/static/vendor/axe-core/axe.min.js"
AXE_VERSION = "4.14.1"
BLOCKING = ("serious", "critical")

RUN_AXE_JS = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations", "incomplete"]});
  const summary = (v, nodes) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: nodes.slice(0, 5).map((n) => n.target.join(" ") + ": " + n.failureSummary),
  });
  // axe leaves text of one or two characters (a key hint such as "a") to be reviewed by a
  // person, even when it measured both colours: a measured ratio below the one needed fails.
  const tooFaint = results.incomplete
    .filter((v) => v.id === "color-contrast")
    .map((v) => summary(v, v.nodes.filter((n) => n.any.some((check) => {
      const data = check.data || {};
      const needed = parseFloat(data.expectedContrastRatio);
      const measured = Boolean(data.fgColor && data.bgColor && data.contrastRatio);
      return data.messageKey === "shortTextContent" && measured && data.contrastRatio < needed;
    }))))
    .filter((v) => v.nodes.length);
  return results.violations.map((v) => summary(v, v.nodes)).concat(tooFaint);
}"""


def axe_violations(page) -> list[dict]:
    """Serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    assert page.evaluate("axe.version") == AXE_VERSION
    return [v for v in page.evaluate(RUN_AXE_JS) if v["impact"] in BLOCKING]


def assert_accessible(page, where: str):
    violations = axe_violations(page)
    report = "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
    )
    assert not violations, f"{where}: axe found\n{report}"


@pytest.fixture
def people():
    return {
        "reviewer": UserFactory(username="rita", role=Role.REVIEWER),
        "editor": UserFactory(username="edith", first_name="Edith", role=Role.EDITOR),
        "second": UserFactory(username="eamon", role=Role.EDITOR),
    }


@pytest.fixture
def article(people):
    """An article with claims in every state, one of them approved with a source."""
    article = ArticleFactory(title="Eastport buses carry record numbers", body=BODY)
    reviewer, editor = people["reviewer"], people["editor"]
    accurate = Verdict.objects.get(label="Accurate")

    def claim_on(words, **fields):
        start = BODY.index(words)
        return ClaimFactory(
            article=article, start=start, end=start + len(words), created_by=reviewer, **fields
        )

    claim_on("the transit office said")
    started = claim_on("94% of buses ran on time")
    started.edit(by=reviewer, version=1, statement="94% of buses ran on time")
    awaiting = claim_on("12.4 million passengers last year")
    awaiting.propose_verdict(by=reviewer, version=1, verdict=accurate, explanation="Table 1.")
    approved = claim_on("3,000 people a day")
    CitationFactory(claim=approved)
    approved.refresh_from_db()
    approved.propose_verdict(by=reviewer, version=approved.version, verdict=accurate)
    approved.approve(by=editor, version=approved.version)
    return article


def claim_in_state(article, state) -> Claim:
    return article.claims.get(state=state)


def test_the_check_finds_what_it_is_for(page, sign_in, people, article):
    """A nameless button, an image without text and a faint one-letter hint are reported."""
    sign_in(page, people["reviewer"])
    page.goto(f"/articles/{article.pk}/")
    page.evaluate(
        """() => {
          const main = document.getElementById("main");
          main.append(document.createElement("button"));
          const image = document.createElement("img");
          image.src = "/static/none.png";
          main.append(image);
          const hint = document.createElement("kbd");
          hint.textContent = "a";
          hint.style.color = "#ffffff";  // CSSOM, allowed by the CSP
          hint.style.background = "#f4f6f9";
          main.append(hint);
        }"""
    )
    found = {v["id"] for v in axe_violations(page)}
    assert {"button-name", "image-alt", "color-contrast"} <= found, found


def test_the_dashboard_has_no_serious_accessibility_violation(page, sign_in, people, article):
    sign_in(page, people["editor"])
    page.goto("/")
    page.locator("td.col-title").first.wait_for()
    assert_accessible(page, "dashboard")


def test_the_reader_has_no_serious_accessibility_violation(page, sign_in, people, article):
    sign_in(page, people["reviewer"])
    page.goto(f"/articles/{article.pk}/")
    assert_accessible(page, "reader")
    # With words selected, the floating Add-claim button and its key hint are checked too.
    drag_select(page, "up 8% on the year before")
    page.locator("#selection-action").wait_for(state="visible")
    assert_accessible(page, "reader with a selection")


def test_the_open_claim_panel_has_no_serious_accessibility_violation(
    page, sign_in, people, article
):
    awaiting = claim_in_state(article, Claim.State.NEEDS_REVIEW)
    sign_in(page, people["editor"])
    page.goto(f"/articles/{article.pk}/")
    page.locator(f"#claim-item-{awaiting.pk}").click()
    panel = page.locator(f'#claim-panel[data-claim-id="{awaiting.pk}"]')
    # No source cited: the Approve button is disabled and says why.
    panel.locator("#approve-blocked").wait_for()
    panel.locator("details.cite > summary").click()  # the citation form, opened
    page.wait_for_load_state("networkidle")  # the panel's regions loaded after it
    assert_accessible(page, "claim panel (awaiting review, seen by an editor)")

    approved = claim_in_state(article, Claim.State.APPROVED)
    page.locator(f"#claim-item-{approved.pk}").click()
    page.locator(f'#claim-panel[data-claim-id="{approved.pk}"]').wait_for()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "claim panel (approved)")


def test_the_new_claim_form_has_no_serious_accessibility_violation(page, sign_in, people, article):
    sign_in(page, people["reviewer"])
    page.goto(f"/articles/{article.pk}/")
    drag_select(page, "up 8% on the year before")
    page.keyboard.press("a")
    page.locator("#claim-panel [data-role=category-suggestion]").wait_for()
    assert_accessible(page, "new-claim form")


def test_the_history_page_has_no_serious_accessibility_violation(page, sign_in, people, article):
    approved = claim_in_state(article, Claim.State.APPROVED)
    sign_in(page, people["editor"])
    page.goto(f"/articles/{article.pk}/claims/{approved.pk}/history/")
    assert_accessible(page, "claim history")


def test_the_public_fact_check_page_has_no_serious_accessibility_violation(page, people, article):
    try:
        reverse("annotations:fact-check", args=["any-slug"])
    except NoReverseMatch:
        pytest.skip("the public fact-check page (URL name annotations:fact-check) is not built yet")
    # Publishing needs every claim approved or dismissed: approve the rest, then publish.
    reviewer, editor, second = people["reviewer"], people["editor"], people["second"]
    accurate = Verdict.objects.get(label="Accurate")
    for claim in article.claims.exclude(state=Claim.State.APPROVED):
        CitationFactory(claim=claim)
        claim.refresh_from_db()
        if claim.state != Claim.State.NEEDS_REVIEW:
            claim.propose_verdict(by=reviewer, version=claim.version, verdict=accurate)
        claim.approve(by=second, version=claim.version)
    article.refresh_from_db()
    article.publish(list(article.publishable_claims()), by=editor, version=article.version)
    article.refresh_from_db()
    # Signed out, as a reader of the newsroom's site.
    page.goto(reverse("annotations:fact-check", args=[article.slug]))
    assert page.locator("h1").first.inner_text()
    assert_accessible(page, "public fact-check page")
