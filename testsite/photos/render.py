"""Render a page of the photo site's graph as HTML bytes, with placeholders for the origin."""

from __future__ import annotations

import random
from collections.abc import Sequence
from html import escape

from testsite.graph import Link, Page
from testsite.hrefs import spell
from testsite.markup import (
    comment,
    footer,
    head,
    interleave,
    paragraph,
    render_figure,
    script,
    title,
)

STYLE = "body{font-family:sans-serif;max-width:46em;margin:auto;line-height:1.5}img{max-width:100%}"


def render_page(page: Page, seed: int, words: Sequence[str]) -> bytes:
    """Return the page's HTML, 3-6 KB: title, nav, paragraphs with links, figures, footer."""
    rng = random.Random(f"{seed}:text:{page.path}")
    anchors = [_anchor(link, page.base_dir, seed, words, rng) for link in page.links]
    figures = [render_figure(figure, page.base_dir, words, rng) for figure in page.figures]
    paragraphs = [paragraph(words, rng) for _ in range(rng.randint(6, 9))]
    inline = min(len(anchors) - 2, len(paragraphs)) if len(anchors) > 2 else 0
    for number in range(inline):
        paragraphs[number] += f" See {anchors[2 + number]}."
    body = interleave(paragraphs, figures, rng)
    related = "".join(f"<li>{anchor}</li>\n" for anchor in anchors[2 + inline :])
    parts = [
        head(title(page.path, seed, words), page.base, STYLE),
        f"<header><nav>{' | '.join(anchors[:2])}</nav></header>\n<main>\n",
        f"<h1>{title(page.path, seed, words)}</h1>\n{body}",
        *(comment(decoy) for decoy in page.decoys if decoy.place == "comment"),
        f"<h2>Related</h2>\n<ul>\n{related}</ul>\n</main>\n" if related else "</main>\n",
        footer(page.inert),
        *(script(decoy) for decoy in page.decoys if decoy.place == "script"),
        "</body>\n</html>\n",
    ]
    return "".join(parts).encode("utf-8")


def _anchor(link: Link, base_dir: str, seed: int, words: Sequence[str], rng: random.Random) -> str:
    """An <a> to a page, its text the target's title."""
    href = escape(spell(link.target, base_dir, link.style, rng))
    return f'<a href="{href}">{escape(title(link.target, seed, words))}</a>'
