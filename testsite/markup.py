"""The HTML every site's pages are made of: head, title, paragraphs, figures, decoys, footer.

Each site's render.py (photos/, docs/) lays its pages out from these; hrefs carry the origin
placeholders of hrefs.py where an absolute URL needs the origin.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from html import escape
from types import MappingProxyType

from testsite.graph import Decoy, Figure
from testsite.hrefs import spell

INERT_TEXT = MappingProxyType(
    {"mailto": "Write to us", "javascript": "Show more", "tel": "Call us", "https": "Elsewhere"}
)


def title(path: str, seed: int, words: Sequence[str]) -> str:
    """The page's title, the same wherever it is computed, so anchor text matches it."""
    rng = random.Random(f"{seed}:title:{path}")
    return " ".join(rng.choice(words).capitalize() for _ in range(rng.randint(2, 4)))


def head(text: str, base: str | None, style: str) -> str:
    """The document start up to <body>, with a <base> when the page has one and the site's
    style sheet."""
    base_tag = f'<base href="{escape(base)}">\n' if base else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(text)}</title>\n{base_tag}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>{style}</style>\n</head>\n<body>\n"
    )


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
