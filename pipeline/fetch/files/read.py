"""Reading replay sources lazily into RawItems: folders, seed-format and plain .txt, .jsonl.

Nothing here raises for a bad file or line: what cannot be read becomes a DeadLetter (stage
``read``) whose reason names the file, the line and what to do, and reading goes on with the
next line or file. Memory stays bounded by the item size limit: a folder is listed one
directory at a time (``walk``), a .txt file's size is checked before it is read (``text``),
and a .jsonl file is read one bounded line at a time (``jsonl``).
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from pipeline.errors import InvalidInput
from pipeline.fetch.files.jsonl import read_jsonl
from pipeline.fetch.files.rejects import STAGE, dead_letter
from pipeline.fetch.files.text import read_text
from pipeline.fetch.files.walk import iter_files
from pipeline.models import DeadLetter, RawItem, utc_now

__all__ = ["SUFFIXES", "ReplayStats", "read_items", "replay_items"]

log = structlog.get_logger()

SUFFIXES = {".txt", ".jsonl"}
_NO_SUFFIX = "(none)"


@dataclass
class ReplayStats:
    """Counts for one replay run, updated as items are yielded (usable for progress)."""

    files: int = 0
    skipped: int = 0
    items: int = 0
    rejected: int = 0
    skipped_suffixes: dict[str, int] = field(default_factory=dict)


def read_items(
    path: Path, *, max_item_bytes: int, fetched: datetime | None = None
) -> Iterator[RawItem | DeadLetter]:
    """The items of one file (``.jsonl`` by line, anything else as one text), or dead letters."""
    when = fetched or utc_now()
    known: dict[str, Any] = {"path": str(path)}
    try:
        info = path.stat()
        known["size"] = info.st_size
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput(f"{path}: not a regular file", stage=STAGE)
        if path.suffix.lower() == ".jsonl":
            yield from read_jsonl(path, info.st_size, max_item_bytes, when)
        else:
            yield read_text(path, info.st_size, max_item_bytes, when)
    except InvalidInput as exc:
        yield dead_letter(path, exc.reason, exc, known)
    except OSError as exc:
        reason = f"{path}: cannot read: {exc.strerror or exc}"
        yield dead_letter(path, reason, exc, known)


def replay_items(
    paths: Iterable[Path], *, max_item_bytes: int, stats: ReplayStats
) -> Iterator[RawItem | DeadLetter]:
    """Items of every file under ``paths``, counting files, skips, items and rejects."""
    unlistable: list[DeadLetter] = []

    def report(path: Path, exc: OSError) -> None:
        reason = f"{path}: cannot read: {exc.strerror or exc}"
        unlistable.append(dead_letter(path, reason, exc, {"path": str(path)}))

    def drain() -> Iterator[DeadLetter]:
        while unlistable:
            stats.rejected += 1
            yield unlistable.pop(0)

    for path in iter_files(paths, on_error=report):
        yield from drain()
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            key = suffix or _NO_SUFFIX
            stats.skipped += 1
            stats.skipped_suffixes[key] = stats.skipped_suffixes.get(key, 0) + 1
            log.debug("replay_file_skipped", path=str(path), suffix=key)
            continue
        stats.files += 1
        for item in read_items(path, max_item_bytes=max_item_bytes):
            if isinstance(item, DeadLetter):
                stats.rejected += 1
            else:
                stats.items += 1
            yield item
    yield from drain()
