"""The commands: serve the local site, crawl (a fresh run or --resume), and compare.

Each command turns its options into plain records (RunConfig, SiteSpec, CompareRequest),
runs the pipeline, the site or compare with them, and prints what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from claims.catalogue import BY_NUMBER, threshold_table
from claims.lab import FULL, QUICK, Lab
from claims.probes import ProbeFailed
from claims.run import run_claims, write_claims
from cli.options import (
    SITE,
    check_models,
    checked_url,
    claims_options,
    compare_options,
    config_from_options,
    crawl_options,
    live_options,
    resume_options,
    run_folder,
    site_options,
    stage_options,
)
from compare.plan import CompareRequest, plan_runs, run_all
from compare.results import OutputsDiffer, finish_compare
from config import STAGES, RunConfig, resumed
from crawler.crawl import SiteUnreachable
from measure.conditions import FREE_MARGIN, CpuWindow, busy_words
from measure.interpreter import machine
from measure.progress import Progress
from models.cluster import ClusterUnreachable
from pipeline import Pipeline
from report import tables
from report.verdicts import format_claims
from runfolder.contract import ContractError, as_data, from_data
from runfolder.folders import remove_if_made
from runfolder.resume import (
    DamagedRecords,
    LocalSite,
    RunInfo,
    check_records,
    read_run_info,
    write_run_info,
)
from runfolder.summary import format_summary
from stage_alone import run_alone
from testsite.spec import ServeOptions, SiteSpec

if TYPE_CHECKING:
    from live import Live

LOGGER = logging.getLogger("cli")

ROOT = Path(__file__).resolve().parent.parent
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SITE_CACHE = ROOT / ".cache" / "site"
FREE_THREADED = ROOT / ".venv-ft" / "bin" / "python"  # made by `make freethreaded`
IDLE_LOOK_S = 0.5  # how long claims watches the machine before its experiments


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log every retry and failure.")
def cli(verbose: bool) -> None:
    """A crawler and thumbnail pipeline for measuring Python's concurrency models."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@cli.command()
@site_options
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0 = any free port).",
)
@click.option("--hostile", is_flag=True, help="Serve the hostile site instead: every trap.")
def serve(
    latency_ms: float,
    jitter_ms: float,
    error_rate: float,
    port: int,
    hostile: bool,
    **site: Any,
) -> None:
    """Serve the local test site until Ctrl-C."""
    from testsite import serve_forever

    if hostile:
        from testsite.hostile.app import serve_hostile

        serve_hostile(port, lambda url: click.echo(f"Serving the hostile site at {url}/"))
        return

    spec = _site_spec(site)
    options = ServeOptions(
        latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=error_rate, port=port
    )
    serve_forever(spec, options, SITE_CACHE, lambda url: click.echo(f"Serving {url}/"))


@cli.command()
@click.argument("url", required=False)
@crawl_options
@resume_options
@stage_options
@site_options
@live_options
def crawl(
    url: str | None,
    out: Path | None,
    quiet: bool,
    live: bool,
    live_port: int | None,
    **options: Any,
) -> None:
    """Crawl URL (default: the local test site) and thumbnail every image found."""
    check_models(options)
    if options["repair"] and options["resume"] is None:
        raise click.UsageError("--repair goes with --resume: it repairs a run folder's records")
    with _live_view(live, live_port) as watcher:
        if options["resume"] is not None:
            _resume(url, out, quiet, options, watcher)
            return
        start_url = checked_url(url) if url else None
        run_dir = run_folder(out)
        if start_url:
            _start(start_url, run_dir, quiet, options, None, watcher)
            return
        spec, serving = _site_spec(options), _serving(options)
        with _local_site(spec, serving) as (origin, site):
            _start(f"{origin}/", run_dir, quiet, options, site, watcher)


def _start(
    start_url: str,
    run_dir: Path,
    quiet: bool,
    options: dict[str, Any],
    site: LocalSite | None,
    live: Live,
) -> None:
    """Record how the run starts (for --resume), then run it."""
    config = config_from_options(start_url, run_dir, options)
    write_run_info(RunInfo(config, site))
    _run_and_report(config, quiet, live)


