"""`python -m report [OUTPUT]`: print the newest run's report.html; open it if there is a display.

The newest run is the folder under OUTPUT (default output/) whose summary.json (a crawl),
results.json (a compare) or claims.json (claims) was written last. A run made before
reports existed, or whose report is older than its results, gets its report written first.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from pathlib import Path

import click

from report import RESULT_FILES, results_file, write_report
from report.run_report import REPORT_FILE
from runfolder.contract import ContractError


def newest_run(output: Path) -> Path | None:
    """The run folder under output whose results were written last, or None."""
    results = [path for name in RESULT_FILES for path in output.glob(f"*/{name}")]
    if not results:
        return None
    return max(results, key=lambda path: path.stat().st_mtime).parent


def ensure_report(run: Path) -> Path:
    """run's report.html, written now if it is missing or older than the run's results."""
    report = run / REPORT_FILE
    results = results_file(run)
    if results and (not report.is_file() or report.stat().st_mtime < results.stat().st_mtime):
        write_report(run)
    return report


def has_display() -> bool:
    """Whether a browser window can open here (not over ssh without X, not in CI)."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def main(argv: list[str]) -> int:
    """Print the newest report's path; open it when there is a display."""
    output = Path(argv[0]) if argv else Path("output")
    run = newest_run(output)
    if run is None:
        click.echo(f"no runs under {output}/ yet: run `make crawl` first", err=True)
        return 1
    try:
        report = ensure_report(run).resolve()
    except ContractError as exc:  # a folder another version of this project wrote
        click.echo(f"cannot make {run}/{REPORT_FILE}: {exc}", err=True)
        return 1
    click.echo(report)
    if has_display():
        webbrowser.open(report.as_uri())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
