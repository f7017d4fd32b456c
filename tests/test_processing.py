"""Originals and thumbnails: saved once, atomically, by hash; every mode made savable."""

from __future__ import annotations

import errno
import io
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageOps

from errors import ErrorKind
from processing.colours import dominant_colours
from processing.originals import Original, save_original, sniff_extension
from processing.thumbnails import make_thumbnails
from runfolder.folders import prepare_run_dir
from tests.conftest import photo_bytes
from tests.icc import adobe_rgb, cmyk_profile, display_p3, grey_gamma_18
from testsite.hostile.painters import png_claiming

SIZES = (64, 128)


@pytest.fixture
def ready_dir(run_dir: Path) -> Path:
    prepare_run_dir(run_dir, SIZES)
    return run_dir


def encoded(image: Image.Image, fmt: str, **save: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def colour_source(mode: str, size: tuple[int, int] = (300, 200)) -> Image.Image:
    """Colour noise in mode; modes with alpha get a real gradient of transparency."""
    bands = [Image.effect_noise(size, 40 + 10 * i) for i in range(3)]
    image = Image.merge("RGB", bands)
    if "A" in mode:
        image.putalpha(Image.linear_gradient("L").resize(size))
    return image.convert(mode)


def thumbnails_of(data: bytes, run_dir: Path) -> tuple:
    saved = save_original(Original("http://h/i", data), str(run_dir))
    return make_thumbnails(saved, str(run_dir), SIZES)


def no_temp_files(run_dir: Path) -> bool:
    return not [p for p in run_dir.rglob("*") if p.name.startswith(".tmp-")]


def test_original_is_named_by_its_hash_and_saved_once(ready_dir: Path) -> None:
    data = photo_bytes()
    first = save_original(Original("http://h/a/../../etc/passwd", data), str(ready_dir))
    second = save_original(Original("http://other/b.jpg", data), str(ready_dir))
    assert first.path == second.path == f"originals/{first.sha256}.jpg"
    assert (ready_dir / first.path).read_bytes() == data
    assert len(list((ready_dir / "originals").iterdir())) == 1
    assert no_temp_files(ready_dir)


@pytest.mark.parametrize(
    ("fmt", "extension"),
    [
        ("JPEG", ".jpg"),
        ("PNG", ".png"),
        ("GIF", ".gif"),
        ("WEBP", ".webp"),
        ("BMP", ".bmp"),
        ("TIFF", ".tif"),
    ],
)
def test_extension_comes_from_the_bytes(fmt: str, extension: str) -> None:
    assert sniff_extension(encoded(Image.new("RGB", (4, 4)), fmt)) == extension


def test_unknown_bytes_get_bin() -> None:
    assert sniff_extension(b"<html>not an image</html>") == ".bin"


def test_disk_error_is_recorded_not_raised_and_names_no_path_of_the_machine(
    tmp_path: Path,
) -> None:
    saved = save_original(Original("http://h/i", b"x"), str(tmp_path / "missing"))
    assert saved.error is not None and saved.error.kind == ErrorKind.DISK
    assert saved.error.message.startswith("No such file or directory: originals/.tmp-")
    assert str(tmp_path) not in saved.error.message


@pytest.mark.parametrize(
    ("mode", "fmt", "thumb_mode"),
    [
        ("RGB", "JPEG", "RGB"),
        ("L", "JPEG", "L"),
        ("CMYK", "JPEG", "RGB"),
        ("RGBA", "PNG", "RGBA"),
        ("LA", "PNG", "LA"),
        ("P", "GIF", "RGB"),
        ("RGBA", "WEBP", "RGBA"),
        ("RGB", "TIFF", "RGB"),
        ("RGB", "BMP", "RGB"),
        ("RGB", "AVIF", "RGB"),
        ("RGBA", "AVIF", "RGBA"),
    ],
)
def test_every_mode_becomes_a_valid_thumbnail(
    ready_dir: Path, mode: str, fmt: str, thumb_mode: str
) -> None:
    result = thumbnails_of(encoded(colour_source(mode), fmt), ready_dir)
    assert result.ok, result.error
    assert (result.width, result.height) == (300, 200)
    for thumb in result.thumbnails:
        with Image.open(ready_dir / thumb.path) as made:
            assert max(made.size) == thumb.size
            assert made.mode == thumb_mode
            assert made.format == ("PNG" if "A" in thumb_mode else "JPEG")


def test_palette_with_transparency_keeps_its_alpha(ready_dir: Path) -> None:
    source = Image.new("P", (100, 100), 0)
    source.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    result = thumbnails_of(encoded(source, "GIF", transparency=0), ready_dir)
    with Image.open(ready_dir / result.thumbnails[0].path) as made:
        assert made.mode == "RGBA"


def test_sixteen_bit_greyscale_is_scaled_not_clipped(ready_dir: Path) -> None:
    result = thumbnails_of(encoded(Image.new("I;16", (200, 100), 32768), "PNG"), ready_dir)
    with Image.open(ready_dir / result.thumbnails[0].path) as made:
        assert made.mode == "L"
        assert 120 <= made.getpixel((10, 10)) <= 136  # half of full scale, not white


def test_exif_orientation_is_applied(ready_dir: Path) -> None:
    # Stored 300 wide and 100 high, left half white: orientation 6 means "rotate 90 clockwise"
    # to display, so the upright thumbnail is tall, with the white half on top.
    source = Image.new("RGB", (300, 100), "black")
    source.paste("white", (0, 0, 150, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    result = thumbnails_of(encoded(source, "JPEG", exif=exif), ready_dir)
    assert (result.width, result.height) == (100, 300)
    with Image.open(ready_dir / result.thumbnails[-1].path) as made:
        assert made.size == (43, 128)
        assert made.getpixel((21, 10))[0] > 200 and made.getpixel((21, 118))[0] < 50


def test_large_jpeg_is_decoded_at_reduced_scale(ready_dir: Path) -> None:
    result = thumbnails_of(photo_bytes((2400, 1600)), ready_dir)
    assert [Image.open(ready_dir / t.path).size for t in result.thumbnails] == [(64, 43), (128, 85)]


@pytest.mark.parametrize(
    "data",
    [b"", b"random bytes \x00\x01\x02", b"<html>not an image</html>", photo_bytes()[:2000]],
    ids=["empty", "random", "html", "truncated"],
)
def test_broken_images_are_recorded_as_undecodable(ready_dir: Path, data: bytes) -> None:
    result = thumbnails_of(data, ready_dir)
    assert result.error is not None and result.error.kind == ErrorKind.UNDECODABLE
    assert "0x" not in result.error.message and str(ready_dir) not in result.error.message
    assert result.thumbnails == ()
    assert no_temp_files(ready_dir)


def test_an_icon_gets_thumbnails_of_its_largest_image(ready_dir: Path) -> None:
    icon = encoded(colour_source("RGBA", (64, 64)), "ICO", sizes=[(16, 16), (64, 64)])
    result = thumbnails_of(icon, ready_dir)
    assert result.ok and (result.width, result.height) == (64, 64)
    assert result.original.endswith(".ico")


@pytest.mark.parametrize(
    ("data", "extension"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', ".svg"),
        (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- hi -->\n<svg width="4"/>', ".svg"),
        (b"%PDF-1.7\n%\xe2\xe3", ".pdf"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", ".heic"),
        (b"\xff\x0a\xfa\x7f", ".jxl"),
    ],
    ids=["svg", "svg-with-bom-and-comment", "pdf", "heic", "jxl"],
)
def test_formats_we_do_not_rasterise_have_their_own_error_kind(
    ready_dir: Path, data: bytes, extension: str
) -> None:
    assert sniff_extension(data) == extension
    result = thumbnails_of(data, ready_dir)
    assert result.error is not None and result.error.kind == ErrorKind.UNSUPPORTED_FORMAT
    assert result.original.endswith(extension)


def test_decompression_bomb_is_refused(ready_dir: Path) -> None:
    result = thumbnails_of(png_claiming(40_000, 40_000), ready_dir)
    assert result.error is not None and result.error.kind == ErrorKind.DECOMPRESSION_BOMB


def test_dominant_colours_finds_the_main_colours_most_common_first() -> None:
    image = Image.new("RGB", (300, 200), (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, 100, 200))
    colours = dominant_colours(image)
    assert colours[:2] == ("#c81e1e", "#1414dc")
    assert dominant_colours(image) == colours  # deterministic


def test_analysis_adds_colours_to_the_result(ready_dir: Path) -> None:
    saved = save_original(Original("http://h/i", photo_bytes()), str(ready_dir))
    assert make_thumbnails(saved, str(ready_dir), SIZES).colours == ()
    colours = make_thumbnails(saved, str(ready_dir), SIZES, analysis=True).colours
    assert 1 <= len(colours) <= 5
    assert all(len(colour) == 7 and colour.startswith("#") for colour in colours)


# A write that fails part-way, for real: the child may not grow any file past 4 kB.
FAILING_WRITE = """
import resource, signal, sys
from pathlib import Path
from processing.files import write_atomic
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    write_atomic(Path(sys.argv[1]), b"x" * 100_000)
except OSError as exc:
    print(exc.errno)
"""


@pytest.mark.parametrize("existing", [b"the old file, whole", None], ids=["replace", "new"])
def test_a_write_that_fails_part_way_leaves_no_half_written_file(
    tmp_path: Path, existing: bytes | None
) -> None:
    target = tmp_path / "thumbnail.jpg"
    if existing is not None:
        target.write_bytes(existing)
    child = subprocess.run(
        [sys.executable, "-c", FAILING_WRITE, str(target)], capture_output=True, text=True
    )
    assert child.stdout.strip() == str(errno.EFBIG), child.stderr
    if existing is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == existing  # a reader still sees the whole old file
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize(
    ("mode", "fmt", "extension"),
    [("RGB", "JPEG", ".jpg"), ("L", "JPEG", ".jpg"), ("RGBA", "PNG", ".png"), ("P", "PNG", ".png")],
)
def test_an_original_that_fits_is_its_own_thumbnail(
    ready_dir: Path, mode: str, fmt: str, extension: str
) -> None:
    data = encoded(colour_source(mode, (100, 60)), fmt)  # fits 128, not 64
    result = thumbnails_of(data, ready_dir)
    made = {thumb.size: thumb for thumb in result.thumbnails}
    assert made[128].path.endswith(extension)
    assert (ready_dir / made[128].path).read_bytes() == data  # the same bytes, not re-encoded
    with Image.open(ready_dir / made[64].path) as small:
        assert max(small.size) == 64  # the smaller size is still made


@pytest.mark.parametrize("what", ["turned", "cmyk"])
def test_an_original_a_browser_would_show_wrong_is_re_encoded_even_when_it_fits(
    ready_dir: Path, what: str
) -> None:
    image = colour_source("RGB", (100, 60))
    if what == "turned":
        exif = Image.Exif()
        exif[0x0112] = 6
        data = encoded(image, "JPEG", exif=exif)
    else:
        data = encoded(image.convert("CMYK"), "JPEG")
    result = thumbnails_of(data, ready_dir)
    made = {thumb.size: thumb for thumb in result.thumbnails}
    assert (ready_dir / made[128].path).read_bytes() != data
    with Image.open(ready_dir / made[128].path) as shown:
        assert shown.mode == "RGB"
        assert shown.size == ((60, 100) if what == "turned" else (100, 60))


# Four colours far apart, one per quadrant: where each lands shows how an image was turned.
QUADRANT_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))


def quadrants(size: tuple[int, int]) -> Image.Image:
    """An image whose quadrants are QUADRANT_COLOURS: top left, top right, bottom left, right."""
    width, height = size
    image = Image.new("RGB", size)
    for index, colour in enumerate(QUADRANT_COLOURS):
        left, top = (index % 2) * width // 2, (index // 2) * height // 2
        image.paste(colour, (left, top, left + width // 2, top + height // 2))
    return image


def quadrant_colours(image: Image.Image) -> list[tuple[int, int, int]]:
    """The colour of each quadrant's centre, as the nearest of QUADRANT_COLOURS (JPEG blurs)."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    centres = [(x * width // 4, y * height // 4) for y in (1, 3) for x in (1, 3)]
    return [_nearest(rgb.getpixel(at)) for at in centres]


def _nearest(pixel: tuple[int, int, int]) -> tuple[int, int, int]:
    return min(
        QUADRANT_COLOURS,
        key=lambda colour: sum((a - b) ** 2 for a, b in zip(colour, pixel, strict=True)),
    )


@pytest.mark.parametrize("orientation", range(2, 9))
def test_an_original_that_fits_is_turned_upright_whatever_its_orientation(
    ready_dir: Path, orientation: int
) -> None:
    # 2, 3 and 4 mirror or turn it upside down without swapping width and height: a turn all
    # the same, so its own bytes cannot stand for its thumbnail.
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(quadrants((100, 60)), "JPEG", exif=exif)  # fits 128
    with Image.open(io.BytesIO(data)) as original:
        upright = ImageOps.exif_transpose(original)
    result = thumbnails_of(data, ready_dir)
    with Image.open(ready_dir / result.thumbnails[-1].path) as shown:
        assert result.thumbnails[-1].size == 128 and shown.size == upright.size
        assert quadrant_colours(shown) == quadrant_colours(upright)


def animated_gif(size: tuple[int, int]) -> bytes:
    frames = [colour_source("RGB", size).convert("P") for _ in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        encoded(colour_source("P", (100, 60)), "GIF"),
        animated_gif((100, 60)),
        encoded(colour_source("RGBA", (100, 60)), "WEBP"),
        encoded(colour_source("RGB", (100, 60)), "BMP"),
    ],
    ids=["gif", "animated-gif", "webp", "bmp"],
)
def test_thumbnails_are_jpeg_or_png_even_when_the_original_fits(
    ready_dir: Path, data: bytes
) -> None:
    result = thumbnails_of(data, ready_dir)
    made = {thumb.size: thumb for thumb in result.thumbnails}
    assert made[128].path.endswith((".jpg", ".png"))
    with Image.open(ready_dir / made[128].path) as shown:
        assert shown.format in ("JPEG", "PNG") and shown.size == (100, 60)
        assert getattr(shown, "n_frames", 1) == 1


def deflate_header(png: bytes) -> tuple[int, int]:
    """Of a PNG's first IDAT chunk: the level class its zlib header names (FLEVEL: 0 for
    levels 0 and 1, 2 for the default 6) and its first deflate block's type (0: stored)."""
    at = 8  # past the signature: chunks of length, type, data, CRC
    while png[at + 4 : at + 8] != b"IDAT":
        at += 12 + struct.unpack(">I", png[at : at + 4])[0]
    zlib_flags, first_byte = png[at + 9], png[at + 10]
    return zlib_flags >> 6, (first_byte >> 1) & 0b11


def test_png_thumbnails_are_compressed_at_zlibs_fastest_level(ready_dir: Path) -> None:
    # Level 1: docs/performance.md's numbers rest on it (level 0 would not compress).
    result = thumbnails_of(encoded(colour_source("RGBA"), "PNG"), ready_dir)
    for thumb in result.thumbnails:
        level_class, block_type = deflate_header((ready_dir / thumb.path).read_bytes())
        assert thumb.path.endswith(".png") and level_class == 0 and block_type != 0


def naive_cmyk_to_lab(inks: tuple[int, ...]) -> tuple[float, float, float]:
    """A made-up press: each ink darkens and tints, black darkens most."""
    cyan, magenta, yellow, black = inks
    lightness = max(5.0, 95 - 45 * max(cyan, magenta, yellow) - 60 * black)
    return lightness, 60 * magenta - 35 * cyan, 70 * yellow - 45 * cyan - 25 * magenta


# Patches of one colour each, side by side: (mode, the file's values, its profile).
TAGGED = {
    "display-p3": (
        "RGB",
        [(184, 50, 41), (40, 160, 60), (30, 60, 190), (128, 128, 128)],
        display_p3(),
    ),
    "adobe-rgb": (
        "RGB",
        [(98, 168, 56), (200, 40, 40), (40, 60, 180), (128, 128, 128)],
        adobe_rgb(),
    ),
    "cmyk": ("CMYK", [(255, 0, 0, 0), (0, 200, 0, 0), (0, 0, 255, 40), (60, 60, 60, 0)], None),
    "grey-gamma-1.8": ("L", [30, 90, 128, 200], grey_gamma_18()),
}
PATCH = 100


def patches(mode: str, values: list) -> Image.Image:
    """One PATCH x PATCH square per value, in a row."""
    image = Image.new(mode, (PATCH * len(values), PATCH))
    for index, value in enumerate(values):
        # A patch of its own, pasted: paste(value) clips 16-bit values.
        image.paste(Image.new(mode, (PATCH, PATCH), value), (index * PATCH, 0))
    return image


def shown_by_a_browser(data: bytes) -> Image.Image:
    """The original as a browser shows it: converted by its profile into sRGB (ImageCms)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        profile = image.info.get("icc_profile")
        if not profile:
            return image.convert("RGB")
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        srgb = ImageCms.createProfile("sRGB")
        intent = ImageCms.Intent.RELATIVE_COLORIMETRIC
        return ImageCms.profileToProfile(image, source, srgb, intent, outputMode="RGB")


def patch_colours(image: Image.Image, count: int) -> list[tuple[int, ...]]:
    """The colour at the centre of each of count patches, as RGB."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    return [rgb.getpixel(((2 * i + 1) * width // (2 * count), height // 2)) for i in range(count)]


def close(first: list, second: list, tolerance: int = 3) -> bool:
    pairs = zip(first, second, strict=True)
    return all(abs(a - b) <= tolerance for one, two in pairs for a, b in zip(one, two, strict=True))


@pytest.mark.parametrize("tagged", TAGGED, ids=TAGGED)
def test_a_photo_with_a_colour_profile_gets_a_thumbnail_in_srgb(
    ready_dir: Path, tagged: str
) -> None:
    mode, values, profile = TAGGED[tagged]
    profile = profile or cmyk_profile(naive_cmyk_to_lab)
    data = encoded(patches(mode, values), "JPEG", quality=95, icc_profile=profile)
    browser = patch_colours(shown_by_a_browser(data), len(values))
    raw = patch_colours(patches(mode, values), len(values))  # the values, read as sRGB
    assert not close(browser, raw)  # the profile matters: the test can tell
    result = thumbnails_of(data, ready_dir)
    for thumb in result.thumbnails:
        with Image.open(ready_dir / thumb.path) as made:
            assert "icc_profile" not in made.info  # untagged: read as sRGB everywhere
            assert close(patch_colours(made, len(values)), browser), thumb.size


def test_a_p3_red_is_shown_as_browsers_show_it(ready_dir: Path) -> None:
    data = encoded(Image.new("RGB", (300, 200), (184, 50, 41)), "JPEG", icc_profile=display_p3())
    result = thumbnails_of(data, ready_dir)
    with Image.open(ready_dir / result.thumbnails[0].path) as made:
        assert close([made.getpixel((32, 20))], [(200, 30, 29)], 2)


def test_an_original_with_a_profile_is_converted_even_when_it_fits(ready_dir: Path) -> None:
    data = encoded(Image.new("RGB", (100, 60), (184, 50, 41)), "PNG", icc_profile=display_p3())
    result = thumbnails_of(data, ready_dir)
    made = {thumb.size: thumb for thumb in result.thumbnails}
    assert (ready_dir / made[128].path).read_bytes() != data
    with Image.open(ready_dir / made[128].path) as shown:
        assert shown.size == (100, 60) and close([shown.getpixel((50, 30))], [(200, 30, 29)], 2)


def test_an_unreadable_profile_is_ignored_as_browsers_ignore_it(ready_dir: Path) -> None:
    data = encoded(Image.new("RGB", (300, 200), (184, 50, 41)), "JPEG", icc_profile=b"junk" * 40)
    result = thumbnails_of(data, ready_dir)
    with Image.open(ready_dir / result.thumbnails[0].path) as made:
        assert close([made.getpixel((32, 20))], [(184, 50, 41)], 2)


# A colour key: one value of the file, named see-through by PNG's tRNS chunk.
KEYED = {
    "rgb": ("RGB", (255, 0, 255), (30, 120, 200)),
    "grey": ("L", 7, 180),
    "grey-16-bit": ("I;16", 40_000, 20_000),
    "palette": ("P", 0, 1),
}


@pytest.mark.parametrize("keyed", KEYED, ids=KEYED)
def test_a_colour_key_stays_transparent(ready_dir: Path, keyed: str) -> None:
    mode, key, other = KEYED[keyed]
    image = patches(mode, [key, other])  # left see-through, right opaque
    if mode == "P":
        image.putpalette([255, 0, 255, 30, 120, 200] + [0] * 762)
    result = thumbnails_of(encoded(image, "PNG", transparency=key), ready_dir)
    for thumb in result.thumbnails:
        with Image.open(ready_dir / thumb.path) as made:
            assert made.format == "PNG" and made.mode in ("RGBA", "LA")
            alpha = made.getchannel("A")
            width, height = made.size
            assert alpha.getpixel((width // 4, height // 2)) == 0
            assert alpha.getpixel((3 * width // 4, height // 2)) == 255


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_a_jpeg_missing_only_its_end_marker_is_shown_whole(
    ready_dir: Path, progressive: bool
) -> None:
    whole = encoded(patches("RGB", [(200, 30, 30), (30, 30, 200)]), "JPEG", progressive=progressive)
    assert whole.endswith(b"\xff\xd9")
    result = thumbnails_of(whole[:-2], ready_dir)
    assert result.ok, result.error
    for thumb in result.thumbnails:
        with Image.open(ready_dir / thumb.path) as made:
            assert close(patch_colours(made, 2), [(200, 30, 30), (30, 30, 200)], 4)


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
@pytest.mark.parametrize("kept", [0.3, 0.9])
def test_a_jpeg_cut_off_in_its_data_is_still_broken(
    ready_dir: Path, progressive: bool, kept: float
) -> None:
    whole = encoded(colour_source("RGB"), "JPEG", progressive=progressive)
    result = thumbnails_of(whole[: int(len(whole) * kept)], ready_dir)
    assert result.error is not None and result.error.kind == ErrorKind.UNDECODABLE
