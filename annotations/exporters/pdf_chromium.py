"""The optional Chromium renderer of the PDF report (``FACTCHECK_PDF_RENDERER = "chromium"``):
Debian's headless Chromium, kept running between reports.

Starting the browser is most of a report's time when each report starts its own (an empty page
took 1.6–1.7 s at load 3–5, the 200-claim report 0.7 s of Chromium's CPU once started). So the
process that renders (a job worker, the export command, a web worker) starts one browser on its
first report and prints every later report with it, over the DevTools pipe
(``annotations.devtools``). Each report gets a browser context of its own (a fresh, in-memory
profile: no cache, cookies or storage shared between reports) with one page, both closed once
the report is printed; after ``FACTCHECK_PDF_CHROMIUM_REPORTS`` reports the browser is replaced,
so whatever it keeps growing is given back. A browser that died is started again (a report it
was printing is tried once more); one that gives no answer within ``FACTCHECK_PDF_TIMEOUT``
seconds (starting included) is killed, with all its processes, and the report fails with
``PDFRenderError``. Those seconds start when the report has the browser; a report waiting
behind another thread's waits as long at most, then fails as ``ChromiumBusy`` (the browser is
left to the report that holds it, and a job tries again later). The browser is closed when the
process exits.

Chromium must fetch nothing: the document is written to a private temporary directory with its
stylesheet inline and a Content-Security-Policy that allows nothing but inline styles (no
images, fonts, frames, scripts or connections, ``file:`` included), and scripts are switched
off in its page as well. The browser gets a throwaway profile (deleted when it closes), a proxy
and a host resolver that lead nowhere, no background networking, and talks over a pipe, not a
port. It runs in Chromium's sandbox or, as root (where Chromium refuses its sandbox), in an
empty network namespace.
"""

import atexit
import base64
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from annotations.devtools import Chromium, DevToolsError, DevToolsTimeout
from annotations.pdf_layout import PDFRenderError

# Loads nothing at all, not even from file: — only the document's own <style> elements apply.
CHROMIUM_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
)
HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)

# What the one-shot ``chromium --print-to-pdf --no-pdf-header-footer`` printed with (Chromium's
# headless command handler): the page size and margins of the stylesheet's ``@page`` rule,
# backgrounds printed, no header or footer. A report printed by the kept browser is the same.
PRINT_OPTIONS = {
    "printBackground": True,
    "preferCSSPageSize": True,
    "displayHeaderFooter": False,
}


def uses_chromium() -> bool:
    return settings.FACTCHECK_PDF_RENDERER == "chromium"


def chromium_program() -> str | None:
    """The Chromium program to run, or None when it is not installed."""
    return shutil.which(settings.FACTCHECK_PDF_CHROMIUM)


def with_chromium_csp(document: str) -> str:
    """The document with the policy as the first element of its head, before anything loads."""
    if HEAD.search(document):
        return HEAD.sub(lambda head: head.group(0) + CHROMIUM_CSP, document, count=1)
    return CHROMIUM_CSP + document


def chromium_launch(program: str) -> tuple[tuple[str, ...], list[str]]:
    """What the browser runs under, and its arguments (``annotations.devtools.Chromium`` adds
    the pipe and the throwaway profile)."""
    args = [
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--disable-breakpad",
        "--disable-features=Translate,MediaRouter,OptimizationHints",
        "--metrics-recording-only",
        # Whatever might still try: no name resolves, and every connection goes to a proxy on a
        # closed port (loopback included: "<-loopback>" removes its implicit bypass).
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ]
    if os.geteuid() == 0:
        # Chromium will not sandbox itself as root: the whole browser then runs in a new,
        # empty network namespace (no interface but a loopback that is down). The DevTools
        # pipe is a pair of file descriptors, which the namespace does not touch.
        return ("unshare", "--net"), ["--no-sandbox", *args]
    return (), args


class ChromiumBusy(PDFRenderError):
    """The browser was printing other reports for the whole of this one's wait; nothing is
    wrong with it, so a job tries the report again later."""

    transient = True


class BrowserGone(Exception):
    """The browser died or broke off while printing: worth one more try with a new one."""


