"""A consumer-group member: what downstream services use to read the output streams."""

from __future__ import annotations

import socket
from collections.abc import Sequence

from redis import Redis
from redis.exceptions import NoPermissionError, ResponseError

from pipeline.errors import ConfigurationError
from pipeline.streams.reader import StreamEntry, as_text, decode_entry

__all__ = ["Consumer"]


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
        except NoPermissionError as exc:
            # a read-only consumer user may not create groups: the operator does, once
            if not self._group_exists():
                raise ConfigurationError(
                    f"consumer group {self.group!r} does not exist on {self.stream} and this "
                    "Redis user may not create it: ask the operator to run "
                    f"XGROUP CREATE {self.stream} {self.group} 0 MKSTREAM"
                ) from exc
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _group_exists(self) -> bool:
        try:
            groups = self.redis.xinfo_groups(self.stream)
        except ResponseError:  # no such stream
            return False
        return any(as_text(g["name"]) == self.group for g in groups)

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
        self._claim_cursor = as_text(next_cursor)
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
