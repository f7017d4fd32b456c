"""Draw the docs site's pictures: UI screenshots in every PNG mode, as JPEG too, and icons.

A screenshot is a window: a title bar with a gradient, a menu bar, a sidebar when there is
room, lines of text, buttons, and one busy panel (a picture preview: a gradient with noise).
The panel's share of the window sets how well the file compresses, so that it weighs what
a real screenshot of its size does: from about 200 px up, most weigh 20-200 KB. Windows
with alpha float on a clear background over a soft shadow; palette ones cut their corners
with a clear index. Every pixel comes from the plan's seeded generator, so a file depends
only on its plan.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

from testsite.docs.catalog import ICON_KIND
from testsite.paint import Painter, Sources, add_grain, paint_photo, plan_size
from testsite.plans import ImagePlan

Rgb = tuple[int, int, int]
Box = tuple[int, int, int, int]
Size = tuple[int, int]
LINE_HEIGHT = 16  # px per line of the 11 px bitmap font, as UI text is spaced
LETTERS = "etaoinshrdlcumwfgypbvkxjqz"
MENU_WORDS = ("File", "Edit", "View", "Insert", "Format", "Tools", "Window", "Help")
BYTES_PER_PIXEL = (0.2, 1.2)  # what a screenshot aims to weigh per pixel, light to heavy
MIN_BYTES, MAX_BYTES = 20_000, 200_000
MAX_PANEL_SHARE = 0.9
PALETTE_SIZES = (16, 32, 64, 128, 255)  # 255 leaves an index free to be the clear one


@dataclass(frozen=True)
class Cost:
    """Bytes the encoder spends per pixel (measured): on chrome and text, on the busy panel."""

    base: float
    panel: float


COSTS = MappingProxyType(
    {
        "RGB": Cost(0.08, 1.2),
        "RGBA": Cost(0.08, 1.3),
        "L": Cost(0.06, 0.6),
        "LA": Cost(0.06, 0.7),
        "JPEG": Cost(0.28, 0.6),
    }
)


@dataclass(frozen=True)
class Theme:
    """A window's colours: light or dark, with one accent."""

    background: Rgb
    panel: Rgb
    text: Rgb
    muted: Rgb
    accent: Rgb


