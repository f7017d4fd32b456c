"""Make thumbnails with Pillow: decode once at reduced scale, upright, in sRGB, in a savable mode.

Opaque images become JPEG (quality 85); images with transparency (an alpha channel, a
palette's transparent entries, or a colour key) become PNG, because JPEG has no alpha and
PNG opens everywhere. Pixels with an embedded colour profile are converted to sRGB
(processing.srgb), so a thumbnail shows the colours a browser shows for its original. A
JPEG missing only its end marker is decoded as browsers decode it (processing.jpeg).
Pillow's decompression-bomb limit stays on.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import NamedTuple

from PIL import ExifTags, Image, ImageMath, ImageOps, UnidentifiedImageError

from errors import ErrorInfo, ErrorKind, describe
from processing.colours import dominant_colours
from processing.files import disk_error, sha256_hex, write_atomic
from processing.jpeg import with_end_marker
from processing.originals import UNSUPPORTED, Saved, sniff_extension
from processing.srgb import to_srgb

THUMBNAILS_DIR = "thumbnails"
JPEG_QUALITY = 85
# Thumbnails are for screens, not archives: zlib's fastest level. On the docs profile's 1,500
# images it cut the thumbnails' CPU by 40% (7.7 -> 4.6 s) for 2% more PNG bytes (32.2 -> 32.9
# MB); the default, 6, is slower than 3 and no smaller.
PNG_COMPRESS_LEVEL = 1
# An original no larger than a thumbnail, in a format and mode every browser shows as it is,
# is its own thumbnail: its bytes, not a re-encoding of the same pixels (as Scrapy keeps a
# JPEG that needs no resizing). 36% of a documentation site's images fit in 256 px. One with
# a colour profile is converted instead, so that every thumbnail made is in sRGB.
AS_IS = {
    "JPEG": (".jpg", frozenset({"RGB", "L"})),
    "PNG": (".png", frozenset({"RGB", "L", "RGBA", "LA", "P"})),
}
# Decode at least this many times the largest thumbnail, as Image.thumbnail's reducing_gap.
DRAFT_GAP = 2
ROTATED_ORIENTATIONS = frozenset({5, 6, 7, 8})
# Only the web's image formats: never EPS and friends, which can run external programs.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "ICO", "AVIF")
# What a broken file can make Pillow raise while decoding.
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error)


class Thumbnail(NamedTuple):
    """One thumbnail file, path relative to the run folder."""

    size: int
    path: str
    sha256: str


class ImageResult(NamedTuple):
    """Everything known about one image URL at the end of the pipeline."""

    url: str
    original: str
    sha256: str
    size: int = 0
    width: int = 0
    height: int = 0
    thumbnails: tuple[Thumbnail, ...] = ()
    colours: tuple[str, ...] = ()
    error: ErrorInfo | None = None

    @property
    def ok(self) -> bool:
        """True when every thumbnail was made."""
        return self.error is None


class Rendered(NamedTuple):
    """An image's thumbnails encoded but not yet on disk (plain values, so they can travel
    back from a worker on another machine), or why it could not be decoded."""

    width: int = 0
    height: int = 0
    encoded: tuple[tuple[int, str, bytes], ...] = ()  # (size, extension, bytes), by size
    colours: tuple[str, ...] = ()
    error: ErrorInfo | None = None


def make_thumbnails(
    saved: Saved, run_dir: str, sizes: tuple[int, ...], analysis: bool = False
) -> ImageResult:
    """Make one thumbnail per size (the longest side) from the saved original; with
    analysis, find dominant colours. Reads and writes the run folder: for workers that
    share our disk."""
    try:
        data = read_original(saved, run_dir)
    except OSError as exc:  # the run folder is not what it was: as a failed write
        return without_thumbnails(saved, disk_error(exc, run_dir))
    return save_thumbnails(saved, render_thumbnails(data, sizes, analysis), run_dir)


def render_thumbnails(data: bytes, sizes: tuple[int, ...], analysis: bool = False) -> Rendered:
    """Decode an image's bytes and encode one thumbnail per size; with analysis, find its
    dominant colours. Touches no disk."""
    try:
        return _render(data, sizes, analysis)
    except Image.DecompressionBombError as exc:
        return Rendered(error=ErrorInfo(ErrorKind.DECOMPRESSION_BOMB, str(exc)))
    except DECODE_ERRORS as exc:
        completed = with_end_marker(data)
        if completed is not None:  # cut off after its last scan: whole, as browsers show it
            return render_thumbnails(completed, sizes, analysis)
        return Rendered(error=_not_decoded(data, exc))


def _render(data: bytes, sizes: tuple[int, ...], analysis: bool) -> Rendered:
    """The thumbnails of one image: its own bytes for every size it already fits (when a
    browser shows them as they are), the rest resampled and encoded from one decoding."""
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        width, height, rotated = _displayed(image)
        extension = _shown_as_is(image, rotated)
        fits = {size for size in sizes if extension and max(width, height) <= size}
        kept = tuple((size, extension, data) for size in sorted(fits))
        rest = tuple(sorted(set(sizes) - fits))
        if not rest and not analysis:  # nothing to decode: the header said enough
            return Rendered(width, height, kept)
        upright = _decoded(image, max(rest or sizes))
    colours = dominant_colours(upright) if analysis else ()
    encoded = _encode_all(upright, rest) if rest else ()
    return Rendered(width, height, tuple(sorted((*kept, *encoded))), colours)


def save_thumbnails(saved: Saved, rendered: Rendered, run_dir: str) -> ImageResult:
    """Write rendered's thumbnails into the run folder, atomically, named by the original's
    SHA-256; return the image's record."""
    if rendered.error is not None:
        return without_thumbnails(saved, rendered.error)
    try:
        thumbnails = tuple(
            _write(size, extension, data, saved.sha256, Path(run_dir))
            for size, extension, data in rendered.encoded
        )
    except OSError as exc:
        return without_thumbnails(saved, disk_error(exc, run_dir))
    width, height, colours = rendered.width, rendered.height, rendered.colours
    return ImageResult(
        saved.url, saved.path, saved.sha256, saved.size, width, height, thumbnails, colours
    )


