"""A built site: its graph, rendered pages and image files, and what a correct crawl finds.

`build_site` builds the spec's profile through PROFILE_BUILDERS, the one place that maps a
profile's name to its site package's catalogue, pages, painters and image cache: "photos"
(photos/) or "docs" (docs/).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from testsite.docs.catalog import DOCS_VERSION, plan_doc_images
from testsite.docs.pages import build_manual
from testsite.docs.painters import PAINTERS as DOC_PAINTERS
from testsite.docs.render import render_manual
from testsite.graph import IMAGE_PREFIX, SiteGraph
from testsite.images import ensure_images, image_dir
from testsite.paint import Painter
from testsite.photos.catalog import GENERATOR_VERSION, plan_images
from testsite.photos.pages import build_graph
from testsite.photos.painters import PAINTERS as PHOTO_PAINTERS
from testsite.photos.render import render_page
from testsite.plans import ImageInfo, ImagePlan
from testsite.samples import load_words, sample_photo_paths
from testsite.spec import SiteSpec
from testsite.urls import absolute, alt_origin, canonical_origin, split

ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"


@dataclass(frozen=True)
class Site:
    """Everything the server needs, and the answers a test compares a crawl against."""

    spec: SiteSpec
    graph: SiteGraph
    images: tuple[ImagePlan, ...]
    image_dir: Path
    bodies: Mapping[str, bytes]  # decoded path -> HTML with origin placeholders

    @cached_property
    def _plans(self) -> dict[str, ImagePlan]:
        """Image plans by file name."""
        return {plan.name: plan for plan in self.images}

    def expected_page_urls(self, origin: str) -> set[str]:
        """Canonical URLs of the pages a crawl from origin/ that obeys robots.txt must find."""
        return {absolute(origin, page.path) for page in self.graph.crawlable()}

    def expected_image_urls(self, origin: str) -> set[str]:
        """Canonical URLs of every image named by an expected page, on either host name."""
        hosts = {True: canonical_origin(origin), False: alt_origin(origin)}
        return {
            absolute(hosts[ref.on_host], ref.path)
            for page in self.graph.crawlable()
            for figure in page.figures
            for ref in figure.refs
        }

    def private_page_urls(self, origin: str) -> set[str]:
        """Canonical URLs of the pages robots.txt disallows (linked, but not expected)."""
        return {absolute(origin, page.path) for page in self.graph.with_role("private")}

    def hidden_page_urls(self, origin: str) -> set[str]:
        """Canonical URLs of pages named only in comments and scripts (served, not expected)."""
        return {absolute(origin, page.path) for page in self.graph.with_role("hidden")}

    def image_info(self, url: str, origin: str) -> ImageInfo:
        """Describe the file behind an image URL on origin or its 'CDN' name; KeyError if none."""
        url_origin, path = split(url)
        name = path.removeprefix(IMAGE_PREFIX)
        on_site = url_origin in (canonical_origin(origin), alt_origin(origin))
        if not on_site or not path.startswith(IMAGE_PREFIX) or name not in self._plans:
            raise KeyError(f"not an image of this site at {origin}: {url}")
        return self._plans[name].info(self.image_dir)

    def image_plan(self, path: str) -> ImagePlan | None:
        """The plan of the image at a decoded URL path, or None."""
        if not path.startswith(IMAGE_PREFIX):
            return None
        return self._plans.get(path.removeprefix(IMAGE_PREFIX))


Words = Sequence[str]
Pages = tuple[SiteGraph, dict[str, bytes]]  # the link graph, and each page's HTML by path


@dataclass(frozen=True)
class Profile:
    """How one profile makes its site: its image plans, its pages, the painter of each of its
    image kinds, its image cache's family."""

    plan_images: Callable[[SiteSpec, tuple[str, ...]], tuple[ImagePlan, ...]]
    build_pages: Callable[[SiteSpec, tuple[ImagePlan, ...], Words], Pages]
    painters: Mapping[str, Painter]
    image_family: str  # names the cache folder, so no two profiles ever share a file


def build_site(spec: SiteSpec, cache_dir: Path) -> Site:
    """Build the graph and pages for spec, drawing its images into cache_dir unless there."""
    profile = PROFILE_BUILDERS[spec.profile]
    words = load_words()
    images = profile.plan_images(spec, words)
    graph, bodies = profile.build_pages(spec, images, words)
    directory = image_dir(Path(cache_dir), spec, profile.image_family)
    ensure_images(images, directory, sample_photo_paths(), profile.painters)
    return Site(spec, graph, images, directory, MappingProxyType(bodies))


def _photo_pages(spec: SiteSpec, images: tuple[ImagePlan, ...], words: Words) -> Pages:
    """The photo site's graph and pages."""
    graph = build_graph(spec, images, words)
    return graph, {page.path: render_page(page, spec.seed, words) for page in graph.pages}


def _doc_pages(spec: SiteSpec, images: tuple[ImagePlan, ...], words: Words) -> Pages:
    """The docs site's graph and pages, both read off one manual."""
    manual = build_manual(spec, images, words)
    return manual.graph(), render_manual(manual, spec.seed, words)


# Profile name (spec.PROFILES) -> how to build it.
PROFILE_BUILDERS: Mapping[str, Profile] = MappingProxyType(
    {
        "photos": Profile(plan_images, _photo_pages, PHOTO_PAINTERS, f"v{GENERATOR_VERSION}"),
        "docs": Profile(plan_doc_images, _doc_pages, DOC_PAINTERS, f"docs-v{DOCS_VERSION}"),
    }
)
