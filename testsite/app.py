"""The aiohttp application: pages from memory, images from disk, injected latency and errors.

Every request sleeps latency +- jitter first. A fixed share of paths, chosen by hashing the
seed and the path, answers 503 with Retry-After: 0 the first time each URL is asked for and
succeeds after, so a crawler that retries gets everything and two crawls agree. robots.txt
never fails. GET /_testsite/stats (not linked from anywhere, no latency, never fails) reports
the server's pid and how often each URL was requested, for tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from testsite.hrefs import ALT, ALT_UPPER, ORIGIN, ORIGIN_UPPER
from testsite.site import ROBOTS_TXT, Site
from testsite.spec import ServeOptions
from testsite.urls import absolute, alt_origin, canonical_origin

STATS_PATH = "/_testsite/stats"


@dataclass
class Traffic:
    """One app's mutable state: the jitter generator and requests counted per URL."""

    options: ServeOptions
    seed: int
    rng: random.Random
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)

    def delay_s(self) -> float:
        """The latency for one request, in seconds, never negative."""
        jitter = self.rng.uniform(-1.0, 1.0) * self.options.jitter_ms
        return max(0.0, self.options.latency_ms + jitter) / 1000.0

    def count(self, origin: str, path: str) -> int:
        """Count one request for a URL; return how many came before it."""
        before = self.hits[origin, path]
        self.hits[origin, path] = before + 1
        return before

    def is_flaky(self, path: str) -> bool:
        """True when path is one of the error_rate share that fails once."""
        digest = hashlib.sha256(f"{self.seed}:{path}".encode()).digest()
        return int.from_bytes(digest[:8], "big") < self.options.error_rate * 2**64


SITE = web.AppKey("site", Site)
TRAFFIC = web.AppKey("traffic", Traffic)


def make_app(site: Site, options: ServeOptions) -> web.Application:
    """Return the application serving site with options' latency and errors."""
    app = web.Application()
    app[SITE] = site
    app[TRAFFIC] = Traffic(options, site.spec.seed, random.Random(f"{site.spec.seed}:jitter"))
    app.router.add_get(STATS_PATH, stats)
    app.router.add_get("/{tail:.*}", handle)
    return app


async def handle(request: web.Request) -> web.StreamResponse:
    """Answer any path after the latency: robots.txt, a page, an image, a 503 or a 404."""
    traffic = request.app[TRAFFIC]
    delay = traffic.delay_s()
    if delay:
        await asyncio.sleep(delay)
    origin, path = request_origin(request), request.path
    earlier = traffic.count(origin, path)
    if path == "/robots.txt":
        return web.Response(body=ROBOTS_TXT, content_type="text/plain", charset="utf-8")
    if earlier == 0 and traffic.is_flaky(path):
        return web.Response(status=503, text="Try again\n", headers={"Retry-After": "0"})
    return answer(request.app[SITE], origin, path)


def answer(site: Site, origin: str, path: str) -> web.StreamResponse:
    """The normal response for path: a page with its origin filled in, an image, or a 404."""
    body = site.bodies.get(path)
    if body is not None:
        return web.Response(body=fill(body, origin), content_type="text/html", charset="utf-8")
    plan = site.image_plan(path)
    if plan is not None:
        headers = {"Content-Type": plan.content_type}
        return web.FileResponse(site.image_dir / plan.name, headers=headers)
    return web.Response(status=404, text="Not found\n")


def request_origin(request: web.Request) -> str:
    """The canonical origin the client asked for: the scheme and its Host header."""
    return canonical_origin(f"{request.scheme}://{request.host}")


def fill(body: bytes, origin: str) -> bytes:
    """Replace a page's origin placeholders with origin and its other host name."""
    other = alt_origin(origin)
    for token, value in (
        (ORIGIN, origin),
        (ORIGIN_UPPER, origin.upper()),
        (ALT, other),
        (ALT_UPPER, other.upper()),
    ):
        body = body.replace(token.encode(), value.encode())
    return body


async def stats(request: web.Request) -> web.Response:
    """Report this server's pid and the number of requests per absolute URL."""
    hits = request.app[TRAFFIC].hits
    counts = {absolute(origin, path): number for (origin, path), number in hits.items()}
    return web.json_response({"pid": os.getpid(), "hits": counts})
