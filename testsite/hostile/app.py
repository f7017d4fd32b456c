"""The hostile site: what real crawls meet, each with the outcome a crawler must record.

`python pipeline.py serve --hostile` serves it; tests crawl it under every model. Its home
page links to every trap: malformed and non-UTF-8 HTML, gzip, an enormous page, a body cut
off, a server that never answers or trickles, unfetchable and malformed links, an endless
calendar, redirect chains, loops and escapes, 404/500/429/503, broken and exotic images, and
URLs that try to name files outside the run folder. PAGES and IMAGES say what each must give.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import struct
import zlib
from collections.abc import Callable

from aiohttp import web
from PIL import Image

LONG_NAME = "n" * 300  # longer than any file system allows for one name
# Path -> error kind the crawl must record ("ok" for none). A crawl from / with a 1 s timeout,
# no more than 1 retry and --max-depth 8 gets exactly these.
PAGES = {
    "/": "ok",
    "/malformed": "ok",
    "/ok/malformed-target": "ok",
    "/latin1": "ok",
    "/caf%C3%A9": "ok",
    "/gzip": "ok",
    "/ok/after-gzip": "ok",
    "/enormous": "too_large",
    "/cut": "connection",
    "/silent": "timeout",
    "/trickle": "timeout",
    "/redirect/chain/5": "ok",
    "/redirect/loop": "too_many_redirects",
    "/redirect/away": "offsite_redirect",
    "/status/404": "http",
    "/status/500": "http",
    "/flaky/503": "ok",
    "/flaky/429": "ok",
    "/%C3%BCn%C3%AF.html": "ok",
    **{f"/calendar/{month}": "ok" for month in range(1, 9)},
}
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
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'
NEVER_FETCHED = ("/hidden/comment", "/hidden/script", "/calendar/9", "/etc/passwd")
HITS = web.AppKey("hits", dict)  # path -> requests so far, every path, even unknown ones


def make_hostile_app() -> web.Application:
    """Build the hostile site's aiohttp application."""
    app = web.Application(middlewares=[_count])
    app[HITS] = {}
    for path, data, content_type in _images():
        app.router.add_get(path, _fixed(data, content_type))
    for path, handler in _pages().items():
        app.router.add_get(path, handler)
    return app


def serve_hostile(port: int, announce: Callable[[str], None]) -> None:
    """Serve the hostile site on 127.0.0.1:port until Ctrl-C."""
    runner = web.AppRunner(make_hostile_app(), access_log=None, shutdown_timeout=0.5)

    async def main() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        announce(f"http://127.0.0.1:{runner.addresses[0][1]}")
        try:
            await asyncio.Event().wait()  # until Ctrl-C cancels us
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def _pages() -> dict[str, object]:
    home = _html("".join(f'<a href="{href}">x</a>' for href in _home_links()) + _home_images())
    return {
        "/": _fixed(home, "text/html"),
        "/malformed": _fixed(
            b"<HTML><BODY><P>unclosed<A HREF=/ok/malformed-target>a<DIV>", "text/html"
        ),
        "/ok/malformed-target": _fixed(_html(""), "text/html"),
        "/latin1": _fixed(
            '<a href="/caf\u00e9">x</a>'.encode("latin-1"), "text/html; charset=ISO-8859-1"
        ),
        "/caf\u00e9": _fixed(_html(""), "text/html"),  # the router matches decoded paths
        "/gzip": _gzipped,
        "/ok/after-gzip": _fixed(_html(""), "text/html"),
        "/enormous": _enormous,
        "/cut": _cut_off,
        "/silent": _silent,
        "/trickle": _trickle,
        "/redirect/chain/{n}": _chain,
        "/redirect/loop": _redirect("/redirect/loop"),
        "/redirect/away": _away,
        "/status/500": _status(500),
        "/flaky/{status}": _flaky,
        "/\u00fcn\u00ef.html": _fixed(_html(""), "text/html"),
        "/elsewhere": _fixed(_html(""), "text/html"),  # reached only on another host name
        "/calendar/{month}": _calendar,
        "/ok/redirected": _fixed(_html(""), "text/html"),
    }


