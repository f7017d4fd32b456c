"""Render a page of the graph as HTML bytes, with placeholders where the origin goes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from html import escape
from types import MappingProxyType

from testsite.hrefs import spell
from testsite.photos.pages import Decoy, Figure, Link, Page

STYLE = "body{font-family:sans-serif;max-width:46em;margin:auto;line-height:1.5}img{max-width:100%}"
INERT_TEXT = MappingProxyType(
    {"mailto": "Write to us", "javascript": "Show more", "tel": "Call us", "https": "Elsewhere"}
)


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
        head(title(page.path, seed, words), page.base),
        f"<header><nav>{' | '.join(anchors[:2])}</nav></header>\n<main>\n",
        f"<h1>{title(page.path, seed, words)}</h1>\n{body}",
        *(comment(decoy) for decoy in page.decoys if decoy.place == "comment"),
        f"<h2>Related</h2>\n<ul>\n{related}</ul>\n</main>\n" if related else "</main>\n",
        footer(page.inert),
        *(script(decoy) for decoy in page.decoys if decoy.place == "script"),
        "</body>\n</html>\n",
    ]
    return "".join(parts).encode("utf-8")


def title(path: str, seed: int, words: Sequence[str]) -> str:
    """The page's title, the same wherever it is computed, so anchor text matches it."""
    rng = random.Random(f"{seed}:title:{path}")
    return " ".join(rng.choice(words).capitalize() for _ in range(rng.randint(2, 4)))


def head(text: str, base: str | None, style: str = STYLE) -> str:
    """The document start up to <body>, with a <base> when the page has one."""
    base_tag = f'<base href="{escape(base)}">\n' if base else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(text)}</title>\n{base_tag}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>{style}</style>\n</head>\n<body>\n"
    )


def _anchor(link: Link, base_dir: str, seed: int, words: Sequence[str], rng: random.Random) -> str:
    """An <a> to a page, its text the target's title."""
    href = escape(spell(link.target, base_dir, link.style, rng))
    return f'<a href="{href}">{escape(title(link.target, seed, words))}</a>'


def render_figure(figure: Figure, base_dir: str, words: Sequence[str], rng: random.Random) -> str:
    """A <figure> showing one or two image URLs in the figure's form."""
    hrefs = [escape(spell(ref.path, base_dir, ref.style, rng)) for ref in figure.refs]
    caption = " ".join(rng.choice(words) for _ in range(rng.randint(3, 8))).capitalize()
    alt = escape(caption)
    if figure.form == "srcset_x":
        image = f'<img src="{hrefs[0]}" srcset="{hrefs[0]} 1x, {hrefs[1]} 2x" alt="{alt}">'
    elif figure.form == "srcset_w":
        image = (
            f'<img src="{hrefs[0]}"\n     srcset="{hrefs[0]} 640w,\n'
            f'             {hrefs[1]} 1280w"\n'
            f'     sizes="(max-width: 700px) 100vw, 700px" alt="{alt}">'
        )
    elif figure.form == "picture":
        image = (
            f'<picture><source srcset="{hrefs[0]}" type="image/webp">'
            f'<img src="{hrefs[1]}" alt="{alt}"></picture>'
        )
    else:
        image = f'<img src="{hrefs[0]}" alt="{alt}" loading="lazy">'
    return f"<figure>\n{image}\n<figcaption>{alt}.</figcaption>\n</figure>\n"


def paragraph(words: Sequence[str], rng: random.Random) -> str:
    """A paragraph of 3-6 sentences of random words."""
    sentences = []
    for _ in range(rng.randint(3, 6)):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(7, 17)))
        sentences.append(sentence.capitalize() + ".")
    return " ".join(sentences)


def interleave(paragraphs: list[str], figures: list[str], rng: random.Random) -> str:
    """Paragraphs in order, with the figures placed between them at random."""
    slots: list[list[str]] = [[f"<p>{text}</p>\n"] for text in paragraphs]
    for figure in figures:
        rng.choice(slots).append(figure)
    return "".join(part for slot in slots for part in slot)


def comment(decoy: Decoy) -> str:
    """A commented-out link: a parser skips it, a regex does not."""
    return f'<!-- <a href="{escape(decoy.target)}">Old page</a> -->\n'


def script(decoy: Decoy) -> str:
    """A link inside a script string: a parser skips it, a regex does not."""
    return f"<script>var u = \"<a href='{escape(decoy.target)}'>\";</script>\n"


def footer(inert: Sequence[str]) -> str:
    """The footer with hrefs no crawler may fetch: mailto:, javascript:, tel:, off-site, ''."""
    anchors = []
    for href in inert:
        text = INERT_TEXT.get(href.partition(":")[0], "This page") if href else "This page"
        anchors.append(f'<a href="{escape(href)}">{text}</a>')
    return f"<footer><p>{' · '.join(anchors) or 'The end.'}</p></footer>\n"
