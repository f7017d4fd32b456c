"""The docs profile of the test site: a manual's long menu, many small PNGs, big listings.

Real servers on 127.0.0.1 (port 0) and real files under tmp dirs, as in test_testsite.py;
the last test crawls the served manual with the project's own pipeline.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
import requests
from PIL import Image

from config import RunConfig, StageConfig
from crawler.crawl import CrawlSettings
from crawler.http import FetchLimits
from measure.progress import Progress
from pipeline import Pipeline
from testsite import PROFILES, ServeOptions, Site, SiteSpec, build_site, site_process
from testsite.docs.catalog import ICON_KIND, ICONS, plan_doc_images
from testsite.docs.pages import MENU_SIZE, PUBLIC_ROLES
from testsite.graph import PRIVATE_PREFIX
from testsite.images import image_dir
from testsite.photos.catalog import GENERATOR_VERSION, plan_images
from testsite.photos.pages import build_graph
from testsite.photos.render import render_page
from testsite.samples import load_words
from testsite.site import PROFILE_BUILDERS

SMALL = SiteSpec(pages=60, images=80, seed=7, profile="docs")
WIDE = SiteSpec(pages=150, images=0, seed=7, profile="docs")  # a long menu; nothing to draw
LISTINGS = ("/genindex-all.html", "/contents.html")
_SIDEBAR = re.compile(r'<div class="sphinxsidebar".*?</div>', re.S)
_HREF = re.compile(r'href="([^"]*)"')


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One image cache for the whole module, so the small manual is drawn once."""
    return tmp_path_factory.mktemp("docs-cache")


@pytest.fixture(scope="module")
def site(cache_dir: Path) -> Site:
    """The small manual, built once."""
    return build_site(SMALL, cache_dir)


@pytest.fixture(scope="module")
def origin(site: Site, cache_dir: Path) -> Iterator[str]:
    """The small manual served from a process of its own, without latency or errors."""
    with site_process(SMALL, ServeOptions(), cache_dir) as url:
        yield url


def menu_paths(body: bytes, path: str) -> set[str]:
    """The decoded paths a page's sidebar menu links to, resolved as a browser would."""
    base = "http://docs.test" + quote(path)
    sidebar = _SIDEBAR.search(body.decode()).group(0)
    return {unquote(urlsplit(urljoin(base, unescape(h))).path) for h in _HREF.findall(sidebar)}


def public_paths(site: Site) -> set[str]:
    """The decoded paths of every public page."""
    return {page.path for page in site.graph.with_role(*PUBLIC_ROLES)}


# --- The profiles ---------------------------------------------------------------------------


def test_profiles_are_named_once_and_checked() -> None:
    assert tuple(PROFILE_BUILDERS) == PROFILES
    assert SiteSpec().profile == "photos"
    with pytest.raises(ValueError, match="profile"):
        SiteSpec(profile="wiki")


def test_the_photo_profile_is_the_default_and_unchanged(tmp_path: Path) -> None:
    spec = SiteSpec(pages=40, images=0, seed=7)  # no images: nothing to draw
    words = load_words()
    plans = plan_images(spec, words)
    graph = build_graph(spec, plans, words)
    site = build_site(spec, tmp_path)
    assert site.images == plans
    assert site.graph == graph
    assert site.bodies == {page.path: render_page(page, spec.seed, words) for page in graph.pages}
    assert site.image_dir == tmp_path / f"images-v{GENERATOR_VERSION}-seed7-n0-mp12"


def test_the_profiles_never_share_an_image_cache(tmp_path: Path) -> None:
    folders = {
        image_dir(tmp_path, SMALL, profile.image_family) for profile in PROFILE_BUILDERS.values()
    }
    assert len(folders) == len(PROFILES)


def test_same_seed_gives_the_same_pages_and_image_bytes(site: Site, tmp_path: Path) -> None:
    again = build_site(SMALL, tmp_path)
    assert again.graph == site.graph
    assert again.bodies == site.bodies
    for plan in site.images:
        first, second = site.image_dir / plan.name, again.image_dir / plan.name
        assert first.read_bytes() == second.read_bytes()


# --- Pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [SMALL, WIDE], ids=["60-pages", "150-pages"])
def test_every_page_shows_the_same_long_menu(spec: SiteSpec, site: Site, tmp_path: Path) -> None:
    built = site if spec == SMALL else build_site(spec, tmp_path)
    public = public_paths(built)
    menus = [menu_paths(body, path) for path, body in built.bodies.items()]
    assert all(menu == menus[0] for menu in menus)
    if len(public) >= MENU_SIZE:
        assert len(menus[0]) == MENU_SIZE >= 100
        assert menus[0] < public
    else:
        assert menus[0] == public
    assert set(LISTINGS) <= menus[0]


def test_the_listings_are_big_and_link_to_thousands_of_entries(site: Site) -> None:
    for path in LISTINGS:
        body = site.bodies[path]
        assert len(body) >= 1_000_000, path
        assert len(_HREF.findall(body.decode())) >= 5000, path


def test_pages_have_a_breadcrumb_neighbours_and_links_in_their_text(site: Site) -> None:
    article = next(page for page in site.graph.pages if page.role == "article")
    text = site.bodies[article.path].decode()
    assert "&#187;</li>" in text  # the breadcrumb
    assert ">previous</a>" in text
    assert ">next</a>" in text
    assert text.count("See <a href=") >= 2


