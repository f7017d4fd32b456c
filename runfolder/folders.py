"""Run folders: made new for every run, laid out for the stages, removed if a run never began."""

from __future__ import annotations

import itertools
import shutil
from datetime import datetime
from pathlib import Path

from processing.originals import ORIGINALS_DIR
from processing.thumbnails import THUMBNAILS_DIR
from runfolder.resume import RUN_INFO
from runfolder.timeline import TIMELINE_FILE

OUTPUT = Path("output")


class RunFolderError(ValueError):
    """The run folder asked for cannot be used (not empty, or cannot be created)."""


def new_run_dir(out: Path | None, prefix: str = "") -> Path:
    """Create and return a run folder that is new, or that exists and is empty; without out,
    a new output/<prefix><timestamp>/."""
    if out is not None:
        if out.exists() and any(out.iterdir()):
            raise RunFolderError(f"{str(out)!r} is not empty")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFolderError(f"cannot create {str(out)!r}: {exc.strerror}") from None
        return out
    stamp = prefix + datetime.now().strftime("%Y%m%d-%H%M%S")
    for suffix in itertools.count(1):
        candidate = OUTPUT / (stamp if suffix == 1 else f"{stamp}-{suffix}")
        try:
            candidate.mkdir(parents=True)  # exclusive: two runs never share a folder
            return candidate
        except FileExistsError:
            continue
    raise AssertionError("unreachable")


def prepare_run_dir(run_dir: Path, sizes: tuple[int, ...]) -> None:
    """Create the run folder and its subfolders."""
    (run_dir / ORIGINALS_DIR).mkdir(parents=True, exist_ok=True)
    for size in sizes:
        (run_dir / THUMBNAILS_DIR / str(size)).mkdir(parents=True, exist_ok=True)


def remove_if_made(run_dir: Path) -> None:
    """Remove a run folder that holds only what this run created before it failed to start."""
    made = (path for path in run_dir.rglob("*") if path.is_file())
    records = [path for path in made if path.name not in (RUN_INFO, TIMELINE_FILE)]
    if all(path.stat().st_size == 0 for path in records):  # no page or image was recorded
        shutil.rmtree(run_dir)
