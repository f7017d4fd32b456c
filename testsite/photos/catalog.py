"""The photo site's image catalogue: which files it has and what each one is (pure data from a
seed): plain RGB photos mostly, and every other kind a crawler meets, a few of each."""

from __future__ import annotations

import math
import random
from types import MappingProxyType

from testsite.plans import ImagePlan, Kind, plan_of
from testsite.spec import SiteSpec

# Names the photo site's image cache: bump whenever this catalogue, painters.py or paint.py
# changes what a file holds (the docs site has its own, docs/catalog.py's DOCS_VERSION).
GENERATOR_VERSION = 1
# Ordered by priority: a site with few images gets one of each kind, front first.
# Plain RGB photos are not listed: they take whatever share the other kinds leave.
KINDS = MappingProxyType(
    {
        "webp_alpha": Kind("WEBP", "RGBA", "webp", 0.04, 1, False),
        "rgba": Kind("PNG", "RGBA", "png", 0.08, 2, False),
        "gif_clear": Kind("GIF", "P", "gif", 0.03, 1, False),  # has a transparent index
        "exif": Kind("JPEG", "RGB", "jpg", 0.05, 3, True),  # one per orientation 3, 6, 8
        "grey": Kind("JPEG", "L", "jpg", 0.05, 1, True),
        "cmyk": Kind("JPEG", "CMYK", "jpg", 0.0, 2, True),
        "i16": Kind("PNG", "I;16", "png", 0.0, 2, False),
        "la": Kind("PNG", "LA", "png", 0.0, 2, False),
        "webp": Kind("WEBP", "RGB", "webp", 0.04, 1, False),
        "gif": Kind("GIF", "P", "gif", 0.03, 1, False),
    }
)
PHOTO = Kind("JPEG", "RGB", "jpg", 0.0, 0, True)
ORIENTATIONS = (3, 6, 8)
ASPECTS = ((4 / 3, 5), (3 / 2, 4), (16 / 9, 2), (1.0, 1), (3 / 4, 2), (2 / 3, 2))  # (ratio, weight)
MIN_PHOTOS_SHARE = 1 / 3  # whatever the count, at least this share stays plain photos


def plan_images(spec: SiteSpec, words: tuple[str, ...]) -> tuple[ImagePlan, ...]:
    """Return the site's images in URL order, deterministic from spec."""
    rng = random.Random(f"{spec.seed}:images")
    kinds = _kind_list(spec.images)
    rng.shuffle(kinds)
    photo_count = sum(1 for kind in kinds if _kind(kind).photo_sized)
    ranges = _photo_ranges(photo_count, spec.max_megapixels)
    rng.shuffle(ranges)
    graphic = (min(0.1, spec.max_megapixels / 2), min(1.0, spec.max_megapixels))
    orientations = iter(ORIENTATIONS * spec.images)
    plans = []
    for index, kind in enumerate(kinds):
        megapixel_range = ranges.pop() if _kind(kind).photo_sized else graphic
        orientation = next(orientations) if kind == "exif" else None
        plans.append(_plan(index, kind, megapixel_range, orientation, words, rng))
    return tuple(plans)


def _kind(name: str) -> Kind:
    """Look a kind up by name, plain photos included."""
    return KINDS.get(name, PHOTO)


def _kind_list(count: int) -> list[str]:
    """Name the kind of each of count images, round-robin over KINDS so small sites get variety."""
    wanted = {name: max(kind.minimum, round(kind.share * count)) for name, kind in KINDS.items()}
    budget = count - math.ceil(count * MIN_PHOTOS_SHARE)
    chosen: list[str] = []
    for round_number in range(max(wanted.values(), default=0)):
        chosen += [name for name, number in wanted.items() if number > round_number]
    chosen = chosen[: max(0, budget)]
    return chosen + ["photo"] * (count - len(chosen))


def _photo_ranges(count: int, max_mp: float) -> list[tuple[float, float]]:
    """Megapixel ranges for count photos: about 3% large, 12% medium, the rest 0.3-3 MP."""
    large = round(count * 0.03) if max_mp >= 8 else 0
    medium = round(count * 0.12) if max_mp > 3 else 0
    small = (min(0.3, max_mp / 2), min(3.0, max_mp))
    return (
        [(8.0, min(12.0, max_mp))] * large
        + [(3.0, min(8.0, max_mp))] * medium
        + [small] * (count - large - medium)
    )


def _plan(
    index: int,
    kind: str,
    megapixel_range: tuple[float, float],
    orientation: int | None,
    words: tuple[str, ...],
    rng: random.Random,
) -> ImagePlan:
    """Draw the random details of one image."""
    low, high = megapixel_range
    megapixels = math.exp(rng.uniform(math.log(low), math.log(high)))  # log-uniform: more small
    ratios, weights = zip(*ASPECTS, strict=True)
    width, height = _size(megapixels, rng.choices(ratios, weights)[0])
    spec = _kind(kind)
    name = f"{rng.choice(words)}-{rng.choice(words)}-{index:03d}.{spec.ext}"
    return plan_of(name, kind, spec, (width, height), orientation, rng)


def _size(megapixels: float, aspect: float) -> tuple[int, int]:
    """Width and height with the given aspect whose product never exceeds megapixels."""
    width = max(1, int(math.sqrt(megapixels * 1e6 * aspect)))
    return width, max(1, int(width / aspect))
