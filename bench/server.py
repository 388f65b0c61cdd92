"""A real app server for the browser and memory figures and the load test: gunicorn on
127.0.0.1 with a free port, stopped by its own PID; and a small cookie-keeping HTTP client."""

import http.client
import http.cookies
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from bench.forms import find_form

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """``with Gunicorn(env, workers=1) as server: server.url``; stopped on exit, also on error."""

    def __init__(
        self, env: dict, *, workers: int = 1, threads: int = 1, log_path=None, asgi: bool = False
    ):
        self.env, self.workers, self.threads = env, workers, threads
        # asgi: the production shape of bin/serve (Uvicorn workers, pages and live WebSockets).
        self.asgi = asgi
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "factcheck.asgi:application" if self.asgi else "factcheck.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={self.workers}",
                f"--threads={self.threads}",
                self._worker_class(),
                "--timeout=120",
                # The app is imported once, before the workers fork: they answer at once.
                "--preload",
                "--access-logfile=-"
                if os.environ.get("BENCH_ACCESS_LOG")
                else "--log-level=warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", "/accounts/login/")
                connection.getresponse().read()
                connection.close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc):
        self.stop()

    def _worker_class(self) -> str:
        if self.asgi:
            return "--worker-class=uvicorn_worker.UvicornWorker"
        return "--worker-class=gthread" if self.threads > 1 else "--worker-class=sync"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM / VmRSS (KiB) of a process, from /proc (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            values[key] = int(rest.split()[0])
    return values


class Session:
    """Keeps cookies like a browser (one host), sends the CSRF token on unsafe requests."""

    def __init__(self, base_url: str, timeout: float = 30):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.connection

    def close(self):
        if self.connection:
            self.connection.close()
            self.connection = None

    def request(self, method: str, path: str, data: dict | None = None, headers=None):
        """Returns (status, headers dict (lower-case names), body text)."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method != "GET":
            headers.setdefault("X-CSRFToken", self.cookies.get("csrftoken", ""))
            headers.setdefault("Referer", f"http://{self.host}:{self.port}{path}")
            if data is not None:
                body = urllib.parse.urlencode(data, doseq=True)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            connection = self._connect()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed: reconnect once.
                self.close()
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie = http.cookies.SimpleCookie(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
        response_headers = {name.lower(): value for name, value in response.getheaders()}
        if response_headers.get("connection", "").lower() == "close":
            self.close()
        return response.status, response_headers, payload.decode("utf-8", "replace")

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, data, headers=None):
        return self.request("POST", path, data=data, headers=headers)

    def login(self, username: str, password: str, login_path: str = "/accounts/login/") -> bool:
        """Sign in through the real login form (CSRF cookie + token), as a browser would."""
        status, _, page = self.get(login_path)
        form = find_form(page, "") or find_form(page, login_path)
        fields = dict(form.fields) if form else {}
        fields.update(username=username, password=password)
        status, headers, _ = self.post(login_path, fields)
        return status == 302 and "/accounts/login/" not in headers.get("location", "")
