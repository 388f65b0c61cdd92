"""The figures of `make bench`, measured in order on one growing throwaway database.

Order matters and is chosen so that each figure sees the data it is defined on: the exports
run first on exactly 50 articles × 200 claims; then the reader articles (10 / 200 / 1,000
claims) and claim writes; then the dashboard with 1,000 articles; then a real server (browser
and worker memory); imports; search, then the claims table, last, on 10,000 articles and
200,000 claims.
"""

import logging
import random
import re
import time
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connection
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from annotations.exporters import pdf_chromium
from annotations.models import Article, Claim, Role
from annotations.reader import recent_drawings
from bench import data, pdf_parts
from bench.browser import highlights_drawn
from bench.forms import find_form
from bench.measure import Result, consume, measure, not_built, time_once
from bench.report import describe_machine, machine, table, write_json
from bench.server import Gunicorn, Session, proc_status

MARK = re.compile(rb"<mark\b")
EXPORT_FORMATS = [("json", 150), ("csv", 1000), ("claimreview", 1000), ("w3c", 1000)]


def url(name: str, *args, **kwargs) -> str | None:
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def export_url(fmt: str) -> str | None:
    return url("annotations:export", fmt) or url("annotations:export", format=fmt)


def status_check(expected: int = 200):
    def check(response):
        if response.status_code != expected:
            return f"HTTP {response.status_code} (expected {expected})"
        return None

    return check


