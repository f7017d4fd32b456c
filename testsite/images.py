"""Draw the catalogue's image files into a cache folder, reusing the ones already there.

Every photo is cut from a sample photo, resized, tinted and given fresh grain from its own
seeded generator, so the bytes depend only on the plan and large files are not smooth
upscales; the docs profile's screenshots and icons are drawn by docs/painters.py. Files are
written to a temporary name and renamed into place: an interrupted run never leaves a
truncated file that a later run would take for a finished one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import MappingProxyType

from PIL import Image, ImageDraw, ImageOps

from testsite.docs.painters import PAINTERS as SCREENSHOT_PAINTERS
from testsite.paint import Painter, Sources, add_grain, plan_size
from testsite.plans import ImagePlan
from testsite.spec import SiteSpec

LOGGER = logging.getLogger(__name__)
# The photo profile's: bump when photos/catalog.py or the drawing here changes what a file holds.
# (The docs profile has its own, docs/catalog.py's DOCS_VERSION; its JPEG photos are drawn here.)
GENERATOR_VERSION = 1
# Pillow's transpose that turns the upright picture into what is stored under each tag;
# a viewer applying the tag undoes it and shows the picture upright.
_STORED_FROM_UPRIGHT = MappingProxyType(
    {
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,
        8: Image.Transpose.ROTATE_270,
    }
)
_EXIF_ORIENTATION = 0x0112
_CLEAR_INDEX = 255  # the GIF palette index kept for transparency


def image_dir(cache_dir: Path, spec: SiteSpec, family: str) -> Path:
    """Return spec's image cache folder: one per family (profile and version) and image set."""
    key = f"{family}-seed{spec.seed}-n{spec.images}-mp{spec.max_megapixels:g}"
    return cache_dir / f"images-{key}"


def ensure_images(
    plans: Sequence[ImagePlan], directory: Path, samples: Sequence[Path], workers: int = 0
) -> int:
    """Draw every planned file missing from directory; return how many were drawn."""
    missing = [plan for plan in plans if not (directory / plan.name).is_file()]
    if not missing:
        return 0
    directory.mkdir(parents=True, exist_ok=True)
    LOGGER.info("Drawing %d test-site images into %s", len(missing), directory)
    sources = [_load_rgb(path) for path in samples]
    # Biggest first, so no large file is left running alone at the end.
    missing.sort(key=lambda plan: plan.megapixels, reverse=True)
    # Threads suffice: Pillow releases the GIL while it resizes and encodes.
    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        futures = [pool.submit(make_file, plan, directory, sources) for plan in missing]
        try:
            for future in futures:
                future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return len(missing)


def make_file(plan: ImagePlan, directory: Path, sources: Sources) -> Path:
    """Draw one planned image and store it under its name, atomically."""
    image = draw(plan, sources)
    path = directory / plan.name
    _save_atomically(image, plan, path)
    return path


def draw(plan: ImagePlan, sources: Sources) -> Image.Image:
    """Return the pixels of one planned image, in the plan's mode and stored orientation."""
    rng = random.Random(plan.seed)
    return _PAINTERS[plan.kind](plan, sources, rng)


def save_options(plan: ImagePlan) -> dict[str, object]:
    """Return the encoder options Pillow's save() takes for this plan."""
    if plan.format == "JPEG":
        options: dict[str, object] = {"quality": plan.quality, "progressive": plan.progressive}
        if plan.orientation is not None:
            exif = Image.Exif()
            exif[_EXIF_ORIENTATION] = plan.orientation
            options["exif"] = exif
        return options
    if plan.format == "WEBP":
        return {"quality": plan.quality, "method": 3}
    if plan.format == "GIF" and plan.kind == "gif_clear":
        return {"transparency": _CLEAR_INDEX}
    return {}


def _save_atomically(image: Image.Image, plan: ImagePlan, path: Path) -> None:
    """Encode into a temporary file beside path, then rename it over path."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            image.save(file, plan.format, **save_options(plan))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _load_rgb(path: Path) -> Image.Image:
    """Decode a sample photo fully, so threads can share it read-only."""
    with Image.open(path) as image:
        return image.convert("RGB")


def _photo(
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


def _alpha_mask(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """An opaque centre fading to clear corners, with a clear hole somewhere inside."""
    mask = ImageOps.invert(Image.radial_gradient("L")).resize(size)
    mask = mask.point([min(255, value * 2) for value in range(256)])
    width, height = size
    x, y = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    radius = min(width, height) * rng.uniform(0.05, 0.15)
    ImageDraw.Draw(mask).ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return mask


def _paint_photo(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """An RGB photo (JPEG or WebP)."""
    return _photo(plan_size(plan), sources, rng)


def _paint_exif(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A photo stored sideways or upside down, to be shown upright by its EXIF tag."""
    width, height = plan_size(plan)
    upright = (width, height) if plan.orientation == 3 else (height, width)
    return _photo(upright, sources, rng).transpose(_STORED_FROM_UPRIGHT[plan.orientation])


def _paint_grey(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A greyscale photo."""
    return _photo(plan_size(plan), sources, rng).convert("L")


def _paint_cmyk(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A photo separated for print, as a CMYK JPEG."""
    return _photo(plan_size(plan), sources, rng).convert("CMYK")


def _paint_rgba(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A cut-out photo with a soft alpha edge (PNG or WebP)."""
    image = _photo(plan_size(plan), sources, rng, grain=False)
    image.putalpha(_alpha_mask(image.size, rng))
    return image


def _paint_la(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A greyscale cut-out with alpha."""
    image = _photo(plan_size(plan), sources, rng, grain=False).convert("L")
    image.putalpha(_alpha_mask(image.size, rng))
    return image


def _paint_i16(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A 16-bit greyscale picture, as scientific and medical PNGs are."""
    grey = _photo(plan_size(plan), sources, rng, grain=False).convert("L").convert("I")
    return grey.point(lambda value: value * 257).convert("I;16")


def _paint_gif(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A palette picture of 32-256 colours."""
    colours = rng.choice((32, 64, 128, 256))
    return _photo(plan_size(plan), sources, rng, grain=False).quantize(colours)


def _paint_gif_clear(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A palette picture whose last index is transparent, used only by the clear parts."""
    image = _photo(plan_size(plan), sources, rng, grain=False).quantize(_CLEAR_INDEX)
    palette = (image.getpalette() or [])[: 3 * _CLEAR_INDEX]
    image.putpalette(palette + [0] * (768 - len(palette)))
    clear = _alpha_mask(image.size, rng).point(lambda value: 255 if value < 64 else 0)
    image.paste(_CLEAR_INDEX, mask=clear)
    return image


# Image kind -> painter: the photo catalogue's kinds, then the docs catalogue's screenshots.
_PAINTERS: MappingProxyType[str, Painter] = MappingProxyType(
    {
        "photo": _paint_photo,
        "exif": _paint_exif,
        "grey": _paint_grey,
        "cmyk": _paint_cmyk,
        "rgba": _paint_rgba,
        "la": _paint_la,
        "i16": _paint_i16,
        "gif": _paint_gif,
        "gif_clear": _paint_gif_clear,
        "webp": _paint_photo,
        "webp_alpha": _paint_rgba,
        **SCREENSHOT_PAINTERS,
    }
)
