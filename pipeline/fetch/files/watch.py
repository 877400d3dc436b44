"""Watching drop folders: new or rewritten files, each returned once it has settled.

Polling (not inotify) so it works the same on every filesystem, network mounts
included. A file is returned only after its size and modification time have
stayed the same for ``settle_seconds``, so a file still being copied in is not
read half-way. State is one small entry per file present, nothing in Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import structlog

from pipeline.fetch.files.walk import iter_files

__all__ = ["FolderWatcher"]

log = structlog.get_logger()


class _State(NamedTuple):
    size: int
    mtime_ns: int
    since: float  # clock reading when this (size, mtime) was first seen
    returned: bool
    generation: int  # the poll that last saw the file, to forget files that went away


class FolderWatcher:
    """Polls files and folders; ``poll()`` returns the files that are new and settled."""

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        settle_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.paths = list(paths)
        self.settle_seconds = settle_seconds
        self._clock = clock
        self._known: dict[str, _State] = {}
        self._generation = 0
        self._unreadable: set[str] = set()

    def poll(self) -> list[Path]:
        """Files not returned before in their current (size, mtime) that have settled."""
        self._generation += 1
        generation, now = self._generation, self._clock()
        ready: list[Path] = []
        unreadable: set[str] = set()
        for path in iter_files(self.paths, on_error=lambda p, e: self._report(p, e, unreadable)):
            try:
                info = path.stat()
            except OSError:
                continue  # gone between listing and stat: seen again next poll if it returns
            key = str(path)
            state = self._known.get(key)
            if state is None or (state.size, state.mtime_ns) != (info.st_size, info.st_mtime_ns):
                state = _State(info.st_size, info.st_mtime_ns, now, False, generation)
            if not state.returned and now - state.since >= self.settle_seconds:
                state = state._replace(returned=True)
                ready.append(path)
            self._known[key] = state._replace(generation=generation)
        # A deleted file is forgotten, so one created later under its name counts as new.
        for key in [k for k, s in self._known.items() if s.generation != generation]:
            del self._known[key]
        self._unreadable = unreadable
        if ready:
            log.info("watch_files_ready", count=len(ready), known=len(self._known))
        return ready

    def _report(self, path: Path, exc: OSError, unreadable: set[str]) -> None:
        # Warn once while the problem lasts, not on every poll.
        key = str(path)
        unreadable.add(key)
        if key not in self._unreadable:
            log.warning(
                "watch_path_unreadable", path=key, error=type(exc).__name__, reason=str(exc)
            )
