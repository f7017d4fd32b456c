"""What site to build and how to serve it: the two frozen option records."""

from __future__ import annotations

from dataclasses import dataclass

# The kinds of site there are: a photo site (the default) and a software manual, "docs".
PROFILES = ("photos", "docs")


@dataclass(frozen=True)
class SiteSpec:
    """The shape of the site; the same spec always gives the same pages and image bytes."""

    pages: int = 500  # home + public + private pages; the /hidden/ decoys come on top
    images: int = 300
    seed: int = 1
    max_megapixels: float = 12.0  # tests pass ~1.0 to keep generation fast
    profile: str = PROFILES[0]

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        if self.pages < 1:
            raise ValueError(f"pages must be at least 1, not {self.pages}")
        if self.images < 0:
            raise ValueError(f"images must not be negative, not {self.images}")
        if not self.max_megapixels > 0:
            raise ValueError(f"max_megapixels must be positive, not {self.max_megapixels}")


@dataclass(frozen=True)
class ServeOptions:
    """How the server misbehaves: latency on every request and transient errors."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0  # share of URLs that answer a transient 503 first
    host: str = "127.0.0.1"
    port: int = 0  # 0 = any free port

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must not be negative")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"error_rate must be within [0, 1], not {self.error_rate}")
