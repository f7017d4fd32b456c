"""compare's report.html: the chart, the table, every run side by side, and the timelines of
two chosen configurations one above the other on one time axis.

Data flow of write_compare_report(compare_dir):
1. results.json has every run and the medians per configuration (compare.results).
2. Each configuration is represented by its median run (by wall time): that run's folder
   (runs/<index>-<models>-r<repeat>/) gives its timeline, read at a coarser grid than a run's
   own report so that many runs fit in one page; its own report.html has the full detail.
3. The default pair for the timelines is the two configurations that differ in one stage's
   model, threads against processes for resize first (see default_pair); ?a=<run>&b=<run>
   in the URL, or the two pickers, choose others.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compare.ranking import GAP_MARKS
from compare.results import RESULTS_FILE, CompareFile, read_results
from config import STAGES
from measure.conditions import FREE_MARGIN
from report import tables
from report.page import (
    esc,
    fmt,
    legend,
    local_href,
    number,
    page,
    stage_names,
    write_page,
)
from report.run_report import REPORT_FILE
from report.timeline import COMPARE_RESOLUTION, read_timeline
from runfolder.summary import SUMMARY_FILE, read_summary

KNOBS = ("view", "stage", *STAGES, "latency_ms", "concurrency", "resize_workers", "write_workers")
# The comparisons the rules of thumb are about, most telling first: the GIL on CPU work,
# then slow I/O on one thread against many, then copying bytes to processes.
PREFERRED = (
    ("resize", {"threads", "processes"}),
    ("crawl", {"asyncio", "threads"}),
    ("write", {"threads", "processes"}),
)


@dataclass(frozen=True)
class Configuration:
    """One row of the table and the run that stands for it."""

    row: dict[str, Any]
    run: dict[str, Any]
    folder: Path | None


def write_compare_report(compare_dir: Path) -> Path:
    """Write compare_dir/report.html from results.json and the runs' folders; return its path."""
    compare_dir = Path(compare_dir)
    # A compare stopped before its first run has no results.json: the page says so.
    results = read_results(compare_dir) if (compare_dir / RESULTS_FILE).exists() else None
    runs = list(results.runs) if results else []
    folders = [_run_folder(compare_dir, run) for run in runs]
    rows = list(results.rows) if results else []
    configurations = _configurations(rows, runs, folders)
    body = "\n".join(
        [
            _header(results, rows, runs),
            _findings(results),
            _charts(compare_dir),
            timelines_section(bool(configurations)),
            _table(compare_dir, configurations),
            _side_by_side(compare_dir, runs, folders),
        ]
    )
    data = {"compare": _compare_data(configurations)}
    return write_page(compare_dir / REPORT_FILE, page("compare report", body, data))


def _run_folder(compare_dir: Path, run: dict[str, Any]) -> Path | None:
    """The run's folder, as results.json names it (by its name only: the compare folder
    may have moved), if it holds a summary."""
    if not isinstance(run.get("run_dir"), str):
        return None
    folder = compare_dir / "runs" / Path(run["run_dir"]).name
    return folder if (folder / SUMMARY_FILE).is_file() else None


