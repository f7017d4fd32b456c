"""claims: the verdict logic on made-up measurements, then a real quick run of every claim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from claims.catalogue import CLAIMS, QUESTIONS
from claims.lab import QUICK
from claims.rules import RULES
from claims.verdict import Check, Verdict, decide
from cli import cli
from cli.commands import FREE_THREADED
from measure.verdict import Outcome


def test_every_claim_has_a_rule_and_a_question() -> None:
    assert set(CLAIMS) == set(RULES) == set(QUESTIONS) == set(range(1, 11))


@pytest.mark.parametrize(
    ("values", "bound", "outcome"),
    [
        ((1.7, 1.8, 1.9), {"at_least": 1.6}, Outcome.HOLDS),
        ((1.0, 1.1, 1.2), {"at_least": 1.6}, Outcome.FAILS),
        ((1.5, 1.6, 1.7), {"at_least": 1.6}, Outcome.INCONCLUSIVE),  # the spread straddles
        ((1.0, 1.1), {"at_most": 1.6}, Outcome.HOLDS),
        ((1.7, 2.0), {"at_most": 1.6}, Outcome.FAILS),
        ((1.2, 1.9), {"at_most": 1.6}, Outcome.INCONCLUSIVE),
    ],
)
def test_a_check_holds_fails_or_is_inconclusive_by_all_its_repeats(
    values: tuple[float, ...], bound: dict[str, float], outcome: Outcome
) -> None:
    assert Check("x", values, **bound).outcome == outcome


HOLDS = Check("main", (2.0, 2.1, 2.2), at_least=1.6)
FAILS = Check("broken", (1.0, 1.1, 1.2), at_least=1.6)
NOISY = Check("noisy", (1.2, 1.7, 2.0), at_least=1.6)
CAVEAT = Check("part", (0.9, 1.0, 1.0), at_least=1.1, caveat="not for Pillow")


@pytest.mark.parametrize(
    ("checks", "verdict", "because"),
    [
        ([HOLDS], Verdict.HOLDS, []),
        ([HOLDS, FAILS], Verdict.FAILS, ["broken"]),
        ([HOLDS, NOISY], Verdict.INCONCLUSIVE, ["noisy"]),
        ([HOLDS, NOISY, FAILS], Verdict.FAILS, ["broken"]),  # a failure outranks noise
        ([HOLDS, CAVEAT], Verdict.CAVEAT, ["not for Pillow"]),
        ([NOISY, CAVEAT], Verdict.INCONCLUSIVE, ["noisy"]),  # noise is never a caveat's finding
    ],
)
def test_a_verdict_follows_from_its_checks(
    checks: list[Check], verdict: Verdict, because: list[str]
) -> None:
    assert decide(checks) == (verdict, because)


@pytest.mark.timeout(300)  # about a minute on 2 idle cores; CI machines are shared
def test_a_quick_run_gives_every_claim_a_verdict_its_numbers_and_its_command(
    tmp_path: Path,
) -> None:
    out = tmp_path / "claims"
    args = ["claims", "--quick", "--site-pages", "40", "--site-images", "4", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "claims.json").read_text())["claims"]
    assert [finding["id"] for finding in findings] == list(range(1, 11))
    for finding in findings:
        assert finding["verdict"] in set(map(str, Verdict))
        assert finding["claim"] == CLAIMS[finding["id"]]
        assert finding["command"] == f"python pipeline.py claims --claim {finding['id']} --quick"
        assert finding["evidence"]["checks"] and finding["quick"]
        for check in finding["evidence"]["checks"]:
            assert len(check["values"]) == QUICK.repeats
            assert check["outcome"] in set(map(str, Outcome))
    if FREE_THREADED.exists():  # `make freethreaded` made it: the GIL's claims ran there too
        for finding in (finding for finding in findings if finding["id"] in (4, 6, 10)):
            assert finding["without_gil"]["gil_enabled"] is False
            assert finding["without_gil"]["verdict"] in set(map(str, Verdict))
    verdicts = {finding["id"]: finding["verdict"] for finding in findings}
    # Two claims about the world that no load can overturn: waiting overlaps.
    assert verdicts[5] == verdicts[8] == "holds"
    html = (out / "report.html").read_text()
    assert html.count('<article class="claim"') == 10
    assert (out / "claims.png").is_file()
    assert "reproduce: python pipeline.py claims --claim 10 --quick" in result.output


def test_a_claim_number_out_of_range_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["claims", "--claim", "11", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--claim" in result.output
    assert not (tmp_path / "x").exists()
