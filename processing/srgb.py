"""Bring decoded pixels into sRGB by their embedded ICC profile, as browsers show them.

A photo tagged Display P3 (every iPhone photo since 2016), Adobe RGB or a CMYK press profile
holds values that mean other colours than the same numbers in sRGB: a P3 red of (184, 50, 41)
is shown as (200, 30, 29). A thumbnail without a profile is read as sRGB everywhere, so its
pixels are converted once, here, with LittleCMS (Pillow's ImageCms), as libvips' thumbnailer
does by default: relative colorimetric intent, the profile's own conversion for CMYK. A
profile that cannot be read, or that does not fit the pixels (an RGB profile on a grey
image), is ignored, as browsers ignore it.
"""

from __future__ import annotations

import io
from functools import cache, lru_cache

from PIL import Image, ImageCms

INTENT = ImageCms.Intent.RELATIVE_COLORIMETRIC
# The profile's colour space -> the image modes it describes, and the mode converted into.
_SPACES = {"RGB": ({"RGB", "RGBA"}, None), "GRAY": ({"L"}, "RGB"), "CMYK": ({"CMYK"}, "RGB")}


def to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """image's pixels in sRGB (RGB, RGBA, CMYK as RGB, L kept grey), by icc_profile; the
    image itself when it has no usable profile."""
    if not icc_profile:
        return image
    alpha = image.getchannel("A") if image.mode == "LA" else None
    base = image.convert("L") if alpha is not None else image
    transform = _transform(icc_profile, base.mode)
    if transform is None:
        return image
    converted = ImageCms.applyTransform(base, transform)
    if base.mode == "L":  # a grey profile's greys stay neutral in sRGB: keep one channel
        converted = converted.convert("L")
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


@lru_cache(maxsize=16)
def _transform(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """The conversion from icc_profile's space to sRGB for images in mode, or None when the
    profile cannot be read or does not describe mode. Cached: building one costs about 7 ms,
    and a site's photos share a few profiles."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    except (OSError, ImageCms.PyCMSError):
        return None
    modes, into = _SPACES.get(source.profile.xcolor_space.strip(), (set(), None))
    if mode not in modes:
        return None
    try:
        return ImageCms.buildTransform(source, _srgb(), mode, into or mode, INTENT)
    except ImageCms.PyCMSError:
        return None


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
