"""The crawl against real local servers: what it fetches, what it skips, how it fails."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from dataclasses import replace

import pytest
from aiohttp import web

from crawler.crawl import Crawler, CrawlSettings, SiteUnreachable
from crawler.http import FetchLimits
from crawler.oslimits import open_files_for
from errors import ErrorKind
from models.fetchers import TimedFetcher
from models.registry import MODELS
from models.stages import StageMeter
from stats import Stats
from tests.conftest import MiniSite, serving

FAST = FetchLimits(timeout_s=5, retries=2, backoff_s=0.01)


class Crawled:
    """What one crawl emitted, keyed by path, and what it counted."""

    def __init__(self, origin: str, stats: Stats, pages: list, images: list) -> None:
        self.stats = stats
        self.pages = {p.url.removeprefix(origin): p for p in pages}
        self.images = {i.url: i for i in images}


def crawl(origin: str, model: str = "asyncio", concurrency: int = 4, **settings: object) -> Crawled:
    """Crawl origin/ on the named model and collect what it emits."""
    settings.setdefault("limits", FAST)
    config = CrawlSettings(**settings)
    workers = MODELS[model].workers(concurrency)
    stats = Stats()
    pages, images = [], []

    async def main() -> None:
        async def on_page(page) -> None:
            pages.append(page)

        async def on_image(response) -> None:
            images.append(response)

        async with AsyncExitStack() as stack:
            meter = StageMeter("crawl", model, workers, stats)
            fetcher = await MODELS[model].open_fetcher(workers, config.limits, stack)
            timed = TimedFetcher(fetcher, meter)
            crawler = Crawler(f"{origin}/", config, workers, timed, on_page, on_image, stats)
            await crawler.prepare()
            await crawler.run()

    asyncio.run(main())
    return Crawled(origin, stats, pages, images)


def status_sequence(*responses: tuple[int, dict]) -> callable:
    """A handler answering each request with the next (status, headers), then 200."""
    remaining = list(responses)

    async def handler(request: web.Request) -> web.Response:
        if remaining:
            status, headers = remaining.pop(0)
            return web.Response(status=status, headers=headers)
        return web.Response(text="<a href='/'>home</a>", content_type="text/html")

    return handler


def test_every_reachable_page_is_fetched_once(mini_site: MiniSite, model: str) -> None:
    mini_site.add_page("/", links=["/a", "/b", "/a#top", "./b", "/a/../a"])
    mini_site.add_page("/a", links=["/", "/b", "/c"])
    mini_site.add_page("/b", links=["/a"])
    mini_site.add_page("/c", links=["/"])
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    assert set(result.pages) == {"/", "/a", "/b", "/c"}
    assert all(page.ok for page in result.pages.values())
    assert mini_site.hits == {"/": 1, "/a": 1, "/b": 1, "/c": 1}
    assert result.pages["/c"].depth == 2


def test_robots_txt_is_obeyed(mini_site: MiniSite, model: str) -> None:
    mini_site.add_page("/", links=["/private/secret", "/public"])
    mini_site.add_page("/public")
    mini_site.add_page("/private/secret")
    robots = "User-agent: *\nDisallow: /private/\n"
    mini_site.add_bytes("/robots.txt", robots.encode(), "text/plain")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    assert set(result.pages) == {"/", "/public"}
    assert "/private/secret" not in mini_site.hits
    assert result.stats.get("skipped/robots") == 1


@pytest.mark.parametrize(
    ("status", "fetched"),
    [(503, set()), (500, set()), (404, {"/", "/a", "/pic.jpg"}), (403, {"/", "/a", "/pic.jpg"})],
)
def test_an_unreachable_robots_txt_forbids_the_host_a_missing_one_allows_it(
    mini_site: MiniSite, model: str, status: int, fetched: set[str]
) -> None:
    # RFC 9309 2.3.1: 4xx means no rules at all; 5xx means the host may not be crawled.
    mini_site.add("/robots.txt", status_sequence(*[(status, {})] * 10))
    mini_site.add_page("/", links=["/a"], images=["/pic.jpg"])
    mini_site.add_page("/a")
    mini_site.add_bytes("/pic.jpg", b"jpeg bytes")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, limits=replace(FAST, retries=1))
    assert set(mini_site.hits) - {"/robots.txt"} == fetched
    assert set(result.pages) == fetched - {"/pic.jpg"}


def test_a_robots_txt_that_does_not_answer_at_all_forbids_its_host(
    mini_site: MiniSite, model: str
) -> None:
    silent = MiniSite()  # answers everything but robots.txt, which never comes

    async def never(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text="too late")

    silent.add("/robots.txt", never)
    silent.add_bytes("/pic.jpg", b"jpeg bytes")
    with serving(web.Application()) as refusing:
        pass  # the server is gone: its port now refuses connections
    with serving(silent.app) as silent_origin:
        mini_site.add_page("/", images=[f"{silent_origin}/pic.jpg", f"{refusing}/pic.jpg"])
        with serving(mini_site.app) as origin:
            result = crawl(origin, model, limits=FetchLimits(timeout_s=0.5, retries=0))
    assert silent.hits == {"/robots.txt": 1}  # a timeout, then nothing more from that host
    assert result.images == {}  # nor from the host that refused: no fetch, so no error
    assert result.stats.get("skipped/robots") == 2


def test_pages_stay_on_the_site_but_images_may_come_from_other_hosts(
    mini_site: MiniSite, model: str
) -> None:
    cdn = MiniSite()
    cdn.add_bytes("/photo.jpg", b"jpeg bytes")
    cdn.add_page("/elsewhere")
    with serving(cdn.app) as cdn_origin:
        mini_site.add_page(
            "/", links=[f"{cdn_origin}/elsewhere"], images=[f"{cdn_origin}/photo.jpg"]
        )
        with serving(mini_site.app) as origin:
            result = crawl(origin, model)
    assert set(result.pages) == {"/"}
    assert result.images[f"{cdn_origin}/photo.jpg"].body == b"jpeg bytes"
    assert "/elsewhere" not in cdn.hits
    assert result.stats.get("skipped/offsite") == 1


def test_transient_errors_are_retried_honouring_retry_after(
    mini_site: MiniSite, model: str
) -> None:
    mini_site.add("/", status_sequence((503, {"Retry-After": "0"}), (429, {"Retry-After": "1"})))
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    assert result.pages["/"].ok
    _, second, third = mini_site.hit_times["/"]
    # The server's own clock: the third request came a whole second after the second,
    # as its Retry-After: 1 asked (without it, the backoff would be 10 ms at most).
    assert third - second >= 1.0


def test_persistent_errors_are_recorded_after_the_retries(mini_site: MiniSite, model: str) -> None:
    mini_site.add_page("/", links=["/broken", "/missing"])
    mini_site.add("/broken", status_sequence(*[(500, {})] * 10))
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    assert result.pages["/broken"].error.kind == ErrorKind.HTTP
    assert result.pages["/broken"].status == 500
    assert mini_site.hits["/broken"] == FAST.retries + 1
    assert result.pages["/missing"].status == 404
    assert mini_site.hits.get("/missing") is None  # 404s are served by aiohttp, not counted
    assert result.pages["/"].ok


def test_a_body_over_the_size_cap_is_refused(mini_site: MiniSite, model: str) -> None:
    mini_site.add_page("/", links=["/huge"])

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        for _ in range(100):  # 6.4 MB, streamed with no Content-Length
            await response.write(b"x" * 65536)
        return response

    mini_site.add("/huge", huge)
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, limits=FetchLimits(max_page_bytes=1_000_000, retries=0))
    assert result.pages["/huge"].error.kind == ErrorKind.TOO_LARGE


def test_a_link_to_something_that_is_not_html_is_not_read(mini_site: MiniSite, model: str) -> None:
    mini_site.add_page("/", links=["/manual.pdf"])
    mini_site.add_bytes("/manual.pdf", b"%PDF" + b"x" * 3_000_000, "application/pdf")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, limits=FetchLimits(max_page_bytes=1_000_000, retries=0))
    pdf = result.pages["/manual.pdf"]
    assert pdf.ok and pdf.status == 200  # recorded, yet not too large: its body was skipped
    assert pdf.links == ()


def test_a_server_that_never_answers_times_out(mini_site: MiniSite, model: str) -> None:
    mini_site.add_page("/", links=["/slow"])

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text="too late")

    mini_site.add("/slow", slow)
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, limits=FetchLimits(timeout_s=0.3, retries=0))
    assert result.pages["/slow"].error.kind == ErrorKind.TIMEOUT


def test_redirects_are_followed_and_the_target_fetched_once(
    mini_site: MiniSite, model: str
) -> None:
    mini_site.add_page("/", links=["/old", "/loop", "/away"])
    mini_site.add_page("/new", links=["/next"])
    mini_site.add_page("/next", links=["/new"])

    def redirect_to(location: str):
        async def handler(request: web.Request) -> web.Response:
            raise web.HTTPFound(location)

        return handler

    other = MiniSite()
    other.add_page("/landing")
    with serving(other.app) as other_origin:
        for path, target in [
            ("/old", "/new"),
            ("/loop", "/loop"),
            ("/away", f"{other_origin}/landing"),
        ]:
            mini_site.add(path, redirect_to(target))
        with serving(mini_site.app) as origin:
            result = crawl(origin, model, limits=FetchLimits(retries=0, max_redirects=5))
    assert result.pages["/old"].final_url == f"{origin}/new"
    assert mini_site.hits["/new"] == 1  # the later link from /next is known already
    assert "/new" not in result.pages and result.pages["/next"].ok
    assert result.pages["/loop"].error.kind == ErrorKind.TOO_MANY_REDIRECTS
    assert result.pages["/away"].error.kind == ErrorKind.OFFSITE_REDIRECT


def test_requests_in_flight_never_exceed_the_concurrency_cap(
    mini_site: MiniSite, model: str
) -> None:
    paths = [f"/p{i}" for i in range(24)]
    mini_site.add_page("/", links=paths)
    for path in paths:
        mini_site.add_page(path)
    # No answer until every worker (even a slowly spawned one) has a request in flight.
    mini_site.held_paths, mini_site.hold_until = set(paths), MODELS[model].workers(4)
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, concurrency=4)
    assert len(result.pages) == 25
    assert mini_site.peak_in_flight == MODELS[model].workers(4)


def test_the_per_host_cap_holds_on_every_model(mini_site: MiniSite, model: str) -> None:
    paths = [f"/p{i}" for i in range(12)]
    mini_site.add_page("/", links=paths)
    for path in paths:
        mini_site.add_page(path)
    mini_site.held_paths, mini_site.hold_until = set(paths), min(2, MODELS[model].workers(4))
    mini_site.delay_s = 0.05  # answers take a moment: a broken cap would show more in flight
    with serving(mini_site.app) as origin:
        crawl(origin, model, concurrency=4, max_per_host=2)
    assert mini_site.peak_in_flight == min(2, MODELS[model].workers(4))


def test_page_and_depth_limits_stop_the_crawl(mini_site: MiniSite, model: str) -> None:
    for depth in range(6):
        mini_site.add_page(f"/d{depth}" if depth else "/", links=[f"/d{depth + 1}"])
    mini_site.add_page("/d6")
    with serving(mini_site.app) as origin:
        deep = crawl(origin, model, max_depth=2)
        few = crawl(origin, model, max_pages=3)
    assert set(deep.pages) == {"/", "/d1", "/d2"}
    assert len(few.pages) == 3
    assert few.stats.get("skipped/max_pages") == 1


def test_every_url_left_out_for_a_limit_is_counted_by_reason(
    mini_site: MiniSite, model: str
) -> None:
    long_page, long_image = "/" + "p" * 3000, "/" + "i" * 8000 + ".png"
    mini_site.add_page("/", links=["/a", "/b", long_page, "/c"], images=[long_image])
    mini_site.add_page("/a", links=["/a/deep"])
    for path in ("/b", "/c", "/a/deep"):
        mini_site.add_page(path)
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, max_pages=3, max_depth=1)
    assert set(result.pages) == {"/", "/a", "/b"}
    assert set(mini_site.hits) == {"/", "/a", "/b"}  # no request for any other
    assert result.stats.group("skipped") == {"max_depth": 1, "max_pages": 1, "url_too_long": 2}


def test_an_unreachable_site_stops_the_crawl_with_a_clear_error(model: str) -> None:
    with serving(web.Application()) as origin:
        pass  # the server is gone: its port now refuses connections
    with pytest.raises(SiteUnreachable, match="cannot reach"):
        crawl(origin, model, limits=FetchLimits(retries=0))


def test_a_body_that_trickles_is_ended_by_the_timeout(mini_site: MiniSite, model: str) -> None:
    mini_site.add_page("/", links=["/trickle"])

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        for _ in range(100):  # one byte every 0.1 s: each read is quick, the whole is not
            await response.write(b"x")
            await asyncio.sleep(0.1)
        return response

    mini_site.add("/trickle", trickle)
    with serving(mini_site.app) as origin:
        started = time.perf_counter()
        result = crawl(origin, model, limits=FetchLimits(timeout_s=1.0, retries=0))
    assert result.pages["/trickle"].error.kind == ErrorKind.TIMEOUT
    assert time.perf_counter() - started < 5


def test_gzip_encoded_pages_are_decoded(mini_site: MiniSite, model: str) -> None:
    async def gzipped(request: web.Request) -> web.Response:
        response = web.Response(text='<a href="/after-gzip">x</a>', content_type="text/html")
        response.enable_compression(web.ContentCoding.gzip)
        return response

    mini_site.add("/", gzipped)
    mini_site.add_page("/after-gzip")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    assert set(result.pages) == {"/", "/after-gzip"}


def test_a_start_url_that_redirects_moves_the_site_with_it(mini_site: MiniSite, model: str) -> None:
    real = MiniSite()
    real.add_page("/home", links=["/about", "/home"])
    real.add_page("/about")
    with serving(real.app) as real_origin:

        async def moved(request: web.Request) -> web.Response:
            raise web.HTTPMovedPermanently(f"{real_origin}/home")

        mini_site.add("/", moved)
        with serving(mini_site.app) as origin:
            result = crawl(origin, model)
    assert result.pages["/"].final_url == f"{real_origin}/home"
    assert f"{real_origin}/about" in result.pages  # crawled on the site it landed on
    assert real.hits["/home"] == 1


@pytest.mark.parametrize("wide_model", ["asyncio", "threads"])
def test_a_thousand_requests_in_flight(mini_site: MiniSite, wide_model: str) -> None:
    paths = [f"/p{i}" for i in range(1100)]
    mini_site.add_page("/", links=paths)
    for path in paths:
        mini_site.add_page(path)
    mini_site.held_paths = set(paths)  # none of them answers until 1,000 are in flight
    mini_site.hold_until = 1000
    open_files_for(1000)
    with serving(mini_site.app) as origin:
        result = crawl(origin, wide_model, concurrency=1000, limits=FetchLimits(retries=0))
    assert len(result.pages) == 1101 and all(page.ok for page in result.pages.values())
    assert mini_site.peak_in_flight == 1000


# Pages that say nofollow, or seem to: (meta tags, X-Robots-Tag headers, whether ours stops).
NOFOLLOW = {
    "meta-robots": ('<meta name="robots" content="noindex, nofollow">', [], True),
    "meta-ours": ('<meta name="Concurrency-Demo" content="none">', [], True),
    "meta-other": ('<meta name="googlebot" content="nofollow">', [], False),
    "header-all": ("", ["noarchive", "nofollow"], True),
    "header-ours": ("", ["googlebot: noindex, concurrency-demo: nofollow"], True),
    "header-other": ("", ["googlebot: nofollow", "otherbot: none"], False),
    "header-dated": ("", ["unavailable_after: 2030-01-01T00:00:00Z"], False),
}


def nofollow_site(site: MiniSite) -> None:
    """NOFOLLOW's pages, each linking to a page behind it and showing an image."""

    def serve(meta: str, tags: list[str], name: str):
        body = f'{meta}<a href="/behind-{name}">x</a><img src="/{name}.png">'

        async def handler(request: web.Request) -> web.Response:
            headers = [("X-Robots-Tag", tag) for tag in tags]
            return web.Response(text=body, content_type="text/html", headers=headers)

        return handler

    site.add_page("/", links=[f"/{name}" for name in NOFOLLOW])
    for name, (meta, tags, _) in NOFOLLOW.items():
        site.add(f"/{name}", serve(meta, tags, name))
        site.add_page(f"/behind-{name}")
        site.add_bytes(f"/{name}.png", b"png bytes", "image/png")


@pytest.mark.parametrize("ignore_robots", [False, True], ids=["obeyed", "ignored"])
def test_nofollow_in_meta_tags_and_headers_is_obeyed(
    mini_site: MiniSite, model: str, ignore_robots: bool
) -> None:
    nofollow_site(mini_site)
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, ignore_robots=ignore_robots)
    stopped = {name for name, (_, _, stops) in NOFOLLOW.items() if stops and not ignore_robots}
    assert {path for path in mini_site.hits if path.startswith("/behind-")} == {
        f"/behind-{name}" for name in set(NOFOLLOW) - stopped
    }
    says = {name for name, (_, _, stops) in NOFOLLOW.items() if stops}  # whatever we do
    assert {name for name in NOFOLLOW if result.pages[f"/{name}"].nofollow} == says
    assert {f"{origin}/{name}.png" for name in NOFOLLOW} <= set(result.images)  # still shown
    assert result.stats.get("skipped/nofollow") == len(stopped)  # one link on each
