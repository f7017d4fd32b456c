"""The docs profile's pages: a software manual's table of contents, links, terms and figures.

Pure data, deterministic from the spec's seed, as photos/pages.py is for the photo profile. The
manual is a tree in document order: home, chapter indexes, section indexes (when a chapter
has more than SECTION_SIZE pages) and articles. Every page shows the same long menu (the
table of contents breadth first, up to MENU_SIZE entries), a breadcrumb, previous and next
links, 2-5 links in its text and the theme's icons; an index page lists its children.
Articles document API terms, which two listings gather: the general index
(/genindex-all.html) and the full contents (/contents.html), each over 1 MB once the manual
has about 30 articles. As on the photo site, 3% of pages live under /private/ (robots.txt
disallows them, public pages link to them), /hidden/ pages are named only in comments and
scripts, and a few pages carry hrefs no crawler may fetch or spell a link with the other
host name. Each screenshot is shown on some page, mostly articles, a tenth of them twice.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from testsite.docs.catalog import ICON_KIND
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
from testsite.hrefs import OFF_HOST_STYLES, PAGE_STYLES, choose_style
from testsite.markup import title
from testsite.plans import ImagePlan
from testsite.spec import SiteSpec

# (folder, weight): the chapters in manual order; a small manual gets the first few.
CHAPTERS = (
    ("getting-started", 4),
    ("tutorial", 8),
    ("user-guide", 30),
    ("howto", 14),
    ("reference", 30),
    ("faq", 4),
    ("appendix", 10),
)
PAGES_PER_CHAPTER = 6  # a manual of n tree pages has about n / this chapters
SECTION_SIZE = 12  # a chapter with more pages than this groups them into sections
# (path, role, title): the big listings, at the top level as Sphinx writes them.
LISTINGS = (
    ("/contents.html", "contents", "Complete table of contents"),
    ("/genindex-all.html", "genindex", "Index \N{EN DASH} all entries"),
)
SPECIAL_STEMS = ("résumé tips", "naïve café")  # names a browser must percent-encode
MENU_SIZE = 120
MENU_STYLES = (("relative", 3), ("root", 1))  # Sphinx writes relative hrefs, themes add root
IMAGE_STYLES = (("relative", 70), ("root", 14), ("dotted", 5), ("absolute", 5), ("alt", 6))
SEE_ALSO = (2, 5)
HEADINGS = (2, 5)
TERMS = 8500  # API terms the manual documents: enough for each listing to pass 1 MB
MAX_TERMS_PER_ARTICLE = 300  # a tiny manual documents fewer, and its listings stay small
TERM_KINDS = ("function", "method", "class", "attribute", "option", "setting")
CALLABLE_KINDS = frozenset({"function", "method"})
REFERENCE_WEIGHT = 4  # reference pages document this many times more terms than others
ARTICLE_FIGURE_WEIGHT = 3  # articles show this many times more screenshots than indexes
REUSED_SHARE = 0.1  # of screenshots, shown on a second page too
HIDPI_SHARE = 0.1  # of figures, a srcset pair with a 2x picture
TREE_ROLES = ("home", "index", "article")
PUBLIC_ROLES = (*TREE_ROLES, *(role for _, role, _ in LISTINGS))


@dataclass(frozen=True)
class Anchor:
    """An <a> to a page of the site: the link, the #fragment it ends with, the text it shows."""

    link: Link
    text: str
    fragment: str = ""
    level: int = 0  # nesting in a menu or a listing: 0 for home, 1 for chapters, ...


@dataclass(frozen=True)
class Term:
    """An API object documented on a page, and the id of its definition there."""

    name: str
    kind: str
    module: str
    anchor: str


@dataclass(frozen=True)
class DocPage:
    """One page of the manual, every link in its place; the text comes from the renderer."""

    path: str
    role: str  # home, index, article, contents, genindex, private or hidden
    title: str
    crumbs: tuple[Anchor, ...] = ()
    neighbours: tuple[Anchor | None, Anchor | None] = (None, None)  # previous and next
    children: tuple[Anchor, ...] = ()
    see_also: tuple[Anchor, ...] = ()
    headings: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()
    entries: tuple[Anchor, ...] = ()  # a listing's thousands of links
    figures: tuple[Figure, ...] = ()
    decoys: tuple[Decoy, ...] = ()
    inert: tuple[str, ...] = ()

    def anchors(self) -> tuple[Anchor, ...]:
        """Every anchor on the page but the menu's."""
        neighbours = tuple(anchor for anchor in self.neighbours if anchor)
        return (*self.crumbs, *neighbours, *self.children, *self.see_also, *self.entries)


