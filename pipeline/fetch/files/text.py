"""One ``.txt`` file as one RawItem: the seed format (a ``date`` header), or title and text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipeline.errors import InvalidInput
from pipeline.fetch.files.decode import excerpt, sniff
from pipeline.fetch.files.rejects import FILE_EXCERPT_BYTES, STAGE, dead_letter
from pipeline.fetch.files.seed import parse_seed
from pipeline.models import DeadLetter, RawItem

__all__ = ["check_size", "read_text"]


def read_text(path: Path, size: int, limit: int, when: datetime) -> RawItem | DeadLetter:
    if size == 0:
        raise InvalidInput(f"{path}: empty file", stage=STAGE)
    check_size(path, size, limit)
    with open(path, "rb") as file:
        # read(n) allocates n bytes up front: ask for the stat size, not the limit.
        data = file.read(size + 1)
        if len(data) > size:  # it grew since stat: read on, still bounded by the limit
            data += file.read(limit + 1 - len(data))
    check_size(path, len(data), limit)
    codec, label, bom = sniff(data)
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
            origin=source,
        )
    title, _, body = text.lstrip().partition("\n")
    if not body.strip():
        # One line and nothing else: that line is the text, not a title over nothing.
        return RawItem(source=source, kind="text", text=title.strip(), fetched=when, origin=source)
    return RawItem(
        source=source,
        kind="text",
        title=title.strip(),
        text=body.strip("\n"),
        fetched=when,
        origin=source,
    )


def check_size(path: Path, size: int, limit: int) -> None:
    if size > limit:
        raise InvalidInput(
            f"{path}: {size:,} bytes, over the {limit:,}-byte item limit "
            "(PIPELINE_MAX_ITEM_BYTES); split the file or raise the limit",
            stage=STAGE,
        )


def _undecodable(
    path: Path, data: bytes, exc: UnicodeDecodeError, codec: str, label: str, bom: int
) -> DeadLetter:
    offset = bom + exc.start
    if label == "UTF-8" and not bom:
        what = f"not valid UTF-8 (byte 0x{data[offset]:02X} at offset {offset})"
    else:
        what = f"not valid {label} despite its byte-order mark ({exc.reason} at offset {offset})"
    shown, truncated = excerpt(data[bom:], FILE_EXCERPT_BYTES, codec)
    payload = {"path": str(path), "size": len(data), "text": shown, "truncated": truncated}
    return dead_letter(path, f"{path}: {what}; convert the file to UTF-8", exc, payload)
