"""Render the docs profile's pages as HTML bytes, laid out as Sphinx lays out a manual.

A page is the related bar (the theme's icons, the breadcrumb, previous and next), the body
(paragraphs with links in their text, headings with their ¶ links, figures, an index page's
list of children, an article's API terms, or a listing's thousands of entries), the sidebar
menu and the footer. Absolute hrefs carry the origin placeholders, as on the photo site.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from html import escape
from types import MappingProxyType

from testsite.docs.pages import Anchor, DocPage, Manual, Term, slug
from testsite.graph import Figure
from testsite.hrefs import spell
from testsite.markup import comment, footer, head, interleave, paragraph, render_figure, script
from testsite.urls import encode_path

PROJECT = "Lumen"  # the made-up product the manual documents
EDIT_URL = "https://example.org/lumen/edit/main/docs"  # + the page's path: off-site
TOCTREE = "toctree-wrapper compound"  # the class of the <div> around a page's list of pages
STYLE = (
    "body{display:flex;flex-wrap:wrap;font-family:sans-serif;margin:0;line-height:1.5}"
    ".related{flex-basis:100%;background:#eee}.related li{display:inline;margin-right:.5em}"
    ".document{flex:1;min-width:20em;padding:0 1em}.sphinxsidebar{order:-1;width:18em}"
    ".sphinxsidebar ul{list-style:none;padding-left:.5em}.toctree-l2{margin-left:1em}"
    ".toctree-l3{margin-left:2em}.toctree-l4{margin-left:3em}img{max-width:100%}"
)


def render_manual(manual: Manual, seed: int, words: Sequence[str]) -> dict[str, bytes]:
    """Return every page's HTML, by decoded path."""
    return {doc.path: render_doc(doc, manual, seed, words) for doc in manual.pages}


def render_doc(doc: DocPage, manual: Manual, seed: int, words: Sequence[str]) -> bytes:
    """Return one page's HTML: related bar, body, sidebar menu, footer."""
    rng = random.Random(f"{seed}:doc-text:{doc.path}")
    base_dir = doc.path[: doc.path.rindex("/") + 1]
    body = _BODIES.get(doc.role, _article)
    parts = [
        head(f"{doc.title} \N{EM DASH} {PROJECT} documentation", None, STYLE),
        _related(doc, manual.icons, base_dir, rng),
        f'<div class="document" role="main">\n{_heading(1, doc.title)}',
        body(doc, base_dir, words, rng),
        *(comment(decoy) for decoy in doc.decoys if decoy.place == "comment"),
        "</div>\n",
        _sidebar(manual.menu, base_dir, rng),
        footer(doc.inert),
        *(script(decoy) for decoy in doc.decoys if decoy.place == "script"),
        "</body>\n</html>\n",
    ]
    return "".join(parts).encode("utf-8")


def _related(doc: DocPage, icons: Sequence[Figure], base_dir: str, rng: random.Random) -> str:
    """The bar above the page: icons, breadcrumb, previous and next, the edit link."""
    items = [f'<li><img src="{_src(icon, base_dir, rng)}" alt=""></li>' for icon in icons]
    items += [f"<li>{_a(crumb, base_dir, rng)} &#187;</li>" for crumb in doc.crumbs]
    items.append(f"<li>{escape(doc.title)}</li>")
    for anchor, label in zip(doc.neighbours, ("previous", "next"), strict=True):
        if anchor:
            items.append(f'<li class="right">{_a(anchor, base_dir, rng, label)}</li>')
    edit = escape(EDIT_URL + encode_path(doc.path))
    items.append(f'<li class="right"><a href="{edit}">Edit this page</a></li>')
    lines = "\n".join(items)
    return f'<div class="related" role="navigation">\n<ul>\n{lines}\n</ul>\n</div>\n'


def _article(doc: DocPage, base_dir: str, words: Sequence[str], rng: random.Random) -> str:
    """The body of any page but a listing: sections with links and figures, children, terms."""
    sections = [[paragraph(words, rng) for _ in range(rng.randint(1, 3))] for _ in doc.headings]
    sections.insert(0, [paragraph(words, rng) for _ in range(rng.randint(1, 2))])
    for anchor in doc.see_also:
        section = rng.choice(sections)
        section[rng.randrange(len(section))] += f" See {_a(anchor, base_dir, rng)}."
    figures: list[list[str]] = [[] for _ in sections]
    for figure in doc.figures:
        rng.choice(figures).append(render_figure(figure, base_dir, words, rng))
    parts = [interleave(sections[0], figures[0], rng)]
    for text, paragraphs, shown in zip(doc.headings, sections[1:], figures[1:], strict=True):
        parts += [_heading(2, text), interleave(paragraphs, shown, rng)]
    if doc.children:
        parts.append(_entries(doc.children, base_dir, rng, TOCTREE))
    parts += [_term(term, words, rng) for term in doc.terms]
    return "".join(parts)