def read_original(saved: Saved, run_dir: str) -> bytes:
    """The saved original's bytes: what travels to a worker that cannot read our disk."""
    return Path(run_dir, saved.path).read_bytes()


def load_upright(data: bytes, largest: int) -> tuple[int, int, Image.Image]:
    """Return the displayed size and a decoded, EXIF-rotated image at least 2x largest."""
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        width, height, _ = _displayed(image)
        return width, height, _decoded(image, largest)


def _displayed(image: Image.Image) -> tuple[int, int, bool]:
    """The image's size as displayed (after its EXIF orientation), and whether it turns."""
    width, height = image.size
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    if orientation in ROTATED_ORIENTATIONS:
        width, height = height, width
    return width, height, orientation != 1


def _decoded(image: Image.Image, largest: int) -> Image.Image:
    """The opened image decoded at least 2x largest, upright, as a browser shows it: in
    sRGB, in a mode we can save, its transparency kept."""
    # For JPEG, draft() makes the decoder itself scale by 1/2, 1/4 or 1/8: the big saving.
    image.draft(None, _fit(image.size, largest * DRAFT_GAP))
    image.load()
    profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if upright.mode == "CMYK":  # its profile takes it straight to sRGB's RGB
        return to_savable_mode(to_srgb(upright, profile))
    return to_srgb(to_savable_mode(upright), profile)


def _shown_as_is(image: Image.Image, rotated: bool) -> str:
    """The extension under which the original's own bytes can stand for a thumbnail it
    fits in ('' when they cannot: another format, a mode browsers show badly, a turn)."""
    extension, modes = AS_IS.get(image.format or "", ("", frozenset()))
    shown_as_is = image.mode in modes and not rotated and "icc_profile" not in image.info
    return extension if shown_as_is else ""


