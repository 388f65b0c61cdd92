"""The safe fetcher (annotations/fetching.py): each rule, proved against real servers on loopback.

The tests' servers listen on 127.0.0.1, which the fetcher refuses by default; the
``loopback_allowed`` fixture turns on the test-only setting (and the server's port), and every
refusal test proves the server received nothing.
"""

import gzip
import socket
import time

import pytest

from annotations import fetching
from annotations.exporters import pdf
from annotations.fetching import FetchError, ForbiddenAddress, fetch
from tests.factories import UserFactory
from tests.web_server import Page, serve, tls_certificate

ARTICLE = b"<html><head><title>Ferry</title></head><body><p>The ferry runs.</p></body></html>"


@pytest.fixture
def fake_dns(monkeypatch):
    """Host names of the tests resolved to chosen addresses; counts each name's lookups."""
    real = socket.getaddrinfo
    names: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            lookups.append(host)
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (address, port),
                )
                for address in names[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    names_and_lookups = type("FakeDNS", (), {"names": names, "lookups": lookups})
    return names_and_lookups


# --- What is fetched, and how -----------------------------------------------------------------


def test_a_page_is_fetched_with_an_identifying_user_agent_and_no_cookies(loopback_allowed):
    with serve(
        {"/story": Page(ARTICLE, headers={"Content-Type": "text/html; charset=utf-8"})}
    ) as s:
        loopback_allowed(s)
        page = fetch(s.url("/story"))
    assert page.body == ARTICLE
    assert page.final_url == s.url("/story")
    assert (page.content_type, page.charset) == ("text/html", "utf-8")
    sent = s.received[0].headers
    assert sent["User-Agent"].startswith("factcheck/")
    assert "https://factcheck.example.org" in sent["User-Agent"]
    assert "Cookie" not in sent and "Authorization" not in sent


def test_the_default_refuses_the_tests_own_loopback_server(settings):
    with serve({"/story": Page(ARTICLE)}) as server:
        settings.FACTCHECK_FETCH_PORTS = [80, 443, server.port]
        with pytest.raises(ForbiddenAddress, match="loopback"):
            fetch(server.url("/story"))
    assert server.received == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.255.0.9/", "loopback"),
        ("http://localhost/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://2130706433/", "127.0.0.1 is a loopback"),  # decimal
        ("http://017700000001/", "127.0.0.1 is a loopback"),  # octal
        ("http://0177.0.0.1/", "127.0.0.1 is a loopback"),  # dotted octal
        ("http://0x7f.0.0.1/", "127.0.0.1 is a loopback"),  # hexadecimal
        ("http://127.1/", "127.0.0.1 is a loopback"),  # short form
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.5/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fc00::1]/", "private"),
        ("http://[fd12:3456::1]/", "private"),
        ("http://100.64.0.1/", "not a public"),  # carrier-grade NAT
        ("http://169.254.10.10/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://255.255.255.255/", "broadcast|reserved|private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://2852039166/", "metadata"),  # 169.254.169.254 in decimal
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://100.100.100.200/", "metadata"),
        ("http://[::ffff:127.0.0.1]/", "loopback .*inside the IPv6"),  # IPv4-mapped
        ("http://[::ffff:169.254.169.254]/", "metadata .*inside the IPv6"),
        ("http://[::ffff:10.0.0.1]/", "private .*inside the IPv6"),
        ("http://[64:ff9b::a00:1]/", "private .*inside the IPv6"),  # NAT64 of 10.0.0.1
        ("http://[2002:7f00:1::]/", "loopback .*inside the IPv6"),  # 6to4 of 127.0.0.1
        ("http://192.0.2.10/", "private|not a public"),  # documentation
    ],
)
def test_forbidden_addresses_are_refused_before_any_connection(url, reason, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("the fetcher connected to a forbidden address")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    monkeypatch.setattr(socket.socket, "connect", no_connection)
    with pytest.raises(ForbiddenAddress, match=reason):
        fetch(url)


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/", "http://10.0.0.1/", "http://[fe80::1]/", "http://[fd00:ec2::254]/"],
)
def test_the_test_setting_lets_loopback_through_and_nothing_else(url, settings):
    settings.FACTCHECK_FETCH_ALLOW_LOOPBACK = True
    with pytest.raises(ForbiddenAddress):
        fetch(url)


