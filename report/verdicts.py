"""claims' verdicts in words, for the terminal and report.html: each claim with its checks,
the reasons beside the inconclusive ones, and the command that reproduces it."""

from __future__ import annotations

import platform
from typing import Any

from claims.run import Finding
from claims.verdict import Check, Verdict


def format_claims(findings: list[Finding], machine: dict[str, Any]) -> str:
    """The verdicts in words, each with its numbers and the command that reproduces it."""
    first = findings[0].here if findings else None
    python = first.python if first else platform.python_version()
    gil = "GIL on" if first is None or first.gil_enabled else "GIL off"
    quick = "; quick: smaller inputs, verdicts less sure" if findings and findings[0].quick else ""
    lines = [
        f"The rules of thumb on this machine: {machine.get('cores')} cores, "
        f"Python {python} ({gil}){quick}",
        "",
    ]
    for finding in findings:
        lines.append(f"{finding.id:>2}  {finding.here.verdict.upper():<20}{finding.claim}")
        lines += _check_lines(finding.here.checks, "    ")
        if finding.here.verdict == Verdict.CAVEAT:
            lines.append(f"    caveat: {'; '.join(finding.here.because)}")
        lines += [f"    {note}" for note in finding.untested]
        if found := finding.without_gil:
            lines.append(f"    without the GIL (Python {found.python}): {found.verdict.upper()}")
            lines += _check_lines(found.checks, "      ")
        lines.append(f"    reproduce: {finding.command}")
        lines.append("")
    return "\n".join(lines).rstrip()


def _check_lines(checks: tuple[Check, ...], indent: str) -> list[str]:
    """Each check in words, with the reason beneath one that is inconclusive."""
    lines = []
    for check in checks:
        lines.append(f"{indent}{describe(check)}")
        if check.reason:
            lines.append(f"{indent}  because {check.reason}")
    return lines


def describe(check: Check) -> str:
    """'name: 1.84x (1.81-1.90 over 3; at least 1.6x) holds', with the repeats set aside."""
    unit, values = check.unit, check.values
    if not values:
        return f"{check.name}: no repeat judged ({check.threshold}) {check.outcome}"
    extra = f", the middle {len(values) - check.outliers} judged" if check.outliers else ""
    extra += f", {len(check.set_aside)} set aside" if check.set_aside else ""
    return (
        f"{check.name}: {check.median:.2f}{unit} ({min(values):.2f}-{max(values):.2f} "
        f"over {len(values)}{extra}; {check.threshold}) {check.outcome}"
    )
