"""The stats collector: one place for a run's numbers, changed only by its verbs."""

from __future__ import annotations

from stats import Stats


def test_verbs_count_keep_extremes_and_set() -> None:
    stats = Stats()
    stats.inc("pages")
    stats.inc("pages", 2)
    stats.max("peak", 3)
    stats.max("peak", 1)
    stats.min("first", 5.0)
    stats.min("first", 2.0)
    stats.set("digest", "abc")
    assert (stats.get("pages"), stats.get("peak"), stats.get("first")) == (3, 3, 2.0)
    assert stats.get("digest") == "abc"
    assert stats.get("never") == 0 and stats.get("never", None) is None


def test_a_group_is_the_keys_under_a_prefix_sorted() -> None:
    stats = Stats()
    for kind in ("timeout", "http", "http"):
        stats.inc(f"errors/{kind}")
    stats.inc("errors_total")
    stats.inc("stage/crawl/items", 4)
    assert stats.group("errors") == {"http": 2, "timeout": 1}
    assert list(stats.group("errors")) == ["http", "timeout"]
    assert stats.group("stage/crawl") == {"items": 4}
    assert stats.group("skipped") == {}


def test_a_snapshot_is_a_copy_that_later_counts_leave_alone() -> None:
    stats = Stats()
    stats.inc("stage/crawl/items", 2)
    seen = stats.snapshot()
    stats.inc("stage/crawl/items")
    stats.set("wall_s", 1.5)
    assert seen == {"stage/crawl/items": 2}
    assert stats.snapshot() == {"stage/crawl/items": 3, "wall_s": 1.5}
