"""Walking folders lazily and counting what a replay read, skipped and rejected."""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.fetch.files.read import ReplayStats, replay_items
from pipeline.fetch.files.walk import iter_files
from pipeline.models import DeadLetter, RawItem

RESOURCES = Path(__file__).parents[2] / "resources" / "replay"
TREE = RESOURCES / "tree"
LIMIT = 10 * 1024 * 1024


def relative(paths: Iterator[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_nested_folders_walked_in_sorted_order_without_hidden_entries() -> None:
    """Every visible file, depth first, sorted by name; dot files and dot folders skipped."""
    assert relative(iter_files([TREE]), TREE) == [
        "2025/11/more.jsonl",
        "2025/11/story.txt",
        "2025/12/seed-crlf.txt",
        "2025/notes.md",
        "2025/photo.JPG",
        "README",
        "a-first.TXT",
    ]


def test_explicit_files_come_in_the_order_given_hidden_or_not() -> None:
    """Files named on the command line are used as given, even a dot file."""
    named = [TREE / "README", TREE / ".hidden.txt", TREE / "2025" / "notes.md"]
    assert list(iter_files(named)) == named


def test_missing_path_is_reported_and_walk_goes_on(tmp_path: Path) -> None:
    """A path that does not exist goes to on_error; the other paths are still walked."""
    errors: list[tuple[Path, OSError]] = []
    missing = tmp_path / "nope"
    found = list(
        iter_files([missing, TREE / "README"], on_error=lambda p, e: errors.append((p, e)))
    )
    assert found == [TREE / "README"]
    assert [(p, type(e)) for p, e in errors] == [(missing, FileNotFoundError)]


def test_symlinked_folder_loop_is_not_followed(tmp_path: Path) -> None:
    """A link back up the tree is skipped; a link to a file is read like a file."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("A\n\nbody\n")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "link.txt").symlink_to(tmp_path / "sub" / "a.txt")
    assert relative(iter_files([tmp_path]), tmp_path) == ["link.txt", "sub/a.txt"]


def test_iter_files_is_lazy_one_directory_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first file of a 5,000-file tree comes after listing only the folders on its path."""
    for folder in range(50):
        sub = tmp_path / f"d{folder:02d}"
        sub.mkdir()
        for n in range(100):
            (sub / f"f{n:03d}.txt").touch()
    listed: list[str] = []
    real_scandir = os.scandir

    def counting_scandir(path: Any) -> Any:
        listed.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counting_scandir)
    files = iter_files([tmp_path])
    assert inspect.isgenerator(files)
    assert listed == []
    assert next(files) == tmp_path / "d00" / "f000.txt"
    assert listed == [str(tmp_path), str(tmp_path / "d00")]
    rest = list(files)
    assert len(rest) == 4_999
    assert len(listed) == 51
    assert [tmp_path / "d00" / "f000.txt", *rest] == sorted(tmp_path.rglob("*.txt"))


def test_replay_counts_files_items_and_skipped_suffixes() -> None:
    """Known suffixes (any case) are read; others are counted per suffix, not dead-lettered."""
    stats = ReplayStats()
    items = list(replay_items([TREE], max_item_bytes=LIMIT, stats=stats))
    assert all(isinstance(item, RawItem) for item in items)
    assert [
        (item.kind, item.text.split("\n")[0]) for item in items if isinstance(item, RawItem)
    ] == [
        ("jsonl", "one"),
        ("jsonl", "two"),
        ("text", "It happened in November."),
        ("seed", "GAZA CITY: Talks resumed on Monday."),
        ("text", "Still a text file."),
    ]
    assert stats == ReplayStats(
        files=4,
        skipped=3,
        items=5,
        rejected=0,
        skipped_suffixes={".md": 1, ".jpg": 1, "(none)": 1},
    )


def test_replay_counts_rejects_and_goes_on(tmp_path: Path) -> None:
    """Bad files and a missing path are dead letters counted as rejected; good ones flow."""
    missing = tmp_path / "missing-folder"
    paths = [RESOURCES / "latin1.txt", missing, RESOURCES / "empty.txt", RESOURCES / "plain.txt"]
    stats = ReplayStats()
    items = list(replay_items(paths, max_item_bytes=LIMIT, stats=stats))
    kinds = [type(item).__name__ for item in items]
    assert kinds == ["DeadLetter", "DeadLetter", "DeadLetter", "RawItem"]
    gone = items[1]
    assert isinstance(gone, DeadLetter)
    assert gone.error == "FileNotFoundError"
    assert gone.source == str(missing)
    assert json.loads(gone.input) == {"path": str(missing)}
    assert (stats.files, stats.items, stats.rejected, stats.skipped) == (3, 1, 3, 0)


def test_replay_of_articles_jsonl_counts_line_rejects() -> None:
    """Each bad line of a .jsonl counts as one reject; the file counts once."""
    stats = ReplayStats()
    list(replay_items([RESOURCES / "articles.jsonl"], max_item_bytes=LIMIT, stats=stats))
    assert (stats.files, stats.items, stats.rejected) == (1, 3, 4)


def test_replay_items_streams_lazily(tmp_path: Path) -> None:
    """The first item comes before later folders are listed: a file added there is still read."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    (tmp_path / "a" / "1.txt").write_text("First\n\nbody\n")
    stats = ReplayStats()
    items = replay_items([tmp_path], max_item_bytes=LIMIT, stats=stats)
    first = next(items)
    assert isinstance(first, RawItem) and first.title == "First"
    assert stats.items == 1
    (tmp_path / "b" / "2.txt").write_text("Second\n\nbody\n")
    assert [i.title for i in items if isinstance(i, RawItem)] == ["Second"]
    assert stats.items == 2
