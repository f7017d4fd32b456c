"""claims: the catalogue, the verdict logic on made-up measurements (conditions, controls,
more repeats), then a real quick run of every claim."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from claims.catalogue import BY_NUMBER, CLAIMS, CONTROL_SCALES, GIL_CLAIMS, Spec, threshold_table
from claims.experiments import EXPERIMENTS
from claims.lab import FULL, QUICK, Alternatives, Lab, Series
from claims.measures import Ratio
from claims.run import read_claims, run_claims
from claims.verdict import FREE_MARGIN, Check, Verdict, assess, decide
from cli import cli
from cli.commands import FREE_THREADED
from measure.repeats import Outcome, judge

CLAIMS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "claims.md"


def test_every_claim_is_one_record_with_words_source_question_and_checks() -> None:
    assert [claim.number for claim in CLAIMS] == list(range(1, len(CLAIMS) + 1))
    for claim in CLAIMS:
        assert claim.words and claim.source and claim.question.endswith("?") and claim.checks
        for spec in (*claim.checks, *claim.without_gil):
            assert spec.measure.experiment in EXPERIMENTS
            assert (spec.at_least is None) != (spec.at_most is None)
        assert not claim.without_gil or claim.gil  # checks without the GIL need the GIL's run


def test_the_claims_page_shows_the_thresholds_the_code_judges_by() -> None:
    assert threshold_table(FULL) in CLAIMS_PAGE.read_text()


def test_claims_list_prints_the_threshold_table_and_measures_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["claims", "--list", "--out", str(tmp_path / "x")])
    assert result.exit_code == 0
    assert result.output.strip() == threshold_table(FULL)
    assert not (tmp_path / "x").exists()


def test_the_command_line_offers_the_catalogues_claims() -> None:
    result = CliRunner().invoke(cli, ["claims", "--help"])
    assert f"[default: all {len(CLAIMS)}]" in result.output
    assert ", ".join(map(str, GIL_CLAIMS)) in result.output


@pytest.mark.parametrize(
    ("values", "bound", "outcome"),
    [
        ((1.7, 1.8, 1.9), {"at_least": 1.6}, Outcome.HOLDS),
        ((1.0, 1.1, 1.2), {"at_least": 1.6}, Outcome.FAILS),
        ((1.5, 1.6, 1.7), {"at_least": 1.6}, Outcome.INCONCLUSIVE),  # the spread straddles
        ((1.0, 1.0), {"at_least": 1.0}, Outcome.HOLDS),  # exactly at the threshold reaches it
        ((1.0, 1.1), {"at_most": 1.6}, Outcome.HOLDS),
        ((1.6, 1.6), {"at_most": 1.6}, Outcome.HOLDS),
        ((1.7, 2.0), {"at_most": 1.6}, Outcome.FAILS),
        ((1.2, 1.9), {"at_most": 1.6}, Outcome.INCONCLUSIVE),
        # From five repeats, one odd repeat at each end is set aside.
        ((1.2, 1.7, 1.8, 1.9, 1.75), {"at_least": 1.6}, Outcome.HOLDS),
        ((1.2, 1.5, 1.8, 1.9, 1.75), {"at_least": 1.6}, Outcome.INCONCLUSIVE),
    ],
)
def test_a_check_holds_fails_or_is_inconclusive_by_all_its_repeats(
    values: tuple[float, ...], bound: dict[str, float], outcome: Outcome
) -> None:
    assert judge(values, **bound) == outcome
    assert Check("x", values, **bound).outcome == outcome


HOLDS = Check("main", (2.0, 2.1, 2.2), at_least=1.6)
FAILS = Check("broken", (1.0, 1.1, 1.2), at_least=1.6)
NOISY = Check("noisy", (1.2, 1.7, 2.0), at_least=1.6)
CAVEAT = Check("part", (0.9, 1.0, 1.0), at_least=1.1, caveat="not for Pillow")
NOISY_CAVEAT = Check("wobbly part", (1.0, 1.2), at_least=1.1, caveat="not for Pillow")
BUSY = Check("busy", (), at_least=1.6, set_aside=("only 1.1 of 2 cores were free",), fewest=1)


@pytest.mark.parametrize(
    ("checks", "verdict", "because"),
    [
        ([HOLDS], Verdict.HOLDS, []),
        ([HOLDS, FAILS], Verdict.FAILS, ["broken"]),
        ([HOLDS, NOISY], Verdict.INCONCLUSIVE, ["noisy: its repeats fall on both sides"]),
        ([HOLDS, NOISY, FAILS], Verdict.FAILS, ["broken"]),  # a failure outranks noise
        ([HOLDS, CAVEAT], Verdict.CAVEAT, ["not for Pillow"]),
        ([NOISY, CAVEAT], Verdict.INCONCLUSIVE, ["noisy: its repeats fall on both sides"]),
        # An unsettled caveat is not a caveat found: the claim is unsettled.
        ([HOLDS, NOISY_CAVEAT], Verdict.INCONCLUSIVE, ["wobbly part: its repeats fall"]),
        ([HOLDS, BUSY], Verdict.INCONCLUSIVE, ["busy: only 1.1 of 2 cores were free"]),
    ],
)
def test_a_verdict_follows_from_its_checks(
    checks: list[Check], verdict: Verdict, because: list[str]
) -> None:
    found, reasons = decide(checks)
    assert found == verdict
    assert len(reasons) == len(because)
    for reason, start in zip(reasons, because, strict=True):
        assert reason.startswith(start)


# Conditions: a check is judged only on repeats whose machine gave it what it needs.


def conditions(free: float = 2.0, control: float | None = 1.95) -> dict[str, Any]:
    """What the lab records of a round on a 2-core machine with `free` cores left to us."""
    return {
        "wall_s": 1.0,
        "cores": 2.0,
        "others": 2.0 - free,
        "steal": 0.0,
        "free": free,
        "control": control,
    }


def rounds(values: dict[str, list[float]], seen: list[dict[str, Any]]) -> Series:
    """A series of made-up measurements: each alternative's wall_s, round by round."""
    return {
        name: [{"wall_s": wall, "conditions": seen[i]} for i, wall in enumerate(walls)]
        for name, walls in values.items()
    }


