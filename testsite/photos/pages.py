"""The photo site's link graph: which pages exist, what each links to and shows.

Pure data, deterministic from the spec's seed. Public pages hang from a spanning tree rooted
at the home page, so every one is reachable without passing through /private/; random extra
links then bring each page to 8-12 links. Private pages (robots.txt disallows them) are linked
from several public pages; /hidden/ pages are named only inside comments and scripts.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from testsite.graph import (
    HIDDEN_PREFIX,
    HOME,
    PRIVATE_PREFIX,
    Decoy,
    Figure,
    ImageRef,
    Link,
    Page,
    SiteGraph,
    add_decoys,
    add_inert_hrefs,
    page_counts,
    unique_path,
)
from testsite.hrefs import IMAGE_STYLES, OFF_HOST_STYLES, PAGE_STYLES, choose_style
from testsite.plans import ImagePlan
from testsite.spec import SiteSpec

BASE_HREF = "/docs/"  # the <base> of one page outside /docs/
SECTION_INDEXES = ("/docs/", "/blog/", "/shop/")
# (directory, weight) of article pages: docs 40%, blog 36%, shop 20%, top level 4%.
LEAF_DIRS = (
    ("/docs/guide/", 14),
    ("/docs/reference/", 14),
    ("/docs/tutorials/advanced/", 8),
    ("/docs/", 4),
    *((f"/blog/2024/{month:02d}/", 3) for month in range(1, 13)),
    ("/shop/lamps/", 7),
    ("/shop/chairs/", 7),
    ("/shop/rugs/", 6),
    ("/", 4),
)
# Names a browser must percent-encode; sites with 20+ articles get them.
SPECIAL_LEAVES = ("/docs/guide/résumé tips.html", "/blog/2024/03/naïve café.html")
LINKS_PER_PAGE = (8, 12)
MAX_TREE_CHILDREN = 6
FIGURES_PER_PAGE = ((0, 15), (1, 30), (2, 25), (3, 18), (4, 12))
FORMS = (("img", 55), ("srcset_x", 15), ("srcset_w", 15), ("picture", 15))


@dataclass
class _Draft:
    """A page while the graph is being built."""

    path: str
    role: str
    links: list[Link] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    decoys: list[Decoy] = field(default_factory=list)
    inert: list[str] = field(default_factory=list)
    base: str | None = None
    tree_children: int = 0

    def freeze(self) -> Page:
        """Return the finished, immutable page."""
        return Page(
            self.path,
            self.role,
            tuple(self.links),
            tuple(self.figures),
            tuple(self.decoys),
            tuple(self.inert),
            self.base,
        )


def build_graph(spec: SiteSpec, images: Sequence[ImagePlan], words: Sequence[str]) -> SiteGraph:
    """Build the whole graph for spec, showing every one of images somewhere public."""
    rng = random.Random(f"{spec.seed}:graph")
    drafts = _layout(spec, words, rng)
    public = [draft for draft in drafts if draft.role in ("home", "index", "article")]
    _link_tree(public, rng)
    for draft in drafts:
        _add_random_links(draft, public, rng)
    _link_private([d for d in drafts if d.role == "private"], public, rng)
    add_decoys([d for d in drafts if d.role == "hidden"], public, rng)
    _add_inert(public, words, rng)
    _choose_base(public, rng)
    _place_images(public, images, rng)
    return SiteGraph(tuple(draft.freeze() for draft in drafts))


def section(path: str) -> str:
    """The top-level folder of a path ('docs'), or '' for top-level pages."""
    return path.split("/")[1] if path.count("/") > 1 else ""


def _layout(spec: SiteSpec, words: Sequence[str], rng: random.Random) -> list[_Draft]:
    """Name every page: home, section indexes, articles, then private and hidden pages."""
    private, public, hidden = page_counts(spec.pages)
    indexes = SECTION_INDEXES[: max(0, min(len(SECTION_INDEXES), public - 1))]
    taken = {HOME, *indexes}
    dirs, weights = zip(*LEAF_DIRS, strict=True)
    leaves = [
        unique_path(rng.choices(dirs, weights)[0], words, taken, rng)
        for _ in range(public - 1 - len(indexes))
    ]
    if len(leaves) >= 20:
        leaves[: len(SPECIAL_LEAVES)] = SPECIAL_LEAVES
    return [
        _Draft(HOME, "home"),
        *(_Draft(path, "index") for path in indexes),
        *(_Draft(path, "article") for path in leaves),
        *(
            _Draft(unique_path(PRIVATE_PREFIX, words, taken, rng), "private")
            for _ in range(private)
        ),
        *(_Draft(f"{HIDDEN_PREFIX}{number}.html", "hidden") for number in range(1, hidden + 1)),
    ]


def _link_tree(public: list[_Draft], rng: random.Random) -> None:
    """Hang every public page from an earlier one, preferring a parent in its own section."""
    open_all: list[_Draft] = []
    open_by_section: dict[str, list[_Draft]] = {}
    for draft in public:
        if draft.role == "index":
            _link_child(public[0], draft, rng)  # home links every section index
        elif draft.role == "article":
            same_section = open_by_section.get(section(draft.path), [])
            parent = _pick_open(same_section, rng) or _pick_open(open_all, rng)
            _link_child(parent, draft, rng)
        open_all.append(draft)
        open_by_section.setdefault(section(draft.path), []).append(draft)


def _pick_open(pool: list[_Draft], rng: random.Random) -> _Draft | None:
    """Pick a random page of pool with room for another tree child, dropping full ones."""
    while pool:
        index = rng.randrange(len(pool))
        if pool[index].tree_children < MAX_TREE_CHILDREN:
            return pool[index]
        pool[index] = pool[-1]
        pool.pop()
    return None


def _link_child(parent: _Draft, child: _Draft, rng: random.Random) -> None:
    """Link parent to child and child back up to parent, both on-host."""
    parent.tree_children += 1
    parent.links.append(Link(child.path, _on_host_style(rng)))
    child.links.insert(0, Link(parent.path, _on_host_style(rng)))


def _on_host_style(rng: random.Random) -> str:
    """A page-link style that keeps the host."""
    return choose_style(rng, PAGE_STYLES)


def _add_random_links(draft: _Draft, public: list[_Draft], rng: random.Random) -> None:
    """Bring a page up to 8-12 links to public pages, some repeating a target differently."""
    others = len(public) - (draft.role in ("home", "index", "article"))
    wanted = min(rng.randint(*LINKS_PER_PAGE), others)
    while len(draft.links) < wanted:
        if draft.links and rng.random() < 0.15:
            target = rng.choice(draft.links).target  # the same URL, spelled another way
        else:
            target = rng.choice(public).path
        if target != draft.path:
            draft.links.append(Link(target, _on_host_style(rng)))


def _link_private(private: list[_Draft], public: list[_Draft], rng: random.Random) -> None:
    """Link each private page from 3-5 public pages."""
    for draft in private:
        for source in rng.sample(public, min(rng.randint(3, 5), len(public))):
            source.links.append(Link(draft.path, _on_host_style(rng)))


def _add_inert(public: list[_Draft], words: Sequence[str], rng: random.Random) -> None:
    """Give a few pages each kind of href that must not be fetched, and off-host page links."""
    count = add_inert_hrefs(public, words, rng)
    for source in rng.sample(public, count):
        style = rng.choice(sorted(OFF_HOST_STYLES))
        source.links.append(Link(rng.choice(public).path, style))


def _choose_base(public: list[_Draft], rng: random.Random) -> None:
    """Give one article outside /docs/ a <base href="/docs/">, preferring a blog post."""
    candidates = [
        draft
        for draft in public
        if draft.role == "article" and section(draft.path) != "docs" and "" not in draft.inert
    ]
    blog = [draft for draft in candidates if section(draft.path) == "blog"]
    if candidates:
        rng.choice(blog or candidates).base = BASE_HREF


def _place_images(public: list[_Draft], images: Sequence[ImagePlan], rng: random.Random) -> None:
    """Show 0-4 figures per public page, using every image at least once."""
    deck = _Deck(images, rng)
    counts, weights = zip(*FIGURES_PER_PAGE, strict=True)
    for draft in rng.sample(public, len(public)):
        for _ in range(rng.choices(counts, weights)[0] if images else 0):
            draft.figures.append(deck.figure(rng))
    while deck.unused():
        rng.choice(public).figures.append(deck.figure(rng, "img"))


class _Deck:
    """Deals image names: each unused one first, then any at random."""

    def __init__(self, images: Sequence[ImagePlan], rng: random.Random) -> None:
        self.webp = [plan.name for plan in images if plan.format == "WEBP"]
        self.other = [plan.name for plan in images if plan.format != "WEBP"]
        self._unused = {"webp": rng.sample(self.webp, len(self.webp))}
        self._unused["other"] = rng.sample(self.other, len(self.other))

    def unused(self) -> bool:
        """True while some image has not been dealt."""
        return any(self._unused.values())

    def figure(self, rng: random.Random, form: str | None = None) -> Figure:
        """Deal a figure of a random form (or the given one), falling back to a plain <img>."""
        forms, weights = zip(*FORMS, strict=True)
        form = form or rng.choices(forms, weights)[0]
        if form == "picture" and self.webp and self.other:
            names = (self._deal("webp", rng), self._deal("other", rng))
        elif form in ("srcset_x", "srcset_w") and len(self.webp) + len(self.other) >= 2:
            first = self._deal(self._any_group(rng), rng)
            second = self._deal(self._any_group(rng), rng)
            while second == first:
                second = rng.choice(self.webp + self.other)
            names = (first, second)
        else:
            form, names = "img", (self._deal(self._any_group(rng), rng),)
        return Figure(
            form, tuple(ImageRef(name, choose_style(rng, IMAGE_STYLES)) for name in names)
        )

    def _any_group(self, rng: random.Random) -> str:
        """Pick 'webp' or 'other', weighted by what is left unused (or by size when none is)."""
        sizes = [len(self._unused["webp"]), len(self._unused["other"])]
        if not any(sizes):
            sizes = [len(self.webp), len(self.other)]
        return rng.choices(("webp", "other"), sizes)[0]

    def _deal(self, group: str, rng: random.Random) -> str:
        """Return the next unused name of group, or any name of it once all are used."""
        unused = self._unused[group]
        if unused:
            return unused.pop()
        return rng.choice(self.webp if group == "webp" else self.other)
