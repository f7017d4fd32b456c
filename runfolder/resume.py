"""Resume an interrupted run: what its files say was done, carried into the new run.

Data flow of `crawl --resume DIR`:
1. run.json, written when the run began, gives the start URL, every option that changes what
   the run produces (limits, sizes, analysis, the local site's seed, size and knobs) and the
   local site's port (served on the same port again, so every URL means the same thing).
   Models and worker counts may change: they never change the outputs.
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
from pathlib import Path
from typing import Any, NamedTuple

from crawler.pages import Page
from errors import ErrorInfo, ErrorKind
from processing.files import write_atomic

RUN_INFO = "run.json"
# The options that change what a run produces: a resumed run takes them from run.json.
RESULT_OPTIONS = (
    "max_pages",
    "max_depth",
    "max_bytes",
    "timeout",
    "retries",
    "max_redirects",
    "max_per_host",
    "rate",
    "ignore_robots",
    "sizes",
    "analysis",
    "site_pages",
    "site_images",
    "seed",
    "profile",
    "latency_ms",
    "jitter_ms",
    "error_rate",
)


class Done(NamedTuple):
    """What an earlier, interrupted run recorded."""

    pages: list[dict[str, Any]]
    images: list[dict[str, Any]]


def write_run_info(run_dir: Path, info: dict[str, Any]) -> None:
    """Record how the run was started, for a later --resume."""
    write_atomic(run_dir / RUN_INFO, json.dumps(info, indent=2).encode())


def read_run_info(run_dir: Path) -> dict[str, Any]:
    """Read run.json; raise ValueError when run_dir is not a run folder."""
    try:
        return json.loads((run_dir / RUN_INFO).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{str(run_dir)!r} has no readable {RUN_INFO}: not a run folder") from exc


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
