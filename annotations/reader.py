"""The reader's regions, rendered outside any one view: the claim panel, the body's paragraphs
and the short parts with their highlights, the claim list's rows and the claim count.

The reader's views draw them on the page and, after a change, as htmx out-of-band fragments
(``change_fragments``: only what one claim's change alters; ``every_region_fragments``: all of
it); live.js asks ``article-live`` for the same fragments when another person's change is
announced (``annotations.live``), so every reader draws a change as its author saw it. The
claim panel's actions share one shape, ``panel_post``: a form, a model method, then the panel
redrawn with a notice (``done``) or with the reason it was refused, keeping what was typed
(``refused``).
"""

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html import escape
from threading import Lock
from typing import NamedTuple

from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

from annotations.forms import (
    CitationForm,
    ClaimCreateForm,
    ClaimDetailsForm,
    CommentForm,
    DismissForm,
    SendBackForm,
    VerdictForm,
)
from annotations.highlights import highlight_class
from annotations.models import (
    Article,
    Citation,
    Claim,
    StaleClaimError,
    Suggestion,
    Verdict,
    WorkflowError,
)
from annotations.segments import paragraph_spans, render_body, render_inline, render_paragraphs

PANEL_TARGETS = {"claim-panel"}
LIST_TEXT_LENGTH = 90
STATE_LABELS = dict(Claim.State.choices)
#: The state and verdict labels of the claim list's rows, escaped once, not once per row.
STATE_ATTRIBUTES = {state: escape(label) for state, label in STATE_LABELS.items()}
# More rows than the claim list's box (32vh high) shows on any screen: the list is laid out
# after the first frame, in a box of that height.
CLAIM_ROWS_IN_BOX = 30


# --- Access: articles and claims as the reader reaches them ------------------------------------


def get_article_for_user(request: HttpRequest, pk: int, *, with_publisher: bool = True) -> Article:
    # Every signed-in role may read every article; unknown ids are 404. (The publisher's name
    # is in the article's header; a response without the header, such as the claim panel's,
    # reads the article alone, by SQL compiled once: Article.objects.by_id.)
    if not with_publisher:
        article = Article.objects.by_id(pk)
        if article is None:
            raise Http404("No article with this id.")
        return article
    return get_object_or_404(Article.objects.select_related("publisher"), pk=pk)


def get_claim_for_user(request: HttpRequest, article_pk: int, pk: int) -> Claim:
    """Claims are reached through their article: a claim of another article is 404."""
    return get_object_or_404(
        Claim.objects.select_related(
            "article", "verdict", "assignee", "verdict_proposed_by", "approved_by", "created_by"
        ),
        article_id=article_pk,
        pk=pk,
    )


def claim_url(claim: Claim) -> str:
    return claim_address("annotations:claim-detail", claim)


# Stand-ins for an article's and a claim's ids in an address reversed once (``claim_address``).
_ARTICLE_STAND_IN, _CLAIM_STAND_IN = "987654321987", "123456789123"


@functools.lru_cache(maxsize=128)
def _claim_address_parts(name: str, script_prefix: str) -> tuple[str, str, str] | None:
    """The address ``name`` (of an article's id and a claim's) around the two ids, reversed
    once per process and script prefix; None when the ids are not in it once each, in order."""
    address = reverse(name, args=[int(_ARTICLE_STAND_IN), int(_CLAIM_STAND_IN)])
    head, _, rest = address.partition(_ARTICLE_STAND_IN)
    middle, _, tail = rest.partition(_CLAIM_STAND_IN)
    if address.count(_ARTICLE_STAND_IN) != 1 or rest.count(_CLAIM_STAND_IN) != 1:
        return None
    return head, middle, tail


def claim_address(name: str, claim: Claim) -> str:
    """``reverse(name, args=[claim.article_id, claim.pk])`` for the claim's pages and actions,
    from the address reversed once with stand-in ids (``{% claim_url %}`` in templates): the
    claim panel, in every response to a claim action, has thirteen of them, and a ``reverse``
    costs about 26 µs of CPU (README, "Claim create, a fourth time")."""
    parts = _claim_address_parts(name, get_script_prefix())
    if parts is None:
        return reverse(name, args=[claim.article_id, claim.pk])
    head, middle, tail = parts
    return f"{head}{claim.article_id}{middle}{claim.pk}{tail}"


