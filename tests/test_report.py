"""report.html from real runs: what it shows, that nothing from the crawl can break out of
the page, and that it stays small and fast. The browser checks are in test_report_browser.py;
the helpers here build the runs both use."""

from __future__ import annotations

import json
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from report import run_report, write_run_report
from report.timeline import read_timeline
from runfolder.summary import read_summary

# What a hostile record could hold if anything ever let it through: must stay inert text.
HOSTILE = "</script><script>window.pwned=1</script><b id=\"pwned\" onclick='x'>&amp;"


def embedded(html: str) -> dict:
    """The JSON the page embeds for its script."""
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html)
    assert match, "no embedded data"
    return json.loads(match.group(1))


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def test_the_report_lives_in_the_run_folder_and_links_only_inside_it(crawled: Path) -> None:
    html = (crawled / "report.html").read_text()
    tags = Tags(html)
    links = [a["href"] for a in tags.named("a") if a.get("href")]
    sources = [img["src"] for img in tags.named("img")]
    for target in links + sources:
        assert not re.match(r"[a-z]+:|/|\.\.", target), target  # relative, no scheme, no escape
        assert (crawled / target).is_file(), target
    assert not tags.named("link") and all("src" not in s for s in tags.named("script"))


def test_the_gallery_shows_each_image_once_lazily_with_its_url_and_size(crawled: Path) -> None:
    tags = Tags((crawled / "report.html").read_text())
    images = tags.named("img")
    assert len(images) == 5  # six image URLs: one broken, one a copy of another
    assert all(img["loading"] == "lazy" for img in images)
    assert all(img["src"].startswith("thumbnails/128/") for img in images)
    titles = [figure["title"] for figure in tags.named("figure")]
    assert any("it's&more.jpg" in title and "160 x 240 px" in title for title in titles)
    assert any("1 more URLs with the same bytes" in title for title in titles)


def test_the_summary_names_each_stage_its_model_and_the_errors(crawled: Path) -> None:
    html = (crawled / "report.html").read_text()
    summary = json.loads((crawled / "summary.json").read_text())
    for stage, row in summary["stages"].items():
        assert re.search(rf"{stage}</td><td class=\"text\">{row['model']}</td>", html)
    assert summary["errors"] == {"undecodable": 1}
    assert re.search(r"undecodable</td><td>1</td>.*/img/broken\.jpg", html)
    assert "Failed images (1)" in html


def test_the_timeline_has_a_lane_per_worker_of_the_run(crawled: Path) -> None:
    summary = json.loads((crawled / "summary.json").read_text())
    timeline = embedded((crawled / "report.html").read_text())["timeline"]
    lanes = {stage["stage"]: stage["lanes"] for stage in timeline["stages"]}
    for stage, declared in summary["timeline"]["lanes"].items():
        assert sorted(lane["label"] for lane in lanes[stage]) == sorted(
            lane["label"] for lane in declared
        )
        assert all(lane["bars"] for lane in lanes[stage])  # a listed worker did some work
    spans = sum(lane["spans"] for stage in timeline["stages"] for lane in stage["lanes"])
    assert spans == summary["timeline"]["spans"]


def test_urls_from_the_crawl_are_escaped(crawled: Path) -> None:
    html = (crawled / "report.html").read_text()
    assert "it&#x27;s&amp;more.jpg" in html
    assert "it's&more" not in html.split('id="report-data"')[0]


def test_hostile_records_stay_text(crawled: Path, tmp_path: Path) -> None:
    hostile_dir = hostile_copy(crawled, tmp_path / "hostile")
    html = write_run_report(hostile_dir).read_text()
    assert html.count("<script") == 2  # the page's data and its script, nothing injected
    tags = Tags(html).tags
    assert all(attrs.get("id") != "pwned" and "onclick" not in attrs for _, attrs in tags)
    assert any(attrs.get("title") == HOSTILE for _, attrs in tags)  # shown, as text
    data = embedded(html)
    labels = [lane["label"] for stage in data["timeline"]["stages"] for lane in stage["lanes"]]
    assert HOSTILE in labels  # the JSON carries it intact, for the script to show as text
    assert "<" not in html.split('id="report-data">')[1].split("</script>")[0]


def hostile_copy(run_dir: Path, target: Path) -> Path:
    """A copy of a real run whose records hold HOSTILE wherever text from the web can go."""
    shutil.copytree(run_dir, target)
    summary = json.loads((target / "summary.json").read_text())
    summary["start_url"] = f"http://example.test/{HOSTILE}"
    summary["errors"][HOSTILE] = 1
    summary["timeline"]["lanes"]["crawl"][0]["label"] = HOSTILE
    (target / "summary.json").write_text(json.dumps(summary))
    run_info = json.loads((target / "run.json").read_text())
    run_info["config"]["start_url"] = summary["start_url"]
    (target / "run.json").write_text(json.dumps(run_info))
    error = {"kind": HOSTILE, "message": HOSTILE}
    with (target / "images.jsonl").open("a") as file:
        file.write(json.dumps({"url": f"http://x.test/{HOSTILE}", "ok": False, "error": error}))
        file.write("\n{half a line")  # as an interrupted run may leave
    return target


def test_a_run_without_its_summary_or_timeline_still_gets_a_report(
    crawled: Path, tmp_path: Path
) -> None:
    broken = shutil.copytree(crawled, tmp_path / "broken")
    (broken / "summary.json").unlink()
    (broken / "timeline.jsonl").unlink()
    html = write_run_report(broken).read_text()
    assert "has no summary.json" in html and "No timeline.jsonl" in html
    assert embedded(html)["timeline"] is None


