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


def write_report(folder: Path) -> Path:
    """Write folder's report.html, the page its results file calls for; return its path."""
    for name, write in RESULT_FILES.items():
        if (folder / name).is_file():
            return write(folder)
    raise FileNotFoundError(f"{folder} holds no {', '.join(RESULT_FILES)}")


__all__ = [
    "RESULT_FILES",
    "write_claims_report",
    "write_compare_report",
    "write_report",
    "write_run_report",
]
