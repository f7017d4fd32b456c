"""How each of the hostile site's paths answers: fixed bodies, redirects, error statuses, a
gzip body, an endless page, a body cut off, silence and a trickle."""

from __future__ import annotations

import asyncio

from aiohttp import web

from testsite.hostile.pages import home_page, html_page

HITS = web.AppKey("hits", dict)  # path -> requests so far, every path, even unknown ones


def page_handlers() -> dict[str, object]:
    """Path (as aiohttp's router matches it) -> the handler answering it."""
    return {
        "/": fixed(home_page(), "text/html"),
        "/malformed": fixed(
            b"<HTML><BODY><P>unclosed<A HREF=/ok/malformed-target>a<DIV>", "text/html"
        ),
        "/ok/malformed-target": fixed(html_page(""), "text/html"),
        "/latin1": fixed(
            '<a href="/caf\u00e9">x</a>'.encode("latin-1"), "text/html; charset=ISO-8859-1"
        ),
        "/caf\u00e9": fixed(html_page(""), "text/html"),  # the router matches decoded paths
        "/gzip": _gzipped,
        "/ok/after-gzip": fixed(html_page(""), "text/html"),
        "/enormous": _enormous,
        "/cut": _cut_off,
        "/silent": _silent,
        "/trickle": _trickle,
        "/redirect/chain/{n}": _chain,
        "/redirect/loop": _redirect("/redirect/loop"),
        "/redirect/away": _away,
        "/status/500": _status(500),
        "/flaky/{status}": _flaky,
        "/\u00fcn\u00ef.html": fixed(html_page(""), "text/html"),
        "/elsewhere": fixed(html_page(""), "text/html"),  # reached only on another host name
        "/calendar/{month}": _calendar,
        "/ok/redirected": fixed(html_page(""), "text/html"),
    }


def fixed(data: bytes, content_type: str):
    """A handler that always answers data with content_type."""

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


async def _flaky(request: web.Request) -> web.Response:
    status = int(request.match_info["status"])
    if request.app[HITS][request.path] == 1:
        return web.Response(status=status, headers={"Retry-After": "1"})
    return web.Response(body=html_page(""), content_type="text/html")


async def _calendar(request: web.Request) -> web.Response:
    month = int(request.match_info["month"])  # a trap: there is always a next month
    return web.Response(
        body=html_page(f'<a href="/calendar/{month + 1}">next</a>'), content_type="text/html"
    )


async def _gzipped(request: web.Request) -> web.Response:
    response = web.Response(
        body=html_page('<a href="/ok/after-gzip">x</a>'), content_type="text/html"
    )
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
