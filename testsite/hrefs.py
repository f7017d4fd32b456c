"""How one URL is spelled in an href: the styles a page mixes, and the origin placeholders.

Pages are rendered once with placeholders where an absolute URL needs the origin; the server
replaces them with the origin each request came in on, so absolute links point back to it.
"""

from __future__ import annotations

import posixpath
import random

from testsite.urls import encode_path

ORIGIN = "@@origin@@"  # http://127.0.0.1:PORT as the request came in
ORIGIN_UPPER = "@@ORIGIN@@"  # the same, upper-cased: HTTP://127.0.0.1:PORT
ALT = "@@alt@@"  # the other loopback name: http://localhost:PORT
ALT_UPPER = "@@ALT@@"  # HTTP://LOCALHOST:PORT
# (style, weight): how often a link to a page, or a reference to an image, is spelled so.
PAGE_STYLES = (
    ("relative", 28),  # guide/x.html, ../shop/y.html
    ("root", 22),  # /docs/guide/x.html
    ("absolute", 12),  # http://127.0.0.1:PORT/docs/guide/x.html
    ("upper", 6),  # HTTP://127.0.0.1:PORT/docs/guide/x.html
    ("fragment", 12),  # guide/x.html#section
    ("dotted", 10),  # ./x.html, /docs/../docs/guide/x.html
    ("overshoot", 4),  # ../../../../docs/guide/x.html: extra '..' stop at the root
    ("encoded", 6),  # /docs/guide/r%C3%A9sum%C3%A9%20tips.html
)
IMAGE_STYLES = (
    ("relative", 30),
    ("root", 26),
    ("absolute", 12),
    ("upper", 6),
    ("dotted", 10),
    ("encoded", 6),
    ("alt", 8),  # the 'CDN': http://localhost:PORT/img/x.jpg
    ("alt_upper", 2),  # HTTP://LOCALHOST:PORT/img/x.jpg
)
OFF_HOST_STYLES = frozenset({"alt", "alt_upper"})  # spelled with the other host name
FRAGMENTS = ("top", "intro", "details", "comments", "section-2", "faq")


def choose_style(rng: random.Random, styles: tuple[tuple[str, int], ...]) -> str:
    """Pick a spelling style by weight."""
    names, weights = zip(*styles, strict=True)
    return rng.choices(names, weights)[0]


def spell(target: str, from_dir: str, style: str, rng: random.Random) -> str:
    """Write the decoded path target as an href in style, for a page whose base is from_dir."""
    if style == "relative":
        return relative(target, from_dir)
    if style == "root":
        return target
    if style == "encoded":
        return encode_path(target)
    if style == "fragment":
        return f"{relative(target, from_dir)}#{rng.choice(FRAGMENTS)}"
    if style == "dotted":
        return _dotted(target, from_dir, rng)
    if style == "overshoot":
        return "../" * (from_dir.count("/") + 1) + target.removeprefix("/")
    prefix = {"absolute": ORIGIN, "upper": ORIGIN_UPPER, "alt": ALT, "alt_upper": ALT_UPPER}
    return prefix[style] + target


def relative(target: str, from_dir: str) -> str:
    """Return the shortest relative reference from directory from_dir to target."""
    path = posixpath.relpath(target, from_dir)
    if not target.endswith("/"):
        return path
    return "./" if path == "." else path + "/"


def _dotted(target: str, from_dir: str, rng: random.Random) -> str:
    """Spell target with '.' or '..' segments that resolve away."""
    path = relative(target, from_dir)
    if not path.startswith("../") and path != "./" and rng.random() < 0.5:
        return "./" + path
    first, _, rest = target.removeprefix("/").partition("/")
    if not rest:  # a top-level page: only '.' fits
        return "/." + target
    return f"/{first}/../{first}/./{rest}"