# --- The article's regions: body, short parts, claim list, count -------------------------------


def short_text(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LIST_TEXT_LENGTH else text[: LIST_TEXT_LENGTH - 1] + "…"


def claim_detail_prefix(article: Article) -> str:
    """The claim URL of ``article`` up to the claim id (``/articles/3/claims/``)."""
    detail = reverse("annotations:claim-detail", args=[article.pk, 0])
    return detail[: detail.rindex("/0/") + 1]


#: One claim list row's content: id, highlight class, state, verdict label (or None), text,
#: and its family's member count, conflict and resolution (None when in no family).
ClaimRow = tuple[int, str, str, str | None, str, int | None, bool | None, str | None]


def claim_list_items(detail_prefix: str, rows: Iterable[ClaimRow], *, oob: bool = False) -> str:
    """Rows of the claim list, in the order given.

    One element per row, not a template loop: a long article lists a thousand claims and
    every element costs the browser parsing and layout. The swatch and the state and verdict
    badges are drawn by reader.css from the classes and data attributes; reader.js opens the
    link in the panel (one listener, no htmx attributes per row).

    Drawn in one function for all the rows, not one call per row: the attributes shared by the
    rows of one class, state and verdict are built once, and the texts escaped in one call
    (they are joined by a line break, which none of them keeps). 1,000 rows: 1.05 ms of CPU
    instead of 1.55.
    """
    oob_attr = ' hx-swap-oob="true"' if oob else ""
    shared: dict[tuple[str, str, str | None], tuple[str, str]] = {}
    starts: list[tuple[int, tuple[str, str], str]] = []
    texts: list[str] = []
    for pk, css, state, verdict_label, text, members, conflict, resolution in rows:
        pieces = shared.get((css, state, verdict_label))
        if pieces is None:
            state_attr = STATE_ATTRIBUTES.get(state) or escape(state)
            verdict_attr = f' data-verdict="{escape(verdict_label)}"' if verdict_label else ""
            pieces = shared[(css, state, verdict_label)] = (
                f'" class="claim-item {css} is-{state}" href="{detail_prefix}',
                f'/" data-state="{state_attr}"{verdict_attr}{oob_attr}>',
            )
        badge = family_badge(members, conflict, resolution) if members or conflict else ""
        starts.append((pk, pieces, badge))
        texts.append(short_text(text))
    if not starts:
        return ""
    escaped = escape("\n".join(texts)).split("\n")
    return "".join(
        [
            f'<a id="claim-item-{pk}{middle}{pk}{end}{text}{badge}</a>'
            for (pk, (middle, end), badge), text in zip(starts, escaped, strict=True)
        ]
    )


def claim_list_item(
    detail_prefix: str,
    pk: int,
    css: str,
    state: str,
    verdict_label: str | None,
    text: str,
    *,
    oob: bool = False,
    family: tuple = (None, None, None),
) -> str:
    """One row of the claim list (``claim_list_items``)."""
    row = (pk, css, state, verdict_label, text, *family)
    return claim_list_items(detail_prefix, [row], oob=oob)


def family_badge(members: int | None, conflict: bool | None, resolution: str | None) -> str:
    """The claim list's badge for a claim in a family: its figures disagree with another
    member's (an open conflict), or how many other claims make the same claim. Read from the
    columns the claim list's one query already has: no query per claim."""
    if conflict and not resolution:
        return '<span class="badge family-badge conflict">conflict</span>'
    if members and members > 1:
        return f'<span class="badge family-badge">{members - 1} related</span>'
    return ""


class DrawnClaims(NamedTuple):
    """The article's parts with their claims highlighted, and the claim list's rows."""

    body_html: SafeString
    headline_html: SafeString
    standfirst_html: SafeString
    claim_items: SafeString
    used_verdicts: frozenset[int]


def draw_claims(
    texts: tuple[str, ...],
    rows: list[tuple],
    verdict_labels: tuple[tuple[int, str], ...],
    detail_prefix: str,
) -> DrawnClaims:
    """What the reader draws of the claims' rows (``reader_context``'s query, orphans left
    out) on the article's texts (``text_of`` each of ``Article.Part.values``), with the
    verdicts' labels as ``(id, label)`` pairs: a function of these alone."""
    text_of = dict(zip(Article.Part.values, texts, strict=True))
    labels = dict(verdict_labels)
    # A claim's class by (verdict, state): a desk has a few dozen; their verdicts are the
    # ones used.
    class_of = {}
    classes = {}
    rows_shown = []
    spans = {part: [] for part in text_of}
    for pk, part, start, end, state, verdict_id, statement, _, *family in rows:
        css = class_of.get((verdict_id, state))
        if css is None:
            css = class_of[(verdict_id, state)] = highlight_class(verdict_id, state)
        classes[pk] = css
        spans[part].append((pk, start, end))
        rows_shown.append(
            (
                pk,
                css,
                state,
                labels.get(verdict_id),
                statement or text_of[part][start:end],
                *family,
            )
        )
    headline, standfirst = (
        render_inline(text_of[part], spans[part], classes)
        for part in (Article.Part.HEADLINE, Article.Part.STANDFIRST)
    )
    return DrawnClaims(
        body_html=render_body(text_of[Article.Part.BODY], spans[Article.Part.BODY], classes),
        headline_html=headline,
        standfirst_html=standfirst,
        # Built from escaped text.
        claim_items=mark_safe(claim_list_items(detail_prefix, rows_shown)),  # noqa: S308
        used_verdicts=frozenset(verdict_id for verdict_id, _ in class_of if verdict_id),
    )


class RecentDrawings:
    """The last articles' ``DrawnClaims`` in this process, each kept with everything it was
    drawn from and given again only when all of it is equal: whatever changed a claim, a
    verdict's label or the text (a save, a queryset update, another process), the rows read
    for the request differ and the article is drawn afresh. Nothing to invalidate.

    For the articles long enough to be worth it: drawing 1,000 claims takes about 4 ms of
    CPU, comparing their rows 0.1 ms. Kept: ``size`` articles, 1.9 MB for one of 1,000
    claims (its rows, texts and drawing).
    """

    def __init__(self, size: int, min_claims: int):
        self.size = size
        self.min_claims = min_claims
        self._drawn: OrderedDict[int, tuple[tuple, DrawnClaims]] = OrderedDict()
        self._lock = Lock()

    def draw(self, article_pk: int, *inputs) -> DrawnClaims:
        """``draw_claims(*inputs)`` of the article, drawn again only if they changed."""
        with self._lock:
            kept = self._drawn.get(article_pk)
        if kept is not None and kept[0] == inputs:
            with self._lock:
                if article_pk in self._drawn:
                    self._drawn.move_to_end(article_pk)
            return kept[1]
        drawn = draw_claims(*inputs)
        if len(inputs[1]) >= self.min_claims:
            with self._lock:
                self._drawn[article_pk] = (inputs, drawn)
                self._drawn.move_to_end(article_pk)
                while len(self._drawn) > self.size:
                    self._drawn.popitem(last=False)
        return drawn

    def clear(self) -> None:
        with self._lock:
            self._drawn.clear()


recent_drawings = RecentDrawings(size=8, min_claims=100)


def reader_context(article: Article, *, page: bool = True) -> dict:
    """Headline, standfirst and body HTML, claim list rows and legend: two queries whatever
    the number of claims. ``page=False``: only what the body and claim list need (their
    out-of-band refresh)."""
    verdicts = {v.pk: v for v in Verdict.objects.only("label", "colour", "is_active", "order")}
    rows = list(
        Claim.objects.filter(article=article)
        .in_reading_order()
        .values_list(
            "pk",
            "part",
            "start",
            "end",
            "state",
            "verdict_id",
            "statement",
            "orphaned_at",
            # The family badge (claims across articles): LEFT JOINs in the same query.
            "family_link__family__member_count",
            "family_link__family__conflict",
            "family_link__family__resolution",
        )
    )
    # Orphans have no place in the text: listed on their own, never highlighted.
    orphan_count = sum(1 for row in rows if row[7] is not None)
    if orphan_count:
        rows = [row for row in rows if row[7] is None]
    drawn = recent_drawings.draw(
        article.pk,
        tuple(article.text_of(part) for part in Article.Part.values),
        rows,
        tuple(sorted((pk, verdict.label) for pk, verdict in verdicts.items())),
        claim_detail_prefix(article),
    )
    styles = verdict_styles_version(sorted((v.pk, v.colour) for v in verdicts.values()))
    legend = [v for v in verdicts.values() if v.is_active or v.pk in drawn.used_verdicts]
    legend.sort(key=lambda v: (v.order, v.label))
    return {
        "article": article,
        "body_html": drawn.body_html,
        "headline_html": drawn.headline_html,
        "standfirst_html": drawn.standfirst_html,
        "new_claim_form": ClaimCreateForm(article=article) if page else None,
        # Unreviewed check-worthy suggestions, drawn by reader.js (one query).
        "suggestions": Suggestion.objects.for_reader(article) if page else None,
        "claim_count": len(rows),
        "orphans": (
            list(Claim.objects.orphaned().filter(article=article).order_by("orphaned_at", "pk"))
            if orphan_count
            else []
        ),
        "claim_list_fills_box": len(rows) > CLAIM_ROWS_IN_BOX,
        "claim_items": drawn.claim_items,
        "legend_verdicts": legend,
        "verdict_styles_version": styles,
        "legend_states": [
            (value, label) for value, label in Claim.State.choices if value != Claim.State.APPROVED
        ],
    }


@dataclass(frozen=True)
class ClaimChange:
    """One claim was created, changed or deleted: what the reader page must redraw."""

    CREATED, CHANGED, DELETED = "created", "changed", "deleted"

    pk: int
    start: int
    end: int
    kind: str = CHANGED
    part: str = Article.Part.BODY

    @classmethod
    def of(cls, claim: Claim, kind: str = CHANGED) -> "ClaimChange":
        return cls(claim.pk, claim.start, claim.end, kind, claim.part)


# The element holding each short part's highlights in the reader (the body's paragraphs are
# redrawn one by one instead).
PART_ELEMENTS = {
    Article.Part.HEADLINE: "article-headline",
    Article.Part.STANDFIRST: "article-standfirst",
}


def every_region_fragments(request: HttpRequest, article: Article) -> str:
    """Out-of-band htmx fragments redrawing every region of the reader that shows claims: the
    claim list, the headline, the standfirst (when the article has one) and the body."""
    context = reader_context(article, page=False) | {"oob": True}
    regions = ["claim-list", "article-headline", "article-body"]
    if article.standfirst:
        regions.append("article-standfirst")
    return "".join(
        render_to_string(f"annotations/article_detail.html#{region}", context, request)
        for region in regions
    )


def change_fragments(request: HttpRequest, article: Article, change: ClaimChange) -> str:
    """Out-of-band htmx fragments for the part of the reader page one claim's change alters:
    the paragraphs its span touches, its row in the claim list and the claim count.

    The work depends on the claims near the change, not on how many the article has.
    """
    text = article.text_of(change.part)
    if change.part == Article.Part.BODY:
        touched = [(s, e) for s, e in paragraph_spans(text) if s < change.end and e > change.start]
        # A span inside a paragraph break (only white space, which no selection keeps) touches
        # no paragraph: only its own row is looked up.
        low, high = (touched[0][0], touched[-1][1]) if touched else (change.start, change.end)
    else:
        # A headline or a standfirst is short: it is drawn again whole.
        low, high = 0, max(len(text), change.end)
    if change.kind == ClaimChange.CHANGED:
        rows = Claim.objects.overlapping(article.pk, low, high, change.part)
    else:
        rows, count, following = Claim.objects.overlapping_counted(
            article.pk, low, high, change.part, after=(change.start, change.end, change.pk)
        )
    classes = {pk: highlight_class(verdict_id, state) for pk, _, _, state, verdict_id, *_ in rows}
    spans = [(pk, start, end) for pk, start, end, *_ in rows]
    if change.part == Article.Part.BODY:
        parts = [
            f"<div hx-swap-oob=\"innerHTML:#article-body > p[data-s='{p_start}']\">{inner}</div>"
            for p_start, _, inner in render_paragraphs(text, spans, classes, within=(low, high))
        ]
    else:
        inner = render_inline(text, spans, classes)
        parts = [f'<div hx-swap-oob="innerHTML:#{PART_ELEMENTS[change.part]}">{inner}</div>']
    own = next((row for row in rows if row[0] == change.pk), None)
    item = None
    if own:
        pk, start, end, state, _, label, statement, *family = own
        item = claim_list_item(
            claim_detail_prefix(article),
            pk,
            classes[pk],
            state,
            label,
            statement or text[start:end],
            oob=change.kind == ClaimChange.CHANGED,
            family=family,
        )
    if change.kind == ClaimChange.CHANGED:
        return "".join(parts + [item or ""])
    shown = request.headers.get("X-Claim-Count", "")
    step = 1 if change.kind == ClaimChange.CREATED else -1
    if shown.isdigit() and int(shown) + step != count:
        # Others added or deleted claims since the page was drawn: send it all afresh.
        return every_region_fragments(request, article)
    if change.kind == ClaimChange.CREATED and count > 1:
        if item is None:
            # Deleted again before this reader asked: its regions were redrawn without it.
            return "".join(parts)
        # The list is in reading order: the row goes before the next claim's.
        where = f"beforebegin:#claim-item-{following}" if following else "beforeend:#claim-rows"
        parts.append(f'<div hx-swap-oob="{where}">{item}</div>')
    elif change.kind == ClaimChange.DELETED and count:
        parts.append(f'<div id="claim-item-{change.pk}" hx-swap-oob="delete"></div>')
    else:
        # The first claim or the last one gone: the list changes shape (or its empty note).
        context = reader_context(article, page=False) | {"oob": True}
        return "".join(parts) + render_to_string(
            "annotations/article_detail.html#claim-list", context, request
        )
    parts.append(f'<span id="claim-count" class="count" hx-swap-oob="true">{count}</span>')
    return "".join(parts)


def render_workspace(
    request: HttpRequest,
    article: Article,
    panel: dict,
    *,
    change: ClaimChange | None = None,
    status: int = 200,
) -> HttpResponse:
    """The reader page, or only its side panel for htmx, plus what ``change`` (a claim
    added, changed or deleted) alters in the body and the claim list."""
    if request.htmx and request.htmx.target in PANEL_TARGETS:
        html = render_to_string(
            "annotations/claims/panel.html#claim-panel", {"article": article, **panel}, request
        )
        if change:
            html += change_fragments(request, article, change)
        return HttpResponse(html, status=status)
    context = reader_context(article) | panel
    return render(request, "annotations/article_detail.html", context, status=status)


def verdict_styles_version(rows: list[tuple[int, str]]) -> str:
    """Names the content of the verdict stylesheet: (id, colour) of every verdict by id."""
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:20]


