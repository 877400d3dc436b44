"""Reading .txt files (seed format and plain): formats, encodings and rejects."""

from __future__ import annotations

import json
import os
import stat
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.fetch.files.read import read_items
from pipeline.models import DeadLetter, RawItem

RESOURCES = Path(__file__).parents[2] / "resources" / "replay"
LIMIT = 10 * 1024 * 1024


def read_one(path: Path, limit: int = LIMIT) -> RawItem | DeadLetter:
    """The single item (or dead letter) a .txt file yields."""
    items = list(read_items(path, max_item_bytes=limit))
    assert len(items) == 1
    return items[0]


def read_item(path: Path, limit: int = LIMIT) -> RawItem:
    item = read_one(path, limit)
    assert isinstance(item, RawItem), item
    return item


def read_dead(path: Path, limit: int = LIMIT) -> DeadLetter:
    item = read_one(path, limit)
    assert isinstance(item, DeadLetter), item
    assert item.stage == "read"
    assert item.source == str(path)
    return item


def test_seed_file_becomes_seed_item_with_header_date() -> None:
    """The seed's date is the publication date; the dateline stays in the text."""
    path = RESOURCES / "seed.txt"
    item = read_item(path)
    assert item.kind == "seed"
    assert item.source == str(path)
    assert item.published == "2025-12-01"
    assert item.published_provenance == "seed_header"
    assert item.text.startswith("JERUSALEM: Israeli Prime Minister")
    assert "date 2025" not in item.text
    assert item.title is None


def test_plain_text_first_line_is_title() -> None:
    """A .txt without a seed header: first line is the title, the rest the text."""
    item = read_item(RESOURCES / "plain.txt")
    assert item.kind == "text"
    assert item.title == "Storm closes ports along the coast"
    assert item.text.startswith("Heavy winds shut three ports")
    assert "Storm closes" not in item.text
    assert item.published is None
    assert item.published_provenance == "none"


@pytest.mark.parametrize("name", ["crlf.txt", "bom-utf8.txt"])
def test_crlf_and_utf8_bom_read_like_plain(name: str) -> None:
    """CRLF line ends become LF and a UTF-8 BOM is dropped: same title and text."""
    plain = read_item(RESOURCES / "plain.txt")
    item = read_item(RESOURCES / name)
    assert (item.title, item.text) == (plain.title, plain.text)
    assert "\r" not in item.text
    assert item.title is not None and not item.title.startswith("\ufeff")


@pytest.mark.parametrize("name", ["utf16le.txt", "utf16be.txt", "utf32le.txt"])
def test_utf16_and_utf32_with_bom_are_decoded(name: str) -> None:
    """UTF-16/32 files with a byte-order mark are read as text."""
    item = read_item(RESOURCES / name)
    assert item.title == "Café owners protest new rules"
    assert item.text.strip() == "Owners of cafés in Zürich marched on Monday."


def test_seed_header_on_own_line_with_crlf(tmp_path: Path) -> None:
    """A CRLF seed with the header on its own line keeps clean paragraphs."""
    item = read_item(RESOURCES / "tree" / "2025" / "12" / "seed-crlf.txt")
    assert item.kind == "seed"
    assert item.published == "2025-12-02"
    assert item.text == "GAZA CITY: Talks resumed on Monday.\n\nA second paragraph.\n"


def test_invalid_utf8_is_dead_letter_naming_byte_and_offset() -> None:
    """A Latin-1 file is rejected with the offending byte, its offset and the fix."""
    path = RESOURCES / "latin1.txt"
    dead = read_dead(path)
    assert dead.error == "UnicodeDecodeError"
    assert "not valid UTF-8 (byte 0xE9 at offset 3)" in dead.reason
    assert "convert the file to UTF-8" in dead.reason
    assert str(path) in dead.reason
    payload = json.loads(dead.input)
    assert payload["path"] == str(path)
    assert payload["size"] == path.stat().st_size
    assert payload["text"].startswith("Caf\\xe9 owners")


def test_invalid_utf16_despite_bom(tmp_path: Path) -> None:
    """A UTF-16 BOM followed by a lone surrogate is rejected, not garbled."""
    path = tmp_path / "broken.txt"
    path.write_bytes(b"\xff\xfeT\x00i\x00\x00\xd8t\x00")  # U+D800 with no low half
    dead = read_dead(path)
    assert dead.error == "UnicodeDecodeError"
    assert "not valid UTF-16 despite its byte-order mark" in dead.reason
    assert "offset 6" in dead.reason


