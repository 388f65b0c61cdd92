import pytest
from django.core.exceptions import ValidationError

from annotations.urlnorm import is_http_url, normalize_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # scheme and host are case-insensitive; the path is not
        ("HTTPS://Stats.EXAMPLE.org/Report", "https://stats.example.org/Report"),
        # default ports dropped, others kept
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("http://example.org:443/a", "http://example.org:443/a"),
        # tracking parameters removed, the rest kept and sorted
        ("https://example.org/a?utm_source=news&utm_medium=email", "https://example.org/a"),
        ("https://example.org/a?id=7&fbclid=abc", "https://example.org/a?id=7"),
        ("https://example.org/a?gclid=1&UTM_Campaign=x&page=2", "https://example.org/a?page=2"),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("https://example.org/a?mc_cid=1&msclkid=2&_ga=3", "https://example.org/a"),
        # fragments removed
        ("https://example.org/report#section-2", "https://example.org/report"),
        # trailing slash: dropped on paths, the root is always "/"
        ("https://example.org/reports/", "https://example.org/reports"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/?utm_source=x", "https://example.org/"),
        # international host names become IDNA, international paths percent-encoded
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("https://BÜCHER.example/", "https://xn--bcher-kva.example/"),
        # one spelling for percent-encoding; an encoded slash stays encoded
        ("https://example.org/%7Euser/a%2fb", "https://example.org/~user/a%2Fb"),
        # a trailing dot on the host, surrounding white space
        ("  https://example.org./a  ", "https://example.org/a"),
        # IPv6 literal with a default port
        ("https://[2001:db8::1]:443/x", "https://[2001:db8::1]/x"),
    ],
)
def test_normalize_url(given, expected):
    assert normalize_url(given) == expected


def test_normalizing_twice_changes_nothing():
    once = normalize_url("HTTP://Example.org:80/a/b/?z=1&utm_source=x&a=2#top")
    assert normalize_url(once) == once


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/file",
        "file:///etc/hosts",
        "vbscript:msgbox",
        "//example.org/no-scheme",
        "example.org/no-scheme",
        "https://",
        "https://exa mple.org/",
        "https://user:secret@example.org/",
        "https://example.org/a\nb",
        "https://example.org:99999/",
        "",
    ],
)
def test_normalize_url_refuses(bad):
    with pytest.raises(ValidationError):
        normalize_url(bad)


def test_refusal_names_the_scheme():
    with pytest.raises(ValidationError) as error:
        normalize_url("javascript:alert(1)")
    assert "javascript:" in error.value.messages[0]


@pytest.mark.parametrize(
    ("url", "linkable"),
    [
        ("https://example.org/", True),
        ("HTTP://example.org/", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("", False),
    ],
)
def test_is_http_url(url, linkable):
    assert is_http_url(url) is linkable
