"""Reading .jsonl files: one item per line, bad lines dead-lettered, bounded memory."""

from __future__ import annotations

import codecs
import json
import tracemalloc
from pathlib import Path

import pytest

from pipeline.fetch.files.read import read_items
from pipeline.fetch.files.rejects import INPUT_EXCERPT_BYTES
from pipeline.models import DeadLetter, RawItem

RESOURCES = Path(__file__).parents[2] / "resources" / "replay"
LIMIT = 10 * 1024 * 1024


def read_all(path: Path, limit: int = LIMIT) -> list[RawItem | DeadLetter]:
    return list(read_items(path, max_item_bytes=limit))


def texts(items: list[RawItem | DeadLetter]) -> list[str]:
    """The text of each item, or `DEAD:<line>` for each dead letter."""
    return [
        item.text if isinstance(item, RawItem) else f"DEAD:{json.loads(item.input).get('line')}"
        for item in items
    ]


def test_good_lines_become_items_and_bad_lines_dead_letters_in_order() -> None:
    """Every bad line is its own dead letter; the good lines around it are still read."""
    path = RESOURCES / "articles.jsonl"
    items = read_all(path)
    assert texts(items) == [
        "<p>Alpha &amp; beta.</p>",
        "Second article body.",
        "DEAD:4",
        "DEAD:5",
        "DEAD:6",
        "DEAD:7",
        "Third article body.",
    ]
    first, second, *_, third = items
    assert isinstance(first, RawItem)
    assert first.kind == "jsonl"
    assert first.url == "https://example.com/a?utm_source=x"
    assert first.title == "First"
    assert first.id == "a-1"
    assert first.source == "wire"
    assert first.published == "2025-11-30T08:00:00Z"
    assert first.published_provenance == "jsonl"
    assert isinstance(second, RawItem)
    assert second.source == str(path)
    assert (second.title, second.id, second.url, second.published) == (None, None, None, None)
    assert second.published_provenance == "none"
    assert isinstance(third, RawItem)
    assert third.published is None and third.published_provenance == "none"


@pytest.mark.parametrize(
    ("line", "error", "words"),
    [
        (4, "JSONDecodeError", "not JSON (Expecting value at column 1)"),
        (5, "InvalidInput", "a JSON array where an object was expected"),
        (6, "InvalidInput", 'the object has no "text"'),
        (7, "InvalidInput", '"published" is a number; it must be a string or absent'),
    ],
)
def test_dead_letter_names_file_line_and_problem(line: int, error: str, words: str) -> None:
    """A bad line's reason says which file, which line and what is wrong."""
    path = RESOURCES / "articles.jsonl"
    dead = {json.loads(d.input)["line"]: d for d in read_all(path) if isinstance(d, DeadLetter)}[
        line
    ]
    assert dead.stage == "read"
    assert dead.source == str(path)
    assert dead.error == error
    assert dead.reason.startswith(f"{path} line {line}: ")
    assert words in dead.reason
    original = (RESOURCES / "articles.jsonl").read_text().splitlines()[line - 1]
    assert json.loads(dead.input) == {
        "path": str(path),
        "line": line,
        "size": len(original),
        "text": original,
        "truncated": False,
    }


