"""A polite crawler: robots.txt as RFC 9309 reads it, Crawl-delay and --rate per host on every
model (one slow host never holding up another), and --ignore-robots only when asked."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import pytest

from crawler.http import Response, http_error
from crawler.robots import Robots
from runfolder.resume import read_run_info
from tests.conftest import MiniSite, crawl_command, serving
from tests.test_crawl import crawl

RFC_9309 = """
User-agent: *
Disallow: /private/
Allow: /private/open
Disallow: /*.gif$
Disallow: /search

User-agent: concurrency-demo
Disallow: /only-for-others/
Allow: /search/help
Disallow: /search
"""


def robots(text: str, status: int = 200) -> Robots:
    error = http_error(status) if status >= 300 else None
    return Robots.from_response(Response("u", "u", status, "text/plain", text.encode(), error))


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", True),
        ("/only-for-others/page", False),  # our own group, not "*"
        ("/private/secret", True),  # "*"'s rules do not apply once our group exists
        ("/search", False),
        ("/search/help", True),  # the longer Allow wins over the shorter Disallow
        ("/search/other", False),
    ],
)
def test_our_own_group_comes_before_the_star_group(path: str, allowed: bool) -> None:
    assert robots(RFC_9309).allows(f"http://site{path}") is allowed


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/private/secret", False),
        ("/private/open", True),  # Allow, longer than the Disallow it overrides
        ("/private/opener", True),
        ("/pics/a.gif", False),  # '*' matches any run of characters, '$' ends the path
        ("/pics/a.gif.html", True),
        ("/search?q=x", False),
    ],
)
def test_the_star_group_with_wildcards_and_the_longest_match(path: str, allowed: bool) -> None:
    rules = RFC_9309.split("User-agent: concurrency-demo")[0]
    assert robots(rules).allows(f"http://site{path}") is allowed


def test_an_unreachable_robots_txt_forbids_and_a_missing_one_allows() -> None:
    assert not robots("", status=503).allows("http://site/")
    assert robots("", status=404).allows("http://site/anything")
    assert robots("User-agent: *\nCrawl-delay: 2.5\n").crawl_delay() == 2.5
    assert robots("User-agent: *\nCrawl-delay: soon\n").crawl_delay() == 0.0


def test_crawl_delay_comes_from_our_own_group_before_the_star_group() -> None:
    star = "User-agent: *\nCrawl-delay: 5\n\n"
    assert robots(star + "User-agent: concurrency-demo\nCrawl-delay: 0.5\n").crawl_delay() == 0.5
    # Our group asks for no delay: the star group's does not apply to us at all.
    assert robots(star + "User-agent: concurrency-demo\nDisallow: /x\n").crawl_delay() == 0.0


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(sorted(times))]


def polite_site(delay: str | None) -> MiniSite:
    """Four pages behind a robots.txt that asks for `delay` seconds between requests."""
    site = MiniSite()
    paths = [f"/p{index}" for index in range(3)]
    site.add_page("/", links=paths)
    for path in paths:
        site.add_page(path)
    rules = "User-agent: *\nDisallow: /nothing\n" + (f"Crawl-delay: {delay}\n" if delay else "")
    site.add_bytes("/robots.txt", rules.encode(), "text/plain")
    return site


def page_hits(site: MiniSite) -> list[float]:
    return [at for path, times in site.hit_times.items() if path != "/robots.txt" for at in times]


def test_crawl_delay_spaces_the_requests_to_a_host(model: str) -> None:
    site = polite_site("0.25")
    with serving(site.app) as origin:
        result = crawl(origin, model, concurrency=4)
    assert len(result.pages) == 4
    # As the server saw them arrive: however long a request waited in a queue or a pool
    # before it left, the next leaves only a whole delay after it has ended.
    assert min(gaps(page_hits(site))) >= 0.25
    assert result.stats.get(f"crawl_delay/{origin.removeprefix('http://')}") == 0.25
    assert result.stats.get("politeness/delayed") == 3


def test_rate_spaces_the_requests_of_a_site_that_asks_nothing(model: str) -> None:
    site = polite_site(None)
    with serving(site.app) as origin:
        crawl(origin, model, concurrency=4, rate=5.0)
    assert min(gaps(page_hits(site))) >= 0.2  # 1/5 s


def test_a_shorter_crawl_delay_leaves_the_longer_rate_interval_in_force() -> None:
    site = polite_site("0.05")
    with serving(site.app) as origin:
        result = crawl(origin, "asyncio", concurrency=4, rate=5.0)
    assert min(gaps(page_hits(site))) >= 0.2  # 1/5 s, not the site's 0.05 s
    assert result.stats.get(f"crawl_delay/{origin.removeprefix('http://')}") == 0.2


def test_a_slow_host_never_holds_up_another(model: str) -> None:
    slow, fast = MiniSite(), MiniSite()
    slow.add_bytes("/robots.txt", b"User-agent: *\nCrawl-delay: 0.5\n", "text/plain")
    for index in range(3):
        slow.add_bytes(f"/s{index}.jpg", b"slow")
    for index in range(6):
        fast.add_bytes(f"/f{index}.jpg", b"fast")
    with serving(slow.app) as slow_origin, serving(fast.app) as fast_origin:
        images = [f"{slow_origin}/s{index}.jpg" for index in range(3)]
        images += [f"{fast_origin}/f{index}.jpg" for index in range(6)]
        home = MiniSite()
        home.add_page("/", images=images)
        with serving(home.app) as origin:
            result = crawl(origin, model, concurrency=2)
    assert len(result.images) == 9
    slow_times = sorted(page_hits(slow))
    # Every fast image was fetched before the slow host's second request was even due.
    assert max(page_hits(fast)) < slow_times[1]


def test_ignore_robots_is_explicit_and_recorded(tmp_path: Path) -> None:
    site = MiniSite()
    site.add_page("/", links=["/private/page"])
    site.add_page("/private/page")
    site.add_bytes(
        "/robots.txt", b"User-agent: *\nDisallow: /private/\nCrawl-delay: 5\n", "text/plain"
    )
    runs = {}
    with serving(site.app) as origin:
        for name, extra in (("obeyed", []), ("ignored", ["--ignore-robots"])):
            out = tmp_path / name
            command = crawl_command(f"{origin}/", "--out", str(out), "--concurrency", "2", *extra)
            done = subprocess.run(command, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            runs[name] = (out, done.stdout)
    obeyed, ignored = (json.loads((runs[n][0] / "summary.json").read_text()) for n in runs)
    assert obeyed["counts"]["pages"] == 1 and obeyed["politeness"]["robots"] == "obeyed"
    assert ignored["counts"]["pages"] == 2 and ignored["politeness"]["robots"] == "ignored"
    assert ignored["politeness"]["crawl_delays"] == {}  # its Crawl-delay is ignored too
    assert read_run_info(runs["ignored"][0]).config.crawling.ignore_robots
    assert "robots.txt IGNORED" in runs["ignored"][1]
    assert site.hits["/robots.txt"] == 1  # only the obeying crawl asked for it
