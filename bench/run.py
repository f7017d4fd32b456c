"""make bench: every performance target of issue 5, as ratios measured side by side.

Every figure is a ratio of two things run in the same session, interleaved A B A B, medians
of REPEATS, because this machine is shared and noisy. Each run writes into a new folder
(files created right after a bulk delete are slow here). Figures and targets:
1. crawl, asyncio model, 2,000-page site, no latency, concurrency 64, pages/s:
   against Scrapy (bench/scrapy_crawl.py, a subprocess) at least 5x; against a bare aiohttp
   queue-and-workers loop (bench/bare_crawl.py) at least 0.6x; on uvloop against the
   standard loop (reported, no target); with the timeline recorded against without it:
   at least 0.95x (issue 6).
2. end to end (crawl + originals + thumbnails at 128 and 256) on the default site, whole
   processes timed: Scrapy + ImagesPipeline's wall time at least 3x ours.
3. latency-bound crawl (50 ms per request), concurrency 64 and 256: at least 0.9 of the
   bound, pages / (latency x (1 + sum over link depths d of ceil(pages at d / concurrency))),
   the 1 being robots.txt: a crawl cannot fetch a page before a page linking to it.
4. resize alone on a run's originals, 2 processes against 1: at least 0.85 x cores; and
   draft decoding against decode-then-resize on the large JPEGs (reported).
5. overlap: the whole pipeline's wall time at most 1.2x its slowest stage run alone (each
   stage alone by the product's own runner, `pipeline.py stage`, as compare runs it).
6. memory: peak per 1,000 pages, and 50,000 against 5,000 pages (from make bench-load).
7. start-up: `pipeline.py --help` under 0.3 s.
Writes bench/results.json with the machine and library versions.
"""

from __future__ import annotations

import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from compare.alone import input_images
from compare.results import machine
from processing.thumbnails import load_upright
from testsite import ServeOptions, SiteSpec, build_site, site_process

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "site"
REPEATS = 3
CRAWL_SITE = SiteSpec(pages=2000, images=1, seed=1)
FULL_SITE = SiteSpec()  # the make crawl site: 500 pages, 300 images up to 12 MP
LATENCY_MS = 50.0
SIZES = (128, 256)


class Cost(NamedTuple):
    """What running a stage alone took: wall seconds, and CPU seconds of every process."""

    wall_s: float
    cpu_s: float


class Scratch:
    """Hands out new, never reused folders inside one temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made = 0

    def new(self, name: str) -> Path:
        """A path for a new folder (not created)."""
        self.made += 1
        return self.root / f"{self.made:03d}-{name}"


def ours(origin: str, out: Path, *args: str) -> tuple[dict, float]:
    """Run `pipeline.py crawl` as a new process; return its summary and whole wall time."""
    command = [sys.executable, str(ROOT / "pipeline.py"), "crawl", f"{origin}/", "--quiet"]
    started = time.perf_counter()
    subprocess.run([*command, "--out", str(out), *args], check=True, capture_output=True)
    wall = time.perf_counter() - started
    return json.loads((out / "summary.json").read_text()), wall


def alone(stage: str, out: Path, *args: str) -> Cost:
    """Run one stage alone with the product's own runner (`pipeline.py stage`, a new
    process): its window from opening the executor to shutting it down."""
    command = [sys.executable, str(ROOT / "pipeline.py"), "stage", stage, "--quiet"]
    subprocess.run([*command, "--out", str(out), *args], check=True, capture_output=True)
    summary = json.loads((out / "summary.json").read_text())
    return Cost(summary["wall_s"], summary["cpu_s"])


def pages_per_s(summary: dict) -> float:
    """Pages crawled per second of the crawl stage."""
    return summary["counts"]["pages"] / summary["stages"]["crawl"]["wall_s"]


def scrapy(origin: str, out: Path, mode: str) -> tuple[dict, float]:
    """Run bench/scrapy_crawl.py as a new process; return its report and whole wall time."""
    command = [sys.executable, str(ROOT / "bench" / "scrapy_crawl.py"), f"{origin}/"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--mode", mode, "--concurrency", "64", "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def bare(origin: str) -> float:
    """Pages per second of the bare aiohttp loop."""
    command = [sys.executable, str(ROOT / "bench" / "bare_crawl.py"), f"{origin}/", "64"]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    pages, seconds = done.stdout.split()
    return int(pages) / float(seconds)


def interleaved(runs: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Run each measurement REPEATS times, A B A B, after one warm-up each; medians."""
    for run in runs.values():
        run()
    values: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEATS):
        for name, run in runs.items():
            values[name].append(run())
    return {name: statistics.median(found) for name, found in values.items()}


