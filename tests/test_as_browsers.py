"""Photos as phones take them, served as servers send them, on every crawl model: each
thumbnail shows what a browser shows for its original, and the records say what happened."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from PIL import Image

from config import RunConfig, StageConfig
from crawler.crawl import CrawlSettings
from crawler.encodings import ACCEPT_ENCODING
from measure.progress import Progress
from pipeline import Pipeline
from tests.conftest import MiniSite, serving
from tests.icc import display_p3
from tests.test_encodings import compressor
from tests.test_processing import (
    KEYED,
    TAGGED,
    close,
    encoded,
    patch_colours,
    patches,
    shown_by_a_browser,
)

SIZES = (64, 128)
WHOLE = patches("RGB", [(200, 30, 30), (30, 30, 200)])


def tagged_images() -> dict[str, bytes]:
    """Display P3 and Adobe RGB photos (JPEG), each with its real profile."""
    return {
        f"/{name}.jpg": encoded(patches(mode, values), "JPEG", quality=95, icc_profile=profile)
        for name, (mode, values, profile) in TAGGED.items()
        if name in ("display-p3", "adobe-rgb")
    }


def keyed_images() -> dict[str, bytes]:
    """PNGs whose left half is see-through by a colour key (RGB, grey, palette)."""
    images = {}
    for name in ("rgb", "grey", "palette"):
        mode, key, other = KEYED[name]
        image = patches(mode, [key, other])
        if mode == "P":
            image.putpalette([255, 0, 255, 30, 120, 200] + [0] * 762)
        images[f"/key-{name}.png"] = encoded(image, "PNG", transparency=key)
    return images


def site_of(images: dict[str, bytes], broken: dict[str, bytes]) -> MiniSite:
    """A site whose home page (sent as zstd) shows every image; each image sent as br."""
    site = MiniSite()
    tags = "".join(f'<img src="{path}">' for path in [*images, *broken])

    def sent(body: bytes, coding: str, content_type: str):
        async def handler(request: web.Request) -> web.Response:
            headers = {"Content-Encoding": coding, "Content-Type": content_type}
            return web.Response(body=compressor(coding)(body), headers=headers)

        return handler

    site.add("/", sent(f"<html><body>{tags}</body></html>".encode(), "zstd", "text/html"))
    for path, data in {**images, **broken}.items():
        site.add(path, sent(data, "br", "image/jpeg" if path.endswith(".jpg") else "image/png"))
    return site


def crawl_images(site: MiniSite, model: str, run_dir: Path) -> dict[str, dict]:
    """Run the whole pipeline on model's crawl; images.jsonl's rows by URL path."""
    with serving(site.app) as origin:
        config = RunConfig(
            start_url=f"{origin}/",
            run_dir=run_dir,
            crawl=StageConfig(model, 4),
            write=StageConfig("threads", 2),
            resize=StageConfig("threads", 2),
            sizes=SIZES,
            crawling=CrawlSettings(),
        )
        asyncio.run(Pipeline(config, Progress(enabled=False)).run())
    rows = [json.loads(line) for line in (run_dir / "images.jsonl").read_text().splitlines()]
    return {urlsplit(row["url"]).path: row for row in rows}


def thumbnails(row: dict, run_dir: Path) -> list[Image.Image]:
    """The row's thumbnails, decoded, smallest first."""
    paths = [row["thumbnails"][str(size)] for size in SIZES]
    return [Image.open(io.BytesIO((run_dir / path).read_bytes())) for path in paths]


def test_thumbnails_show_what_browsers_show_on_every_crawl_model(
    tmp_path: Path, model: str
) -> None:
    tagged, keyed = tagged_images(), keyed_images()
    missing_end = encoded(WHOLE, "JPEG")[:-2]
    cut = encoded(WHOLE, "JPEG", progressive=True)
    broken = {"/missing-end.jpg": missing_end, "/cut.jpg": cut[: len(cut) // 2]}
    site = site_of({**tagged, **keyed}, broken)
    run_dir = tmp_path / "run"
    rows = crawl_images(site, model, run_dir)

    assert site.accept_encodings == [ACCEPT_ENCODING] * (1 + len(tagged) + len(keyed) + 2)
    assert {path: row["error"] and row["error"]["kind"] for path, row in rows.items()} == {
        **{path: None for path in [*tagged, *keyed, "/missing-end.jpg"]},
        "/cut.jpg": "undecodable",
    }
    for path, data in tagged.items():
        browser = patch_colours(shown_by_a_browser(data), 4)
        for made in thumbnails(rows[path], run_dir):
            assert close(patch_colours(made, 4), browser), path
    for path in keyed:
        for made in thumbnails(rows[path], run_dir):
            alpha, (width, height) = made.getchannel("A"), made.size
            assert alpha.getpixel((width // 4, height // 2)) == 0, path
            assert alpha.getpixel((3 * width // 4, height // 2)) == 255, path
    for made in thumbnails(rows["/missing-end.jpg"], run_dir):
        assert close(patch_colours(made, 2), [(200, 30, 30), (30, 30, 200)], 4)


def test_a_p3_red_thumbnail_is_the_red_browsers_show(tmp_path: Path, model: str) -> None:
    photo = encoded(Image.new("RGB", (300, 200), (184, 50, 41)), "JPEG", icc_profile=display_p3())
    rows = crawl_images(site_of({"/p3.jpg": photo}, {}), model, tmp_path / "run")
    for made in thumbnails(rows["/p3.jpg"], tmp_path / "run"):
        centre = made.getpixel((made.width // 2, made.height // 2))
        assert close([centre], [(200, 30, 29)], 2)  # not the file's (184, 50, 41)
