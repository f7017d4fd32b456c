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

from dataclasses import asdict, dataclass, field
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
    read_rows,
    write_page,
)
from report.timeline import read_timeline
from runfolder.contract import as_data
from runfolder.resume import RUN_INFO, RunInfo, read_run_info
from runfolder.summary import SUMMARY_FILE, Summary, read_summary

REPORT_FILE = "report.html"
GALLERY_MAX = 240
FAILED_MAX = 200
EXAMPLES_PER_KIND = 3
MESSAGE_CHARS = 300  # a traceback-sized message is cut in the table; its title has more
BOX_PX = 128  # the gallery shows each thumbnail within this square


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
    # A crawl writes run.json first and summary.json last; a stage alone writes no run.json.
    run_info = read_run_info(run_dir) if (run_dir / RUN_INFO).exists() else None
    summary = read_summary(run_dir) if (run_dir / SUMMARY_FILE).exists() else None
    findings = _scan(run_dir, _gallery_size(run_info.config.sizes) if run_info else None)
    timeline = read_timeline(run_dir, summary)
    start_url = (run_info and run_info.config.start_url) or (summary and summary.start_url)
    start_url = start_url or run_dir.name
    body = "\n".join(
        [
            _header(run_dir, summary, start_url),
            _timeline_section(timeline),
            _summary_section(summary, findings, timeline) if summary else "",
            _options_section(run_info) if run_info else "",
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


def _gallery_size(sizes: tuple[int, ...]) -> str | None:
    """The thumbnail size the gallery shows: the smallest that fills its box."""
    return _smallest_fit({str(size): None for size in sizes})


def _smallest_fit(thumbs: dict[str, Any]) -> str | None:
    """Of the sizes in thumbs, the smallest at least BOX_PX, else the largest."""
    sizes = sorted((int(key) for key in thumbs if str(key).isdigit()), reverse=True)
    fitting = [size for size in sizes if size >= BOX_PX]
    chosen = fitting[-1] if fitting else (sizes[0] if sizes else None)
    return None if chosen is None else str(chosen)


def _header(run_dir: Path, summary: Summary | None, start_url: str) -> str:
    stages = summary.stages if summary else {}
    models = " · ".join(f"{esc(name)} on {esc(row.model)}" for name, row in stages.items())
    banners = ""
    if summary and summary.interrupted:
        banners += '<p class="banner warn">Interrupted: the counts below are partial.</p>'
    if summary and summary.stopped_by:
        banners += f'<p class="banner bad">Stopped: {esc(summary.stopped_by)}</p>'
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


def _summary_section(summary: Summary, findings: Findings, timeline: dict[str, Any] | None) -> str:
    return (
        '<section id="summary"><h2>Summary</h2>'
        f"{_cards(summary)}{_stage_table(summary, timeline)}{_errors(summary, findings)}"
        f"{_skipped(summary)}</section>"
    )


def _cards(summary: Summary) -> str:
    counts, wall, cpu, lag = summary.counts, summary.wall_s, summary.cpu_s, summary.loop_lag
    cards = [
        (fmt(counts.pages), f"pages ({fmt(counts.pages_failed)} failed)"),
        (fmt(counts.images), f"images ({fmt(counts.images_failed)} failed)"),
        (fmt(counts.thumbnails), "thumbnails"),
        (megabytes(counts.bytes), "downloaded"),
        (fmt(wall, 2, "s"), "wall time"),
        (fmt(cpu, 2, "s"), "CPU time (user + system)"),
        (fmt(cpu / wall if wall else None, 2), "cores used (CPU ÷ wall)"),
        (fmt(lag.max_ms, 0, "ms"), f"event-loop lag max (p99 {fmt(lag.p99_ms, 0, 'ms')})"),
    ]
    items = "".join(
        f'<div class="card"><div class="value">{esc(value) or "-"}</div>'
        f'<div class="label">{esc(label)}</div></div>'
        for value, label in cards
    )
    return f'<div class="cards">{items}</div>'


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


def _stage_table(summary: Summary, timeline: dict[str, Any] | None) -> str:
    lanes = (
        {stage["stage"]: len(stage["lanes"]) for stage in timeline["stages"]} if timeline else {}
    )
    rows = []
    for name, row in summary.stages.items():
        values = {
            **asdict(row),
            "lanes": lanes.get(name),
            "busy_per_wall": row.busy_s / row.wall_s if row.wall_s else None,
        }
        cells = "".join(_cell(key, values[key]) for key, _ in STAGE_COLUMNS)
        dot = f'<i class="stage-dot {esc(name)}"></i>'
        rows.append(f'<tr><td class="text">{dot}{esc(name)}</td>{cells}</tr>')
    heads = "".join(f"<th>{esc(label)}</th>" for _, label in STAGE_COLUMNS)
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


def _errors(summary: Summary, findings: Findings) -> str:
    counts = summary.errors or findings.error_counts
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


def _skipped(summary: Summary) -> str:
    reasons = ", ".join(
        f"{esc(reason)} {esc(fmt(count))}" for reason, count in summary.skipped.items()
    )
    return f"<p>skipped: {reasons or 'nothing'}</p><p>digest <code>{esc(summary.digest)}</code></p>"


def _options_section(run_info: RunInfo) -> str:
    """Every setting of the run, as run.json records it: its configuration, and the local
    site's when it served one."""
    settings = {**_flat(as_data(run_info.config))}
    if run_info.site is not None:
        settings |= _flat({"site": run_info.site.spec, "serving": run_info.site.serving})
    rows = "".join(
        f'<tr><td class="text">{esc(key)}</td><td class="text">{esc(_plain(value))}</td></tr>'
        for key, value in settings.items()
    )
    return (
        '<section id="options"><details><summary><b>Options of this run</b> (run.json)</summary>'
        f"<table>{rows}</table></details></section>"
    )


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as one level, their names joined by dots (crawling.limits.retries)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[prefix + key] = value
    return flat


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