# --- The claim panel ---------------------------------------------------------------------------


def panel_context(request: HttpRequest, claim: Claim, *, new: bool = False, **overrides) -> dict:
    """Everything the claim panel shows; ``overrides`` swap in bound forms and messages.
    A ``new`` claim, just created, has no citations or comments to look up."""
    user = request.user
    can_review = claim.is_reviewable_by(user)
    citations = [] if new else list(claim.citations.select_related("source"))
    # A change to an approved claim waits beside it; its author's forms show what they proposed.
    revision = None if new else claim.pending_revision()
    own_revision = revision is not None and revision.proposed_by_id == user.pk
    can_decide = revision is not None and user.is_editor and not own_revision
    context = {
        "panel": "claim",
        "claim": claim,
        "citations": citations,
        "comments": [] if new else list(claim.comments.select_related("author")),
        "details_form": ClaimDetailsForm.for_claim(claim, revision if own_revision else None),
        "verdict_form": VerdictForm.for_claim(claim, revision if own_revision else None),
        "citation_form": CitationForm(
            initial={
                "version": claim.version,
                "relation": Citation.Relation.SUPPORTS,
                "change_reason": revision.reason if own_revision else "",
            }
        ),
        "comment_form": CommentForm(),
        "dismiss_form": DismissForm(initial={"version": claim.version}),
        # Shown only with the review actions.
        "send_back_form": SendBackForm(initial={"version": claim.version}) if can_review else None,
        "own_proposal": claim.verdict_proposed_by_id == user.pk,
        "can_review": can_review,
        # Why the Approve button an editor sees is disabled (the rule is Claim.approve's).
        "approval_blocker": (
            claim.approval_blocker(user, cited=bool(citations))
            if user.is_editor and claim.state == Claim.State.NEEDS_REVIEW
            else None
        ),
        "revision": revision,
        "revision_rows": revision.rows(claim) if revision else [],
        "own_revision": own_revision,
        "can_decide_revision": can_decide,
        "revision_send_back_form": (
            SendBackForm(initial={"version": claim.version}) if can_decide else None
        ),
    }
    context.update(overrides)
    return context