def _resume(
    url: str | None, out: Path | None, quiet: bool, options: dict[str, Any], live: Live
) -> None:
    """Carry on the run in --resume's folder, as run.json says it started."""
    if url or out:
        raise click.UsageError("--resume takes neither a URL nor --out: the run folder has both")
    run_dir = options["resume"]
    try:
        info = read_run_info(run_dir)
    except ContractError as exc:
        raise click.BadParameter(str(exc), param_hint="--resume") from None
    try:
        if dropped := check_records(run_dir, options["repair"]):
            click.echo(f"Repaired: {dropped} damaged record lines dropped; fetching them again.")
    except DamagedRecords as exc:
        raise click.BadParameter(str(exc), param_hint="--resume") from None
    config = resumed(info.config, config_from_options(info.config.start_url, run_dir, options))
    if info.site is None:
        _run_and_report(config, quiet, live)
        return
    # The same site on the same port, so every recorded URL still means the same thing.
    spec, serving = from_data(SiteSpec, info.site.spec), from_data(ServeOptions, info.site.serving)
    with _local_site(spec, serving):
        _run_and_report(config, quiet, live)


@contextlib.contextmanager
def _live_view(live: bool, port: int | None) -> Iterator[Live]:
    """With --live, the live view's server for the whole command: its address printed
    first, opened when there is a display. Without, a stand-in that does nothing."""
    import webbrowser

    from live import NOT_LIVE, LiveServer  # aiohttp loads slowly: only when it is wanted
    from report.__main__ import has_display

    if not live:
        if port is not None:
            raise click.UsageError("--live-port goes with --live")
        yield NOT_LIVE
        return
    try:
        server = LiveServer.start(port or 0)
    except OSError as exc:
        reason = f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}"
        raise click.BadParameter(reason, param_hint="--live-port") from None
    with server:
        click.echo(f"Live view: {server.url}")
        if has_display():
            webbrowser.open(server.url)
        yield server


@contextlib.contextmanager
def _local_site(spec: SiteSpec, serving: ServeOptions) -> Iterator[tuple[str, LocalSite]]:
    """Serve the local test site in its own process; yield its origin and what defines it
    (its port too: the one it got when serving asked for any)."""
    from testsite import site_process  # builds the site's images

    click.echo("Starting the local test site (its first start generates the images)...", err=True)
    with site_process(spec, serving, SITE_CACHE) as origin:
        served = replace(serving, port=urlsplit(origin).port)
        yield origin, LocalSite(as_data(spec), as_data(served))


def _serving(options: dict[str, Any]) -> ServeOptions:
    """How the local site misbehaves, as --latency-ms, --jitter-ms and --error-rate say."""
    return ServeOptions(
        latency_ms=options["latency_ms"],
        jitter_ms=options["jitter_ms"],
        error_rate=options["error_rate"],
    )


@cli.command()
@compare_options
def compare(
    stages: tuple[str, ...],
    models: tuple[str, ...],
    matrix: str,
    repeat: int,
    in_pipeline: bool,
    pythons: tuple[str, ...] | None,
    **options: Any,
) -> None:
    """Run each stage alone on each model over the same input (and, with --in-pipeline,
    the whole pipeline too), and compare what each cost side by side."""
    request = CompareRequest(
        stages=stages or STAGES,
        models=models,
        views=("alone", "pipeline") if in_pipeline else ("alone",),
        pythons=pythons or ("",),
        full_matrix=matrix == "full",
        repeat=repeat,
        latencies_ms=options["latencies"],
        concurrencies=options["concurrencies"],
        resize_workers=options["resize_workers"],
        write_workers=options["write_workers"],
    )
    out = run_folder(options["out"], prefix="compare-")
    spec = _site_spec(options)
    base = RunConfig("", out, sizes=options["sizes"], analysis=options["analysis"])
    plans = plan_runs(request)

    results: list[dict[str, Any]] = []
    try:
        with tqdm(total=len(plans), desc="compare runs", unit=" run", disable=None) as progress:
            run_all(plans, base, _site_opener(spec), out, progress, results)
    except RuntimeError as exc:  # one run failed: report it, keep what the others measured
        raise click.ClickException(str(exc)) from None
    finally:
        if results:
            info = {
                "request": asdict(request),
                "site": asdict(spec),
                "sizes": list(base.sizes),
                "analysis": base.analysis,
            }
            try:
                _print_compare(out, *finish_compare(out, results, info))
            except OutputsDiffer as exc:
                raise click.ClickException(str(exc)) from None
            finally:
                _write_report(out)


