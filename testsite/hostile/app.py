"""The hostile site's aiohttp application, which counts every request, and its foreground server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiohttp import web

from testsite.hostile.handlers import HITS, fixed, page_handlers
from testsite.hostile.painters import image_files


def make_hostile_app() -> web.Application:
    """Build the hostile site's aiohttp application."""
    app = web.Application(middlewares=[_count])
    app[HITS] = {}
    for path, data, content_type in image_files():
        app.router.add_get(path, fixed(data, content_type))
    for path, handler in page_handlers().items():
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


@web.middleware
async def _count(request: web.Request, handler: Callable) -> web.StreamResponse:
    hits = request.app[HITS]
    hits[request.path] = hits.get(request.path, 0) + 1
    return await handler(request)
