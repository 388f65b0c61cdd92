"""The article reader: the body with claims highlighted, the claim list and the side panel."""

import hashlib
from dataclasses import dataclass
from html import escape

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.forms import ClaimCreateForm, ClaimReattachForm
from annotations.highlights import highlight_class
from annotations.models import Article, Claim, Suggestion, Verdict, WorkflowError
from annotations.roles import reviewer_required
from annotations.segments import paragraph_spans, render_body, render_inline, render_paragraphs
from annotations.urlnorm import is_http_url

PANEL_TARGETS = {"claim-panel"}
LIST_TEXT_LENGTH = 90
STATE_LABELS = dict(Claim.State.choices)
# More rows than the claim list's box (32vh high) shows on any screen: the list is laid out
# after the first frame, in a box of that height.
CLAIM_ROWS_IN_BOX = 30


def get_article_for_user(request: HttpRequest, pk: int) -> Article:
    # Every signed-in role may read every article; unknown ids are 404. (The publisher's name
    # is in the article's header.)
    return get_object_or_404(Article.objects.select_related("publisher"), pk=pk)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LIST_TEXT_LENGTH else text[: LIST_TEXT_LENGTH - 1] + "…"


def claim_detail_prefix(article: Article) -> str:
    """The claim URL of ``article`` up to the claim id (``/articles/3/claims/``)."""
    detail = reverse("annotations:claim-detail", args=[article.pk, 0])
    return detail[: detail.rindex("/0/") + 1]


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
    """One row of the claim list.

    One element per row, not a template loop: a long article lists a thousand claims and
    every element costs the browser parsing and layout. The swatch and the state and verdict
    badges are drawn by reader.css from the classes and data attributes; reader.js opens the
    link in the panel (one listener, no htmx attributes per row).
    """
    verdict_attr = f' data-verdict="{escape(verdict_label)}"' if verdict_label else ""
    oob_attr = ' hx-swap-oob="true"' if oob else ""
    return (
        f'<a id="claim-item-{pk}" class="claim-item {css} is-{state}" '
        f'href="{detail_prefix}{pk}/" data-state="{escape(STATE_LABELS.get(state, state))}"'
        f"{verdict_attr}{oob_attr}>{escape(_short(text))}{family_badge(*family)}</a>"
    )


