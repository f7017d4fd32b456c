"""The test site: deterministic, crawled exactly as its expected sets say, misbehaving on request.

Real servers on 127.0.0.1 (port 0) and real files under tmp dirs; nothing is mocked. The
crawl check below is a deliberately small, independent crawler (stdlib parser and urljoin),
so a disagreement with the project's crawler points at one side or the other.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import pytest
import requests
from PIL import Image

from testsite import ServeOptions, Site, SiteSpec, build_site, running_site, site_process
from testsite.app import STATS_PATH, Traffic
from testsite.graph import HOME, PRIVATE_PREFIX
from testsite.images import ensure_images
from testsite.photos.catalog import plan_images
from testsite.photos.painters import PAINTERS
from testsite.samples import load_words, sample_photo_paths

SMALL = SiteSpec(pages=40, images=24, seed=7, max_megapixels=1.0)
PUBLIC_ROLES = ("home", "index", "article")
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
_EXIF_ORIENTATION = 0x0112


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One image cache for the whole module, so the small site is drawn once."""
    return tmp_path_factory.mktemp("site-cache")


@pytest.fixture(scope="module")
def site(cache_dir: Path) -> Site:
    """The small site, built once."""
    return build_site(SMALL, cache_dir)


@pytest.fixture(scope="module")
def origin(site: Site) -> Iterator[str]:
    """The small site served without latency or errors."""
    with serving(site, ServeOptions()) as url:
        yield url


@contextmanager
def serving(site: Site, options: ServeOptions) -> Iterator[str]:
    """Run running_site on a loop in a background thread; yield its origin."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    context = running_site(site, options)
    url = asyncio.run_coroutine_threadsafe(context.__aenter__(), loop).result(10)
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(context.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# --- An independent reference crawler ----------------------------------------------------


class _Links(HTMLParser):
    """Collects <base>, <a href>, <img src/srcset> and <source srcset>; skips comments/scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.pages: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and self.base is None and "href" in values:
            self.base = values["href"]
        elif tag == "a" and "href" in values:
            self.pages.append(values["href"])
        elif tag in ("img", "source"):
            if tag == "img" and values.get("src"):
                self.images.append(values["src"])
            candidates = values.get("srcset", "").split(",")
            self.images += [c.split()[0] for c in candidates if c.split()]


