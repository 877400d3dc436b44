"""The drop-folder watcher: each file once, only after it has settled."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from pipeline.fetch.files.watch import FolderWatcher

SECOND = 1_000_000_000  # nanoseconds


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def write(path: Path, text: str, mtime: int) -> Path:
    """Write ``text`` and set a distinct modification time (filesystems round mtimes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, ns=(mtime * SECOND, mtime * SECOND))
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_existing_file_returned_once_after_settling(tmp_path: Path, clock: FakeClock) -> None:
    """A file is held back for settle_seconds, then returned exactly once."""
    a = write(tmp_path / "a.txt", "A\n\nbody\n", mtime=1)
    watcher = FolderWatcher([tmp_path], settle_seconds=1.0, clock=clock)
    assert watcher.poll() == []
    clock.now += 0.5
    assert watcher.poll() == []
    clock.now += 0.5
    assert watcher.poll() == [a]
    clock.now += 10
    assert watcher.poll() == []


def test_file_appearing_later_is_returned_once(tmp_path: Path, clock: FakeClock) -> None:
    """A file dropped in a sub-folder after start is picked up, once."""
    watcher = FolderWatcher([tmp_path], settle_seconds=1.0, clock=clock)
    assert watcher.poll() == []
    clock.now += 5
    late = write(tmp_path / "in" / "late.jsonl", '{"text": "x"}\n', mtime=2)
    assert watcher.poll() == []
    clock.now += 1
    assert watcher.poll() == [late]
    clock.now += 1
    assert watcher.poll() == []


def test_growing_file_held_back_until_stable(tmp_path: Path, clock: FakeClock) -> None:
    """While size or mtime keep changing the file is not returned; it is once they stop."""
    path = write(tmp_path / "copying.jsonl", '{"text": "one"}\n', mtime=1)
    watcher = FolderWatcher([tmp_path], settle_seconds=1.0, clock=clock)
    assert watcher.poll() == []
    for step in range(2, 6):  # still being written: a line every 0.9 s
        clock.now += 0.9
        with path.open("a") as file:
            file.write('{"text": "more"}\n')
        os.utime(path, ns=(step * SECOND, step * SECOND))
        assert watcher.poll() == []
    clock.now += 0.9
    assert watcher.poll() == []
    clock.now += 0.1
    assert watcher.poll() == [path]


def test_rewritten_file_is_returned_again(tmp_path: Path, clock: FakeClock) -> None:
    """A new version of a returned file (new size or mtime) is returned again once settled."""
    path = write(tmp_path / "a.txt", "A\n\nfirst\n", mtime=1)
    watcher = FolderWatcher([tmp_path], settle_seconds=1.0, clock=clock)
    watcher.poll()
    clock.now += 1
    assert watcher.poll() == [path]
    write(path, "A\n\nsecond version\n", mtime=7)
    clock.now += 1
    assert watcher.poll() == []
    clock.now += 1
    assert watcher.poll() == [path]
    os.utime(path, ns=(8 * SECOND, 8 * SECOND))  # touched: same size, new mtime
    watcher.poll()
    clock.now += 1
    assert watcher.poll() == [path]


def test_deleted_then_recreated_file_is_new(tmp_path: Path, clock: FakeClock) -> None:
    """A deleted file is forgotten: the same name, size and mtime later is a new file."""
    path = write(tmp_path / "a.txt", "A\n\nbody\n", mtime=1)
    watcher = FolderWatcher([tmp_path], settle_seconds=0, clock=clock)
    assert watcher.poll() == [path]
    path.unlink()
    assert watcher.poll() == []
    write(path, "A\n\nbody\n", mtime=1)
    assert watcher.poll() == [path]


def test_zero_settle_returns_at_first_sight_and_hidden_files_ignored(
    tmp_path: Path, clock: FakeClock
) -> None:
    """With settle_seconds=0 files come at once; dot files (partial uploads) never do."""
    write(tmp_path / ".a.txt.part", "partial", mtime=1)
    b = write(tmp_path / "b.txt", "B\n\nbody\n", mtime=1)
    c = write(tmp_path / "sub" / "c.md", "# c\n", mtime=1)
    watcher = FolderWatcher([tmp_path], settle_seconds=0, clock=clock)
    assert watcher.poll() == [b, c]


def test_missing_folder_warns_once_and_is_picked_up_when_created(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A drop folder that does not exist yet is warned about once, then watched."""
    drop = tmp_path / "drop"
    watcher = FolderWatcher([drop], settle_seconds=0, clock=clock)
    with capture_logs() as logs:
        assert watcher.poll() == []
        assert watcher.poll() == []
    assert [entry["event"] for entry in logs] == ["watch_path_unreadable"]
    path = write(drop / "a.txt", "A\n\nbody\n", mtime=1)
    assert watcher.poll() == [path]
