"""make bench: every performance target of the crawler and the pipeline, as ratios measured
side by side.

Every figure is a ratio of two things run in the same session, interleaved A B A B, the
median of REPEATS paired ratios (repeat i of A against repeat i of B), because this machine
is shared and noisy. A target is met ("pass") when every repeat meets it, missed ("short")
when none does, and "inconclusive" when the repeats fall on both sides (measure/repeats.py).
Each run writes into a new folder (files created right after a bulk delete are slow here).
Figures and targets:
1. crawl, asyncio model, 2,000-page photo site, no latency, concurrency 64, pages/s of the
   crawl stage alone (`pipeline.py stage crawl`: the crawler with its records, digest and
   timeline, nothing else on the cores): against a bare aiohttp queue-and-workers loop
   (bench/bare_crawl.py) at least 0.75x; against Scrapy at least 5x; with the timeline
   recorded against without it at least 0.95x; on uvloop, and inside the whole
   pipeline, reported.
2. each profile of the local site (photos: the make crawl site; docs: a manual of 500 pages
   and 1,500 small images): end to end (crawl + originals + thumbnails at 128 and 256, whole
   processes timed) against Scrapy + ImagesPipeline, at least 3.5x (photos) and 3x (docs);
   the whole pipeline against its CPU floor (each stage's CPU alone / cores) at most 1.15x,
   and against its slowest stage alone (reported); the event loop's worst lag in the whole
   run, at most 50 ms on the docs profile; the resize stage's CPU per image alone (reported).
3. latency-bound crawl (50 ms per request), concurrency 64 and 256: at least 0.95 and 0.9 of
   the bound, pages / (latency x (1 + sum over link depths d of ceil(pages at d /
   concurrency))), the 1 being robots.txt: a crawl cannot fetch a page before one linking it.
4. resize alone on the photo site's originals, 2 processes against 1: at least 0.85 x
   cores; draft decoding against decode-then-resize on the large JPEGs (reported).
5. memory: peak per 1,000 pages, and 50,000 against 5,000 pages (from make bench-load).
6. start-up: `pipeline.py --help` under 0.3 s.
7. the live view: the whole pipeline on the photo site with `--live` and a reader on its feed
   from start to end (what an open page receives, without the drawing) against the same run
   without it, LIVE_REPEATS pairs: the run's own wall time (summary.json's wall_s) at most
   1.03x; its CPU time and the live thread's share of it reported.
Writes bench/results.json with the machine and library versions. `python -m bench.run live`
(or any of the names in FIGURES) measures those figures only, and prints them without
writing bench/results.json.
"""

from __future__ import annotations

import io
import json
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

import psutil
from PIL import Image

from config import DEFAULT_SIZES
from measure.interpreter import machine
from measure.repeats import Outcome, judge, paired_ratios, spread
from processing.thumbnails import load_upright
from runfolder.summary import Summary, read_summary
from stage_alone import input_images
from testsite import ServeOptions, SiteSpec, build_site, site_process

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "site"
REPEATS = 3
CRAWL_SITE = SiteSpec(pages=2000, images=1, seed=1)
# The live view's cost is a few percent at most: more pairs, so that noise cannot hide it.
LIVE_REPEATS = 7


class SiteRun(NamedTuple):
    """One profile of the local site as make bench measures it: the site, the end-to-end
    target against Scrapy + ImagesPipeline, the loop lag target (None: reported only), and
    whether resizing's scaling with cores and draft() are measured on its images."""

    spec: SiteSpec
    end_to_end: float
    lag_ms: float | None
    scaling: bool


PROFILES = {
    # the make crawl site: 500 pages, 300 images up to 12 MP
    "photos": SiteRun(SiteSpec(), 3.5, None, scaling=True),
    "docs": SiteRun(SiteSpec(pages=500, images=1500, profile="docs"), 3.0, 50.0, scaling=False),
}
LATENCY_MS = 50.0


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