def canonical(url: str) -> str | None:
    """Browser-canonical form of an absolute http(s) URL, or None for other schemes."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return None
    port = parts.port
    netloc = parts.hostname if port in (None, {"http": 80, "https": 443}[scheme]) else None
    netloc = netloc or f"{parts.hostname}:{port}"
    path = quote(_remove_dots(unquote(parts.path) or "/"), safe=_SAFE_PATH)
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def _remove_dots(path: str) -> str:
    """RFC 3986 remove_dot_segments, for absolute hrefs that urljoin leaves alone."""
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    trailing = path.endswith(("/.", "/..")) and output and output[-1]
    return "/" + "/".join(output) + ("/" if trailing else "")


def reference_crawl(start_origin: str) -> tuple[set[str], set[str]]:
    """Crawl like a polite browser-grade crawler; return (page URLs, image URLs) found."""
    session = requests.Session()
    robots = RobotFileParser()
    robots.parse(session.get(f"{start_origin}/robots.txt").text.splitlines())
    host = urlsplit(start_origin).netloc
    pages, images, queue = {f"{start_origin}/"}, set(), deque([f"{start_origin}/"])
    while queue:
        url = queue.popleft()
        response = session.get(url)
        assert response.status_code == 200, url
        parser = _Links()
        parser.feed(response.text)
        base = urljoin(url, parser.base) if parser.base is not None else url
        images |= {u for u in (canonical(urljoin(base, h)) for h in parser.images) if u}
        for found in (canonical(urljoin(base, href)) for href in parser.pages):
            on_host = found and urlsplit(found).netloc == host
            if on_host and found not in pages and robots.can_fetch("*", found):
                pages.add(found)
                queue.append(found)
    return pages, images


# --- Determinism ---------------------------------------------------------------------------


def test_same_seed_gives_the_same_graph_and_image_bytes(site: Site, tmp_path: Path) -> None:
    again = build_site(SMALL, tmp_path)
    assert again.graph == site.graph
    assert again.bodies == site.bodies
    for plan in site.images:
        assert (again.image_dir / plan.name).read_bytes() == (
            site.image_dir / plan.name
        ).read_bytes()


def test_a_different_seed_gives_a_different_site(site: Site, tmp_path: Path) -> None:
    other = build_site(replace(SMALL, seed=SMALL.seed + 1), tmp_path)
    assert other.graph != site.graph
    assert other.image_dir != site.image_dir
    first, second = site.images[0], other.images[0]
    assert (other.image_dir / second.name).read_bytes() != (
        site.image_dir / first.name
    ).read_bytes()


def test_a_second_build_reuses_the_cached_files(site: Site) -> None:
    assert ensure_images(site.images, site.image_dir, sample_photo_paths(), PAINTERS) == 0
    leftovers = [path.name for path in site.image_dir.iterdir() if path.name.startswith(".")]
    assert leftovers == []  # no temporary files: every write was renamed into place


# --- The graph -----------------------------------------------------------------------------


def test_every_public_page_is_reachable_from_home_without_private_pages(site: Site) -> None:
    by_path = site.graph.by_path
    seen, queue = {HOME}, deque([HOME])
    while queue:
        for link in by_path[queue.popleft()].links:
            public = link.on_host and by_path[link.target].role in PUBLIC_ROLES
            if public and link.target not in seen:
                seen.add(link.target)
                queue.append(link.target)
    assert seen == {page.path for page in site.graph.with_role(*PUBLIC_ROLES)}


def test_each_page_links_to_8_to_12_public_pages(site: Site) -> None:
    for page in site.graph.pages:
        public = [
            link
            for link in page.links
            if link.on_host and not link.target.startswith(PRIVATE_PREFIX)
        ]
        assert 8 <= len(public) <= 12, page.path


def test_private_pages_are_linked_from_public_pages_but_not_expected(
    site: Site, origin: str
) -> None:
    private = site.graph.with_role("private")
    assert private
    for page in private:
        sources = [
            source
            for source in site.graph.with_role(*PUBLIC_ROLES)
            if any(link.target == page.path for link in source.links)
        ]
        assert len(sources) >= 3
        assert all(link.target.startswith("/") for link in page.links)
        assert not any(link.target.startswith(PRIVATE_PREFIX) for link in page.links)
    urls = site.private_page_urls(origin)
    assert not urls & site.expected_page_urls(origin)
    assert all(requests.get(url).status_code == 200 for url in urls)
    robots = requests.get(f"{origin}/robots.txt").text
    assert "User-agent: *\nDisallow: /private/\n" in robots


def test_hidden_pages_are_served_but_named_only_in_comments_and_scripts(
    site: Site, origin: str
) -> None:
    urls = site.hidden_page_urls(origin)
    assert urls
    assert not urls & site.expected_page_urls(origin)
    assert all(requests.get(url).status_code == 200 for url in urls)
    places = {decoy.place for page in site.graph.pages for decoy in page.decoys}
    assert places == {"comment", "script"}
    # The trap works: a regex over the HTML finds what a parser must not.
    text = b"".join(site.bodies.values()).decode()
    assert re.findall(r"""href=["'](/hidden/\d+\.html)""", text)


def test_the_site_has_every_trap_in_its_pages(site: Site) -> None:
    text = b"".join(site.bodies.values()).decode()
    for needle in ('href="mailto:', 'href="javascript:void(0)"', 'href="tel:', 'href=""'):
        assert needle in text
    for needle in ("https://example.org/", '<base href="/docs/">', "@@alt@@/", "@@ORIGIN@@/"):
        assert needle in text
    for needle in ("srcset=", " 2x", " 1280w", "<picture>", "#", "./", "../", "%C3%A9"):
        assert needle in text


