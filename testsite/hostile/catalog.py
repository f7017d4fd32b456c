"""The hostile site's images: each broken or exotic file it serves, and the outcome a crawl
must record for it."""

from __future__ import annotations

LONG_NAME = "n" * 300  # longer than any file system allows for one name
# Path -> error kind the crawl must record ("ok" for none).
IMAGES = {
    "/img/truncated.jpg": "undecodable",
    "/img/empty.jpg": "undecodable",
    "/img/random.jpg": "undecodable",
    "/img/html.jpg": "undecodable",
    "/img/octet": "ok",
    "/img/bomb.png": "decompression_bomb",
    "/img/cmyk.jpg": "ok",
    "/img/16bit.png": "ok",
    "/img/palette-alpha.gif": "ok",
    "/img/animated.gif": "ok",
    "/img/progressive.jpg": "ok",
    "/img/exif.jpg": "ok",
    "/img/scan.tif": "ok",
    "/img/old.bmp": "ok",
    "/img/photo.avif": "ok",
    "/img/favicon.ico": "ok",
    "/img/drawing.svg": "unsupported_format",
    "/img/..%2F..%2Fescape.png": "ok",
    "/etc/passwd.png": "ok",  # what /img/../../../etc/passwd.png normalises to
    f"/img/{LONG_NAME}.png": "ok",
}