@dataclass(frozen=True)
class Manual:
    """The whole docs site: the menu and icons every page shows, and the pages."""

    menu: tuple[Anchor, ...]
    icons: tuple[Figure, ...]
    pages: tuple[DocPage, ...]

    def graph(self) -> SiteGraph:
        """The site's link graph, as the server, tests and Site's expected sets read it."""
        return SiteGraph(tuple(self._page(doc) for doc in self.pages))

    def _page(self, doc: DocPage) -> Page:
        """The graph's view of one page: every link and image it names."""
        anchors = (*self.menu, *doc.anchors())
        links = tuple(anchor.link for anchor in anchors)
        return Page(doc.path, doc.role, links, (*self.icons, *doc.figures), doc.decoys, doc.inert)


@dataclass
class _Draft:
    """A page while the manual is being built."""

    path: str
    role: str
    title: str = ""
    depth: int = 0
    parent: _Draft | None = None
    children: list[_Draft] = field(default_factory=list)
    see_also: list[Anchor] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    entries: list[Anchor] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    decoys: list[Decoy] = field(default_factory=list)
    inert: list[str] = field(default_factory=list)

    def anchor(self, style: str = "relative", fragment: str = "", level: int = 0) -> Anchor:
        """An anchor to this page, showing its title."""
        return Anchor(Link(self.path, style), self.title, fragment, level)

    def freeze(self, neighbours: tuple[Anchor | None, Anchor | None]) -> DocPage:
        """Return the finished, immutable page."""
        crumbs, parent = [], self.parent
        while parent:
            crumbs.insert(0, parent.anchor())
            parent = parent.parent
        return DocPage(
            self.path,
            self.role,
            self.title,
            tuple(crumbs),
            neighbours,
            tuple(child.anchor(level=1) for child in self.children),
            tuple(self.see_also),
            tuple(self.headings),
            tuple(self.terms),
            tuple(self.entries),
            tuple(self.figures),
            tuple(self.decoys),
            tuple(self.inert),
        )


def build_manual(spec: SiteSpec, images: Sequence[ImagePlan], words: Sequence[str]) -> Manual:
    """Build the whole manual for spec, showing every one of images somewhere public."""
    rng = random.Random(f"{spec.seed}:docs")
    drafts = _layout(spec, words, rng)
    for draft in drafts:
        draft.title = draft.title or title(draft.path, spec.seed, words)
    tree = _with_role(drafts, *TREE_ROLES)  # in document order, as _layout made them
    _add_headings(tree, words, rng)
    _add_terms(_with_role(drafts, "article"), words, rng)
    _fill_listings(drafts, tree)
    _add_see_also(tree, rng)
    _link_private(_with_role(drafts, "private"), tree, rng)
    add_decoys(_with_role(drafts, "hidden"), tree, rng)
    _add_inert(tree, words, rng)
    _place_screenshots(tree, [plan for plan in images if plan.kind != ICON_KIND], rng)
    menu = _menu([draft for draft in drafts if draft.role in PUBLIC_ROLES], rng)
    icons = tuple(
        Figure("icon", (ImageRef(plan.name, choose_style(rng, MENU_STYLES)),))
        for plan in images
        if plan.kind == ICON_KIND
    )
    return Manual(menu, icons, tuple(_freeze(drafts, tree)))


def slug(text: str) -> str:
    """The id Sphinx gives a heading: lower case, runs of other characters made one '-'."""
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-")


def _layout(spec: SiteSpec, words: Sequence[str], rng: random.Random) -> list[_Draft]:
    """Name every page: home, the tree in document order, listings, private, hidden."""
    private, public, hidden = page_counts(spec.pages)
    listings = LISTINGS if public >= len(LISTINGS) + 2 else ()
    taken = {HOME, *(path for path, _, _ in listings)}
    home = _Draft(HOME, "home")
    tree = _chapters(public - 1 - len(listings), home, words, taken, rng)
    return [
        home,
        *tree,
        *(_child(home, path, role, text) for path, role, text in listings),
        *(
            _Draft(unique_path(PRIVATE_PREFIX, words, taken, rng), "private", parent=home)
            for _ in range(private)
        ),
        *(_Draft(f"{HIDDEN_PREFIX}{number}.html", "hidden") for number in range(1, hidden + 1)),
    ]


