"""claims' report.html: each rule of thumb with its verdict, its checks (repeats, median,
threshold), the command that reproduces it, the chart, and claim 8's two crawls on one time
axis (awaiting one fetch at a time against N tasks at once).

Data flow of write_claims_report(folder): claims.json has the machine and every finding;
claims.png is the chart; claim 8's evidence names its two median runs, whose folders hold
their timelines (read as the compare page reads them, and drawn by the same script).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from claims.chart import CHART_FILE
from claims.run import CLAIMS_FILE
from report.compare_report_html import timelines_section
from report.page import esc, fmt, local_href, page, read_json, write_page
from report.run_report import REPORT_FILE
from report.timeline import COMPARE_RESOLUTION, read_timeline

VERDICT_CLASS = {"holds": "good", "holds with a caveat": "warn", "fails": "bad"}


def write_claims_report(folder: Path) -> Path:
    """Write folder/report.html from claims.json; return its path."""
    folder = Path(folder)
    document = read_json(folder / CLAIMS_FILE)
    findings = [item for item in document.get("claims") or [] if isinstance(item, dict)]
    runs = _claim_8_runs(folder, findings)
    body = "\n".join(
        [
            _header(document, findings),
            _verdicts(findings),
            _chart(folder),
            timelines_section(bool(runs), "Claim 8: awaiting one at a time, against N tasks"),
        ]
    )
    data = {"compare": {"runs": runs, "pair": [0, 1]}} if runs else {}
    return write_page(folder / REPORT_FILE, page("claims report", body, data))


def _header(document: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    machine = document.get("machine") if isinstance(document.get("machine"), dict) else {}
    seen = findings[0].get("evidence", {}) if findings else {}
    gil = {True: "GIL on", False: "GIL off"}.get(seen.get("gil_enabled"), "")
    quick = (
        " · quick: smaller inputs, verdicts less sure"
        if findings and findings[0].get("quick")
        else ""
    )
    facts = [f"{machine.get('cores')} cores", f"Python {seen.get('python', '?')}", gil]
    return (
        f"<header><h1>The rules of thumb, tested here: {len(findings)} claims</h1>"
        f'<p class="sub">{esc(" · ".join(fact for fact in facts if fact) + quick)}</p></header>'
    )


def _verdicts(findings: list[dict[str, Any]]) -> str:
    cards = "".join(_verdict_card(finding) for finding in findings)
    return (
        f'<section id="verdicts"><h2>Verdicts</h2>{cards}'
        '<p class="note">Each check: the median over the repeats, the range from the lowest to '
        "the highest repeat, and the threshold it must reach or stay under. A check whose "
        "repeats fall on both sides of its threshold is inconclusive: noise is not a finding. "
        "Each claim's command runs its experiments again.</p></section>"
    )


def _verdict_card(finding: dict[str, Any]) -> str:
    verdict = str(finding.get("verdict", ""))
    checks = "".join(
        f"<li>{esc(_check_text(check))}</li>"
        for check in finding.get("evidence", {}).get("checks", [])
        if isinstance(check, dict)
    )
    caveats = (finding.get("because") or []) if verdict == "holds with a caveat" else []
    notes = [*(f"Caveat: {caveat}" for caveat in caveats), *(finding.get("untested") or [])]
    said = "".join(f'<p class="note">{esc(str(note))}</p>' for note in notes)
    return (
        f'<article class="claim" id="claim-{esc(finding.get("id", ""))}">'
        f"<h3>{esc(finding.get('id', ''))}. {esc(finding.get('claim', ''))}</h3>"
        f'<p class="verdict {VERDICT_CLASS.get(verdict, "")}">{esc(verdict)}</p>'
        f"<ul>{checks}</ul>{said}<p><code>{esc(finding.get('command', ''))}</code></p>"
        "</article>"
    )


def _check_text(check: dict[str, Any]) -> str:
    values = [value for value in check.get("values", []) if isinstance(value, int | float)]
    bound = (
        f"at least {check['at_least']}"
        if "at_least" in check
        else f"at most {check.get('at_most')}"
    )
    span = f"{fmt(min(values))}-{fmt(max(values))}" if values else ""
    return (
        f"{check.get('name')}: {fmt(check.get('median'))} ({span}; {bound}): {check.get('outcome')}"
    )


def _chart(folder: Path) -> str:
    href = local_href(folder, CHART_FILE)
    image = (
        f'<img class="chart" src="{esc(href)}" alt="each claim\'s checks against thresholds">'
        if href
        else "<p>No chart (matplotlib is the optional plot extra).</p>"
    )
    return f'<section id="charts"><h2>Chart</h2><p>{image}</p></section>'


def _claim_8_runs(folder: Path, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The two crawls of claim 8, with their timelines, if their folders are still here."""
    found = next((f for f in findings if f.get("id") == 8), None)
    chosen = (found or {}).get("evidence", {}).get("runs") or {}
    runs = []
    for name, run in chosen.items():
        run_dir = folder / "runs" / Path(str(run.get("run_dir", ""))).name
        summary = read_json(run_dir / "summary.json")
        timeline = read_timeline(run_dir, summary, COMPARE_RESOLUTION) if summary else None
        if timeline is None:
            return []
        wall = fmt(summary.get("wall_s"), 2)
        label = f"asyncio crawl, {name}: {wall} s, at most {fmt(run.get('in_flight'), 0)} in flight"
        runs.append({"key": run_dir.name, "label": label, "timeline": timeline})
    return runs if len(runs) == 2 else []
