"""A crawl's report.html: the timeline of every worker, the run's summary, its thumbnails.

Data flow of write_run_report(run_dir):
1. summary.json and run.json say what ran; timeline.jsonl is read one line at a time into
   merged bars, one lane per worker (report.timeline).
2. pages.jsonl and images.jsonl are streamed once: each error kind keeps a few example URLs,
   the gallery its first GALLERY_MAX images, the failures list its first FAILED_MAX.
3. Everything the crawl brought back is escaped into the HTML or embedded as JSON with every
   '<' escaped (URLs and titles are hostile input); the page's script draws the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from report.page import (
    esc,
    fmt,
    legend,
    local_href,
    megabytes,
    number,
    page,
    read_json,
    read_rows,
    stage_names,
    write_page,
)
from report.timeline import read_timeline

REPORT_FILE = "report.html"
GALLERY_MAX = 240
FAILED_MAX = 200
EXAMPLES_PER_KIND = 3
MESSAGE_CHARS = 300  # a traceback-sized message is cut in the table; its title has more
BOX_PX = 128  # the gallery shows each thumbnail within this square
CARD_LABELS = {"peak_rss_mb": "peak memory, MB (process tree)"}
KNOWN_KEYS = {"counts", "cpu_s", "wall_s", "loop_lag", "digest", "interrupted", "stopped_by"}


@dataclass
class Picture:
    """One gallery entry: a thumbnail, its original, and where it came from."""

    url: str
    thumb: str
    original: str | None
    width: int
    height: int
    size: int
    other_urls: int = 0


@dataclass
class Findings:
    """What one pass over pages.jsonl and images.jsonl found."""

    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    error_counts: dict[str, int] = field(default_factory=dict)
    gallery: dict[str, Picture] = field(default_factory=dict)
    not_shown: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    failed_more: int = 0

    def note_error(self, url: str, error: dict[str, Any]) -> tuple[str, str]:
        """Count an error by kind, keeping its first few URLs as examples."""
        kind, message = str(error.get("kind") or "unknown"), str(error.get("message") or "")
        self.error_counts[kind] = self.error_counts.get(kind, 0) + 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < EXAMPLES_PER_KIND:
            examples.append((url, message))
        return kind, message

    def note_failed_image(self, url: str, error: dict[str, Any]) -> None:
        """Keep a failed image for the failures list, up to FAILED_MAX."""
        kind, message = self.note_error(url, error)
        if len(self.failed) < FAILED_MAX:
            self.failed.append((url, kind, message))
        else:
            self.failed_more += 1

    def note_image(self, run_dir: Path, row: dict[str, Any], size: str | None) -> None:
        """Add an image to the gallery: once per content, up to GALLERY_MAX."""
        sha = str(row.get("sha256") or row.get("original") or "")
        if sha in self.gallery:
            self.gallery[sha].other_urls += 1
            return
        thumbs = row.get("thumbnails") if isinstance(row.get("thumbnails"), dict) else {}
        thumb = local_href(run_dir, thumbs.get(size or _smallest_fit(thumbs)))
        if len(self.gallery) >= GALLERY_MAX or thumb is None:
            self.not_shown += 1
            return
        self.gallery[sha] = Picture(
            url=str(row.get("url") or ""),
            thumb=thumb,
            original=local_href(run_dir, row.get("original")),
            width=int(number(row.get("width"))),
            height=int(number(row.get("height"))),
            size=int(number(row.get("bytes"))),
        )


def write_run_report(run_dir: Path) -> Path:
    """Write run_dir/report.html from the run's own files; return its path."""
    run_dir = Path(run_dir)
    summary = read_json(run_dir / "summary.json")
    run_info = read_json(run_dir / "run.json")
    findings = _scan(run_dir, _gallery_size(run_info))
    timeline = read_timeline(run_dir, summary)
    start_url = str(summary.get("start_url") or run_info.get("start_url") or run_dir.name)
    body = "\n".join(
        [
            _header(run_dir, summary, start_url),
            _timeline_section(timeline),
            _summary_section(summary, findings, timeline),
            _options_section(run_info),
            _gallery_section(findings),
            _failed_section(findings),
        ]
    )
    text = page(f"Report: {start_url}", body, {"timeline": timeline})
    return write_page(run_dir / REPORT_FILE, text)


