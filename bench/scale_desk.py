"""The desk around the claims of ``bench.scale``: its people, its library of sources (with their
snapshots), the claims' citations and five years of history rows, as the app would have stored
them had the desk done the work through its pages.

Each claim's life is played out in order — created, taken up (and assigned), a verdict proposed
with its evidence cited, approved by an editor other than the proposer, or sent back, or marked
not checkable — and every save the app would have made is a django-simple-history row with the
claim's values at that moment, its author and its date; the claim's stored row is the last of
them (its ``version`` counts them, as ``Claim._save_version`` does). Sources are rated over
time (a second history row), and a third of them were archived twice (the page changed).

Row ids are worked out from the claim's id (history ``claim_id * 8 + n``, citations
``claim_id * 2 + n``), so every worker writes its own rows without asking another; the
sequences are set past the largest id after the load.
"""

import datetime
import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

#: The desk: reviewers take claims up and propose verdicts, editors approve them.
REVIEWERS, EDITORS = 32, 8
#: Of the claims, the share in each state where they end up (the rest are to do).
APPROVED, NEEDS_REVIEW, SENT_BACK, DISMISSED, IN_PROGRESS = 0.15, 0.10, 0.04, 0.04, 0.24
#: Of the articles, the share whose claims are all done (approved or not checkable) and the
#: share whose claims all wait for review or are done: the dashboard's "ready" and "in review".
FINISHED, IN_REVIEW = 0.04, 0.03
#: Sources per claim and the chance a proposed (not yet approved) verdict cites one already:
#: with one citation per approved claim (a second for one in fifty) the desk has 400,000
#: citations over 2,000,000 claims and 50,000 sources, as issue 17 asks.
SOURCES_PER_CLAIM = 1 / 40
CITED_IN_REVIEW = 0.15
SECOND_SNAPSHOT = 0.3
RATED = 0.4

KINDS = [
    ("official_statistics", 5),
    ("government_report", 3),
    ("press_release", 2),
    ("academic_paper", 1),
    ("news_report", 2),
    ("court_record", 1),
    ("interview", 1),
]
RELIABILITY = ["primary_official", "peer_reviewed", "established_outlet", "unverified"]
RELATIONS = [("supports", 6), ("contradicts", 3), ("context", 2)]
SENT_BACK_REASONS = [
    "The cited table counts something else: find the series the claim is about.",
    "The figure is from another year than the claim's.",
    "Cite the primary source, not the press release.",
]
DISMISS_REASONS = ["an opinion", "a prediction nobody can test yet", "a duplicate"]


def _weighted(r: random.Random, choices: list[tuple[str, int]]) -> str:
    return r.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


@dataclass
class Desk:
    """Who works at the desk, by user id."""

    reviewers: list[int]
    editors: list[int]
    verdicts: list[int]
    sources: int = 0

    @property
    def everyone(self) -> list[int]:
        return self.reviewers + self.editors


def make_desk(verdicts: list[int]) -> Desk:
    from annotations.models import Role
    from bench import data

    reviewers = data.ensure_users(REVIEWERS, "scaledesk", Role.REVIEWER)
    editors = data.ensure_users(EDITORS, "scaleeditor", Role.EDITOR)
    return Desk([u.pk for u in reviewers], [u.pk for u in editors], verdicts)


@dataclass
class Event:
    """One save of a claim: what changed, when, by whom (a history row)."""

    changes: dict
    by: int
    reason: str | None = None
    citations: list[dict] = field(default_factory=list)


