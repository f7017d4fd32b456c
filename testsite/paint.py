"""What every site's painters share: their signature, the grain they add, the photo they cut.

A photo is cut from a sample photo, resized, tinted and given fresh grain from the plan's own
seeded generator, so its bytes depend only on the plan and large files are not smooth
upscales. The photo site draws most of its kinds from one (photos/painters.py); the docs site
draws its JPEG photos with paint_photo (docs/painters.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageChops

from testsite.plans import ImagePlan

Sources = Sequence[Image.Image]  # the sample photos: every painter is given them
Painter = Callable[[ImagePlan, Sources, random.Random], Image.Image]
CLEAR_INDEX = 255  # the GIF palette index kept for transparency (the photo site's gif_clear)


def plan_size(plan: ImagePlan) -> tuple[int, int]:
    """The stored width and height of a planned image."""
    return plan.width, plan.height


def add_grain(image: Image.Image, rng: random.Random, amount: int) -> Image.Image:
    """Add uniform luminance grain of +-amount levels, from rng so it is reproducible."""
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    noise = noise.point([128 + (value - 128) * amount // 128 for value in range(256)])
    return ImageChops.add(image, Image.merge("RGB", (noise, noise, noise)), 1.0, -128)


def cut_photo(
    size: tuple[int, int], sources: Sources, rng: random.Random, grain: bool = True
) -> Image.Image:
    """Cut a region of a sample with the target's aspect, resize, tint and add grain."""
    source = rng.choice(sources)
    box = _crop_box(source.size, size[0] / size[1], rng)
    image = source.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=3.0)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = _tint(image, rng)
    if not grain:
        return image
    # Upscaled pictures are smooth; stronger grain gives them a photo's fine detail back.
    upscale = max(1.0, size[0] / (box[2] - box[0]))
    return add_grain(image, rng, round(5 + 4 * (upscale - 1)))


def _crop_box(
    source: tuple[int, int], aspect: float, rng: random.Random
) -> tuple[float, float, float, float]:
    """A random box inside source with the given aspect, 60-100% of the largest that fits."""
    width, height = source
    box_width = min(width, height * aspect) * rng.uniform(0.6, 1.0)
    box_height = box_width / aspect
    left = rng.uniform(0, width - box_width)
    top = rng.uniform(0, height - box_height)
    return left, top, left + box_width, top + box_height


def _tint(image: Image.Image, rng: random.Random) -> Image.Image:
    """Shift the colour balance a little, so two cuts of one sample differ."""
    table = []
    for _ in range(3):
        gain = rng.uniform(0.85, 1.15)
        table += [min(255, int(value * gain)) for value in range(256)]
    return image.point(table)


def paint_photo(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """An RGB photo (JPEG or WebP)."""
    return cut_photo(plan_size(plan), sources, rng)