def _home_links() -> list[str]:
    trap = [
        "mailto:a@b.c",
        "javascript:void(0)",
        "tel:+1",
        "data:text/html,x",
        "ftp://h/f",
        "file:///etc/passwd",
        "http://[bad/",
        "http://127.0.0.1:99999/",
        "",
        "  ",
        "/" + "x" * 3000,
        "//localhost:1/protocol-relative",
    ]
    pages = [path for path in PAGES if path != "/" and not path.startswith(("/calendar/", "/ok/"))]
    pages = [p for p in pages if p not in ("/caf%C3%A9", "/%C3%BCn%C3%AF.html")]
    return [*trap, *pages, "/calendar/1", "/\u00fcn\u00ef.html"]


def _home_images() -> str:
    images = [path for path in IMAGES if path != "/etc/passwd.png"]
    tags = "".join(f'<img src="{path}">' for path in images)
    comment = '<!-- <a href="/hidden/comment">c</a> -->'
    script = "<script>var s = '<a href=\"/hidden/script\">s</a>';</script>"
    return tags + '<img src="/img/../../../etc/passwd.png">' + comment + script


def _html(body: str) -> bytes:
    return f"<html><body>{body}</body></html>".encode()


def _fixed(data: bytes, content_type: str):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=data, headers={"Content-Type": content_type})

    return handler


def _status(status: int):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status)

    return handler


def _redirect(location: str):
    async def handler(request: web.Request) -> web.Response:
        raise web.HTTPFound(location)

    return handler


async def _chain(request: web.Request) -> web.Response:
    step = int(request.match_info["n"])
    raise web.HTTPFound(f"/redirect/chain/{step - 1}" if step > 0 else "/ok/redirected")


async def _away(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"http://localhost:{request.url.port}/elsewhere")


@web.middleware
async def _count(request: web.Request, handler: Callable) -> web.StreamResponse:
    hits = request.app[HITS]
    hits[request.path] = hits.get(request.path, 0) + 1
    return await handler(request)


async def _flaky(request: web.Request) -> web.Response:
    status = int(request.match_info["status"])
    if request.app[HITS][request.path] == 1:
        return web.Response(status=status, headers={"Retry-After": "1"})
    return web.Response(body=_html(""), content_type="text/html")


async def _calendar(request: web.Request) -> web.Response:
    month = int(request.match_info["month"])  # a trap: there is always a next month
    return web.Response(
        body=_html(f'<a href="/calendar/{month + 1}">next</a>'), content_type="text/html"
    )


async def _gzipped(request: web.Request) -> web.Response:
    response = web.Response(body=_html('<a href="/ok/after-gzip">x</a>'), content_type="text/html")
    response.enable_compression(web.ContentCoding.gzip)
    return response


async def _enormous(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    for _ in range(1600):  # 100 MB if anyone read it all
        await response.write(b"<p>" + b"x" * 65533)
    return response


async def _cut_off(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html", "Content-Length": "9999"})
    await response.prepare(request)
    await response.write(b"<html><body>only the start")
    request.transport.close()  # the rest never comes
    return response


async def _silent(request: web.Request) -> web.Response:
    await asyncio.sleep(3600)
    return web.Response()


async def _trickle(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    for _ in range(60):
        await response.write(b"x")
        await asyncio.sleep(0.2)
    return response


def _images() -> list[tuple[str, bytes, str]]:
    photo = Image.merge("RGB", [Image.effect_noise((240, 160), 40 + i * 9) for i in range(3)])
    jpeg = _encode(photo, "JPEG")
    exif = Image.Exif()
    exif[0x0112] = 6
    palette = photo.convert("P")
    return [
        ("/img/truncated.jpg", jpeg[: len(jpeg) // 3], "image/jpeg"),
        ("/img/empty.jpg", b"", "image/jpeg"),
        ("/img/random.jpg", bytes(range(256)) * 8, "image/jpeg"),
        ("/img/html.jpg", _html("not an image"), "image/jpeg"),
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
