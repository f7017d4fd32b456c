"""URLs as a browser writes them: canonical origins, the second host name, percent-encoding."""

from __future__ import annotations

from types import MappingProxyType
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORTS = MappingProxyType({"http": 80, "https": 443})
# What a browser leaves unencoded in a path; everything else becomes %XX of its UTF-8 bytes.
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def canonical_origin(origin: str) -> str:
    """Return scheme://host[:port] in lower case, without a default port or trailing slash."""
    parts = urlsplit(origin.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def alt_origin(origin: str) -> str:
    """Return the same server under its other loopback name: the 'CDN' and off-site host."""
    parts = urlsplit(canonical_origin(origin))
    other = LOOPBACK_NAMES[1] if parts.hostname != LOOPBACK_NAMES[1] else LOOPBACK_NAMES[0]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{other}{port}"


def encode_path(path: str) -> str:
    """Percent-encode a decoded path as a browser would."""
    return quote(path, safe=_SAFE_PATH, encoding="utf-8")


def absolute(origin: str, path: str) -> str:
    """Return the canonical absolute URL of a decoded path on origin."""
    return canonical_origin(origin) + encode_path(path)


def split(url: str) -> tuple[str, str]:
    """Return (canonical origin, decoded path) of an absolute URL."""
    parts = urlsplit(url)
    return canonical_origin(f"{parts.scheme}://{parts.netloc}"), unquote(parts.path or "/")