class Suite:
    def __init__(self, tmp: Path, *, quick: bool, seed: int, log):
        self.tmp, self.quick, self.log = tmp, quick, log
        self.rng = random.Random(seed)
        self.runs = 5 if quick else 30
        self.warmup = 1 if quick else 3
        self.results: list[Result] = []
        self.reader_articles: dict[int, Article] = {}

    def add(self, result: Result) -> None:
        self.results.append(result)
        unit = "MB" if result.figure.startswith("peak memory") else "ms"
        shown = f"{result.median_ms} {unit}" if result.median_ms is not None else result.note
        self.log(f"  {result.figure}: {shown}")

    # --- setup ------------------------------------------------------------------------------

    def setup(self) -> None:
        self.log("migrating a throwaway SQLite database and collecting static files")
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        self.reviewer = data.ensure_users(1, "benchreviewer", Role.REVIEWER)[0]
        self.editor = data.ensure_users(1, "bencheditor", Role.EDITOR)[0]
        self.client = Client()
        # Errors are reported in the table (with the exception); no tracebacks on the console.
        logging.getLogger("django.request").setLevel(logging.CRITICAL)
        self.client.force_login(self.reviewer)

    def run(self) -> int:
        started = time.monotonic()
        self.setup()
        self.info = machine()
        self.log(describe_machine(self.info))
        for phase in (
            self.bench_exports,
            self.bench_reader,
            self.bench_public_page,
            self.bench_claim_writes,
            self.bench_dashboard,
            self.bench_inbox,
            self.bench_claims_across,
            self.bench_checkworthy,
            self.bench_server,
            self.bench_import,
            self.bench_published_checks,
            self.bench_search,
            self.bench_claim_table,
            self.bench_api,
        ):
            try:
                phase()
            except Exception as error:  # noqa: BLE001 — one broken page must not hide the rest
                self.add(
                    Result(
                        f"{phase.__name__.removeprefix('bench_')} (phase)",
                        note=f"error: {type(error).__name__}: {error}"[:300],
                        passed=False,
                    )
                )
        elapsed = time.monotonic() - started
        print()
        print(f"Machine: {describe_machine(self.info)}")
        print(
            f"Settings: production (DEBUG off), {'quick' if self.quick else 'full'} run, "
            f"{self.warmup} warm-up + {self.runs} timed runs per server-side figure unless noted; "
            "rate limits raised for the run; server time measured in-process with Django's test "
            f"client. Took {elapsed:.0f} s."
        )
        print()
        print(table(self.results))
        path = write_json(
            self.results,
            self.info,
            {"quick": self.quick, "runs": self.runs, "warmup": self.warmup, "seconds": elapsed},
        )
        print(f"\nWrote {path}")
        failed = [r.figure for r in self.results if r.passed is False]
        if failed:
            print(f"Missed targets or failed: {', '.join(failed)}")
        return 0

    # --- exports ----------------------------------------------------------------------------

    def bench_exports(self) -> None:
        self.log("building 50 articles × 200 claims (10,000 claims, 10,000 citations)")
        sources = data.make_sources(self.rng, 200, tag="export")
        built = [
            data.make_article(
                self.rng,
                claims=200,
                sources=sources,
                citations=200,
                author=self.reviewer,
                tag=f"export-{n}",
            )
            for n in range(50)
        ]
        self.report_article = built[0].article
        runs = 2 if self.quick else 7
        commands = get_commands()
        for fmt, target in EXPORT_FORMATS:
            figure = f"export {fmt}, 50 articles × 200 claims (internal)"
            path = export_url(fmt)
            if path:
                self.add(
                    measure(
                        figure,
                        lambda path=path: self._get_all(path + "?scope=internal"),
                        runs=runs,
                        warmup=1,
                        target_ms=target,
                        check=lambda r: None if r[0] == 200 and r[1] else f"HTTP {r[0]}",
                    )
                )
            elif "export_report" in commands:
                self.add(self._export_command(figure, fmt, target, runs))
            else:
                self.add(not_built(figure, target, "annotations:export / export_report"))

        report = url("annotations:article-report", self.report_article.pk)
        report = report and report + "?scope=internal"
        figure = "HTML report, one article with 200 claims (internal)"
        if report:
            self.add(
                measure(
                    figure,
                    lambda: self._get_all(report),
                    runs=runs,
                    warmup=1,
                    target_ms=500,
                    check=lambda r: None if r[0] == 200 else f"HTTP {r[0]}",
                )
            )
        else:
            self.add(not_built(figure, 500, "annotations:article-report"))
        figure = "PDF report, one article with 200 claims (internal)"
        if "export_report" in commands:
            self.add(
                self._export_command(
                    figure, "pdf", 2_000, 1 if self.quick else 3, article=self.report_article.pk
                )
            )
        else:
            self.add(not_built(figure, 2_000, "export_report --format pdf"))
        if "export_report" in commands:
            # The same in one process, as before the report was laid out in parts.
            with override_settings(FACTCHECK_PDF_PROCESSES=1):
                self.add(
                    self._export_command(
                        "PDF report, one article with 200 claims (internal), in one process",
                        "pdf",
                        2_000,
                        1 if self.quick else 3,
                        article=self.report_article.pk,
                    )
                )
            self.add(
                pdf_parts.critical_path(
                    "PDF report, 200 claims: CPU of the longest part + cutting and combining",
                    Article.objects.filter(pk=self.report_article.pk),
                    runs=1 if self.quick else 3,
                    target_ms=2_000,
                )
            )
        # The optional renderer side by side (FACTCHECK_PDF_RENDERER=chromium), when installed:
        # a process's first report, which starts the browser, and a later one, which finds it
        # running (the first, warm-up call starts it).
        if "export_report" in commands and pdf_chromium.chromium_program():
            with override_settings(FACTCHECK_PDF_RENDERER="chromium"):
                for figure, cold in (
                    ("Chromium renderer, browser started for the report", True),
                    ("Chromium renderer, browser kept running", False),
                ):
                    self.add(
                        self._export_command(
                            f"PDF report, one article with 200 claims (internal), {figure}",
                            "pdf",
                            2_000,
                            1 if self.quick else 3,
                            article=self.report_article.pk,
                            cold_browser=cold,
                        )
                    )
            pdf_chromium.kept_chromium.close()

    def _get_all(self, path: str):
        response = self.client.get(path)
        return response.status_code, len(consume(response))

    def _export_command(
        self, figure, fmt, target, runs, article=None, *, cold_browser=False
    ) -> Result:
        """``cold_browser``: the Chromium renderer's browser is closed after each report, so
        each starts one (as the one-shot renderer did, the browser's exit is in the time)."""
        output = self.tmp / f"export.{fmt}"
        args = ["export_report", "--format", fmt, "--scope", "internal", "--output", str(output)]
        if article:
            args += ["--article", str(article)]

        def call():
            call_command(*args, stdout=StringIO(), stderr=StringIO())
            if cold_browser:
                pdf_chromium.kept_chromium.close()
            return output.stat().st_size if output.exists() else 0

        result = measure(
            figure,
            call,
            runs=runs,
            warmup=1,
            target_ms=target,
            check=lambda size: None if size else "no output written",
        )
        if not result.note:
            result.note = f"manage.py export_report, {output.stat().st_size:,} bytes"
            if fmt == "pdf" and pdf_chromium.uses_chromium():
                started = pdf_chromium.kept_chromium.started
                result.note += f"; browsers started in this process so far: {started}"
            elif fmt == "pdf":
                result.note += f"; FACTCHECK_PDF_PROCESSES={settings.FACTCHECK_PDF_PROCESSES}"
        return result

    # --- reader -----------------------------------------------------------------------------

    def bench_reader(self) -> None:
        self.log("building reader articles with 10 / 200 / 1,000 claims (200 sources, 2,000 cit.)")
        sources = data.make_sources(self.rng, 200, tag="reader")
        for count, citations in ((10, 20), (200, 400), (1000, 2000)):
            self.reader_articles[count] = data.make_article(
                self.rng,
                claims=count,
                sources=sources,
                citations=citations,
                author=self.reviewer,
                tag=f"reader-{count}",
            ).article
        queries = {}
        for count, target in ((10, None), (200, 15), (1000, 60)):
            article = self.reader_articles[count]
            path = url("annotations:article-detail", article.pk)
            result = measure(
                f"reader, {count:,} claims",
                lambda path=path: self.client.get(path),
                runs=self.runs,
                warmup=self.warmup,
                target_ms=target,
                check=status_check(),
            )
            if result.median_ms is not None:
                body = self.client.get(path).content
                marks = len(MARK.findall(body))
                result.note = f"{len(body) // 1024} KiB HTML, {marks} `<mark>`"
                if not marks:
                    result.note += "; n/a (not built yet): no highlights rendered"
                queries[count] = result.queries
            self.add(result)
        path = url("annotations:article-detail", self.reader_articles[1000].pk)

        def afresh():
            recent_drawings.clear()
            return self.client.get(path)

        result = measure(
            "reader, 1,000 claims, drawn afresh",
            afresh,
            runs=self.runs,
            warmup=self.warmup,
            target_ms=60,
            check=status_check(),
        )
        result.note = (
            "the first request after a change to its claims; the row above gives the drawn "
            "claims again (annotations.reader.recent_drawings)"
        )
        self.add(result)
        check = Result("reader query count identical for 10 / 200 / 1,000 claims")
        if len(queries) == 3:
            check.passed = len(set(queries.values())) == 1
            check.note = " / ".join(str(queries[c]) for c in (10, 200, 1000)) + " queries"
        self.add(check)

    # --- the public fact-check page --------------------------------------------------------

    def bench_public_page(self) -> None:
        """A published fact-check of 200 claims (400 citations, 5 corrections), read signed
        out: the page as served (its rendering kept in the cache under its ETag), the same
        with the cache emptied before each request (a first reader after a change), and the
        304 an unchanged page answers."""
        from django.core.cache import cache

        self.log("publishing a fact-check of 200 claims, with 5 corrections")
        article = self._published_article()
        path = url("annotations:fact-check", article.slug)
        if not path:
            self.add(not_built("public page, 200 claims", 10, "annotations:fact-check"))
            return
        reader = Client()  # signed out
        result = measure(
            "public page, 200 claims (signed out)",
            lambda: reader.get(path),
            runs=self.runs,
            warmup=self.warmup,
            target_ms=10,
            check=status_check(),
        )
        if result.median_ms is not None:
            page = reader.get(path)
            result.note = (
                f"{len(page.content) // 1024} KiB HTML; the rendering is kept in the cache "
                "under its ETag, which two queries read (publishing.stamp)"
            )
        self.add(result)

        def first_reader():
            cache.clear()
            return reader.get(path)

        result = measure(
            "public page, 200 claims, rendered afresh (cache emptied)",
            first_reader,
            runs=5 if self.quick else 10,
            warmup=1,
            check=status_check(),
        )
        result.note = "the first reader after any change to what the page shows"
        self.add(result)
        etag = reader.get(path)["ETag"]
        self.add(
            measure(
                "public page, 200 claims, unchanged (304)",
                lambda: reader.get(path, headers={"If-None-Match": etag}),
                runs=self.runs,
                warmup=self.warmup,
                target_ms=10,
                check=status_check(304),
            )
        )

    def _published_article(self) -> Article:
        from django.utils import timezone

        from annotations.models import Verdict

        built = data.make_article(
            self.rng,
            claims=200,
            sources=data.make_sources(self.rng, 100, tag="public"),
            citations=400,
            author=self.reviewer,
            tag="public-200",
        )
        article = built.article
        verdicts = list(Verdict.objects.exclude(rating=None))
        for n, claim in enumerate(built.claims):
            claim.state, claim.verdict = Claim.State.APPROVED, verdicts[n % len(verdicts)]
            claim.approved_by, claim.approved_at = self.editor, timezone.now()
            claim.verdict_proposed_by = self.reviewer
        Claim.objects.bulk_update(
            built.claims, ["state", "verdict", "approved_by", "approved_at", "verdict_proposed_by"]
        )
        article.publish(built.claims, by=self.editor, version=None)
        second = data.ensure_users(1, "benchsecond", Role.EDITOR)[0]
        for claim in built.claims[:5]:  # corrections after publication, with their reasons
            claim.refresh_from_db()
            claim.propose_verdict(
                by=self.reviewer,
                version=claim.version,
                verdict=verdicts[(verdicts.index(claim.verdict) + 1) % len(verdicts)],
                explanation="The office revised the figure.",
                reason="The statistics office revised its bulletin.",
            )
            claim.refresh_from_db()
            claim.approve_revision(by=second, version=claim.version)
        article.refresh_from_db()
        return article

    # --- claim writes -----------------------------------------------------------------------

    def _htmx_target(self, page: bytes, action: str) -> dict:
        form = find_form(page.decode(), action)
        headers = {"HX-Request": "true"}
        target = (form.attrs.get("hx-target", "") if form else "").lstrip("#")
        if target and re.fullmatch(r"[\w-]+", target):
            headers["HX-Target"] = target
        return headers

    def bench_claim_writes(self) -> None:
        article = data.make_article(self.rng, claims=10, author=self.reviewer, tag="writes").article
        reader = url("annotations:article-detail", article.pk)
        create = url("annotations:claim-create", article.pk)
        figure = "claim create POST (article with 10+ claims)"
        if not create:
            self.add(not_built(figure, 8, "annotations:claim-create"))
        else:
            spans = iter(data.spans(random.Random(99), article.body, 400))
            # The new-claim form as the browser gets it after a selection: its hx-target is
            # the fragment the POST asks for.
            start, end = next(spans)
            query = urlencode({"start": start, "end": end, "quote": article.body[start:end]})
            form_page = self.client.get(f"{create}?{query}", headers={"HX-Request": "true"})
            headers = self._htmx_target(form_page.content, create)
            before = Claim.objects.filter(article=article).count()

            def post():
                start, end = next(spans)
                # Encoded as htmx sends a form (URL-encoded), not as the test client's default
                # multipart body, which costs the server a slower parser.
                return self.client.post(
                    create,
                    urlencode(
                        {
                            "start": start,
                            "end": end,
                            "quote": article.body[start:end],
                            "statement": "A checkable restatement.",
                            "category": Claim.Category.STATISTIC,
                        }
                    ),
                    content_type="application/x-www-form-urlencoded",
                    headers=headers,
                )

            def created(response):
                if response.status_code not in (200, 302):
                    return f"HTTP {response.status_code}"
                if Claim.objects.filter(article=article).count() == before:
                    return "the POST answered 200 but created no claim"
                return None

            result = measure(
                figure, post, runs=self.runs, warmup=self.warmup, target_ms=8, check=created
            )
            if result.median_ms is not None:
                made = Claim.objects.filter(article=article).count() - before
                result.note = f"{made} claims created; HX-Target {headers.get('HX-Target', '—')}"
            self.add(result)
        self._bench_headline_claim_create(article)
        self._bench_claim_update(article, reader)

    def _bench_headline_claim_create(self, article: Article) -> None:
        """A claim made on the headline: its answer redraws the whole headline (every claim
        on it, which grow with each run here) instead of a paragraph."""
        create = url("annotations:claim-create", article.pk)
        figure = "claim create POST in the headline (the headline's claims redrawn)"
        if not create:
            self.add(not_built(figure, 8, "annotations:claim-create"))
            return
        title = article.title
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)?", title)]
        spans = iter(words * (1 + (self.runs + self.warmup) // max(1, len(words))))
        headers = {"HX-Request": "true", "HX-Target": "claim-panel"}
        before = Claim.objects.filter(article=article, part=Article.Part.HEADLINE).count()

        def post():
            start, end = next(spans)
            return self.client.post(
                create,
                urlencode(
                    {
                        "part": Article.Part.HEADLINE,
                        "start": start,
                        "end": end,
                        "quote": title[start:end],
                        "statement": "A checkable restatement of the headline.",
                        "category": Claim.Category.STATISTIC,
                    }
                ),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )

        def created(response):
            if response.status_code != 200:
                return f"HTTP {response.status_code}"
            if b"innerHTML:#article-headline" not in response.content:
                return "the answer does not redraw the headline"
            return None

        result = measure(
            figure, post, runs=self.runs, warmup=self.warmup, target_ms=8, check=created
        )
        if result.median_ms is not None:
            made = (
                Claim.objects.filter(article=article, part=Article.Part.HEADLINE).count() - before
            )
            result.note = f"{made} headline claims created on a {len(title)}-character headline"
        self.add(result)

    def _bench_claim_update(self, article: Article, reader: str) -> None:
        claim = Claim.objects.filter(article=article).order_by("pk").first()
        update = url("annotations:claim-update", article.pk, claim.pk)
        figure = "claim update POST (with version)"
        if not update:
            self.add(not_built(figure, None, "annotations:claim-update"))
            return
        # The edit form as the app renders it (its fields may grow): from the claim panel.
        form, page = None, b""
        candidates = [url("annotations:claim-detail", article.pk, claim.pk)]
        for candidate in filter(None, candidates):
            response = self.client.get(candidate, headers={"HX-Request": "true"})
            if response.status_code == 200:
                form = find_form(response.content.decode(), update)
                if form:
                    page = response.content
                    break
        if form is None or "version" not in form.fields:
            self.add(not_built(figure, None, "no edit form with a version field found"))
            return
        headers = self._htmx_target(page, update)
        state = {"n": 0, "version": int(form.fields["version"])}

        def post():
            state["n"] += 1
            fields = dict(form.fields)
            fields.update(statement=f"Restated claim, edit {state['n']}.", version=state["version"])
            response = self.client.post(
                update,
                urlencode(fields, doseq=True),
                content_type="application/x-www-form-urlencoded",  # as htmx sends it
                headers=headers,
            )
            state["version"] += 1
            return response

        def saved(response):
            if response.status_code not in (200, 302):
                return f"HTTP {response.status_code}"
            claim.refresh_from_db()
            if claim.version != state["version"]:
                return f"the edit was not saved (version {claim.version}): {fields_note(form)}"
            return None

        result = measure(figure, post, runs=self.runs, warmup=self.warmup, check=saved)
        claim.refresh_from_db()
        if result.median_ms is not None:
            ok = claim.version == state["version"]
            result.passed = ok
            result.note = f"version {claim.version} after {state['n']} edits" + (
                "" if ok else " — some edits were refused"
            )
        self.add(result)

    # --- dashboard --------------------------------------------------------------------------

    def bench_dashboard(self) -> None:
        missing = 1000 - Article.objects.count()
        self.log(f"adding {missing} short articles (1,000 in all) for the dashboard")
        data.make_bare_articles(self.rng, missing)
        path = url("annotations:article-list")
        self.add(
            measure(
                "dashboard, 1,000 articles (first page)",
                lambda: self.client.get(path),
                runs=self.runs,
                warmup=self.warmup,
                target_ms=50,
                check=status_check(),
            )
        )

    # --- the inbox: badge and first page of a person with 10,000 notifications -------------

    def bench_inbox(self) -> None:
        from bench import live

        for result in live.figures(
            self.client, self.reviewer, runs=self.runs, warmup=self.warmup, log=self.log
        ):
            self.add(result)

    # --- claims across articles: figures, proposals, conflicts ------------------------------

    def bench_claims_across(self) -> None:
        from bench import families

        self.add(families.figure_extraction(self.quick))
        for result in families.proposals(
            self.rng, quick=self.quick, runs=self.runs, warmup=self.warmup
        ):
            self.add(result)
        self.add(
            families.conflict_page(
                self.client, self.reviewer, self.rng, runs=self.runs, warmup=self.warmup
            )
        )

    # --- published fact-checks: importing ClaimReview feeds, matching claims -----------------

    def bench_published_checks(self) -> None:
        from bench import published_checks

        for result in published_checks.published_checks(
            self.rng, self.tmp, self.reviewer, quick=self.quick, runs=self.runs, warmup=self.warmup
        ):
            self.add(result)

    # --- check-worthy suggestions: the evaluation and the time at import --------------------

    def bench_checkworthy(self) -> None:
        from bench import checkworthy

        self.log("check-worthy suggestions: the labelled set and a 25 KB article")
        for result in checkworthy.results(self.quick):
            self.add(result)

    # --- a real server: browser and worker memory -------------------------------------------

    def bench_server(self) -> None:
        import os

        env = dict(os.environ)
        workers = 2 * (os.cpu_count() or 1) + 1
        connection.close()
        self.log(f"starting gunicorn ({workers} sync workers, as bin/serve) for the browser")
        with Gunicorn(env, workers=workers, log_path=self.tmp / "gunicorn.log") as server:
            article = self.reader_articles[200]
            for result in highlights_drawn(
                server.url,
                url("annotations:article-detail", article.pk),
                self.reviewer.username,
                data.PASSWORD,
                runs=5 if self.quick else 20,
                warmup=2,
                target_ms=200,
                figure="Chromium: fresh tab to all 200 highlights drawn",
                claims=200,
            ):
                self.add(result)
        self.log("starting gunicorn (1 sync worker) for the worker's memory")
        with Gunicorn(env, workers=1, log_path=self.tmp / "gunicorn.log") as server:
            self.add(self._worker_memory(server))

    def _worker_memory(self, server: Gunicorn) -> Result:
        result = Result("peak memory of the server worker after the workload", target_ms=120)
        session = Session(server.url)
        if not session.login(self.reviewer.username, data.PASSWORD):
            result.note = "could not sign in over HTTP"
            result.passed = False
            return result
        paths = [url("annotations:article-list"), url("annotations:article-list") + "?page=2"]
        paths += [url("annotations:article-detail", a.pk) for a in self.reader_articles.values()]
        report = url("annotations:article-report", self.report_article.pk)
        if report:
            paths.append(report)
        statuses = []
        for _ in range(3):
            for path in paths:
                statuses.append(session.get(path)[0])
        statuses += self._http_writes(session, self.reader_articles[1000])
        exports = [export_url(fmt) for fmt, _ in EXPORT_FORMATS]
        for path in filter(None, exports):
            statuses.append(session.get(path + "?scope=internal")[0])
        session.close()
        pids = server.worker_pids()
        if not pids:
            result.note = "no worker process found"
            return result
        memory = proc_status(pids[0])
        result.median_ms = round(memory["VmHWM"] / 1024, 1)
        result.runs = len(statuses)
        errors = sum(1 for status in statuses if status >= 400)
        result.passed = result.median_ms <= 120 and not errors
        exported = "with" if any(exports) else "without (not built yet)"
        result.note = (
            f"VmHWM of the gunicorn worker after {len(statuses)} requests (reader 10/200/1,000, "
            "dashboard, report, claim panel, claim create and edit on the 1,000-claim article) "
            f"{exported} exports of everything; VmRSS {memory['VmRSS'] / 1024:.0f} MB"
            + (f"; {errors} error responses" if errors else "")
        )
        return result

    def _http_writes(self, session: Session, article: Article) -> list[int]:
        """Claim panel, new-claim form, create and edit over HTTP, as the htmx panel does."""
        create = url("annotations:claim-create", article.pk)
        if not create:
            return []
        statuses = []
        panel = {"HX-Request": "true", "HX-Target": "claim-panel"}
        for start, end in data.spans(random.Random(5), article.body, 5):
            values = {"start": start, "end": end, "quote": article.body[start:end]}
            statuses.append(session.get(f"{create}?{urlencode(values)}", headers=panel)[0])
            values.update(statement="Restated for the memory run.", category="statistic")
            statuses.append(session.post(create, values, headers=panel)[0])
        claim = Claim.objects.filter(article=article).order_by("-pk").first()
        detail = url("annotations:claim-detail", article.pk, claim.pk)
        update = url("annotations:claim-update", article.pk, claim.pk)
        for n in range(5):
            status, _, page = session.get(detail, headers=panel)
            statuses.append(status)
            form = find_form(page, update) if update else None
            if form:
                fields = dict(form.fields, statement=f"Edited for the memory run ({n}).")
                statuses.append(session.post(update, fields, headers=panel)[0])
        return statuses

    # --- imports ----------------------------------------------------------------------------

    def bench_import(self) -> None:
        from annotations.importers import import_paths

        folder = self.tmp / "import"
        self.log("writing 1,000 article files (~3 KB each) and importing them")
        data.write_article_files(self.rng, folder, 1000)

        def run_import(expected: str):
            report = import_paths([folder], user=self.reviewer)
            counts = report.counts
            if counts.get(expected) != 1000:
                raise RuntimeError(f"expected 1000 {expected}, got {report.summary()}")
            return report.summary()

        self.add(
            time_once("import 1,000 article files", lambda: run_import("created"), target_ms=20_000)
        )
        self.add(
            time_once(
                "re-import the same 1,000 files (unchanged)",
                lambda: run_import("unchanged"),
                target_ms=5_000,
            )
        )

    # --- search: last, on the biggest database ---------------------------------------------

    def bench_search(self) -> None:
        from bench import search

        scale = 10 if self.quick else 1
        articles, claims = search.ARTICLES // scale, search.CLAIMS // scale
        self.log(f"adding articles and claims up to {articles:,} / {claims:,} for search")
        self.add(
            search.figure(
                self.client,
                self.rng,
                runs=self.runs,
                warmup=self.warmup,
                articles=articles,
                claims=claims,
                log=self.log,
            )
        )

    # --- the claims table: on the search figure's corpus, the biggest database ---------------

    def bench_claim_table(self) -> None:
        from bench import claim_table

        self.log("adding figures, families and assignees to the claims for the claims table")
        self.add(claim_table.figure(self.rng, runs=self.runs, warmup=self.warmup, log=self.log))

    def bench_api(self) -> None:
        from bench import api

        for result in api.figures(
            self.rng, self.reviewer, runs=self.runs, warmup=self.warmup, log=self.log
        ):
            self.add(result)


def fields_note(form) -> str:
    return "form fields " + ", ".join(sorted(form.fields))
