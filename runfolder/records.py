"""The run folder's files: pages.jsonl, images.jsonl, summary.json, and the run's digest.

The digest sums (mod 2^256) the SHA-256 of one line per page (URL, ok or error kind) and one
per image (URL, original's SHA-256, each thumbnail's SHA-256, colours, error kind): a sum does
not depend on order, so the same work gives the same digest whatever model did it, and it
takes constant memory however large the site. URLs enter it with the start URL's
port replaced by a placeholder, so two runs of the local site on different free ports agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from crawler.pages import Page
from errors import ErrorInfo
from processing.files import sha256_hex
from processing.thumbnails import ImageResult
from stats import Stats

DIGEST_MODULUS = 2**256


def _by_size(item: tuple[str, str]) -> int:
    return int(item[0])


class RunRecorder:
    """Appends one JSON line per page and per image, and counts what it wrote into stats."""

    def __init__(self, run_dir: Path, start_url: str, stats: Stats) -> None:
        self.run_dir = run_dir
        self._port = f":{urlsplit(start_url).port}" if urlsplit(start_url).port else None
        # Line-buffered: every line reaches the file whole, even if the process is then killed.
        self._pages: TextIO = open(  # noqa: SIM115
            run_dir / "pages.jsonl", "a", encoding="utf-8", buffering=1
        )
        self._images: TextIO = open(  # noqa: SIM115
            run_dir / "images.jsonl", "a", encoding="utf-8", buffering=1
        )
        self._stats = stats
        self._digest = 0

    def page(self, page: Page) -> None:
        """Record one page attempted (with what it links to, so a resumed run can go on)."""
        row = {
            "url": page.url,
            "final_url": page.final_url,
            "status": page.status,
            "depth": page.depth,
            "ok": page.ok,
            "error": self._error(page.error),
            "links": list(page.links),
            "images": list(page.images),
            "nofollow": page.nofollow,
        }
        self._pages.write(json.dumps(row) + "\n")
        self.count_page(row)

    def image(self, image: ImageResult) -> None:
        """Record one image URL's outcome."""
        row = {
            "url": image.url,
            "ok": image.ok,
            "error": self._error(image.error),
            "original": image.original or None,
            "thumbnails": {str(t.size): t.path for t in image.thumbnails},
            "thumbnail_sha256": {str(t.size): t.sha256 for t in image.thumbnails},
            "width": image.width or None,
            "height": image.height or None,
            "bytes": image.size,
            "sha256": image.sha256 or None,
            "colours": list(image.colours) or None,
        }
        self._images.write(json.dumps(row) + "\n")
        self.count_image(row)

    def count_page(self, row: dict[str, Any]) -> None:
        """Add a page row to the counts and the digest (also for rows a resumed run replays)."""
        self._stats.inc("pages")
        self._count_error("pages_failed", row["error"])
        outcome = row["error"]["kind"] if row["error"] else "ok"
        self._add_to_digest(f"page {self._portless(row['url'])} {outcome}")

    def count_image(self, row: dict[str, Any]) -> None:
        """Add an image row to the counts and the digest."""
        self._stats.inc("images")
        self._stats.inc("thumbnails", len(row["thumbnails"]))
        self._stats.inc("bytes", row["bytes"])
        self._count_error("images_failed", row["error"])
        outcome = row["error"]["kind"] if row["error"] else "ok"
        shas = " ".join(sha for _, sha in sorted(row["thumbnail_sha256"].items(), key=_by_size))
        colours = " ".join(row["colours"] or ())
        sha256 = row["sha256"] or ""
        self._add_to_digest(
            f"image {self._portless(row['url'])} {outcome} {sha256} {shas} {colours}"
        )

    def digest_files(self, folder: str) -> None:
        """Add every file under run_dir/folder (its path and the SHA-256 of its bytes as they
        are on disk) to the digest: the proof that two runs wrote the same files."""
        for path in sorted((self.run_dir / folder).rglob("*")):
            if path.is_file():
                relative = path.relative_to(self.run_dir).as_posix()
                self._add_to_digest(f"file {relative} {sha256_hex(path.read_bytes())}")

    def digest(self) -> str:
        """Return the order-independent digest of everything recorded so far."""
        return f"{self._digest:064x}"

    def _add_to_digest(self, line: str) -> None:
        value = int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")
        self._digest = (self._digest + value) % DIGEST_MODULUS

    def close(self) -> None:
        """Flush and close the JSON Lines files."""
        for file in (self._pages, self._images):
            # A failed write is already on its way up; closing must not hide it behind
            # a second failure while flushing the same line again.
            with contextlib.suppress(OSError):
                file.close()

    def _error(self, error: ErrorInfo | None) -> dict[str, str] | None:
        """The error as a record, any mention of the run folder's own path made relative: a
        record never names a path of the machine."""
        if error is None:
            return None
        message = error.message
        for folder in {self.run_dir.resolve(), self.run_dir.absolute()}:
            message = message.replace(f"{folder}{os.sep}", "").replace(str(folder), ".")
        return {"kind": str(error.kind), "message": message}

    def _portless(self, url: str) -> str:
        netloc = urlsplit(url).netloc
        if self._port and netloc.endswith(self._port):
            return url.replace(netloc, netloc.removesuffix(self._port) + ":PORT", 1)
        return url

    def _count_error(self, counter: str, error: dict[str, str] | None) -> None:
        if error is not None:
            self._stats.inc(counter)
            self._stats.inc(f"errors/{error['kind']}")