def test_a_host_name_resolving_to_a_private_address_is_refused(fake_dns):
    fake_dns.names["intranet.example"] = ["10.20.30.40"]
    with pytest.raises(ForbiddenAddress, match="intranet.example cannot be fetched: 10.20.30.40"):
        fetch("https://intranet.example/payroll")


def test_a_host_name_with_one_public_and_one_private_answer_is_refused(fake_dns):
    # A rebinding resolver answers a public address and a private one: the fetcher would not
    # know which one the connection used, so it refuses both.
    fake_dns.names["rebind.example"] = ["93.184.216.34", "127.0.0.1"]
    with pytest.raises(ForbiddenAddress, match="loopback"):
        fetch("http://rebind.example/")


def test_the_connection_goes_to_the_address_resolved_once(loopback_allowed, fake_dns):
    # news.test resolves once; the connection is made to that address, with the host name in
    # the Host header. A second lookup (which DNS rebinding would answer differently) never
    # happens.
    fake_dns.names["news.test"] = ["127.0.0.1"]
    with serve({"/story": Page(ARTICLE)}) as server:
        loopback_allowed(server)
        page = fetch(f"http://news.test:{server.port}/story")
    assert page.body == ARTICLE
    assert fake_dns.lookups == ["news.test"]
    assert server.received[0].headers["Host"] == f"news.test:{server.port}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/file", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("gopher://example.com/", "Only http:// and https://"),
        ("http://user:secret@example.com/", "user name or password"),
        ("http://example.com:8080/", "Only ports 80, 443"),
        ("https://example.com:22/", "Only ports 80, 443"),
        ("http:///nohost", "no host name"),
        ("http://[::1/", "not a valid URL"),
    ],
)
def test_other_schemes_ports_and_credentials_are_refused(url, message):
    with pytest.raises(FetchError, match=message):
        fetch(url)


# --- Redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.1/admin",
        "http://[::ffff:169.254.169.254]/",
        "http://2130706433:{port}/secret",
        "file:///etc/passwd",
        "http://example.com:6379/",
    ],
)
def test_every_redirect_hop_is_checked_like_the_first(target, loopback_allowed, settings):
    pages = {}
    with serve(pages) as server:
        loopback_allowed(server)
        # 2130706433 is 127.0.0.1: allowed for the tests' server, so forbid loopback for it
        # by pointing it at a port that is not allowed.
        pages["/go"] = Page(
            status=302,
            headers={"Location": target.format(port=server.port + 1), "Content-Type": "text/html"},
        )
        pages["/secret"] = Page(b"<html>secret</html>")
        with pytest.raises(FetchError):
            fetch(server.url("/go"))
    assert [r.path for r in server.received] == ["/go"]


def test_five_redirects_are_followed_and_the_final_url_kept(loopback_allowed):
    pages = {f"/hop{n}": Page(status=301, headers={"Location": f"/hop{n + 1}"}) for n in range(5)}
    pages["/hop5"] = Page(ARTICLE)
    with serve(pages) as server:
        loopback_allowed(server)
        page = fetch(server.url("/hop0"))
    assert page.final_url == server.url("/hop5")
    assert page.redirects == [server.url(f"/hop{n}") for n in range(5)]


def test_a_sixth_redirect_is_refused(loopback_allowed):
    pages = {f"/hop{n}": Page(status=302, headers={"Location": f"/hop{n + 1}"}) for n in range(6)}
    pages["/hop6"] = Page(ARTICLE)
    with serve(pages) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="redirects more than 5 times"):
            fetch(server.url("/hop0"))
    assert "/hop6" not in [r.path for r in server.received]


def test_a_redirect_loop_is_named_as_one(loopback_allowed):
    pages = {
        "/a": Page(status=302, headers={"Location": "/b"}),
        "/b": Page(status=307, headers={"Location": "/a"}),
    }
    with serve(pages) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="redirects in a loop"):
            fetch(server.url("/a"))


