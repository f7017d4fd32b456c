"""Write files atomically: a reader sees the whole file or no file, never half of one."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from errors import ErrorInfo, ErrorKind

TEMP_PREFIX = ".tmp-"
FILE_MODE = 0o644


def write_atomic(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file in the same folder, then rename."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp makes files private (0600): results are for sharing
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except BaseException:
        # Interrupted or failed (disk full): remove the partial temp file, keep the error.
        Path(temp).unlink(missing_ok=True)
        raise


def disk_error(exc: OSError, run_dir: str) -> ErrorInfo:
    """A failed write as a record: the system's reason and the file, named relative to the
    run folder (a record never names a path of the machine)."""
    where = os.path.relpath(exc.filename, run_dir) if isinstance(exc.filename, str) else ""
    reason = exc.strerror or type(exc).__name__
    return ErrorInfo(ErrorKind.DISK, f"{reason}: {where}" if where else reason)


def sha256_hex(data: bytes) -> str:
    """Return the hex SHA-256 of data."""
    return hashlib.sha256(data).hexdigest()


def remove_temp_files(root: Path) -> int:
    """Delete the temporary files an interrupted write left under root; return how many."""
    removed = 0
    for temp in root.rglob(f"{TEMP_PREFIX}*"):
        temp.unlink(missing_ok=True)
        removed += 1
    return removed
