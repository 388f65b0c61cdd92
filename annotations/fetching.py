"""The one way the server fetches a page from the web (article links, source snapshots).

Fetching a URL that a user typed is the classic server-side request forgery hole (Label Studio's
CVE-2023-47116): without care, ``http://169.254.169.254/`` hands out cloud credentials and
``http://127.0.0.1:5432/`` probes the database. The rules, each enforced here and nowhere else:

* only ``http`` and ``https``, on the ports of ``FACTCHECK_FETCH_PORTS`` (80 and 443), with no
  user name or password in the URL;
* the host is resolved once; every address it resolves to must be a public one (not loopback,
  private, link-local, multicast, reserved, unspecified, shared, documentation or a cloud
  metadata address, in IPv4 or IPv6, nor an IPv4 address wrapped in IPv6), and the connection
  is made to that very address (no second lookup a DNS rebinding could answer differently),
  with TLS still verifying the certificate for the host name and sending it as SNI;
  ``2130706433``, ``0177.0.0.1`` or ``0x7f.1`` are resolved as the C library resolves them
  (to 127.0.0.1) and refused as such;
* redirects are followed by hand, each hop checked by the same rules, at most
  ``FACTCHECK_FETCH_MAX_REDIRECTS`` (5) of them, and a loop is named as one;
* connect and read timeouts, and a deadline for the whole fetch (a server dripping a byte a
  second does not hold a worker);
* at most ``FACTCHECK_FETCH_MAX_BYTES``, counted while the body streams in (after
  decompression), whatever ``Content-Length`` says;
* only the content types the caller asks for (an article must be HTML);
* no cookies kept, no credentials or proxy settings used, a User-Agent naming the desk;
* a per-user rate limit (``FACTCHECK_RATE_LIMITS["fetch"]``).

Tests serve pages from their own servers on loopback; ``FACTCHECK_FETCH_ALLOW_LOOPBACK`` lets
loopback addresses (and only those) through. It is not read from the environment: only a
test's settings override can turn it on.
"""

import concurrent.futures
import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import SplitResult, urljoin, urlsplit

import urllib3
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from annotations import ratelimit

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024

# Cloud providers' instance metadata services (AWS, GCP, Azure, OpenStack…, and AWS's IPv6 one).
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64).
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class FetchError(Exception):
    """A fetch refused or failed; ``str()`` is a message for the user. ``transient`` failures
    (timeouts, a server that could not be reached or answered 5xx) are worth trying again."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class ForbiddenAddress(FetchError):
    """The URL leads to an address the server must never connect to."""


@dataclass
class Fetched:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    body: bytes
    redirects: list[str] = field(default_factory=list)  # each hop's URL, in order
    fetched_at: float = 0.0


def user_agent() -> str:
    return (
        f"factcheck/1.0 (fact-checking desk {settings.FACTCHECK_ORGANISATION_NAME}; "
        f"+{settings.FACTCHECK_PUBLIC_BASE_URL})"
    )


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why the server must not connect to ``address``, or ``None`` for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and any(address in prefix for prefix in NAT64_PREFIXES):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is not None:
            problem = address_problem(embedded)
            return problem and f"{problem} (inside the IPv6 address {address})"
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if address.is_loopback:
        if getattr(settings, "FACTCHECK_FETCH_ALLOW_LOOPBACK", False):
            return None
        return f"{address} is a loopback address (this server)"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private network address"),
    )
    for attribute, description in checks:
        if getattr(address, attribute):
            return f"{address} is {description}"
    if not address.is_global:
        return f"{address} is not a public internet address"
    return None


def resolve(host: str, port: int, timeout: float | None = None) -> list[str]:
    """Every address ``host`` resolves to (the one DNS lookup of a hop), within ``timeout``
    seconds: the system's resolver has no time limit of its own to give it."""
    lookup = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    answer = lookup.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = answer.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise FetchError(
            f"The host name {host} could not be looked up in time.", transient=True
        ) from None
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"The host name {host} could not be found ({error}).") from None
    finally:
        lookup.shutdown(wait=False)  # a lookup past its time ends on its own
    return list(dict.fromkeys(info[4][0] for info in infos))


