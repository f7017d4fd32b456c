"""make bench: how close each stage comes to its limit, as ratios measured side by side.

Every figure is a ratio of two things run in the same session, interleaved A B A B, medians
of REPEATS, because this machine is shared and noisy. Targets (issue 5):
- crawl: our asyncio crawl of a 2,000-page site (no latency, concurrency 64) against a bare
  aiohttp queue-and-workers loop (bench/bare_crawl.py): at least 0.6x;
- resize: thumbnails with 2 process workers against 1, on the default site: at least
  0.85 x cores;
- start-up: `python pipeline.py --help` under 0.3 s;
- memory: 50,000 against 5,000 pages within 1.5x (from `make bench-load`, if it has run).
Not here yet: Scrapy, the latency bound, the overlap target. Results: bench/results.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine.compare_report import machine
from testsite import ServeOptions, SiteSpec, site_process

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "site"
REPEATS = 3


def ours(origin: str, scratch: Path, *args: str) -> dict:
    """Run pipeline.py crawl once; return its summary."""
    out = Path(tempfile.mkdtemp(dir=scratch)) / "run"
    command = [
        sys.executable,
        str(ROOT / "pipeline.py"),
        "crawl",
        f"{origin}/",
        "--quiet",
        "--out",
        str(out),
        *args,
    ]
    subprocess.run(command, check=True, capture_output=True)
    return json.loads((out / "summary.json").read_text())


def bare(origin: str) -> float:
    """Pages per second of the bare aiohttp loop."""
    command = [sys.executable, str(ROOT / "bench" / "bare_crawl.py"), f"{origin}/", "64"]
    pages, seconds = subprocess.run(
        command, check=True, capture_output=True, text=True
    ).stdout.split()
    return int(pages) / float(seconds)


def crawl_ratio(scratch: Path) -> dict:
    """Our crawl stage's fetches per second against the bare loop's pages per second."""
    mine, reference = [], []
    with site_process(SiteSpec(pages=2000, images=1, seed=1), ServeOptions(), CACHE) as origin:
        for _ in range(REPEATS):
            mine.append(ours(origin, scratch, "--sizes", "128")["stages"]["crawl"]["per_s"])
            reference.append(bare(origin))
    ours_rate, bare_rate = statistics.median(mine), statistics.median(reference)
    return _row(
        "crawl vs bare aiohttp",
        ours_rate / bare_rate,
        0.6,
        f"{ours_rate:.0f} vs {bare_rate:.0f} pages/s",
    )


def resize_ratio(scratch: Path) -> dict:
    """Thumbnail rate with 2 process workers against 1."""
    rates: dict[int, list[float]] = {1: [], 2: []}
    with site_process(SiteSpec(), ServeOptions(), CACHE) as origin:
        for _ in range(REPEATS):
            for workers in (1, 2):
                summary = ours(origin, scratch, "--resize-workers", str(workers))
                rates[workers].append(summary["stages"]["resize"]["per_s"])
    one, two = (statistics.median(rates[n]) for n in (1, 2))
    cores = os.cpu_count() or 1
    return _row(
        "resize, 2 workers vs 1",
        two / one,
        0.85 * min(cores, 2),
        f"{two:.0f} vs {one:.0f} images/s",
    )


def startup() -> dict:
    """Seconds for `pipeline.py --help`, median of five."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "pipeline.py"), "--help"], check=True, capture_output=True
        )
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    return {
        "figure": "start-up (--help)",
        "value": round(seconds, 3),
        "target": "< 0.3 s",
        "result": "pass" if seconds < 0.3 else "short",
        "detail": f"{seconds:.3f} s",
    }


def memory() -> dict | None:
    """The flat-memory figure from make bench-load, if it has been run."""
    path = ROOT / "bench" / "load-results.json"
    if not path.exists():
        return None
    load = json.loads(path.read_text())
    return _row(
        "memory, 50k vs 5k pages",
        load["ratio"],
        load["target"],
        "from make bench-load",
        lower_is_better=True,
    )


def _row(
    figure: str, value: float, target: float, detail: str, lower_is_better: bool = False
) -> dict:
    met = value <= target if lower_is_better else value >= target
    sign = "<=" if lower_is_better else ">="
    return {
        "figure": figure,
        "value": round(value, 3),
        "target": f"{sign} {target:.2f}",
        "result": "pass" if met else "short",
        "detail": detail,
    }


def main() -> None:
    """Measure, print one table, write bench/results.json."""
    with tempfile.TemporaryDirectory() as scratch:
        rows = [crawl_ratio(Path(scratch)), resize_ratio(Path(scratch)), startup(), memory()]
    rows = [row for row in rows if row]
    print(f"{'figure':<28}{'value':>8}  {'target':<9}{'result':<7}detail")
    for row in rows:
        print(
            f"{row['figure']:<28}{row['value']:>8}  {row['target']:<9}{row['result']:<7}"
            f"{row['detail']}"
        )
    document = {"machine": machine(), "repeats": REPEATS, "rows": rows}
    (ROOT / "bench" / "results.json").write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