def to_savable_mode(image: Image.Image) -> Image.Image:
    """Convert any mode to RGB, L, RGBA or LA, keeping transparency where there is some:
    an alpha channel, a palette's transparent entries, or a colour key (PNG's tRNS chunk
    names one colour, or one grey, that is see-through)."""
    mode, key = image.mode, image.info.get("transparency")
    if mode in ("RGBA", "LA") or (mode in ("RGB", "L") and key is None):
        return image
    if mode in ("RGB", "P"):
        return image.convert("RGBA" if key is not None else "RGB")
    if mode == "L":
        return image.convert("LA")
    if mode in ("PA", "RGBa", "La"):
        return image.convert("RGBA")
    if mode.startswith("I"):
        return _wide_grey(image, key)
    if mode in ("1", "F"):
        return image.convert("L")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX


def _wide_grey(image: Image.Image, key: int | None) -> Image.Image:
    """16- and 32-bit grey as 8-bit L (LA with a colour key, matched on the wide values)."""
    wide = image.convert("I")
    # 16-bit samples: scale to 8 bits rather than clip everything above 255 to white.
    grey = wide.point(lambda value: value / 256) if image.mode.startswith("I;16") else wide
    grey = grey.convert("L")
    if key is None:
        return grey
    grey.putalpha(ImageMath.lambda_eval(lambda a: a["convert"]((a["w"] != key) * 255, "L"), w=wide))
    return grey


def _encode_all(image: Image.Image, sizes: tuple[int, ...]) -> tuple[tuple[int, str, bytes], ...]:
    """Shrink step by step from the largest size down, encoding each (largest first)."""
    made = []
    for size in sorted(set(sizes), reverse=True):
        image = image.copy() if made else image
        image.thumbnail((size, size))
        made.append((size, *_encode(image)))
    return tuple(made)


def _encode(image: Image.Image) -> tuple[str, bytes]:
    """JPEG for an opaque image, PNG where there is transparency: (extension, bytes)."""
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA"):
        image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        return ".png", buffer.getvalue()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return ".jpg", buffer.getvalue()


def _write(size: int, extension: str, data: bytes, sha256: str, run_dir: Path) -> Thumbnail:
    """Write one thumbnail atomically; its hash is the encoded bytes'."""
    relative = f"{THUMBNAILS_DIR}/{size}/{sha256}{extension}"
    write_atomic(run_dir / relative, data)
    return Thumbnail(size, relative, sha256_hex(data))


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """Return size scaled to fit in a box x box square (never larger than it is)."""
    scale = min(1.0, box / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def without_thumbnails(saved: Saved, error: ErrorInfo | None) -> ImageResult:
    """The record of a saved original whose thumbnails were not made, and why (None: it
    was not saved either, or did not need them)."""
    return ImageResult(saved.url, saved.path, saved.sha256, saved.size, error=error)


def failed_resize(saved: Saved, exc: BaseException) -> ImageResult:
    """The record of thumbnails whose making raised what nobody expected (or whose worker
    died)."""
    return without_thumbnails(saved, ErrorInfo.internal(exc))


def _not_decoded(data: bytes, exc: BaseException) -> ErrorInfo:
    """Why bytes did not decode: a format we do not rasterise, or a broken image."""
    extension = sniff_extension(data)
    if extension in UNSUPPORTED:
        return ErrorInfo(ErrorKind.UNSUPPORTED_FORMAT, f"{extension[1:]}: not rasterised here")
    if isinstance(exc, UnidentifiedImageError):  # its message would show an object address
        return ErrorInfo(ErrorKind.UNDECODABLE, "not an image in any format read here")
    return ErrorInfo(ErrorKind.UNDECODABLE, describe(exc))