def refuse_credentials(parts: SplitResult) -> None:
    """A link carrying a user name or password is not fetched (nor kept: a form refuses it
    before it reaches a job's title or parameters)."""
    if parts.username is not None or parts.password is not None:
        raise FetchError("Links with a user name or password are not fetched.")


def check_url(url: str, deadline: float | None = None) -> tuple[str, str, int, str]:
    """Check a URL's form; return its scheme, host, port and the one address to connect to
    (looked up before ``deadline``, a ``time.monotonic()`` time, when one is given)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise FetchError("The link is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchError(
            f"Only http:// and https:// links can be fetched (this one is {scheme or 'none'}:)."
        )
    refuse_credentials(parts)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchError("The link has no host name.")
    port = port or (443 if scheme == "https" else 80)
    if port not in settings.FACTCHECK_FETCH_PORTS:
        allowed = ", ".join(str(p) for p in sorted(settings.FACTCHECK_FETCH_PORTS))
        raise ForbiddenAddress(f"Only ports {allowed} can be fetched, not {port}.")
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    addresses = resolve(host, port, timeout)
    if not addresses:
        raise FetchError(f"The host name {host} has no address.")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        problem = address_problem(address)
        if problem:
            # One forbidden answer refuses the host: a resolver mixing public and private
            # answers is the DNS-rebinding trick.
            raise ForbiddenAddress(f"{host} cannot be fetched: {problem}.")
    return scheme, host, port, addresses[0]


class _Watched:
    """A connection pool that can cut its connections under a blocked read (``shut``): the
    read timeout counts per read, so a server sending its headers a byte at a time would
    never trip it."""

    def _new_conn(self):
        connection = super()._new_conn()
        self.made = [*getattr(self, "made", []), connection]
        return connection

    def shut(self) -> None:
        for connection in getattr(self, "made", []):
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _HTTPPool(_Watched, urllib3.HTTPConnectionPool):
    pass


class _HTTPSPool(_Watched, urllib3.HTTPSConnectionPool):
    pass


def _pool(scheme: str, host: str, port: int, address: str, timeout: urllib3.Timeout):
    """A connection pool to ``address`` that speaks to it as ``host``."""
    if scheme == "http":
        return _HTTPPool(address, port, timeout=timeout, retries=False, maxsize=1)
    context = ssl.create_default_context(cafile=settings.FACTCHECK_FETCH_CA_FILE or None)
    return _HTTPSPool(
        address,
        port,
        timeout=timeout,
        retries=False,
        maxsize=1,
        ssl_context=context,
        server_hostname=host,  # SNI
        assert_hostname=host,  # the certificate must name the host, not the address
    )


def _media_type(header: str | None) -> tuple[str, str | None]:
    message = Message()
    message["content-type"] = header or "application/octet-stream"
    return message.get_content_type(), message.get_param("charset")


def _read_body(response, url: str, limit: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(
            f"{url} is too large ({filesizeformat(int(declared))}; "
            f"the limit is {filesizeformat(limit)}). Nothing was imported."
        )
    received = bytearray()
    # A server dripping a byte a second never trips the read timeout, which counts per read:
    # past the deadline a timer shuts the connection down under the blocked read.
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), response.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        for chunk in response.stream(CHUNK_BYTES, decode_content=True):
            received += chunk
            if len(received) > limit:
                raise FetchError(
                    f"{url} is larger than the limit of {filesizeformat(limit)}: "
                    "the download was stopped."
                )
    except (urllib3.exceptions.HTTPError, OSError):
        if time.monotonic() < deadline:
            raise
        raise FetchError(
            f"{url} took more than {settings.FACTCHECK_FETCH_TOTAL_TIMEOUT} s to download.",
            transient=True,
        ) from None
    finally:
        watchdog.cancel()
    return bytes(received)


def _open_failure(error: Exception, host: str, *, past_deadline: bool) -> FetchError:
    """What a failure to connect or to read the answer's headers means to the user."""
    if past_deadline:  # cut off by the watchdog
        total = settings.FACTCHECK_FETCH_TOTAL_TIMEOUT
        return FetchError(f"{host} did not answer within {total} s.", transient=True)
    if isinstance(error, urllib3.exceptions.SSLError):
        return FetchError(f"{host}'s secure connection could not be verified ({error}).")
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        # Before the timeouts: urllib3 makes a refused connection a kind of timeout.
        reason = error.__context__ or error
        return FetchError(f"{host} could not be reached ({reason}).", transient=True)
    if isinstance(error, urllib3.exceptions.TimeoutError | TimeoutError):
        return FetchError(f"{host} did not answer in time.", transient=True)
    return FetchError(f"{host} could not be reached ({error}).", transient=True)