PROPOSED = (
    "Change proposed. The claim stays approved and published as it is until another editor "
    "approves the change."
)


def render_claim(
    request: HttpRequest, claim: Claim, *, refresh: bool = False, **overrides
) -> HttpResponse:
    fresh = get_claim_for_user(request, claim.article_id, claim.pk)
    return render_workspace(
        request,
        fresh.article,
        panel_context(request, fresh, **overrides),
        change=ClaimChange.of(fresh) if refresh else None,
    )


def done(request: HttpRequest, claim: Claim, notice: str) -> HttpResponse:
    """After a successful change: the refreshed panel for htmx, a redirect otherwise."""
    if request.htmx and request.htmx.target in PANEL_TARGETS:
        return render_claim(request, claim, refresh=True, notice=notice)
    return redirect(claim_url(claim))


def refused(request: HttpRequest, claim: Claim, error: Exception, **forms) -> HttpResponse:
    """A workflow rule or a newer version refused the change: say why, keep what was typed."""
    overrides = {"panel_error": str(error), **forms}
    if isinstance(error, StaleClaimError):
        overrides["stale"] = error.current
        for name, form in forms.items():
            # The user's text stays in the form, now based on the newer version.
            if form.is_bound and "version" in form.fields:
                data = form.data.copy()
                data["version"] = error.current.version
                overrides[name] = type(form)(data)
    return render_claim(request, claim, refresh=isinstance(error, StaleClaimError), **overrides)


RELOAD = "Reload the claim and try again."


def panel_post(
    request: HttpRequest,
    claim: Claim,
    form: Form,
    act: Callable[[Mapping], str],
    *,
    form_name: str = "",
) -> HttpResponse:
    """The claim panel's POST: ``form`` checked, ``act`` (its cleaned data → the notice to show)
    runs the model method, then the panel is drawn again with the notice (``done``), or with
    why the model refused (``refused``).

    ``form_name``: the panel's name for a form the person typed in (``details_form``): drawn
    again with its errors when invalid, and with what was typed when refused. Without it, the
    form is a button's (only the version the page was drawn at): an invalid one means a page
    to reload.
    """
    typed = {form_name: form} if form_name else {}
    if not form.is_valid():
        if typed:
            return render_claim(request, claim, **typed)
        return refused(request, claim, WorkflowError(RELOAD))
    try:
        notice = act(form.cleaned_data)
    except WorkflowError as error:
        return refused(request, claim, error, **typed)
    return done(request, claim, notice)
