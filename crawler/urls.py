"""URL normalisation: one canonical spelling per resource, so dedupe is a set lookup."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

FETCHABLE_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters a browser leaves alone in a path or query; everything else is percent-encoded.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
# The HTML spec strips tabs and newlines anywhere inside a URL attribute.
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
# A site-absolute path that urljoin would simply append to the origin: anything with a
# fragment, ';' (urljoin's "params"), control characters, whitespace, a backslash or "//"
# is left to urljoin.
_PLAIN_SITE_PATH = re.compile(r"(?!.*//)/[^;#\x00-\x20\x7f\s\\]*")
# A relative path ("a/b", "../c?d"): no scheme, fragment, params, control characters,
# whitespace, backslash, or "//" (urljoin drops empty segments next to dot segments).
_PLAIN_RELATIVE = re.compile(r"(?!.*//)[^/?#;:\x00-\x20\x7f\s\\][^#;:\x00-\x20\x7f\s\\]*")
# An absolute http(s) URL that urljoin would hand back as it is: no params (';', which
# urljoin's urlparse splits off and may drop), whitespace or backslash.
_PLAIN_ABSOLUTE = re.compile(
    r"(?i)https?://[^/?;\x00-\x20\x7f\s\\]+(?:[/?][^;\x00-\x20\x7f\s\\]*)?"
)
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
    return urlunsplit((scheme, netloc, path, query, ""))


def resolve(base: str, href: str) -> str | None:
    """Resolve an href found on a page against the page's base URL, then normalise it."""
    return resolve_all(base, [href])[0]


def resolve_all(base: str, hrefs: Iterable[str], encoding: str = "utf-8") -> list[str | None]:
    """Resolve every href of one page against its base URL, normalised (None: unfetchable).
    A non-ASCII query is percent-encoded in the page's encoding, as browsers do (WHATWG);
    the path always in UTF-8.

    The hot path of the crawl: a page names dozens of links, mostly the same on every page
    (navigation), so the base is split once per page, fragments (which normalising drops)
    are dropped first, and plain paths ("/a/b", "../c") skip urljoin: under a canonical base
    only their path and query need work (_normalize_under), memoised.
    """
    try:
        base_origin, base_dir, canonical = _base_parts(base)
    except ValueError:
        return [None for _ in hrefs]  # a malformed base resolves nothing
    resolved: list[str | None] = []
    for raw in hrefs:
        href = _TAB_OR_NEWLINE.sub("", raw).strip()
        if not href.isascii() and encoding != "utf-8":
            href = _query_in(href, encoding)
        resolved.append(_resolve_one(base, base_origin, base_dir, canonical, href))
    return resolved


@lru_cache(maxsize=1024)
def _base_parts(base: str) -> tuple[str, str, bool]:
    """A page's base URL as resolving needs it: origin, directory, and whether it is
    canonical already (so its origin needs no more work). ValueError if malformed."""
    parts = urlsplit(base)
    directory = parts.path[: parts.path.rfind("/") + 1]
    return f"{parts.scheme}://{parts.netloc}", directory, _normalize_cached(base) == base


def _resolve_one(base: str, origin: str, base_dir: str, canonical: bool, href: str) -> str | None:
    """What normalize(urljoin(base, href)) gives, by the cheapest road that gives the same."""
    plain = href.partition("#")[0]  # normalize drops the fragment anyway
    if not plain:
        return _normalize_cached(base)
    if _PLAIN_SITE_PATH.fullmatch(plain):
        return _under(origin, plain) if canonical else _normalize_cached(origin + plain)
    if _PLAIN_RELATIVE.fullmatch(plain) and base_dir.endswith("/"):
        rest = base_dir + plain
        return _under(origin, rest) if canonical else _normalize_cached(origin + rest)
    if _PLAIN_ABSOLUTE.fullmatch(plain):
        return _normalize_cached(plain)
    try:
        return _normalize_cached(urljoin(base, href))
    except ValueError:  # urljoin rejects some malformed IPv6 literals
        return None


def _normalize_under(origin: str, rest: str) -> str | None:
    """normalize(origin + rest) for a canonical origin and a plain absolute path with an
    optional query (no fragment, params, whitespace or backslash): only those need work."""
    path, _, query = rest.partition("?")
    url = origin + _quote(remove_dot_segments(path), _SAFE_PATH)
    if query:
        url += "?" + _quote(query, _SAFE_QUERY)
    return url


def _query_in(href: str, encoding: str) -> str:
    """href with its query's non-ASCII characters percent-encoded in encoding; what the
    encoding cannot hold becomes %26%23N%3B (the WHATWG URL parser's '&#N;')."""
    head, mark, query = href.partition("?")
    if not mark or query.isascii():
        return href
    query, hash_mark, fragment = query.partition("#")
    encoded = "".join(char if char.isascii() else _percent(char, encoding) for char in query)
    return f"{head}?{encoded}{hash_mark}{fragment}"


def _percent(char: str, encoding: str) -> str:
    try:
        data = char.encode(encoding)
    except UnicodeEncodeError:
        return f"%26%23{ord(char)}%3B"
    return "".join(f"%{byte:02X}" for byte in data)


# Pure functions' memos, bounded: the same links recur on page after page.
_normalize_cached = lru_cache(maxsize=8192)(normalize)
_under = lru_cache(maxsize=32768)(_normalize_under)


def origin(url: str) -> str:
    """Return scheme://host[:port] of a normalised URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def netloc(url: str) -> str:
    """Return host[:port] of a normalised URL: the unit of 'same site'."""
    return urlsplit(url).netloc


def remove_dot_segments(path: str) -> str:
    """Resolve '.' and '..' segments as RFC 3986 section 5.2.4 does."""
    if path.startswith("/") and "/." not in path:
        return path  # the common case: no segment is a dot segment
    segments = path.split("/")[1:] if path.startswith("/") else path.split("/")
    output: list[str] = []
    for segment in segments:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in (".", ".."):
        output.append("")  # a path ending in a dot segment names a directory: '/' stays
    return "/" + "/".join(output)


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
    if _untouched(safe).fullmatch(text):
        return text  # the common case, and quote() is slow even when it changes nothing
    quoted = quote(text, safe=safe, encoding="utf-8", errors="surrogatepass")
    return _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), quoted)


@cache
def _untouched(safe: str) -> re.Pattern[str]:
    """Matches text that _quote leaves as it is: letters, digits, '_.-~' and safe, no '%'."""
    return re.compile(f"[A-Za-z0-9_.~{re.escape(safe.replace('%', ''))}-]*")