def fetch(url: str, *, allowed_types: frozenset[str] = HTML_TYPES, user=None) -> Fetched:
    """Fetch ``url`` by the rules above, or raise ``FetchError`` with a message for the user."""
    if user is not None and user.pk is not None:
        wait = ratelimit.hit("fetch", f"user:{user.pk}")
        if wait is not None:
            raise FetchError(f"Too many links fetched: try again in {wait} s.", transient=True)
    limit = settings.FACTCHECK_FETCH_MAX_BYTES
    timeout = urllib3.Timeout(
        connect=settings.FACTCHECK_FETCH_CONNECT_TIMEOUT,
        read=settings.FACTCHECK_FETCH_READ_TIMEOUT,
    )
    deadline = time.monotonic() + settings.FACTCHECK_FETCH_TOTAL_TIMEOUT
    headers = {
        "User-Agent": user_agent(),
        "Accept": ", ".join(sorted(allowed_types)) + ";q=1.0, */*;q=0.1",
        "Accept-Encoding": "gzip, deflate",
    }
    current, seen, hops = url.strip(), set(), []
    while True:
        if current in seen:
            raise FetchError(f"{url} redirects in a loop (back to {current}).")
        seen.add(current)
        scheme, host, port, address = check_url(current, deadline)
        parts = urlsplit(current)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = 443 if scheme == "https" else 80
        host_header = host if ":" not in host else f"[{host}]"
        if port != default_port:
            host_header = f"{host_header}:{port}"
        pool = _pool(scheme, host, port, address, timeout)
        # Until the headers are in; _read_body watches the body the same way.
        watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), pool.shut)
        watchdog.daemon = True
        watchdog.start()
        try:
            response = pool.urlopen(
                "GET",
                target,
                headers={**headers, "Host": host_header},
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise _open_failure(error, host, past_deadline=time.monotonic() >= deadline) from None
        finally:
            watchdog.cancel()
        try:
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(f"{current} redirects without saying where to.")
                if len(hops) >= settings.FACTCHECK_FETCH_MAX_REDIRECTS:
                    raise FetchError(
                        f"{url} redirects more than "
                        f"{settings.FACTCHECK_FETCH_MAX_REDIRECTS} times; nothing was fetched."
                    )
                hops.append(current)
                current = urljoin(current, location.strip())
                continue
            if response.status >= 400:
                raise FetchError(
                    f"{current} answered {response.status} {response.reason or ''}".rstrip() + ".",
                    transient=response.status >= 500 or response.status == 429,
                )
            content_type, charset = _media_type(response.headers.get("Content-Type"))
            if content_type not in allowed_types:
                kinds = " or ".join(sorted(allowed_types))
                raise FetchError(f"{current} is {content_type}, not {kinds}.")
            try:
                body = _read_body(response, current, limit, deadline)
            except (urllib3.exceptions.TimeoutError, TimeoutError):
                raise FetchError(f"{host} stopped sending in time.", transient=True) from None
            except urllib3.exceptions.HTTPError as error:
                raise FetchError(
                    f"{current} could not be read ({error}).", transient=True
                ) from None
            return Fetched(
                url=url,
                final_url=current,
                status=response.status,
                content_type=content_type,
                charset=charset,
                body=body,
                redirects=hops,
                fetched_at=time.time(),
            )
        finally:
            response.release_conn()
            pool.close()