def _configurations(
    rows: list[dict[str, Any]], runs: list[dict[str, Any]], folders: list[Path | None]
) -> list[Configuration]:
    """Each table row with its median run (by the pipeline's wall time)."""
    configurations = []
    for row in rows:
        members = [
            (run, folder)
            for run, folder in zip(runs, folders, strict=True)
            if run.get("label") == row.get("label")
        ]
        if not members:
            continue
        members.sort(key=lambda member: number(member[0].get("wall_s")))
        run, folder = members[(len(members) - 1) // 2]
        configurations.append(Configuration(row, run, folder))
    return configurations


def default_pair(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Indexes of the two configurations whose timelines to show one above the other.

    Pairs that differ in one knob only (everything else equal) come first; among those the
    PREFERRED model pairs, then a stage alone before the whole pipeline (where the stage's
    model shows least diluted; and the choice must not hang on timing), then the pair whose
    wall times differ the most.
    """
    if len(rows) < 2:
        return 0, 0
    best: tuple[tuple[float, ...], tuple[int, int]] | None = None
    for i, j in itertools.combinations(range(len(rows)), 2):
        differ = [knob for knob in KNOBS if rows[i].get(knob) != rows[j].get(knob)]
        if len(differ) != 1:
            continue
        values = {rows[i].get(differ[0]), rows[j].get(differ[0])}
        walls = sorted(max(number(rows[k].get("wall_s")), 1e-9) for k in (i, j))
        alone = rows[i].get("view") == "alone"
        score = (_preference(differ[0], values), alone, walls[1] / walls[0])
        if best is None or score > best[0]:
            best = (score, (i, j))
    return best[1] if best else (0, 1)


def _preference(knob: str, values: set[Any]) -> int:
    """How telling a comparison of values of knob is: PREFERRED's first is the highest."""
    for rank, (stage, models) in enumerate(PREFERRED):
        if knob == stage and values == models:
            return len(PREFERRED) - rank
    return 0


def _compare_data(configurations: list[Configuration]) -> dict[str, Any]:
    """What the page's script needs: each configuration's timeline and the default pair."""
    runs = []
    for configuration in configurations:
        folder = configuration.folder
        timeline = (
            read_timeline(folder, read_summary(folder), COMPARE_RESOLUTION) if folder else None
        )
        runs.append(
            {
                "key": folder.name if folder else str(configuration.row.get("label")),
                "label": _label(configuration),
                "timeline": timeline,
            }
        )
    return {"runs": runs, "pair": list(default_pair([c.row for c in configurations]))}


def _label(configuration: Configuration) -> str:
    row = configuration.row
    runs = int(number(row.get("runs"), 1))
    wall = number(configuration.run.get("wall_s"))
    median = f" (the median run of {runs})" if runs > 1 else ""
    return f"{row.get('label')}: {wall:.2f} s{median}"


def _header(
    results: CompareFile | None, rows: list[dict[str, Any]], runs: list[dict[str, Any]]
) -> str:
    machine = results.machine if results else {}
    gil = {True: "GIL on", False: "GIL off"}.get(machine.get("gil_enabled"), "")
    facts = [
        f"{machine.get('cores')} cores" if machine.get("cores") else "",
        f"Python {machine.get('python')}" if machine.get("python") else "",
        gil,
        str(machine.get("platform") or ""),
    ]
    request = results.request if results else {}
    site = request.get("site") if isinstance(request.get("site"), dict) else {}
    site_text = (
        f" · site: {site.get('pages')} pages, {site.get('images')} images, seed {site.get('seed')}"
        if site
        else ""
    )
    mismatch = [row for row in rows if row.get("digest_ok") is False]
    banner = (
        '<p class="banner bad">Some runs did not produce the same outputs (digest): see '
        "the same column.</p>"
        if mismatch
        else ""
    )
    if not results:
        banner += '<p class="banner bad">No results.json: compare did not finish a run.</p>'
    return (
        f"<header><h1>compare: {len(rows)} configurations, {len(runs)} runs</h1>"
        f'<p class="sub">{esc(" · ".join(fact for fact in facts if fact))}{esc(site_text)}</p>'
        f"{banner}</header>"
    )


def _charts(compare_dir: Path) -> str:
    charts = sorted(
        compare_dir.glob("*.png"), key=lambda path: (path.name != "chart.png", path.name)
    )
    images = "".join(
        f'<p><img class="chart" src="{esc(href)}" alt="{esc(path.stem)}"></p>'
        for path in charts
        if (href := local_href(compare_dir, path.name))
    )
    if not images:
        images = "<p>No chart (matplotlib is the optional plot extra).</p>"
    return f'<section id="charts"><h2>Chart</h2>{images}</section>'


def timelines_section(show: bool, title: str = "Two runs, one time axis") -> str:
    """Two pickers and two timelines one above the other, drawn by the page's script from
    the embedded compare data (empty when show is false)."""
    if not show:
        return ""
    return (
        f'<section id="timelines"><h2>{esc(title)}</h2>'
        '<div class="pickers"><label>A <select id="pick-a"></select></label>'
        '<label>B <select id="pick-b"></select></label></div>'
        f'<div class="tl-tools">{legend()}<button type="button" data-reset="compare">zoom out'
        "</button></div>"
        '<div class="tl-title" id="title-a"></div><div class="timeline" id="timeline-a"></div>'
        '<div class="tl-title" id="title-b"></div><div class="timeline" id="timeline-b"></div>'
        '<p class="note">Each configuration is shown by its median run. Both timelines share '
        "the time axis, so the longer run is the wider one; the choice is kept in the URL "
        "(?a=...&amp;b=...).</p></section>"
    )


def _table(compare_dir: Path, configurations: list[Configuration]) -> str:
    if not configurations:
        return '<section id="table"><h2>Configurations</h2><p>No runs.</p></section>'
    alone = [c for c in configurations if c.row.get("view") == "alone"]
    whole = [c for c in configurations if c.row.get("view") != "alone"]
    parts = []
    if alone:
        title = "Each stage alone, ranked by its own time (medians)"
        columns = tables.alone_columns([c.row for c in alone])
        parts.append(_table_of(compare_dir, alone, columns, title))
    if whole:
        parts.append(_table_of(compare_dir, whole, tables.PIPELINE, "The whole pipeline (medians)"))
    return (
        f'<section id="table">{"".join(parts)}<p class="note">Also in '
        '<a href="results.csv">results.csv</a> and <a href="results.json">results.json</a>; '
        "the fastest of each group is in bold; ~ after vs best: the repeats overlap the "
        f"fastest's, so the gap is not a measured difference; =: {GAP_MARKS['fails'][1]} on "
        "every repeat; others: the cores other programs took while the busiest repeat ran, "
        f"marked ! when over {FREE_MARGIN:g} (a ranking measured on a busy machine may not "
        "hold on a quiet one).</p></section>"
    )


def _table_of(
    compare_dir: Path,
    configurations: list[Configuration],
    columns: tuple[tables.Column, ...],
    title: str,
) -> str:
    heads = "".join(f"<th>{esc(column.label)}</th>" for column in columns)
    lines = []
    for configuration in configurations:
        row = configuration.row
        cells = "".join(_cell(column, row) for column in columns)
        best = ' class="best"' if _is_fastest(row, configurations) else ""
        lines.append(
            f"<tr{best}>{cells}<td>{row['runs']}</td>"
            f"{_report_cell(compare_dir, configuration.folder)}</tr>"
        )
    return (
        f'<h2>{esc(title)}</h2><div class="scroll"><table>'
        f'<tr>{heads}<th>runs</th><th class="text">median run</th></tr>{"".join(lines)}'
        "</table></div>"
    )


def _is_fastest(row: dict[str, Any], configurations: list[Configuration]) -> bool:
    """Fastest of the rows it competes with: the same stage alone at the same knobs on the
    same interpreter (as compare.ranking groups them), or every whole run."""
    key = ("stage", "knobs", "python")
    rivals = [
        number(c.row.get("wall_s"), float("inf"))
        for c in configurations
        if all(c.row.get(name) == row.get(name) for name in key)
    ]
    return number(row.get("wall_s"), -1) == min(rivals, default=-1)


def _findings(results: CompareFile | None) -> str:
    said = results.findings if results else ()
    if not said:
        return ""
    items = "".join(f"<li>{esc(text)}</li>" for text in said)
    return f'<section id="findings"><h2>What it says</h2><ul>{items}</ul></section>'


def _cell(column: tables.Column, row: dict[str, Any]) -> str:
    """One cell as the terminal shows it; words left-aligned, a differing digest in red."""
    text = column.cell(row).strip()
    if column.label == "same":
        return f'<td class="{"good" if row["digest_ok"] else "bad"}">{esc(text)}</td>'
    return f'<td class="text">{esc(text)}</td>' if column.words else f"<td>{esc(text)}</td>"


def _report_cell(compare_dir: Path, folder: Path | None) -> str:
    """A link to the run's own report, named like its column in the side-by-side table."""
    href = local_href(compare_dir, f"runs/{folder.name}/{REPORT_FILE}") if folder else None
    if href is None or folder is None:
        return "<td></td>"
    index = folder.name.split("-", 1)[0]
    name = f"#{int(index)}" if index.isdigit() else folder.name
    return f'<td class="text"><a href="{esc(href)}" title="{esc(folder.name)}">{esc(name)}</a></td>'


SIDE_ROWS = (
    ("wall s", lambda run: fmt(run.get("wall_s"), 3)),
    ("process wall s", lambda run: fmt(run.get("process_wall_s"), 3)),
    ("cpu s", lambda run: fmt(run.get("cpu_s"), 2)),
    ("cores", lambda run: fmt(run.get("cores_used"), 2)),
    ("peak MB", lambda run: fmt(run.get("peak_rss_mb"), 0)),
    ("lag max ms", lambda run: fmt(_get(run, "loop_lag", "max_ms"), 0)),
    ("lag p99 ms", lambda run: fmt(_get(run, "loop_lag", "p99_ms"), 0)),
    ("pages", lambda run: fmt(_get(run, "counts", "pages"))),
    ("images", lambda run: fmt(_get(run, "counts", "images"))),
    ("thumbnails", lambda run: fmt(_get(run, "counts", "thumbnails"))),
)


def _get(run: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        run = run.get(key) if isinstance(run, dict) else None
    return run


def _side_by_side(compare_dir: Path, runs: list[dict[str, Any]], folders: list[Path | None]) -> str:
    """Every run as a column: its models and costs, stage by stage."""
    if not runs:
        return ""
    reference = runs[0].get("digest")
    lines = [
        _side_line("run", [f"#{index} r{run.get('repeat', 0)}" for index, run in enumerate(runs)])
    ]
    for stage in stage_names(runs[0].get("stages") or {}):
        lines.append(
            _side_line(f"{stage} model", [_stage_model(run, stage) for run in runs], stage)
        )
        lines.append(
            _side_line(
                f"{stage} items/s", [fmt(_get(run, "stages", stage, "per_s"), 1) for run in runs]
            )
        )
        lines.append(
            _side_line(
                f"{stage} busy s", [fmt(_get(run, "stages", stage, "busy_s"), 3) for run in runs]
            )
        )
    lines += [_side_line(name, [value(run) for run in runs]) for name, value in SIDE_ROWS]
    same = ["yes" if run.get("digest") == reference else "NO" for run in runs]
    lines.append(_side_line("same outputs", same))
    links = "".join(f"<td>{_run_link(compare_dir, folder)}</td>" for folder in folders)
    lines.append(f"<tr><td>report</td>{links}</tr>")
    return (
        '<section id="runs"><h2>Every run, side by side</h2><div class="scroll">'
        f'<table class="side">{"".join(lines)}</table></div></section>'
    )


def _stage_model(run: dict[str, Any], stage: str) -> str:
    model = _get(run, "stages", stage, "model") or _get(run, "plan", stage) or ""
    workers = _get(run, "stages", stage, "workers")
    return f"{model}, {workers}" if workers else str(model)


def _side_line(name: str, values: list[str], stage: str | None = None) -> str:
    dot = f'<i class="stage-dot {esc(stage)}"></i>' if stage else ""
    cells = "".join(f"<td>{esc(value)}</td>" for value in values)
    return f"<tr><td>{dot}{esc(name)}</td>{cells}</tr>"


def _run_link(compare_dir: Path, folder: Path | None) -> str:
    href = local_href(compare_dir, f"runs/{folder.name}/{REPORT_FILE}") if folder else None
    return f'<a href="{esc(href)}">open</a>' if href else ""