def run_pipeline(out: Path, *args: str) -> tuple[Summary, float]:
    """Run `pipeline.py ARGS --quiet --out OUT` as a new process; return its summary and the
    whole process's wall time."""
    command = [sys.executable, str(ROOT / "pipeline.py"), *args, "--quiet", "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - started
    return read_summary(out), wall


def ours(origin: str, out: Path, *args: str) -> tuple[Summary, float]:
    """Our whole pipeline crawling origin: its summary and whole wall time."""
    return run_pipeline(out, "crawl", f"{origin}/", *args)


def alone(stage: str, out: Path, *args: str) -> Cost:
    """One stage alone with the product's own runner (`pipeline.py stage`): its window from
    opening the executor to shutting it down."""
    summary, _ = run_pipeline(out, "stage", stage, *args)
    return Cost(summary.wall_s, summary.cpu_s)


def watched(origin: str, out: Path) -> tuple[Summary, float, float]:
    """Our whole pipeline crawling origin with --live, a reader on its feed the whole run:
    its summary, its whole wall time and the live thread's CPU seconds as the feed's end
    says."""
    command = [sys.executable, str(ROOT / "pipeline.py"), "crawl", f"{origin}/", "--live"]
    command += ["--quiet", "--out", str(out)]
    # No display: a live run would open a browser window for every repeat.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    started = time.perf_counter()
    end: list[dict] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as run:
        url = run.stdout.readline().split(": ", 1)[1].strip()
        reader = threading.Thread(target=_read_feed, args=(url + "feed", end), daemon=True)
        reader.start()
        run.stdout.read()
        if run.wait() != 0:
            raise subprocess.CalledProcessError(run.returncode, command)
    wall = time.perf_counter() - started
    reader.join(10)
    return read_summary(out), wall, end[0]["live_cpu_s"]


def _read_feed(url: str, end: list[dict]) -> None:
    """Read the live feed at url to its end, as an open page would; its end event into end."""
    with urllib.request.urlopen(url, timeout=60) as feed:
        event = ""
        for line in feed:
            if line.startswith(b"event:"):
                event = line.decode().split(":", 1)[1].strip()
            elif event == "end" and line.startswith(b"data:"):
                end.append(json.loads(line[5:]))


def pages_per_s(summary: Summary) -> float:
    """Pages crawled per second of the crawl stage."""
    return summary.counts.pages / summary.stages["crawl"].wall_s


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


def interleaved(
    runs: dict[str, Callable[[], float]], repeats: int = REPEATS
) -> dict[str, list[float]]:
    """Run each measurement repeats times, A B A B, after one warm-up each; the repeats."""
    for run in runs.values():
        run()
    values: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            values[name].append(run())
    return values


def crawl_rows(scratch: Scratch) -> list[dict]:
    """Figure 1: our crawl alone against the bare loop and Scrapy, and variations of it."""

    def alone_rate(*args: str) -> float:
        summary, _ = run_pipeline(scratch.new("crawl"), "stage", "crawl", f"{origin}/", *args)
        return pages_per_s(summary)

    with site_process(CRAWL_SITE, ServeOptions(), CACHE) as origin:
        rates = interleaved(
            {
                "ours": alone_rate,
                "uvloop": partial(alone_rate, "--loop", "uvloop"),
                "untimed": partial(alone_rate, "--no-timeline"),
                "pipeline": lambda: pages_per_s(
                    ours(origin, scratch.new("ours"), "--sizes", "128")[0]
                ),
                "bare": lambda: bare(origin),
                "scrapy": lambda: _scrapy_rate(origin, scratch.new("scrapy")),
            }
        )

    def versus(name: str, target: float | None, label: str, flip: bool = False) -> dict:
        pair = (rates[name], rates["ours"]) if flip else (rates["ours"], rates[name])
        detail = _vs(*map(statistics.median, pair), "pages/s")
        return _row(label, paired_ratios(*pair), target, detail)

    return [
        versus("untimed", 0.95, "timeline on vs off"),
        versus("scrapy", 5.0, "crawl vs Scrapy"),
        versus("bare", 0.75, "crawl vs bare aiohttp"),
        versus("uvloop", None, "crawl on uvloop vs asyncio", flip=True),
        versus("pipeline", None, "crawl in the pipeline vs alone", flip=True),
    ]


def _scrapy_rate(origin: str, out: Path) -> float:
    report, _ = scrapy(origin, out, "pages")
    return report["pages"] / report["seconds"]


def site_rows(scratch: Scratch, profile: str) -> list[dict]:
    """Figure 2 on one profile of the local site (and figure 4 on the photos)."""
    chosen = PROFILES[profile]
    runs: list[Path] = []
    summaries: list[Summary] = []
    served: list[float] = []  # the site's CPU seconds during each whole run
    with site_process(chosen.spec, ServeOptions(), CACHE) as origin:

        def run_ours() -> float:
            runs.append(scratch.new("ours"))
            before = site_cpu()
            summary, wall = ours(origin, runs[-1])
            served.append(site_cpu() - before)
            summaries.append(summary)
            return wall

        def run_scrapy() -> float:
            return scrapy(origin, scratch.new("scrapy"), "images")[1]

        walls = interleaved({"ours": run_ours, "scrapy": run_scrapy})
        crawl = [alone("crawl", scratch.new("crawl"), f"{origin}/") for _ in range(REPEATS)]
    summaries = summaries[1:]  # [0] is the warm-up
    detail = _vs(*map(statistics.median, (walls["scrapy"], walls["ours"])), "s, whole processes")
    ratios = paired_ratios(walls["scrapy"], walls["ours"])
    rows = [_row(f"{profile}: end to end vs Scrapy+Images", ratios, chosen.end_to_end, detail)]
    scaling, resize = resize_rows(scratch, runs[-1], chosen.scaling)
    write = [alone("write", scratch.new("w"), "--input", str(runs[-1])) for _ in range(REPEATS)]
    costs = (crawl, write, resize)
    rows += overlap_rows(profile, chosen.lag_ms, summaries, costs, served[1:])
    items = summaries[-1].stages["resize"].items
    cpu = statistics.median(cost.cpu_s for cost in resize)
    detail = f"{cpu:.2f} CPU s / {items} images, 2 processes, start-up included"
    per_image = [cost.cpu_s / items * 1000 for cost in resize]
    rows.append(_row(f"{profile}: resize alone, CPU ms/image", per_image, None, detail))
    return rows + scaling


def overlap_rows(
    profile: str,
    lag_target: float | None,
    summaries: list[Summary],
    costs: tuple[list[Cost], list[Cost], list[Cost]],
    served: list[float],
) -> list[dict]:
    """The whole pipeline against its stages alone (repeat i of each against whole run i):
    the slowest, and the CPU floor, without and with the site's own CPU time (served); and
    the event loop's worst lag in the whole run."""
    whole = [summary.wall_s for summary in summaries]
    crawl, write, resize = costs  # each stage alone, repeat by repeat
    stages = list(zip(crawl, write, resize, strict=True))
    slowest = [max(cost.wall_s for cost in costs) for costs in stages]
    median = {
        name: statistics.median(cost.wall_s for cost in costs)
        for name, costs in (("crawl", crawl), ("write", write), ("resize", resize))
    }
    alone_s = ", ".join(f"{name} {seconds:.2f}" for name, seconds in median.items())
    detail = f"{statistics.median(whole):.2f} s whole; alone: {alone_s} s"
    rows = [_row(f"{profile}: whole vs slowest stage", paired_ratios(whole, slowest), None, detail)]
    # When the slowest stage alone already fills every core, the others' CPU time must come
    # on top: the floor is all three stages' CPU time spread over the cores.
    cpu = [sum(cost.cpu_s for cost in costs) for costs in stages]
    floor = [seconds / (os.cpu_count() or 1) for seconds in cpu]
    detail = (
        f"{statistics.median(whole):.2f} s whole; {statistics.median(cpu):.2f} CPU s alone"
        f" / {os.cpu_count()} cores"
    )
    ratios = paired_ratios(whole, floor)
    rows.append(_row(f"{profile}: whole vs CPU floor", ratios, 1.15, detail, True))
    # The site serves from the same cores: its CPU time is not the pipeline's, but during
    # the whole run those cores are not the pipeline's either.
    with_site = [seconds + site for seconds, site in zip(cpu, served, strict=True)]
    floor = [seconds / (os.cpu_count() or 1) for seconds in with_site]
    detail = f"site server: {statistics.median(served):.2f} CPU s during each whole run"
    figure = f"{profile}: whole vs floor with site CPU"
    rows.append(_row(figure, paired_ratios(whole, floor), None, detail))
    lag = [summary.loop_lag.max_ms for summary in summaries]
    p99 = statistics.median(summary.loop_lag.p99_ms for summary in summaries)
    detail = f"each run's worst; p99 {p99:.0f} ms"
    rows.append(_row(f"{profile}: loop lag max, ms", lag, lag_target, detail, True))
    return rows


def resize_rows(scratch: Scratch, run: Path, scaling: bool) -> tuple[list[dict], list[Cost]]:
    """Resize alone's costs on all cores, on run's originals; with scaling, figure 4 too."""
    originals = list(input_images(run))
    cores = os.cpu_count() or 1
    costs: dict[int, list[Cost]] = {1: [], cores: []}

    def resize(workers: int) -> float:
        args = ("--input", str(run), "--resize-workers", str(workers))
        costs[workers].append(alone("resize", scratch.new("resize"), *args))
        return costs[workers][-1].wall_s

    workers = tuple(costs) if scaling else (cores,)
    seconds = interleaved({str(count): partial(resize, count) for count in workers})
    if not scaling:
        return [], costs[cores][1:]  # [0] is the warm-up
    one, many = (len(originals) / statistics.median(seconds[key]) for key in ("1", str(cores)))
    ratios = paired_ratios(seconds["1"], seconds[str(cores)])
    detail = _vs(many, one, "images/s")
    rows = [_row(f"resize, {cores} processes vs 1", ratios, 0.85 * cores, detail)]
    large = sorted(
        {run / row["original"] for row in originals if row["original"].endswith(".jpg")},
        key=lambda path: path.stat().st_size,
    )[-20:]
    pairs = [draft_against_naive(large) for _ in range(REPEATS)]
    draft, naive = (statistics.median(pair[i] for pair in pairs) for i in (0, 1))
    detail = f"{len(large)} largest JPEGs: {naive:.2f} vs {draft:.2f} s"
    ratios = [naive / draft for draft, naive in pairs]
    rows.append(_row("draft vs decode-then-resize", ratios, None, detail))
    return rows, costs[cores][1:]  # [0] is the warm-up


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
    for conc, target in ((64, 0.95), (256, 0.9)):
        rounds = 1 + sum(math.ceil(pages / conc) for pages in levels)
        bound = sum(levels) / (rounds * LATENCY_MS / 1000)
        rate = statistics.median(rates[str(conc)])
        detail = f"{rate:.0f} of {bound:.0f} pages/s ({rounds} round trips)"
        shares = [found / bound for found in rates[str(conc)]]
        rows.append(_row(f"50 ms latency, concurrency {conc}", shares, target, detail))
    return rows


def live_rows(scratch: Scratch) -> list[dict]:
    """The live view's cost: the whole pipeline watched (`watched`) against without it."""
    cpu: dict[str, list[float]] = {"off": [], "live": []}
    shares: list[float] = []  # the live thread's share of each watched run's CPU

    def off() -> float:
        summary, _ = ours(origin, scratch.new("off"))
        cpu["off"].append(summary.cpu_s)
        return summary.wall_s

    def live() -> float:
        summary, _, live_cpu_s = watched(origin, scratch.new("live"))
        cpu["live"].append(summary.cpu_s)
        shares.append(live_cpu_s / summary.cpu_s)
        return summary.wall_s

    with site_process(SiteSpec(), ServeOptions(), CACHE) as origin:
        walls = interleaved({"off": off, "live": live}, LIVE_REPEATS)
    cpu_ratios = paired_ratios(cpu["live"][1:], cpu["off"][1:])  # [0] is the warm-up
    detail = _vs(*map(statistics.median, (walls["live"], walls["off"])), "s run")
    detail += f"; CPU x{statistics.median(cpu_ratios):.3f}"
    detail += f", the live thread {statistics.median(shares[1:]):.1%} of it"
    ratios = paired_ratios(walls["live"], walls["off"])
    return [_row("live view overhead", ratios, 1.03, detail, lower_is_better=True)]


def site_cpu() -> float:
    """CPU seconds the local site's process (site_process's child) has used so far."""
    (site,) = [child for child in multiprocessing.active_children() if child.name == "testsite"]
    times = psutil.Process(site.pid).cpu_times()
    return times.user + times.system


def startup() -> dict:
    """Figure 7: seconds for `pipeline.py --help`, median of five."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "pipeline.py"), "--help"], check=True, capture_output=True
        )
        times.append(time.perf_counter() - started)
    detail = f"median of 5: {statistics.median(times):.3f} s"
    return _row("start-up (--help), s", times, 0.3, detail, lower_is_better=True)


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
        _row("memory, 50k vs 5k pages", [load["ratio"]], load["target"], detail, True),
        _row("memory per 1,000 pages, MB", [per_1000], None, f"at {large['pages']:,} pages"),
    ]


def draft_against_naive(paths: list[Path]) -> tuple[float, float]:
    """Seconds to bring each JPEG down to 2 x 256 px: with draft (ours), and by decoding it
    whole and then resizing (the naive way)."""
    files = [path.read_bytes() for path in paths]
    started = time.perf_counter()
    for data in files:
        load_upright(data, max(DEFAULT_SIZES))
    draft = time.perf_counter() - started
    started = time.perf_counter()
    for data in files:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.thumbnail((2 * max(DEFAULT_SIZES), 2 * max(DEFAULT_SIZES)))
    return draft, time.perf_counter() - started


def _vs(a: float, b: float, unit: str) -> str:
    return f"{a:,.1f} vs {b:,.1f} {unit}"


RESULTS = {Outcome.HOLDS: "pass", Outcome.FAILS: "short", Outcome.INCONCLUSIVE: "inconclusive"}


def _row(
    figure: str,
    repeats: list[float],
    target: float | None,
    detail: str,
    lower_is_better: bool = False,
) -> dict:
    """One line of the table: a figure's median and range over its repeats, its target
    (None: reported only) and whether the repeats meet it."""
    median, low, high = spread(repeats)
    row = {"figure": figure, "value": round(median, 3), "range": [round(low, 3), round(high, 3)]}
    if target is None:
        return {**row, "target": "-", "result": "info", "detail": detail}
    bound = {"at_most": target} if lower_is_better else {"at_least": target}
    sign = "<=" if lower_is_better else ">="
    result = RESULTS[judge(repeats, **bound)]
    return {**row, "target": f"{sign} {target:.2f}", "result": result, "detail": detail}


# Each group of figures, in the order the table shows them.
FIGURES: dict[str, Callable[[Scratch], list[dict]]] = {
    "crawl": crawl_rows,
    "photos": partial(site_rows, profile="photos"),
    "docs": partial(site_rows, profile="docs"),
    "latency": latency_rows,
    "live": live_rows,
    "memory": lambda _scratch: memory_rows(),
    "startup": lambda _scratch: [startup()],
}


def main(chosen: list[str]) -> None:
    """Measure the chosen groups of figures (all: also write bench/results.json), print one
    table."""
    unknown = set(chosen) - set(FIGURES)
    if unknown:
        raise SystemExit(f"unknown figures {sorted(unknown)}: choose from {', '.join(FIGURES)}")
    (ROOT / ".cache").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / ".cache", prefix="bench-") as root:
        scratch = Scratch(Path(root))
        rows = [row for name in chosen or FIGURES for row in FIGURES[name](scratch)]
    print(f"{'figure':<38}{'value':>8}  {'range':<15}{'target':<9}{'result':<13}detail")
    for row in rows:
        low, high = row["range"]
        print(
            f"{row['figure']:<38}{row['value']:>8}  {f'{low:g}-{high:g}':<15}{row['target']:<9}"
            f"{row['result']:<13}{row['detail']}"
        )
    if chosen:
        return
    document = {"machine": machine(), "repeats": REPEATS, "rows": rows}
    (ROOT / "bench" / "results.json").write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