@pytest.mark.parametrize("name", ["empty.txt", "blank.txt"])
def test_empty_and_whitespace_only_files_are_dead_letters(name: str) -> None:
    """Nothing to read is a reject that says so."""
    dead = read_dead(RESOURCES / name)
    assert "empty file" in dead.reason


def test_seed_header_without_text_is_dead_letter(tmp_path: Path) -> None:
    """A date header alone is not an article."""
    path = tmp_path / "header-only.txt"
    path.write_text(" date 2025-12-01 \n\n")
    assert "no text" in read_dead(path).reason


def test_single_line_file_is_text_without_title(tmp_path: Path) -> None:
    """A one-line file is a body, not a title over nothing."""
    path = tmp_path / "one.txt"
    path.write_text("Markets rose on Friday after the rate decision.\n")
    item = read_item(path)
    assert item.title is None
    assert item.text == "Markets rose on Friday after the rate decision."


def test_fetched_time_is_used_when_given() -> None:
    """The caller's fetch time is stamped on the item."""
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    items = list(read_items(RESOURCES / "plain.txt", max_item_bytes=LIMIT, fetched=when))
    assert isinstance(items[0], RawItem) and items[0].fetched == when


def test_limit_is_inclusive(tmp_path: Path) -> None:
    """A file of exactly max_item_bytes is read; one byte more is rejected."""
    path = tmp_path / "exact.txt"
    path.write_bytes(b"Title\n\n" + b"x" * 93)
    assert path.stat().st_size == 100
    assert read_item(path, limit=100).text == "x" * 93
    dead = read_dead(path, limit=99)
    assert "100 bytes, over the 99-byte item limit" in dead.reason
    assert dead.error == "InvalidInput"


def test_sparse_50mb_file_rejected_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 50 MB file is rejected from its size alone: never opened, memory stays small."""
    path = tmp_path / "huge.txt"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an oversized file must not be opened")

    monkeypatch.setattr("pipeline.fetch.files.text.open", no_open, raising=False)
    tracemalloc.start()
    try:
        dead = read_dead(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024
    assert "52,428,800 bytes, over the 10,485,760-byte item limit" in dead.reason
    assert "PIPELINE_MAX_ITEM_BYTES" in dead.reason
    assert json.loads(dead.input) == {"path": str(path), "size": 50 * 1024 * 1024}


def test_missing_file_is_dead_letter_not_exception(tmp_path: Path) -> None:
    """A file that vanished before reading is a dead letter with the OS error type."""
    path = tmp_path / "gone.txt"
    dead = read_dead(path)
    assert dead.error == "FileNotFoundError"
    assert "cannot read" in dead.reason


def test_unreadable_file_is_dead_letter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A permission error while opening is a dead letter (patched: tests may run as root)."""
    path = tmp_path / "locked.txt"
    path.write_text("Title\n\nBody\n")

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("pipeline.fetch.files.text.open", denied, raising=False)
    dead = read_dead(path)
    assert dead.error == "PermissionError"
    assert "Permission denied" in dead.reason


@pytest.mark.timeout(10)
def test_fifo_and_directory_are_rejected_without_blocking(tmp_path: Path) -> None:
    """A named pipe is never opened (it would block); a folder is not a file."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "not a regular file" in read_dead(fifo).reason
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert "not a regular file" in read_dead(folder).reason


class _StaleStat(type(Path())):  # type: ignore[misc]
    """A path whose stat() reports the size the file had before it grew."""

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        real = super().stat(follow_symlinks=follow_symlinks)
        fields = list(real)
        fields[stat.ST_SIZE] = 10
        return os.stat_result(fields)


def test_file_grown_since_stat_is_read_whole_within_limit(tmp_path: Path) -> None:
    """A file that grew after stat is read to its end, and still rejected past the limit."""
    path = _StaleStat(tmp_path / "growing.txt")
    path.write_text("Title\n\n" + "grown " * 50)
    assert read_item(path).text == ("grown " * 50).strip("\n")
    assert "over the 100-byte item limit" in read_dead(path, limit=100).reason
