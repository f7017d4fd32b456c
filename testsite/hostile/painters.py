"""Make the hostile site's image files: truncated, empty, random and mislabelled ones, a
decompression bomb, and formats from CMYK JPEG to AVIF, ICO and SVG."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from testsite.hostile.catalog import LONG_NAME
from testsite.hostile.pages import html_page

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'


def image_files() -> list[tuple[str, bytes, str]]:
    """Every image the site serves: its path, its bytes and the Content-Type it is sent with."""
    photo = Image.merge("RGB", [Image.effect_noise((240, 160), 40 + i * 9) for i in range(3)])
    jpeg = _encode(photo, "JPEG")
    exif = Image.Exif()
    exif[0x0112] = 6
    palette = photo.convert("P")
    return [
        ("/img/truncated.jpg", jpeg[: len(jpeg) // 3], "image/jpeg"),
        ("/img/empty.jpg", b"", "image/jpeg"),
        ("/img/random.jpg", bytes(range(256)) * 8, "image/jpeg"),
        ("/img/html.jpg", html_page("not an image"), "image/jpeg"),
        ("/img/octet", _encode(photo, "PNG"), "application/octet-stream"),
        ("/img/bomb.png", png_claiming(40_000, 40_000), "image/png"),
        ("/img/cmyk.jpg", _encode(photo.convert("CMYK"), "JPEG"), "image/jpeg"),
        ("/img/16bit.png", _encode(Image.new("I;16", (120, 80), 40_000), "PNG"), "image/png"),
        ("/img/palette-alpha.gif", _encode(palette, "GIF", transparency=0), "image/gif"),
        ("/img/animated.gif", _animated(palette), "image/gif"),
        ("/img/progressive.jpg", _encode(photo, "JPEG", progressive=True), "image/jpeg"),
        ("/img/exif.jpg", _encode(photo, "JPEG", exif=exif), "image/jpeg"),
        ("/img/scan.tif", _encode(photo, "TIFF"), "image/tiff"),
        ("/img/old.bmp", _encode(photo, "BMP"), "image/bmp"),
        ("/img/photo.avif", _encode(photo, "AVIF"), "image/avif"),
        ("/img/favicon.ico", _encode(photo.resize((48, 32)), "ICO"), "image/x-icon"),
        ("/img/drawing.svg", SVG, "image/svg+xml"),
        ("/img/..%2F..%2Fescape.png", _encode(photo.rotate(90), "PNG"), "image/png"),
        ("/etc/passwd.png", _encode(photo.rotate(180), "PNG"), "image/png"),
        (f"/img/{LONG_NAME}.png", _encode(photo.rotate(270), "PNG"), "image/png"),
    ]


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _animated(first: Image.Image) -> bytes:
    frames = [first, first.rotate(90), first.rotate(180)]
    return _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
