"""compare's outputs: the terminal table, results.json, results.csv, and the machine."""

from __future__ import annotations

import csv
import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import click

from compare.chart import plot
from compare.plan import aggregate

LIBRARIES = ("aiohttp", "requests", "pillow", "click", "tqdm", "psutil")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    gil_check = getattr(sys, "_is_gil_enabled", None)
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil_enabled": gil_check() if gil_check else True,
        "platform": platform.platform(),
        "libraries": {name: _version(name) for name in LIBRARIES},
    }


def write_results(
    out: Path, rows: list[dict[str, Any]], runs: list[dict[str, Any]], request: dict[str, Any]
) -> None:
    """Write results.json (everything) and results.csv (one row per configuration)."""
    document = {"machine": machine(), "request": request, "rows": rows, "runs": runs}
    (out / "results.json").write_text(json.dumps(document, indent=2))
    with (out / "results.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def format_table(rows: list[dict[str, Any]]) -> str:
    """The side-by-side table printed at the end of compare."""
    header = (
        f"{'crawl':<11}{'write':<11}{'resize':<11}{'lat':>5}{'conc':>5}{'rw':>3}"
        f"{'wall s':>8}{'min-max':>12}{'fetch/s':>9}{'img/s':>7}{'cpu s':>7}"
        f"{'cores':>6}{'peak MB':>8}{'lag max':>8}{'p99':>6}  same"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['crawl']:<11}{row['write']:<11}{row['resize']:<11}"
            f"{row['latency_ms']:>5g}{row['concurrency']:>5}{row['resize_workers']:>3}"
            f"{row['wall_s']:>8.2f}{row['wall_min_s']:>6.2f}-{row['wall_max_s']:<5.2f}"
            f"{row['crawl_per_s']:>9.0f}{row['resize_per_s']:>7.0f}{row['cpu_s']:>7.2f}"
            f"{row['cores_used']:>6.2f}{row['peak_rss_mb']:>8.0f}{row['lag_max_ms']:>8.0f}"
            f"{row['lag_p99_ms']:>6.0f}  {'yes' if row['digest_ok'] else 'NO'}"
        )
    return "\n".join(lines)


def report_compare(out: Path, results: list[dict[str, Any]], request: dict[str, Any]) -> None:
    """Print the table, write the files and the chart; a digest mismatch is an error."""
    rows = aggregate(results)
    write_results(out, rows, results, request)
    click.echo(format_table(rows))
    charted = plot(rows, out / "chart.png")
    click.echo(
        f"Results in {out}/ (results.json, results.csv"
        + (", chart.png)" if charted else "; pip install '.[plot]' for chart.png)")
    )
    if not all(row["digest_ok"] for row in rows):
        raise click.ClickException("the runs did not all produce the same outputs (digest)")


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