PROCESSES_SCALE = BY_NUMBER[6].checks[0]  # pure Python, 2 processes / 1 process: 2 cores
ONE_CORE = Spec("1 process / 1 thread", Ratio("x", "a", "b", "wall_s"), at_least=1.5)
SCALING = {"processes 1": [2.0, 2.0, 2.0], "processes 2": [1.05, 1.0, 1.02]}


def test_a_two_core_check_on_two_free_cores_is_judged() -> None:
    check = assess(PROCESSES_SCALE, rounds(SCALING, [conditions()] * 3), FULL)
    assert check.outcome == Outcome.HOLDS and not check.set_aside


@pytest.mark.parametrize("scaling", [SCALING, {"processes 1": [2.0] * 3, "processes 2": [1.8] * 3}])
def test_too_few_free_cores_turn_holds_and_fails_into_inconclusive_with_the_reason(
    scaling: dict[str, list[float]],
) -> None:
    check = assess(PROCESSES_SCALE, rounds(scaling, [conditions(free=1.1)] * 3), FULL)
    assert check.outcome == Outcome.INCONCLUSIVE
    assert check.values == ()
    assert check.reason.startswith(
        "only 1.1 of 2 cores were free: other programs used 0.9 core (in 3 of 3 repeats)"
    )
    assert decide([check])[0] == Verdict.INCONCLUSIVE


def test_a_failed_control_turns_a_verdict_inconclusive_with_the_reason() -> None:
    # The monitor saw two free cores, but two processes of pure Python did not scale: the
    # machine could not run two things at once (throttled, or cores shared with a host).
    check = assess(PROCESSES_SCALE, rounds(SCALING, [conditions(control=1.2)] * 3), FULL)
    assert check.outcome == Outcome.INCONCLUSIVE
    assert "the control, 2 processes of pure Python, ran only 1.20x" in check.reason
    assert f"at least {CONTROL_SCALES:g}x" in check.reason


def test_a_one_core_check_is_judged_while_another_core_is_busy() -> None:
    busy = [conditions(free=1.0, control=1.1)] * 3
    check = assess(ONE_CORE, rounds({"a": [3.0] * 3, "b": [1.0] * 3}, busy), FULL)
    assert check.outcome == Outcome.HOLDS