def claim_life(r: random.Random, desk: Desk, article_kind: str) -> tuple[str, list[Event]]:
    """The saves of one claim after its creation, in order, and the state it ends in.
    ``article_kind`` is "finished", "in review" or "" (any state)."""
    roll = r.random()
    if article_kind == "finished":
        final = "approved" if roll < 0.8 else "dismissed"
    elif article_kind == "in review":
        final = "approved" if roll < 0.4 else "needs_review" if roll < 0.9 else "dismissed"
    else:
        edges = [APPROVED, NEEDS_REVIEW, SENT_BACK, DISMISSED, IN_PROGRESS]
        states = ["approved", "needs_review", "sent_back", "dismissed", "in_progress"]
        final, total = "to_do", 0.0
        for share, state in zip(edges, states, strict=True):
            total += share
            if roll < total:
                final = state
                break
    reviewer = r.choice(desk.reviewers)
    events: list[Event] = []
    if final == "to_do":
        if r.random() < 0.3:  # assigned, not started yet
            events.append(Event({"assignee_id": reviewer}, r.choice(desk.editors)))
        return final, events
    events.append(
        Event(
            {"state": "in_progress", "assignee_id": reviewer if r.random() < 0.85 else None},
            reviewer,
        )
    )
    if final == "in_progress":
        return final, events
    if final == "dismissed":
        reason = f"Marked not checkable: {r.choice(DISMISS_REASONS)}"
        events.append(Event({"state": "dismissed"}, reviewer, reason))
        return final, events
    verdict = r.choice(desk.verdicts)
    cited = final == "approved" or r.random() < CITED_IN_REVIEW
    citations = []
    if cited:
        citations.append({"by": reviewer})
        if final == "approved" and r.random() < 0.02:
            citations.append({"by": reviewer})
    events.append(
        Event(
            {
                "state": "needs_review",
                "verdict_id": verdict,
                "verdict_explanation": "Compared with the published series.",
                "verdict_proposed_by_id": reviewer,
            },
            reviewer,
            citations=citations,
        )
    )
    editor = r.choice(desk.editors)
    if final == "approved":
        events.append(Event({"state": "approved", "approved_by_id": editor}, editor))
    elif final == "sent_back":
        events.append(
            Event(
                {"state": "sent_back", "sent_back_reason": r.choice(SENT_BACK_REASONS)},
                editor,
            )
        )
    return final, events


def source_pick(r: random.Random, sources: int) -> int:
    """A source id, the library's first sources cited far more often than its last (a desk
    cites its national statistics office again and again)."""
    return 1 + int(sources * r.random() ** 2.5)


class Lifecycle:
    """Writes one claim's rows (history, citations and their history) as COPY lines, given
    its created values; returns the claim's final values."""

    def __init__(self, tables: dict, lines: dict, desk: Desk, now: datetime.datetime):
        self.tables, self.lines, self.desk, self.now = tables, lines, desk, now

    def history_line(self, table: str, values: dict, history_id: int, when, kind, by, reason):
        values = dict(
            values,
            history_id=history_id,
            history_date=when,
            history_type=kind,
            history_user_id=by,
            history_change_reason=reason,
        )
        self.lines[table].append(self.tables[table].line(values))

    def claim(self, r: random.Random, created: dict, events: list[Event], story: dict) -> dict:
        claim_id = created["id"]
        values = dict(created, state="to_do", version=1)
        when = created["created_at"]
        self.history_line(
            "historicalclaim", values, claim_id * 8, when, "+", created["created_by_id"], None
        )
        # The saves over the following weeks, never after now.
        span = max(60, min(int((self.now - when).total_seconds()), 45 * 86_400))
        offsets = sorted(r.randint(60, span) for _ in events)
        citation_n = 0
        for n, (event, offset) in enumerate(zip(events, offsets, strict=True), 1):
            moment = when + datetime.timedelta(seconds=offset)
            for cite in event.citations:
                citation_id = claim_id * 2 + citation_n
                citation_n += 1
                cited_at = moment - datetime.timedelta(seconds=r.randint(1, 3_600))
                citation = {
                    "id": citation_id,
                    "claim_id": claim_id,
                    "source_id": source_pick(r, self.desk.sources),
                    "relation": _weighted(r, RELATIONS),
                    "quote": f"{story['thing'].capitalize()} in {story['place']}, "
                    f"{story['year']}: see table {r.randint(1, 40)}.",
                    "locator": f"Table {r.randint(1, 40)}, p. {r.randint(1, 300)}",
                    "note": "",
                    "created_by_id": cite["by"],
                    "created_at": cited_at,
                }
                self.lines["citation"].append(self.tables["citation"].line(citation))
                self.history_line(
                    "historicalcitation", citation, citation_id, cited_at, "+", cite["by"], None
                )
            values.update(event.changes)
            if event.changes.get("state") == "approved":
                values["approved_at"] = moment
            values["version"] += 1
            values["updated_at"] = moment
            self.history_line(
                "historicalclaim", values, claim_id * 8 + n, moment, "~", event.by, event.reason
            )
        return values


