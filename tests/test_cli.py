"""The command line: help everywhere, bad input refused with exit 2, a real run reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from cli import cli
from tests.conftest import MiniSite, photo_bytes, serving


@pytest.mark.parametrize("command", [[], ["crawl"], ["serve"], ["compare"], ["stage"]])
def test_help_works_for_every_command(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_the_package_docstrings_name_every_command_and_every_model() -> None:
    import cli as package
    import models
    from models.registry import MODEL_NAMES

    assert all(f"`{name}`" in package.__doc__ for name in cli.commands)
    assert all(name in models.__doc__ for name in MODEL_NAMES)


def test_crawl_help_lists_every_knob() -> None:
    output = CliRunner().invoke(cli, ["crawl", "--help"]).output
    for option in [
        "--concurrency",
        "--max-per-host",
        "--max-pages",
        "--max-depth",
        "--timeout",
        "--retries",
        "--write-workers",
        "--resize-workers",
        "--sizes",
        "--out",
        "--site-pages",
        "--site-images",
        "--latency-ms",
        "--quiet",
    ]:
        assert option in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "--concurrency"),
        (["--write-workers", "-1"], "--write-workers"),
        (["--resize-model", "fibers"], "--resize-model"),
        (["--sizes", "big"], "comma-separated"),
        (["--sizes", "0,128"], "between 8 and 4096"),
        (["ftp://example.com/"], "not an http(s) URL"),
        (["not a url"], "not an http(s) URL"),
        (["http://example.com/" + "a" * 3000], "longer than the 2048 fetched"),
        (["--error-rate", "2"], "--error-rate"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message_and_create_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["crawl", "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "asyncio,fibers"], "unknown model"),
        (["--latency-ms", "0,-5"], "at least 0"),
        (["--concurrency", "many"], "comma-separated list of numbers"),
        (["--matrix", "huge"], "--matrix"),
        (["--repeat", "0"], "--repeat"),
    ],
)
def test_bad_compare_options_exit_2_and_create_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "results"
    result = CliRunner().invoke(cli, ["compare", "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["write"], "needs --input"),
        (["crawl"], "needs the URL"),
        (["fetch", "http://127.0.0.1:9/"], "'fetch' is not one of"),
    ],
)
def test_a_stage_alone_needs_its_input(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["stage", *args, "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_a_non_empty_out_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["crawl", "http://127.0.0.1:9/", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


def test_crawl_of_a_url_writes_the_run_folder_and_prints_a_summary(
    mini_site: MiniSite, tmp_path: Path
) -> None:
    mini_site.add_page("/", links=["/a"], images=["/one.jpg", "/broken.jpg"])
    mini_site.add_page("/a", images=["/one.jpg"])
    mini_site.add_bytes("/one.jpg", photo_bytes())
    mini_site.add_bytes("/broken.jpg", b"not really a jpeg")
    out = tmp_path / "run"
    with serving(mini_site.app) as origin:
        result = CliRunner().invoke(
            cli,
            [
                "crawl",
                f"{origin}/",
                "--out",
                str(out),
                "--quiet",
                "--sizes",
                "64,32",
                "--crawl-model",
                "threads",
                "--write-model",
                "asyncio",
                "--resize-model",
                "sequential",
                "--analysis",
            ],
        )
    assert result.exit_code == 0, result.output
    assert f"Results in {out}/" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {
        "pages": 2,
        "pages_failed": 0,
        "images": 2,
        "images_failed": 1,
        "thumbnails": 2,
        "bytes": summary["counts"]["bytes"],
    }
    assert summary["errors"] == {"undecodable": 1}
    models = {name: stage["model"] for name, stage in summary["stages"].items()}
    assert models == {"crawl": "threads", "write": "asyncio", "resize": "sequential"}
    assert len(summary["digest"]) == 64
    images = [json.loads(line) for line in (out / "images.jsonl").read_text().splitlines()]
    good = next(row for row in images if row["ok"])
    assert set(good["thumbnails"]) == {"32", "64"}
    assert good["colours"]  # --analysis reached the resize stage
    assert all((out / path).is_file() for path in good["thumbnails"].values())


def test_an_unreachable_site_exits_1_with_one_line_and_leaves_no_folder(tmp_path: Path) -> None:
    with serving(web.Application()) as origin:
        pass  # closed again: connections are refused
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli, ["crawl", f"{origin}/", "--out", str(out), "--quiet", "--retries", "0"]
    )
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: cannot reach")
    assert not out.exists()


def test_an_out_folder_that_cannot_be_created_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should go")
    result = CliRunner().invoke(cli, ["crawl", "http://127.0.0.1:9/", "--out", str(blocker / "x")])
    assert result.exit_code == 2
    assert "cannot create" in result.output


def test_uvloop_runs_the_same_crawl_to_the_same_result(mini_site: MiniSite, tmp_path: Path) -> None:
    mini_site.add_page("/", links=["/a", "/b"], images=["/one.jpg"])
    mini_site.add_page("/a", links=["/b"], images=["/one.jpg"])
    mini_site.add_page("/b", links=["/"])
    mini_site.add_bytes("/one.jpg", photo_bytes())
    digests = {}
    with serving(mini_site.app) as origin:
        for loop in ("asyncio", "uvloop"):
            out = tmp_path / loop
            args = ["crawl", f"{origin}/", "--out", str(out), "--quiet", "--loop", loop]
            result = CliRunner().invoke(cli, [*args, "--resize-model", "threads"])
            assert result.exit_code == 0, result.output
            digests[loop] = json.loads((out / "summary.json").read_text())["digest"]
    assert digests["asyncio"] == digests["uvloop"]
