"""Resume an interrupted run: what its files say was done, carried into the new run.

Data flow of `crawl --resume DIR`:
1. run.json, written when the run began, holds its RunConfig and the local site it served
   (what defines the site, and its port: served on the same port again, so every URL means
   the same thing). config.resumed() keeps from it everything that changes what the run
   produces; models, workers, the loop and the timeline come from the new command line
   (they never change the outputs).
2. pages.jsonl and images.jsonl are read back; a last line cut off by a hard kill is removed
   from the file first, so new lines never follow a broken one.
3. The recorder counts every row again, so counts and digest cover the whole run.
4. The crawler's frontier learns every recorded page and image as already seen; the links
   the recorded pages found become the queue. Nothing recorded is fetched again, and the
   finished run has the digest an uninterrupted one would have.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from config import RunConfig
from crawler.pages import Page
from errors import ErrorInfo, ErrorKind
from processing.files import write_atomic
from runfolder.contract import ContractError, read_file, write_file

RUN_INFO = "run.json"


@dataclass(frozen=True)
class LocalSite:
    """The local test site a run crawled, as the test site's own SiteSpec and ServeOptions
    write themselves (the run folder does not know the test site), its port included."""

    spec: dict[str, Any]
    serving: dict[str, Any]


@dataclass(frozen=True)
class RunInfo:
    """run.json: how a run started, for report.html and for a later --resume."""

    SCHEMA: ClassVar[int] = 1

    config: RunConfig
    site: LocalSite | None  # None: a site on the web


class Done(NamedTuple):
    """What an earlier, interrupted run recorded."""

    pages: list[dict[str, Any]]
    images: list[dict[str, Any]]


def write_run_info(info: RunInfo) -> None:
    """Record how the run was started in its folder's run.json."""
    write_file(info.config.run_dir / RUN_INFO, info)


def read_run_info(run_dir: Path) -> RunInfo:
    """Read run_dir's run.json; a ContractError when run_dir is not a run folder (or one an
    older version wrote)."""
    try:
        return read_file(RunInfo, run_dir / RUN_INFO)
    except ContractError as exc:
        raise ContractError(f"{str(run_dir)!r} is not a run folder: {exc}") from None


# The fields every record line has: a line without them is damaged.
PAGE_FIELDS = frozenset({"url", "final_url", "status", "depth", "error", "links", "images"})
IMAGE_FIELDS = frozenset({"url", "error", "thumbnails", "thumbnail_sha256", "bytes", "sha256"})
RECORDS = {"pages.jsonl": PAGE_FIELDS, "images.jsonl": IMAGE_FIELDS}


class DamagedRecords(ValueError):
    """A record file has a broken line before its end: resuming would build on it."""


def check_records(run_dir: Path, repair: bool) -> int:
    """Check that every complete line of the record files is a record; a damaged one raises
    DamagedRecords (naming the file and line, changing nothing), unless repair, which keeps
    the valid lines (what the damaged ones named is fetched again). Returns lines dropped."""
    dropped = 0
    for name, fields in RECORDS.items():
        path = run_dir / name
        if not path.exists():
            continue
        lines = _complete(path.read_bytes()).splitlines(keepends=True)
        damaged = [number for number, line in enumerate(lines, 1) if not _is_record(line, fields)]
        if damaged and not repair:
            raise DamagedRecords(
                f"{name} line {damaged[0]} is not a record ({len(damaged)} such lines): "
                "--resume DIR --repair keeps the valid lines and fetches the rest again"
            )
        if damaged:
            dropping = set(damaged)
            kept = b"".join(line for number, line in enumerate(lines, 1) if number not in dropping)
            write_atomic(path, kept)
            dropped += len(damaged)
    return dropped


def _complete(data: bytes) -> bytes:
    """A record file's lines that end in a newline (a last one cut off by a hard kill is not)."""
    return data[: data.rfind(b"\n") + 1]


def _is_record(line: bytes, fields: frozenset[str]) -> bool:
    try:
        row = json.loads(line)
    except ValueError:  # not JSON, or not UTF-8
        return False
    return isinstance(row, dict) and fields <= row.keys()


def load_done(run_dir: Path) -> Done:
    """Read what the run recorded, cutting off a partial last line first. Images that failed
    only because the disk did are forgotten (and their lines removed): a resume retries them."""
    images_path = run_dir / "images.jsonl"
    images = _read_rows(images_path)
    kept = [row for row in images if not (row["error"] and row["error"]["kind"] == "disk")]
    if len(kept) != len(images):
        write_atomic(images_path, "".join(json.dumps(row) + "\n" for row in kept).encode())
    return Done(_read_rows(run_dir / "pages.jsonl"), kept)


def page_from_row(row: dict[str, Any]) -> Page:
    """Rebuild the Page record a pages.jsonl row was written from."""
    error = row["error"] and ErrorInfo(ErrorKind(row["error"]["kind"]), row["error"]["message"])
    return Page(
        row["url"],
        row["final_url"],
        row["status"],
        row["depth"],
        error,
        tuple(row.get("links", ())),
        tuple(row.get("images", ())),
        row.get("nofollow", False),
    )


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = path.read_bytes()
    complete = _complete(data)
    if len(complete) != len(data):
        os.truncate(path, len(complete))  # a line cut off by a hard kill: drop it, refetch it
    return [json.loads(line) for line in complete.decode("utf-8").splitlines() if line]
