"""The docs site's image catalogue: small screenshots in every PNG mode, a few JPEGs, icons.

Shares and sizes follow a real software manual (690 pages, 1,960 images): PNG RGB ~30%,
RGBA ~30%, palette ~20%, JPEG ~17%, a few greyscale; the longest side has a median of 300 px
and a 90th percentile of 582 px, 36% are at most 256 px and 13% at most 128 px, from about
64 px up to 1,200 px. A handful of tiny icons, shown on every page, come on top of those.
"""

from __future__ import annotations

import bisect
import math
import random
from types import MappingProxyType

from testsite.plans import ImagePlan, Kind, plan_of
from testsite.spec import SiteSpec

DOCS_VERSION = 1  # bump when this catalogue, painters.py or paint.py changes what a file holds
# Ordered by priority: a site with fewer images than kinds gets the front ones. Every kind
# but FILLER gets its share of the images, at least one; FILLER takes whatever is left.
DOC_KINDS = MappingProxyType(
    {
        "screen_rgb": Kind("PNG", "RGB", "png", 0.30, 1, False),
        "screen_rgba": Kind("PNG", "RGBA", "png", 0.29, 1, False),
        "screen_p": Kind("PNG", "P", "png", 0.12, 1, False),
        "photo": Kind("JPEG", "RGB", "jpg", 0.09, 1, False),  # the photo site's drawing
        "screen_p_clear": Kind("PNG", "P", "png", 0.08, 1, False),  # a transparent index
        "screen_jpeg": Kind("JPEG", "RGB", "jpg", 0.08, 1, False),
        "screen_l": Kind("PNG", "L", "png", 0.02, 1, False),
        "screen_la": Kind("PNG", "LA", "png", 0.02, 1, False),
    }
)
FILLER = "screen_rgb"
ICON_KIND = "icon"
ICON = Kind("PNG", "RGBA", "png", 0.0, 0, False)
# (name, width, height): the theme's icons, the same on every page.
ICONS = (
    ("logo", 120, 36),
    ("home", 20, 20),
    ("search", 20, 20),
    ("up", 16, 16),
    ("previous", 16, 16),
    ("next", 16, 16),
    ("edit", 24, 24),
)
IMAGES_PER_ICON = 10  # a site gets one icon per this many images, up to all of ICONS
# (share of images at most this long, longest side in px): the measured distribution,
# interpolated log-linearly between its points.
LONGEST_SIDE = ((0.0, 64), (0.13, 128), (0.36, 256), (0.5, 300), (0.9, 582), (1.0, 1200))
ASPECTS = ((16 / 10, 4), (4 / 3, 4), (16 / 9, 2), (3 / 2, 2), (1.0, 2), (3 / 4, 2), (3.0, 1))
MIN_SHORT_SIDE = 16


def plan_doc_images(spec: SiteSpec, words: tuple[str, ...]) -> tuple[ImagePlan, ...]:
    """Return the docs site's images in URL order: its icons, then the screenshots."""
    rng = random.Random(f"{spec.seed}:doc-images")
    icons = ICONS[: min(len(ICONS), spec.images // IMAGES_PER_ICON)]
    plans = [_icon_plan(name, width, height, rng) for name, width, height in icons]
    kinds = _kind_list(spec.images - len(icons))
    rng.shuffle(kinds)
    for index, kind in enumerate(kinds):
        size = _fit(_screen_size(rng), spec.max_megapixels)
        name = f"{rng.choice(words)}-{rng.choice(words)}-{index:04d}.{DOC_KINDS[kind].ext}"
        plans.append(plan_of(name, kind, DOC_KINDS[kind], size, None, rng))
    return tuple(plans)


def _kind_list(count: int) -> list[str]:
    """Name the kind of each of count screenshots: the shares, rounded, at least one each."""
    if count < len(DOC_KINDS):
        return list(DOC_KINDS)[:count]
    others = {
        name: max(kind.minimum, round(kind.share * count))
        for name, kind in DOC_KINDS.items()
        if name != FILLER
    }
    chosen = [name for name, number in others.items() for _ in range(number)]
    return [FILLER] * (count - len(chosen)) + chosen


def _screen_size(rng: random.Random) -> tuple[int, int]:
    """Width and height of a screenshot: the longest side as measured, a screen-like aspect."""
    longest = _longest_side(rng.random())
    ratios, weights = zip(*ASPECTS, strict=True)
    ratio = rng.choices(ratios, weights)[0]
    short = max(MIN_SHORT_SIDE, round(longest / max(ratio, 1 / ratio)))
    return (longest, short) if ratio >= 1 else (short, longest)


def _longest_side(share: float) -> int:
    """The longest side at this share of LONGEST_SIDE, log-linear between its points."""
    shares = [point for point, _ in LONGEST_SIDE]
    index = min(max(1, bisect.bisect_left(shares, share)), len(LONGEST_SIDE) - 1)
    (low_share, low), (high_share, high) = LONGEST_SIDE[index - 1], LONGEST_SIDE[index]
    return round(low * (high / low) ** ((share - low_share) / (high_share - low_share)))


def _fit(size: tuple[int, int], max_megapixels: float) -> tuple[int, int]:
    """Scale size down, keeping its aspect, until it holds at most max_megapixels."""
    width, height = size
    scale = min(1.0, math.sqrt(max_megapixels * 1e6 / (width * height)))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _icon_plan(name: str, width: int, height: int, rng: random.Random) -> ImagePlan:
    """The plan of one theme icon."""
    return plan_of(f"icon-{name}.png", ICON_KIND, ICON, (width, height), None, rng)
