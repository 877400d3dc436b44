"""Reading the output streams: entries, consumer groups, dead letters.

The write side lives in ``pipeline.dedup`` (the atomic Lua step). This module is
what downstream services and the operator commands use to read.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError

from pipeline.models import EnrichedArticle

__all__ = [
    "Consumer",
    "StreamEntry",
    "decode_entry",
    "latest_entries",
]


@dataclass(frozen=True)
class StreamEntry:
    """One stream entry with its fields decoded to text."""

    entry_id: str
    fields: dict[str, str]

    def article(self) -> EnrichedArticle:
        """The article of an ``articles`` entry (unknown fields ignored)."""
        return EnrichedArticle.model_validate_json(self.fields["article"])

    def as_json(self) -> dict[str, Any]:
        """The entry as printable JSON: nested JSON fields decoded."""
        out: dict[str, Any] = {"entry": self.entry_id}
        for name, value in self.fields.items():
            if name in ("article", "input") and value[:1] in "{[":
                try:
                    out[name] = json.loads(value)
                    continue
                except ValueError:
                    pass
            out[name] = value
        return out


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def decode_entry(entry_id: bytes | str, fields: dict[Any, Any]) -> StreamEntry:
    """A raw redis-py stream entry as a StreamEntry."""
    return StreamEntry(_text(entry_id), {_text(k): _text(v) for k, v in fields.items()})


def latest_entries(redis: Redis, stream: str, count: int) -> list[StreamEntry]:
    """The last ``count`` entries of a stream, oldest first."""
    raw = redis.xrevrange(stream, count=count)
    return [decode_entry(eid, fields) for eid, fields in reversed(raw)]


class Consumer:
    """A consumer-group member: reads new entries, reclaims those a dead consumer left
    pending, and acknowledges what it has handled (at-least-once delivery)."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        group: str,
        name: str | None = None,
        *,
        claim_idle_ms: int = 60_000,
        start: str = "0",
    ) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.name = name or f"{socket.gethostname()}-{id(self):x}"
        self.claim_idle_ms = claim_idle_ms
        self._claim_cursor = "0-0"
        self._ensure_group(start)

    def _ensure_group(self, start: str) -> None:
        try:
            self.redis.xgroup_create(self.stream, self.group, id=start, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self, count: int = 100, block_ms: int | None = None) -> list[StreamEntry]:
        """Entries to handle: first ones left idle by other consumers, then new ones."""
        claimed = self.reclaim(count)
        if claimed:
            return claimed
        response = self.redis.xreadgroup(
            self.group, self.name, {self.stream: ">"}, count=count, block=block_ms
        )
        entries: list[StreamEntry] = []
        for _stream, items in response or []:
            entries.extend(decode_entry(eid, fields) for eid, fields in items if fields)
        return entries

    def reclaim(self, count: int = 100) -> list[StreamEntry]:
        """Take over entries pending longer than ``claim_idle_ms`` (XAUTOCLAIM)."""
        result = self.redis.xautoclaim(
            self.stream,
            self.group,
            self.name,
            min_idle_time=self.claim_idle_ms,
            start_id=self._claim_cursor,
            count=count,
        )
        next_cursor, items = result[0], result[1]
        self._claim_cursor = _text(next_cursor)
        # entries deleted by trimming come back with no fields: acknowledge and drop them
        gone = [eid for eid, fields in items if not fields]
        if gone:
            self.redis.xack(self.stream, self.group, *gone)
        return [decode_entry(eid, fields) for eid, fields in items if fields]

    def ack(self, entry_ids: Sequence[str]) -> int:
        """Acknowledge handled entries; returns how many were pending."""
        if not entry_ids:
            return 0
        return int(self.redis.xack(self.stream, self.group, *entry_ids))
