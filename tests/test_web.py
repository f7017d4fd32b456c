"""Pages as browsers see them, on every model: cookies kept, refreshes followed, every kind of
redirect, and raw non-ASCII links in old encodings requested as a browser requests them."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from urllib.parse import quote, urlsplit

import psutil
import pytest
from aiohttp import web

from crawler.fetch_async import OFF_LOOP_BYTES
from crawler.http import FetchLimits
from errors import ErrorKind
from models.registry import MODELS
from tests.conftest import MiniSite, serving
from tests.test_crawl import crawl


def test_a_session_cookie_with_a_redirect_to_itself_does_not_loop(
    mini_site: MiniSite, model: str
) -> None:
    async def gate(request: web.Request) -> web.Response:
        if request.cookies.get("session") != "yes":
            response = web.HTTPFound("/")  # the usual 'set the cookie, then come back'
            response.set_cookie("session", "yes")
            raise response
        return web.Response(text='<a href="/inside">in</a>', content_type="text/html")

    async def inside(request: web.Request) -> web.Response:
        text = "welcome" if request.cookies.get("session") == "yes" else "who are you?"
        return web.Response(text=text, content_type="text/html")

    mini_site.add("/", gate)
    mini_site.add("/inside", inside)
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, concurrency=1, limits=FetchLimits(retries=0))
    assert result.pages["/"].ok, result.pages["/"].error
    assert mini_site.hits["/"] == 2  # once to get the cookie, once with it
    assert result.pages["/inside"].ok


def test_a_meta_refresh_is_followed(mini_site: MiniSite, model: str) -> None:
    mini_site.add(
        "/",
        _html('<meta http-equiv="refresh" content="0; url=/moved/here">'),
    )
    mini_site.add_page("/moved/here")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    assert set(result.pages) == {"/", "/moved/here"}


def _html(text: str):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    return handler


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_every_redirect_status_is_followed(mini_site: MiniSite, model: str, status: int) -> None:
    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": "target"})  # relative

    mini_site.add_page("/", links=["/dir/old"])
    mini_site.add("/dir/old", moved)
    mini_site.add_page("/dir/target")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, limits=FetchLimits(retries=0))
    assert result.pages["/dir/old"].final_url == f"{origin}/dir/target"
    assert mini_site.hits["/dir/target"] == 1


@pytest.mark.parametrize(
    ("location", "lands_on"),
    [
        ("/with space.html", "/with%20space.html"),
        ("/page.html#section", "/page.html"),
        ("../up.html", "/up.html"),
    ],
)
def test_a_location_with_spaces_fragments_or_dots_is_resolved(
    mini_site: MiniSite, model: str, location: str, lands_on: str
) -> None:
    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": location})

    mini_site.add("/dir/old", moved)
    mini_site.add_page("/", links=["/dir/old"])
    for path in ("/with space.html", "/page.html", "/up.html"):
        mini_site.add_page(path)
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, limits=FetchLimits(retries=0))
    page = result.pages["/dir/old"]
    assert page.ok, page.error
    assert page.final_url == origin + lands_on


def test_a_redirect_loop_is_an_error_not_a_hang(mini_site: MiniSite, model: str) -> None:
    async def loop(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/"})

    mini_site.add("/", loop)
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, limits=FetchLimits(retries=0, max_redirects=3))
    assert result.pages["/"].error.kind == ErrorKind.TOO_MANY_REDIRECTS


@pytest.mark.parametrize(("charset", "codec"), [("shift_jis", "cp932"), ("latin1", "cp1252")])
def test_raw_non_ascii_links_are_requested_as_a_browser_requests_them(
    mini_site: MiniSite, model: str, charset: str, codec: str
) -> None:
    word = "日本語" if codec == "cp932" else "café"
    body = f'<a href="/{word}.html">x</a>'.encode(codec)

    async def home(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset=charset)

    mini_site.add("/", home)
    mini_site.add_page(f"/{word}.html")  # aiohttp routes on the decoded path
    with serving(mini_site.app) as origin:
        result = crawl(origin, model)
    path = quote(word)  # UTF-8, percent-encoded: what a browser puts on the wire
    assert f"/{path}.html" in result.pages and result.pages[f"/{path}.html"].ok


def big_index(links: int) -> str:
    """An index page over OFF_LOOP_BYTES: a long table of contents, as documentation has."""
    entries = "".join(
        f'<li><a href="/p/{n}.html">Chapter {n}: {"a long and wordy title " * 12}</a></li>'
        for n in range(links)
    )
    html = f"<html><body><ul>{entries}</ul><img src='/i.png'></body></html>"
    assert len(html.encode()) > OFF_LOOP_BYTES
    return html


def test_a_huge_index_page_is_parsed_like_any_other(mini_site: MiniSite, model: str) -> None:
    mini_site.add("/", _html(big_index(1000)))
    for n in range(1000):
        mini_site.add_page(f"/p/{n}.html")
    mini_site.add_bytes("/i.png", b"not really a png", "image/png")
    with serving(mini_site.app) as origin:
        result = crawl(origin, model, concurrency=16)
    assert result.pages["/"].ok
    assert set(result.pages) == {"/", *(f"/p/{n}.html" for n in range(1000))}
    assert list(result.images) == [f"{origin}/i.png"]


def test_the_asyncio_crawl_parses_a_huge_page_in_another_process(mini_site: MiniSite) -> None:
    # On the loop's thread, or in a thread holding the GIL, a page of thousands of links
    # stalls every request in flight.
    mini_site.add("/", _html(big_index(1000)))
    mini_site.add_page("/small", [f"/p/{n}.html" for n in range(1000)])
    me = psutil.Process()
    before = {child.pid for child in me.children()}

    async def children_after(path: str, origin: str) -> tuple[set[int], int]:
        async with AsyncExitStack() as stack:
            fetcher = await MODELS["asyncio"].open_fetcher(4, FetchLimits(retries=0), stack)
            page, _ = await fetcher.page(f"{origin}{path}", 0, urlsplit(origin).netloc)
            return {child.pid for child in me.children()} - before, len(page.links)

    with serving(mini_site.app) as origin:
        small_children, small_links = asyncio.run(children_after("/small", origin))
        big_children, big_links = asyncio.run(children_after("/", origin))
    assert (small_links, big_links) == (1000, 1000)
    assert small_children == set()  # a small page: parsed on the loop, no process started
    assert len(big_children) == 1
    assert not {child.pid for child in me.children()} - before  # gone with the crawl