def _print_compare(out: Path, rows: list[dict], said: list[str], charted: bool) -> None:
    """compare's tables, its findings in words, and where its files are."""
    alone, whole = tables.alone_rows(rows), tables.pipeline_rows(rows)
    if alone:
        click.echo(
            "Each stage alone, ranked by its own time (~: not a measured difference; others: "
            f"cores other programs took while it ran, !: over {FREE_MARGIN:g}, a busy machine)"
        )
        click.echo(tables.terminal(alone, tables.alone_columns(alone)))
    if whole:
        click.echo("\nThe whole pipeline")
        click.echo(tables.terminal(whole, tables.PIPELINE))
    click.echo("\n" + "\n".join(said))
    click.echo(
        f"Results in {out}/ (results.json, results.csv"
        + (", chart.png)" if charted else "; pip install '.[plot]' for chart.png)")
    )


@cli.command()
@click.argument("stage", type=click.Choice(STAGES))
@click.argument("url", required=False)
@click.option(
    "--input",
    "input_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A finished run's folder: its originals are the write and resize stages' input.",
)
@crawl_options
@stage_options
@live_options
def stage(
    stage: str,
    url: str | None,
    input_dir: Path | None,
    out: Path | None,
    quiet: bool,
    live: bool,
    live_port: int | None,
    **options: Any,
) -> None:
    """Run one STAGE alone on one model over a fixed input (the crawl: the site at URL;
    write and resize: --input's originals) and record what it cost: compare's child runs."""
    if stage == "crawl" and not url:
        raise click.UsageError("stage crawl needs the URL of the site to crawl")
    if stage != "crawl" and input_dir is None:
        raise click.UsageError(f"stage {stage} needs --input: a finished run's folder")
    check_models(options)
    start_url = checked_url(url) if url else _start_url_of(input_dir)
    with _live_view(live, live_port) as watcher:
        config = config_from_options(start_url, run_folder(out), options)
        try:
            with _start_up_frozen():
                loop = _loop_factory(config)
                summary = run_alone(config, stage, input_dir, loop, watcher.watch)
        except (SiteUnreachable, ClusterUnreachable) as exc:
            remove_if_made(config.run_dir)
            raise click.ClickException(str(exc)) from None
        click.echo(format_summary(summary))
        watcher.finish(summary, _write_report(config.run_dir))


def _start_url_of(run_dir: Path) -> str:
    """The start URL of the finished run in run_dir."""
    try:
        return read_run_info(run_dir).config.start_url
    except ContractError as exc:
        raise click.BadParameter(str(exc), param_hint="--input") from None


@cli.command()
@claims_options
def claims(
    quick: bool,
    ids: tuple[int, ...],
    out: Path | None,
    free_threaded: Path | None,
    gil_only: bool,
    listing: bool,
    **options: Any,
) -> None:
    """Test each rule of thumb about Python concurrency on this machine: one verdict each
    (holds, holds with a caveat, fails, inconclusive, with the reason), its numbers and how
    to reproduce it."""
    sizes = QUICK if quick else FULL
    if listing:
        click.echo(threshold_table(sizes))
        return
    size = {"site_pages": sizes.site_pages, "site_images": sizes.site_images, "seed": SITE.seed}
    spec = _site_spec({**size, **{key: value for key, value in options.items() if value}})
    folder = run_folder(out, prefix="claims-")
    open_site = _site_opener(spec)
    lab = Lab(sizes, folder, open_site)
    free = free_threaded or (FREE_THREADED if FREE_THREADED.exists() else None)
    free = None if gil_only else free
    free_lab = Lab(sizes, folder / "free-threaded", open_site, str(free), lab) if free else None
    about = {**machine(), "before": _warn_if_busy()}
    try:
        findings = run_claims(lab, ids or BY_NUMBER, _measuring, free_lab)
    except (RuntimeError, ProbeFailed) as exc:
        raise click.ClickException(str(exc)) from None
    write_claims(folder, findings, about)
    click.echo(format_claims(findings, about))
    _write_report(folder)
    click.echo(f"Results in {folder}/ (claims.json, report.html)")


