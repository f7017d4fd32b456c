"""The limit reference for crawl speed: a bare aiohttp queue-and-workers loop.

No robots, no retries, no records, no images: a regex for links and a seen-set. What our
crawl does on top of this is what its features cost. Prints: pages seconds.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from urllib.parse import urljoin, urlsplit

import aiohttp

HREF = re.compile(rb'href="([^"#]*)')


async def crawl(start: str, concurrency: int) -> int:
    """Crawl start's host with concurrency workers; return the pages fetched."""
    host = urlsplit(start).netloc
    queue: asyncio.Queue[str] = asyncio.Queue()
    seen = {start}
    queue.put_nowait(start)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while True:
                url = await queue.get()
                try:
                    async with session.get(url) as response:
                        body = await response.read()
                    for href in HREF.findall(body):
                        link = urljoin(url, href.decode())
                        if urlsplit(link).netloc == host and link not in seen:
                            seen.add(link)
                            queue.put_nowait(link)
                finally:
                    queue.task_done()

        workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
        await queue.join()
        for task in workers:
            task.cancel()
    return len(seen)


if __name__ == "__main__":
    started = time.perf_counter()
    pages = asyncio.run(crawl(sys.argv[1], int(sys.argv[2])))
    print(pages, time.perf_counter() - started)
