"""Daily friction in the workspace, as a new user meets it: the Approve button says why it
cannot be used, the new-claim form asks for claimant and date and suggests a category, the
history page speaks the app's language, and the Add-claim hint is readable."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Claim, Verdict, WorkflowError
from tests.factories import (
    ArticleFactory,
    CitationFactory,
    ClaimFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PANEL = {"HX-Request": "true", "HX-Target": "claim-panel"}
SUGGEST = {"HX-Request": "true", "HX-Target": "new-claim-category"}
APPROVE_BUTTON = re.compile(r"<button([^>]*)>\s*Approve verdict\s*</button>")


@pytest.fixture
def accurate():
    return Verdict.objects.get(label="Accurate")


def claim_url(name, claim):
    return reverse(f"annotations:{name}", args=[claim.article_id, claim.pk])


def create_url(article):
    return reverse("annotations:claim-create", args=[article.pk])


def approve_button(html: str) -> str:
    """The attributes of the panel's Approve button (fails when there is none)."""
    match = APPROVE_BUTTON.search(html)
    assert match, "no Approve button in the panel"
    return match.group(1)


def model_refusal(claim, user) -> str:
    with pytest.raises(WorkflowError) as refused:
        claim.approve(by=user, version=claim.version)
    return str(refused.value)


# --- The Approve button ---------------------------------------------------------------------


def test_approve_is_disabled_with_the_reason_while_no_source_is_cited(
    client, reviewer, editor, accurate
):
    claim = ClaimFactory()
    claim.propose_verdict(by=reviewer, version=1, verdict=accurate)
    client.force_login(editor)
    html = client.get(claim_url("claim-detail", claim), headers=PANEL).content.decode()
    attributes = approve_button(html)
    assert "disabled" in attributes and 'aria-describedby="approve-blocked"' in attributes
    # The reason shown is the one the model gives when approval is tried anyway.
    reason = model_refusal(claim, editor)
    assert reason == "Cite at least one source before the verdict is approved."
    assert f'<p id="approve-blocked" class="blocked-reason">{reason}</p>' in html
    # The editor may still send it back.
    assert "Reason for sending back" in html


def test_approve_is_disabled_with_the_reason_on_ones_own_proposal(client, editor, accurate):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(by=editor, version=claim.version, verdict=accurate)
    client.force_login(editor)
    html = client.get(claim_url("claim-detail", claim), headers=PANEL).content.decode()
    assert "disabled" in approve_button(html)
    reason = model_refusal(claim, editor)
    assert reason == "You proposed this verdict: a second editor has to approve it."
    assert f'<p id="approve-blocked" class="blocked-reason">{reason}</p>' in html
    # One cannot send back one's own proposal either.
    assert "Reason for sending back" not in html


def test_approve_is_enabled_when_a_second_editor_can_approve(client, reviewer, editor, accurate):
    claim = ClaimFactory()
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=accurate)
    client.force_login(editor)
    html = client.get(claim_url("claim-detail", claim), headers=PANEL).content.decode()
    assert "disabled" not in approve_button(html)
    assert "approve-blocked" not in html
    assert claim.approval_blocker(editor) is None


def test_the_reason_costs_no_query_the_panel_does_not_already_make(
    client, reviewer, editor, accurate
):
    claim = ClaimFactory()
    CitationFactory.create_batch(2, claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=accurate)
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        client.get(claim_url("claim-detail", claim), headers=PANEL)
    citation_queries = [q["sql"] for q in queries if 'FROM "annotations_citation"' in q["sql"]]
    # The panel lists the citations once; whether one is cited is read from that list.
    assert len(citation_queries) == 1, citation_queries


# --- The new-claim form ---------------------------------------------------------------------


def test_reader_offers_claimant_and_claim_date_when_adding_a_claim(client, reviewer, article):
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-detail", args=[article.pk])).content.decode()
    template = html[html.index('<template id="new-claim-template">') :]
    template = template[: template.index("</template>")]
    assert '<label for="id_claimant">Claimant</label>' in template
    assert '<label for="id_claim_date">Claim date</label>' in template
    assert 'type="date"' in template


