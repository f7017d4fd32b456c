"""Memory as the site grows: crawl a 5,000- and a 50,000-page site, compare peak memory.

Each crawl runs in a fresh child process with the default models (compare.plan.run_one)
and its process tree is measured from outside; the site is served from this process's own
child, so its memory (it holds every page) is not counted against the crawler. The claim
under test: memory stays flat as the site grows (the 50,000-page peak within 1.5x of the
5,000-page peak). Run it with `make bench-load`; results go to bench/load-results.json.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

from compare.plan import RunPlan, child_command, run_one
from config import RunConfig
from crawler.crawl import CrawlSettings
from testsite import ServeOptions, SiteSpec, site_process

SIZES = (5_000, 50_000)
IMAGES = 50
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "site"
TARGET_RATIO = 1.5


def measure(pages: int, out: Path) -> dict:
    """Crawl a site of `pages` pages and return the run's costs."""
    spec = SiteSpec(pages=pages, images=IMAGES, seed=1)
    with site_process(spec, ServeOptions(), CACHE) as origin:
        config = RunConfig(f"{origin}/", out / f"pages-{pages}")
        crawling = CrawlSettings(max_pages=pages * 2)
        config = replace(config, crawling=crawling)
        run = run_one(child_command(config, RunPlan(), config.run_dir), config.run_dir, f"{pages}")
    return {
        "site_pages": pages,
        "pages": run["counts"]["pages"],
        "wall_s": run["wall_s"],
        "fetch_per_s": run["stages"]["crawl"]["per_s"],
        "peak_rss_mb": run["peak_rss_mb"],
        "mb_per_1000_pages": round(run["peak_rss_mb"] / run["counts"]["pages"] * 1000, 2),
    }


def main() -> None:
    """Run both sizes, print the table, write bench/load-results.json."""
    with tempfile.TemporaryDirectory() as scratch:
        rows = [measure(pages, Path(scratch)) for pages in SIZES]
    ratio = rows[1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]
    print(
        f"{'site pages':>10} {'crawled':>8} {'wall s':>7} {'fetch/s':>8} {'peak MB':>8} "
        f"{'MB/1000 pages':>14}"
    )
    for row in rows:
        print(
            f"{row['site_pages']:>10} {row['pages']:>8} {row['wall_s']:>7.1f} "
            f"{row['fetch_per_s']:>8.0f} {row['peak_rss_mb']:>8.0f} "
            f"{row['mb_per_1000_pages']:>14.2f}"
        )
    verdict = "pass" if ratio <= TARGET_RATIO else "SHORT"
    print(f"peak 50,000 / 5,000 pages: {ratio:.2f}x (target <= {TARGET_RATIO}x): {verdict}")
    document = {"rows": rows, "ratio": round(ratio, 3), "target": TARGET_RATIO}
    (Path(__file__).resolve().parent / "load-results.json").write_text(
        json.dumps(document, indent=2)
    )


if __name__ == "__main__":
    main()