def test_the_gallery_is_capped(
    crawled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_report, "GALLERY_MAX", 2)
    html = write_run_report(shutil.copytree(crawled, tmp_path / "copy")).read_text()
    assert len(Tags(html).named("img")) == 2
    assert re.search(r"[34] more image URLs not shown \(the gallery keeps the first 2\)", html)


def test_spans_merge_into_the_same_bars_in_any_order(crawled: Path, tmp_path: Path) -> None:
    summary = read_summary(crawled)
    lines = (crawled / "timeline.jsonl").read_text().splitlines()
    shuffled = shutil.copytree(crawled, tmp_path / "shuffled")
    (shuffled / "timeline.jsonl").write_text("\n".join(reversed(lines)) + "\n")
    assert read_timeline(shuffled, summary) == read_timeline(crawled, summary)
    coarse = read_timeline(crawled, summary, resolution=10)
    for stage in coarse["stages"]:
        for lane in stage["lanes"]:
            assert len(lane["bars"]) <= 2 * 11  # never more bars than the grid has steps


def test_the_report_takes_well_under_a_second_of_cpu(crawled: Path) -> None:
    # CPU time, not wall time: another process busy on the machine cannot make it fail.
    started = time.process_time()
    write_run_report(crawled)
    assert time.process_time() - started < 0.5


def test_the_compare_report_shows_chart_table_runs_and_two_timelines(compared: Path) -> None:
    html = (compared / "report.html").read_text()
    tags = Tags(html)
    assert [img["src"] for img in tags.named("img")] == ["chart.png"]
    results = json.loads((compared / "results.json").read_text())
    tables = {row["view"] for row in results["rows"]}
    assert tables == {"alone", "pipeline"}
    assert section(html, "table").count("<tr") == len(tables) + len(results["rows"])
    assert section(html, "findings").count("<li>") == len(results["findings"]) >= 2
    side = section(html, "runs").split("<tr")[1:]
    assert all(row.count("<td") == 1 + len(results["runs"]) for row in side)
    for href in (a["href"] for a in tags.named("a")):
        assert (compared / href).is_file(), href
    data = embedded(html)["compare"]
    assert [run["label"].split(":")[0] for run in data["runs"]] == [
        row["label"] for row in results["rows"]
    ]
    assert data["pair"] == [0, 1]  # resize alone, threads against processes
    for run in data["runs"]:
        crawled = compared / "runs" / run["key"]
        summary = json.loads((crawled / "summary.json").read_text())
        drawn = {stage["stage"]: len(stage["lanes"]) for stage in run["timeline"]["stages"]}
        assert drawn == {stage: len(lanes) for stage, lanes in summary["timeline"]["lanes"].items()}
    assert len(tags.named("select")) == 2


def section(html: str, name: str) -> str:
    """The HTML of one <section id=name>."""
    return html.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def test_the_default_pair_prefers_one_change_threads_against_processes() -> None:
    from report.compare_report_html import default_pair

    base = {"crawl": "asyncio", "write": "threads", "resize": "processes", "wall_s": 1.0}
    rows = [
        base,
        {**base, "crawl": "processes", "wall_s": 9.0},
        {**base, "resize": "threads", "wall_s": 0.9},
        {**base, "write": "sequential", "resize": "threads", "wall_s": 30.0},
    ]
    assert default_pair(rows) == (0, 2)
    assert default_pair(rows[:2]) == (0, 1)
    assert default_pair(rows[:1]) == (0, 0)


def test_the_default_pair_shows_a_stage_alone_before_the_whole_pipeline_whatever_the_times():
    from report.compare_report_html import default_pair

    alone = {"view": "alone", "stage": "resize", "crawl": "", "write": "", "wall_s": 1.0}
    whole = {"view": "pipeline", "stage": "", "crawl": "asyncio", "write": "threads"}
    rows = [
        {**alone, "resize": "threads"},
        {**alone, "resize": "processes", "wall_s": 1.1},
        {**whole, "resize": "threads", "wall_s": 1.0},
        {**whole, "resize": "processes", "wall_s": 3.0},  # the larger gap: still not chosen
    ]
    assert default_pair(rows) == (0, 1)


def test_make_report_prints_the_newest_runs_report_and_writes_it_when_missing(
    crawled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from report.__main__ import main

    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    output = tmp_path / "output"
    run = shutil.copytree(crawled, output / "run")
    (run / "report.html").unlink()
    assert main([str(output)]) == 0
    assert capsys.readouterr().out.strip() == str((run / "report.html").resolve())
    assert (run / "report.html").is_file()


def test_make_report_on_a_folder_another_version_wrote_says_so_in_one_line(
    crawled: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from report.__main__ import main

    output = tmp_path / "output"
    run = shutil.copytree(crawled, output / "old")
    (run / "report.html").unlink()
    summary = json.loads((run / "summary.json").read_text())
    del summary["schema"]
    (run / "summary.json").write_text(json.dumps(summary))
    assert main([str(output)]) == 1
    said = capsys.readouterr().err
    assert "summary.json: schema None" in said and "another version wrote it" in said
    assert not (run / "report.html").exists()
    assert main([str(tmp_path / "empty")]) == 1
    assert "no runs under" in capsys.readouterr().err
