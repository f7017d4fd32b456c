"""Failures as plain data: every stage records errors with these, across threads and processes."""

from __future__ import annotations

from concurrent.futures import BrokenExecutor
from enum import StrEnum
from typing import NamedTuple


def describe(exc: BaseException) -> str:
    """One line naming an exception and its message."""
    return f"{type(exc).__name__}: {exc}"


class ErrorKind(StrEnum):
    """Why a fetch or a processing step failed; the summary counts these."""

    HTTP = "http"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    OFFSITE_REDIRECT = "offsite_redirect"
    INVALID_URL = "invalid_url"
    UNDECODABLE = "undecodable"
    UNSUPPORTED_FORMAT = "unsupported_format"  # an image format we do not rasterise (SVG)
    DECOMPRESSION_BOMB = "decompression_bomb"
    DISK = "disk"
    WORKER_DIED = "worker_died"
    INTERNAL = "internal"


class ErrorInfo(NamedTuple):
    """One failure: its kind and a one-line message. Pickles, unlike most library exceptions."""

    kind: ErrorKind
    message: str

    @classmethod
    def internal(cls, exc: BaseException) -> ErrorInfo:
        """Describe an exception nobody expected (or a worker process that died)."""
        kind = ErrorKind.WORKER_DIED if isinstance(exc, BrokenExecutor) else ErrorKind.INTERNAL
        return cls(kind, describe(exc))

    def as_json(self) -> dict[str, str]:
        """Return the error as the JSON object the run files use."""
        return {"kind": str(self.kind), "message": self.message}