def test_the_free_margin_allows_a_little_background_work() -> None:
    quiet_laptop = [conditions(free=2.0 - FREE_MARGIN + 0.01)] * 3
    assert assess(PROCESSES_SCALE, rounds(SCALING, quiet_laptop), FULL).outcome == Outcome.HOLDS


def test_unpinnable_workers_make_a_pinned_check_inconclusive() -> None:
    series = rounds({"2 on 1 core": [2.0] * 3, "1 on 1 core": [1.0] * 3}, [conditions()] * 3)
    for run in series["2 on 1 core"]:
        run["pinned"] = False
    check = assess(BY_NUMBER[1].checks[0], series, FULL)
    assert check.outcome == Outcome.INCONCLUSIVE
    assert "could not be pinned" in check.reason


def test_without_the_gil_a_hold_the_gil_would_explain_is_not_reported_as_the_gil() -> None:
    take_turns = BY_NUMBER[4].checks[0]  # pure Python, 2 threads / 1 thread <= 1.3x
    series = rounds({"threads 1": [1.2] * 3, "threads 2": [1.0] * 3}, [conditions()] * 3)
    with_gil = assess(take_turns, series, FULL)
    without_gil = assess(take_turns, series, FULL, gil_off=True)
    assert with_gil.outcome == Outcome.HOLDS
    assert without_gil.outcome == Outcome.INCONCLUSIVE
    assert without_gil.reason == (
        "2 threads of pure Python reached only 1.20x one thread without a GIL: something "
        "else limits them here"
    )


def test_claim_3_puts_threads_over_processes_and_the_queue_over_the_pipe() -> None:
    rates = {"threads pipe": 200_000.0, "processes pipe": 100_000.0, "threads queue": 50_000.0}
    series = {
        name: [{"round_trips_per_s": rate, "pinned": True, "conditions": conditions()}] * 3
        for name, rate in rates.items()
    }
    pipes, queue = (assess(spec, series, FULL) for spec in BY_NUMBER[3].checks)
    assert pipes.values == (2.0, 2.0, 2.0) and pipes.outcome == Outcome.HOLDS
    assert queue.values == (0.25, 0.25, 0.25) and queue.outcome == Outcome.FAILS
    assert decide([pipes, queue]) == (Verdict.CAVEAT, [BY_NUMBER[3].checks[1].caveat])


# More repeats while a check is unsettled, up to the cap.


class ScriptedLab(Lab):
    """A lab whose rounds come from a script instead of child processes: the speed-up of
    two processes over one, round after round, on a quiet machine."""

    def __init__(self, speedups: list[float], sizes: Any = FULL) -> None:
        super().__init__(sizes, Path("."), open_site=None)
        self.speedups = speedups
        self.rounds_taken = 0

    def interleave(self, alternatives: Alternatives, rounds: int, control: bool) -> Series:
        series: Series = {name: [] for name in alternatives}
        for _ in range(rounds):
            speedup = self.speedups[self.rounds_taken % len(self.speedups)]
            self.rounds_taken += "processes 1" in alternatives  # the scaling experiment's
            for name in alternatives:
                wall = speedup if name == "processes 1" else 1.0
                measured = {"wall_s": wall, "startup_s": 1.0, "per_item_s": 1.0}
                series[name].append({**measured, "conditions": conditions()})
        return series


def scaling_check(lab: Lab) -> Check:
    finding = run_claims(lab, [6], progress=lambda _: None)[0]
    return next(c for c in finding.here.checks if c.name == PROCESSES_SCALE.name)


def repeats(check: Check) -> int:
    return len(check.values) + len(check.set_aside)


def test_a_settled_check_takes_the_base_repeats_only() -> None:
    check = scaling_check(ScriptedLab([1.9]))
    assert repeats(check) == FULL.repeats and check.outcome == "holds"


def test_a_straddling_check_takes_more_repeats_until_one_odd_repeat_is_outvoted() -> None:
    check = scaling_check(ScriptedLab([1.9, 1.5, 1.9, 1.95, 1.85]))
    assert repeats(check) == 5 and check.outliers == 2
    assert check.outcome == "holds"


