"""Which machine and interpreter a run ran on, measured inside it: cores, platform, version,
free-threaded build, GIL.

A free-threaded build (PEP 703) starts without the GIL, but importing an extension module
that does not declare support for it turns the GIL back on for the rest of the process
(with a RuntimeWarning); so the GIL's state is read at the end of a run, not assumed from
the build.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# The libraries whose versions can change a run's outputs or speed (the HTTP codings' too).
LIBRARIES = (
    "aiohttp",
    "requests",
    "pillow",
    "click",
    "tqdm",
    "psutil",
    "selectolax",
    "protego",
    "webencodings",
    "backports.zstd",
    "brotli",
)


@dataclass(frozen=True)
class Interpreter:
    """An interpreter as a run saw it: version, build, the GIL, the libraries' versions."""

    python: str
    implementation: str
    free_threaded_build: bool
    gil_enabled: bool
    libraries: dict[str, str | None]


def interpreter() -> Interpreter:
    """This interpreter now."""
    return Interpreter(
        python=version(),
        implementation=platform.python_implementation(),
        free_threaded_build=free_threaded_build(),
        gil_enabled=gil_enabled(),
        libraries={name: _version(name) for name in LIBRARIES},
    )


def machine() -> dict[str, Any]:
    """What the numbers were measured on: the machine, and the interpreter measuring them."""
    return {"cores": os.cpu_count(), "platform": platform.platform(), **asdict(interpreter())}


def interpreter_name(python: str) -> str:
    """A short name for an interpreter's path: its virtual environment's folder, if any
    ('.venv-ft' for .venv-ft/bin/python), else the file's own name."""
    path = Path(python)
    return path.parent.parent.name if path.parent.name == "bin" else path.name


def version() -> str:
    """'3.11.7', or '3.13.15t' for a free-threaded build (as its executable is named)."""
    return platform.python_version() + ("t" if free_threaded_build() else "")


def free_threaded_build() -> bool:
    """Whether this interpreter was built without the GIL (PEP 703)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """Whether the GIL is on right now (always, on builds before 3.13's free-threaded one)."""
    return bool(getattr(sys, "_is_gil_enabled", lambda: True)())


def describe(seen: Interpreter) -> str:
    """'Python 3.13.15t, GIL off', with a warning when a free-threaded build has its GIL on."""
    text = f"Python {seen.python}, GIL {'on' if seen.gil_enabled else 'off'}"
    if seen.free_threaded_build and seen.gil_enabled:
        text += (
            " (turned back on at run time: an extension module does not support running "
            "without it; PYTHON_GIL=0 forces it off)"
        )
    return text


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
