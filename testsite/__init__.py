"""A deterministic local web site to crawl: pages, links, traps and images, all from a seed.

Three sites, each a package of its own, none importing another:

- photos/, the default profile: pages of text and photos under /docs/, /blog/2024/ and
  /shop/, with 8-12 links each, spelled every way a real site spells them, and images of
  every format and mode a crawler meets;
- docs/, `SiteSpec(profile="docs")`: a software manual with a 120-link menu on every page,
  two listings over 1 MB and mostly small PNG screenshots;
- hostile/, `pipeline.py serve --hostile`: every trap, each with the outcome a crawler must
  record.

Both profiles have about 3% of their pages under `/private/`, which robots.txt disallows but
public pages link to, and `/hidden/` pages, served but named only inside HTML comments and
script strings. Off-site links (`https://example.org/`, and `http://localhost:PORT/` for
pages) must not be followed; mailto:, javascript:, tel: and empty hrefs must not be fetched;
some images come from the second host name `localhost` as a CDN.

The modules here are what the two profiles share: spec.py (SiteSpec, ServeOptions), urls.py
and hrefs.py (URLs, and how an href spells one), samples.py (the sample photos and words),
plans.py (an image file to draw), graph.py (the link graph, and the drafting steps both
profiles take), markup.py (the HTML pieces), paint.py and images.py (drawing the files into a
cache). site.py builds a profile's Site from its package; app.py and server.py serve it.

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