# --- Serving -------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_reference_crawl_finds_exactly_the_expected_urls(
    site: Site, origin: str, host: str
) -> None:
    start = origin.replace("127.0.0.1", host)
    pages, images = reference_crawl(start)
    assert pages == site.expected_page_urls(start)
    assert images == site.expected_image_urls(start)
    assert any(urlsplit(url).hostname != host for url in images)  # some come from the 'CDN'


def test_pages_name_the_origin_the_request_came_in_on(site: Site, origin: str) -> None:
    port = urlsplit(origin).port
    body = requests.get(f"http://localhost:{port}/").text
    assert "@@" not in body
    assert f"http://localhost:{port}/" in body or f"HTTP://LOCALHOST:{port}/" in body
    assert f"http://127.0.0.1:{port}/" not in requests.get(f"http://localhost:{port}/").text


def test_a_page_ignoring_base_would_resolve_to_missing_urls(site: Site, origin: str) -> None:
    page = next(page for page in site.graph.pages if page.base)
    url = canonical(f"{origin}{quote(page.path)}")
    parser = _Links()
    parser.feed(requests.get(url).text)
    relative = [href for href in parser.pages if not href.startswith(("/", "@", "http", "HTTP"))]
    wrong = {canonical(urljoin(url, href)) for href in relative} - site.expected_page_urls(origin)
    assert wrong
    assert all(requests.get(each).status_code == 404 for each in wrong)


def test_unknown_paths_answer_404(origin: str) -> None:
    assert requests.get(f"{origin}/no/such/page.html").status_code == 404
    assert requests.get(f"{origin}/img/missing.jpg").status_code == 404


def test_every_image_is_shown_by_a_public_page(site: Site, origin: str) -> None:
    named = {urlsplit(url).path.removeprefix("/img/") for url in site.expected_image_urls(origin)}
    assert named == {plan.name for plan in site.images}


def test_images_are_what_their_info_says(site: Site, origin: str) -> None:
    seen = set()
    for url in sorted(site.expected_image_urls(origin)):
        info = site.image_info(url, origin)
        with Image.open(info.path) as image:
            assert (image.format, image.mode, image.size) == (
                info.format,
                info.mode,
                (info.width, info.height),
            )
            assert image.getexif().get(_EXIF_ORIENTATION) == info.exif_orientation
            assert image.width * image.height <= SMALL.max_megapixels * 1e6
            assert image.width * image.height >= 0.09e6
        response = requests.get(url)
        assert response.content == Path(info.path).read_bytes()
        assert response.headers["Content-Type"] == f"image/{info.format.lower()}"
        seen.add((info.format, info.mode, info.exif_orientation))
    kinds = {(fmt, mode) for fmt, mode, _ in seen}
    assert kinds >= {("JPEG", "RGB"), ("JPEG", "L"), ("JPEG", "CMYK"), ("PNG", "RGBA")}
    assert kinds >= {("PNG", "LA"), ("PNG", "I;16"), ("GIF", "P"), ("WEBP", "RGB")}
    assert ("WEBP", "RGBA") in kinds
    assert {orientation for *_, orientation in seen} == {None, 3, 6, 8}


def test_some_gifs_have_a_transparent_index(site: Site) -> None:
    gifs = [plan for plan in site.images if plan.format == "GIF"]
    transparent = []
    for plan in gifs:
        with Image.open(site.image_dir / plan.name) as image:
            transparent.append("transparency" in image.info)
    assert any(transparent) and not all(transparent)


def test_the_default_catalogue_has_photo_sizes_up_to_its_maximum() -> None:
    plans = plan_images(SiteSpec(), load_words())
    jpegs = [plan.megapixels for plan in plans if plan.format == "JPEG"]
    assert max(plan.megapixels for plan in plans) <= 12.0
    assert 0.02 <= sum(mp >= 8 for mp in jpegs) / len(jpegs) <= 0.04
    assert sum(0.29 <= mp <= 3 for mp in jpegs) / len(jpegs) >= 0.8
    assert sum(plan.orientation is not None for plan in plans) / len(plans) >= 0.04