# --- The library -------------------------------------------------------------------------------


def snapshot_html(title: str, publisher: str, body: str) -> tuple[bytes, str]:
    """A page as a statistics office serves it, and the text extracted from it."""
    text = f"{title}\n\n{publisher}\n\n{body}"
    html = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><header>{publisher}</header><main><h1>{title}</h1><p>{body}</p></main></body>"
        "</html>"
    )
    return html.encode(), text


def write_library(
    count: int, desk: Desk, tables: dict, now: datetime.datetime, media: Path, seed: int
) -> dict:
    """``count`` sources with their snapshots (files under ``media``) and history: COPY lines
    by table, and how many rows of each."""
    from bench.scale import THINGS, _org, _place

    r = random.Random(seed * 31 + 7)
    lines = {name: [] for name in ("source", "sourcesnapshot", "historicalsource")}
    snapshot_id = 0
    for source_id in range(1, count + 1):
        org, place, thing = _org(r), _place(r), r.choice(THINGS)
        year = r.randint(2012, 2025)
        kind = _weighted(r, KINDS)
        created = now - datetime.timedelta(seconds=r.randint(0, 5 * 365 * 86_400))
        author = r.choice(desk.reviewers)
        slug = org.lower().replace(" ", "-")
        values = {
            "id": source_id,
            "title": f"{thing.capitalize()} in {place}, {year}: {kind.replace('_', ' ')}",
            "url": f"https://{slug}.example/{kind}/{year}/{source_id}",
            "publisher": org,
            "kind": kind,
            "published_on": datetime.date(year, 1, 1) + datetime.timedelta(days=r.randint(0, 360)),
            "accessed_on": created.date(),
            "created_by_id": author,
            "created_at": created,
            "updated_at": created,
            "version": 1,
        }
        table = tables["historicalsource"]
        lines["historicalsource"].append(
            table.line(
                dict(values, history_id=source_id * 2, history_date=created, history_type="+")
                | {"history_user_id": author}
            )
        )
        if r.random() < RATED:
            editor = r.choice(desk.editors)
            rated = created + datetime.timedelta(seconds=r.randint(3_600, 90 * 86_400))
            rated = min(rated, now)
            values.update(
                reliability=r.choice(RELIABILITY),
                reliability_rationale="Checked against the office's release calendar.",
                updated_at=rated,
                version=2,
            )
            lines["historicalsource"].append(
                table.line(
                    dict(values, history_id=source_id * 2 + 1, history_date=rated)
                    | {"history_type": "~", "history_user_id": editor}
                )
            )
        lines["source"].append(tables["source"].line(values))
        taken = created
        figure = f"{r.randint(2, 900) * 100:,}"
        for n in range(2 if r.random() < SECOND_SNAPSHOT else 1):
            if n:
                taken = min(now, taken + datetime.timedelta(days=r.randint(30, 700)))
                figure = f"{r.randint(2, 900) * 100:,}"  # the page changed
            body = f"There were {figure} {thing} in {place} in {year}, the {org} reports."
            html, text = snapshot_html(values["title"], org, body)
            digest = hashlib.sha256(html).hexdigest()
            name = f"snapshots/{taken:%Y/%m}/{digest}"
            path = media / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(html)
            snapshot_id += 1
            lines["sourcesnapshot"].append(
                tables["sourcesnapshot"].line(
                    {
                        "id": snapshot_id,
                        "source_id": source_id,
                        "file": name,
                        "original_name": "",
                        "content_type": "text/html",
                        "size": len(html),
                        "sha256": digest,
                        "taken_at": taken,
                        "uploaded_by_id": author,
                        "fetched_url": values["url"],
                        "text": text,
                        "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                        "last_seen_at": taken,
                    }
                )
            )
    return lines
