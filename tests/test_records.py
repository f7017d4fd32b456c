"""The record files and the digest: the same work gives the same digest in any order, and
work that differs in anything the digest promises to cover gives a different one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.pages import Page
from errors import ErrorInfo, ErrorKind
from processing.thumbnails import ImageResult, Thumbnail
from runfolder.records import RunRecorder
from runfolder.resume import page_from_row
from stats import Stats

START = "http://127.0.0.1:8123/"
IMAGE = ImageResult(
    url="http://127.0.0.1:8123/a.jpg",
    original="originals/aa.jpg",
    sha256="aa" * 32,
    size=1000,
    width=40,
    height=30,
    thumbnails=(Thumbnail(64, "thumbnails/64/aa.jpg", "11" * 32),),
    colours=("#102030",),
)
OTHER = IMAGE._replace(url="http://127.0.0.1:8123/b.jpg", sha256="bb" * 32)
PAGE = Page(START + "p", START + "p", 200, 1, None, (START,), (IMAGE.url,))


def digest_of(
    run_dir: Path, images: list[ImageResult], start: str = START, pages: tuple[Page, ...] = ()
) -> str:
    run_dir.mkdir()
    recorder = RunRecorder(run_dir, start, Stats())
    for page in pages:
        recorder.page(page)
    for image in images:
        recorder.image(image)
    recorder.close()
    return recorder.digest()


def test_the_same_work_in_any_order_and_on_any_port_has_the_same_digest(tmp_path: Path) -> None:
    moved = [image._replace(url=image.url.replace("8123", "9999")) for image in (OTHER, IMAGE)]
    assert (
        digest_of(tmp_path / "a", [IMAGE, OTHER])
        == digest_of(tmp_path / "b", [OTHER, IMAGE])
        == digest_of(tmp_path / "c", moved, start="http://127.0.0.1:9999/")
    )


@pytest.mark.parametrize(
    "changed",
    [
        IMAGE._replace(thumbnails=(Thumbnail(64, "thumbnails/64/aa.jpg", "22" * 32),)),
        IMAGE._replace(sha256="cc" * 32),
        IMAGE._replace(colours=("#102031",)),
        IMAGE._replace(url="http://127.0.0.1:8123/c.jpg"),
        IMAGE._replace(error=ErrorInfo(ErrorKind.UNDECODABLE, "bad")),
    ],
    ids=["a thumbnail's bytes", "the original's bytes", "colours", "url", "error kind"],
)
def test_different_work_has_a_different_digest(tmp_path: Path, changed: ImageResult) -> None:
    assert digest_of(tmp_path / "a", [IMAGE, OTHER]) != digest_of(tmp_path / "b", [changed, OTHER])


FAILED = PAGE._replace(status=404, error=ErrorInfo(ErrorKind.HTTP, "HTTP 404 Not Found"))


@pytest.mark.parametrize(
    ("page", "changed"),
    [
        (PAGE, FAILED),
        (FAILED, FAILED._replace(status=0, error=ErrorInfo(ErrorKind.TIMEOUT, "too long"))),
        (PAGE, PAGE._replace(url=START + "q", final_url=START + "q")),
    ],
    ids=["ok or failed", "error kind", "url"],
)
def test_a_page_that_differs_in_outcome_or_url_gives_a_different_digest(
    tmp_path: Path, page: Page, changed: Page
) -> None:
    before = digest_of(tmp_path / "a", [IMAGE], pages=(page,))
    assert digest_of(tmp_path / "b", [IMAGE], pages=(changed,)) != before


@pytest.mark.parametrize("nofollow", [False, True])
def test_a_page_record_gives_back_the_page_a_resumed_run_goes_on_from(
    tmp_path: Path, nofollow: bool
) -> None:
    page = Page(START, START, 200, 0, None, (START + "a",), (START + "i.png",), nofollow)
    recorder = RunRecorder(tmp_path, START, Stats())
    recorder.page(page)
    recorder.close()
    row = json.loads((tmp_path / "pages.jsonl").read_text())
    assert page_from_row(row) == page
