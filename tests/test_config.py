"""A run's configuration, its command line and run.json: every field survives the trip to a
child process (configuration -> arguments -> configuration), so compare never forgets an
option, and the trip through run.json, so a resumed run keeps every one."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from cli.commands import crawl
from cli.options import config_from_options, site_options
from config import DEFAULT_STAGES, STAGES, RunConfig, StageConfig, command_line, resumed
from crawler.crawl import CrawlSettings
from crawler.http import FetchLimits
from models.registry import MODEL_NAMES
from runfolder.resume import LocalSite, RunInfo, read_run_info, write_run_info

# Fields no command-line option sets: internal tuning, and how a resumed run begins.
NOT_ON_THE_COMMAND_LINE = {
    "queue_size",
    "resume",
    "crawling.limits.backoff_s",
    "crawling.limits.max_page_bytes",
    "crawling.limits.user_agent",
}
# Options of `crawl` that are not part of a run's configuration (the live view only watches).
NOT_IN_THE_CONFIG = {"--quiet", "--resume", "--repair", "--live", "--live-port"}

EVERY_FIELD_CHANGED = RunConfig(
    start_url="http://127.0.0.1:8123/start",
    run_dir=Path("/somewhere/run"),
    crawl=StageConfig("threads", 7),
    write=StageConfig("processes", 3),
    resize=StageConfig("sequential", 5),
    crawling=CrawlSettings(
        max_per_host=2,
        max_pages=9,
        max_depth=4,
        rate=2.5,
        ignore_robots=True,
        limits=FetchLimits(timeout_s=2.5, retries=1, max_redirects=3, max_bytes=5000),
    ),
    sizes=(32, 96),
    analysis=True,
    loop="uvloop",
    timeline=False,
    dask_scheduler="tcp://127.0.0.1:8786",
)


def flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf field of nested dataclasses, by dotted name."""
    if not dataclasses.is_dataclass(value):
        return {prefix: value}
    leaves: dict[str, Any] = {}
    for field in dataclasses.fields(value):
        leaves |= flat(getattr(value, field.name), f"{prefix}{field.name}.")
    return {name.removesuffix("."): leaf for name, leaf in leaves.items()}


def parsed(args: list[str]) -> RunConfig:
    """What `crawl ARGS` would run: click parses, then the options become a config."""
    params = crawl.make_context("crawl", list(args)).params
    return config_from_options(params["url"], params["out"], params)


def test_the_test_config_changes_every_field_an_option_can_set() -> None:
    default = flat(RunConfig("http://127.0.0.1/", Path("run")))
    changed = flat(EVERY_FIELD_CHANGED)
    unchanged = {name for name in default if default[name] == changed[name]}
    assert unchanged == NOT_ON_THE_COMMAND_LINE


def test_a_configuration_survives_its_command_line() -> None:
    assert parsed(command_line(EVERY_FIELD_CHANGED)) == EVERY_FIELD_CHANGED


def at_their_lowest() -> list[str]:
    """`crawl` arguments setting every numeric option of a run's configuration to the
    lowest value its range allows: zero where zero is allowed."""
    site = {param.name for param in site_options(lambda: None).__click_params__}
    args = []
    for param in crawl.params:
        if isinstance(param.type, click.IntRange | click.FloatRange) and param.name not in site:
            args += [max(param.opts, key=len), str(param.type.min)]
    return args


def test_a_configuration_at_every_options_lowest_value_survives_its_command_line() -> None:
    config = parsed(["http://127.0.0.1:9/", "--out", "out", *at_their_lowest()])
    assert config.crawling.max_depth == 0 and config.crawling.limits.retries == 0
    assert parsed(command_line(config)) == config


def test_the_default_configuration_survives_its_command_line() -> None:
    config = RunConfig("http://127.0.0.1:9/", Path("out"))
    assert parsed(command_line(config)) == config


def test_every_crawl_option_is_on_the_command_line_or_not_a_config_option() -> None:
    site = {param.name for param in site_options(lambda: None).__click_params__}
    written = set(command_line(EVERY_FIELD_CHANGED))
    missing = {
        max(param.opts, key=len)
        for param in crawl.params
        if param.name not in site and param.param_type_name == "option"
        if not written & {*param.opts, *param.secondary_opts}
    }
    assert missing == NOT_IN_THE_CONFIG


def test_every_default_model_is_in_the_registry() -> None:
    assert {stage.model for stage in DEFAULT_STAGES.values()} <= set(MODEL_NAMES)
    assert tuple(DEFAULT_STAGES) == STAGES


def test_run_json_gives_back_the_configuration_and_site_it_was_written_from(
    tmp_path: Path,
) -> None:
    site = LocalSite({"pages": 40, "profile": "docs"}, {"latency_ms": 5.0, "port": 8123})
    info = RunInfo(dataclasses.replace(EVERY_FIELD_CHANGED, run_dir=tmp_path), site)
    write_run_info(info)
    assert read_run_info(tmp_path) == info


# What changes a run's outputs: a resumed run keeps these from run.json.
OUTPUT_FIELDS = ("start_url", "crawling.", "sizes", "analysis")


def test_a_resumed_run_keeps_what_changes_the_outputs_and_takes_the_rest_from_its_command_line():
    now = RunConfig("http://127.0.0.1:9/", Path("/somewhere/run"), resume=True)
    carried = flat(resumed(EVERY_FIELD_CHANGED, now))
    recorded, new = flat(EVERY_FIELD_CHANGED), flat(now)
    for name, value in carried.items():
        source = recorded if name.startswith(OUTPUT_FIELDS) else new
        assert value == source[name], name
