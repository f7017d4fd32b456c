"""The committed raw material in sample_data/: source photos and a words list."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


def load_words(sample_dir: Path = SAMPLE_DIR) -> tuple[str, ...]:
    """Return the words the page text and names are made of, in file order."""
    text = (sample_dir / "words.txt").read_text(encoding="utf-8")
    words = tuple(word for word in text.split() if word)
    if not words:
        raise RuntimeError(f"no words in {sample_dir / 'words.txt'}")
    return words


def sample_photo_paths(sample_dir: Path = SAMPLE_DIR) -> tuple[Path, ...]:
    """Return the source photos, sorted so that indices into them are stable."""
    paths = tuple(sorted(sample_dir.glob("sample-*.jpg")))
    if not paths:
        raise RuntimeError(f"no sample photos in {sample_dir}; run sample_data/make_samples.py")
    return paths
