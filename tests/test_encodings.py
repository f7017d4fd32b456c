"""Content codings on every crawl model: asked for as browsers ask, decoded, and capped while
decoding, so a compressed bomb costs no more memory than the size limit."""

from __future__ import annotations

import tracemalloc
import zlib
from collections.abc import Callable
from functools import cache

import brotli
import pytest
from aiohttp import web
from backports import zstd

from crawler.encodings import ACCEPT_ENCODING, decodable
from crawler.http import FetchLimits
from errors import ErrorKind
from tests.conftest import MiniSite, photo_bytes, serving
from tests.test_crawl import crawl

SENT_CODINGS = ("gzip", "deflate", "br", "zstd")  # what the test servers send
BOMB_BYTES = 256 * 1024 * 1024  # of zeros: a few kB to a megabyte once compressed
CAP = 4 * 1024 * 1024  # more than the largest bomb compressed: read, then refused


def compressor(coding: str) -> Callable[[bytes], bytes]:
    """A one-shot compressor for coding, as servers and CDNs encode bodies."""
    if coding == "br":
        return lambda data: brotli.compress(data, quality=5)
    if coding == "zstd":
        return lambda data: zstd.compress(data)
    wbits = 31 if coding == "gzip" else 15  # HTTP's deflate is zlib-wrapped
    return lambda data: _zlib(data, wbits)


def _zlib(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


@cache
def bomb(coding: str) -> bytes:
    """BOMB_BYTES of zeros compressed, made a megabyte at a time."""
    zeros = bytes(1 << 20)
    if coding == "br":
        packer = brotli.Compressor(quality=1)
        return b"".join(packer.process(zeros) for _ in range(256)) + packer.finish()
    if coding == "zstd":
        packer = zstd.ZstdCompressor(level=1)
        return b"".join(packer.compress(zeros) for _ in range(256)) + packer.flush()
    packer = zlib.compressobj(1, zlib.DEFLATED, 31 if coding == "gzip" else 15)
    return b"".join(packer.compress(zeros) for _ in range(256)) + packer.flush()


def coded(site: MiniSite, path: str, body: bytes, coding: str, content_type: str) -> None:
    """Serve body, already encoded in coding, at path."""

    async def handler(request: web.Request) -> web.Response:
        headers = {"Content-Encoding": coding, "Content-Type": content_type}
        return web.Response(body=body, headers=headers)

    site.add(path, handler)


def test_every_model_asks_for_the_codings_browsers_ask_for() -> None:
    assert ACCEPT_ENCODING == "gzip, deflate, br, zstd"  # brotli and zstd installed here


def test_every_coding_is_asked_for_and_decoded(mini_site: MiniSite, model: str) -> None:
    image = photo_bytes((64, 48), "PNG")
    mini_site.add_page("/", links=[f"/{coding}.html" for coding in SENT_CODINGS])
    for coding in SENT_CODINGS:
        page = f'<a href="/after-{coding}">x</a><img src="/{coding}.png">'.encode()
        coded(mini_site, f"/{coding}.html", compressor(coding)(page), coding, "text/html")
        coded(mini_site, f"/{coding}.png", compressor(coding)(image), coding, "image/png")
        mini_site.add_page(f"/after-{coding}")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    assert mini_site.accept_encodings == [ACCEPT_ENCODING] * sum(mini_site.hits.values())
    for coding in SENT_CODINGS:
        assert result.pages[f"/{coding}.html"].ok
        assert f"/after-{coding}" in result.pages  # the decoded page's link was followed
        assert result.images[f"{origin}/{coding}.png"].body == image


def test_a_coding_not_asked_for_is_an_error_not_bytes(mini_site: MiniSite, model: str) -> None:
    mini_site.add_page("/", links=["/compress.html", "/twice.html"])
    coded(mini_site, "/compress.html", b"\x1f\x9d\x90<a href=/x>", "compress", "text/html")
    twice = compressor("gzip")(compressor("gzip")(b'<a href="/y">y</a>'))
    coded(mini_site, "/twice.html", twice, "gzip, gzip", "text/html")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    for path in ("/compress.html", "/twice.html"):
        error = result.pages[path].error
        assert error is not None and error.kind == ErrorKind.UNDECODABLE, path
    assert {"/x", "/y"}.isdisjoint(mini_site.hits)


@pytest.mark.parametrize("coding", SENT_CODINGS)
def test_a_compressed_bomb_stops_at_the_size_cap(
    mini_site: MiniSite, model: str, coding: str
) -> None:
    mini_site.add_page("/", links=["/bomb.html"], images=["/bomb.png"])
    coded(mini_site, "/bomb.html", bomb(coding), coding, "text/html")
    coded(mini_site, "/bomb.png", bomb(coding), coding, "image/png")
    limits = FetchLimits(timeout_s=10, retries=0, max_bytes=CAP, max_page_bytes=CAP)
    with serving(mini_site.app) as origin:
        tracemalloc.start()
        try:
            result = crawl(origin, model, limits=limits)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.pages["/bomb.html"].error.kind == ErrorKind.TOO_LARGE
    assert result.images[f"{origin}/bomb.png"].error.kind == ErrorKind.TOO_LARGE
    # Read here (or, for processes, in workers that run the same code): never decoded whole.
    assert peak < 4 * CAP + 4 * len(bomb(coding))


def test_the_codings_asked_for_are_those_both_clients_decode() -> None:
    from aiohttp.compression_utils import HAS_BROTLI, HAS_ZSTD
    from urllib3.util.request import ACCEPT_ENCODING as URLLIB3_DECODES

    aiohttp_decodes = {"gzip", "deflate"}
    aiohttp_decodes |= {"br"} if HAS_BROTLI else set()
    aiohttp_decodes |= {"zstd"} if HAS_ZSTD else set()
    assert set(decodable()) == aiohttp_decodes & set(URLLIB3_DECODES.split(","))
