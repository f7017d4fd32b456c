"""Draw the photo site's pictures: photos in every mode and format a crawler meets.

Each is cut from a sample photo (paint.py), then turned sideways for its EXIF tag, made grey,
CMYK or 16-bit, given a soft alpha edge, or reduced to a palette with a clear index.
"""

from __future__ import annotations

import random
from types import MappingProxyType

from PIL import Image, ImageDraw, ImageOps

from testsite.paint import CLEAR_INDEX, Painter, Sources, cut_photo, paint_photo, plan_size
from testsite.plans import ImagePlan

# Pillow's transpose that turns the upright picture into what is stored under each tag;
# a viewer applying the tag undoes it and shows the picture upright.
_STORED_FROM_UPRIGHT = MappingProxyType(
    {
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,
        8: Image.Transpose.ROTATE_270,
    }
)


def _alpha_mask(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """An opaque centre fading to clear corners, with a clear hole somewhere inside."""
    mask = ImageOps.invert(Image.radial_gradient("L")).resize(size)
    mask = mask.point([min(255, value * 2) for value in range(256)])
    width, height = size
    x, y = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    radius = min(width, height) * rng.uniform(0.05, 0.15)
    ImageDraw.Draw(mask).ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return mask


def _paint_exif(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A photo stored sideways or upside down, to be shown upright by its EXIF tag."""
    width, height = plan_size(plan)
    upright = (width, height) if plan.orientation == 3 else (height, width)
    return cut_photo(upright, sources, rng).transpose(_STORED_FROM_UPRIGHT[plan.orientation])


def _paint_grey(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A greyscale photo."""
    return cut_photo(plan_size(plan), sources, rng).convert("L")


def _paint_cmyk(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A photo separated for print, as a CMYK JPEG."""
    return cut_photo(plan_size(plan), sources, rng).convert("CMYK")


def _paint_rgba(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A cut-out photo with a soft alpha edge (PNG or WebP)."""
    image = cut_photo(plan_size(plan), sources, rng, grain=False)
    image.putalpha(_alpha_mask(image.size, rng))
    return image


def _paint_la(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A greyscale cut-out with alpha."""
    image = cut_photo(plan_size(plan), sources, rng, grain=False).convert("L")
    image.putalpha(_alpha_mask(image.size, rng))
    return image


def _paint_i16(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A 16-bit greyscale picture, as scientific and medical PNGs are."""
    grey = cut_photo(plan_size(plan), sources, rng, grain=False).convert("L").convert("I")
    return grey.point(lambda value: value * 257).convert("I;16")


def _paint_gif(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A palette picture of 32-256 colours."""
    colours = rng.choice((32, 64, 128, 256))
    return cut_photo(plan_size(plan), sources, rng, grain=False).quantize(colours)


def _paint_gif_clear(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A palette picture whose last index is transparent, used only by the clear parts."""
    image = cut_photo(plan_size(plan), sources, rng, grain=False).quantize(CLEAR_INDEX)
    palette = (image.getpalette() or [])[: 3 * CLEAR_INDEX]
    image.putpalette(palette + [0] * (768 - len(palette)))
    clear = _alpha_mask(image.size, rng).point(lambda value: 255 if value < 64 else 0)
    image.paste(CLEAR_INDEX, mask=clear)
    return image


# Image kind -> painter, for the kinds of catalog.py.
PAINTERS: MappingProxyType[str, Painter] = MappingProxyType(
    {
        "photo": paint_photo,
        "exif": _paint_exif,
        "grey": _paint_grey,
        "cmyk": _paint_cmyk,
        "rgba": _paint_rgba,
        "la": _paint_la,
        "i16": _paint_i16,
        "gif": _paint_gif,
        "gif_clear": _paint_gif_clear,
        "webp": paint_photo,
        "webp_alpha": _paint_rgba,
    }
)
