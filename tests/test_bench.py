"""The benchmarks' own wiring: a bench that only `make bench-load` runs must not rot unseen."""

from __future__ import annotations

from pathlib import Path

from bench.load import measure


def test_the_memory_bench_measures_a_whole_crawl_from_outside(tmp_path: Path) -> None:
    row = measure(60, tmp_path)
    assert 0 < row["pages"] <= 60
    assert row["wall_s"] > 0 and row["fetch_per_s"] > 0
    assert row["peak_rss_mb"] > 10  # the whole process tree: an interpreter alone is more
    assert row["mb_per_1000_pages"] == round(row["peak_rss_mb"] / row["pages"] * 1000, 2)
