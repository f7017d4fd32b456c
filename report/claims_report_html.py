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
from claims.run import ClaimsFile, Finding, Side, read_claims
from claims.verdict import Verdict
from report.compare_report_html import timelines_section
from report.page import esc, fmt, local_href, page, write_page
from report.run_report import REPORT_FILE
from report.timeline import COMPARE_RESOLUTION, read_timeline
from report.verdicts import describe
from runfolder.summary import SUMMARY_FILE, read_summary

VERDICT_CLASS = {"holds": "good", "holds with a caveat": "warn", "fails": "bad"}


def write_claims_report(folder: Path) -> Path:
    """Write folder/report.html from claims.json; return its path."""
    folder = Path(folder)
    document = read_claims(folder)
    findings = document.claims
    runs = _claim_8_runs(folder, findings)
    body = "\n".join(
        [
            _header(document),
            _verdicts(findings),
            _chart(folder),
            timelines_section(bool(runs), "Claim 8: awaiting one at a time, against N tasks"),
        ]
    )
    data = {"compare": {"runs": runs, "pair": [0, 1]}} if runs else {}
    return write_page(folder / REPORT_FILE, page("claims report", body, data))


def _header(document: ClaimsFile) -> str:
    findings = document.claims
    sides = [findings[0].here] if findings else []
    sides += [f.without_gil for f in findings if f.without_gil][:1]
    quick = " · quick: smaller inputs, verdicts less sure" if findings and findings[0].quick else ""
    facts = [f"{document.machine['cores']} cores", *(f"{_interpreter(side)}" for side in sides)]
    return (
        f"<header><h1>The rules of thumb, tested here: {len(findings)} claims</h1>"
        f'<p class="sub">{esc(" · ".join(facts) + quick)}</p></header>'
    )


def _verdicts(findings: tuple[Finding, ...]) -> str:
    cards = "".join(_verdict_card(finding) for finding in findings)
    return (
        f'<section id="verdicts"><h2>Verdicts</h2>{cards}'
        '<p class="note">Each check: the median over the repeats, the range from the lowest to '
        "the highest repeat, and the threshold it must reach or stay under. A check whose "
        "repeats fall on both sides of its threshold is inconclusive: noise is not a finding. "
        "Each claim's command runs its experiments again.</p></section>"
    )


def _verdict_card(finding: Finding) -> str:
    sides = [_side(finding.here)]
    if finding.without_gil:
        sides.append(_side(finding.without_gil))
    notes = "".join(f'<p class="note">{esc(note)}</p>' for note in finding.untested)
    return (
        f'<article class="claim" id="claim-{finding.id}">'
        f"<h3>{finding.id}. {esc(finding.claim)}</h3>"
        f'<p class="note">Taught by: {esc(finding.source)}</p>'
        f'<div class="sides">{"".join(sides)}</div>{notes}'
        f"<p><code>{esc(finding.command)}</code></p></article>"
    )


def _interpreter(side: Side) -> str:
    """'Python 3.11.7, GIL on'."""
    return f"Python {side.python}, GIL {'on' if side.gil_enabled else 'off'}"


def _side(side: Side) -> str:
    """One interpreter's verdict with its checks and the reasons beside them."""
    items = "".join(
        f"<li>{esc(describe(check))}"
        + (f'<br><span class="note">because {esc(check.reason)}</span>' if check.reason else "")
        + "</li>"
        for check in side.checks
    )
    caveats = side.because if side.verdict == Verdict.CAVEAT else ()
    said = "".join(f'<p class="note">Caveat: {esc(caveat)}</p>' for caveat in caveats)
    return (
        f'<div class="gil-side"><h4>{esc(_interpreter(side))}</h4>'
        f'<p class="verdict {VERDICT_CLASS.get(side.verdict, "")}">{esc(side.verdict)}</p>'
        f"<ul>{items}</ul>{said}</div>"
    )


def _chart(folder: Path) -> str:
    href = local_href(folder, CHART_FILE)
    image = (
        f'<img class="chart" src="{esc(href)}" alt="each claim\'s checks against thresholds">'
        if href
        else "<p>No chart (matplotlib is the optional plot extra).</p>"
    )
    return f'<section id="charts"><h2>Chart</h2><p>{image}</p></section>'


def _claim_8_runs(folder: Path, findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    """The two crawls of claim 8, with their timelines, if their folders are still here."""
    found = next((f for f in findings if f.id == 8), None)
    chosen = (found.here.runs if found else None) or {}
    runs = []
    for name, run in chosen.items():
        run_dir = folder / "runs" / Path(run.run_dir).name
        if not (run_dir / SUMMARY_FILE).is_file():
            return []
        summary = read_summary(run_dir)
        timeline = read_timeline(run_dir, summary, COMPARE_RESOLUTION)
        if timeline is None:
            return []
        wall = fmt(summary.wall_s, 2)
        label = f"asyncio crawl, {name}: {wall} s, at most {run.in_flight} in flight"
        runs.append({"key": run_dir.name, "label": label, "timeline": timeline})
    return runs if len(runs) == 2 else []