def crawl_rows(scratch: Scratch) -> list[dict]:
    """Figure 1: our crawl against Scrapy, the bare loop, and itself on uvloop."""
    with site_process(CRAWL_SITE, ServeOptions(), CACHE) as origin:
        rates = interleaved(
            {
                "ours": lambda: pages_per_s(ours(origin, scratch.new("ours"), "--sizes", "128")[0]),
                "uvloop": lambda: pages_per_s(
                    ours(origin, scratch.new("uv"), "--sizes", "128", "--loop", "uvloop")[0]
                ),
                "untimed": lambda: pages_per_s(
                    ours(origin, scratch.new("untimed"), "--sizes", "128", "--no-timeline")[0]
                ),
                "bare": lambda: bare(origin),
                "scrapy": lambda: _scrapy_rate(origin, scratch.new("scrapy")),
            }
        )
    mine, untimed = rates["ours"], rates["untimed"]
    return [
        _row("timeline on vs off (issue 6)", mine / untimed, 0.95, _vs(mine, untimed, "pages/s")),
        _row("crawl vs Scrapy", mine / rates["scrapy"], 5.0, _vs(mine, rates["scrapy"], "pages/s")),
        _row(
            "crawl vs bare aiohttp", mine / rates["bare"], 0.6, _vs(mine, rates["bare"], "pages/s")
        ),
        _row(
            "crawl on uvloop vs asyncio",
            rates["uvloop"] / mine,
            None,
            _vs(rates["uvloop"], mine, "pages/s"),
        ),
    ]


def _scrapy_rate(origin: str, out: Path) -> float:
    report, _ = scrapy(origin, out, "pages")
    return report["pages"] / report["seconds"]


def full_site_rows(scratch: Scratch) -> list[dict]:
    """Figures 2, 4 and 5, all on the default site with its images."""
    runs: list[Path] = []
    with site_process(FULL_SITE, ServeOptions(), CACHE) as origin:

        def run_ours() -> float:
            runs.append(scratch.new("ours"))
            return ours(origin, runs[-1])[1]

        walls = interleaved(
            {"ours": run_ours, "scrapy": lambda: scrapy(origin, scratch.new("scrapy"), "images")[1]}
        )
        crawl = _median_cost(
            [alone("crawl", scratch.new("crawl"), f"{origin}/") for _ in range(REPEATS)]
        )
    last = runs[-1]
    detail = _vs(walls["scrapy"], walls["ours"], "s, whole processes")
    rows = [_row("end to end vs Scrapy+Images", walls["scrapy"] / walls["ours"], 3.0, detail)]
    scaling, resize = resize_rows(scratch, last)
    in_pipeline = statistics.median(
        json.loads((run / "summary.json").read_text())["wall_s"] for run in runs[1:]
    )  # runs[0] was the warm-up
    write = _median_cost(
        [alone("write", scratch.new("w"), "--input", str(last)) for _ in range(REPEATS)]
    )
    slowest = max(crawl.wall_s, write.wall_s, resize.wall_s)
    detail = (
        f"{in_pipeline:.2f} s whole; alone: crawl {crawl.wall_s:.2f}, write {write.wall_s:.2f}, "
        f"resize {resize.wall_s:.2f} s"
    )
    rows.append(_row("overlap: whole vs slowest", in_pipeline / slowest, 1.2, detail, True))
    # When the slowest stage alone already fills every core, the others' CPU time must come
    # on top: the real floor is all three stages' CPU time spread over the cores.
    cpu = crawl.cpu_s + write.cpu_s + resize.cpu_s
    floor = cpu / (os.cpu_count() or 1)
    detail = f"{in_pipeline:.2f} s whole; {cpu:.2f} CPU s alone / {os.cpu_count()} cores"
    rows.append(_row("overlap: whole vs CPU floor", in_pipeline / floor, None, detail))
    return rows + scaling


