"""The dead-letter stream: reading it newest first, and the key that deduplicates it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

from redis import Redis

from pipeline.settings import Settings
from pipeline.streams.reader import StreamEntry, decode_entry

__all__ = ["dead_letter_key", "list_dead_letters", "scan_dead_letters", "select_dead_letters"]

_SCAN_PAGE = 500


def dead_letter_key(stage: str, source: str, input: str) -> str:
    """Same stage, source and input: the same failure, reported once."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (stage, source, input):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def scan_dead_letters(redis: Redis, stream: str) -> Iterator[StreamEntry]:
    """Dead letters newest first, page by page."""
    upper = "+"
    while True:
        page = redis.xrevrange(stream, max=upper, count=_SCAN_PAGE)
        if not page:
            return
        for eid, fields in page:
            yield decode_entry(eid, fields)
        last = page[-1][0].decode()
        ms, seq = (int(x) for x in last.split("-"))
        if ms == 0 and seq == 0:
            return
        upper = f"{ms}-{seq - 1}" if seq else f"{ms - 1}-18446744073709551615"


def list_dead_letters(
    redis: Redis, settings: Settings, *, count: int = 20, stage: str | None = None
) -> list[StreamEntry]:
    """The latest dead letters, optionally of one stage."""
    found: list[StreamEntry] = []
    for entry in scan_dead_letters(redis, settings.dead_stream):
        if stage is None or entry.fields.get("stage") == stage:
            found.append(entry)
            if len(found) >= count:
                break
    return found


def select_dead_letters(
    redis: Redis, settings: Settings, entry_ids: Sequence[str] | None, stage: str | None
) -> list[StreamEntry]:
    """The dead letters an operator named: by entry id (those that exist), else every one
    of ``stage``, else every one."""
    if entry_ids:
        return [
            decode_entry(eid, fields)
            for eid in entry_ids
            for eid, fields in redis.xrange(settings.dead_stream, min=eid, max=eid)
        ]
    return [
        e
        for e in scan_dead_letters(redis, settings.dead_stream)
        if stage is None or e.fields.get("stage") == stage
    ]