def test_links_are_spelled_every_way_a_manual_spells_them(site: Site) -> None:
    text = b"".join(site.bodies.values()).decode()
    for needle in ('href="../', 'href="/', 'href="./', "#", "%C3%A9", "@@ORIGIN@@/", "@@alt@@/"):
        assert needle in text, needle
    for needle in ('href="mailto:', 'href="javascript:void(0)"', 'href=""', "https://example.org/"):
        assert needle in text, needle
    assert "<!-- <a href=" in text  # a hidden page named in a comment


def test_private_pages_are_linked_but_disallowed(site: Site, origin: str) -> None:
    private = site.graph.with_role("private")
    assert private
    for page in private:
        sources = [
            source
            for source in site.graph.with_role(*PUBLIC_ROLES)
            if any(link.target == page.path for link in source.links)
        ]
        assert len(sources) >= 3
    assert "Disallow: /private/" in requests.get(f"{origin}/robots.txt").text
    urls = site.private_page_urls(origin)
    assert not urls & site.expected_page_urls(origin)
    assert all(requests.get(url).status_code == 200 for url in urls)
    assert all(url.startswith(f"{origin}{PRIVATE_PREFIX}") for url in urls)


# --- Images ---------------------------------------------------------------------------------


def test_the_catalogue_follows_the_measured_manual() -> None:
    plans = plan_doc_images(SiteSpec(images=1960, profile="docs"), load_words())
    shots = [plan for plan in plans if plan.kind != ICON_KIND]
    formats = Counter((plan.format, plan.mode) for plan in shots)
    share = {kind: number / len(shots) for kind, number in formats.items()}
    assert 0.27 <= share["PNG", "RGB"] <= 0.33
    assert 0.27 <= share["PNG", "RGBA"] <= 0.33
    assert 0.17 <= share["PNG", "P"] <= 0.23
    assert 0.14 <= share["JPEG", "RGB"] <= 0.20
    assert 0.02 <= share["PNG", "L"] + share["PNG", "LA"] <= 0.06
    longest = sorted(max(plan.width, plan.height) for plan in shots)
    assert 270 <= statistics.median(longest) <= 330
    assert 540 <= longest[int(0.9 * len(longest))] <= 630
    assert 0.32 <= sum(side <= 256 for side in longest) / len(longest) <= 0.40
    assert 0.10 <= sum(side <= 128 for side in longest) / len(longest) <= 0.16
    assert longest[0] >= 64
    assert longest[-1] <= 1200


def test_images_are_mostly_small_pngs_of_every_mode(site: Site) -> None:
    kinds, weights = Counter(), []
    for plan in site.images:
        path = site.image_dir / plan.name
        with Image.open(path) as image:
            assert (image.format, image.mode, image.size) == (
                plan.format,
                plan.mode,
                (plan.width, plan.height),
            )
            clear = image.mode == "P" and "transparency" in image.info
        kinds[image.format, image.mode + "+clear" * clear] += 1
        longest, size = max(plan.width, plan.height), path.stat().st_size
        if plan.kind == ICON_KIND:
            assert longest <= 128
        else:
            assert 64 <= longest <= 1200
            assert size <= 400_000
            weights += [20_000 <= size <= 210_000] if longest > 200 else []
    assert set(kinds) == {
        ("PNG", "RGB"),
        ("PNG", "RGBA"),
        ("PNG", "P"),
        ("PNG", "P+clear"),
        ("PNG", "L"),
        ("PNG", "LA"),
        ("JPEG", "RGB"),
    }
    assert sum(n for (fmt, _), n in kinds.items() if fmt == "PNG") / len(site.images) >= 0.75
    assert sum(weights) / len(weights) >= 0.75  # screenshots past 200 px weigh 20-210 KB


def test_icons_are_shown_on_every_public_page(site: Site) -> None:
    icons = {f"icon-{name}.png" for name, *_ in ICONS}
    for page in site.graph.with_role(*PUBLIC_ROLES):
        shown = {ref.name for figure in page.figures for ref in figure.refs}
        assert icons <= shown, page.path
        assert site.bodies[page.path].count(b"/icon-") == len(icons)


def test_images_are_served_as_they_are_stored(site: Site, origin: str) -> None:
    for url in sorted(site.expected_image_urls(origin))[:10]:
        info = site.image_info(url, origin)
        response = requests.get(url)
        assert response.content == Path(info.path).read_bytes()
        assert response.headers["Content-Type"] == f"image/{info.format.lower()}"


# --- A crawl --------------------------------------------------------------------------------


def test_the_pipeline_crawls_exactly_the_expected_urls(
    site: Site, origin: str, tmp_path: Path
) -> None:
    config = RunConfig(
        start_url=f"{origin}/",
        run_dir=tmp_path / "run",
        crawl=StageConfig("asyncio", 16),
        crawling=CrawlSettings(limits=FetchLimits(backoff_s=0.01)),
        sizes=(64,),
    )
    summary = asyncio.run(Pipeline(config, Progress(enabled=False)).run())
    pages = [json.loads(line) for line in (tmp_path / "run" / "pages.jsonl").open()]
    images = [json.loads(line) for line in (tmp_path / "run" / "images.jsonl").open()]
    assert {row["url"] for row in pages} == site.expected_page_urls(origin)
    assert {row["url"] for row in images} == site.expected_image_urls(origin)
    assert all(row["ok"] for row in images), [row["error"] for row in images if not row["ok"]]
    assert summary.counts.pages_failed == 0
    assert summary.skipped["robots"] >= 1
