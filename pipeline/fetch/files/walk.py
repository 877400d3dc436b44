"""Walking folders lazily: every file under the given paths, sorted, hidden ones skipped."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import structlog

__all__ = ["OnError", "iter_files"]

log = structlog.get_logger()

OnError = Callable[[Path, OSError], None]
"""Called with a path that could not be listed or found, and why; iteration goes on."""


def iter_files(paths: Iterable[Path], *, on_error: OnError | None = None) -> Iterator[Path]:
    """Every file in ``paths`` (folders recursively, sorted by name, hidden ones skipped)."""
    report = on_error or _log_unlistable
    for path in paths:
        try:
            mode = path.stat().st_mode  # follows a symlink the user named explicitly
        except OSError as exc:
            report(path, exc)
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(path, report)
        else:
            yield path


def _walk(top: Path, report: OnError) -> Iterator[Path]:
    # Depth-first with one sorted listing per open directory: memory is the listings of
    # the directories on the current path, never the whole tree.
    stack: list[tuple[Path, Iterator[str], frozenset[str]]] = [(top, *_listing(top, report))]
    while stack:
        folder, names, subdirs = stack[-1]
        name = next(names, None)
        if name is None:
            stack.pop()
        elif name in subdirs:
            child = folder / name
            stack.append((child, *_listing(child, report)))
        else:
            yield folder / name


def _listing(folder: Path, report: OnError) -> tuple[Iterator[str], frozenset[str]]:
    """The visible names in ``folder``, sorted, and which of them are sub-folders."""
    names: list[str] = []
    subdirs: set[str] = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if _is_real_dir(entry):
                    subdirs.add(entry.name)
                elif entry.is_symlink() and _points_to_dir(entry):
                    # Not followed: a link back up the tree would loop forever.
                    log.info("replay_symlink_skipped", path=entry.path)
                    continue
                names.append(entry.name)
    except OSError as exc:
        report(folder, exc)
    names.sort()
    return iter(names), frozenset(subdirs)


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _points_to_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _log_unlistable(path: Path, exc: OSError) -> None:
    log.warning("replay_path_unreadable", path=str(path), error=type(exc).__name__, reason=str(exc))