class Deadline:
    """The seconds left of one report's time."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise DevToolsTimeout(f"no answer from Chromium within {self.seconds:g} s")
        return left


class KeptChromium:
    """One browser for this process, started on its first report. Reports are printed one at
    a time (a lock): a second thread's report waits for the first, for at most
    ``FACTCHECK_PDF_TIMEOUT`` (``ChromiumBusy``), then has the whole timeout to print."""

    def __init__(self):
        self._lock = threading.Lock()
        self.browser: Chromium | None = None
        self.owner_pid: int | None = None  # the process that started it (not a forked child)
        self.reports = 0  # printed by the running browser
        self.started = 0  # browsers started by this process
        atexit.register(self.close)

    def print_pdf(self, document: str) -> bytes:
        """``document`` (its stylesheet inline) printed as a PDF."""
        program = chromium_program()
        if program is None:
            raise PDFRenderError(
                f"FACTCHECK_PDF_RENDERER is chromium but {settings.FACTCHECK_PDF_CHROMIUM!r} "
                "is not installed."
            )
        # Waiting for another report to finish with the browser is bounded by the same
        # timeout, and fails as "busy" (tried again later by a job); the browser is judged
        # hung only on its own time, counted once this report has it, so a report that got
        # it late never kills a browser that was printing well.
        timeout = settings.FACTCHECK_PDF_TIMEOUT
        if not self._lock.acquire(timeout=timeout):
            raise ChromiumBusy(
                f"Chromium was busy with other reports for {timeout} s; this report was not "
                "started."
            )
        deadline = Deadline(timeout)
        try:
            with tempfile.TemporaryDirectory(prefix="factcheck-pdf-") as directory:
                source = Path(directory) / "report.html"
                source.write_text(with_chromium_csp(document), encoding="utf-8")
                # A browser that died since the last report is replaced before this one; one
                # that dies while printing it, once (with the whole timeout again).
                try:
                    return self._attempt(program, source, deadline)
                except BrowserGone:
                    pass
                try:
                    return self._attempt(program, source, Deadline(timeout))
                except BrowserGone as gone:
                    raise PDFRenderError(f"Chromium could not print the report: {gone}") from None
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the browser (at exit, or to start afresh). A forked child leaves its
        parent's browser alone."""
        with self._lock:
            if self.browser is not None and self.owner_pid == os.getpid():
                self.browser.close()
            self.browser = None

    def _attempt(self, program: str, source: Path, deadline: Deadline) -> bytes:
        timeout = deadline.seconds
        try:
            return self._print(self._running(program, deadline), source, deadline)
        except DevToolsTimeout:
            self._discard()
            raise PDFRenderError(
                f"Chromium took more than {timeout} s to print the report; it was stopped "
                "and will be started again for the next report."
            ) from None
        except DevToolsError as error:
            exit_code = self._exit_code()
            # What a browser that ended said last (why it would not start, say).
            said = self.browser.last_words() if exit_code is not None else ""
            self._discard()
            raise BrowserGone(f"{error} (exit {exit_code}){': ' + said if said else ''}") from None

    def _exit_code(self) -> int | None:
        """The browser's exit status, if it ended. Its pipe closes as it exits, a moment
        before the status can be read: wait that moment (a live browser is not waited on
        longer)."""
        if self.browser is None or self.browser.process is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.browser.process.wait(timeout=1)
        return None

    def _discard(self) -> None:
        if self.browser is not None and self.owner_pid == os.getpid():
            self.browser.kill()
        self.browser = None

    def _running(self, program: str, deadline: Deadline) -> Chromium:
        if self.browser is not None and self.owner_pid != os.getpid():
            self.browser = None  # the parent's, inherited by fork: not ours to drive
        if self.browser is not None and (
            not self.browser.alive or self.reports >= settings.FACTCHECK_PDF_CHROMIUM_REPORTS
        ):
            if self.browser.alive:
                self.browser.close()
            else:
                self.browser.kill()  # reaps it and removes its profile
            self.browser = None
        if self.browser is None:
            wrapper, args = chromium_launch(program)
            browser = Chromium(
                program,
                args,
                wrapper=wrapper,
                timeout=deadline.seconds,
                profile_prefix="factcheck-chromium-",
            )
            self.browser, self.owner_pid, self.reports = browser.start(), os.getpid(), 0
            self.started += 1
            # Ready once it answers.
            browser.send("Browser.getVersion", timeout=deadline.left())
        return self.browser

    def _print(self, browser: Chromium, source: Path, deadline: Deadline) -> bytes:
        self.reports += 1
        context = browser.send("Target.createBrowserContext", timeout=deadline.left())[
            "browserContextId"
        ]
        try:
            target = browser.send(
                "Target.createTarget",
                {"url": "about:blank", "browserContextId": context},
                timeout=deadline.left(),
            )["targetId"]
            session = browser.send(
                "Target.attachToTarget",
                {"targetId": target, "flatten": True},
                timeout=deadline.left(),
            )["sessionId"]
            browser.send("Page.enable", session=session, timeout=deadline.left())
            browser.send(
                "Emulation.setScriptExecutionDisabled",
                {"value": True},
                session=session,
                timeout=deadline.left(),
            )
            navigated = browser.send(
                "Page.navigate", {"url": source.as_uri()}, session=session, timeout=deadline.left()
            )
            if navigated.get("errorText"):
                raise DevToolsError(f"the report did not open: {navigated['errorText']}")
            browser.wait_for_event(
                lambda message: (
                    message.get("sessionId") == session
                    and message.get("method") == "Page.loadEventFired"
                ),
                timeout=deadline.left(),
            )
            printed = browser.send(
                "Page.printToPDF", PRINT_OPTIONS, session=session, timeout=deadline.left()
            )
            return base64.b64decode(printed["data"])
        finally:
            # Closes its page too; the next report starts from an empty context. (Not after a
            # timeout: that browser is killed.)
            left = deadline.ends - time.monotonic()
            if browser.alive and left > 0:
                with contextlib.suppress(DevToolsError):
                    browser.send(
                        "Target.disposeBrowserContext", {"browserContextId": context}, timeout=left
                    )
            browser.forget_events()


kept_chromium = KeptChromium()


def render_pdf_with_chromium(document: str) -> bytes:
    """The document printed by this process's Chromium. Its stylesheet must be inline
    (``pdf.chunks`` renders it so); the policy added here keeps Chromium from loading anything
    else."""
    return kept_chromium.print_pdf(document)
