"""URL normalisation: one canonical spelling per resource, so dedupe is a set lookup."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

FETCHABLE_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048
# Characters a browser leaves alone in a path or query; everything else is percent-encoded.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
# The HTML spec strips tabs and newlines anywhere inside a URL attribute.
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
# Dot-separated labels of letters, digits, '-' and '_' (seen in the wild, though not in DNS).
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def normalize(url: str) -> str | None:
    """Return the canonical form of an absolute http(s) URL, or None if it cannot be fetched."""
    try:
        parts = urlsplit(_TAB_OR_NEWLINE.sub("", url).strip())
        port = parts.port  # raises ValueError on a malformed or out-of-range port
        host = parts.hostname
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in FETCHABLE_SCHEMES or not host:
        return None
    host = _canonical_host(host)
    if host is None:
        return None
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _quote(remove_dot_segments(parts.path or "/"), _SAFE_PATH)
    query = _quote(parts.query, _SAFE_QUERY)
    result = urlunsplit((scheme, netloc, path, query, ""))
    return result if len(result) <= MAX_URL_LENGTH else None


def resolve(base: str, href: str) -> str | None:
    """Resolve an href found on a page against the page's base URL, then normalise it."""
    href = _TAB_OR_NEWLINE.sub("", href).strip()
    try:
        return normalize(urljoin(base, href))
    except ValueError:  # urljoin rejects some malformed IPv6 literals
        return None


def origin(url: str) -> str:
    """Return scheme://host[:port] of a normalised URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def netloc(url: str) -> str:
    """Return host[:port] of a normalised URL: the unit of 'same site'."""
    return urlsplit(url).netloc


def remove_dot_segments(path: str) -> str:
    """Resolve '.' and '..' segments as RFC 3986 section 5.2.4 does."""
    output: list[str] = []
    for segment in path.split("/")[1:] if path.startswith("/") else path.split("/"):
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    trailing = path.endswith(("/.", "/..")) and output and output[-1] != ""
    return "/" + "/".join(output) + ("/" if trailing else "")


def _canonical_host(host: str) -> str | None:
    """Lower-case the host and IDNA-encode non-ASCII names; None if it is not a valid host."""
    if ":" in host:  # an IPv6 literal (urlsplit removed the brackets)
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            return None
    host = host.rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    host = host.lower()
    return host if _HOST_NAME.fullmatch(host) else None


def _quote(text: str, safe: str) -> str:
    """Percent-encode what a browser would, with upper-case escapes."""
    quoted = quote(text, safe=safe, encoding="utf-8", errors="surrogatepass")
    return _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), quoted)
