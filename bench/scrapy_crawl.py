"""The Scrapy reference: the same crawl (and, with --mode images, the same thumbnails) in Scrapy.

    python bench/scrapy_crawl.py URL --mode pages|images --concurrency 64 --out DIR \
        [--sizes 128,256]

Crawls every page on URL's host and port reachable through <a href> / <area href>, obeying
robots.txt, with Scrapy's own dedupe (request fingerprints). With --mode images it also hands
every <img src>, <img srcset> and <picture><source srcset> URL to Scrapy's ImagesPipeline,
which stores DIR/images/full/ and one thumbnail per size under DIR/images/thumbs/<size>/.
Prints one line of JSON: pages, images (downloaded), image_failures, images_filtered (dropped by
a downloader middleware: robots or offsite), thumbnails, seconds (wall, from the first request
to the spider closing; the caller times the whole process too) and the Scrapy version.

Settings that matter, and the pitfalls met on the way (Scrapy 2.19, 2 cores, 2,000 pages):
- CONCURRENT_REQUESTS_PER_DOMAIN defaults to 8, and it also caps the HTTP pool's persistent
  connections per host: left alone, CONCURRENT_REQUESTS=64 silently runs 8 at a time.
- No allowed_domains. Since 2.11.2 OffsiteMiddleware is a downloader middleware, and the
  ImagesPipeline's requests pass through it (not through the scheduler): allowed_domains
  ["127.0.0.1"] dropped the 95 images on the site's `localhost` CDN name, logged at DEBUG only.
  It ignores ports too. So the spider keeps pages on URL's host:port itself, before making a
  Request (Request() raises on mailto:, javascript: and tel:), and images come from any host.
- CONCURRENT_ITEMS: with the asyncio reactor every response's output is processed by that
  many new tasks, 100 by default. A page here yields about a dozen, so 16 loses no parallelism
  and took the crawl from 5.5 s to 4.1 s.
- The reactor: the default asyncio one (2.13+) is the fastest; the epoll reactor took 7.7 s
  instead of 5.5 s (4.8 s instead of 4.1 s with CONCURRENT_ITEMS 16), and uvloop as
  ASYNCIO_EVENT_LOOP made no difference (4.35 s against 4.38 s, medians of 8).
- REMOTE_CONTROL_ENABLED (new in 2.19, on by default): an HTTP server that runs posted Python
  code and writes a job file under ~/.local/state; off, like the telnet console.
- IMAGES_STORE must be new: a file already there and younger than IMAGES_EXPIRES is counted
  "uptodate" and never downloaded.
- Uneven, and left so: ImagesPipeline decodes every image, re-encodes each original that is
  not a plain RGB JPEG, and makes the thumbnails (always JPEG) on the reactor thread, one image
  at a time, so no download moves meanwhile; ours resizes in 2 worker processes.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.pipelines.images import ImagesPipeline
from scrapy.pipelines.media import FileInfo, MediaPipeline
from twisted.python.failure import Failure

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"  # the default, and fastest
DEFAULT_PORTS = {"http": 80, "https": 443}


def site_of(url: str) -> tuple[str, int | None]:
    """Return (host, port) of url, the unit of 'same site'; the default port made explicit."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme)


def image_urls(response: TextResponse) -> list[str]:
    """Absolute http(s) URLs of every image the page shows, in order, once each."""
    refs = response.css("img::attr(src)").getall()
    for srcset in response.css("img::attr(srcset), picture source::attr(srcset)").getall():
        refs += [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]
    urls = (response.urljoin(ref.strip()) for ref in refs)
    return list(dict.fromkeys(url for url in urls if url.startswith(("http://", "https://"))))


class SiteSpider(Spider):
    """Follows in-scope links from one URL; in images mode yields each page's image URLs."""

    name = "site"

    def __init__(self, url: str, images: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url, self.site, self.images = url, site_of(url), images
        self.started = self.finished = 0.0

    async def start(self) -> AsyncIterator[Request]:
        """Yield the start URL and start the clock."""
        self.started = time.perf_counter()
        yield Request(self.url)

    def parse(self, response: Response) -> Iterator[Request | dict[str, list[str]]]:
        """Count the page, follow its in-scope links, hand its images on."""
        if not isinstance(response, TextResponse):
            return
        self.crawler.stats.inc_value("bench/pages")
        for href in response.css("a::attr(href), area::attr(href)").getall():
            url = response.urljoin(href.strip())  # honours <base href>
            if site_of(url) == self.site:  # before Request(), which raises on mailto: etc.
                yield Request(url)
        if self.images:
            yield {"image_urls": image_urls(response)}

    def closed(self, reason: str) -> None:
        """Stop the clock."""
        self.finished = time.perf_counter()


class CountingImagesPipeline(ImagesPipeline):
    """ImagesPipeline that counts each image URL once (not once per page naming it)."""

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> FileInfo:
        """Store the image and its thumbnails, counting success or failure."""
        try:
            result = await super().media_downloaded(response, request, info, item=item)
        except Exception:
            self.crawler.stats.inc_value("bench/image_failures")
            raise
        self.crawler.stats.inc_value("bench/images")
        return result

    def media_failed(
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> NoReturn:
        """Count a download that failed, or that a middleware dropped (robots, offsite)."""
        filtered = isinstance(failure.value, IgnoreRequest)
        self.crawler.stats.inc_value(
            "bench/images_filtered" if filtered else "bench/image_failures"
        )
        super().media_failed(failure, request, info)  # raises


def settings(concurrency: int, out: Path, sizes: list[int] | None) -> dict[str, Any]:
    """Scrapy settings for a fair race: no throttling, no politeness delays, no cache."""
    common = {
        "TWISTED_REACTOR": REACTOR,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,  # default 8: see the docstring
        "CONCURRENT_REQUESTS_PER_IP": 0,  # 0: per domain (non-zero is deprecated in 2.19)
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
        "RETRY_TIMES": 3,  # as ours
        "COOKIES_ENABLED": False,
        "CONCURRENT_ITEMS": 16,  # default 100: see the docstring
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }
    if sizes is None:
        return common
    return common | {
        "ITEM_PIPELINES": {CountingImagesPipeline: 1},
        "IMAGES_STORE": str(out / "images"),
        "IMAGES_THUMBS": {str(size): (size, size) for size in sizes},
        "IMAGES_MIN_HEIGHT": 0,
        "IMAGES_MIN_WIDTH": 0,
        "MEDIA_ALLOW_REDIRECTS": True,
    }


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--mode", choices=("pages", "images"), default="pages")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--out", type=Path, required=True, help="must be new or empty")
    parser.add_argument("--sizes", default="128,256", help="thumbnail sizes (images mode)")
    return parser.parse_args()


def main() -> None:
    """Crawl, then print the one-line JSON report."""
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",")] if args.mode == "images" else None
    process = CrawlerProcess(settings(args.concurrency, args.out, sizes))
    crawler = process.create_crawler(SiteSpider)
    process.crawl(crawler, url=args.url, images=sizes is not None)
    process.start()
    spider, stats = crawler.spider, crawler.stats
    assert isinstance(spider, SiteSpider) and stats is not None
    thumbs = args.out / "images" / "thumbs"
    report = {
        "pages": stats.get_value("bench/pages", 0),
        "images": stats.get_value("bench/images", 0),
        "image_failures": stats.get_value("bench/image_failures", 0),
        "images_filtered": stats.get_value("bench/images_filtered", 0),
        "thumbnails": sum(1 for path in thumbs.rglob("*") if path.is_file()),
        "seconds": round(spider.finished - spider.started, 3),
        "scrapy": scrapy.__version__,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