def test_cookies_set_on_a_redirect_are_not_sent_to_the_next_hop(loopback_allowed):
    pages = {
        "/login": Page(
            status=302, headers={"Location": "/story", "Set-Cookie": "session=abc; Path=/"}
        ),
        "/story": Page(ARTICLE),
    }
    with serve(pages) as server:
        loopback_allowed(server)
        fetch(server.url("/login"))
    assert "Cookie" not in server.received[1].headers


# --- Time, size and type --------------------------------------------------------------------


def test_a_server_that_does_not_answer_in_time_is_a_transient_failure(loopback_allowed, settings):
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 1
    with serve({"/slow": Page(ARTICLE, delay=3)}) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="did not answer in time") as refused:
            fetch(server.url("/slow"))
    assert refused.value.transient


def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(loopback_allowed, settings):
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 5
    settings.FACTCHECK_FETCH_TOTAL_TIMEOUT = 1
    # 40 bytes, two every 0.2 s: each read gets a byte in time, the whole takes 4 s.
    with serve({"/drip": Page(b"<html>" + b"x" * 34, drip=2)}) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="took more than 1 s"):
            fetch(server.url("/drip"))


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline(loopback_allowed, settings):
    """The read timeout counts per read: headers sent a byte at a time never trip it, and
    without the deadline one link would hold a worker for as long as the server liked."""
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 5
    settings.FACTCHECK_FETCH_TOTAL_TIMEOUT = 1

    def drip_headers(handler):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 40
        for byte in head:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.1)

    with serve({"/drip-headers": drip_headers}) as server:
        loopback_allowed(server)
        begun = time.monotonic()
        with pytest.raises(FetchError, match="did not answer within 1 s") as refused:
            fetch(server.url("/drip-headers"))
    # The headers alone take 9.3 s to drip; stopped at the 1 s deadline, with room for a
    # loaded machine's scheduling (a bound of 3 s failed once at a load average of 12).
    assert time.monotonic() - begun < 5
    assert refused.value.transient


def test_a_host_name_not_looked_up_in_time_is_a_transient_failure(monkeypatch):
    def slow_lookup(*args, **kwargs):
        time.sleep(2)
        return []

    monkeypatch.setattr(fetching.socket, "getaddrinfo", slow_lookup)
    with pytest.raises(FetchError, match="could not be looked up in time") as refused:
        fetching.resolve("news.example", 443, timeout=0.2)
    assert refused.value.transient


def test_a_body_declared_too_large_is_refused_before_it_is_read(loopback_allowed, settings):
    settings.FACTCHECK_FETCH_MAX_BYTES = 1000
    with serve({"/big": Page(b"<html>" + b"x" * 5000)}) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="too large"):
            fetch(server.url("/big"))


def test_a_body_without_length_is_stopped_at_the_cap_while_streaming(loopback_allowed, settings):
    settings.FACTCHECK_FETCH_MAX_BYTES = 100_000

    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for _ in range(10_000):  # 640 MB if nobody stopped reading
                handler.wfile.write(b"<p>" + b"x" * 65_530 + b"</p>")
        except OSError:
            handler.server.test_server.pages["stopped"] = True
        return None

    pages = {"/endless": endless}
    with serve(pages) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="larger than the limit of 97.7"):
            fetch(server.url("/endless"))


def test_a_compressed_body_is_capped_at_its_decompressed_size(loopback_allowed, settings):
    settings.FACTCHECK_FETCH_MAX_BYTES = 1_000_000
    bomb = gzip.compress(b"<html>" + b" " * 50_000_000)  # 50 MB in about 50 KB
    page = Page(bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    with serve({"/bomb": page}) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="larger than the limit"):
            fetch(server.url("/bomb"))


def test_only_the_content_types_allowed_for_the_use_are_accepted(loopback_allowed):
    pdf_page = Page(b"%PDF-1.4 ...", headers={"Content-Type": "application/pdf"})
    with serve({"/report.pdf": pdf_page}) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="is application/pdf, not"):
            fetch(server.url("/report.pdf"))
        page = fetch(server.url("/report.pdf"), allowed_types=frozenset({"application/pdf"}))
    assert page.body.startswith(b"%PDF")