def _chapters(
    count: int, home: _Draft, words: Sequence[str], taken: set[str], rng: random.Random
) -> list[_Draft]:
    """Lay count pages out as chapters, each an index page with its pages below it."""
    chapters = CHAPTERS[: min(len(CHAPTERS), math.ceil(count / PAGES_PER_CHAPTER))]
    below = _split(count - len(chapters), [weight for _, weight in chapters])
    drafts: list[_Draft] = []
    for (folder, _), number in zip(chapters, below, strict=True):
        index = _child(home, f"/{folder}/index.html", "index")
        drafts += [index, *_fill(index, number, words, taken, rng)]
    leaves = [draft for draft in drafts if draft.role == "article"]
    if len(leaves) >= 20:
        for draft, stem in zip(leaves, SPECIAL_STEMS, strict=False):
            draft.path = draft.path[: draft.path.rindex("/") + 1] + f"{stem}.html"
    return drafts


def _fill(
    index: _Draft, count: int, words: Sequence[str], taken: set[str], rng: random.Random
) -> list[_Draft]:
    """Put count pages below a chapter index: directly, or in sections when there are many."""
    folder = index.path.removesuffix("index.html")
    if count <= SECTION_SIZE:
        return [_child(index, unique_path(folder, words, taken, rng)) for _ in range(count)]
    sections = math.ceil(count / (SECTION_SIZE + 1))
    drafts = []
    for number in _split(count - sections, [1] * sections):
        section_path = unique_path(folder, words, taken, rng).removesuffix(".html")
        section = _child(index, f"{section_path}/index.html", "index")
        drafts.append(section)
        for _ in range(number):
            drafts.append(_child(section, unique_path(f"{section_path}/", words, taken, rng)))
    return drafts


def _child(parent: _Draft, path: str, role: str = "article", text: str = "") -> _Draft:
    """A new page below parent in the table of contents (its title made later if not given)."""
    draft = _Draft(path, role, text, parent.depth + 1, parent)
    parent.children.append(draft)
    return draft


def _split(total: int, weights: Sequence[int]) -> list[int]:
    """Share total out in proportion to weights, the remainders going to the largest shares."""
    exact = [total * weight / sum(weights) for weight in weights] if weights else []
    counts = [math.floor(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _with_role(drafts: list[_Draft], *roles: str) -> list[_Draft]:
    """The drafts with any of the given roles, in order."""
    return [draft for draft in drafts if draft.role in roles]


def _add_headings(tree: list[_Draft], words: Sequence[str], rng: random.Random) -> None:
    """Give every page of the tree 2-5 section headings with distinct ids."""
    for draft in tree:
        headings: dict[str, str] = {}
        for _ in range(rng.randint(*HEADINGS)):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 3))).capitalize()
            headings.setdefault(slug(text), text)
        draft.headings = list(headings.values())


def _add_terms(articles: list[_Draft], words: Sequence[str], rng: random.Random) -> None:
    """Document API terms on articles, mostly on reference pages, each with a unique id."""
    if not articles:
        return
    count = min(TERMS, MAX_TERMS_PER_ARTICLE * len(articles))
    weights = [REFERENCE_WEIGHT if "/reference/" in d.path else 1 for d in articles]
    seen: Counter[tuple[str, str]] = Counter()
    for draft in rng.choices(articles, weights, k=count):
        module = slug(draft.path.removesuffix(".html").rpartition("/")[2]).replace("-", "_")
        kind, ident = rng.choice(TERM_KINDS), f"{rng.choice(words)}_{rng.choice(words)}"
        name = f"{ident}()" if kind in CALLABLE_KINDS else ident
        name = f"--{ident.replace('_', '-')}" if kind == "option" else name
        # The same name again on a page gets -2, -3, ... as Sphinx numbers duplicate ids.
        anchor = f"{module}.{ident}"
        seen[draft.path, anchor] += 1
        suffix = f"-{seen[draft.path, anchor]}" if seen[draft.path, anchor] > 1 else ""
        draft.terms.append(Term(name, kind, module, anchor + suffix))


