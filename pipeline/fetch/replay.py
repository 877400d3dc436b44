"""Reading replay sources (seed format, .txt, .jsonl) lazily into RawItems (placeholder)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.models import DeadLetter, RawItem

__all__ = ["ReplayStats", "iter_files", "read_items"]

SUFFIXES = {".txt", ".jsonl"}


@dataclass
class ReplayStats:
    """Counts for one replay run."""

    files: int = 0
    skipped: int = 0
    items: int = 0
    rejected: int = 0
    skipped_suffixes: dict[str, int] = field(default_factory=dict)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every file under ``paths``, recursively, in a stable order, read lazily."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    yield Path(root) / name
        else:
            yield path


def read_items(path: Path, *, max_item_bytes: int) -> Iterator[RawItem | DeadLetter]:
    """The items of one file, or dead letters for what cannot be read."""
    data = path.read_bytes()
    text = data.decode("utf-8")
    if path.suffix == ".jsonl":
        for line in text.splitlines():
            if line.strip():
                obj = json.loads(line)
                yield RawItem(source=str(path), kind="jsonl", **obj)
        return
    first, _, rest = text.lstrip().partition(" ")
    if first == "date":
        date, _, body = rest.partition(" ")
        yield RawItem(
            source=str(path),
            kind="seed",
            text=body,
            published=date,
            published_provenance="seed_header",
        )
    else:
        title, _, body = text.partition("\n")
        yield RawItem(source=str(path), kind="text", title=title.strip(), text=body)
