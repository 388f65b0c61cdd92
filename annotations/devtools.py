"""A bare DevTools connection to Chromium over ``--remote-debugging-pipe``: JSON messages,
each ended by a NUL byte, written to the browser's fd 3 and read from its fd 4.

Two users: the Chromium PDF renderer keeps a browser running between reports through it
(``exporters.pdf_chromium``), and ``make bench``'s browser figure drives the reader with it.
A pipe, not a port: the browser listens on no socket, so it can run in a network namespace
with no network at all. The bench uses it rather than Playwright: Playwright attaches to every
new renderer and sets it up (script worlds, bindings, listeners) before the page may run; on
the reader that is a large share of what is measured (`make bench` prints both), and a
reviewer's browser does none of it.
"""

import contextlib
import fcntl
import json
import os
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path


class DevToolsError(RuntimeError):
    pass


class DevToolsTimeout(DevToolsError):
    """The browser gave no answer in time: it is busy or hung."""


class Chromium:
    """``with Chromium(path, args) as browser:`` a headless Chromium and its DevTools pipe.

    ``wrapper`` is a command the browser is run under (``("unshare", "--net")``). The browser
    and every process it starts are a session of their own, so ``kill`` ends them all. A
    browser kept beyond a ``with`` block is started by ``start`` and ended by ``close``."""

    def __init__(
        self,
        executable: Path | str,
        args: list[str],
        *,
        timeout: float = 30,
        wrapper: tuple[str, ...] = (),
        profile_prefix: str = "chromium-",
    ):
        self.executable, self.args, self.timeout = executable, args, timeout
        self.wrapper = wrapper
        self.process: subprocess.Popen | None = None
        # A throwaway profile, deleted when the browser closes.
        self.profile = tempfile.TemporaryDirectory(prefix=profile_prefix)
        # What the browser says on stderr, for an error message (``last_words``).
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 — closed with the browser
        self._next_id = 0
        # What the pipe has delivered and no message has taken yet, and how far of it is known
        # to hold no message's end (a 10 MB PDF arrives in 64 KiB reads: each read is searched
        # once, not the whole buffer again).
        self._buffer = bytearray()
        self._searched = 0
        self._events: list[dict] = []

    def __enter__(self):
        return self.start()

    def start(self) -> "Chromium":
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def map_pipes():
            # In the child, before exec: the browser reads fd 3 and writes fd 4. (The copies
            # made first keep the pipes safe should either already be 3 or 4.)
            read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD_CLOEXEC, 10)
            write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        try:
            self.process = self._launch(map_pipes)
        except (OSError, subprocess.SubprocessError) as error:
            # Not started (no such program, no permission): nothing is left open.
            for fd in (to_browser_read, from_browser_write):
                os.close(fd)
            self.kill()
            raise DevToolsError(f"Chromium could not be started: {error}") from None
        os.close(to_browser_read)
        os.close(from_browser_write)
        return self

    def _launch(self, map_pipes) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: PLW1509, S603 — preexec_fn maps the two pipes
            [
                *self.wrapper,
                str(self.executable),
                *self.args,
                "--remote-debugging-pipe",
                f"--user-data-dir={self.profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            # Python's own descriptors are not inheritable; closing all but 0–2 would run after
            # map_pipes and close 3 and 4 as well.
            close_fds=False,
            preexec_fn=map_pipes,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def __exit__(self, *exc):
        self.close()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        """Ask the browser to close, and kill what is left of it after a few seconds."""
        if self.alive:
            with contextlib.suppress(DevToolsError, OSError):
                self.send("Browser.close", timeout=5)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        self.kill()

    def kill(self) -> None:
        """End the browser and every process of its session at once (a hung browser too)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError, AttributeError):
                os.close(fd)
        self._to_browser = self._from_browser = -1
        self.profile.cleanup()
        self.stderr.close()

    def last_words(self, lines: int = 3) -> str:
        """The last lines the browser wrote to stderr (why it would not start, say)."""
        with contextlib.suppress(OSError, ValueError):
            self.stderr.seek(0, os.SEEK_END)
            self.stderr.seek(max(0, self.stderr.tell() - 4096))
            said = self.stderr.read().decode(errors="replace").strip().splitlines()
            return " / ".join(said[-lines:])
        return ""

    def send(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        *,
        timeout: float | None = None,
    ) -> dict:
        """Send a command and wait for its answer (``timeout`` seconds at most, the browser's
        own by default); events that arrive meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._to_browser, data) :]
        except OSError:
            raise DevToolsError("Chromium closed its DevTools pipe") from None
        answer = self._receive(
            lambda m: m.get("id") == message["id"], keep_others=True, timeout=timeout
        )
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error'].get('message')}")
        return answer.get("result", {})

    def wait_for_event(self, predicate, *, timeout: float | None = None) -> dict:
        """The first event (kept or new) for which ``predicate(message)`` is true."""
        for index, event in enumerate(self._events):
            if predicate(event):
                return self._events.pop(index)
        return self._receive(predicate, keep_others=True, timeout=timeout)

    def forget_events(self) -> None:
        self._events.clear()

    def _receive(self, predicate, *, keep_others: bool, timeout: float | None = None) -> dict:
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            while (end := self._buffer.find(b"\0", self._searched)) >= 0:
                message = json.loads(self._buffer[:end])
                del self._buffer[: end + 1]
                self._searched = 0
                if predicate(message):
                    return message
                if keep_others and "method" in message:
                    self._events.append(message)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DevToolsTimeout(f"no answer from Chromium within {timeout:g} s")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise DevToolsError("Chromium closed its DevTools pipe")
                self._searched = len(self._buffer)
                self._buffer += chunk
