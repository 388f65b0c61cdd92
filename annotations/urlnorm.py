"""Normalising source URLs so that one page cannot be entered twice under different spellings."""

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError

ALLOWED_SCHEMES = {"http", "https"}
# Letters, digits, hyphens and dots after IDNA encoding, or an IPv6 address.
VALID_HOST = re.compile(r"^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|[0-9a-f:.]+)$")
PATH_SAFE = "/:@!$&'()*+,;=~-._"
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that identify a campaign or a click, never the document.
TRACKING_PARAMETERS = {
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_ga",
    "_gl",
    "ref_src",
    "cmpid",
    "ito",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """Return the canonical spelling of an http(s) URL, or raise ``ValidationError``.

    Lower-cases scheme and host, encodes international host names as IDNA, drops default
    ports, fragments, tracking parameters and a trailing slash (except the root path), and
    sorts what is left of the query so parameter order does not matter.
    """
    raw = (url or "").strip()
    if not raw:
        raise ValidationError("Enter a URL.", code="empty")
    if any(ch in raw for ch in "\x00\r\n\t"):
        raise ValidationError("URLs cannot contain control characters.", code="invalid")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ValidationError(
            "Only http:// and https:// URLs can be sources (got %(scheme)s).",
            code="scheme",
            params={"scheme": f"{scheme}:" if scheme else "no scheme"},
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValidationError("The URL has no host name.", code="invalid")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationError("The URL's host name is not valid.", code="invalid") from None
    if not VALID_HOST.match(host):
        raise ValidationError("The URL's host name is not valid.", code="invalid")
    try:
        port = parts.port
    except ValueError:
        raise ValidationError("The URL's port is not valid.", code="invalid") from None
    netloc = host if ":" not in host else f"[{host}]"
    if port and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if parts.username or parts.password:
        raise ValidationError("URLs with a user name or password are not accepted.", code="auth")

    # Decode then re-encode, so %7E and ~ (or é and %C3%A9) are one spelling; an encoded
    # slash is kept apart because it is not the same path as a real one.
    segments = re.split("%2f", parts.path, flags=re.IGNORECASE)
    path = "%2F".join(quote(unquote(segment), safe=PATH_SAFE) for segment in segments) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query_pairs = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_parameter(key)
    ]
    query = urlencode(sorted(query_pairs), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL: the only kind rendered as a link."""
    return urlsplit((url or "").strip()).scheme.lower() in ALLOWED_SCHEMES
