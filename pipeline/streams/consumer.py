"""A consumer-group member: what downstream services use to read the output streams."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from redis import Redis
from redis.exceptions import ResponseError

from pipeline.streams.members import idle_members, remove_if_empty
from pipeline.streams.messages import StreamKind, stream_kind
from pipeline.streams.poison import ensure_group, retry_stream
from pipeline.streams.reader import StreamEntry, as_text, decode_entry
from pipeline.streams.running import (
    BatchHandler,
    EntryHandler,
    Handler,
    RunSummary,
    run_consumer,
)

__all__ = ["FORGET_IDLE_MS", "Consumer", "Delivery", "RunSummary", "trimmed_key"]

log = structlog.get_logger()

# how often, at most, the pending lists are scanned for entries to take over
_MAX_CLAIM_INTERVAL_S = 5.0
# members that have not read for this long and hold nothing are a gone service's names
FORGET_IDLE_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Delivery:
    """An entry handed to this member, and how many times it has been delivered so far."""

    entry: StreamEntry
    deliveries: int = 1


def trimmed_key(stream: str) -> str:
    """Hash counting, per group, pending entries found deleted (trimmed) before handling."""
    return f"{stream}:trimmed"


class Consumer:
    """A consumer-group member: reads new entries, reclaims those a dead member left
    pending, and acknowledges what it has handled (at-least-once delivery).

    ``run(handler)`` is the whole loop: validate, handle, acknowledge, and move an entry
    whose handler failed ``max_deliveries`` times to the dead-letter stream (stage
    ``consume``), so one poison entry never blocks the group. ``run_batches`` hands the
    handler a whole batch, ``run_entries`` the raw entry too; ``read``/``ack`` are the
    parts, for services that drive the loop themselves.

    ``kind`` says what the stream carries (``articles`` or ``dead``; by default a name
    ending in ``dead`` is a dead-letter stream): it decides how entries are validated and
    that poison from a dead-letter stream is never written back to it. ``dead_stream``
    is where poison goes (default: the stream's prefix + ``dead``)."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        group: str,
        name: str | None = None,
        *,
        claim_idle_ms: int = 60_000,
        start: str = "0",
        max_deliveries: int = 5,
        dead_stream: str | None = None,
        kind: StreamKind | None = None,
        forget_idle_ms: int = FORGET_IDLE_MS,
    ) -> None:
        if max_deliveries < 1:
            raise ValueError("max_deliveries must be at least 1")
        self.redis = redis
        self.stream = stream
        self.group = group
        self.name = name or f"{socket.gethostname()}-{id(self):x}"
        self.claim_idle_ms = claim_idle_ms
        self.forget_idle_ms = forget_idle_ms
        self.max_deliveries = max_deliveries
        self.kind: StreamKind = kind or stream_kind(stream)
        prefix = stream[: -len("articles")] if stream.endswith("articles") else ""
        self.dead_stream = dead_stream or f"{prefix}dead"
        # a dead-letter stream has no poison path (nothing is written back to it), so it
        # needs no retry stream either
        self.retry_stream = retry_stream(stream, group) if self.kind == "articles" else None
        self._start = start
        self._cursors: dict[str, str] = {s: "0-0" for s in self.streams}
        self._next_claim = 0.0
        self._ensure_groups()

    @property
    def streams(self) -> list[str]:
        """The streams this member reads: the main one, then its group's retry stream."""
        return [self.stream] + ([self.retry_stream] if self.retry_stream else [])

    def _ensure_groups(self) -> None:
        ensure_group(self.redis, self.stream, self.group, self._start)
        if self.retry_stream:
            ensure_group(self.redis, self.retry_stream, self.group, "0")

    # -- reading ---------------------------------------------------------------------

    def read(self, count: int = 100, block_ms: int | None = None) -> list[StreamEntry]:
        """Entries to handle: first ones left idle by other members, then new ones."""
        return [d.entry for d in self.deliver(count, block_ms)]

    def deliver(
        self,
        count: int = 100,
        block_ms: int | None = None,
        *,
        ack_first: Sequence[StreamEntry] = (),
    ) -> list[Delivery]:
        """Like ``read``, with each entry's delivery count; ``ack_first`` entries are
        acknowledged in the same round trip, before reading."""
        if time.monotonic() >= self._next_claim:
            if ack_first:
                self.ack(ack_first)
                ack_first = ()
            claimed = self._reclaim(count)
            if claimed:
                return claimed
        pipe = self.redis.pipeline(transaction=False)
        self._queue_acks(pipe, ack_first)
        pipe.xreadgroup(
            self.group, self.name, {s: ">" for s in self.streams}, count=count, block=block_ms
        )
        try:
            response = pipe.execute()[-1]
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            log.warning("consumer_group_recreated", stream=self.stream, group=self.group)
            self._ensure_groups()
            return []
        out: list[Delivery] = []
        for key, items in response or []:
            name = as_text(key)
            out.extend(Delivery(decode_entry(eid, f, name)) for eid, f in items if f)
        return out

    def reclaim(self, count: int = 100) -> list[StreamEntry]:
        """Take over entries pending longer than ``claim_idle_ms`` (XAUTOCLAIM)."""
        return [d.entry for d in self._reclaim(count)]

    def _reclaim(self, count: int) -> list[Delivery]:
        pipe = self.redis.pipeline(transaction=False)
        for stream in self.streams:
            pipe.xautoclaim(
                stream,
                self.group,
                self.name,
                min_idle_time=self.claim_idle_ms,
                start_id=self._cursors[stream],
                count=count,
            )
        claimed: list[StreamEntry] = []
        scanning = False
        for stream, result in zip(self.streams, pipe.execute(), strict=True):
            start = self._cursors[stream]
            self._cursors[stream] = cursor = as_text(result[0])
            scanning = scanning or cursor != "0-0"
            live = [decode_entry(eid, f, stream) for eid, f in result[1] if f]
            # trimmed while pending: Redis 7 drops them from the list and says which
            # (third element); 6.2 hands them over as nil, still pending, ids unsaid
            deleted = len(result[2]) if len(result) > 2 else 0
            if any(not f for _eid, f in result[1]):
                gone = self._deleted_pending(stream, start, cursor, live)
                self._count_trimmed(stream, gone, deleted + len(gone))
            elif deleted:
                self._count_trimmed(stream, [], deleted)
            claimed.extend(live)
        if not claimed and not scanning:
            interval = min(self.claim_idle_ms / 2000, _MAX_CLAIM_INTERVAL_S)
            self._next_claim = time.monotonic() + interval
        return self._with_delivery_counts(claimed)

    def _deleted_pending(
        self, stream: str, start: str, end: str, live: list[StreamEntry]
    ) -> list[str]:
        """Ids this member now holds in [start, end) whose entries are gone (Redis 6.2)."""
        rows = self.redis.xpending_range(
            stream,
            self.group,
            min=start,
            max="+" if end == "0-0" else f"({end}",
            count=10_000,
            consumername=self.name,
        )
        known = {e.entry_id for e in live}
        candidates = [as_text(r["message_id"]) for r in rows]
        candidates = [c for c in candidates if c not in known]
        pipe = self.redis.pipeline(transaction=False)
        for eid in candidates:
            pipe.xrange(stream, min=eid, max=eid)
        return [eid for eid, found in zip(candidates, pipe.execute(), strict=True) if not found]

    def _count_trimmed(self, stream: str, still_pending: list[str], total: int) -> None:
        if not total:
            return
        pipe = self.redis.pipeline(transaction=True)
        if still_pending:
            pipe.xack(stream, self.group, *still_pending)
        pipe.hincrby(trimmed_key(self.stream), self.group, total)
        pipe.execute()
        log.error(
            "pending_entries_trimmed",
            stream=stream,
            group=self.group,
            count=total,
            hint="the stream was trimmed before this group handled them: raise "
            "PIPELINE_STREAM_MAXLEN or add consumers",
        )

    def _with_delivery_counts(self, entries: list[StreamEntry]) -> list[Delivery]:
        if not entries:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for e in entries:
            pipe.xpending_range(e.stream, self.group, min=e.entry_id, max=e.entry_id, count=1)
        out = []
        for entry, rows in zip(entries, pipe.execute(), strict=True):
            deliveries = int(rows[0]["times_delivered"]) if rows else 1
            out.append(Delivery(entry, deliveries))
        return out

    # -- acknowledging ---------------------------------------------------------------

    def ack(self, entries: Sequence[StreamEntry | str]) -> int:
        """Acknowledge handled entries (``StreamEntry``s, or ids of the main stream);
        returns how many were pending. A handed-back entry also leaves its retry stream."""
        pipe = self.redis.pipeline(transaction=False)
        counted = self._queue_acks(pipe, entries)
        if not counted:
            return 0
        results = pipe.execute()
        return sum(int(results[i]) for i in counted)

    def _queue_acks(self, pipe: Any, entries: Sequence[StreamEntry | str]) -> list[int]:
        """Queue the XACKs (and retry-stream XDELs) on ``pipe``; returns the positions of
        the XACK replies."""
        by_stream: dict[str, list[str]] = {}
        for entry in entries:
            if isinstance(entry, str):
                by_stream.setdefault(self.stream, []).append(entry)
            else:
                by_stream.setdefault(entry.stream or self.stream, []).append(entry.entry_id)
        positions = []
        for stream, ids in by_stream.items():
            positions.append(len(pipe))
            pipe.xack(stream, self.group, *ids)
            if stream != self.stream:
                pipe.xdel(stream, *ids)  # only this group reads it: keep it empty
        return positions

    # -- membership ------------------------------------------------------------------

    def leave(self) -> bool:
        """Remove this member from its group (on each stream it reads) if it holds no
        pending entry, in one atomic step; returns whether it is gone. A member that
        still holds entries stays, so that another member takes them over. ``run`` and
        its siblings call this when they end."""
        return bool(remove_if_empty(self.redis, self.streams, self.group, [self.name]))

    def forget_idle_members(self) -> list[str]:
        """Remove the group's other members that have not read for ``forget_idle_ms``
        and hold nothing pending (what a killed or renamed service leaves behind; each
        checked and removed atomically); returns their names. 0 turns it off. ``run``
        and its siblings call this when they start."""
        if self.forget_idle_ms <= 0:
            return []
        idle = idle_members(self.redis, self.stream, self.group, self.forget_idle_ms)
        others = [name for name in idle if name != self.name]
        return remove_if_empty(self.redis, self.streams, self.group, others)

    # -- the loop --------------------------------------------------------------------

    def run(
        self,
        handler: Handler,
        *,
        count: int = 100,
        block_ms: int = 1000,
        limit: int = 0,
        stop: threading.Event | None = None,
        handle_signals: bool = True,
    ) -> RunSummary:
        """Handle entries until stopped: each is validated (``EnrichedArticle`` from an
        articles stream, ``DeadLetter`` from a dead-letter stream), passed to
        ``handler(message)`` and acknowledged once it returns. SIGTERM/SIGINT (when
        ``handle_signals``, main thread) or ``stop`` end the run after the current entry,
        acknowledging what was handled; ``limit`` > 0 stops after that many entries."""
        return run_consumer(
            self,
            lambda _entry, message: handler(message),
            count=count,
            block_ms=block_ms,
            limit=limit,
            stop=stop,
            handle_signals=handle_signals,
        )

    def run_entries(
        self,
        handler: EntryHandler,
        *,
        count: int = 100,
        block_ms: int = 1000,
        limit: int = 0,
        stop: threading.Event | None = None,
        handle_signals: bool = True,
    ) -> RunSummary:
        """Like ``run``, the handler also getting the raw entry: ``handler(entry, message)``."""
        return run_consumer(
            self,
            handler,
            count=count,
            block_ms=block_ms,
            limit=limit,
            stop=stop,
            handle_signals=handle_signals,
        )

    def run_batches(
        self,
        handler: BatchHandler,
        *,
        count: int = 100,
        block_ms: int = 1000,
        limit: int = 0,
        stop: threading.Event | None = None,
        handle_signals: bool = True,
    ) -> RunSummary:
        """Like ``run``, one ``handler(messages)`` call per batch read (one database
        transaction per batch, say); all are acknowledged once it returns. When it raises,
        each message is passed alone (``handler([message])``), so a poison entry fails
        by itself and the rest of the batch is acknowledged. A stop ends the run after
        the current batch."""
        return run_consumer(
            self,
            None,
            batch_handler=handler,
            count=count,
            block_ms=block_ms,
            limit=limit,
            stop=stop,
            handle_signals=handle_signals,
        )
