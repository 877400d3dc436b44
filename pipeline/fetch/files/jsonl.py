"""A ``.jsonl`` file, one RawItem per line, each line read with a bounded readline.

A bad line (not JSON, not UTF-8, too long, not an item) becomes a dead letter of its own and
reading goes on with the next; a file in UTF-16 or UTF-32 (with a byte-order mark) is read
the same way.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from pydantic import ValidationError

from pipeline.errors import InvalidInput
from pipeline.fetch.files.decode import excerpt, sniff
from pipeline.fetch.files.rejects import INPUT_EXCERPT_BYTES, STAGE, dead_letter
from pipeline.models import DeadLetter, RawItem

__all__ = ["read_jsonl"]

_SKIP_CHUNK = 64 * 1024
_JSONL_FIELDS = ("url", "title", "published", "source", "id")


class _Line(NamedTuple):
    number: int
    raw: bytes  # the line as read, as UTF-8 (a bounded prefix when it is over the limit)
    size: int  # the whole line's size in bytes, line end excluded
    text: str | None  # None when the line could not be decoded or is too long
    problem: DeadLetter | None


def read_jsonl(path: Path, size: int, limit: int, when: datetime) -> Iterator[RawItem | DeadLetter]:
    if size == 0:
        raise InvalidInput(f"{path}: empty file", stage=STAGE)
    found = False
    with open(path, "rb") as file:
        codec, label, bom = sniff(file.read(4))
        file.seek(bom)
        lines = (
            _utf8_lines(path, file, limit)
            if codec == "utf-8"
            else _wide_lines(path, file, codec, label, limit)
        )
        for line in lines:
            found = True
            if line.problem is not None:
                yield line.problem
                continue
            assert line.text is not None
            try:
                item: RawItem | DeadLetter = _jsonl_item(path, line.number, line.text, when)
            except (ValueError, InvalidInput, RecursionError) as exc:
                reason = f"{path} line {line.number}: {_describe(exc)}"
                item = dead_letter(path, reason, exc, _line_input(path, line))
            yield item
    if not found:
        raise InvalidInput(f"{path}: empty file (only blank lines)", stage=STAGE)


def _utf8_lines(path: Path, file: BinaryIO, limit: int) -> Iterator[_Line]:
    """Non-blank lines, each read with a bounded readline so no line can exhaust memory."""
    number = 0
    offset = file.tell()
    # limit + 2 bytes hold a line of exactly the limit and its CRLF; more means over.
    while raw := file.readline(limit + 2):
        number += 1
        start = offset
        end = _line_end(raw)
        size = len(raw) - end
        if not end and len(raw) == limit + 2:
            skipped, end = _skip_line(file, raw[-1:])
            size += skipped - end
        offset += size + end
        if size > limit:
            yield _Line(number, raw, size, None, _too_long(path, number, raw, size, limit))
        elif not raw.isspace():
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                where = f"byte 0x{raw[exc.start]:02X} at offset {start + exc.start}"
                reason = (
                    f"{path} line {number}: not valid UTF-8 ({where}); convert the file to UTF-8"
                )
                line = _Line(number, raw, size, None, None)
                yield line._replace(problem=dead_letter(path, reason, exc, _line_input(path, line)))
                continue
            yield _Line(number, raw, size, text, None)


def _line_end(data: bytes) -> int:
    """The length of the line end ``data`` finishes with: 2 for CRLF, 1 for LF, else 0."""
    return 2 if data.endswith(b"\r\n") else 1 if data.endswith(b"\n") else 0


def _skip_line(file: BinaryIO, before: bytes) -> tuple[int, int]:
    """Read past the rest of an over-long line in bounded chunks: (bytes read, line end)."""
    skipped, tail = 0, before
    while chunk := file.readline(_SKIP_CHUNK):
        skipped += len(chunk)
        tail = (tail + chunk[-2:])[-2:]
        if chunk.endswith(b"\n"):
            break
    return skipped, _line_end(tail)


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    # A lone surrogate cannot be encoded to UTF-8, so the line is caught below and
    # dead-lettered alone; decoding resumes after the bad bytes.
    assert isinstance(exc, UnicodeDecodeError)
    return "\udcff", exc.end


_UNDECODABLE = "pipeline-replay-mark"
codecs.register_error(_UNDECODABLE, _mark_undecodable)


def _wide_lines(path: Path, file: BinaryIO, codec: str, label: str, limit: int) -> Iterator[_Line]:
    """Lines of a UTF-16/32 file, re-encoded to UTF-8; bad code units cost their line only."""
    reader = io.TextIOWrapper(file, encoding=codec, errors=_UNDECODABLE, newline=None)
    try:
        number = 0
        # Every code point is at least one UTF-8 byte: limit + 2 of them bound a line.
        while text := reader.readline(limit + 2):
            number += 1
            raw = text.encode("utf-8", "surrogatepass")
            end = int(text.endswith("\n"))  # universal newlines: CRLF already became LF
            size = len(raw) - end
            if not end and len(text) == limit + 2:
                while more := reader.readline(_SKIP_CHUNK):
                    end = int(more.endswith("\n"))
                    size += len(more.encode("utf-8", "surrogatepass")) - end
                    if end:
                        break
            line = _Line(number, raw, size, None, None)
            if size > limit:
                yield line._replace(problem=_too_long(path, number, raw, size, limit))
            elif not _encodable(text):
                reason = f"{path} line {number}: not valid {label}; convert the file to UTF-8"
                exc = UnicodeDecodeError(codec, raw, 0, len(raw), "invalid data")
                yield line._replace(problem=dead_letter(path, reason, exc, _line_input(path, line)))
            elif not text.isspace():
                yield line._replace(text=text)
    finally:
        reader.detach()  # the caller's `with` closes the file


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_long(path: Path, number: int, raw: bytes, size: int, limit: int) -> DeadLetter:
    reason = (
        f"{path} line {number}: {size:,} bytes, over the {limit:,}-byte item limit "
        "(PIPELINE_MAX_ITEM_BYTES)"
    )
    exc = InvalidInput(reason, stage=STAGE)
    return dead_letter(path, reason, exc, _line_input(path, _Line(number, raw, size, None, None)))


def _jsonl_item(path: Path, number: int, line: str, when: datetime) -> RawItem:
    """One JSON line as a RawItem; raises ValueError or InvalidInput when it is not one."""
    obj = json.loads(line.removeprefix("\ufeff"))  # a BOM mid-file: files joined with cat
    if not isinstance(obj, dict):
        raise InvalidInput(f"a JSON {_json_type(obj)} where an object was expected", stage=STAGE)
    text = obj.get("text")
    if text is None and isinstance(obj.get("url"), str) and obj["url"].strip():
        text = ""  # a bare link: the page fetcher fetches and extracts it
    if not isinstance(text, str):
        what = "no" if text is None else f"a {_json_type(text)} as its"
        raise InvalidInput(
            f'the object has {what} "text" (a string is required, or a "url" alone)',
            stage=STAGE,
        )
    given: dict[str, str | None] = {}
    for name in _JSONL_FIELDS:
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(
                f'"{name}" is a {_json_type(value)}; it must be a string or absent', stage=STAGE
            )
        given[name] = value if value and value.strip() else None
    try:
        return RawItem(
            source=given["source"] or str(path),
            kind="jsonl",
            text=text,
            url=given["url"],
            title=given["title"],
            id=given["id"],
            published=given["published"],
            published_provenance="jsonl" if given["published"] else "none",
            fetched=when,
            origin=str(path),
            origin_line=number,
        )
    except ValidationError as exc:
        raise InvalidInput(f"not a valid item: {exc.errors()[0]['msg']}", stage=STAGE) from exc


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read"
    if isinstance(exc, InvalidInput):
        return exc.reason
    return str(exc)


def _line_input(path: Path, line: _Line) -> dict[str, Any]:
    shown, truncated = excerpt(line.raw, INPUT_EXCERPT_BYTES, "utf-8")
    return {
        "path": str(path),
        "line": line.number,
        "size": line.size,
        "text": shown.rstrip("\r\n"),
        "truncated": truncated or line.size > len(line.raw) - _line_end(line.raw),
    }
