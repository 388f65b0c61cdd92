"""Simulated reviewers: threads, each signed in through the real login form, reading and writing
the way the claim panel does (htmx requests with ``HX-Target: claim-panel``).

Every write that got a success response is recorded with the values written and the version it
was based on, so the database can be checked afterwards (see ``integrity``).
"""

import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.data import spans
from bench.forms import find_form
from bench.server import Session

PANEL = {"HX-Request": "true", "HX-Target": "claim-panel"}
SUCCESS = 'class="alert success"'
REFUSED = 'class="alert error"'
STALE = "Their version is shown below"
CLAIM_HEADING = re.compile(r"<h2>Claim (\d+)</h2>")


@dataclass
class Sample:
    action: str
    status: int
    ms: float
    error: str = ""


@dataclass
class Write:
    kind: str  # create, edit, cite
    outcome: str  # success, conflict, refused, server-error, limited, unknown
    token: str
    claim: int | None = None
    article: int | None = None
    version_sent: int | None = None
    values: dict = field(default_factory=dict)


@dataclass
class Plan:
    """What the simulated reviewers work on (ids and URLs from the seeded database)."""

    base_url: str
    usernames: list[str]
    password: str
    articles: list[dict]  # {"pk", "body"}
    hot_claims: list[tuple[int, int]]  # (article pk, claim pk) everyone edits
    sources: list[int]
    urls: dict  # name → URL template with {article}/{claim}
    duration: float
    think: tuple[float, float] = (0.5, 3.0)  # seconds between a reviewer's actions
    ramp: float = 5.0
    started: float = 0.0  # time.monotonic() when the load began
    writers: bool = False  # only write (create, edit, cite): the SQLite locking test
    # Seconds between the background jobs the first reviewer starts meanwhile (0: none): a PDF
    # report of ``job_articles`` articles and a JSON export of every article, in turn.
    job_every: float = 0.0
    job_articles: list[int] = field(default_factory=list)
    # A second run of the same plan on the same database (run.py --live-readers) writes other
    # statements: the same ones again would change nothing and read as lost writes.
    phase: int = 0