def test_a_check_that_stays_unsettled_stops_at_the_cap_and_says_so() -> None:
    check = scaling_check(ScriptedLab([1.9, 1.4]))
    assert repeats(check) == FULL.max_repeats
    assert check.outcome == "inconclusive"
    assert check.reason.startswith("its repeats fall on both sides of its threshold")


# A real run.


@pytest.mark.timeout(300)  # about a minute on 2 idle cores; CI machines are shared
def test_a_quick_run_gives_every_claim_a_verdict_its_numbers_and_its_command(
    tmp_path: Path,
) -> None:
    out = tmp_path / "claims"
    # The free-threaded runs are the next test's (a whole quick run takes twice as long).
    args = ["claims", "--quick", "--gil-only", "--site-pages", "40", "--site-images", "4"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    findings = read_claims(out).claims
    assert [finding.id for finding in findings] == [claim.number for claim in CLAIMS]
    for finding in findings:
        assert finding.claim == BY_NUMBER[finding.id].words
        assert finding.command == f"python pipeline.py claims --claim {finding.id} --quick"
        assert finding.here.checks and finding.quick
        for check in finding.here.checks:
            assert QUICK.repeats <= repeats(check) <= QUICK.max_repeats
            assert bool(check.reason) == (check.outcome == "inconclusive")
    assert not any(finding.without_gil for finding in findings)  # --gil-only
    verdicts = {finding.id: finding.here.verdict for finding in findings}
    # Two claims about the world that no load can overturn: waiting overlaps.
    assert verdicts[5] == verdicts[8] == "holds"
    html = (out / "report.html").read_text()
    assert html.count('<article class="claim"') == len(CLAIMS)
    assert (out / "claims.png").is_file()
    assert "reproduce: python pipeline.py claims --claim 10 --quick" in result.output


def test_a_claim_number_out_of_range_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["claims", "--claim", "11", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--claim" in result.output
    assert not (tmp_path / "x").exists()


@contextlib.contextmanager
def one_core_kept_busy(seconds: float) -> Iterator[int]:
    """Another program spinning on one CPU for at most `seconds`, as a browser or a build
    would: started by a shell that exits at once, so it is no child of ours; killed on
    leaving. Yields its pid."""
    script = (
        "import os, time\n"
        "if hasattr(os, 'sched_setaffinity'):\n"
        "    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
        f"end = time.monotonic() + {seconds}\n"
        "while time.monotonic() < end: pass\n"
    )
    shell = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -c "$0" >/dev/null 2>&1 & echo $!', script],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    pid = int(shell.stdout)
    try:
        time.sleep(0.3)  # spinning before the first measurement
        yield pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.timeout(300)
def test_with_one_core_kept_busy_no_claim_that_needs_two_cores_holds_or_fails(
    tmp_path: Path,
) -> None:
    out = tmp_path / "claims"
    # Claims 1 and 6 need two cores for a check each, on probes alone (no site), and 6 is
    # tested without the GIL too when the free-threaded interpreter is there.
    args = ["claims", "--quick", "--claim", "1", "--claim", "6", "--out", str(out)]
    with one_core_kept_busy(240):
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    findings = read_claims(out).claims
    if FREE_THREADED.exists():  # `make freethreaded` made it: the GIL's claims ran there too
        for finding in (finding for finding in findings if finding.id in GIL_CLAIMS):
            assert finding.without_gil is not None and finding.without_gil.gil_enabled is False
    for finding in findings:
        for found in (finding.here, finding.without_gil):
            if found is None:
                continue
            two_core = [check for check in found.checks if check.cores >= 2]
            for check in two_core:
                assert check.outcome == "inconclusive", check
                assert "other programs used" in check.reason, check
            one_core_failures = {c.name for c in found.checks if c.cores < 2}
            # A claim with a two-core check can still fail, by a check that needs one core.
            assert found.verdict != "holds", finding.id
            assert found.verdict == "inconclusive" or set(found.because) <= one_core_failures
    assert "because only" in result.output and "other programs used" in result.output
    assert "before the experiments began" in result.output  # said first, too
