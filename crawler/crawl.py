"""The crawl: a fixed set of workers drains a job queue of pages and images.

Data flow:
1. Fetch the start origin's robots.txt; if the site cannot be reached at all, stop.
2. Seed the queue with the start URL (depth 0).
3. Each worker takes a job. A page job fetches and parses the page (through the Fetcher,
   which is aiohttp on the loop or requests on a pool) and emits the Page; each new,
   in-scope link becomes a page job (unless the page says nofollow) and each new image URL
   an image job.
4. An image job checks its host's robots.txt, fetches the bytes and emits them. Image jobs
   go first, so downloaded bytes flow on to the next stage instead of piling up.
5. When the queue is empty and no job is in flight, the workers are cancelled. stop() (the
   first Ctrl-C) drops the queued jobs and gives those in flight a few seconds to finish.

The crawl is the one stage that does not run through models.stages.run_stage, because it
feeds itself: pages make more pages, so it ends when its queue is drained and nothing is in
flight, not at an end-of-stream marker, and its queue is a priority queue (images first).
What it shares with the other stages: it runs on any model (through the Fetcher), and an
exception nobody expected becomes the item's error record (ErrorInfo.internal), never the
end of the run.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import partial
from typing import NamedTuple, Protocol

from crawler.frontier import Frontier
from crawler.http import RETRYABLE_KINDS, FetchLimits, Response
from crawler.pages import ANY_SITE, Page
from crawler.politeness import Politeness
from crawler.robots import Robots, robots_url
from crawler.urls import netloc, origin
from errors import ErrorInfo
from spans import TASK_SLOT
from stats import Stats

LOGGER = logging.getLogger(__name__)


class Kind(IntEnum):
    """What a job fetches; the queue orders jobs by it, so images come first (an image's bytes
    free the pipeline downstream, a page only adds more jobs)."""

    IMAGE = 0
    PAGE = 1


STOP_GRACE_S = 3.0
# Links admitted between two turns of the event loop. Each costs about 4 µs (the frontier's
# checks, robots.txt, the queue): an index page's tens of thousands of links in one go held
# the loop for over 100 ms; a slice of 1,000 holds it about 4 ms.
ADMIT_SLICE = 1000


@dataclass(frozen=True)
class CrawlSettings:
    """How far a crawl may go and what each fetch may cost (how wide: its workers)."""

    max_per_host: int | None = None  # None: as many as the crawl has workers
    max_pages: int = 10_000
    max_depth: int | None = None
    rate: float | None = None  # requests per second to one host (None: as robots.txt says)
    ignore_robots: bool = False  # only for a site the user owns: never the default
    limits: FetchLimits = field(default_factory=FetchLimits)


class Fetcher(Protocol):
    """What the crawl needs from a concurrency model: fetch a page, fetch bytes.

    models.fetchers opens one for each model: aiohttp on the loop for asyncio, requests on
    the model's executor for the others.
    """

    async def page(self, url: str, depth: int, site: str) -> Page: ...

    async def resource(self, url: str) -> Response: ...


class SiteUnreachable(Exception):
    """The start URL's server did not answer at all."""


class _Job(NamedTuple):
    kind: Kind  # first in the order: the queue is a priority queue
    seq: int
    url: str
    depth: int
    start_at: float = 0.0  # the loop time politeness released it (0: never parked)


