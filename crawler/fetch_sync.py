"""Fetch one URL with requests, with retries and a size cap: the twin of fetch_async.py.

The threads, processes and sequential crawls run these functions inside their workers
(models.fetchers.ExecutorFetcher submits them), so parsing happens in the worker too. Each
worker thread (and so each worker process) keeps its own requests.Session, as requests
advises: a Session is not safe to share across threads.
"""

from __future__ import annotations

import threading
import time

import requests
import urllib3
from urllib3.exceptions import ReadTimeoutError

from crawler.encodings import ACCEPT_ENCODING
from crawler.http import (
    Attempt,
    ErrorKind,
    FetchLimits,
    Response,
    TooLarge,
    backoff_delay,
    body_limit,
    failed_attempt,
    http_error,
    should_retry,
    unasked_coding,
)
from crawler.pages import Page, to_page
from errors import describe

CHUNK_BYTES = 64 * 1024
# Per-worker state by design: each thread gets its own Session and connection pool per
# crawl, and the threads of one crawl in one process share that crawl's cookie jar (a
# CookieJar is thread-safe), as one browser does. Each worker process of a processes crawl
# has its own: sharing cookies between processes would mean shipping the jar with every
# request and back. Jars are kept by crawl, so two crawls in one process never share one.
_worker = threading.local()
_jars: dict[str, requests.cookies.RequestsCookieJar] = {}
_jars_lock = threading.Lock()


def fetch(url: str, limits: FetchLimits, crawl: str = "", as_page: bool = False) -> Response:
    """Fetch url for the crawl called crawl, retrying transient failures with backoff;
    never raises for network trouble."""
    for attempt in range(limits.retries + 1):
        outcome = _attempt(_session(limits, crawl), url, limits, as_page)
        if not outcome.retry or attempt == limits.retries:
            return outcome.response
        time.sleep(backoff_delay(attempt, limits, outcome.retry_after))
    raise AssertionError("unreachable: the last attempt always returns")


def fetch_page(url: str, depth: int, site: str, limits: FetchLimits, crawl: str = "") -> Page:
    """Fetch and parse one page (in the worker, so the parsing is parallel where it can be)."""
    return to_page(fetch(url, limits, crawl, as_page=True), depth, site)


def _session(limits: FetchLimits, crawl: str) -> requests.Session:
    """Return this worker's Session for crawl, making it on first use."""
    sessions = _worker.__dict__.setdefault("sessions", {})
    if crawl not in sessions:
        session = requests.Session()
        session.trust_env = False  # like aiohttp: no proxies or .netrc from the environment
        with _jars_lock:
            session.cookies = _jars.setdefault(crawl, requests.cookies.RequestsCookieJar())
        session.headers["User-Agent"] = limits.user_agent
        session.headers["Accept-Encoding"] = ACCEPT_ENCODING
        session.max_redirects = limits.max_redirects
        sessions[crawl] = session
    return sessions[crawl]


def _attempt(session: requests.Session, url: str, limits: FetchLimits, as_page: bool) -> Attempt:
    """Make one request and say whether it is worth another."""
    deadline = time.monotonic() + limits.timeout_s
    try:
        with session.get(url, stream=True, timeout=limits.timeout_s) as resp:
            content_type = resp.headers.get("Content-Type", "")
            if resp.status_code >= 300:
                error = http_error(resp.status_code, resp.reason or "")
                failed = Response(url, resp.url, resp.status_code, content_type, b"", error)
                retry_after = resp.headers.get("Retry-After")
                return Attempt(failed, should_retry(resp.status_code), retry_after)
            return Attempt(_received(resp, url, limits, as_page, deadline))
    except TooLarge as exc:
        return failed_attempt(url, ErrorKind.TOO_LARGE, str(exc))
    except requests.TooManyRedirects:
        message = f"more than {limits.max_redirects} redirects"
        return failed_attempt(url, ErrorKind.TOO_MANY_REDIRECTS, message)
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidSchema,
        requests.exceptions.MissingSchema,
        ValueError,
    ) as exc:
        return failed_attempt(url, ErrorKind.INVALID_URL, describe(exc))
    except (requests.Timeout, TimeoutError, ReadTimeoutError):
        return failed_attempt(url, ErrorKind.TIMEOUT, f"no answer in {limits.timeout_s:g}s")
    except urllib3.exceptions.HTTPError as exc:  # raw reads: a body cut off, bad gzip
        return failed_attempt(url, ErrorKind.CONNECTION, describe(exc))
    except requests.RequestException as exc:
        # A read timeout in mid-body arrives wrapped in a ConnectionError.
        timed_out = isinstance(exc.__context__, ReadTimeoutError) or "Read timed out" in str(exc)
        kind = ErrorKind.TIMEOUT if timed_out else ErrorKind.CONNECTION
        return failed_attempt(url, kind, describe(exc))


def _received(
    resp: requests.Response, url: str, limits: FetchLimits, as_page: bool, deadline: float
) -> Response:
    """The response to a 2xx answer: its body read within the caps and the deadline, or why
    it was not."""
    content_type = resp.headers.get("Content-Type", "")
    coding = unasked_coding(resp.headers.get("Content-Encoding", ""))
    if coding is not None:
        return Response(url, resp.url, resp.status_code, content_type, b"", coding)
    limit = body_limit(limits, content_type, as_page)
    body = _read_capped(resp, limit, deadline) if limit else b""
    robots_tag = tuple(resp.raw.headers.getlist("X-Robots-Tag"))  # each header apart
    return Response(url, resp.url, resp.status_code, content_type, body, None, robots_tag)


def _read_capped(resp: requests.Response, max_bytes: int, deadline: float) -> bytes:
    """Read the (decompressed) body, stopping past max_bytes or past the total deadline."""
    length = resp.headers.get("Content-Length", "")
    if length.isascii() and length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"Content-Length {length} exceeds {max_bytes} bytes")
    chunks, size = [], 0
    # requests' timeout bounds each read, not the whole body: a trickle needs the deadline,
    # and read1 returns whatever has arrived instead of waiting for a full chunk.
    while chunk := resp.raw.read1(CHUNK_BYTES, decode_content=True):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"body exceeds {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise TimeoutError
        chunks.append(chunk)
    return b"".join(chunks)