def test_claimant_and_claim_date_are_saved_with_the_new_claim(client, reviewer, article):
    client.force_login(reviewer)
    start = article.body.index("12.4 million")
    response = client.post(
        create_url(article),
        {
            "start": start,
            "end": start + 12,
            "quote": "12.4 million",
            "statement": "The fleet carried 12.4 million passengers",
            "claimant": "  Transport authority ",
            "claim_date": "2024-03-05",
            "category": "statistic",
        },
        headers=PANEL,
    )
    assert response.status_code == 200
    claim = Claim.objects.get()
    assert claim.claimant == "Transport authority"
    assert claim.claim_date == date(2024, 3, 5)
    # The panel shows them at once.
    html = response.content.decode()
    assert 'value="Transport authority"' in html and 'value="2024-03-05"' in html


def test_a_bad_claim_date_is_explained_beside_it_and_nothing_typed_is_lost(
    client, reviewer, article
):
    client.force_login(reviewer)
    start = article.body.index("12.4 million")
    response = client.post(
        create_url(article),
        {
            "start": start,
            "end": start + 12,
            "quote": "12.4 million",
            "statement": "Carried 12.4 million",
            "claimant": "The mayor",
            "claim_date": "31/31/2024",
            "category": "statistic",
        },
        headers=PANEL,
    )
    html = response.content.decode()
    assert not Claim.objects.exists()
    assert "Enter a valid date." in html
    assert "Select some words of the article first" not in html  # not the selection's fault
    assert "Carried 12.4 million" in html and 'value="The mayor"' in html
    assert 'value="31/31/2024"' in html
    assert '<option value="statistic" selected>' in html


@pytest.mark.parametrize(
    ("quote", "category", "figure"),
    [
        ("The fleet carried 12.4 million passengers last year", "statistic", "12.4 million"),
        ("Three million people ride the buses", "statistic", "Three million"),
        ("The new route opened in May 2019", "other", None),  # a date is not a figure
        ("The mayor said the buses are the best in the country", "other", None),
    ],
)
def test_the_category_is_suggested_from_the_selected_words(
    client, reviewer, article, quote, category, figure
):
    client.force_login(reviewer)
    response = client.get(create_url(article), {"quote": quote}, headers=SUGGEST)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="new-claim-category"')
    assert f'<option value="{category}" selected>' in html
    if figure:
        assert f"Suggested: the quote states a figure (“{figure}”)." in html
    else:
        assert "Suggested" not in html
    # The answer is final: it does not ask again.
    assert "hx-get" not in html
    assert not Claim.objects.exists()


def test_the_readers_empty_form_asks_for_the_suggestion_and_a_shown_form_does_not(
    client, reviewer, article
):
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-detail", args=[article.pk])).content.decode()
    template = html[html.index('<template id="new-claim-template">') :]
    template = template[: template.index("</template>")]
    suggests = f'hx-get="{create_url(article)}" hx-trigger="load"'
    assert re.search(r'<div id="new-claim-category"[^>]*' + re.escape(suggests), template)
    assert 'hx-include="previous [name=quote]"' in template
    # A form sent back with a mistake keeps the reviewer's category and asks nothing.
    start = article.body.index("12.4 million")
    refused = client.post(
        create_url(article),
        {
            "start": start,
            "end": start + 12,
            "quote": "12.4 million",
            "claim_date": "soon",
            "category": "quote",
        },
        headers=PANEL,
    ).content.decode()
    assert '<option value="quote" selected>' in refused
    assert 'hx-trigger="load"' not in refused[: refused.index("Save claim")]


def test_the_suggestion_needs_the_right_to_add_claims(client, article):
    nobody = UserFactory(username="no-role")
    client.force_login(nobody)
    response = client.get(create_url(article), {"quote": "12 buses"}, headers=SUGGEST)
    assert response.status_code == 403


# --- The history page -----------------------------------------------------------------------


def approved_claim(reviewer, editor, accurate):
    claim = ClaimFactory(statement="The fleet carried 12.4 million passengers")
    claim.edit(by=reviewer, version=1, claim_date=date(2024, 3, 5))
    claim.add_citation(by=reviewer, version=claim.version, source=SourceFactory(title="Bulletin"))
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=accurate)
    claim.approve(by=editor, version=claim.version)
    return claim


def test_history_shows_state_labels_and_times_to_the_minute(client, reviewer, editor, accurate):
    claim = approved_claim(reviewer, editor, accurate)
    client.force_login(editor)
    html = client.get(claim_url("claim-history", claim)).content.decode()
    assert "<del>Needs review</del> → <ins>Approved</ins>" in html
    assert "<del>To do</del> → <ins>In progress</ins>" in html
    assert "needs_review" not in html.replace("state-needs_review", "")
    assert "in_progress" not in html
    # Dates as dates, times to the minute: no seconds, microseconds or UTC offsets.
    assert "<ins>5 Mar 2024</ins>" in html
    assert not re.search(r"\d\d:\d\d:\d\d", html)
    approved_at = re.search(r"Approved at</span>: <del>—</del> → <ins>([^<]+)</ins>", html)
    assert approved_at and re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d", approved_at[1])


