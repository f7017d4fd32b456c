"""Operating-system limits a wide crawl runs into: open files (every connection is one)."""

from __future__ import annotations

import logging

LOGGER = logging.getLogger(__name__)
SPARE_FILES = 256  # the run's own files, pipes to worker processes, the site's sockets


def open_files_for(concurrency: int) -> int:
    """Raise the soft open-file limit so concurrency connections fit; return the limit."""
    try:
        import resource  # Unix only
    except ImportError:
        return concurrency + SPARE_FILES  # Windows has no such per-process soft limit
    needed = concurrency + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        soft = ceiling
    if soft < needed:
        LOGGER.warning(
            "open-file limit %d is below the %d that --concurrency %d needs; raise "
            "the hard limit (ulimit -Hn) or lower --concurrency",
            soft,
            needed,
            concurrency,
        )
    return soft