class Reviewer(threading.Thread):
    def __init__(self, number: int, plan: Plan, samples: list, writes: list, lock):
        super().__init__(daemon=True, name=f"reviewer-{number}")
        self.number, self.plan = number, plan
        self.samples, self.writes, self.lock = samples, writes, lock
        self.rng = random.Random(1000 + number)
        self.session = Session(plan.base_url)
        self.own_claims: list[tuple[int, int]] = []
        self.counter = 0

    # --- plumbing ---------------------------------------------------------------------------

    def call(self, action: str, method: str, path: str, data=None, headers=None):
        started = time.perf_counter()
        try:
            status, response_headers, body = self.session.request(method, path, data, headers)
            error = ""
        except Exception as exc:  # noqa: BLE001 — a dropped connection is a result
            status, response_headers, body = 0, {}, ""
            error = f"{type(exc).__name__}: {exc}"
            self.session.close()
        sample = Sample(action, status, (time.perf_counter() - started) * 1000, error)
        if status >= 500 and "database is locked" in body:
            sample.error = "database is locked"
        with self.lock:
            self.samples.append(sample)
        return status, response_headers, body

    def record(self, write: Write):
        with self.lock:
            self.writes.append(write)

    def token(self) -> str:
        self.counter += 1
        phase = f"p{self.plan.phase}-" if self.plan.phase else ""
        return f"lt-{phase}{self.number}-{self.counter}-{self.rng.randrange(10**6)}"

    def url(self, name: str, **kwargs) -> str:
        return self.plan.urls[name].format(**kwargs)

    def think(self):
        time.sleep(self.rng.uniform(*self.plan.think))

    @staticmethod
    def outcome(status: int, body: str) -> str:
        if status >= 500 or status == 0:
            return "server-error"
        if status == 429:
            return "limited"
        if status == 200 and SUCCESS in body and REFUSED not in body:
            return "success"
        if status == 200 and STALE in body:
            return "conflict"
        if status == 200 and REFUSED in body:
            return "refused"
        return "unknown"

    # --- actions ----------------------------------------------------------------------------

    def read_dashboard(self):
        query = self.rng.choice(["", "?q=library", "?page=2", "?sort=title"])
        self.call("dashboard", "GET", self.url("dashboard") + query)

    def read_article(self):
        article = self.rng.choice(self.plan.articles)
        self.call("reader", "GET", self.url("reader", article=article["pk"]))

    def open_panel(self, article: int, claim: int) -> str:
        status, _, body = self.call(
            "panel", "GET", self.url("claim", article=article, claim=claim), headers=PANEL
        )
        return body if status == 200 else ""

    def create_claim(self):
        article = self.rng.choice(self.plan.articles)
        start, end = self.rng.choice(spans(self.rng, article["body"], 1))
        token = self.token()
        values = {
            "start": start,
            "end": end,
            "quote": article["body"][start:end],
            "statement": token,
            "category": "statistic",
        }
        path = self.url("create", article=article["pk"])
        query = urlencode({k: values[k] for k in ("start", "end", "quote")})
        self.call("new-claim form", "GET", f"{path}?{query}", headers=PANEL)
        self.think()
        status, _, body = self.call("create", "POST", path, values, headers=PANEL)
        outcome = self.outcome(status, body)
        match = CLAIM_HEADING.search(body)
        claim = int(match.group(1)) if match and outcome == "success" else None
        self.record(Write("create", outcome, token, claim, article["pk"], values=values))
        if claim:
            self.own_claims.append((article["pk"], claim))

    def edit_claim(self, hot: bool):
        if hot or not self.own_claims:
            article, claim = self.rng.choice(self.plan.hot_claims)
        else:
            article, claim = self.rng.choice(self.own_claims)
        page = self.open_panel(article, claim)
        action = self.url("update", article=article, claim=claim)
        form = find_form(page, action)
        if not form or "version" not in form.fields:
            return
        self.think()  # reading, typing: others may save meanwhile
        token = self.token()
        fields = dict(form.fields)
        fields["statement"] = token
        status, _, body = self.call("edit", "POST", action, fields, headers=PANEL)
        self.record(
            Write(
                "edit",
                self.outcome(status, body),
                token,
                claim,
                article,
                int(form.fields["version"]),
                {"statement": token},
            )
        )

    def cite(self):
        pool = self.own_claims or self.plan.hot_claims
        article, claim = self.rng.choice(pool)
        page = self.open_panel(article, claim)
        action = self.url("cite", article=article, claim=claim)
        form = find_form(page, action)
        if not form or "version" not in form.fields:
            return
        self.think()
        token = self.token()
        fields = dict(form.fields)
        fields.update(
            source=str(self.rng.choice(self.plan.sources)),
            relation="supports",
            quote=token,
            locator="Table 2",
            new_title="",
            new_url="",
        )
        status, _, body = self.call("cite", "POST", action, fields, headers=PANEL)
        self.record(
            Write(
                "cite",
                self.outcome(status, body),
                token,
                claim,
                article,
                int(form.fields["version"]),
                {"quote": token, "source": int(fields["source"])},
            )
        )

    def export(self):
        article = self.rng.choice(self.plan.articles)
        fmt = self.rng.choice(["json", "csv", "w3c", "claimreview"])
        path = self.url("export", format=fmt) + f"?scope=internal&article={article['pk']}"
        self.call("export", "GET", path)

    def start_job(self, number: int):
        """The Export menu's button: a PDF report of several articles, or every article as
        JSON; the answer is the redirect to the job's page."""
        if number % 2 == 0:
            fmt, data = "pdf", [("article", str(pk)) for pk in self.plan.job_articles]
        else:
            fmt, data = "json", []
        path = self.url("export-start", format=fmt)
        self.call(f"start {fmt} job", "POST", path, [("scope", "internal"), *data])

    def start_jobs(self, deadline: float):
        number = 0
        while time.monotonic() < deadline:
            self.start_job(number)
            number += 1
            time.sleep(max(0.0, min(self.plan.job_every, deadline - time.monotonic())))

    # --- the loop ---------------------------------------------------------------------------

    def run(self):
        plan = self.plan
        # Everyone signs in first (staggered: password hashing is deliberately slow); the
        # measured load starts when all have, so it is steady work, not a login storm.
        time.sleep(plan.ramp * self.number / max(1, len(plan.usernames)))
        username = plan.usernames[self.number % len(plan.usernames)]
        started = time.perf_counter()
        try:
            signed_in = self.session.login(username, plan.password)
        except Exception:  # noqa: BLE001 — counted below as a failed sign-in
            signed_in = False
        with self.lock:
            self.samples.append(
                Sample("sign-in", 302 if signed_in else 0, (time.perf_counter() - started) * 1000)
            )
        try:
            self.barrier.wait(timeout=plan.ramp + 120)
        except threading.BrokenBarrierError:
            return
        if not signed_in:
            return
        deadline = plan.started + plan.duration
        if plan.job_every and self.number == 0:
            self.start_jobs(deadline)  # the desk's exports and reports, meanwhile
            self.session.close()
            return
        actions = [
            (self.read_dashboard, 0 if plan.writers else 3),
            (self.read_article, 0 if plan.writers else 4),
            (self.create_claim, 2),
            (lambda: self.edit_claim(hot=True), 2),
            (lambda: self.edit_claim(hot=False), 1),
            (self.cite, 1),
        ]
        if "export" in plan.urls and not plan.writers:
            actions.append((self.export, 0.5))
        functions, weights = zip(*actions, strict=True)
        while time.monotonic() < deadline:
            self.rng.choices(functions, weights)[0]()
            self.think()
        self.session.close()


def drive(plan: Plan, users: int) -> tuple[list[Sample], list[Write], float]:
    samples: list[Sample] = []
    writes: list[Write] = []
    lock = threading.Lock()
    barrier = threading.Barrier(users, action=lambda: setattr(plan, "started", time.monotonic()))
    reviewers = [Reviewer(n, plan, samples, writes, lock) for n in range(users)]
    for reviewer in reviewers:
        reviewer.barrier = barrier
        reviewer.start()
    limit = time.monotonic() + plan.ramp + 120 + plan.duration + 60
    for reviewer in reviewers:
        # Bounded: a stuck request cannot keep the run going much past its duration.
        reviewer.join(timeout=max(1.0, limit - time.monotonic()))
    return samples, writes, time.monotonic() - plan.started