def _fill_listings(drafts: list[_Draft], tree: list[_Draft]) -> None:
    """Give the full contents and the general index their thousands of entries."""
    for draft in _with_role(drafts, "contents"):
        draft.entries = [entry for page in tree for entry in _contents_of(page)]
    entries = [
        Anchor(
            Link(page.path, "relative"), f"{term.name} ({term.kind} in {term.module})", term.anchor
        )
        for page in tree
        for term in page.terms
    ]
    entries.sort(key=lambda entry: (entry.text.lstrip("-").lower(), entry.link.target))
    for draft in _with_role(drafts, "genindex"):
        draft.entries = entries


def _contents_of(page: _Draft) -> list[Anchor]:
    """A page's lines in the full contents: its title, its headings, the terms it documents."""
    return [
        page.anchor(level=page.depth),
        *(page.anchor(fragment=slug(text), level=page.depth + 1) for text in page.headings),
        *(
            Anchor(Link(page.path, "relative"), term.name, term.anchor, page.depth + 2)
            for term in page.terms
        ),
    ]


def _add_see_also(tree: list[_Draft], rng: random.Random) -> None:
    """Link each page of the tree to 2-5 others from its text, spelled every way."""
    for draft in tree:
        while len(draft.see_also) < min(rng.randint(*SEE_ALSO), len(tree) - 1):
            target = rng.choice(tree)
            if target is not draft:
                draft.see_also.append(target.anchor(choose_style(rng, PAGE_STYLES)))


def _link_private(private: list[_Draft], tree: list[_Draft], rng: random.Random) -> None:
    """Link each private page from 3-5 public ones, and back to 2-3 public pages."""
    for draft in private:
        for source in rng.sample(tree, min(rng.randint(3, 5), len(tree))):
            source.see_also.append(draft.anchor(choose_style(rng, PAGE_STYLES)))
        for target in rng.sample(tree, min(rng.randint(2, 3), len(tree))):
            draft.see_also.append(target.anchor("root"))


def _add_inert(tree: list[_Draft], words: Sequence[str], rng: random.Random) -> None:
    """Give a few pages each kind of href that must not be fetched, and off-host links."""
    for source in rng.sample(tree, add_inert_hrefs(tree, words, rng)):
        source.see_also.append(rng.choice(tree).anchor(rng.choice(sorted(OFF_HOST_STYLES))))


def _place_screenshots(tree: list[_Draft], plans: list[ImagePlan], rng: random.Random) -> None:
    """Show each screenshot on a page of the tree, mostly articles; a tenth of them twice."""
    names = [plan.name for plan in plans]
    names += rng.sample(names, round(len(names) * REUSED_SHARE))
    weights = [ARTICLE_FIGURE_WEIGHT if draft.role == "article" else 1 for draft in tree]
    shown: dict[str, list[str]] = {}
    for draft, name in zip(rng.choices(tree, weights, k=len(names)), names, strict=True):
        shown.setdefault(draft.path, []).append(name)
    for draft in tree:
        draft.figures = _figures(shown.get(draft.path, []), rng)


def _figures(names: list[str], rng: random.Random) -> list[Figure]:
    """Figures showing names in order, now and then two as a srcset with a 2x picture."""
    figures = []
    while names:
        pair = len(names) >= 2 and rng.random() < HIDPI_SHARE
        chosen, names = names[: 1 + pair], names[1 + pair :]
        refs = tuple(ImageRef(name, choose_style(rng, IMAGE_STYLES)) for name in chosen)
        figures.append(Figure("srcset_x" if pair else "img", refs))
    return figures


def _menu(public: list[_Draft], rng: random.Random) -> tuple[Anchor, ...]:
    """The table of contents every page shows: breadth first up to MENU_SIZE, in order."""
    ranked = sorted(range(len(public)), key=lambda number: (public[number].depth, number))
    return tuple(
        public[number].anchor(choose_style(rng, MENU_STYLES), level=public[number].depth)
        for number in sorted(ranked[:MENU_SIZE])
    )


def _freeze(drafts: list[_Draft], tree: list[_Draft]) -> list[DocPage]:
    """Freeze every draft, the tree's pages with their previous and next pages."""
    position = {draft.path: number for number, draft in enumerate(tree)}
    frozen = []
    for draft in drafts:
        number = position.get(draft.path)
        if number is None:
            frozen.append(draft.freeze((None, None)))
            continue
        previous = tree[number - 1].anchor() if number else None
        following = tree[number + 1].anchor() if number + 1 < len(tree) else None
        frozen.append(draft.freeze((previous, following)))
    return frozen