def resize_rows(scratch: Scratch, run: Path) -> tuple[list[dict], Cost]:
    """Figure 4 on run's originals; also returns resize alone's cost on all cores."""
    originals = list(input_images(run))
    cores = os.cpu_count() or 1
    costs: dict[int, list[Cost]] = {1: [], cores: []}

    def resize(workers: int) -> float:
        args = ("--input", str(run), "--resize-workers", str(workers))
        costs[workers].append(alone("resize", scratch.new("resize"), *args))
        return costs[workers][-1].wall_s

    seconds = interleaved({str(workers): partial(resize, workers) for workers in costs})
    one, many = len(originals) / seconds["1"], len(originals) / seconds[str(cores)]
    rows = [
        _row(
            f"resize, {cores} processes vs 1", many / one, 0.85 * cores, _vs(many, one, "images/s")
        )
    ]
    large = sorted(
        {run / row["original"] for row in originals if row["original"].endswith(".jpg")},
        key=lambda path: path.stat().st_size,
    )[-20:]
    pairs = [draft_against_naive(large) for _ in range(REPEATS)]
    draft, naive = (statistics.median(pair[i] for pair in pairs) for i in (0, 1))
    detail = f"{len(large)} largest JPEGs: {naive:.2f} vs {draft:.2f} s"
    rows.append(_row("draft vs decode-then-resize", naive / draft, None, detail))
    return rows, _median_cost(costs[cores][1:])  # [0] is the warm-up


def latency_rows(scratch: Scratch) -> list[dict]:
    """Figure 3: a 50 ms site at concurrency 64 and 256, against the bound."""
    levels = [len(level) for level in build_site(CRAWL_SITE, CACHE).graph.levels()]
    rows = []
    with site_process(CRAWL_SITE, ServeOptions(latency_ms=LATENCY_MS), CACHE) as origin:
        rates = interleaved(
            {
                str(conc): lambda conc=conc: pages_per_s(
                    ours(origin, scratch.new(f"lat{conc}"), "--concurrency", str(conc))[0]
                )
                for conc in (64, 256)
            }
        )
    for conc in (64, 256):
        rounds = 1 + sum(math.ceil(pages / conc) for pages in levels)
        bound = sum(levels) / (rounds * LATENCY_MS / 1000)
        rate = rates[str(conc)]
        detail = f"{rate:.0f} of {bound:.0f} pages/s ({rounds} round trips)"
        rows.append(_row(f"50 ms latency, concurrency {conc}", rate / bound, 0.9, detail))
    return rows


def startup() -> dict:
    """Figure 7: seconds for `pipeline.py --help`, median of five."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "pipeline.py"), "--help"], check=True, capture_output=True
        )
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    return _row("start-up (--help), s", seconds, 0.3, f"{seconds:.3f} s", lower_is_better=True)


def memory_rows() -> list[dict]:
    """Figure 6, from make bench-load's results if it has been run."""
    path = ROOT / "bench" / "load-results.json"
    if not path.exists():
        return []
    load = json.loads(path.read_text())
    small, large = load["rows"]
    per_1000 = large["peak_rss_mb"] / large["pages"] * 1000
    detail = f"{small['peak_rss_mb']:.0f} vs {large['peak_rss_mb']:.0f} MB (make bench-load)"
    return [
        _row("memory, 50k vs 5k pages", load["ratio"], load["target"], detail, True),
        _row("memory per 1,000 pages, MB", per_1000, None, f"at {large['pages']:,} pages"),
    ]


def draft_against_naive(paths: list[Path]) -> tuple[float, float]:
    """Seconds to bring each JPEG down to 2 x 256 px: with draft (ours), and by decoding it
    whole and then resizing (the naive way)."""
    files = [path.read_bytes() for path in paths]
    started = time.perf_counter()
    for data in files:
        load_upright(data, max(SIZES))
    draft = time.perf_counter() - started
    started = time.perf_counter()
    for data in files:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.thumbnail((2 * max(SIZES), 2 * max(SIZES)))
    return draft, time.perf_counter() - started


def _median_cost(costs: list[Cost]) -> Cost:
    return Cost(*(statistics.median(values) for values in zip(*costs, strict=True)))


def _vs(a: float, b: float, unit: str) -> str:
    return f"{a:,.1f} vs {b:,.1f} {unit}"


def _row(
    figure: str, value: float, target: float | None, detail: str, lower_is_better: bool = False
) -> dict:
    """One line of the table: a figure, its target (None: reported only) and pass/short."""
    if target is None:
        return {
            "figure": figure,
            "value": round(value, 3),
            "target": "-",
            "result": "info",
            "detail": detail,
        }
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
    (ROOT / ".cache").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / ".cache", prefix="bench-") as root:
        scratch = Scratch(Path(root))
        rows = [
            *crawl_rows(scratch),
            *full_site_rows(scratch),
            *latency_rows(scratch),
            *memory_rows(),
            startup(),
        ]
    print(f"{'figure':<32}{'value':>8}  {'target':<9}{'result':<7}detail")
    for row in rows:
        print(
            f"{row['figure']:<32}{row['value']:>8}  {row['target']:<9}{row['result']:<7}"
            f"{row['detail']}"
        )
    document = {"machine": machine(), "repeats": REPEATS, "rows": rows}
    (ROOT / "bench" / "results.json").write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
