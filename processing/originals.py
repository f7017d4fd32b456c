"""Save an image's original bytes once, named by their SHA-256, never by the URL."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from errors import ErrorInfo, ErrorKind
from processing.files import sha256_hex, write_atomic

ORIGINALS_DIR = "originals"
# Magic numbers: the extension says what the bytes are, whatever the URL or server claims.
_SIGNATURES = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
)


class Original(NamedTuple):
    """Downloaded image bytes, on their way to disk."""

    url: str
    data: bytes


class Saved(NamedTuple):
    """Where an original landed (path relative to the run folder), or why it did not."""

    url: str
    path: str
    sha256: str
    size: int
    error: ErrorInfo | None = None


def save_original(original: Original, run_dir: str) -> Saved:
    """Write the bytes to originals/<sha256><ext> unless that file already exists."""
    digest = sha256_hex(original.data)
    relative = f"{ORIGINALS_DIR}/{digest}{sniff_extension(original.data)}"
    target = Path(run_dir, relative)
    try:
        if not target.exists():  # same bytes from another URL: already saved
            write_atomic(target, original.data)
    except OSError as exc:
        error = ErrorInfo(ErrorKind.DISK, str(exc))
        return Saved(original.url, "", digest, len(original.data), error)
    return Saved(original.url, relative, digest, len(original.data))


def sniff_extension(data: bytes) -> str:
    """Return the file extension the leading bytes call for ('.bin' when unknown)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return next((ext for magic, ext in _SIGNATURES if data.startswith(magic)), ".bin")


def failed_save(original: Original, exc: BaseException) -> Saved:
    """The record of a save that raised what nobody expected (or whose worker died)."""
    return Saved(original.url, "", "", len(original.data), ErrorInfo.internal(exc))