def _scan(run_dir: Path, size: str | None) -> Findings:
    """Stream both record files once."""
    findings = Findings()
    for row in read_rows(run_dir / "pages.jsonl"):
        if isinstance(row.get("error"), dict):
            findings.note_error(str(row.get("url") or ""), row["error"])
    for row in read_rows(run_dir / "images.jsonl"):
        url = str(row.get("url") or "")
        if isinstance(row.get("error"), dict):
            findings.note_failed_image(url, row["error"])
        elif row.get("ok", True):
            findings.note_image(run_dir, row, size)
    return findings


def _gallery_size(run_info: dict[str, Any]) -> str | None:
    """The thumbnail size the gallery shows: the smallest that fills its box."""
    options = run_info.get("options") if isinstance(run_info.get("options"), dict) else {}
    sizes = options.get("sizes")
    if not isinstance(sizes, list) or not sizes:
        return None  # decided per image from its own thumbnails
    return _smallest_fit({str(size): None for size in sizes})


def _smallest_fit(thumbs: dict[str, Any]) -> str | None:
    """Of the sizes in thumbs, the smallest at least BOX_PX, else the largest."""
    sizes = sorted((int(key) for key in thumbs if str(key).isdigit()), reverse=True)
    fitting = [size for size in sizes if size >= BOX_PX]
    chosen = fitting[-1] if fitting else (sizes[0] if sizes else None)
    return None if chosen is None else str(chosen)


def _header(run_dir: Path, summary: dict[str, Any], start_url: str) -> str:
    stages = summary.get("stages") if isinstance(summary.get("stages"), dict) else {}
    models = " · ".join(
        f"{esc(name)} on {esc(stages[name].get('model', '?'))}"
        for name in stage_names(stages)
        if isinstance(stages[name], dict)
    )
    banners = ""
    if summary.get("interrupted"):
        banners += '<p class="banner warn">Interrupted: the counts below are partial.</p>'
    if summary.get("stopped_by"):
        banners += f'<p class="banner bad">Stopped: {esc(summary["stopped_by"])}</p>'
    if not summary:
        banners += '<p class="banner bad">This run has no summary.json (it did not finish).</p>'
    return (
        f"<header><h1>Crawl of {esc(start_url)}</h1>"
        f'<p class="sub">run folder <code>{esc(run_dir.name)}</code>'
        f"{' · ' + models if models else ''}</p>{banners}</header>"
    )


def _timeline_section(timeline: dict[str, Any] | None) -> str:
    spans = sum(stage["spans"] for stage in timeline["stages"]) if timeline else 0
    note = (
        f"{spans:,} items over {timeline['duration']:.2f} s; one lane per worker that did "
        "work, a bar wherever it was busy (an asyncio task slot while its request is in "
        "flight, waiting included; a thread or process while it works on an item). The % is "
        "the share of its stage's wall time the lane was busy."
        if timeline
        else "No timeline.jsonl in this run (recorded with --no-timeline, or before timelines)."
    )
    return (
        '<section id="timeline-section"><h2>Timeline</h2>'
        f'<div class="tl-tools">{legend()}<button type="button" data-reset="run">zoom out'
        f'</button></div><div class="timeline" id="timeline-run"></div><p class="note">{note}</p>'
        "</section>"
    )


def _summary_section(
    summary: dict[str, Any], findings: Findings, timeline: dict[str, Any] | None
) -> str:
    return (
        '<section id="summary"><h2>Summary</h2>'
        f"{_cards(summary)}{_stage_table(summary, timeline)}{_errors(summary, findings)}"
        f"{_skipped(summary)}</section>"
    )


