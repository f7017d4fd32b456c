"""Save an image's original bytes once, named by their SHA-256, never by the URL."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from errors import ErrorInfo
from processing.files import disk_error, sha256_hex, write_atomic

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
    (b"\x00\x00\x01\x00", ".ico"),
    (b"%PDF-", ".pdf"),
    (b"\xff\x0a", ".jxl"),
    (b"\x00\x00\x00\x0cJXL ", ".jxl"),
    (b"8BPS", ".psd"),
)
# ISO base media files (bytes 4-12: "ftyp" and a brand): AVIF we read, HEIC we do not.
_BRANDS = {b"avif": ".avif", b"avis": ".avif", b"heic": ".heic", b"heix": ".heic", b"mif1": ".heic"}
# Formats a browser shows that we do not make thumbnails of: their own error kind.
UNSUPPORTED = frozenset({".svg", ".pdf", ".jxl", ".psd", ".heic"})


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
        error = disk_error(exc, run_dir)
        return Saved(original.url, "", digest, len(original.data), error)
    return Saved(original.url, relative, digest, len(original.data))


def sniff_extension(data: bytes) -> str:
    """Return the file extension the leading bytes call for ('.bin' when unknown)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data[4:8] == b"ftyp" and data[8:12] in _BRANDS:
        return _BRANDS[data[8:12]]
    if _is_svg(data[:1024]):
        return ".svg"
    return next((ext for magic, ext in _SIGNATURES if data.startswith(magic)), ".bin")


def _is_svg(head: bytes) -> bool:
    """An SVG document: XML (or a bare root) whose first element is <svg."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in text


def failed_save(original: Original, exc: BaseException) -> Saved:
    """The record of a save that raised what nobody expected (or whose worker died)."""
    return Saved(original.url, "", "", len(original.data), ErrorInfo.internal(exc))
