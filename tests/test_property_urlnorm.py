"""Property-based tests (hypothesis) for annotations/urlnorm.py: normalising is idempotent (so
"unique after normalisation" really is unique), keeps the URL http(s), and never lets a
script URL through, whatever the input."""

from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from annotations.urlnorm import is_http_url, normalize_url

FAST = settings(max_examples=300, deadline=None)

label = st.text(st.sampled_from("abcxyz019-"), min_size=1, max_size=8).filter(
    lambda s: not s.startswith("-") and not s.endswith("-")
)
hosts = st.one_of(
    st.lists(label, min_size=1, max_size=3).map(".".join),
    st.sampled_from(
        ["EXAMPLE.org", "bücher.example", "xn--bcher-kva.example", "[::1]", "127.0.0.1"]
    ),
)
path_chars = st.sampled_from(
    list("abcXYZ019-._~!$&'()*+,;=:@/%é 😀") + ["%2F", "%7E", "%41", "%e9"]
)
paths = st.lists(path_chars, max_size=12).map(lambda parts: "/" + "".join(parts))
query_items = st.lists(
    st.tuples(
        st.sampled_from(["q", "id", "utm_source", "fbclid", "page", "A", "x y"]),
        st.text(st.sampled_from("ab1 %&=+é"), max_size=5),
    ),
    max_size=4,
)


@st.composite
def http_urls(draw):
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    host = draw(hosts)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = draw(paths)
    query = "&".join(f"{key}={value}" for key, value in draw(query_items))
    fragment = draw(st.sampled_from(["", "#section", "#"]))
    return f"{scheme}://{host}{port}{path}{'?' + query if query else ''}{fragment}"


@FAST
@given(http_urls())
@example("https://example.org/a%2Fb/?utm_source=x#top")
@example("http://example.org:80/%7Euser/")
def test_normalising_twice_changes_nothing(url):
    try:
        once = normalize_url(url)
    except ValidationError:
        return  # refused with a message: fine
    assert normalize_url(once) == once
    assert is_http_url(once)
    parts = urlsplit(once)
    assert parts.scheme in {"http", "https"} and parts.hostname
    assert not parts.fragment
    assert "utm_" not in parts.query and "fbclid" not in parts.query


@FAST
@given(st.text(max_size=60))
def test_arbitrary_text_is_normalised_to_http_or_refused(text):
    try:
        result = normalize_url(text)
    except ValidationError:
        return
    assert urlsplit(result).scheme in {"http", "https"}
    assert normalize_url(result) == result


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "\tjavascript:alert(1)",
        "JAVASCRIPT://example.org/%0aalert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//example.org/no-scheme",
        "http:///no-host",
    ],
)
def test_script_and_local_urls_are_refused(url):
    with pytest.raises(ValidationError):
        normalize_url(url)