def _paint_rgb(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """An opaque screenshot, as PNG."""
    return _window(plan_size(plan), COSTS["RGB"], rng)


def _paint_jpeg(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """An opaque screenshot, saved as JPEG as some authors do."""
    return _window(plan_size(plan), COSTS["JPEG"], rng)


def _paint_rgba(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A window floating on a clear background with a soft shadow."""
    return _floating(plan_size(plan), COSTS["RGBA"], rng)


def _paint_grey(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A greyscale screenshot."""
    return _window(plan_size(plan), COSTS["L"], rng).convert("L")


def _paint_grey_alpha(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A greyscale floating window with its shadow."""
    return _floating(plan_size(plan), COSTS["LA"], rng).convert("LA")


def _paint_palette(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """An opaque screenshot reduced to 16-255 colours, dithered."""
    colours = rng.choice(PALETTE_SIZES)
    return _window(plan_size(plan), _palette_cost(colours), rng).quantize(colours)


def _paint_palette_clear(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A palette screenshot whose rounded corners are a transparent index of their own."""
    colours, size = rng.choice(PALETTE_SIZES), plan_size(plan)
    image = _window(size, _palette_cost(colours), rng).quantize(colours)
    palette = image.getpalette() or []
    clear = len(palette) // 3  # one past the colours in use
    image.putpalette([*palette, 0, 0, 0])
    image.paste(clear, mask=ImageOps.invert(_rounded_mask(size, _radius(size), 0)))
    image.info["transparency"] = clear  # the PNG encoder writes it as a tRNS chunk
    return image


def _paint_icon(plan: ImagePlan, sources: Sources, rng: random.Random) -> Image.Image:
    """A small RGBA icon: a coloured disc or rounded square with a light glyph."""
    size = plan_size(plan)
    box = (0, 0, size[0] - 1, size[1] - 1)
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rng.random() < 0.5:
        draw.ellipse(box, fill=_accent(rng))
    else:
        draw.rounded_rectangle(box, _radius(size), fill=_accent(rng))
    glyph = [(rng.uniform(0.2, 0.8) * size[0], rng.uniform(0.2, 0.8) * size[1]) for _ in range(4)]
    draw.polygon(glyph, fill=(255, 255, 255, 230))
    return image


def _window(size: Size, cost: Cost, rng: random.Random) -> Image.Image:
    """An RGB window: chrome, text, buttons, and a busy panel that brings it to its weight."""
    theme = _theme(rng)
    image = Image.new("RGB", size, theme.background)
    draw = ImageDraw.Draw(image)
    width, height = size
    top = _chrome(image, draw, theme, rng) if min(size) >= 96 else 0
    left = _sidebar(draw, size, top, theme, rng) if width >= 320 and height >= 160 else 0
    _text(draw, (left + 8, top + 6, width - 8, height - 4), theme, rng)
    _buttons(draw, (left + 8, height - 30, width - 8, height - 6), theme, rng)
    _paste_panel(image, (left, top, width, height), cost, rng)
    return image


def _palette_cost(colours: int) -> Cost:
    """The cost of a dithered palette PNG: its panel from 0.34 at 16 colours to 0.7 at 256."""
    return Cost(0.05, 0.25 + 0.09 * math.log2(colours / 8))


def _theme(rng: random.Random) -> Theme:
    """Pick a light (3 in 4) or dark theme with a random accent."""
    accent = _accent(rng)
    if rng.random() < 0.75:
        return Theme((246, 246, 244), (232, 233, 236), (32, 33, 36), (120, 124, 130), accent)
    return Theme((37, 38, 43), (48, 50, 56), (222, 222, 220), (140, 142, 150), accent)


def _accent(rng: random.Random) -> Rgb:
    """A saturated colour for highlights, title bars and icons."""
    red, green, blue = (rng.randint(0, 255) for _ in range(3))
    strongest = max(red, green, blue, 1)
    return red * 220 // strongest, green * 220 // strongest, blue * 220 // strongest


def _chrome(image: Image.Image, draw: ImageDraw.ImageDraw, theme: Theme, rng: random.Random) -> int:
    """Draw the title bar (a gradient, buttons, a title) and menu bar; return their height."""
    bar = max(14, min(28, image.height // 14))
    ramp = Image.linear_gradient("L").resize((image.width, bar))
    image.paste(ImageOps.colorize(ramp, theme.accent, _lighter(theme.accent)), (0, 0))
    for number in range(3):
        x = 6 + number * (bar - 2)
        draw.ellipse((x, bar // 4, x + bar // 2, bar // 4 + bar // 2), fill=_accent(rng))
    draw.text((3 * bar, bar // 2 - 5), _words(rng, 3), fill=(255, 255, 255), font=_font())
    x = 6
    for word in rng.sample(MENU_WORDS, rng.randint(3, len(MENU_WORDS))):
        draw.text((x, bar + 3), word, fill=theme.text, font=_font())
        x += 8 + int(draw.textlength(word, font=_font()))
    draw.line((0, bar + LINE_HEIGHT + 1, image.width, bar + LINE_HEIGHT + 1), fill=theme.muted)
    return bar + LINE_HEIGHT + 2


def _sidebar(
    draw: ImageDraw.ImageDraw, size: Size, top: int, theme: Theme, rng: random.Random
) -> int:
    """Draw a list of entries down the left side, one selected; return its width."""
    width, height = size
    right = int(width * rng.uniform(0.18, 0.3))
    draw.rectangle((0, top, right, height), fill=theme.panel)
    chosen = rng.randrange(1, 12)
    for number, y in enumerate(range(top + 4, height - LINE_HEIGHT, LINE_HEIGHT)):
        if number == chosen:
            draw.rectangle((0, y - 2, right, y + LINE_HEIGHT - 3), fill=theme.accent)
        draw.text((8, y), _words(rng, rng.randint(1, 3)), fill=theme.text, font=_font())
    return right


def _text(draw: ImageDraw.ImageDraw, box: Box, theme: Theme, rng: random.Random) -> None:
    """Fill box with paragraphs of random words, a half line between paragraphs."""
    left, top, right, bottom = box
    y = top
    while y + LINE_HEIGHT < bottom:
        for _ in range(rng.randint(2, 6)):
            line = _words(rng, max(1, (right - left) // 40 + rng.randint(-3, 1)))
            draw.text((left, y), line, fill=theme.text, font=_font())
            y += LINE_HEIGHT
        y += LINE_HEIGHT // 2


def _buttons(draw: ImageDraw.ImageDraw, box: Box, theme: Theme, rng: random.Random) -> None:
    """Draw a row of 1-3 rounded buttons at the right of box, the last in the accent colour."""
    left, top, right, bottom = box
    count = rng.randint(1, 3)
    for number in range(count):
        x = right - (count - number) * 76
        if x >= left:
            fill = theme.accent if number == count - 1 else theme.panel
            draw.rounded_rectangle((x, top, x + 68, bottom), 4, fill=fill, outline=theme.muted)
            draw.text((x + 10, top + 6), _words(rng, 1)[:8], fill=theme.text, font=_font())


def _paste_panel(image: Image.Image, box: Box, cost: Cost, rng: random.Random) -> None:
    """Paste a noisy gradient over part of box, as big as the file's wanted weight needs."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    pixels = image.width * image.height
    low, high = (math.log(bound) for bound in BYTES_PER_PIXEL)
    wanted = min(max(pixels * math.exp(rng.uniform(low, high)), MIN_BYTES), MAX_BYTES)
    area = min(MAX_PANEL_SHARE * width * height, (wanted - pixels * cost.base) / cost.panel)
    area = max(1.0, area)
    panel_width = max(1, min(width, round(math.sqrt(area * rng.uniform(1.0, 2.0)))))
    panel_height = max(1, min(height, round(area / panel_width)))
    x = left + rng.randint(0, width - panel_width)
    y = top + rng.randint(0, height - panel_height)
    image.paste(_panel((panel_width, panel_height), rng), (x, y))


def _panel(size: Size, rng: random.Random) -> Image.Image:
    """A two-colour gradient at a random angle with luminance noise: a picture preview."""
    ramp = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(size)
    panel = ImageOps.colorize(ramp, _accent(rng), _lighter(_accent(rng)))
    return add_grain(panel, rng, rng.randint(6, 14))


def _floating(size: Size, cost: Cost, rng: random.Random) -> Image.Image:
    """An RGBA window inset from the edges, over a soft shadow on a clear background."""
    width, height = size
    margin = max(2, min(24, min(size) // 16))
    inner = (max(1, width - 2 * margin), max(1, height - 2 * margin))
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste(_window(inner, cost, rng), (margin, margin))
    shape = _rounded_mask(size, _radius(inner), margin)
    # Blurred at a quarter of the size: as soft, and sixteen times cheaper.
    small = shape.resize((max(1, width // 4), max(1, height // 4)))
    blurred = small.filter(ImageFilter.GaussianBlur(max(1, margin // 4))).resize(size)
    shadow = Image.new("L", size, 0)
    shadow.paste(blurred.point(lambda value: value * 2 // 5), (0, margin // 3))  # light from above
    image.putalpha(ImageChops.lighter(shape, shadow))
    return image


def _rounded_mask(size: Size, radius: int, inset: int) -> Image.Image:
    """An L mask, 255 inside a rounded rectangle inset from the edges, 0 outside."""
    mask = Image.new("L", size, 0)
    box = (inset, inset, size[0] - 1 - inset, size[1] - 1 - inset)
    ImageDraw.Draw(mask).rounded_rectangle(box, radius, fill=255)
    return mask


def _radius(size: Size) -> int:
    """The corner radius of a window or icon of this size."""
    return max(2, min(10, min(size) // 8))


def _lighter(colour: Rgb) -> Rgb:
    """The colour halfway to white."""
    red, green, blue = colour
    return (red + 255) // 2, (green + 255) // 2, (blue + 255) // 2


def _words(rng: random.Random, count: int) -> str:
    """count random lower-case words of 2-9 letters: text-like shapes."""
    return " ".join("".join(rng.choices(LETTERS, k=rng.randint(2, 9))) for _ in range(count))


@cache
def _font() -> ImageFont.ImageFont:
    """Pillow's built-in bitmap font: no FreeType, so the pixels never vary by machine."""
    return ImageFont.load_default_imagefont()


# Image kind -> painter, for the kinds of catalog.py (its "photo" is paint.py's).
PAINTERS: MappingProxyType[str, Painter] = MappingProxyType(
    {
        "photo": paint_photo,
        "screen_rgb": _paint_rgb,
        "screen_jpeg": _paint_jpeg,
        "screen_rgba": _paint_rgba,
        "screen_p": _paint_palette,
        "screen_p_clear": _paint_palette_clear,
        "screen_l": _paint_grey,
        "screen_la": _paint_grey_alpha,
        ICON_KIND: _paint_icon,
    }
)
