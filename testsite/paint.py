"""What every painter of the site's pictures shares: its signature and the grain it adds."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageChops

from testsite.plans import ImagePlan

Sources = Sequence[Image.Image]  # the sample photos: every painter is given them
Painter = Callable[[ImagePlan, Sources, random.Random], Image.Image]


def plan_size(plan: ImagePlan) -> tuple[int, int]:
    """The stored width and height of a planned image."""
    return plan.width, plan.height


def add_grain(image: Image.Image, rng: random.Random, amount: int) -> Image.Image:
    """Add uniform luminance grain of +-amount levels, from rng so it is reproducible."""
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    noise = noise.point([128 + (value - 128) * amount // 128 for value in range(256)])
    return ImageChops.add(image, Image.merge("RGB", (noise, noise, noise)), 1.0, -128)
