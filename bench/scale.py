"""`make bench-scale` (`python -m bench.scale`): claims across articles (issue 13) at scale on
PostgreSQL — search, the proposals for one claim, the claims table and a conflict page — over
the issue's 100,000 articles / 2,000,000 claims, or over as many as the machine builds in the
time: the Makefile's default, 25,000 / 500,000, builds in about 20 minutes on 2 cores. Each
figure is measured at a fifth of the size (``--first``) and at the size, and extrapolated to
2,000,000 claims through both (a power law, its exponent shown).

A throwaway cluster of its own (``bin/pgcluster``, port 54349 or ``BENCH_SCALE_PG_PORT``, a
Unix socket in a temporary directory; shared_buffers 4 GB) is migrated and filled:

- **Data.** Invented news prose: each article tells some twenty claims, sentences about an
  organisation, a place, a year and a figure of something counted ("The Northern Water
  Authority said there were 80,000 households in Ashford in 2019."), among filler sentences. A
  third of the claims retell a recent story of another article, often with another figure or
  written another way (80,000 / 80k / 0.08 million), so proposals, families and conflicts
  have something to find. Claims' states, verdicts, assignees and dates are spread as a desk's
  would be.
- **The desk** (``bench.scale_desk``): 40 people (reviewers and editors), a library of one
  source per 40 claims with snapshot files and ratings, a citation for each approved claim, and
  every save of every claim, citation, article and source as a django-simple-history row over
  five years: created, taken up, a verdict proposed with its evidence, approved by another
  editor, sent back or marked not checkable. The first article tells 1,000 claims.
- **What the app derives, as the app derives it.** Each claim's figures are read by
  ``annotations.figures.extract_figures`` and its keys by ``annotations.families.index_keys``
  (the code ``Claim.save`` runs), in two worker processes; the search documents are written by
  the database's own triggers (``annotations.search``).
- **Loading.** ``COPY`` through psycopg, a block of articles at a time per worker, with the
  secondary indexes, unique and foreign-key constraints of the loaded tables dropped first and
  built again afterwards (constraints validated), then ``VACUUM ANALYZE`` (what autovacuum
  leaves on a server). One family is made of every
  twentieth story told in two or more articles (at most twelve members), its conflict worked
  out with ``figures_conflict`` as ``ClaimFamily`` does; every other conflict is resolved.

Then, with production settings (debug off) and Django's test client in this process, each
figure is the median of 30 runs after warm-up: the search page over a mix of queries, the
proposals for random claims (with ``EXPLAIN (ANALYZE, BUFFERS)`` of their queries printed), the
claims table over its bench mix (``bench.claim_table``) and the page of the largest open
conflict; then the desk's pages (``bench.scale_pages``): the dashboard's first page and each
filter and sort, the reader of the 1,000-claim article, creating a claim, the history pages,
the most cited source's page and the peak memory of a JSON export of 10,000 articles. While
measuring, a statement running past 5 s is cancelled (and counted as 5 s, the figure failed):
a query that never finishes does not stop the run. The load average is noted
with the figures (the machine may be shared).
The build time of each step is printed and kept. ``--articles`` / ``--claims`` (or
``BENCH_SCALE_ARTICLES`` / ``BENCH_SCALE_CLAIMS``) for a smaller run. Results go to
``bench/results/scale.json``; the cluster is stopped by its own PID file at the end, also on
failure.
"""

import argparse
import contextlib
import datetime
import hashlib
import json
import logging
import math
import multiprocessing
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_PORT = "54349"  # not CI's 54329 nor the load test's 54339
ARTICLES = 100_000
CLAIMS = 2_000_000
BLOCK = 250  # articles per COPY
#: The claims of the first article: the reader's figure is of an article this long.
BIG_ARTICLE = 1_000
#: The tables each worker writes, block by block (the others are written once, by this process).
BLOCK_TABLES = [
    "article",
    "claim",
    "claimfigure",
    "claimkey",
    "citation",
    "historicalarticle",
    "historicalclaim",
    "historicalcitation",
]
WORKERS = 2
RUNS, WARMUP = 30, 3
#: Of the claims, the share retelling a recent story told elsewhere.
RETOLD = 0.35
#: One story in this many is a family when told in two or more articles.
FAMILY_EVERY = 20
FAMILY_MAX = 12
TARGETS = {"search": 50, "proposals": 30, "claims table": 50, "conflict page": 50}

# --- Invented news -------------------------------------------------------------------------------

