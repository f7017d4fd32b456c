"""report.html for a crawl's run folder, a compare folder and a claims folder: self-contained
pages that show the timeline of every worker, the numbers, and the run's own thumbnails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from report.claims_report_html import write_claims_report
from report.compare_report_html import write_compare_report
from report.run_report import write_run_report

# Which page a folder gets, by the results file it holds.
RESULT_FILES: dict[str, Callable[[Path], Path]] = {
    "summary.json": write_run_report,
    "results.json": write_compare_report,
    "claims.json": write_claims_report,
}


def results_file(folder: Path) -> Path | None:
    """The results file of folder (summary.json, results.json or claims.json), if any."""
    return next((folder / name for name in RESULT_FILES if (folder / name).is_file()), None)


def write_report(folder: Path) -> Path:
    """Write folder's report.html, the page its results file calls for; return its path."""
    results = results_file(folder)
    if results is None:
        raise FileNotFoundError(f"{folder} holds no {', '.join(RESULT_FILES)}")
    return RESULT_FILES[results.name](folder)


__all__ = [
    "RESULT_FILES",
    "results_file",
    "write_claims_report",
    "write_compare_report",
    "write_report",
    "write_run_report",
]
