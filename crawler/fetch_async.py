"""Fetch one URL with aiohttp, with retries and a size cap: the asyncio crawl's native path.

Its synchronous twin is crawler/fetch_sync.py; both return the same Response record.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor

import aiohttp

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
from spans import Span, span_since

CHUNK_BYTES = 64 * 1024
# Pages larger than this are parsed in another process: on the loop, an index page's ten
# thousand links stall every request in flight (a 1.6 MB page: 165 ms), and in a thread,
# selecting and resolving them hold the GIL the loop needs (30-70 ms stalls, measured).
# Smaller pages are quicker to parse than to send anywhere.
OFF_LOOP_BYTES = 256 * 1024


def make_session(limits: FetchLimits, concurrency: int) -> aiohttp.ClientSession:
    """Build the one session of a crawl; call it inside the running event loop."""
    # The connector's cap must match ours, or it silently becomes the bottleneck (default 100).
    # No per-host cap here: the crawler enforces it on every model, and a request waiting
    # for a pooled connection would spend its total timeout before it was even sent.
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=limits.timeout_s),
        headers={"User-Agent": limits.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        # One jar for the crawl, as a browser keeps: a site that sets a session cookie and
        # redirects to itself must see it come back. unsafe: accept cookies from IP hosts too.
        cookie_jar=aiohttp.CookieJar(unsafe=True),
    )


async def fetch(
    session: aiohttp.ClientSession, url: str, limits: FetchLimits, as_page: bool = False
) -> Response:
    """Fetch url, retrying transient failures with backoff; never raises for network trouble."""
    for attempt in range(limits.retries + 1):
        outcome = await _attempt(session, url, limits, as_page)
        if not outcome.retry or attempt == limits.retries:
            return outcome.response
        await asyncio.sleep(backoff_delay(attempt, limits, outcome.retry_after))
    raise AssertionError("unreachable: the last attempt always returns")


async def _attempt(
    session: aiohttp.ClientSession, url: str, limits: FetchLimits, as_page: bool
) -> Attempt:
    """Make one request and say whether it is worth another."""
    try:
        async with session.get(url, max_redirects=limits.max_redirects) as resp:
            final_url, content_type = str(resp.url), resp.headers.get("Content-Type", "")
            if resp.status >= 300:
                error = http_error(resp.status, resp.reason or "")
                failed = Response(url, final_url, resp.status, content_type, b"", error)
                return Attempt(failed, should_retry(resp.status), resp.headers.get("Retry-After"))
            return Attempt(await _received(resp, url, limits, as_page))
    except TooLarge as exc:
        return failed_attempt(url, ErrorKind.TOO_LARGE, str(exc))
    except aiohttp.TooManyRedirects:
        message = f"more than {limits.max_redirects} redirects"
        return failed_attempt(url, ErrorKind.TOO_MANY_REDIRECTS, message)
    except (aiohttp.InvalidURL, ValueError) as exc:
        return failed_attempt(url, ErrorKind.INVALID_URL, describe(exc))
    except TimeoutError:
        return failed_attempt(url, ErrorKind.TIMEOUT, f"no answer in {limits.timeout_s:g}s")
    except aiohttp.ClientError as exc:
        return failed_attempt(url, ErrorKind.CONNECTION, describe(exc))


async def _received(
    resp: aiohttp.ClientResponse, url: str, limits: FetchLimits, as_page: bool
) -> Response:
    """The response to a 2xx answer: its body read within the caps, or why it was not."""
    final_url, content_type = str(resp.url), resp.headers.get("Content-Type", "")
    coding = unasked_coding(resp.headers.get("Content-Encoding", ""))
    if coding is not None:
        return Response(url, final_url, resp.status, content_type, b"", coding)
    limit = body_limit(limits, content_type, as_page)
    body = await _read_capped(resp, limit) if limit else b""
    robots_tag = tuple(resp.headers.getall("X-Robots-Tag", ()))
    return Response(url, final_url, resp.status, content_type, body, None, robots_tag)


async def _read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """Read the (decompressed) body, stopping as soon as it passes max_bytes."""
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise TooLarge(f"Content-Length {resp.content_length} exceeds {max_bytes} bytes")
    chunks, size = [], 0
    async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class AsyncFetcher:
    """The asyncio model's fetcher: aiohttp on the event loop, parsing on the loop too
    (the largest pages in another process)."""

    def __init__(
        self, session: aiohttp.ClientSession, limits: FetchLimits, large_pages: Executor
    ) -> None:
        self._session = session
        self._limits = limits
        self._large_pages = large_pages  # a process pool: parses pages over OFF_LOOP_BYTES

    async def page(self, url: str, depth: int, site: str) -> tuple[Page, Span]:
        """Fetch and parse one page; a large one in another process, so the loop goes on."""
        start = time.monotonic()
        response = await fetch(self._session, url, self._limits, as_page=True)
        if len(response.body) > OFF_LOOP_BYTES:
            # Submitted from a thread: the first submit starts the process, which held
            # the loop 20-80 ms (spawning it), measured.
            submit = self._large_pages.submit
            parsing = await asyncio.to_thread(submit, to_page, response, depth, site)
            page = await asyncio.wrap_future(parsing)
        else:
            page = to_page(response, depth, site)
        return page, span_since(start)

    async def resource(self, url: str) -> tuple[Response, Span]:
        """Fetch an image or a robots.txt as bytes."""
        start = time.monotonic()
        response = await fetch(self._session, url, self._limits)
        return response, span_since(start)