def _cards(summary: dict[str, Any]) -> str:
    counts = summary.get("counts") if isinstance(summary.get("counts"), dict) else {}
    wall, cpu = number(summary.get("wall_s")), number(summary.get("cpu_s"))
    lag = summary.get("loop_lag") if isinstance(summary.get("loop_lag"), dict) else {}
    cards = [
        (fmt(counts.get("pages")), f"pages ({fmt(counts.get('pages_failed'))} failed)"),
        (fmt(counts.get("images")), f"images ({fmt(counts.get('images_failed'))} failed)"),
        (fmt(counts.get("thumbnails")), "thumbnails"),
        (megabytes(counts.get("bytes")), "downloaded"),
        (fmt(wall, 2, "s"), "wall time"),
        (fmt(cpu, 2, "s"), "CPU time (user + system)"),
        (fmt(cpu / wall if wall else None, 2), "cores used (CPU ÷ wall)"),
        (
            fmt(lag.get("max_ms"), 0, "ms"),
            f"event-loop lag max (p99 {fmt(lag.get('p99_ms'), 0, 'ms')})",
        ),
    ]
    cards += _extra_cards(summary)
    items = "".join(
        f'<div class="card"><div class="value">{esc(value) or "-"}</div>'
        f'<div class="label">{esc(label)}</div></div>'
        for value, label in cards
    )
    return f'<div class="cards">{items}</div>'


