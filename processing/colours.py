"""Dominant colours by k-means, in pure Python on purpose.

Pillow releases the GIL while it decodes and resizes, so thumbnails alone cannot show what
the GIL costs threads. This step holds the GIL for its whole run, like most Python code:
with it on, threads stop scaling and processes do not.
"""

from __future__ import annotations

from PIL import Image

SAMPLE_SIDE = 64
CLUSTERS = 5
ROUNDS = 10

Pixel = tuple[int, int, int]


def dominant_colours(image: Image.Image) -> tuple[str, ...]:
    """Return the image's main colours as '#rrggbb', the most common first."""
    sample = image.convert("RGB")
    sample.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE))
    data = sample.tobytes()
    pixels: list[Pixel] = list(zip(data[0::3], data[1::3], data[2::3], strict=True))
    # Evenly spaced seeds: deterministic, so every model computes the same colours.
    centres = [pixels[i * len(pixels) // CLUSTERS] for i in range(CLUSTERS)]
    for _ in range(ROUNDS):
        groups = _assign(pixels, centres)
        centres = [
            _mean(group) if group else centre for group, centre in zip(groups, centres, strict=True)
        ]
    groups = _assign(pixels, centres)
    ranked = sorted(zip(groups, centres, strict=True), key=lambda pair: -len(pair[0]))
    return tuple("#{:02x}{:02x}{:02x}".format(*centre) for group, centre in ranked if group)


def _assign(pixels: list[Pixel], centres: list[Pixel]) -> list[list[Pixel]]:
    """Group each pixel with its nearest centre."""
    groups: list[list[Pixel]] = [[] for _ in centres]
    for red, green, blue in pixels:
        nearest = min(
            range(len(centres)),
            key=lambda i: (
                (red - centres[i][0]) ** 2
                + (green - centres[i][1]) ** 2
                + (blue - centres[i][2]) ** 2
            ),
        )
        groups[nearest].append((red, green, blue))
    return groups


def _mean(group: list[Pixel]) -> Pixel:
    """The average colour of a group, rounded to whole values."""
    count = len(group)
    return tuple(round(sum(pixel[channel] for pixel in group) / count) for channel in range(3))
