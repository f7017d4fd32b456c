"""A deterministic local web site to crawl: pages, links, traps and images, all from a seed.

The site (`build_site`) has `SiteSpec.pages` pages under `/`, `/docs/`, `/blog/2024/`,
`/shop/` and a few at the top level, each with 8-12 links spelled every way a real site
spells them: relative, root-relative, absolute with the request's own origin, upper-case
scheme and host, with #fragments, './' and '../' segments, percent-encoded, and one page
resolving against `<base href="/docs/">`. About 3% of pages live under `/private/`, which
robots.txt disallows but public pages link to; `/hidden/` pages are served but named only
inside HTML comments and script strings. Off-site links (`https://example.org/`, and
`http://localhost:PORT/` for pages) must not be followed; mailto:, javascript:, tel: and
empty hrefs must not be fetched. Pages show `SiteSpec.images` files under `/img/` with
<img src>, srcset (1x/2x and 640w/1280w) and <picture>, some from the second host name
`localhost` as a CDN: JPEG photos up to `max_megapixels` (greyscale, CMYK and EXIF-rotated
ones too), PNG with alpha (RGBA, LA) and 16-bit grey, palette GIF and WebP.

That is the default profile, "photos". `SiteSpec(profile="docs")` builds a software manual
instead (docs/): the same menu of up to 120 links on every page, a breadcrumb, previous
and next links, two listings over 1 MB (/genindex-all.html, /contents.html), and mostly
small PNG screenshots (RGB, RGBA, palette with and without a clear index, a few greyscale),
some JPEGs, and icons shown on every page, sized as a real manual's are (docs/catalog.py).
It keeps the photo site's robots.txt, /private/ and /hidden/ pages and link spellings, and
draws its images into a cache folder of its own.

`Site.expected_page_urls(origin)` and `expected_image_urls(origin)` say what a correct
crawl from `origin/` finds, in either profile. Serve it with `running_site` (this event
loop), `site_process` (a process of its own) or `serve_forever` (foreground, for
`pipeline.py serve`); `ServeOptions` adds latency, jitter and transient 503s.
"""

from __future__ import annotations

import importlib
from typing import Any

from testsite.spec import PROFILES, ServeOptions, SiteSpec

# Loaded on first use: the server needs aiohttp and the site Pillow, slow imports that a
# command reading only SiteSpec's defaults (every --help) should not pay for.
_LAZY = {
    "ImageInfo": "testsite.plans",
    "Site": "testsite.site",
    "build_site": "testsite.site",
    "running_site": "testsite.server",
    "serve_forever": "testsite.server",
    "site_process": "testsite.server",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'testsite' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = [
    "PROFILES",
    "ImageInfo",
    "ServeOptions",
    "Site",
    "SiteSpec",
    "build_site",
    "running_site",
    "serve_forever",
    "site_process",
]