class Crawler:
    """Owns the frontier and the job queue; fetches through whichever Fetcher it is given."""

    def __init__(
        self,
        start_url: str,
        settings: CrawlSettings,
        workers: int,
        fetcher: Fetcher,
        emit_page: Callable[[Page], Awaitable[None]],
        emit_image: Callable[[Response], Awaitable[None]],
        stats: Stats,
    ) -> None:
        self.start_url = start_url
        self._settings = settings
        self._workers = workers
        self._per_host = min(settings.max_per_host or workers, workers)
        self._fetcher = fetcher
        self._emit_page = emit_page
        self._emit_image = emit_image
        self._stats = stats
        self._queue: asyncio.PriorityQueue[_Job] = asyncio.PriorityQueue()
        self._seq = itertools.count()
        self._robots: dict[str, asyncio.Task[Robots]] = {}
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._emitting: set[asyncio.Future[None]] = set()
        self._stopping = asyncio.Event()
        self._politeness: Politeness[_Job] = Politeness(settings.rate, stats, self._unpark)
        self._parked = 0  # jobs waiting for their host's turn
        self._unparked = asyncio.Event()
        self.frontier: Frontier | None = None

    async def prepare(self, done: Sequence[Page] = (), done_images: Iterable[str] = ()) -> None:
        """Fetch robots.txt and the start page, and queue its links; SiteUnreachable if down.

        The site is where the start page lands: http://example.org/ often redirects to
        https://www.example.org/, and that is the site to crawl. A resumed run passes the
        pages and images its files recorded: they are not fetched again, and the links
        those pages found become the queue.
        """
        slot = TASK_SLOT.set(0)  # nothing else runs yet: draw these fetches in slot 0's lane
        try:
            await self._prepare(done, done_images)
        finally:
            TASK_SLOT.reset(slot)

    async def _prepare(self, done: Sequence[Page], done_images: Iterable[str]) -> None:
        robots = await self._robots_for(origin(self.start_url))
        if done:
            await self._resume(done, done_images)
            return
        if not robots.allows(self.start_url):
            self.frontier = self._new_frontier(self.start_url, robots)
            self.frontier.skip("robots")
            return
        # The start page is its host's first request: it goes now, and sets the pace.
        host = netloc(self.start_url)
        self._politeness.go(host, robots, _Job(Kind.PAGE, -1, self.start_url, 0))
        try:
            page = await self._fetcher.page(self.start_url, 0, ANY_SITE)
        finally:
            self._politeness.finished(host)
        if page.status == 0 and page.error is not None and page.error.kind in RETRYABLE_KINDS:
            # Without robots.txt (ignored) the start page is the first thing asked for.
            raise SiteUnreachable(f"cannot reach {self.start_url}: {page.error.message}")
        site_url = page.final_url if page.ok else self.start_url
        self.frontier = self._new_frontier(site_url, await self._robots_for(origin(site_url)))
        self.frontier.admit_page(self.start_url, 0)
        await self._follow(page)

    async def _resume(self, done: Sequence[Page], done_images: Iterable[str]) -> None:
        """Rebuild the frontier from recorded pages and images; queue what they left to do."""
        start = next((page for page in done if page.url == self.start_url), None)
        site_url = start.final_url if start is not None and start.ok else self.start_url
        self.frontier = self._new_frontier(site_url, await self._robots_for(origin(site_url)))
        for page in done:  # all seen first, so a link to any of them is not queued
            self.frontier.admit_page(page.url, page.depth)
        recorded = {page.url for page in done}
        for page in done:  # a redirect's target is seen only once every recorded page counted
            if page.final_url not in recorded:
                self.frontier.mark_seen(page.final_url)
        for url in done_images:
            self.frontier.admit_image(url)
        for page in done:
            await self._queue_links(page)

    def _new_frontier(self, site_url: str, robots: Robots) -> Frontier:
        limits = self._settings
        return Frontier(netloc(site_url), robots, limits.max_pages, limits.max_depth, self._stats)

    async def run(self) -> None:
        """Crawl from the start URL until no work is left (prepare() first)."""
        slots = range(self._workers)
        workers = [asyncio.create_task(self._work(slot)) for slot in slots]
        drained = asyncio.ensure_future(self._drained())
        stopped = asyncio.ensure_future(self._stopping.wait())
        try:
            # A worker only ends by dying: then stop waiting for a queue it will never drain.
            await asyncio.wait({drained, stopped, *workers}, return_when=asyncio.FIRST_COMPLETED)
            if stopped.done() and not drained.done():
                # Jobs in flight may hold downloaded bytes: give them a moment to pass them on.
                await asyncio.wait({drained}, timeout=STOP_GRACE_S)
            for worker in workers:
                if worker.done() and not worker.cancelled() and worker.exception():
                    raise worker.exception()
        finally:
            for task in (drained, stopped, *workers):
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await asyncio.gather(*self._emitting)  # results that arrived still go downstream

    async def _drained(self) -> None:
        """Until no job is queued, in flight or parked for its host's next start time."""
        while True:
            await self._queue.join()
            if not self._parked:
                return
            await self._unparked.wait()
            self._unparked.clear()

    def stop(self) -> None:
        """Take no new jobs; fetches in flight get STOP_GRACE_S, the queued are dropped, and
        whatever has already arrived is still passed on."""
        self._stopping.set()

    async def _work(self, slot: int) -> None:
        """Take jobs until cancelled; a job that raises is recorded, never fatal."""
        TASK_SLOT.set(slot)  # this task's own context: the asyncio fetcher's timeline lane
        while True:
            job = await self._queue.get()
            try:
                if not self._stopping.is_set():
                    await self._run_job(job)
            finally:
                self._queue.task_done()

    async def _run_job(self, job: _Job) -> None:
        """Fetch one page or image (an unexpected exception becomes its record), emit it;
        a job whose host asks for a pause first is parked until its host's turn."""
        host = netloc(job.url)
        robots = await self._robots_for(origin(job.url))
        if job.kind == Kind.IMAGE and not robots.allows(job.url):  # images live anywhere
            self.frontier.skip("robots")
            return
        if self._parked_until_polite(host, robots, job):
            return
        try:
            async with self._slot(host):
                result = await self._fetch_or_record(job)
        finally:
            self._politeness.finished(host)  # the host's pace counts from here
        await self._deliver(job, result)

    async def _fetch_or_record(self, job: _Job) -> Page | Response:
        """Fetch job's URL; an unexpected exception becomes its record."""
        try:
            return await self._fetch(job)
        except Exception as exc:
            LOGGER.exception("unexpected error on %s", job.url)
            error = ErrorInfo.internal(exc)
            if job.kind == Kind.PAGE:
                return Page(job.url, job.url, 0, job.depth, error)
            return Response(job.url, job.url, 0, "", b"", error)

    async def _fetch(self, job: _Job) -> Page | Response:
        """Fetch a page (queueing its links) or an image."""
        if job.kind == Kind.PAGE:
            page = await self._fetcher.page(job.url, job.depth, self.frontier.site)
            await self._queue_links(page)
            return page
        return await self._fetcher.resource(job.url)

    def _parked_until_polite(self, host: str, robots: Robots, job: _Job) -> bool:
        """Park job until its host's turn, if it must wait; True if parked."""
        if job.start_at:  # back from the parking lot: its turn has come
            return False
        if self._politeness.go(host, robots, job):
            return False
        self._parked += 1
        return True

    def _unpark(self, job: _Job) -> None:
        """Queue a job whose turn has come (or drop it, when the crawl is stopping)."""
        if not self._stopping.is_set():
            self._queue.put_nowait(job._replace(start_at=asyncio.get_running_loop().time()))
        self._parked -= 1
        self._unparked.set()

    async def _deliver(self, job: _Job, result: Page | Response) -> None:
        """Emit a result, shielded: once it has arrived, stopping must not throw it away."""
        emit = self._emit_page(result) if job.kind == Kind.PAGE else self._emit_image(result)
        task = asyncio.ensure_future(emit)
        self._emitting.add(task)
        task.add_done_callback(self._emitting.discard)
        await asyncio.shield(task)

    async def _follow(self, page: Page) -> None:
        """Queue what a fetched page links to, then emit it."""
        await self._queue_links(page)
        await self._emit_page(page)

    async def _queue_links(self, page: Page) -> None:
        """Queue the new pages and images a page links to; a page that says nofollow (in
        its meta tags or X-Robots-Tag) has its images fetched, its links counted, not
        followed."""
        if page.final_url != page.url:
            self.frontier.mark_seen(page.final_url)
        if page.nofollow and not self._settings.ignore_robots:
            if page.links:
                self.frontier.skip("nofollow", len(page.links))
        else:
            await _in_slices(page.links, partial(self._admit_page, depth=page.depth + 1))
        await _in_slices(page.images, partial(self._admit_image, depth=page.depth))

    def _admit_page(self, url: str, depth: int) -> None:
        if self.frontier.admit_page(url, depth):
            self._put(Kind.PAGE, url, depth)

    def _admit_image(self, url: str, depth: int) -> None:
        if self.frontier.admit_image(url):
            self._put(Kind.IMAGE, url, depth)

    async def _robots_for(self, site_origin: str) -> Robots:
        """Fetch each origin's robots.txt once; concurrent callers share the one fetch."""
        if self._settings.ignore_robots:
            return Robots.ignored()
        if site_origin not in self._robots:
            self._robots[site_origin] = asyncio.ensure_future(self._fetch_robots(site_origin))
        return await self._robots[site_origin]

    async def _fetch_robots(self, site_origin: str) -> Robots:
        response = await self._fetcher.resource(robots_url(site_origin))
        no_answer = response.error is not None and response.error.kind in RETRYABLE_KINDS
        if response.status == 0 and no_answer and site_origin == origin(self.start_url):
            raise SiteUnreachable(f"cannot reach {site_origin}: {response.error.message}")
        if (not response.ok and response.status >= 500) or response.status == 0:
            LOGGER.warning(
                "robots.txt of %s failed (%s): not fetching from it",
                site_origin,
                response.error.message if response.error else response.status,
            )
        return Robots.from_response(response)

    def _slot(self, host: str) -> asyncio.Semaphore:
        """The per-host cap, the same on every model (max_per_host jobs on one host at once)."""
        if host not in self._host_slots:
            self._host_slots[host] = asyncio.Semaphore(self._per_host)
        return self._host_slots[host]

    def _put(self, kind: Kind, url: str, depth: int) -> None:
        self._queue.put_nowait(_Job(kind, next(self._seq), url, depth))


async def _in_slices(urls: Sequence[str], admit: Callable[[str], None]) -> None:
    """Call admit on each URL, giving the loop a turn after every ADMIT_SLICE of them."""
    for start in range(0, len(urls), ADMIT_SLICE):
        if start:
            await asyncio.sleep(0)
        for url in urls[start : start + ADMIT_SLICE]:
            admit(url)
