"""How the dask model's workers should get their images: measured on a local cluster.

Workers on other machines cannot read our disk, so either (a) the image's bytes travel to
the worker and the encoded thumbnails come back (what the dask model does), or (b) the worker
fetches the image's URL itself and sends the thumbnails back. Both make the same thumbnails
of the same images of the default local site on a LocalCluster of two worker processes,
interleaved a b a b after a warm-up, medians of REPEATS; processes (the default resize model,
reading the disk) run beside them as the yardstick.

    python -m bench.dask_transfer
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.run import CACHE, REPEATS, interleaved, ours
from config import DEFAULT_SIZES
from crawler.fetch_sync import fetch
from crawler.http import FetchLimits
from models.cluster import DaskExecutor
from models.registry import MODELS
from processing.originals import Saved
from processing.thumbnails import make_thumbnails, read_original, render_thumbnails
from testsite import ServeOptions, SiteSpec, site_process


def fetch_and_render(url: str) -> object:
    """On the worker: download the image, then make its thumbnails."""
    return render_thumbnails(fetch(url, FetchLimits()).body, DEFAULT_SIZES)


def bytes_travel(pool: object, saved: list[Saved], run_dir: str) -> None:
    """(a) our bytes to the worker, its thumbnails back."""
    sizes = DEFAULT_SIZES
    futures = [pool.submit(render_thumbnails, read_original(s, run_dir), sizes) for s in saved]
    for future in futures:
        future.result()


def worker_fetches(pool: object, saved: list[Saved]) -> None:
    """(b) the URL to the worker, which downloads the image itself; thumbnails back."""
    for future in [pool.submit(fetch_and_render, s.url) for s in saved]:
        future.result()


def local_disk(pool: object, saved: list[Saved], run_dir: str) -> None:
    """The yardstick: a process pool reading and writing our disk itself."""
    work = partial(make_thumbnails, run_dir=run_dir, sizes=DEFAULT_SIZES)
    list(pool.map(work, saved))


def timed(run: Callable[[], None]) -> float:
    """Seconds run takes."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    """Crawl the default site once, then time each way of getting the images to workers."""
    with (
        tempfile.TemporaryDirectory() as scratch,
        site_process(SiteSpec(), ServeOptions(), CACHE) as origin,
    ):
        run_dir = Path(scratch) / "run"
        ours(origin, run_dir)
        rows = [json.loads(line) for line in (run_dir / "images.jsonl").open()]
        saved = [Saved(r["url"], r["original"], r["sha256"], r["bytes"]) for r in rows if r["ok"]]
        megabytes = sum(s.size for s in saved) / 1e6
        with DaskExecutor(2) as dask, MODELS["processes"].make_executor(2, None) as processes:
            ways = {
                "bytes travel (dask)": partial(bytes_travel, dask, saved, str(run_dir)),
                "worker fetches (dask)": partial(worker_fetches, dask, saved),
                "local disk (processes)": partial(local_disk, processes, saved, str(run_dir)),
            }
            # The warm-up starts the workers, does the imports and caches the pages.
            times = interleaved({name: partial(timed, run) for name, run in ways.items()})
    print(f"{len(saved)} images, {megabytes:.0f} MB, 2 workers; medians of {REPEATS}")
    for name, values in times.items():
        print(
            f"{name:<24}{statistics.median(values):7.2f} s  ({min(values):.2f}-{max(values):.2f})"
        )


if __name__ == "__main__":
    main()
