"""Find the links and images a page names, with the stdlib HTML parser.

The stdlib parser is forgiving (unclosed and upper-case tags, unquoted attributes),
treats <script> and <style> bodies as text and reports comments separately, so links
inside them are never seen. It is pure Python; issue 5 measures whether a C parser pays.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import NamedTuple

from crawler.urls import resolve

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_.:-]+)", re.I)
_SRCSET_SPACE = " \t\n\r\f"


class Links(NamedTuple):
    """What one page points at: absolute, normalised, deduplicated, in document order."""

    pages: tuple[str, ...]
    images: tuple[str, ...]


def extract(body: bytes, content_type: str, page_url: str) -> Links:
    """Decode an HTML body and return the pages and images it links to."""
    parser = _LinkParser()
    try:
        parser.feed(decode_html(body, content_type))
        parser.close()
    except (AssertionError, ValueError):
        pass  # html.parser gives up on some malformed markup: keep the links found so far
    base = resolve(page_url, parser.base_href) if parser.base_href else None
    base = base or page_url
    return Links(_resolve_all(base, parser.page_hrefs), _resolve_all(base, parser.image_hrefs))


def decode_html(body: bytes, content_type: str) -> str:
    """Decode with the charset from the header, else a <meta> tag, else UTF-8; never raise."""
    match = _HEADER_CHARSET.search(content_type) or _META_CHARSET.search(body[:4096])
    charset = match.group(1) if match else "utf-8"
    if isinstance(charset, bytes):
        charset = charset.decode("ascii")
    try:
        return body.decode(charset, errors="replace")
    except (LookupError, UnicodeError):  # an unknown charset, or one that cannot "replace"
        return body.decode("utf-8", errors="replace")


def parse_srcset(srcset: str) -> list[str]:
    """Return the URLs of a srcset attribute, following the HTML spec's candidate parsing."""
    urls, position, length = [], 0, len(srcset)
    while position < length:
        while position < length and srcset[position] in _SRCSET_SPACE + ",":
            position += 1
        start = position
        while position < length and srcset[position] not in _SRCSET_SPACE:
            position += 1
        url = srcset[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            position = _skip_descriptors(srcset, position)
        if url:
            urls.append(url)
    return urls


def _skip_descriptors(srcset: str, position: int) -> int:
    """Move past a candidate's descriptors ('2x', '640w'); commas inside () do not end them."""
    depth = 0
    while position < len(srcset):
        char = srcset[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            return position + 1
        position += 1
    return position


def _resolve_all(base: str, hrefs: list[str]) -> tuple[str, ...]:
    """Resolve hrefs against base, dropping unfetchable ones and duplicates, keeping order."""
    resolved = (resolve(base, href) for href in hrefs)
    return tuple(dict.fromkeys(url for url in resolved if url))


class _LinkParser(HTMLParser):
    """Collects raw hrefs; resolution waits for the end because <base> may come late."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.page_hrefs: list[str] = []
        self.image_hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the URL-bearing attributes of the tags we care about."""
        if tag not in ("a", "area", "img", "source", "base"):
            return
        values = {name: value for name, value in attrs if value is not None}
        if tag in ("a", "area") and "href" in values:
            self.page_hrefs.append(values["href"])
        elif tag == "base" and "href" in values and self.base_href is None:
            self.base_href = values["href"]  # only the first <base> counts
        elif tag == "img" and values.get("src", "").strip():
            self.image_hrefs.append(values["src"])
        if tag in ("img", "source") and "srcset" in values:
            self.image_hrefs.extend(parse_srcset(values["srcset"]))

    handle_startendtag = handle_starttag
