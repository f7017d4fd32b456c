"""Live progress: one tqdm bar per stage, drawn only from the event-loop (main) thread."""

from __future__ import annotations

from tqdm import tqdm


class Progress:
    """Bars for pages crawled, images saved and images thumbnailed."""

    def __init__(self, enabled: bool) -> None:
        # disable=None: tqdm turns itself off when stderr is not a terminal.
        options = {"disable": None if enabled else True, "dynamic_ncols": True, "leave": True}
        self.pages = tqdm(desc="crawl  pages ", unit=" page", position=0, **options)
        self.saved = tqdm(desc="write  images", unit=" img", position=1, **options)
        self.resized = tqdm(desc="resize images", unit=" img", position=2, **options)

    def discovered(self, pages: int, images: int) -> None:
        """Grow the totals as the crawl finds more work."""
        self.pages.total = pages
        self.saved.total = images
        self.resized.total = images

    def close(self) -> None:
        """Leave the bars on screen at their final counts."""
        for bar in (self.pages, self.saved, self.resized):
            bar.close()