def _extra_cards(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Numbers summary.json has that the cards above do not name (e.g. peak memory)."""
    return [
        (fmt(value, 0 if key in CARD_LABELS else 2), CARD_LABELS.get(key, key.replace("_", " ")))
        for key, value in summary.items()
        if key not in KNOWN_KEYS and isinstance(value, int | float) and not isinstance(value, bool)
    ]


STAGE_COLUMNS = (
    ("model", "model"),
    ("workers", "workers"),
    ("lanes", "lanes busy"),
    ("items", "items"),
    ("errors", "errors"),
    ("per_s", "items/s"),
    ("busy_s", "busy s"),
    ("wall_s", "wall s"),
    ("busy_per_wall", "busy ÷ wall"),
    ("start_s", "start s"),
    ("end_s", "end s"),
)


def _stage_table(summary: dict[str, Any], timeline: dict[str, Any] | None) -> str:
    stages = summary.get("stages") if isinstance(summary.get("stages"), dict) else {}
    lanes = (
        {stage["stage"]: len(stage["lanes"]) for stage in timeline["stages"]} if timeline else {}
    )
    rows = []
    known = {key for key, _ in STAGE_COLUMNS}
    extra = sorted({key for row in stages.values() if isinstance(row, dict) for key in row} - known)
    for name in stage_names(stages):
        row = stages[name] if isinstance(stages[name], dict) else {}
        wall = number(row.get("wall_s"))
        values = {
            **row,
            "lanes": lanes.get(name),
            "busy_per_wall": number(row.get("busy_s")) / wall if wall else None,
        }
        cells = "".join(_cell(key, values.get(key)) for key, _ in STAGE_COLUMNS)
        cells += "".join(_cell(key, row.get(key)) for key in extra)
        dot = f'<i class="stage-dot {esc(name)}"></i>'
        rows.append(f'<tr><td class="text">{dot}{esc(name)}</td>{cells}</tr>')
    heads = "".join(f"<th>{esc(label)}</th>" for _, label in STAGE_COLUMNS)
    heads += "".join(f"<th>{esc(key.replace('_', ' '))}</th>" for key in extra)
    return (
        f'<h3>Stages</h3><div class="scroll"><table id="stages"><tr><th>stage</th>{heads}</tr>'
        f"{''.join(rows)}</table></div>"
        '<p class="note">busy s adds up every worker\'s time on items, so a stage that ran '
        "items at once shows more busy than wall seconds: busy ÷ wall is how many workers "
        "were busy on average.</p>"
    )


def _cell(key: str, value: Any) -> str:
    if isinstance(value, str):
        return f'<td class="text">{esc(value)}</td>'
    digits = 1 if key == "per_s" else 3 if key.endswith("_s") else 2
    return f"<td>{esc(fmt(value, digits))}</td>"


def _errors(summary: dict[str, Any], findings: Findings) -> str:
    counts = summary.get("errors") if isinstance(summary.get("errors"), dict) else {}
    counts = counts or findings.error_counts
    if not counts:
        return "<h3>Errors</h3><p>None.</p>"
    rows = []
    for kind, count in sorted(counts.items(), key=lambda item: -number(item[1])):
        examples = "".join(
            f'<li title="{esc(message[:2000])}">{esc(url)}</li>'
            for url, message in findings.examples.get(str(kind), [])
        )
        rows.append(
            f'<tr><td class="text">{esc(kind)}</td><td>{esc(fmt(count))}</td>'
            f'<td class="wrap"><ul class="examples">{examples}</ul></td></tr>'
        )
    return (
        '<h3>Errors by kind</h3><div class="scroll"><table id="errors">'
        '<tr><th>kind</th><th>count</th><th class="text">examples (hover for the message)</th>'
        f"</tr>{''.join(rows)}</table></div>"
    )


def _skipped(summary: dict[str, Any]) -> str:
    skipped = summary.get("skipped") if isinstance(summary.get("skipped"), dict) else {}
    reasons = ", ".join(f"{esc(reason)} {esc(fmt(count))}" for reason, count in skipped.items())
    digest = f"<p>digest <code>{esc(summary['digest'])}</code></p>" if summary.get("digest") else ""
    return f"<p>skipped: {reasons or 'nothing'}</p>{digest}"


def _options_section(run_info: dict[str, Any]) -> str:
    options = run_info.get("options") if isinstance(run_info.get("options"), dict) else {}
    if not options:
        return ""
    rows = "".join(
        f'<tr><td class="text">{esc(key)}</td><td class="text">{esc(_plain(value))}</td></tr>'
        for key, value in options.items()
    )
    return (
        '<section id="options"><details><summary><b>Options of this run</b> (run.json)</summary>'
        f"<table>{rows}</table></details></section>"
    )


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "default" if value is None else str(value)


def _gallery_section(findings: Findings) -> str:
    shown = len(findings.gallery)
    figures = "".join(_figure(picture) for picture in findings.gallery.values())
    note = f"{shown} distinct images shown"
    if findings.not_shown:
        note += f"; {findings.not_shown} more image URLs not shown (the gallery keeps the first "
        note += f"{GALLERY_MAX})"
    return (
        f'<section id="gallery-section"><h2>Thumbnails</h2><p class="note">{note}. Hover for '
        "the image's URL and size, click for the original.</p>"
        f'<div class="gallery" id="gallery">{figures or "<p>No thumbnails.</p>"}</div></section>'
    )


def _figure(picture: Picture) -> str:
    scale = min(1.0, BOX_PX / max(picture.width, picture.height, 1))
    width = max(1, round(picture.width * scale)) if picture.width else BOX_PX
    height = max(1, round(picture.height * scale)) if picture.height else BOX_PX
    dims = f"{picture.width} x {picture.height} px, {megabytes(picture.size)}"
    also = (
        f"\n(and {picture.other_urls} more URLs with the same bytes)" if picture.other_urls else ""
    )
    image = (
        f'<img loading="lazy" decoding="async" src="{esc(picture.thumb)}" width="{width}" '
        f'height="{height}" alt="{esc(_file_name(picture.url))}">'
    )
    if picture.original:
        image = f'<a href="{esc(picture.original)}">{image}</a>'
    else:
        image = f"<a>{image}</a>"
    return (
        f'<figure title="{esc(picture.url + chr(10) + dims + also)}">{image}'
        f"<figcaption>{esc(dims)}</figcaption></figure>"
    )


def _file_name(url: str) -> str:
    try:
        return unquote(PurePosixPath(urlsplit(url).path).name) or url
    except ValueError:
        return url


def _short(message: str) -> str:
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS] + "..."


def _failed_section(findings: Findings) -> str:
    if not findings.failed:
        return '<section id="failed-section"><h2>Failed images</h2><p>None.</p></section>'
    rows = "".join(
        f'<tr><td class="wrap">{esc(url)}</td><td class="text">{esc(kind)}</td>'
        f'<td class="wrap" title="{esc(message[:2000])}">{esc(_short(message))}</td></tr>'
        for url, kind, message in findings.failed
    )
    more = (
        f'<p class="note">{findings.failed_more} more not listed.</p>'
        if findings.failed_more
        else ""
    )
    total = len(findings.failed) + findings.failed_more
    return (
        f'<section id="failed-section"><h2>Failed images ({total})</h2>'
        '<div class="scroll"><table id="failed"><tr><th class="text">URL</th>'
        f'<th class="text">error</th><th class="text">message</th></tr>{rows}</table></div>{more}'
        "</section>"
    )