def test_an_error_status_is_reported_and_5xx_is_transient(loopback_allowed):
    pages = {"/gone": Page(status=404), "/down": Page(status=503)}
    with serve(pages) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="answered 404") as missing:
            fetch(server.url("/gone"))
        with pytest.raises(FetchError, match="answered 503") as down:
            fetch(server.url("/down"))
    assert not missing.value.transient
    assert down.value.transient


def test_an_unreachable_host_is_a_transient_failure(loopback_allowed, settings):
    with serve({}) as server:
        port = server.port
    settings.FACTCHECK_FETCH_ALLOW_LOOPBACK = True
    settings.FACTCHECK_FETCH_PORTS = [port]
    with pytest.raises(FetchError, match="could not be reached") as refused:
        fetch(f"http://127.0.0.1:{port}/")
    assert refused.value.transient


# --- Per-user limit -------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_user_may_fetch_only_so_many_links_a_minute(loopback_allowed, settings):
    settings.FACTCHECK_RATE_LIMITS = {**settings.FACTCHECK_RATE_LIMITS, "fetch": "2/m"}
    rita, raj = UserFactory(), UserFactory()
    with serve({"/story": Page(ARTICLE)}) as server:
        loopback_allowed(server)
        fetch(server.url("/story"), user=rita)
        fetch(server.url("/story"), user=rita)
        with pytest.raises(FetchError, match="Too many links fetched"):
            fetch(server.url("/story"), user=rita)
        fetch(server.url("/story"), user=raj)
    assert len(server.received) == 3


# --- TLS ------------------------------------------------------------------------------------


def test_https_sends_the_host_name_as_sni_and_verifies_the_certificate_for_it(
    loopback_allowed, fake_dns, settings, tmp_path
):
    certificate = tls_certificate(tmp_path, "news.test")
    settings.FACTCHECK_FETCH_CA_FILE = str(certificate[0])
    fake_dns.names["news.test"] = ["127.0.0.1"]
    with serve({"/story": Page(ARTICLE)}, certificate=certificate) as server:
        loopback_allowed(server)
        page = fetch(f"https://news.test:{server.port}/story")
    assert page.body == ARTICLE
    assert server.sni_names == ["news.test"]


def test_https_refuses_a_certificate_for_another_name(
    loopback_allowed, fake_dns, settings, tmp_path
):
    certificate = tls_certificate(tmp_path, "other.test")
    settings.FACTCHECK_FETCH_CA_FILE = str(certificate[0])
    fake_dns.names["news.test"] = ["127.0.0.1"]
    with serve({"/story": Page(ARTICLE)}, certificate=certificate) as server:
        loopback_allowed(server)
        with pytest.raises(FetchError, match="could not be verified"):
            fetch(f"https://news.test:{server.port}/story")
    assert server.received == []


# --- The PDF renderer stays offline ---------------------------------------------------------


def test_the_pdf_renderer_fetches_nothing_even_when_the_fetcher_may(loopback_allowed):
    with serve({"/tracker.png": Page(b"\x89PNG", headers={"Content-Type": "image/png"})}) as s:
        loopback_allowed(s)
        document = f'<html><body><img src="{s.url("/tracker.png")}"></body></html>'
        fetcher = pdf.StaticOnlyFetcher()
        pdf.render_pdf(document, fetcher)
    assert s.received == []
    assert fetcher.requests == [(s.url("/tracker.png"), False)]


def test_address_problem_accepts_public_addresses():
    import ipaddress

    for text in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"):
        assert fetching.address_problem(ipaddress.ip_address(text)) is None


def test_deploy_check_refuses_the_loopback_test_setting(settings):
    from annotations.checks import fetch_loopback_check

    assert fetch_loopback_check() == []
    settings.FACTCHECK_FETCH_ALLOW_LOOPBACK = True
    assert [message.id for message in fetch_loopback_check()] == ["factcheck.E002"]
