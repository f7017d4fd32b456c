"""Draw the sample "photos" the test site's images are cut from; run once, commit the output.

Each scene is procedural but photo-like on purpose: JPEG cost depends on content, so flat
colour would make every later measurement of download and decode time meaningless. Sky
gradient, fractal clouds and terrain, blurred shapes, sharp thin details and fine grain
give roughly 1.5-2.5 bits per pixel at quality 88, like a real photo.

    python sample_data/make_samples.py
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
QUALITY = 88
Rgb = tuple[int, int, int]
# (size, sky top, sky horizon, ground near, ground far): one scene per sample.
SCENES: tuple[tuple[tuple[int, int], Rgb, Rgb, Rgb, Rgb], ...] = (
    ((1600, 1200), (40, 80, 150), (200, 215, 230), (70, 95, 40), (150, 140, 90)),
    ((1500, 1000), (20, 30, 70), (240, 150, 90), (50, 40, 35), (120, 80, 60)),
    ((1400, 1050), (90, 130, 190), (230, 230, 225), (120, 110, 80), (200, 190, 160)),
    ((1200, 900), (60, 70, 80), (170, 175, 180), (30, 60, 50), (90, 120, 100)),
)


def main() -> None:
    """Write sample-N.jpg for every scene."""
    for number, scene in enumerate(SCENES, start=1):
        path = HERE / f"sample-{number}.jpg"
        draw_scene(*scene, rng=random.Random(number)).save(
            path, "JPEG", quality=QUALITY, optimize=True
        )
        print(f"{path.name}: {path.stat().st_size // 1024} KiB")


def draw_scene(
    size: tuple[int, int], top: Rgb, horizon: Rgb, near: Rgb, far: Rgb, rng: random.Random
) -> Image.Image:
    """Compose sky, terrain, shapes, details and grain into one picture."""
    sky = _cloudy_sky(size, top, horizon, rng)
    ground = _textured(size, near, far, rng)
    image = Image.composite(ground, sky, _horizon_mask(size, rng))
    image = _add_shapes(image, near, rng)
    image = _add_details(image, near, rng)
    image = image.filter(ImageFilter.GaussianBlur(0.6))  # a lens is never perfectly sharp
    return _add_grain(image, sigma=6)


def plasma(size: tuple[int, int], rng: random.Random, octaves: int = 7) -> Image.Image:
    """Multi-octave value noise in L mode: coarse shapes with finer and fainter detail."""
    width, height = size
    result = None
    total = 0.0
    for octave in range(octaves):
        cells = (3 * 2**octave, 2 * 2**octave)
        grid = Image.frombytes("L", cells, rng.randbytes(cells[0] * cells[1]))
        layer = grid.resize((width, height), Image.Resampling.BICUBIC)
        weight = 0.55**octave
        total += weight
        result = layer if result is None else Image.blend(result, layer, weight / total)
    return result


def _ramp(plasma_image: Image.Image, dark: Rgb, light: Rgb) -> Image.Image:
    """Colour an L image along a two-colour ramp, stretching its contrast first."""
    low, high = plasma_image.getextrema()
    span = max(1, high - low)
    bands = []
    for channel in range(3):
        table = [
            dark[channel] + (light[channel] - dark[channel]) * max(0, v - low) // span
            for v in range(256)
        ]
        bands.append(plasma_image.point(table))
    return Image.merge("RGB", bands)


def _cloudy_sky(size: tuple[int, int], top: Rgb, horizon: Rgb, rng: random.Random) -> Image.Image:
    """A vertical gradient with soft fractal clouds."""
    gradient = Image.linear_gradient("L").resize(size)
    sky = _ramp(gradient, top, horizon)
    clouds = plasma(size, rng, octaves=6)
    mask = clouds.point(lambda v: max(0, v - 120) * 2)
    return Image.composite(Image.new("RGB", size, (245, 245, 240)), sky, mask)


def _textured(size: tuple[int, int], near: Rgb, far: Rgb, rng: random.Random) -> Image.Image:
    """Terrain: fractal texture coloured between two earth tones."""
    return _ramp(plasma(size, rng, octaves=8), near, far)


def _horizon_mask(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """White below a wavy hill line, black above it."""
    width, height = size
    base = height * rng.uniform(0.4, 0.6)
    waves = [(rng.uniform(0.002, 0.02), rng.uniform(0, 6.3), rng.uniform(10, 80)) for _ in range(4)]
    points = [(0, height)]
    for x in range(0, width + 8, 8):
        offset = sum(amp * math.sin(freq * x + phase) for freq, phase, amp in waves)
        points.append((x, base + offset))
    points.append((width, height))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon(points, fill=255)
    return mask.filter(ImageFilter.GaussianBlur(1.5))


def _add_shapes(image: Image.Image, tone: Rgb, rng: random.Random) -> Image.Image:
    """Blurred ellipses: out-of-focus trees, rocks and bushes."""
    layer = image.copy()
    draw = ImageDraw.Draw(layer)
    width, height = image.size
    for _ in range(40):
        x, y = rng.uniform(0, width), rng.uniform(height * 0.45, height)
        rx, ry = rng.uniform(10, 90), rng.uniform(10, 120)
        shade = _vary(tone, rng, 0.3, 1.1)
        draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=shade)
    return Image.blend(image, layer.filter(ImageFilter.GaussianBlur(rng.uniform(3, 8))), 0.7)


def _add_details(image: Image.Image, tone: Rgb, rng: random.Random) -> Image.Image:
    """Sharp thin strokes: grass, twigs and wires that JPEG has to spend bits on."""
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for _ in range(2500):
        x, y = rng.uniform(0, width), rng.uniform(height * 0.45, height)
        length = rng.uniform(4, 30)
        shade = _vary(tone, rng, 0.5, 1.8)
        draw.line((x, y, x + rng.uniform(-6, 6), y - length), fill=shade, width=1)
    for _ in range(6):
        y = rng.uniform(0, height * 0.4)
        draw.line((0, y, width, y + rng.uniform(-60, 60)), fill=(30, 30, 30), width=2)
    return image


def _vary(tone: Rgb, rng: random.Random, low: float, high: float) -> Rgb:
    """A shade of tone: brighter or darker, with a slight random cast."""
    gain = rng.uniform(low, high)
    return tuple(min(255, int(c * gain * rng.uniform(0.85, 1.15))) for c in tone)


def _add_grain(image: Image.Image, sigma: float) -> Image.Image:
    """Add Gaussian sensor grain of the given strength."""
    noise = Image.effect_noise(image.size, sigma).convert("RGB")
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


if __name__ == "__main__":
    main()
