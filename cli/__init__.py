"""The command line: `serve`, `crawl`, `stage`, `compare` and `claims`, their options, and
what they print.

`python pipeline.py ...`, `python -m cli ...` and `make crawl` all arrive here.
"""

from cli.commands import cli, main

__all__ = ["cli", "main"]
