"""Real ICC colour profiles for tests, written byte by byte (ICC.1 version 2 layout).

Pillow's ImageCms builds sRGB, but not the profiles phones and cameras embed: Display P3
(every iPhone photo since 2016), Adobe RGB, and the CMYK of print. These are built from
their published primaries, white point and tone curves (an RGB matrix/TRC profile), or, for
CMYK, from a lookup table, and LittleCMS reads them as it reads a camera's.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

Matrix = tuple[tuple[float, float, float], ...]
XY = tuple[float, float]

D50 = (0.9642, 1.0, 0.8249)  # the ICC profile connection space's white
D65_XY = (0.3127, 0.3290)
_BRADFORD: Matrix = (
    (0.8951, 0.2664, -0.1614),
    (-0.7502, 1.7135, 0.0367),
    (0.0389, -0.0685, 1.0296),
)
DISPLAY_P3 = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
ADOBE_RGB = ((0.640, 0.330), (0.210, 0.710), (0.150, 0.060))


def srgb_decode(value: float) -> float:
    """The sRGB tone curve (also Display P3's): encoded 0..1 to linear light."""
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def display_p3() -> bytes:
    """Display P3: the P3 primaries, D65, the sRGB tone curve."""
    return rgb_profile("Display P3 (test)", DISPLAY_P3, D65_XY, _curve_table(srgb_decode))


def adobe_rgb() -> bytes:
    """Adobe RGB (1998): wider greens, D65, a pure gamma of 563/256."""
    return rgb_profile("Adobe RGB (test)", ADOBE_RGB, D65_XY, _gamma(563 / 256))


def grey_gamma_18() -> bytes:
    """A grey profile with the gamma of old Macs, 1.8: its mid-grey is lighter in sRGB."""
    tags = [
        (b"desc", _desc("Grey gamma 1.8 (test)")),
        (b"cprt", _text("No copyright, test data")),
        (b"wtpt", _xyz_tag(D50)),
        (b"kTRC", _gamma(1.8)),
    ]
    return _profile(b"mntr", b"GRAY", b"XYZ ", tags)


def rgb_profile(name: str, primaries: Sequence[XY], white: XY, curve: bytes) -> bytes:
    """A display profile from three primaries and a white point (chromaticities), with one
    tone curve for all three channels; colorants adapted to D50 (Bradford)."""
    columns = _to_d50(_rgb_to_xyz(primaries, white), _xyz(white))
    tags = [
        (b"desc", _desc(name)),
        (b"cprt", _text("No copyright, test data")),
        (b"wtpt", _xyz_tag(D50)),
        (b"rXYZ", _xyz_tag([row[0] for row in columns])),
        (b"gXYZ", _xyz_tag([row[1] for row in columns])),
        (b"bXYZ", _xyz_tag([row[2] for row in columns])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    return _profile(b"mntr", b"RGB ", b"XYZ ", tags)


def cmyk_profile(to_lab: Callable[[tuple[int, ...]], tuple[float, float, float]]) -> bytes:
    """A printer profile whose CMYK-to-Lab table has a point at 0 and 100% of each ink,
    to_lab giving each corner's colour (inks 0 or 1); LittleCMS interpolates between them."""
    corners = [tuple((index >> shift) & 1 for shift in (3, 2, 1, 0)) for index in range(16)]
    grid = b"".join(struct.pack(">3H", *_lab16(to_lab(corner))) for corner in corners)
    identity = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    ramp = struct.pack(">2H", 0, 65535)
    lut = (
        b"mft2\0\0\0\0"
        + struct.pack(">4B", 4, 3, 2, 0)
        + b"".join(_s15(value) for value in identity)
        + struct.pack(">2H", 2, 2)
        + ramp * 4
        + grid
        + ramp * 3
    )
    tags = [
        (b"desc", _desc("CMYK (test)")),
        (b"cprt", _text("No copyright, test data")),
        (b"wtpt", _xyz_tag(D50)),
        (b"A2B0", lut),
    ]
    return _profile(b"prtr", b"CMYK", b"Lab ", tags)


def _profile(device: bytes, space: bytes, pcs: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """Header, tag table and tag data, each tag 4-byte aligned."""
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, body in tags:
        padded = body + b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += padded
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + device
        + space
        + pcs
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)  # perceptual
        + b"".join(_s15(value) for value in D50)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + table + data


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz: Sequence[float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(value) for value in xyz)


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + struct.pack(">II", 0, 0)  # no Unicode description
        + struct.pack(">HB", 0, 0)  # no ScriptCode description
        + b"\0" * 67
    )


def _text(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"


def _gamma(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))


def _curve_table(decode: Callable[[float], float], entries: int = 1024) -> bytes:
    values = [round(decode(i / (entries - 1)) * 65535) for i in range(entries)]
    return b"curv\0\0\0\0" + struct.pack(f">I{entries}H", entries, *values)


def _lab16(lab: tuple[float, float, float]) -> tuple[int, int, int]:
    """Lab in version 2's 16-bit encoding: L* 0..100 as 0..0xFF00, a* and b* offset by 128."""
    lightness, a, b = lab
    return (
        round(lightness / 100 * 0xFF00),
        round((a + 128) * 256),
        round((b + 128) * 256),
    )


def _xyz(xy: XY) -> tuple[float, float, float]:
    x, y = xy
    return x / y, 1.0, (1 - x - y) / y


def _rgb_to_xyz(primaries: Sequence[XY], white: XY) -> Matrix:
    """The matrix taking linear RGB to XYZ, scaled so that RGB 1,1,1 is the white point."""
    columns = [_xyz(xy) for xy in primaries]
    chromaticities = tuple(tuple(column[row] for column in columns) for row in range(3))
    scale = _apply(_inverse(chromaticities), _xyz(white))
    return tuple(tuple(chromaticities[r][c] * scale[c] for c in range(3)) for r in range(3))


def _to_d50(matrix: Matrix, white: Sequence[float]) -> Matrix:
    """matrix adapted from its white to D50, as ICC colorants are (Bradford)."""
    cone_from, cone_to = _apply(_BRADFORD, white), _apply(_BRADFORD, D50)
    gain = tuple(
        tuple((cone_to[r] / cone_from[r]) if r == c else 0.0 for c in range(3)) for r in range(3)
    )
    adapt = _multiply(_inverse(_BRADFORD), _multiply(gain, _BRADFORD))
    return _multiply(adapt, matrix)


def _apply(matrix: Matrix, vector: Sequence[float]) -> tuple[float, float, float]:
    return tuple(sum(matrix[r][c] * vector[c] for c in range(3)) for r in range(3))


def _multiply(a: Matrix, b: Matrix) -> Matrix:
    return tuple(
        tuple(sum(a[r][k] * b[k][c] for k in range(3)) for c in range(3)) for r in range(3)
    )


def _inverse(m: Matrix) -> Matrix:
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    adjugate = (
        (e * i - f * h, c * h - b * i, b * f - c * e),
        (f * g - d * i, a * i - c * g, c * d - a * f),
        (d * h - e * g, b * g - a * h, a * e - b * d),
    )
    return tuple(tuple(value / det for value in row) for row in adjugate)