def test_history_leaves_out_saves_that_changed_nothing_shown(client, reviewer, editor, accurate):
    claim = approved_claim(reviewer, editor, accurate)
    client.force_login(editor)
    headers = {"HX-Request": "true", "HX-Target": "claim-history"}
    html = client.get(claim_url("claim-history", claim), headers=headers).content.decode()
    entries = re.findall(r"<li>\s*<p>(.*?)</li>", html, flags=re.S)
    assert entries
    for entry in entries:
        said = re.sub(r"<[^>]+>", " ", entry)
        if re.search(r"\bchanged\s*$", said.strip()):
            pytest.fail(f"an entry that shows no change: {' '.join(said.split())}")
    # Citing raised the claim's version; only the citation's own entry tells of it.
    assert "cited “Bulletin”" in html


def test_history_page_names_the_claim_by_its_statement(client, reviewer, editor, accurate):
    claim = approved_claim(reviewer, editor, accurate)
    client.force_login(editor)
    html = client.get(claim_url("claim-history", claim)).content.decode()
    assert re.search(r"<h1>\s*History of “The fleet carried 12.4 million passengers”\s*</h1>", html)
    assert (
        "<title>History of “The fleet carried 12.4 million passengers” · factcheck</title>" in html
    )


def test_history_page_without_a_statement_is_named_by_its_quote(client, reviewer):
    article = ArticleFactory()
    claim = ClaimFactory(article=article, statement="")
    client.force_login(reviewer)
    html = client.get(claim_url("claim-history", claim)).content.decode()
    assert f"<h1>History of “{claim.quote}”</h1>" in html


# --- The Add-claim button's hint --------------------------------------------------------------
# WCAG 2.x AA: text needs a contrast ratio of at least 4.5:1 against its background. The colours
# are read from the stylesheets the app serves, so a change there is checked here.

STATIC = Path(__file__).resolve().parents[1] / "static" / "annotations"
AA = 4.5


def css_rules(files: list[Path]) -> list[tuple[list[str], dict[str, str], int]]:
    """(selectors, declarations, order) of every style rule in ``files``, in that order.
    @media blocks are read as if they applied."""
    rules = []
    order = 0
    for path in files:
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"@media[^{]*{((?:[^{}]*{[^{}]*})*)\s*}", r"\1", text)
        for selectors, body in re.findall(r"([^{}]+){([^{}]*)}", text):
            declarations = {}
            for declaration in body.split(";"):
                if ":" in declaration:
                    name, value = declaration.split(":", 1)
                    declarations[name.strip().lower()] = value.strip()
            rules.append(([s.strip() for s in selectors.split(",")], declarations, order))
            order += 1
    return rules


def compound_matches(compound: str, element: dict) -> bool:
    """``tag.class#id`` against {"tag", "classes", "id"}; pseudo-classes and attribute
    selectors never match (the hint is styled at rest)."""
    if ":" in compound or "[" in compound:
        return compound == ":root" and element["tag"] == "html"
    tag = re.match(r"^[a-z][a-z0-9]*", compound)
    if tag and tag.group(0) != element["tag"]:
        return False
    if any(name not in element["classes"] for name in re.findall(r"\.([\w-]+)", compound)):
        return False
    ids = re.findall(r"#([\w-]+)", compound)
    return all(name == element.get("id") for name in ids)


def selector_matches(selector: str, path: list[dict]) -> bool:
    """Descendant combinators only: the last compound matches the element, the others its
    ancestors in order."""
    if any(c in selector for c in ">+~"):
        return False
    compounds = selector.split()
    if not compounds or not compound_matches(compounds[-1], path[-1]):
        return False
    ancestors = list(reversed(path[:-1]))
    for compound in reversed(compounds[:-1]):
        while ancestors and not compound_matches(compound, ancestors[0]):
            ancestors.pop(0)
        if not ancestors:
            return False
        ancestors.pop(0)
    return True


