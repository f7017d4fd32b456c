"""The run folder's typed files: what a writer writes, its reader gets back whole, and a file
that is not what its contract says is an error naming the field, never a dash on a page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from measure.interpreter import interpreter
from report.run_report import write_run_report
from runfolder.contract import ContractError, as_data, read_file, write_file
from runfolder.summary import (
    SUMMARY_FILE,
    Counts,
    LoopLag,
    Politeness,
    StageRow,
    Summary,
    read_summary,
)
from runfolder.timeline import Lane, TimelineInfo

ROW = StageRow("threads", 4, 10, 1, 0.5, 0.25, 0.2, 40.0, 0.1, 0.35)
SUMMARY = Summary(
    start_url="http://127.0.0.1:9/",
    run_dir="run",
    counts=Counts(pages=3, pages_failed=0, images=10, images_failed=1, thumbnails=18, bytes=999),
    errors={"undecodable": 1},
    skipped={"robots": 2},
    politeness=Politeness("obeyed", None, {"127.0.0.1:9": 0.5}, 2, 0.75),
    stages={"write": ROW},
    wall_s=1.5,
    cpu_s=1.25,
    loop_lag=LoopLag(12.0, 5.0),
    interrupted=False,
    signal=None,
    stopped_by=None,
    timeline=TimelineInfo("timeline.jsonl", 10, {"write": (Lane(0, "thread 1", "thread"),)}),
    digest="ab" * 32,
    interpreter=interpreter(),
    alone="write",
)


def written(tmp_path: Path, change: Any = None) -> Path:
    """SUMMARY written into tmp_path, its data changed by change(data) first if given."""
    write_file(tmp_path / SUMMARY_FILE, SUMMARY)
    if change is not None:
        data = json.loads((tmp_path / SUMMARY_FILE).read_text())
        change(data)
        (tmp_path / SUMMARY_FILE).write_text(json.dumps(data))
    return tmp_path


def test_a_summary_reads_back_as_the_summary_written(tmp_path: Path) -> None:
    assert read_summary(written(tmp_path)) == SUMMARY


def test_the_file_carries_its_schema_and_the_summarys_fields_by_name(tmp_path: Path) -> None:
    data = json.loads((written(tmp_path) / SUMMARY_FILE).read_text())
    assert data["schema"] == Summary.SCHEMA
    assert data["stages"]["write"]["items"] == 10 and data["timeline"]["lanes"]["write"][0] == {
        "lane": 0,
        "label": "thread 1",
        "kind": "thread",
    }


BROKEN = {
    "missing": (lambda data: data["stages"]["write"].pop("items"), "stages.write.items: missing"),
    "unknown": (lambda data: data["counts"].update(pgaes=3), "counts.pgaes: not a field"),
    "wrong type": (lambda data: data.update(wall_s="1.5"), "wall_s: float"),
    "a bool for a count": (lambda data: data["counts"].update(pages=True), "counts.pages: int"),
    "a list item": (
        lambda data: data["timeline"]["lanes"]["write"][0].pop("kind"),
        "timeline.lanes.write[0].kind: missing",
    ),
    "another schema": (lambda data: data.update(schema=0), "schema 0, where this version reads"),
    "no schema": (lambda data: data.pop("schema"), "schema None"),
}


@pytest.mark.parametrize("broken", BROKEN)
def test_a_summary_that_breaks_its_contract_is_an_error_naming_the_field(
    tmp_path: Path, broken: str
) -> None:
    change, words = BROKEN[broken]
    with pytest.raises(ContractError, match="^summary.json: " + re.escape(words)):
        read_summary(written(tmp_path, change))


def test_a_report_over_a_summary_missing_a_field_fails_instead_of_showing_a_dash(
    tmp_path: Path,
) -> None:
    folder = written(tmp_path, lambda data: data["counts"].pop("pages"))
    with pytest.raises(ContractError, match=r"counts\.pages: missing"):
        write_run_report(folder)


def test_an_unreadable_file_is_a_contract_error_too(tmp_path: Path) -> None:
    (tmp_path / SUMMARY_FILE).write_text('{"schema": 1, "start_url": ')
    with pytest.raises(ContractError, match="cannot be read as JSON"):
        read_file(Summary, tmp_path / SUMMARY_FILE)
    with pytest.raises(ContractError, match="cannot be read"):
        read_summary(tmp_path / "nowhere")


def test_data_keeps_paths_enums_and_tuples_readable_as_json() -> None:
    from errors import ErrorKind

    assert as_data({"p": Path("a/b"), "k": ErrorKind.TIMEOUT, "t": (1, 2)}) == {
        "p": "a/b",
        "k": ErrorKind.TIMEOUT.value,
        "t": [1, 2],
    }


def test_claims_json_reads_back_as_the_findings_written(tmp_path: Path) -> None:
    from claims.run import ClaimsFile, Finding, MedianRun, Side, read_claims, write_claims
    from claims.verdict import Check, Verdict

    check = Check("processes scale", (1.9, 2.0), at_least=1.6, cores=2, set_aside=("busy",))
    here = Side(Verdict.HOLDS, (), (check,), "3.11.7", True, {"1 task": MedianRun("runs/a", 1)})
    because = ("processes scale: busy",)
    without = Side(Verdict.INCONCLUSIVE, because, (check,), "3.13.5t", False, None)
    finding = Finding(6, "words", "question?", "a guide", ("untested",), "cmd", True, here, without)
    write_claims(tmp_path, [finding], {"cores": 2})
    assert read_claims(tmp_path) == ClaimsFile({"cores": 2}, (finding,))


def test_results_json_reads_back_as_the_rows_runs_and_findings_written(tmp_path: Path) -> None:
    from compare.results import read_results, write_results

    rows = [{"label": "resize alone on threads", "wall_s": 1.5, "walls": [1.5, 1.6]}]
    runs = [{"label": "resize alone on threads", "wall_s": 1.5, "loop_lag": {"max_ms": 3.0}}]
    write_results(tmp_path, rows, runs, {"site": {"pages": 40}}, ["threads is fastest"])
    results = read_results(tmp_path)
    assert (results.rows, results.runs) == (tuple(rows), tuple(runs))
    assert results.request == {"site": {"pages": 40}}
    assert results.findings == ("threads is fastest",) and results.machine["cores"]
    assert (tmp_path / "results.csv").read_text().splitlines()[0] == "label,wall_s"
