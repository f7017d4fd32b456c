"""Draw a site's planned image files into a cache folder, reusing the ones already there.

Each file is drawn by its site's painter for its kind (photos/painters.py, docs/painters.py)
from the plan's own seeded generator, so the bytes depend only on the plan. Files are written
to a temporary name and renamed into place: an interrupted run never leaves a truncated file
that a later run would take for a finished one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from testsite.paint import CLEAR_INDEX, Painter, Sources
from testsite.plans import ImagePlan
from testsite.spec import SiteSpec

LOGGER = logging.getLogger(__name__)
_EXIF_ORIENTATION = 0x0112


def image_dir(cache_dir: Path, spec: SiteSpec, family: str) -> Path:
    """Return spec's image cache folder: one per family (profile and version) and image set."""
    key = f"{family}-seed{spec.seed}-n{spec.images}-mp{spec.max_megapixels:g}"
    return cache_dir / f"images-{key}"


def ensure_images(
    plans: Sequence[ImagePlan],
    directory: Path,
    samples: Sequence[Path],
    painters: Mapping[str, Painter],
    workers: int = 0,
) -> int:
    """Draw every planned file missing from directory with the painter of its kind; return
    how many were drawn."""
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
        futures = [pool.submit(make_file, plan, directory, sources, painters) for plan in missing]
        try:
            for future in futures:
                future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return len(missing)


def make_file(
    plan: ImagePlan, directory: Path, sources: Sources, painters: Mapping[str, Painter]
) -> Path:
    """Draw one planned image and store it under its name, atomically."""
    image = draw(plan, sources, painters)
    path = directory / plan.name
    _save_atomically(image, plan, path)
    return path


def draw(plan: ImagePlan, sources: Sources, painters: Mapping[str, Painter]) -> Image.Image:
    """Return the pixels of one planned image, in the plan's mode and stored orientation."""
    rng = random.Random(plan.seed)
    return painters[plan.kind](plan, sources, rng)


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
        return {"transparency": CLEAR_INDEX}
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