def test_text_of_wrong_type_is_dead_letter(tmp_path: Path) -> None:
    """`text` must be a string: a list is named in the reason."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": ["a", "b"]}\n{"text": "fine", "id": 7}\n')
    reasons = [d.reason for d in read_all(path) if isinstance(d, DeadLetter)]
    assert 'a array as its "text"' in reasons[0]
    assert '"id" is a number' in reasons[1]


def test_long_bad_line_is_kept_truncated_in_dead_letter(tmp_path: Path) -> None:
    """The dead letter keeps at most 64 KiB of the line and says it was cut."""
    path = tmp_path / "long.jsonl"
    path.write_text("é" * 100_000 + "\n")  # two bytes per character
    (dead,) = read_all(path)
    assert isinstance(dead, DeadLetter)
    payload = json.loads(dead.input)
    assert payload["truncated"] is True
    assert payload["size"] == 200_000
    assert payload["text"] == "é" * (INPUT_EXCERPT_BYTES // 2)


def test_line_over_limit_is_dead_letter_and_next_lines_go_on(tmp_path: Path) -> None:
    """An oversized line is skipped to its end; the following lines are read."""
    path = tmp_path / "big.jsonl"
    big = json.dumps({"text": "x" * 500})
    path.write_text(f'{{"text": "before"}}\n{big}\n{{"text": "after"}}\n{big}')
    items = read_all(path, limit=100)
    assert texts(items) == ["before", "DEAD:2", "after", "DEAD:4"]
    dead = items[1]
    assert isinstance(dead, DeadLetter)
    assert dead.error == "InvalidInput"
    assert f"line 2: {len(big)} bytes, over the 100-byte item limit" in dead.reason
    assert json.loads(dead.input)["truncated"] is True


def test_line_limit_excludes_crlf_terminator(tmp_path: Path) -> None:
    """A line of exactly the limit is read whatever its line end."""
    line = json.dumps({"text": "y" * 88})
    assert len(line) == 100
    path = tmp_path / "exact.jsonl"
    path.write_bytes(f"{line}\r\n{line}\n{line}".encode())
    assert texts(read_all(path, limit=100)) == ["y" * 88] * 3
    assert texts(read_all(path, limit=99)) == ["DEAD:1", "DEAD:2", "DEAD:3"]


def test_sparse_50mb_line_is_rejected_with_bounded_memory(tmp_path: Path) -> None:
    """A 50 MB line is read in bounded pieces: memory stays near the limit, not the line."""
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)
    with path.open("ab") as file:
        file.write(b'\n{"text": "after the huge line"}\n')
    limit = 1024 * 1024
    tracemalloc.start()
    try:
        items = read_all(path, limit=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * limit
    assert texts(items) == ["DEAD:1", "after the huge line"]
    assert isinstance(items[0], DeadLetter)
    assert "52,428,800 bytes" in items[0].reason


def test_invalid_utf8_line_is_dead_letter_and_rest_is_read(tmp_path: Path) -> None:
    """One Latin-1 line among UTF-8 lines costs that line only."""
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"text": "one"}\n{"text": "caf\xe9"}\n{"text": "three"}\n')
    items = read_all(path)
    assert texts(items) == ["one", "DEAD:2", "three"]
    dead = items[1]
    assert isinstance(dead, DeadLetter)
    assert dead.error == "UnicodeDecodeError"
    assert "line 2: not valid UTF-8 (byte 0xE9 at offset 29)" in dead.reason
    assert json.loads(dead.input)["text"] == '{"text": "caf\\xe9"}'


def test_bom_crlf_and_mid_file_bom(tmp_path: Path) -> None:
    """A UTF-8 BOM (also one left mid-file by `cat a b`) and CRLF ends are tolerated."""
    path = tmp_path / "bom.jsonl"
    bom = codecs.BOM_UTF8
    path.write_bytes(bom + b'{"text": "one"}\r\n' + bom + b'{"text": "two"}\r\n')
    assert texts(read_all(path)) == ["one", "two"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_utf16_and_utf32_jsonl_with_bom(tmp_path: Path, codec: str) -> None:
    """Wide encodings with a BOM are read line by line too, oversized lines included."""
    path = tmp_path / "wide.jsonl"
    lines = [
        '{"text": "Zürich"}',
        "",
        "not json",
        json.dumps({"text": "z" * 300}),
        '{"text": "ok"}',
    ]
    path.write_bytes("\r\n".join(lines).encode(codec))
    assert texts(read_all(path, limit=200)) == ["Zürich", "DEAD:3", "DEAD:4", "ok"]


def test_invalid_utf16_line_costs_that_line_only(tmp_path: Path) -> None:
    """A lone surrogate in a UTF-16 file dead-letters its line; the next lines are read."""
    path = tmp_path / "broken16.jsonl"
    good = '{"text": "fine"}\n'.encode("utf-16-le")
    bad = '{"text": "'.encode("utf-16-le") + b"\x00\xd8" + '"}\n'.encode("utf-16-le")
    path.write_bytes(codecs.BOM_UTF16_LE + good + bad + good)
    items = read_all(path)
    assert texts(items) == ["fine", "DEAD:2", "fine"]
    assert isinstance(items[1], DeadLetter)
    assert items[1].error == "UnicodeDecodeError"
    assert "line 2: not valid UTF-16" in items[1].reason


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n"])
def test_empty_jsonl_is_dead_letter(tmp_path: Path, content: bytes) -> None:
    """A .jsonl with no lines at all says so."""
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    (dead,) = read_all(path)
    assert isinstance(dead, DeadLetter)
    assert "empty file" in dead.reason


def test_deeply_nested_json_is_dead_letter(tmp_path: Path) -> None:
    """JSON nested past the parser's depth is a reject, not a crash."""
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + '\n{"text": "after"}\n')
    items = read_all(path)
    assert texts(items) == ["DEAD:1", "after"]


def test_jsonl_streams_with_bounded_memory(tmp_path: Path) -> None:
    """Consuming a 20,000-line file lazily keeps memory far below the file's size."""
    path = tmp_path / "many.jsonl"
    body = "word " * 100
    with path.open("w") as file:
        for n in range(20_000):
            file.write(json.dumps({"id": str(n), "text": body}) + "\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(
            1 for item in read_items(path, max_item_bytes=LIMIT) if isinstance(item, RawItem)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert size > 10 * 1024 * 1024
    assert peak < 1024 * 1024
