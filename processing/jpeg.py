"""A JPEG missing only its end marker, told apart from one cut off in the middle of its data.

Cameras and cut-off uploads leave JPEGs whose last two bytes, the end-of-image marker, never
arrived; browsers show them whole. A file cut off inside its compressed data is another
matter: a decoder would invent the missing part (libjpeg fills it with zeros), so it stays
broken. Which one a file is shows by decoding it twice, once with the marker added and once
with some stray bytes before it: a decoder that had all its data never reads the stray
bytes, so only a file whose last scan was complete decodes the same both ways.
"""

from __future__ import annotations

import io
import random

from PIL import Image

START, END = b"\xff\xd8", b"\xff\xd9"
# Bytes a complete scan never reads, and that are never a marker (no 0xFF): decoded, they
# would change the pixels.
_STRAY = bytes(random.Random(0).randrange(255) for _ in range(64))


def with_end_marker(data: bytes) -> bytes | None:
    """data with its end marker, when data is a JPEG whose last scan is complete and that
    lacks only the marker; None for anything else (a JPEG cut off in mid-scan included)."""
    if not data.startswith(START) or data.endswith(END):
        return None
    completed = data + END
    try:
        complete = _pixels(completed) == _pixels(data + _STRAY + END)
    except (OSError, SyntaxError, ValueError, EOFError):
        return None
    return completed if complete else None


def _pixels(data: bytes) -> bytes:
    """data decoded whole, as raw pixels."""
    with Image.open(io.BytesIO(data), formats=("JPEG",)) as image:
        return image.tobytes()