FIRST = ["Bérénice", "Zoë", "José", "Siân", "Chloé", "Renée", "Søren", "Łukasz", "Ana", "Tom"]
FIRST += ["Priya", "Ola", "Grace", "Kwame", "Mei", "Omar", "Ingrid", "Pablo", "Aoife", "Ravi"]
FIRST += ["Hannah", "Tariq", "Yuki", "Fatima", "Elena", "Marcus", "Nia", "Felix", "Leila", "Jon"]
LAST = ["Moreau", "Müller", "Álvarez", "Llewellyn", "Sousa", "Price", "Raman", "Nordmann"]
LAST += ["Okafor", "Chen", "Haddad", "Lindqvist", "García", "O'Neill", "Kapoor", "Novak"]
LAST += ["Mensah", "Tanaka", "Rahman", "Petrova", "Walsh", "Ferreira", "Kowalski", "Dubois"]
ORG_ADJ = ["National", "Northern", "Southern", "Eastern", "Western", "Central", "Regional"]
ORG_ADJ += ["Coastal", "Metropolitan", "Rural", "Independent", "Royal", "United", "County"]
ORG_ADJ += ["City", "Island", "Valley", "Highland", "Lowland", "Harbour"]
ORG_NOUN = ["Crime", "Health", "Water", "Transport", "Housing", "Education", "Fire", "Energy"]
ORG_NOUN += ["Statistics", "Audit", "Fisheries", "Forestry", "Library", "Museum", "Heritage"]
ORG_NOUN += ["Roads", "Rail", "Ferry", "Weather", "Police", "Prison", "Tax", "Trade", "Farming"]
ORG_KIND = ["Agency", "Authority", "Office", "Service", "Board", "Council", "Commission"]
ORG_KIND += ["Trust", "Institute", "Bureau"]
PLACE_HEAD = ["Ash", "Bel", "Brom", "Cal", "Dun", "Elm", "Fen", "Glen", "Har", "Kin", "Lan"]
PLACE_HEAD += ["Mor", "Nor", "Pen", "Ros", "Sal", "Tre", "Wick", "Wes", "Yar"]
PLACE_TAIL = ["ford", "bury", "ton", "ham", "wick", "mouth", "field", "ley", "stead", "by"]
THINGS = ["people", "offenders", "images", "arrests", "passengers", "pupils", "patients"]
THINGS += ["homes", "beds", "jobs", "cars", "trees", "visitors", "complaints", "fines"]
THINGS += ["flights", "crimes", "victims", "calls", "applications", "refugees", "nurses"]
THINGS += ["teachers", "vacancies", "households", "deaths", "births", "cases", "loans", "books"]
PAPERS = ["Courier", "Post", "Herald", "Gazette", "Chronicle", "Echo", "Mercury", "Times"]
FILLER = [
    "The figures were published on {day} alongside a short statement.",
    "Officials in {place} did not respond to a request for comment.",
    "Campaigners said the numbers told only part of the story.",
    "The report runs to {pages} pages and covers the whole of {place}.",
    "A spokesperson for the {org} said the method had not changed.",
    "Residents of {place} have raised the issue at several public meetings.",
    "The debate is expected to continue when the council meets on {day}.",
    "Independent researchers have questioned how the count was made.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# (quote, checkable statement) by kind of story; {n} and {n2} are figures as written, {p} a
# percentage.
TEMPLATES = {
    "count": [
        (
            "The {org} said there were {n} {thing} in {place} in {year}.",
            "There were {n} {thing} in {place} in {year}, according to the {org}.",
        ),
        (
            "According to {person} of the {org}, {n} {thing} were recorded in {place} in {year}.",
            "{n} {thing} were recorded in {place} in {year}.",
        ),
        (
            "{person} told reporters that {place} had {n} {thing} in {year}, citing the {org}.",
            "{place} had {n} {thing} in {year}.",
        ),
    ],
    "rate": [
        (
            "Figures from the {org} show {n} {thing} a month in {place}.",
            "{place} has {n} {thing} a month, according to the {org}.",
        ),
        (
            "{person} said {place} now sees {n} {thing} every month.",
            "{place} sees {n} {thing} a month.",
        ),
    ],
    "percent": [
        (
            "The number of {thing} in {place} rose by {p}% in {year}, the {org} reported.",
            "{Thing} in {place} rose by {p}% in {year}.",
        ),
        (
            "{person} of the {org} said {thing} in {place} were up {p}% in {year}.",
            "{Thing} in {place} were up {p}% in {year}.",
        ),
    ],
    "range": [
        (
            "{person} estimated that between {n} and {n2} {thing} are affected across {place}.",
            "Between {n} and {n2} {thing} are affected across {place}.",
        ),
        (
            "The {org} puts the number of {thing} in {place} at {n}–{n2}.",
            "There are {n}–{n2} {thing} in {place}, according to the {org}.",
        ),
    ],
}
KINDS = list(TEMPLATES)


def _org(r: random.Random) -> str:
    return f"{r.choice(ORG_ADJ)} {r.choice(ORG_NOUN)} {r.choice(ORG_KIND)}"


def _place(r: random.Random) -> str:
    return r.choice(PLACE_HEAD) + r.choice(PLACE_TAIL)


def _person(r: random.Random) -> str:
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def story(number: int) -> dict:
    """What a story says, from its number alone: any worker can retell any story."""
    r = random.Random(number * 7919 + 17)
    value = r.choice([1, 2, 3, 5, 8, 12, 20, 35, 50, 80]) * 10 ** r.randint(2, 5)
    return {
        "kind": r.choice(KINDS),
        "org": _org(r),
        "place": _place(r),
        "thing": r.choice(THINGS),
        "year": r.randint(2012, 2025),
        "person": _person(r),
        "value": value,
        "p": r.choice([5, 8, 12, 20, 25, 40, 60, 75, 100, 700]),
    }


def written(value: float, r: random.Random) -> str:
    """A number as papers write it: 80,000 · 80000 · 80k · 0.08 million."""
    value = int(round(value, -int(math.floor(math.log10(max(value, 1)))) + 1))
    forms = [f"{value:,}", f"{value:,}", str(value)]
    if value >= 1000 and value % 1000 == 0:
        forms.append(f"{value // 1000}k")
    if value >= 100_000:
        forms.append(f"{value / 1_000_000:g} million")
    return r.choice(forms)


def telling(number: int, r: random.Random) -> tuple[str, str, str, datetime.date]:
    """(quote, statement, claimant, claim date) of one telling of story ``number``: the same
    claim, worded one of its story's ways, its figure sometimes another."""
    s = story(number)
    value = s["value"] * (1 if r.random() < 0.6 else r.choice([0.5, 0.8, 1.25, 2, 3]))
    quote, statement = r.choice(TEMPLATES[s["kind"]])
    fields = {
        **s,
        "Thing": s["thing"].capitalize(),
        "n": written(value, r),
        "n2": written(value * r.choice([1.5, 2, 3]), r),
    }
    claimant = s["person"] if "{person}" in quote else f"the {s['org']}"
    when = datetime.date(s["year"], 1, 1) + datetime.timedelta(days=r.randint(0, 700))
    return quote.format(**fields), statement.format(**fields), claimant, when


def filler(r: random.Random) -> str:
    return r.choice(FILLER).format(
        day=r.choice(DAYS), place=_place(r), pages=r.randint(12, 400), org=_org(r)
    )


# --- COPY -----------------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def cell(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


class Table:
    """A model's table as COPY writes it: its columns, and each column's default (written out
    once: most cells of most rows are defaults)."""

    def __init__(self, model, now):
        fields = model._meta.concrete_fields
        self.name = model._meta.db_table
        self.pk = model._meta.pk.column
        self.columns = [f.column for f in fields]
        self.defaults = {}
        for f in fields:
            default = f.get_default()
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default = now
            self.defaults[f.column] = cell(default)

    def line(self, values: dict) -> str:
        get = values.get
        defaults = self.defaults
        return "\t".join(cell(get(c)) if c in values else defaults[c] for c in self.columns) + "\n"

    def copy(self, cursor, lines: list[str]) -> None:
        if not lines:
            return
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with cursor.copy(f'COPY "{self.name}" ({columns}) FROM STDIN') as copy:  # noqa: S608
            for at in range(0, len(lines), 5000):
                copy.write("".join(lines[at : at + 5000]))


class Derived:
    """What ``Claim.save`` derives from a claim's text — its figures (``extract_figures``, the
    first eight as ``ClaimFigure.from_figure`` stores them) and its family index keys
    (``families.index_keys``) — computed by that code, once per distinct text in each worker:
    a story retold in the same words gives the same rows, so it is read once (about one claim
    in eight here). The rows are those the app would store; ``tests/test_bench_scale.py``
    compares them with a plain ``Claim.save``."""

    LIMIT = 200_000  # entries kept before starting afresh (a worker's memory)

    def __init__(self):
        self._figures: dict = {}
        self._keys: dict = {}
        self.asked = self.read = 0

    def figures(self, quote: str, statement: str) -> tuple[list[dict], list]:
        """(the ClaimFigure rows' values without ids, the figures they hold)."""
        self.asked += 1
        found = self._figures.get((quote, statement))
        if found is None:
            from annotations.figures import extract_figures
            from annotations.models import Claim, ClaimFigure

            self.read += 1
            unsaved = Claim()  # what ClaimFigure.from_figure needs of a claim here: nothing
            read = [("quote", f) for f in extract_figures(quote)]
            read += [("statement", f) for f in extract_figures(statement)]
            rows, in_use = [], []
            for source, figure in read[:8]:
                row = ClaimFigure.from_figure(unsaved, source, figure)
                values = {name: getattr(row, name) for name in ClaimFigure.READING}
                values.update(source=source, start=row.start, end=row.end, text=row.text)
                rows.append(values)
                in_use.append(figure)
            if len(self._figures) >= self.LIMIT:
                self._figures.clear()
            found = self._figures[(quote, statement)] = (rows, in_use)
        return found

    def keys(self, quote: str, statement: str, claimant: str, figures: list) -> list[str]:
        key = (quote, statement, claimant)
        found = self._keys.get(key)
        if found is None:
            from annotations import families

            found = families.index_keys(families.features(quote, statement, claimant, figures))
            if len(self._keys) >= self.LIMIT:
                self._keys.clear()
            self._keys[key] = found
        return found

    def counts(self) -> dict:
        asked, read = self.asked, self.read
        self.asked = self.read = 0
        return {"asked": asked, "read": read}


derived = Derived()


# --- Building ------------------------------------------------------------------------------------


def build_block(job: dict) -> dict:
    """Articles ``job["first"]`` … ``job["last"] - 1`` (0-based) with their claims, figures,
    index keys, citations and history, written by COPY on a connection of this process. The
    first article of all tells ``BIG_ARTICLE`` claims (the reader's figure), numbered after
    every other claim."""
    import psycopg

    from annotations import anchoring
    from bench.scale_desk import FINISHED, IN_REVIEW, Lifecycle, claim_life

    tables, per_article, desk = job["tables"], job["per_article"], job["desk"]
    r = random.Random(job["seed"] * 1_000_003 + job["first"])
    now = job["now"]
    lines = {name: [] for name in tables}
    lifecycle = Lifecycle(tables, lines, desk, now)
    members = []
    made = {"articles": 0, "claims": 0, "figures": 0, "keys": 0, "extract_s": 0.0, "keys_s": 0.0}
    made |= {"citations": 0, "history": 0}
    for index in range(job["first"], job["last"]):
        article_id = index + 1
        claim_base = index * per_article
        told = per_article
        if index == 0:
            claim_base, told = job["big_base"], BIG_ARTICLE
        tellings = []
        for j in range(told):
            g = claim_base + j
            if r.random() < RETOLD and g > 50:
                number = r.randint(max(0, g // 3 - 30_000), g // 3)  # a recent story
            else:
                number = g // 3 + r.randint(0, 2) + 10_000_000  # one of its own
            tellings.append((number, *telling(number, r)))
        # The body: the claims' sentences in order, filler between them.
        sentences, spans, at = [], [], 0
        paragraph_length = 0
        for n, (_, quote, *_rest) in enumerate(tellings):
            if n and r.random() < 0.4:
                extra = filler(r)
                sentences.append(extra + " ")
                at += len(extra) + 1
            spans.append((at, at + len(quote)))
            sentences.append(quote)
            at += len(quote)
            paragraph_length += 1
            separator = "\n\n" if paragraph_length >= 3 and r.random() < 0.5 else " "
            paragraph_length = 0 if separator == "\n\n" else paragraph_length
            sentences.append(separator)
            at += len(separator)
        body = "".join(sentences).rstrip()
        first = story(tellings[0][0])
        title = f"{first['thing'].capitalize()} in {first['place']}: what the figures say"
        raw = f"{title}\n\n{body}"
        # Five years of a desk's work: imported a day or two after publication, claims made
        # over the next days and changed over the next weeks (the claims table sorts by it).
        imported = now - datetime.timedelta(seconds=r.randint(0, 5 * 365 * 86_400))
        published = (imported - datetime.timedelta(days=r.randint(0, 2))).date()
        importer = r.choice(desk.everyone)
        article = {
            "id": article_id,
            "title": title,
            "publisher_id": job["publishers"][index % len(job["publishers"])],
            "url": f"https://news.example/{article_id}/{first['place'].lower()}",
            "published_on": published,
            "body": body,
            "raw_text": raw,
            "content_hash": hashlib.sha256(
                f"{index}\n{raw}".encode()  # unique even for equal texts
            ).hexdigest(),
            "source_name": f"scale-{article_id}.txt",
            "imported_by_id": importer,
            "imported_at": imported,
            "updated_at": imported,
        }
        lines["article"].append(tables["article"].line(article))
        lifecycle.history_line(
            "historicalarticle", article, article_id, imported, "+", importer, None
        )
        made["articles"] += 1
        made["history"] += 1
        roll = r.random()
        article_kind = "finished" if roll < FINISHED and told == per_article else ""
        if FINISHED <= roll < FINISHED + IN_REVIEW and told == per_article:
            article_kind = "in review"
        for j, ((number, quote, statement, claimant, when), (start, end)) in enumerate(
            zip(tellings, spans, strict=True)
        ):
            claim_id = claim_base + j + 1
            selector = anchoring.selector_for(body, start, end, trim=False)
            created = imported + datetime.timedelta(seconds=r.randint(60, 3 * 86_400))
            creator = r.choice(desk.everyone)
            final, events = claim_life(r, desk, article_kind)
            stored = lifecycle.claim(
                r,
                {
                    "id": claim_id,
                    "article_id": article_id,
                    "start": start,
                    "end": end,
                    "quote": selector.exact,
                    "prefix": selector.prefix,
                    "suffix": selector.suffix,
                    "statement": statement,
                    "claimant": claimant,
                    "claim_date": when if r.random() < 0.7 else None,
                    "category": "statistic",
                    "created_by_id": creator,
                    "created_at": created,
                    "updated_at": created,
                },
                events,
                story(number),
            )
            lines["claim"].append(tables["claim"].line(stored))
            cited = sum(len(event.citations) for event in events)
            made["history"] += 1 + len(events) + cited  # the claim's saves, its citations'
            made["citations"] += cited
            started = time.perf_counter()
            figure_rows, in_use = derived.figures(quote, statement)
            made["extract_s"] += time.perf_counter() - started
            for n, values in enumerate(figure_rows):
                lines["claimfigure"].append(
                    tables["claimfigure"].line(dict(values, id=claim_id * 8 + n, claim_id=claim_id))
                )
            in_use = [(claim_id * 8 + n, figure) for n, figure in enumerate(in_use)]
            made["figures"] += len(in_use)
            started = time.perf_counter()
            keys = derived.keys(quote, statement, claimant, [f for _, f in in_use])
            made["keys_s"] += time.perf_counter() - started
            key_table = tables["claimkey"]
            for n, key in enumerate(keys):
                lines["claimkey"].append(
                    key_table.line(
                        {
                            "id": claim_id * 32 + n,
                            "claim_id": claim_id,
                            "article_id": article_id,
                            "key": key,
                        }
                    )
                )
            made["keys"] += len(keys)
            made["claims"] += 1
            if number % FAMILY_EVERY == 0:
                members.append((number, claim_id, article_id, statement, in_use))
    started = time.perf_counter()
    with (
        psycopg.connect(job["database_url"], autocommit=True) as connection,
        connection.cursor() as cursor,
    ):
        for name in tables:
            if name in BLOCK_TABLES:
                tables[name].copy(cursor, lines[name])
    made["copy_s"] = time.perf_counter() - started
    made["members"] = members
    made["derived"] = derived.counts()
    return made


def _constraints_and_indexes(cursor, tables: list[str]) -> tuple[list, list]:
    """The unique and foreign-key constraints and the secondary indexes of ``tables``: what
    slows a bulk load down, and is built faster at once afterwards."""
    constraints, indexes = [], []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
            [table],
        )
        constraints += [(table, name, definition) for name, definition in cursor.fetchall()]
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [table],
        )
        indexes += [(table, name, definition) for name, definition in cursor.fetchall()]
    return constraints, indexes


class Builder:
    """Grows the database a step at a time (``grow``): the rows of the next articles written by
    the workers, the indexes and constraints built again, the step's families made."""

    def __init__(self, args, database_url: str, log):
        from django.utils import timezone

        from annotations.models import (
            Article,
            Citation,
            Claim,
            ClaimFamily,
            ClaimFigure,
            ClaimKey,
            FamilyMembership,
            Publisher,
            Source,
            SourceSnapshot,
            Verdict,
        )
        from bench.scale_desk import SOURCES_PER_CLAIM, make_desk

        self.args, self.database_url, self.log = args, database_url, log
        self.now = timezone.now()
        self.desk = make_desk(list(Verdict.objects.values_list("pk", flat=True)))
        self.desk.sources = max(10, round(args.claims * SOURCES_PER_CLAIM))
        r = random.Random(args.seed)
        self.publishers = [
            Publisher.objects.create(name=f"The {_place(r)} {r.choice(PAPERS)} {n}").pk
            for n in range(400)
        ]
        models = {
            "article": Article,
            "claim": Claim,
            "claimfigure": ClaimFigure,
            "claimkey": ClaimKey,
            "claimfamily": ClaimFamily,
            "familymembership": FamilyMembership,
            "citation": Citation,
            "source": Source,
            "sourcesnapshot": SourceSnapshot,
            "historicalarticle": Article.history.model,
            "historicalclaim": Claim.history.model,
            "historicalcitation": Citation.history.model,
            "historicalsource": Source.history.model,
        }
        self.tables = {name: Table(model, self.now) for name, model in models.items()}
        self.per_article = max(1, round(args.claims / args.articles))
        # The first article's claims are numbered after all the others.
        self.big_base = args.articles * self.per_article
        self.totals = {"articles": 0, "claims": 0, "figures": 0, "keys": 0}
        self.totals |= {"families": 0, "conflicts": 0, "members": 0}
        self.totals |= {"citations": 0, "history": 0, "sources": 0, "snapshots": 0}
        self.derived = {"asked": 0, "read": 0}
        self.spent = {"extract_s": 0.0, "keys_s": 0.0, "copy_s": 0.0}
        self.steps: dict[str, float] = {}

    def step(self, name: str, started: float) -> None:
        seconds = round(time.monotonic() - started, 1)
        self.steps[name] = round(self.steps.get(name, 0.0) + seconds, 1)
        self.log(f"  {name}: {seconds:.0f} s")

    def grow(self, articles: int) -> dict:
        """Add articles (and their claims) until there are ``articles``; returns the totals."""
        from django.db import connection, connections

        from annotations import source_tallies

        started = time.monotonic()
        loaded = [table.name for table in self.tables.values()]
        with connection.cursor() as cursor:
            # Autovacuum would read the tables again and again as they fill (a third of a core
            # while loading); VACUUM ANALYZE runs once at the end, and autovacuum is back on.
            cursor.execute("ALTER SYSTEM SET autovacuum = off")
            cursor.execute("SELECT pg_reload_conf()")
            constraints, indexes = _constraints_and_indexes(cursor, loaded)
            for table, name, _ in constraints:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            for _, name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        # The sources' usage counts look citations and claims up by index: without the indexes
        # their triggers would scan the tables at every block. Counted once after the load.
        source_tallies.drop_triggers(connection)
        self.log(
            f"  dropped {len(constraints)} constraints and {len(indexes)} indexes of the "
            "loaded tables for the load"
        )
        if not self.totals["sources"]:
            self.library()
            self.step("sources, snapshots and their history", started)
            started = time.monotonic()
        jobs = [
            {
                "first": first,
                "last": min(articles, first + BLOCK),
                "seed": self.args.seed,
                "per_article": self.per_article,
                "tables": self.tables,
                "now": self.now,
                "publishers": self.publishers,
                "desk": self.desk,
                "big_base": self.big_base,
                "database_url": self.database_url,
            }
            for first in range(self.totals["articles"], articles, BLOCK)
        ]
        connections.close_all()  # the workers are forked: no shared connection, nor pool
        for connection_ in connections.all(initialized_only=True):
            if connection_.vendor == "postgresql":
                connection_.close_pool()
        members: dict[int, list] = {}
        context = multiprocessing.get_context("fork")
        with context.Pool(self.args.workers) as pool:
            for done, made in enumerate(pool.imap_unordered(build_block, jobs), 1):
                for name in ("articles", "claims", "figures", "keys", "citations", "history"):
                    self.totals[name] += made[name]
                for name in self.derived:
                    self.derived[name] += made["derived"][name]
                for name in self.spent:
                    self.spent[name] += made[name]
                for number, *member in made["members"]:
                    members.setdefault(number, []).append(member)
                if done % max(1, len(jobs) // 10) == 0 or done == len(jobs):
                    self.log(
                        f"  {self.totals['articles']:,} articles, {self.totals['claims']:,} "
                        f"claims, {self.totals['figures']:,} figures, {self.totals['keys']:,} "
                        f"keys ({time.monotonic() - started:.0f} s)"
                    )
        self.step("generate, read figures and keys, COPY", started)
        self.log(
            "    worker time so far: figures read {extract_s:.0f} s, keys {keys_s:.0f} s, "
            "COPY (with the search triggers) {copy_s:.0f} s".format(**self.spent)
            + f"; {self.derived['read']:,} distinct texts read for "
            f"{self.derived['asked']:,} claims"
        )
        started = time.monotonic()
        self.families(members)
        self.step("families", started)
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET max_parallel_maintenance_workers = 2")
            for table in self.tables.values():
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', "  # noqa: S608
                    f"'{table.pk}'), (SELECT coalesce(max(\"{table.pk}\"), 0) + 1 "
                    f'FROM "{table.name}"), false)'
                )
            for _, name, definition in indexes:
                begun = time.monotonic()
                cursor.execute(definition)
                if (seconds := time.monotonic() - begun) >= 5:
                    self.log(f"    index {name}: {seconds:.0f} s")
            for table, name, definition in constraints:
                begun = time.monotonic()
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                if (seconds := time.monotonic() - begun) >= 5:
                    self.log(f"    constraint {name}: {seconds:.0f} s")
        source_tallies.ensure(connection)  # the triggers back, every source counted
        self.step(
            "indexes and constraints (the search GIN and family key index among them)", started
        )
        started = time.monotonic()
        with connection.cursor() as cursor:
            # What autovacuum leaves on a server: statistics, and the visibility map without
            # which the planner cannot count on index-only reads.
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("ALTER SYSTEM RESET autovacuum")
            cursor.execute("SELECT pg_reload_conf()")
        self.step("VACUUM ANALYZE", started)
        totals = dict(self.totals)
        totals["build_s"] = round(sum(self.steps.values()), 1)
        totals["steps_s"] = dict(self.steps)
        totals["spent_s"] = {k: round(v, 1) for k, v in self.spent.items()}
        return totals

    def library(self) -> None:
        """The desk's sources (all of them at once: the claims of every step cite them), their
        snapshots' rows and files, and their history."""
        from django.conf import settings
        from django.db import connection

        from bench.scale_desk import write_library

        lines = write_library(
            self.desk.sources,
            self.desk,
            self.tables,
            self.now,
            Path(settings.MEDIA_ROOT),
            self.args.seed,
        )
        with connection.cursor() as cursor:
            for name, rows in lines.items():
                self.tables[name].copy(cursor.cursor, rows)
        self.totals.update(
            sources=len(lines["source"]),
            snapshots=len(lines["sourcesnapshot"]),
            history=self.totals["history"] + len(lines["historicalsource"]),
        )
        self.log(
            f"  {self.totals['sources']:,} sources, {self.totals['snapshots']:,} snapshots "
            f"(files in MEDIA_ROOT), {len(lines['historicalsource']):,} history rows"
        )

    def families(self, members: dict) -> None:
        """One family of each chosen story told in two or more articles of this step, its
        conflict worked out as ``ClaimFamily._check_conflict`` does; every other conflict
        resolved."""
        from django.db import connection

        from annotations.figures import figures_conflict
        from annotations.models import ClaimFamily

        tables, by, now = self.tables, self.desk.editors[0], self.now
        family_lines, link_lines = [], []
        family_id, link_id = self.totals["families"], self.totals["members"]
        conflicts = self.totals["conflicts"]
        for number in sorted(members):
            chosen, seen = [], set()
            for claim_id, article_id, statement, figures in members[number]:
                if article_id not in seen:
                    seen.add(article_id)
                    chosen.append((claim_id, statement, figures))
            chosen = chosen[:FAMILY_MAX]
            if len(chosen) < 2:
                continue
            family_id += 1
            read = [(fid, claim_id, f) for claim_id, _, figs in chosen for fid, f in figs]
            disagreeing = set()
            for i, (x, cx, fx) in enumerate(read):
                for y, cy, fy in read[i + 1 :]:
                    if cx != cy and figures_conflict(fx, fy, ClaimFamily.TOLERANCE):
                        disagreeing |= {x, y}
            conflict = bool(disagreeing)
            conflicts += conflict
            resolved = conflict and conflicts % 2 == 0
            family_lines.append(
                tables["claimfamily"].line(
                    {
                        "id": family_id,
                        "statement": chosen[0][1],
                        "version": len(chosen),
                        "member_count": len(chosen),
                        "conflict": conflict,
                        "conflict_figures": sorted(disagreeing),
                        "resolution": "revised_estimate" if resolved else "",
                        "resolution_note": "The later count replaces it." if resolved else "",
                        "resolved_by_id": by if resolved else None,
                        "resolved_at": now if resolved else None,
                        "created_by_id": by,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            )
            for claim_id, _, _ in chosen:
                link_id += 1
                link_lines.append(
                    tables["familymembership"].line(
                        {
                            "id": link_id,
                            "claim_id": claim_id,
                            "family_id": family_id,
                            "added_by_id": by,
                            "added_at": now,
                        }
                    )
                )
        with connection.cursor() as cursor:
            tables["claimfamily"].copy(cursor.cursor, family_lines)
            tables["familymembership"].copy(cursor.cursor, link_lines)
        made = family_id - self.totals["families"]
        self.totals.update(families=family_id, conflicts=conflicts, members=link_id)
        self.log(f"  {made:,} families more ({family_id:,} in all, {conflicts:,} conflicts)")


# --- Measuring -----------------------------------------------------------------------------------

# (label, query string): what a desk would type into the search box over this corpus.
QUERIES = [
    ("two words", {"q": "households Ashford"}),
    ("a phrase", {"q": '"Water Authority"'}),
    ("a number as written elsewhere", {"q": "80000"}),
    ("a number with a scale", {"q": "80k"}),
    ("a name without its accents", {"q": "Berenice Moreau"}),
    ("three words", {"q": "arrests doubled police"}),
    ("claims only, with a verdict", {"q": "passengers", "kind": "claim", "verdict": None}),
    ("articles only", {"q": '"what the figures say" Dunford', "kind": "article"}),
    ("a word found nowhere", {"q": "zeppelin"}),
    ("operators and quotes", {"q": 'NEAR( "* AND OR NOT col: -x'}),
]
#: While measuring, a statement running longer than this is cancelled and counted as this long
#: (a query that does not finish must not stop the run).
STATEMENT_TIMEOUT_MS = 5_000


def explain(sql: str, *, analyze: bool = True) -> str:
    """The plan of ``sql``, run (``ANALYZE``) unless it is one that was cancelled."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        try:
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET statement_timeout")


def _timed_mix(client, path: str, mix: list, *, rounds: int) -> dict[str, list]:
    """Each request of ``mix`` (label, query string) once per round after a warm-up round:
    the times of each, a cancelled one counted as ``STATEMENT_TIMEOUT_MS`` (and not asked
    again)."""
    times: dict[str, list] = {label: [] for label, _ in mix}
    cancelled: set[str] = set()
    for round_ in range(rounds + 1):
        for label, params in mix:
            if label in cancelled:
                if round_:
                    times[label].append(float(STATEMENT_TIMEOUT_MS))
                continue
            begun = time.perf_counter()
            try:
                response = client.get(path, params)
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}")
            except Exception as error:  # noqa: BLE001 — a cancelled statement is a result
                if "statement timeout" not in str(error):
                    raise
                cancelled.add(label)
                elapsed = float(STATEMENT_TIMEOUT_MS)
            else:
                elapsed = (time.perf_counter() - begun) * 1000
            if round_:
                times[label].append(elapsed)
    times["_cancelled"] = sorted(cancelled)
    return times


def _mix_result(figure: str, times: dict, target: float, what: str):
    from bench.measure import Result, percentile

    cancelled = times.pop("_cancelled")
    every = [t for values in times.values() for t in values]
    medians = {label: statistics.median(values) for label, values in times.items() if values}
    slowest = sorted(medians.items(), key=lambda item: -item[1])[:3]
    shown = ", ".join(
        f"{label} " + (f"> {ms / 1000:.0f} s (cancelled)" if label in cancelled else f"{ms:.0f} ms")
        for label, ms in slowest
    )
    median = statistics.median(every)
    return (
        Result(
            figure,
            target_ms=target,
            median_ms=round(median, 2),
            p95_ms=round(percentile(every, 0.95), 2),
            runs=len(every),
            passed=median <= target and not cancelled,
            note=f"{what}; slowest {shown}",
        ),
        medians,
    )


def measure_all(totals: dict, seed: int, log, tmp: Path) -> tuple[list, dict]:
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from annotations.models import Claim, ClaimFamily, User, Verdict
    from bench.measure import Result, measure

    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER DATABASE {connection.settings_dict['NAME']} "
            f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}"
        )
    connections.close_all()
    r = random.Random(seed)
    client = Client()
    reviewer = User.objects.filter(username__startswith="scaledesk").order_by("pk").first()
    client.force_login(reviewer)
    size = f"{totals['articles']:,} articles / {totals['claims']:,} claims"
    results, plans = [], {}

    # Search: every query of the mix the same number of times.
    verdict = Verdict.objects.order_by("pk").first()
    mix = [
        (label, {**params, "verdict": verdict.pk} if "verdict" in params else params)
        for label, params in QUERIES
    ]
    times = _timed_mix(client, reverse("annotations:search"), mix, rounds=3)
    result, medians = _mix_result(
        f"search, {size} (median over a mix of queries)",
        times,
        TARGETS["search"],
        f"{len(mix)} queries × 3",
    )
    log("  search medians: " + ", ".join(f"{n} {m:.1f}" for n, m in medians.items()))
    results.append(result)
    # The plan of the slowest query's slowest statement, for whoever tunes it.
    slowest = max(medians, key=medians.get)
    with (
        CaptureQueriesContext(connection) as context,
        contextlib.suppress(Exception),  # cancelled: its statements are captured all the same
    ):
        client.get(reverse("annotations:search"), dict(mix)[slowest])
    selects = [q for q in context.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    if selects:
        worst = max(selects, key=lambda q: float(q["time"] or 0))
        cancelled = float(worst["time"] or 0) * 1000 >= STATEMENT_TIMEOUT_MS * 0.9
        plans[
            f"search, {slowest!r} (its slowest statement"
            + (", cancelled: the plan without running it)" if cancelled else ")")
        ] = explain(worst["sql"], analyze=not cancelled)

    # Proposals for one claim.
    ids = [r.randint(1, totals["claims"]) for _ in range(RUNS + WARMUP)]
    state = {"n": 0, "found": 0}

    def propose():
        claim = Claim.objects.get(pk=ids[state["n"] % len(ids)])
        state["n"] += 1
        found = claim.proposals()
        state["found"] += len(found)
        return found

    result = measure(
        f"proposals for one claim, {size}",
        propose,
        runs=RUNS,
        warmup=WARMUP,
        target_ms=TARGETS["proposals"],
    )
    result.note = (
        f"{totals['keys']:,} index keys; {state['found'] / max(state['n'], 1):.1f} proposals a "
        "claim; reading the claim included"
    )
    results.append(result)
    claim = Claim.objects.get(pk=ids[0])
    with CaptureQueriesContext(connection) as context:
        claim.proposals()
    for n, query in enumerate(context.captured_queries, 1):
        plans[f"proposals, query {n} of {len(context.captured_queries)}"] = explain(query["sql"])

    # The claims table, over its bench mix, when it is there.
    try:
        path = reverse("annotations:claim-list")
    except NoReverseMatch:
        path = None
    if path is None:
        results.append(Result(f"claims table, {size}", note="not built yet (no /claims/)"))
    else:
        from bench.claim_table import mix as table_mix

        found = Claim.objects.order_by("-pk").values("article_id", "article__publisher__name")[0]
        requests = table_mix(
            {
                "reviewer": reviewer,
                "verdict": verdict.pk,
                "article": found["article_id"],
                "publisher": found["article__publisher__name"],
            }
        )
        times = _timed_mix(client, path, requests, rounds=2)
        result, medians = _mix_result(
            f"claims table, {size} (median over a mix of filters, sorts and searches)",
            times,
            TARGETS["claims table"],
            f"{len(requests)} requests × 2 (bench.claim_table)",
        )
        log("  claims table medians: " + ", ".join(f"{n} {m:.1f}" for n, m in medians.items()))
        results.append(result)

    # The page of the largest open conflict.
    family = (
        ClaimFamily.objects.filter(conflict=True, resolution="")
        .order_by("-member_count", "pk")
        .first()
    )
    path = reverse("annotations:family-detail", args=[family.pk])
    result = measure(
        f"conflict page, {size} (a family of {family.member_count} claims)",
        lambda: client.get(path),
        runs=RUNS,
        warmup=WARMUP,
        target_ms=TARGETS["conflict page"],
        check=lambda response: None if response.status_code == 200 else "not 200",
    )
    result.note = (
        f"{len(family.conflict_figures)} disagreeing figures; "
        f"{totals['families']:,} families, {totals['conflicts']:,} conflicts in all"
    )
    results.append(result)

    # The desk's pages (issue 17): dashboard, reader, claim create, history, source, export.
    from bench import scale_pages

    found = Claim.objects.filter(assignee__isnull=False).values("assignee_id")[0]
    publisher = Claim.objects.order_by("-pk").values("article__publisher__name")[0]
    result, medians, dashboard_plans = scale_pages.measure_dashboard(
        client,
        {
            "verdict": verdict.pk,
            "publisher": publisher["article__publisher__name"],
            "assignee": found["assignee_id"],
            "word": "households",
        },
        (_timed_mix, _mix_result),
        explain,
        log,
        size,
    )
    results.append(result)
    plans |= dashboard_plans
    results += scale_pages.measure_reader(client, measure, log)
    results.append(scale_pages.measure_claim_create(client, measure, r))
    if (tally_writes := scale_pages.measure_tally_writes(log)) is not None:
        results.append(tally_writes)
    history_results, history_plans = scale_pages.measure_history(client, measure, explain, log)
    results += history_results
    plans |= history_plans
    results.append(scale_pages.measure_export_memory(tmp, log))
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {connection.settings_dict['NAME']} RESET statement_timeout")
    connections.close_all()
    return results, plans


def extrapolate(points: list[tuple[int, list]], target: int) -> list[str]:
    """Each figure at ``target`` claims, from the two sizes measured: a power law through
    both (time ∝ claims^k), k shown; a cancelled figure is only a lower bound."""
    (small, first), (large, second) = points[0], points[-1]
    lines = []
    for a, b in zip(first, second, strict=True):
        if a.median_ms is None or b.median_ms is None:
            continue
        k = math.log(max(b.median_ms, 0.01) / max(a.median_ms, 0.01)) / math.log(large / small)
        k = max(k, 0.0)
        guess = b.median_ms * (target / large) ** k
        bound = "at least " if "cancelled" in b.note else ""
        lines.append(
            f"{b.figure.split(',')[0]}: {a.median_ms:,.1f} ms at {small:,} claims, "
            f"{b.median_ms:,.1f} ms at {large:,} (k = {k:.2f}) → {bound}~{guess:,.0f} ms "
            f"at {target:,}"
        )
    return lines


# --- The run -------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench-scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument(
        "--articles", type=int, default=int(os.environ.get("BENCH_SCALE_ARTICLES", ARTICLES))
    )
    parser.add_argument(
        "--claims", type=int, default=int(os.environ.get("BENCH_SCALE_CLAIMS", CLAIMS))
    )
    parser.add_argument(
        "--first",
        type=float,
        default=0.2,
        help="also measure at this share of the size first, to extrapolate (0: do not)",
    )
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument(
        "--output", default=str(ROOT / "bench" / "results" / "scale.json"), help="results file"
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the built cluster in DIR (stopped at the end) and, on a later run with the "
        "same sizes and seed, start it again and only measure",
    )
    return parser.parse_args(argv)


def start_cluster(tmp: Path, stack: list, *, keep: bool = False, resume: bool = False) -> str:
    cluster = tmp / "pg"
    env = dict(os.environ, PGCLUSTER_PORT=os.environ.get("BENCH_SCALE_PG_PORT", PG_PORT))
    pgcluster = str(ROOT / "bin" / "pgcluster")
    # Registered first: `pgcluster stop` stops the server by its own PID file and removes DIR;
    # `pause` stops it and keeps DIR for the next run.
    end = "pause" if keep else "stop"
    stack.append(lambda: subprocess.run([pgcluster, end, str(cluster)], env=env, check=False))
    done = subprocess.run(
        [pgcluster, "resume" if resume else "start", str(cluster)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bin/pgcluster start failed: {done.stderr.strip()}")
    url = done.stdout.strip().splitlines()[-1]
    if resume:
        return url  # its settings were made when it was built
    # Memory for tables of millions of rows, as a production server would have it.
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for setting, value in (
            ("shared_buffers", "4GB"),
            ("effective_cache_size", "12GB"),
            ("work_mem", "32MB"),
            ("max_wal_size", "8GB"),
            ("checkpoint_timeout", "30min"),
        ):
            connection.execute(f"ALTER SYSTEM SET {setting} = '{value}'")
    owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    subprocess.run(
        [*owner, "pg_ctl", f"--pgdata={cluster / 'data'}", "--wait", "--silent", "restart"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


def configure(tmp: Path, database_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="factcheck.settings",
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        FACTCHECK_VAR_DIR=str(tmp / "var"),
    )


def report(points, totals: dict, plans: dict, info: dict, estimates: list[str]) -> str:
    from bench.report import describe_machine, table

    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in totals["steps_s"].items())
    lines = [
        f"Machine: {describe_machine(info)}",
        f"Built {totals['articles']:,} articles, {totals['claims']:,} claims, "
        f"{totals['figures']:,} figures, {totals['keys']:,} index keys, "
        f"{totals['families']:,} families ({totals['conflicts']:,} conflicts), "
        f"{totals.get('citations', 0):,} citations of {totals.get('sources', 0):,} sources "
        f"({totals.get('snapshots', 0):,} snapshots), {totals.get('history', 0):,} history "
        "rows in "
        f"{totals['build_s'] / 60:.1f} min ({steps})",
        "",
        table([result for _, results in points for result in results]),
    ]
    if estimates:
        lines += ["", f"Extrapolated to {CLAIMS:,} claims:", *[f"- {e}" for e in estimates]]
    for name, plan in plans.items():
        lines += ["", f"EXPLAIN (ANALYZE, BUFFERS): {name}", plan]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.keep:
        tmp = Path(args.keep).resolve()
        tmp.mkdir(parents=True, exist_ok=True)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="factcheck-bench-scale-"))
    os.chmod(tmp, 0o755)  # noqa: S103 — PostgreSQL runs as its own user when we are root
    sizes_asked = {"articles": args.articles, "claims": args.claims, "seed": args.seed}
    sizes_asked["first"] = args.first
    built_file = tmp / "built.json"
    built = json.loads(built_file.read_text()) if args.keep and built_file.exists() else None
    if built and built["asked"] != sizes_asked:
        raise SystemExit(
            f"{tmp} holds a build of {built['asked']}; ask for the same or give another --keep"
        )
    stack: list = []
    started = time.monotonic()
    try:
        log(
            ("resuming the PostgreSQL cluster built" if built else "starting a PostgreSQL cluster")
            + f" in {tmp}"
        )
        database_url = start_cluster(tmp, stack, keep=bool(args.keep), resume=bool(built))
        configure(tmp, database_url)
        import django

        django.setup()
        from django.core.management import call_command

        from bench.report import machine

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        info = machine()
        sizes = [args.articles]
        if 0 < args.first < 1:
            sizes.insert(0, max(1, round(args.articles * args.first)))
        points, plans = [], {}
        if built:
            # The smaller sizes were measured when the cluster was built; the size is measured
            # again on the kept data.
            from bench.measure import Result

            for point in built["points"]:
                for figure in point["figures"]:
                    figure["note"] += " (measured when the data was built)"
                points.append((point["claims"], [Result(**f) for f in point["figures"]]))
            sizes = sizes[-1:]
        else:
            builder = Builder(args, database_url, log)
        for articles in sizes:
            if built:
                totals = built["totals"]
            else:
                log(
                    f"building up to {articles:,} articles "
                    f"({articles * builder.per_article:,} claims)"
                )
                totals = builder.grow(articles)
                if args.keep and articles == sizes[-1]:
                    # Kept before measuring: a measurement that fails loses no build.
                    kept_points = [
                        {"claims": claims, "figures": [r.as_dict() for r in rs]}
                        for claims, rs in points
                    ]
                    built_file.write_text(
                        json.dumps(
                            {"asked": sizes_asked, "totals": totals, "points": kept_points},
                            indent=2,
                        )
                    )
            log(f"measuring at {totals['claims']:,} claims")
            before = os.getloadavg()[0]
            results, plans = measure_all(totals, args.seed, log, tmp)
            # The machine may be shared: how busy it was is part of the figures.
            load = f"load average {before:.1f} before measuring, {os.getloadavg()[0]:.1f} after"
            log(f"  {load}")
            for result in results:
                result.note = f"{result.note}; {load}"
            points.append((totals["claims"], results))
        estimates = []
        if len(points) > 1 and points[-1][0] < CLAIMS:
            estimates = extrapolate(points, CLAIMS)
            estimates.append(
                f"build: {totals['build_s'] / 60:.1f} min for {totals['claims']:,} claims → "
                f"~{totals['build_s'] * CLAIMS / totals['claims'] / 60:.0f} min for "
                f"{CLAIMS:,} (every step is linear in the rows, the index sorts n log n)"
            )
        text = report(points, totals, plans, info, estimates)
        print(text)
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(
            json.dumps(
                {
                    "machine": info,
                    "totals": totals,
                    "points": [
                        {"claims": claims, "figures": [r.as_dict() for r in results]}
                        for claims, results in points
                    ],
                    "extrapolated": estimates,
                    "plans": plans,
                    "run_s": round(time.monotonic() - started),
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
        log(f"done in {(time.monotonic() - started) / 60:.1f} min; results in {output}")
        failed = [r.figure for _, results in points for r in results if r.passed is False]
        return 1 if failed else 0
    finally:
        if "django" in sys.modules and os.environ.get("DATABASE_URL"):
            from django.db import connections

            connections.close_all()
        while stack:
            stack.pop()()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
