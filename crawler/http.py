"""The fetch policy both HTTP twins share: limits, error kinds, retries, response records."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import NamedTuple

from crawler.encodings import CODINGS
from errors import ErrorInfo, ErrorKind

USER_AGENT = "concurrency-demo/0.1 (Python concurrency reference crawler)"
ROBOTS_AGENT = "concurrency-demo"
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
RETRYABLE_KINDS = frozenset({ErrorKind.TIMEOUT, ErrorKind.CONNECTION})
MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may cost, shared by every model's fetcher."""

    timeout_s: float = 30.0
    retries: int = 3
    max_redirects: int = 10
    max_bytes: int = 32 * 1024 * 1024
    max_page_bytes: int = 8 * 1024 * 1024  # pages are parsed in memory: keep them smaller
    backoff_s: float = 0.25
    user_agent: str = USER_AGENT


class Response(NamedTuple):
    """The outcome of one fetch after retries: a body, or an error."""

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    error: ErrorInfo | None
    robots_tag: tuple[str, ...] = ()  # the X-Robots-Tag header's values

    @property
    def ok(self) -> bool:
        """True when a body arrived with a 2xx status."""
        return self.error is None


class TooLarge(Exception):
    """The body passed FetchLimits.max_bytes; raised while streaming, before it is all read."""


class Attempt(NamedTuple):
    """One try at a fetch: its response, whether to try again, and the server's Retry-After."""

    response: Response
    retry: bool = False
    retry_after: str | None = None


def failed_attempt(url: str, kind: ErrorKind, message: str) -> Attempt:
    """An attempt that got no response; timeouts and connection errors are worth a retry."""
    return Attempt(
        Response(url, url, 0, "", b"", ErrorInfo(kind, message)), kind in RETRYABLE_KINDS
    )


def http_error(status: int, reason: str = "") -> ErrorInfo:
    """Describe a non-2xx status."""
    return ErrorInfo(ErrorKind.HTTP, f"HTTP {status} {reason}".strip())


def should_retry(status: int) -> bool:
    """True for statuses that often succeed a moment later."""
    return status in RETRYABLE_STATUSES


def backoff_delay(attempt: int, limits: FetchLimits, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number attempt+1: Retry-After if given, else jittered 2^n."""
    hinted = parse_retry_after(retry_after) if retry_after else None
    if hinted is not None:
        return min(hinted, MAX_BACKOFF_S)
    # Full jitter keeps many workers that failed together from retrying together.
    return random.uniform(0, min(MAX_BACKOFF_S, limits.backoff_s * 2**attempt))


def parse_retry_after(value: str) -> float | None:
    """Parse Retry-After as seconds or an HTTP date; None when it is neither."""
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def body_limit(limits: FetchLimits, content_type: str, as_page: bool) -> int:
    """How many body bytes to accept: 0 means do not read it (a page that is not HTML)."""
    if not as_page:
        return limits.max_bytes
    return limits.max_page_bytes if is_html(content_type) else 0


def is_html(content_type: str) -> bool:
    """True when the Content-Type says HTML (or says nothing, as some servers do)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("", "text/html", "application/xhtml+xml")


def unasked_coding(content_encoding: str) -> ErrorInfo | None:
    """Why a body in content_encoding is not read: a coding not asked for, or more than one
    (aiohttp decodes one, urllib3 several: every model must read the same bytes); None
    when it is one coding asked for, or none."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [coding for coding in codings if coding != "identity"]
    if len(codings) > 1:
        message = f"Content-Encoding {content_encoding!r}: more than one coding"
        return ErrorInfo(ErrorKind.UNDECODABLE, message)
    if codings and codings[0] not in CODINGS:
        message = f"Content-Encoding {codings[0]!r} was not asked for (asked: {', '.join(CODINGS)})"
        return ErrorInfo(ErrorKind.UNDECODABLE, message)
    return None