def test_error_rate_fails_some_urls_once_then_serves_them(site: Site) -> None:
    with serving(site, ServeOptions(error_rate=0.3)) as url:
        urls = sorted(site.expected_page_urls(url))
        first = [requests.get(each) for each in urls]
        second = [requests.get(each).status_code for each in urls]
        robots = [requests.get(f"{url}/robots.txt").status_code for _ in range(3)]
    failed = [
        each for each, response in zip(urls, first, strict=True) if response.status_code == 503
    ]
    assert 0.1 <= len(failed) / len(urls) <= 0.5
    assert all(r.headers["Retry-After"] == "0" for r in first if r.status_code == 503)
    assert set(second) == {200}
    assert robots == [200, 200, 200]
    with serving(site, ServeOptions(error_rate=0.3)) as url:  # a fresh server fails the same
        again = [
            each
            for each in sorted(site.expected_page_urls(url))
            if requests.get(each).status_code == 503
        ]
    assert [urlsplit(each).path for each in again] == [urlsplit(each).path for each in failed]


def test_latency_delays_every_request(site: Site) -> None:
    with serving(site, ServeOptions(latency_ms=80, jitter_ms=10)) as url:
        for path in ("/", "/robots.txt", "/missing"):
            started = time.perf_counter()
            requests.get(f"{url}{path}")
            assert time.perf_counter() - started >= 0.070


def test_jitter_never_makes_a_negative_delay() -> None:
    traffic = Traffic(ServeOptions(latency_ms=1, jitter_ms=50), 1, random.Random(1))
    assert min(traffic.delay_s() for _ in range(1000)) == 0.0


def test_stats_count_requests_per_url(site: Site) -> None:
    with serving(site, ServeOptions()) as url:
        requests.get(f"{url}/")
        requests.get(f"{url}/")
        stats = requests.get(f"{url}{STATS_PATH}").json()
    assert stats["hits"] == {f"{url}/": 2}
    assert stats["pid"] == os.getpid()


# --- Processes -----------------------------------------------------------------------------


def test_site_process_serves_from_another_process_and_stops(cache_dir: Path) -> None:
    with site_process(SMALL, ServeOptions(), cache_dir) as url:
        assert requests.get(f"{url}/").status_code == 200
        assert requests.get(f"{url}{STATS_PATH}").json()["pid"] != os.getpid()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/", timeout=2)


def test_site_process_reports_why_it_failed_to_start(cache_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        failure = pytest.raises(RuntimeError, match=r"(?s)failed to start.*OSError")
        with failure, site_process(SMALL, ServeOptions(port=port), cache_dir):
            pass


def test_serve_forever_stops_cleanly_on_ctrl_c(cache_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from testsite import SiteSpec, ServeOptions, serve_forever\n"
        f"serve_forever({SMALL!r}, ServeOptions(), Path({str(cache_dir)!r}),"
        " lambda url: print(url, flush=True))\n"
    )
    child = _python(code)
    try:
        url = child.stdout.readline().strip()
        assert requests.get(f"{url}/").status_code == 200
        child.send_signal(signal.SIGINT)
        _, errors = child.communicate(timeout=10)
    finally:
        child.kill()
    assert child.returncode == 0
    assert "Traceback" not in errors


def test_site_process_stops_when_its_parent_is_killed(cache_dir: Path) -> None:
    code = (
        "import time; from pathlib import Path\n"
        "from testsite import SiteSpec, ServeOptions, site_process\n"
        "if __name__ == '__main__':\n"
        f"    with site_process({SMALL!r}, ServeOptions(), Path({str(cache_dir)!r})) as url:\n"
        "        print(url, flush=True)\n"
        "        time.sleep(60)\n"
    )
    parent = _python(code)
    try:
        url = parent.stdout.readline().strip()
        assert requests.get(f"{url}/").status_code == 200
        parent.kill()  # no chance to clean up: the child must notice on its own
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _answers(url):
            time.sleep(0.1)
        assert not _answers(url)
    finally:
        parent.kill()


def _python(code: str) -> subprocess.Popen[str]:
    """Run code in a fresh interpreter from the project folder, with piped output."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _answers(url: str) -> bool:
    """True while a server answers at url."""
    try:
        requests.get(f"{url}/robots.txt", timeout=1)
    except requests.ConnectionError:
        return False
    return True
