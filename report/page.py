"""What every report page shares: escaping, embedded JSON, reading records, the page frame."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterator
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from config import STAGES
from processing.files import write_atomic

STATIC = Path(__file__).with_name("static")
# Nothing on the page may reach the network: images from the run folder only (file:// is
# 'self'), the style and script inline. A hostile URL that slipped through could not load.
POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


def esc(value: object) -> str:
    """Escape value for HTML text and quoted attributes."""
    return html.escape(str(value), quote=True)


def embed_json(data: Any) -> str:
    """JSON that is safe inside a <script> element: no '<' can close it, whatever the data."""
    text = json.dumps(finite(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def finite(data: Any) -> Any:
    """data with NaN and infinities replaced by None: JSON.parse rejects them."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {str(key): finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [finite(value) for value in data]
    return data


def number(value: Any, default: float = 0.0) -> float:
    """value as a finite float, or default when it is missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value) if math.isfinite(value) else default


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Each JSON object of a JSON Lines file, one at a time; broken lines are skipped
    (an interrupted run may end in half a line)."""
    try:
        file = path.open(encoding="utf-8", errors="replace")
    except OSError:
        return
    with file:
        for line in file:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                yield row


def local_href(root: Path, relative: Any) -> str | None:
    """A URL-quoted relative link to a file inside root, or None when relative is not a plain
    path to an existing file there (never follow a record outside its run folder)."""
    if not isinstance(relative, str) or not relative:
        return None
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or "\\" in relative:
        return None
    if not (root / path).is_file():
        return None
    return quote(str(path))


def stage_names(stages: Any) -> list[str]:
    """Stage names in pipeline order (crawl, write, resize), any others after them."""
    names = [str(name) for name in stages] if isinstance(stages, dict | list) else []
    known = [name for name in STAGES if name in names]
    return known + sorted(name for name in names if name not in STAGES)


def fmt(value: Any, digits: int = 2, unit: str = "") -> str:
    """A number for a table cell ('' when missing), with an optional unit."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return ""
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"
    return f"{text} {unit}".rstrip()


def megabytes(size: Any) -> str:
    """A byte count as MB or kB."""
    size = number(size)
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def legend() -> str:
    """The stage colours and the failed-item mark, as shown on every timeline."""
    stages = "".join(f'<span><i class="stage-dot {name}"></i>{name}</span>' for name in STAGES)
    return (
        f'<div class="legend">{stages}<span><i class="failed"></i>item failed</span></div>'
        "<span>drag across the lanes to zoom, double-click to zoom out; "
        "hover a bar for its times</span>"
    )


@cache
def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def page(title: str, body: str, data: dict[str, Any]) -> str:
    """A whole self-contained page: inline style and script, data embedded as JSON."""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>\n{_asset('report.css')}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n"
        f'<script type="application/json" id="report-data">{embed_json(data)}</script>\n'
        f"<script>\n{_asset('report.js')}</script>\n</body>\n</html>\n"
    )


def write_page(path: Path, text: str) -> Path:
    """Write the page atomically (a reader never sees half of it); return its path."""
    write_atomic(path, text.encode("utf-8"))
    return path
