"""Reading replay sources lazily into RawItems: folders, seed-format and plain .txt, .jsonl.

Nothing here raises for a bad file or line: what cannot be read becomes a
DeadLetter (stage ``read``) whose reason names the file, the line and what to do,
and reading goes on with the next line or file. Memory stays bounded by the item
size limit: a folder is listed one directory at a time, a .txt file's size is
checked before it is read, and a .jsonl file is read one bounded line at a time.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import structlog
from pydantic import ValidationError

from pipeline.errors import InvalidInput
from pipeline.fetch.files.seed import parse_seed
from pipeline.models import DeadLetter, RawItem, utc_now

__all__ = [
    "INPUT_EXCERPT_BYTES",
    "SUFFIXES",
    "OnError",
    "ReplayStats",
    "iter_files",
    "read_items",
    "replay_items",
]

log = structlog.get_logger()

SUFFIXES = {".txt", ".jsonl"}
STAGE = "read"
INPUT_EXCERPT_BYTES = 64 * 1024  # how much of a rejected line a dead letter keeps
_FILE_EXCERPT_BYTES = 1024  # how much of a rejected file's beginning a dead letter keeps
_SKIP_CHUNK = 64 * 1024
_NO_SUFFIX = "(none)"
_JSONL_FIELDS = ("url", "title", "published", "source", "id")

# Longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)

OnError = Callable[[Path, OSError], None]
"""Called with a path that could not be listed or found, and why; iteration goes on."""


@dataclass
class ReplayStats:
    """Counts for one replay run, updated as items are yielded (usable for progress)."""

    files: int = 0
    skipped: int = 0
    items: int = 0
    rejected: int = 0
    skipped_suffixes: dict[str, int] = field(default_factory=dict)


# -- walking folders ----------------------------------------------------------------------


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


# -- reading one file ---------------------------------------------------------------------


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
            yield from _read_jsonl(path, info.st_size, max_item_bytes, when)
        else:
            yield _read_text(path, info.st_size, max_item_bytes, when)
    except InvalidInput as exc:
        yield _dead(path, exc.reason, exc, known)
    except OSError as exc:
        reason = f"{path}: cannot read: {exc.strerror or exc}"
        yield _dead(path, reason, exc, known)


def _read_text(path: Path, size: int, limit: int, when: datetime) -> RawItem | DeadLetter:
    if size == 0:
        raise InvalidInput(f"{path}: empty file", stage=STAGE)
    _check_size(path, size, limit)
    with open(path, "rb") as file:
        # read(n) allocates n bytes up front: ask for the stat size, not the limit.
        data = file.read(size + 1)
        if len(data) > size:  # it grew since stat: read on, still bounded by the limit
            data += file.read(limit + 1 - len(data))
    _check_size(path, len(data), limit)
    codec, label, bom = _sniff(data)
    try:
        text = data[bom:].decode(codec)
    except UnicodeDecodeError as exc:
        return _undecodable(path, data, exc, codec, label, bom)
    # Universal newlines, as Python's text mode reads files: CRLF and CR become LF.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInput(f"{path}: empty file (only whitespace)", stage=STAGE)
    source = str(path)
    seed = parse_seed(text)
    if seed is not None:
        if not seed.body.strip():
            raise InvalidInput(f"{path}: seed file has a date header but no text", stage=STAGE)
        return RawItem(
            source=source,
            kind="seed",
            text=seed.body,
            published=seed.published,
            published_provenance="seed_header",
            fetched=when,
        )
    title, _, body = text.lstrip().partition("\n")
    if not body.strip():
        # One line and nothing else: that line is the text, not a title over nothing.
        return RawItem(source=source, kind="text", text=title.strip(), fetched=when)
    return RawItem(
        source=source, kind="text", title=title.strip(), text=body.strip("\n"), fetched=when
    )


def _check_size(path: Path, size: int, limit: int) -> None:
    if size > limit:
        raise InvalidInput(
            f"{path}: {size:,} bytes, over the {limit:,}-byte item limit "
            "(PIPELINE_MAX_ITEM_BYTES); split the file or raise the limit",
            stage=STAGE,
        )


def _sniff(head: bytes) -> tuple[str, str, int]:
    """(codec, name, BOM length) from a byte-order mark; UTF-8 when there is none."""
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            return codec, label, len(bom)
    return "utf-8", "UTF-8", 0


def _undecodable(
    path: Path, data: bytes, exc: UnicodeDecodeError, codec: str, label: str, bom: int
) -> DeadLetter:
    offset = bom + exc.start
    if label == "UTF-8" and not bom:
        what = f"not valid UTF-8 (byte 0x{data[offset]:02X} at offset {offset})"
    else:
        what = f"not valid {label} despite its byte-order mark ({exc.reason} at offset {offset})"
    excerpt, truncated = _excerpt(data[bom:], _FILE_EXCERPT_BYTES, codec)
    payload = {"path": str(path), "size": len(data), "text": excerpt, "truncated": truncated}
    return _dead(path, f"{path}: {what}; convert the file to UTF-8", exc, payload)


# -- .jsonl -------------------------------------------------------------------------------


class _Line(NamedTuple):
    number: int
    raw: bytes  # the line as read, as UTF-8 (a bounded prefix when it is over the limit)
    size: int  # the whole line's size in bytes, line end excluded
    text: str | None  # None when the line could not be decoded or is too long
    problem: DeadLetter | None


def _read_jsonl(
    path: Path, size: int, limit: int, when: datetime
) -> Iterator[RawItem | DeadLetter]:
    if size == 0:
        raise InvalidInput(f"{path}: empty file", stage=STAGE)
    found = False
    with open(path, "rb") as file:
        codec, label, bom = _sniff(file.read(4))
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
                item: RawItem | DeadLetter = _jsonl_item(path, line.text, when)
            except (ValueError, InvalidInput, RecursionError) as exc:
                reason = f"{path} line {line.number}: {_describe(exc)}"
                item = _dead(path, reason, exc, _line_input(path, line))
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
                yield line._replace(problem=_dead(path, reason, exc, _line_input(path, line)))
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
                yield line._replace(problem=_dead(path, reason, exc, _line_input(path, line)))
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
    return _dead(path, reason, exc, _line_input(path, _Line(number, raw, size, None, None)))


def _jsonl_item(path: Path, line: str, when: datetime) -> RawItem:
    """One JSON line as a RawItem; raises ValueError or InvalidInput when it is not one."""
    obj = json.loads(line.removeprefix("\ufeff"))  # a BOM mid-file: files joined with cat
    if not isinstance(obj, dict):
        raise InvalidInput(f"a JSON {_json_type(obj)} where an object was expected", stage=STAGE)
    text = obj.get("text")
    if not isinstance(text, str):
        what = "no" if text is None else f"a {_json_type(text)} as its"
        raise InvalidInput(f'the object has {what} "text" (a string is required)', stage=STAGE)
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
    excerpt, truncated = _excerpt(line.raw, INPUT_EXCERPT_BYTES, "utf-8")
    return {
        "path": str(path),
        "line": line.number,
        "size": line.size,
        "text": excerpt.rstrip("\r\n"),
        "truncated": truncated or line.size > len(line.raw) - _line_end(line.raw),
    }


# -- dead letters -------------------------------------------------------------------------


def _excerpt(data: bytes, limit: int, codec: str) -> tuple[str, bool]:
    """At most ``limit`` bytes of ``data`` as text, bad bytes escaped; and whether it was cut."""
    cut = len(data) > limit
    decoder = codecs.getincrementaldecoder(codec)("backslashreplace")
    # Not final when cut: a character split by the cut is dropped rather than shown as bad bytes.
    return decoder.decode(data[:limit], final=not cut), cut


def _dead(path: Path, reason: str, exc: BaseException, payload: dict[str, Any]) -> DeadLetter:
    error = type(exc).__name__
    # debug: the caller logs each dead letter it writes (at warning), once.
    log.debug("replay_item_rejected", source=str(path), stage=STAGE, error=error, reason=reason)
    return DeadLetter(
        stage=STAGE,
        reason=reason,
        error=error,
        source=str(path),
        input=json.dumps(payload, ensure_ascii=False),
    )


# -- the whole replay ---------------------------------------------------------------------


def replay_items(
    paths: Iterable[Path], *, max_item_bytes: int, stats: ReplayStats
) -> Iterator[RawItem | DeadLetter]:
    """Items of every file under ``paths``, counting files, skips, items and rejects."""
    unlistable: list[DeadLetter] = []

    def report(path: Path, exc: OSError) -> None:
        reason = f"{path}: cannot read: {exc.strerror or exc}"
        unlistable.append(_dead(path, reason, exc, {"path": str(path)}))

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
