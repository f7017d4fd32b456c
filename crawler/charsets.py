"""A page's character encoding, decided as a browser decides it (WHATWG Encoding and HTML).

1. A byte-order mark (UTF-8, UTF-16LE, UTF-16BE) wins over everything.
2. Else the Content-Type header's charset.
3. Else a <meta charset=...> or <meta http-equiv=Content-Type content="...; charset=...">
   within the first 1024 bytes, where a UTF-16 label means UTF-8 (a page that could read
   its own meta tag as ASCII is not UTF-16).
4. Else UTF-8.
Labels are the WHATWG's (webencodings): "latin1" and "iso-8859-1" mean windows-1252,
"shift_jis" means Windows-31J; an unknown label is skipped, as a browser skips it.
"""

from __future__ import annotations

import re

import webencodings

PRESCAN_BYTES = 1024
UTF8 = webencodings.lookup("utf-8")
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([^"'\s/>;]+)""", re.I)


def decode(body: bytes, content_type: str) -> tuple[str, str]:
    """The page's text and the name of the encoding it was read with; never raises."""
    text, encoding = webencodings.decode(body, _declared(body, content_type), errors="replace")
    return text, encoding.codec_info.name


def _declared(body: bytes, content_type: str) -> webencodings.Encoding:
    """What the header, else the page's own meta tag, says; UTF-8 when neither says."""
    header = _HEADER_CHARSET.search(content_type)
    if header and (found := webencodings.lookup(header.group(1))):
        return found
    meta = _META_CHARSET.search(body[:PRESCAN_BYTES])
    if meta and (found := webencodings.lookup(meta.group(1).decode("ascii", "replace"))):
        return UTF8 if found.name.startswith("utf-16") else _meta_fixups(found)
    return UTF8


def _meta_fixups(found: webencodings.Encoding) -> webencodings.Encoding:
    # HTML's prescan: x-user-defined from a meta tag is read as windows-1252.
    return webencodings.lookup("windows-1252") if found.name == "x-user-defined" else found
