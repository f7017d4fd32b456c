"""The link graph every site is: its pages, what each links to and shows, how it spells it.

Pure data. A site's pages module (photos/pages.py, docs/pages.py) drafts its pages and
freezes them into a SiteGraph, which says what a polite crawler reaches from home. The
drafting steps both sites share live here too: how many pages are private and hidden, unique
page names, decoy links to hidden pages, and hrefs no crawler may fetch.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from testsite.hrefs import OFF_HOST_STYLES

HOME = "/"
PRIVATE_PREFIX = "/private/"
HIDDEN_PREFIX = "/hidden/"
IMAGE_PREFIX = "/img/"
PRIVATE_SHARE = 0.03
HIDDEN_SHARE = 0.02
INERT_SHARE = 0.05  # of public pages, per kind of href that must not be fetched
INERT_HREFS = (
    "mailto:{word}@example.org",
    "javascript:void(0)",
    "tel:+1-555-0100",
    "",  # the page itself
    "https://example.org/{word}/{other}.html",  # off-site: never fetched, never reachable
)


@dataclass(frozen=True)
class Link:
    """An <a href> to a page of this site, spelled in a given style."""

    target: str  # decoded path
    style: str

    @property
    def on_host(self) -> bool:
        """False when spelled with the other host name, so a crawler must not follow it."""
        return self.style not in OFF_HOST_STYLES


@dataclass(frozen=True)
class ImageRef:
    """One image URL named by a figure."""

    name: str
    style: str

    @property
    def path(self) -> str:
        """The image's decoded URL path."""
        return IMAGE_PREFIX + self.name

    @property
    def on_host(self) -> bool:
        """False when it names the 'CDN' host."""
        return self.style not in OFF_HOST_STYLES


@dataclass(frozen=True)
class Figure:
    """An image on a page: <img src>, srcset by density or width, or <picture>."""

    form: str
    refs: tuple[ImageRef, ...]


@dataclass(frozen=True)
class Decoy:
    """A link to a hidden page inside an HTML comment or a script string."""

    target: str
    place: str  # "comment" or "script"


@dataclass(frozen=True)
class Page:
    """One page: what it links to and shows; its text comes from the renderer."""

    path: str
    role: str  # home, index, article, private or hidden; the docs site's listings too
    links: tuple[Link, ...]
    figures: tuple[Figure, ...] = ()
    decoys: tuple[Decoy, ...] = ()
    inert: tuple[str, ...] = ()  # hrefs no crawler may fetch: mailto:, off-site, ...
    base: str | None = None

    @property
    def base_dir(self) -> str:
        """The directory relative hrefs on this page resolve against."""
        return self.base or self.path[: self.path.rindex("/") + 1]


@dataclass(frozen=True)
class SiteGraph:
    """Every page of the site: public ones first (home, indexes, articles), private, hidden."""

    pages: tuple[Page, ...]

    @cached_property
    def by_path(self) -> dict[str, Page]:
        """Pages by decoded path."""
        return {page.path: page for page in self.pages}

    def with_role(self, *roles: str) -> tuple[Page, ...]:
        """The pages with any of the given roles, in graph order."""
        return tuple(page for page in self.pages if page.role in roles)

    def crawlable(self) -> tuple[Page, ...]:
        """Walk on-host links from home as a polite crawler would; return the pages reached."""
        reached = set().union(*self.levels())
        return tuple(page for page in self.pages if page.path in reached)

    def levels(self) -> list[list[str]]:
        """The paths a polite crawler reaches, by their distance in links from home."""
        levels, seen = [[HOME]], {HOME}
        while levels[-1]:
            found = []
            for path in levels[-1]:
                for link in self.by_path[path].links:
                    allowed = not link.target.startswith(PRIVATE_PREFIX)  # robots.txt
                    if link.on_host and allowed and link.target not in seen:
                        seen.add(link.target)
                        found.append(link.target)
            levels.append(found)
        return levels[:-1]


def page_counts(pages: int) -> tuple[int, int, int]:
    """How many of a site's pages are private (robots.txt forbids them) and public, and
    how many hidden pages only decoys name, on top of them."""
    private = round(pages * PRIVATE_SHARE) if pages >= 10 else 0
    public = pages - private
    hidden = max(1, round(pages * HIDDEN_SHARE)) if public >= 2 else 0
    return private, public, hidden


def unique_path(directory: str, words: Sequence[str], taken: set[str], rng: random.Random) -> str:
    """Return a new directory/word-word.html path and remember it in taken."""
    stem = f"{directory}{rng.choice(words)}-{rng.choice(words)}"
    path, number = f"{stem}.html", 1
    while path in taken:
        number += 1
        path = f"{stem}-{number}.html"
    taken.add(path)
    return path


class Drafted(Protocol):
    """A page being drafted, as add_decoys and add_inert_hrefs need it (each site's draft)."""

    path: str
    decoys: list[Decoy]
    inert: list[str]


def add_decoys(hidden: Sequence[Drafted], public: Sequence[Drafted], rng: random.Random) -> None:
    """Name each hidden page in a comment on one public page and a script on another."""
    for draft in hidden:
        sources = rng.sample(public, min(2, len(public)))
        for place, source in zip(("comment", "script"), sources, strict=False):
            source.decoys.append(Decoy(draft.path, place))


def add_inert_hrefs(pages: Sequence[Drafted], words: Sequence[str], rng: random.Random) -> int:
    """Give a few pages each kind of href that must not be fetched; return how many pages
    got each (the share that gets off-host links too)."""
    count = min(len(pages), max(1, round(len(pages) * INERT_SHARE)))
    for template in INERT_HREFS:
        for source in rng.sample(pages, count):
            source.inert.append(template.format(word=rng.choice(words), other=rng.choice(words)))
    return count
