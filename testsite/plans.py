"""What an image file of a site is: its kind, its plan (everything but the pixels), its info.

Every site's catalogue (photos/catalog.py, docs/catalog.py) plans its files as ImagePlans of
its own Kinds, each plan's encoder settings and pixel seed drawn by plan_of.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType


@dataclass(frozen=True)
class Kind:
    """One variety of image file: its format, Pillow mode and the share of images it gets."""

    format: str
    mode: str
    ext: str
    share: float
    minimum: int  # how many a site gets even when the share rounds to fewer
    photo_sized: bool  # JPEGs get photo sizes; the rest stay under a megapixel


CONTENT_TYPES = MappingProxyType(
    {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
)


@dataclass(frozen=True)
class ImageInfo:
    """What one served image file is; width and height as stored, before EXIF rotation."""

    path: str
    format: str
    mode: str
    width: int
    height: int
    exif_orientation: int | None


@dataclass(frozen=True)
class ImagePlan:
    """One image file to draw: everything about it except the pixels."""

    name: str
    kind: str
    format: str
    mode: str
    width: int
    height: int
    orientation: int | None
    quality: int
    progressive: bool
    seed: int  # seeds the drawing, so each file is the same whatever order they are drawn in

    @property
    def megapixels(self) -> float:
        """Stored pixel count in millions."""
        return self.width * self.height / 1e6

    @property
    def content_type(self) -> str:
        """The Content-Type the server answers with."""
        return CONTENT_TYPES[self.format]

    def info(self, directory: Path) -> ImageInfo:
        """Describe the file as it is stored in directory."""
        return ImageInfo(
            str(directory / self.name),
            self.format,
            self.mode,
            self.width,
            self.height,
            self.orientation,
        )


def plan_of(
    name: str,
    kind: str,
    spec: Kind,
    size: tuple[int, int],
    orientation: int | None,
    rng: random.Random,
) -> ImagePlan:
    """The plan of one image of this name, kind and size; its encoder's settings and its
    pixels' seed drawn from rng."""
    return ImagePlan(
        name=name,
        kind=kind,
        format=spec.format,
        mode=spec.mode,
        width=size[0],
        height=size[1],
        orientation=orientation,
        quality=rng.randint(80, 92),
        progressive=rng.random() < 0.2,
        seed=rng.getrandbits(64),
    )
