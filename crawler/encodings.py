"""The content codings the crawl asks for: those both HTTP clients decode here.

Browsers and Scrapy send `Accept-Encoding: gzip, deflate, br, zstd`, and sites and CDNs
serve smaller bodies to clients that ask. aiohttp and urllib3 (under requests) decode gzip
and deflate themselves, Brotli with the `brotli` (or `brotlicffi`) package and Zstandard with
`backports.zstd` (the standard library's `compression.zstd` from Python 3.14): both import
exactly these, so what is installed decides for both, and every model asks for the same.
A body in a coding that was not asked for is not decoded here: it is an error
(crawler.http.unasked_coding).
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

BROTLI_MISSING = (
    "not asking for br (Brotli): the brotli package is not installed "
    "(pip install -e '.[brotli]'; on a free-threaded build it would turn the GIL back on)"
)


def _installed(*modules: str) -> bool:
    """True when any of modules can be imported."""
    for module in modules:
        try:
            if find_spec(module) is not None:
                return True
        except ModuleNotFoundError:  # its parent package is missing
            continue
    return False


def decodable() -> tuple[str, ...]:
    """The content codings aiohttp and urllib3 both decode with what is installed."""
    codings = ["gzip", "deflate"]
    if _installed("brotlicffi", "brotli"):
        codings.append("br")
    if _installed("compression.zstd" if sys.version_info >= (3, 14) else "backports.zstd"):
        codings.append("zstd")
    return tuple(codings)


CODINGS = decodable()
ACCEPT_ENCODING = ", ".join(CODINGS)
