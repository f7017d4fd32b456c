"""The live page: one self-contained document with report.html's style and drawing script
inline beside the live view's own, and nothing it could load from anywhere but its feed."""

from __future__ import annotations

import json
from pathlib import Path

from live.feed import HISTORY_S
from report.page import STATIC, legend

LIVE_STATIC = Path(__file__).with_name("static")
# Like report.html's policy, and the page may connect back to its own feed (only).
POLICY = (
    "default-src 'none'; connect-src 'self'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)
# The page's charts, top to bottom: id, title, and what to read in it.
CHARTS = (
    (
        "queues",
        "Queues between the stages",
        "Each bounded queue's depth, sampled every 50 ms. At the dashed line it is full: the "
        "stage before it waits to put its next item (backpressure), and its lanes go quiet.",
    ),
    ("rates", "Items per second", "Each stage's items finished over the last second."),
    (
        "lag",
        "Event-loop lag",
        "How long a callback handed to the run's event loop waits before the loop runs it, "
        "sampled every 50 ms (a stall shorter than that can show as less than it was: the "
        "summary's maximum is the worst of every 5 ms). Work that blocks the loop (a stage on "
        "the asyncio model, a big page parsed on it) makes it rise, and every task slot's lane "
        "freezes meanwhile.",
    ),
    ("cores", "CPU of each core", "Percent busy: with everything on this machine, not ours only."),
    (
        "processes",
        "CPU of our processes",
        "This process (its event loop and its threads: with the GIL, at most one core between "
        "them) and every process it started; 100% is one core.",
    ),
)


def _asset(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def _header() -> str:
    return (
        '<header><h1>Live: <span id="live-title">waiting for the run to start</span></h1>'
        '<p class="sub"><span id="live-status">connecting</span> · '
        '<span id="live-interpreter"></span><span id="live-dashboard"></span>'
        '<span id="live-cost"></span></p>'
        '<div class="cards" id="live-counts"></div></header>'
    )


def _timeline() -> str:
    return (
        '<section id="timeline-section"><h2>Every worker, as it works</h2>'
        f'<div class="tl-tools">{legend()}'
        '<label><input type="checkbox" id="live-follow" checked> follow</label>'
        '<label>last <select id="live-window"><option value="5">5 s</option>'
        '<option value="15" selected>15 s</option><option value="60">60 s</option></select>'
        "</label></div>"
        '<div class="timeline" id="timeline-live"></div>'
        '<p class="note" id="live-lanes-note">One lane per worker that has finished an item; '
        "a bar from when it took the item to when it finished it (it appears once the item is "
        "done). The % is the share of its stage's time so far the lane was busy.</p></section>"
    )


def _charts() -> str:
    return "".join(
        f'<section class="live-chart"><h2>{title}</h2><div class="timeline" id="chart-{name}">'
        f'</div><p class="note">{note}</p></section>'
        for name, title, note in CHARTS
    )


def _end() -> str:
    return (
        '<section id="live-end" hidden><h2>The run has ended</h2>'
        '<pre id="live-summary"></pre><p id="live-report"></p></section>'
    )


def live_page() -> str:
    """The whole page; its script draws it from the feed."""
    config = json.dumps({"feed": "/feed", "history_s": HISTORY_S})
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Live view</title>\n"
        f"<style>\n{_asset(STATIC, 'report.css')}{_asset(LIVE_STATIC, 'live.css')}</style>\n"
        "</head>\n<body>\n<main>\n"
        f"{_header()}{_end()}{_timeline()}{_charts()}\n</main>\n"
        '<script type="application/json" id="report-data">{}</script>\n'
        f'<script type="application/json" id="live-data">{config}</script>\n'
        f"<script>\n{_asset(STATIC, 'report.js')}</script>\n"
        f"<script>\n{_asset(LIVE_STATIC, 'live.js')}</script>\n</body>\n</html>\n"
    )
