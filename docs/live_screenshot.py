"""Make docs/live.png: the live page of a default `make crawl` run, mid-run, once the resize
queue has been full for a while (backpressure: the crawl's lanes go quiet).

    .venv/bin/python docs/live_screenshot.py

It drives Debian's Chromium headless with Playwright, as the browser tests do, and keeps the
PNG small (a palette of 128 colours).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "live.png"
SECONDS_IN = 5.0  # the moment to take: well into the run, the resize queue full
FULL = "[data-queue='resize'] .busy"


def main() -> None:
    """Run a default crawl with --live, photograph its page mid-run, save docs/live.png."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, str(ROOT / "pipeline.py"), "crawl", "--live", "--quiet"]
        run = subprocess.Popen(
            [*command, "--out", str(Path(folder) / "run")],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        url = run.stdout.readline().split(": ", 1)[1].strip()
        shot = Path(folder) / "live.png"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(url)
            condition = f"""() => window.LIVE && window.LIVE.now > {SECONDS_IN}
                && (document.querySelector("{FULL}") || {{}}).textContent?.endsWith("full")"""
            page.wait_for_function(condition, timeout=120_000)
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
        run.communicate(timeout=300)
        with Image.open(shot) as image:
            image.convert("RGB").quantize(colors=128).save(OUT, optimize=True)
    print(f"{OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