def specificity(selector: str) -> tuple[int, int, int]:
    return (
        selector.count("#"),
        len(re.findall(r"\.[\w-]+|\[|:(?!:)", selector)),
        len(re.findall(r"(?:^|\s)[a-z][a-z0-9]*", selector)),
    )


def declared(rules, path: list[dict], prop: str) -> str | None:
    """The value the cascade gives ``prop`` on ``path[-1]`` (shorthands as written)."""
    best = None
    for selectors, declarations, order in rules:
        names = [prop] + (["background"] if prop == "background-color" else [])
        values = [declarations[name] for name in names if name in declarations]
        if not values:
            continue
        for selector in selectors:
            if selector_matches(selector, path):
                rank = (specificity(selector), order)
                if best is None or rank > best[0]:
                    best = (rank, values[-1])
    return best[1] if best else None


def variables(rules) -> dict[str, str]:
    root = [{"tag": "html", "classes": set()}]
    return {
        name: value
        for selectors, declarations, _ in rules
        if any(selector_matches(s, root) for s in selectors)
        for name, value in declarations.items()
        if name.startswith("--")
    }


def colour(value: str, names: dict[str, str]) -> tuple[float, float, float] | None:
    """A solid colour as (r, g, b) 0–255, after resolving var(); None for transparent."""
    while "var(" in value:
        value = re.sub(
            r"var\((--[\w-]+)(?:,\s*([^)]*))?\)", lambda m: names.get(m[1], m[2] or ""), value
        )
    value = value.strip().lower()
    if value in ("", "transparent", "none", "inherit"):
        return None
    named = {"#fff": "#ffffff", "white": "#ffffff", "black": "#000000", "#000": "#000000"}
    value = named.get(value, value)
    found = re.search(r"#([0-9a-f]{6})\b|#([0-9a-f]{3})\b", value)
    if found:
        digits = found[1] or "".join(c * 2 for c in found[2])
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))
    raise AssertionError(f"cannot read the colour {value!r}: give the test a solid colour")


def luminance(rgb) -> float:
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def used_colours(files: list[Path], path: list[dict]) -> tuple[tuple, tuple]:
    """Text colour (inherited) and the background painted behind the element's text."""
    rules = css_rules(files)
    names = variables(rules)
    text = background = None
    for depth in range(len(path), 0, -1):
        if text is None:
            value = declared(rules, path[:depth], "color")
            text = colour(value, names) if value else None
        if background is None:
            value = declared(rules, path[:depth], "background-color")
            background = colour(value, names) if value else None
    return text or (0, 0, 0), background or (255, 255, 255)


ADD_CLAIM_HINT = [
    {"tag": "html", "classes": set()},
    {"tag": "body", "classes": set()},
    {"tag": "main", "classes": set(), "id": "main"},
    {"tag": "div", "classes": {"selection-action"}, "id": "selection-action"},
    {"tag": "button", "classes": {"primary"}},
    {"tag": "kbd", "classes": set()},
]


def test_the_contrast_reader_reads_what_it_is_for():
    assert round(contrast((255, 255, 255), (0, 0, 0)), 1) == 21.0
    assert round(contrast((0x1F, 0x5F, 0xBF), (255, 255, 255)), 1) == 6.1
    assert colour("var(--x)", {"--x": "#abc"}) == (0xAA, 0xBB, 0xCC)
    assert selector_matches(".selection-action kbd", ADD_CLAIM_HINT)
    assert not selector_matches(".hint kbd", ADD_CLAIM_HINT)


@pytest.fixture
def reader_stylesheets(client, reviewer, article) -> list[Path]:
    """The app's stylesheets that the reader links, in the order it links them."""
    client.force_login(reviewer)
    html = client.get(reverse("annotations:article-detail", args=[article.pk])).content.decode()
    names = re.findall(r'<link rel="stylesheet" href="/static/annotations/([\w.-]+\.css)"', html)
    assert "app.css" in names and "reader.css" in names
    return [STATIC / name for name in names]


def test_the_add_claim_buttons_key_hint_meets_wcag_aa_contrast(reader_stylesheets):
    text, background = used_colours(reader_stylesheets, ADD_CLAIM_HINT)
    ratio = contrast(text, background)
    assert ratio >= AA, f"the `a` hint: {text} on {background} is {ratio:.2f}:1, AA needs {AA}:1"


def test_the_add_claim_buttons_label_meets_wcag_aa_contrast(reader_stylesheets):
    text, background = used_colours(reader_stylesheets, ADD_CLAIM_HINT[:-1])
    assert contrast(text, background) >= AA