def _contents(doc: DocPage, base_dir: str, words: Sequence[str], rng: random.Random) -> str:
    """The full contents: every page, its headings and its terms, nested by level."""
    return _entries(doc.entries, base_dir, rng, TOCTREE)


def _genindex(doc: DocPage, base_dir: str, words: Sequence[str], rng: random.Random) -> str:
    """The general index on one page: a row of letters, then each letter's entries."""
    groups = itertools.groupby(doc.entries, lambda entry: entry.text.lstrip("-")[:1].upper())
    parts, letters = [], []
    for letter, entries in groups:
        letters.append(f'<a href="#{letter}"><strong>{letter}</strong></a>')
        items = "".join(f"<li>{_a(entry, base_dir, rng)}</li>\n" for entry in entries)
        parts.append(
            f'<h2 id="{letter}">{letter}</h2>\n<table class="indextable genindextable">'
            f"<tr><td><ul>\n{items}</ul></td></tr></table>\n"
        )
    return f'<div class="genindex-jumpbox">{" | ".join(letters)}</div>\n{"".join(parts)}'


def _sidebar(menu: Sequence[Anchor], base_dir: str, rng: random.Random) -> str:
    """The sidebar: the table of contents every page shows."""
    return (
        '<div class="sphinxsidebar" role="navigation" aria-label="Main">\n'
        f"<h3>Table of contents</h3>\n{_entries(menu, base_dir, rng)}</div>\n"
    )


def _entries(
    anchors: Sequence[Anchor], base_dir: str, rng: random.Random, wrapper: str = ""
) -> str:
    """A <ul> of anchors classed by level as Sphinx's toctree does, in a wrapper <div> if given."""
    items = "".join(
        f'<li class="toctree-l{anchor.level}">{_a(anchor, base_dir, rng, css="reference internal")}'
        "</li>\n"
        for anchor in anchors
    )
    inner = f"<ul>\n{items}</ul>\n"
    return f'<div class="{wrapper}">\n{inner}</div>\n' if wrapper else inner


def _term(term: Term, words: Sequence[str], rng: random.Random) -> str:
    """An API object's definition, with the id the listings link to."""
    summary = " ".join(rng.choice(words) for _ in range(rng.randint(6, 14))).capitalize()
    anchor = escape(term.anchor)
    return (
        f'<dl class="py {term.kind}">\n<dt class="sig sig-object py" id="{anchor}">'
        f'<span class="sig-prename descclassname">{escape(term.module)}.</span>'
        f'<span class="sig-name descname">{escape(term.name)}</span>'
        f'<a class="headerlink" href="#{anchor}">¶</a></dt>\n<dd><p>{summary}.</p></dd>\n</dl>\n'
    )


def _heading(level: int, text: str) -> str:
    """A heading with its id and the ¶ link to itself that Sphinx adds."""
    ident = escape(slug(text))
    return (
        f'<h{level} id="{ident}">{escape(text)}'
        f'<a class="headerlink" href="#{ident}" title="Link to this heading">¶</a></h{level}>\n'
    )


def _a(anchor: Anchor, base_dir: str, rng: random.Random, text: str = "", css: str = "") -> str:
    """An <a> for anchor, spelled from base_dir, showing text or else the anchor's own."""
    href = spell(anchor.link.target, base_dir, anchor.link.style, rng)
    href += f"#{anchor.fragment}" if anchor.fragment else ""
    classes = f' class="{css}"' if css else ""
    return f'<a{classes} href="{escape(href)}">{escape(text or anchor.text)}</a>'


def _src(icon: Figure, base_dir: str, rng: random.Random) -> str:
    """The src of an icon's one image, spelled from base_dir."""
    ref = icon.refs[0]
    return escape(spell(ref.path, base_dir, ref.style, rng))


Body = Callable[[DocPage, str, Sequence[str], random.Random], str]
# The listings' own bodies by role; every other page is an article.
_BODIES: Mapping[str, Body] = MappingProxyType({"contents": _contents, "genindex": _genindex})