def _warn_if_busy() -> dict[str, float]:
    """What other programs take before the experiments start, said when it is much."""
    window = CpuWindow()
    time.sleep(IDLE_LOOK_S)
    seen = window.close()
    if busy_words(seen.taken):
        click.echo(
            f"note: {seen.explain()} before the experiments began; a check that needs two "
            "cores is judged only on rounds that had them, so expect inconclusive verdicts",
            err=True,
        )
    return seen.as_json()


def _measuring(experiment: str) -> None:
    click.echo(f"measuring: {experiment}", err=True)


def _site_opener(spec: SiteSpec) -> Callable[[float], Any]:
    """open_site(latency_ms): a context manager serving spec's site in its own process."""
    from testsite import site_process  # loads aiohttp: only when a site is wanted

    def open_site(latency_ms: float) -> Any:
        return site_process(spec, ServeOptions(latency_ms=latency_ms), SITE_CACHE)

    return open_site


def _site_spec(options: dict[str, Any]) -> SiteSpec:
    """The local site the --site-pages, --site-images, --seed and --profile options
    describe."""
    return SiteSpec(
        pages=options["site_pages"],
        images=options["site_images"],
        seed=options["seed"],
        profile=options.get("profile", SiteSpec().profile),
    )


def _run_and_report(config: RunConfig, quiet: bool, live: Live) -> None:
    """Run the pipeline with progress bars (and live, if watched), then print the summary
    and where results are."""
    progress = Progress(enabled=not quiet)
    pipeline = Pipeline(config, progress)
    # Installed for the whole command, not just while the loop runs: a second Ctrl-C while
    # the summary is printed must still quit cleanly. SIGTERM (docker stop, systemd, CI
    # runners) is a first Ctrl-C.
    previous = {sig: signal.signal(sig, pipeline.on_signal) for sig in STOP_SIGNALS}
    try:
        with (
            logging_redirect_tqdm(),
            _start_up_frozen(),
            asyncio.Runner(loop_factory=_loop_factory(config)) as runner,
        ):
            live.watch(pipeline, runner.get_loop())
            summary = runner.run(pipeline.run())
    except (SiteUnreachable, ClusterUnreachable) as exc:
        remove_if_made(config.run_dir)
        raise click.ClickException(str(exc)) from None
    except ExceptionGroup as group:  # a stage died; a full disk under the record files is
        failed_write = group.subgroup(OSError)  # the one cause we can name in one line
        if failed_write is None:
            raise
        reason = _first_leaf(failed_write)
        raise click.ClickException(f"cannot write to the run folder: {reason}") from None
    finally:
        progress.close()
        if not pipeline.interrupted:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    click.echo(format_summary(summary))
    live.finish(summary, _write_report(config.run_dir))
    click.echo(f"Results in {config.run_dir}/")
    if summary.stopped_by:
        raise click.ClickException(summary.stopped_by)
    if summary.interrupted:
        # Everything is written; leave before interpreter shutdown, which resets signal
        # handlers and would let another Ctrl-C kill us mid-exit.
        sys.stdout.flush()
        logging.shutdown()
        os._exit(128 + pipeline.stop_signal)


def _write_report(folder: Path) -> Path | None:
    """Write folder's report.html and return its path; a failure costs the report (None),
    never the run's results."""
    from report import write_report  # only when a run is done

    try:
        report = write_report(folder)
    except OSError as exc:
        LOGGER.warning("report.html not written: %s", exc)
        return None
    click.echo(f"Report: {report}")
    return report


def _first_leaf(group: BaseException) -> BaseException:
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group


@contextlib.contextmanager
def _start_up_frozen() -> Iterator[None]:
    """Keep the garbage collector off the objects that exist before the run (modules,
    classes, the configuration) until it ends."""
    # They live as long as the run, yet each full collection walked them all: a 16-20 ms
    # pause of the event loop, the longest of a docs crawl after its large pages.
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _loop_factory(config: RunConfig) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop to run on: the standard one, or uvloop's (libuv, written in Cython)."""
    if config.loop != "uvloop":
        return None
    try:
        import uvloop  # optional: pip install uvloop (the bench extra has it)
    except ImportError:
        raise click.UsageError("--loop uvloop needs uvloop: pip install uvloop") from None
    return uvloop.new_event_loop


def main() -> None:
    """Run the command line."""
    cli()