def family_badge(members: int | None, conflict: bool | None, resolution: str | None) -> str:
    """The claim list's badge for a claim in a family: its figures disagree with another
    member's (an open conflict), or how many other claims make the same claim. Read from the
    columns the claim list's one query already has: no query per claim."""
    if conflict and not resolution:
        return '<span class="badge family-badge conflict">conflict</span>'
    if members and members > 1:
        return f'<span class="badge family-badge">{members - 1} related</span>'
    return ""


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
    texts = {part: article.text_of(part) for part in Article.Part.values}
    detail_prefix = claim_detail_prefix(article)
    classes = {}
    items = []
    used_verdicts = set()
    spans = {part: [] for part in texts}
    for pk, part, start, end, state, verdict_id, statement, _, *family in rows:
        css = classes[pk] = highlight_class(verdict_id, state)
        verdict = verdicts.get(verdict_id)
        if verdict_id:
            used_verdicts.add(verdict_id)
        label = verdict.label if verdict else None
        spans[part].append((pk, start, end))
        items.append(
            claim_list_item(
                detail_prefix,
                pk,
                css,
                state,
                label,
                statement or texts[part][start:end],
                family=family,
            )
        )
    body_html = render_body(texts[Article.Part.BODY], spans[Article.Part.BODY], classes)
    part_html = {
        part: render_inline(texts[part], spans[part], classes)
        for part in (Article.Part.HEADLINE, Article.Part.STANDFIRST)
    }
    styles = verdict_styles_version(sorted((v.pk, v.colour) for v in verdicts.values()))
    legend = [v for v in verdicts.values() if v.is_active or v.pk in used_verdicts]
    legend.sort(key=lambda v: (v.order, v.label))
    return {
        "article": article,
        "article_url_is_link": is_http_url(article.url),
        "body_html": body_html,
        "headline_html": part_html[Article.Part.HEADLINE],
        "standfirst_html": part_html[Article.Part.STANDFIRST],
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
        "claim_items": mark_safe("".join(items)),  # noqa: S308 - built from escaped text
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
    rows = Claim.objects.overlapping(article.pk, low, high, change.part)
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
    count, following = Claim.objects.count_and_following(
        article.pk, change.start, change.end, change.pk, change.part
    )
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


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for_user(request, pk)
    return render_workspace(request, article, {"panel": "empty"})


@reviewer_required
@require_GET
def article_live(request: HttpRequest, pk: int) -> HttpResponse:
    """What another person's change altered in the reader, as out-of-band fragments (live.js
    asks here when the article's live group tells of a change): for one claim
    (``claim``, ``kind``, ``part``, ``start``, ``end`` from the event), the same fragments its
    author got back; without them (after a lost connection, or the article's text edited) every
    region: the claim list, headline, standfirst and body."""
    article = get_article_for_user(request, pk)
    claim, kind = request.GET.get("claim", ""), request.GET.get("kind", "")
    start, end = request.GET.get("start", ""), request.GET.get("end", "")
    part = request.GET.get("part", "")
    known_kind = kind in (ClaimChange.CREATED, ClaimChange.CHANGED, ClaimChange.DELETED)
    known_part = part in Article.Part.values
    if known_kind and known_part and all(v.isdigit() and len(v) < 12 for v in (claim, start, end)):
        change = ClaimChange(int(claim), int(start), int(end), kind, part)
        return HttpResponse(change_fragments(request, article, change))
    return HttpResponse(every_region_fragments(request, article))


@reviewer_required
@require_GET
def article_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The file as it was imported, beside what the importer left out of the body: a line
    removed by mistake is seen here and brought back by re-importing."""
    article = get_article_for_user(request, pk)
    return render(request, "annotations/article_original.html", {"article": article})


@reviewer_required
@require_POST
def claim_reattach(request: HttpRequest, article_pk: int, pk: int) -> HttpResponse:
    """Give an orphaned claim a new place: the words the reviewer selected."""
    article = get_article_for_user(request, article_pk)
    claim = get_object_or_404(Claim, article=article, pk=pk)
    form = ClaimReattachForm(request.POST, article=article)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(reverse("annotations:article-detail", args=[article.pk]) + "#orphans")
    try:
        claim.reattach(
            form.selector,
            by=request.user,
            version=form.cleaned_data["version"],
            part=form.cleaned_data["part"],
        )
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect(reverse("annotations:article-detail", args=[article.pk]) + "#orphans")
    claim.refresh_from_db()
    if claim.is_orphan:
        messages.success(
            request,
            f"Claim {claim.pk} is approved: its new place waits for a second person's approval "
            "in the claim panel.",
        )
    else:
        messages.success(request, f"Claim {claim.pk} is attached to “{_short(claim.quote)}”.")
    return redirect(claim.get_absolute_url())


def verdict_styles_version(rows: list[tuple[int, str]]) -> str:
    """Names the content of the verdict stylesheet: (id, colour) of every verdict by id."""
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:20]


@reviewer_required
@require_GET
def verdict_styles(request: HttpRequest) -> HttpResponse:
    """A class per verdict (``.verdict-12``) setting its highlight colour, for every page.

    Colours are data, and the CSP forbids inline styles, so they are served as a stylesheet;
    the ETag lets browsers keep it until an admin changes the vocabulary.
    """
    rows = list(Verdict.objects.order_by("pk").values_list("pk", "colour"))
    version = verdict_styles_version(rows)
    etag = f'"{version}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    lines = []
    for pk, colour in rows:
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        lines.append(
            f".verdict-{pk} {{ --hl: {colour}; --hl-soft: rgba({red}, {green}, {blue}, 0.3); }}"
        )
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    if request.GET.get("v") == version:
        # The reader links the stylesheet with its version: a new tab need not ask again.
        patch_cache_control(response, private=True, max_age=365 * 24 * 3600, immutable=True)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response
