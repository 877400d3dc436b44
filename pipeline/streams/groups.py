"""How far behind each consumer group is: pending entries, the oldest one's age, lag,
and entries trimmed away before the group handled them (never silently lost).

Redis 7 counts exactly: XINFO GROUPS gives ``lag`` (entries added minus entries read,
trimmed ones included), so the unread entries that are no longer in the stream are
``lag - length`` once the group's last-delivered entry is older than the first one kept.
Redis 6.2 has no lag: it is reported unknown, and trimmed-unread is only flagged, when the
group's last-delivered id is older than the stream's first entry. Pending entries whose
stream entry was trimmed are counted exactly on both: those still in the pending list
(ids below the first entry), plus those ``Consumer`` already found and dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError

from pipeline.streams.consumer import trimmed_key
from pipeline.streams.poison import retry_stream
from pipeline.streams.reader import as_text

__all__ = ["GroupLag", "group_lags"]

# pending ids counted below the first entry, at most (each is a row of XPENDING)
_MAX_TRIMMED_SCAN = 10_000


@dataclass(frozen=True)
class GroupLag:
    """One consumer group of one stream; None where the server cannot tell."""

    stream: str
    group: str
    consumers: int
    pending: int
    oldest_pending_seconds: float | None  # since the oldest pending entry was written
    lag: int | None  # entries not yet delivered to the group (Redis 7)
    trimmed_unread: int | None  # trimmed before delivery: exact on Redis 7, else None
    trimmed_unread_possible: bool  # Redis < 7: the group's position was trimmed
    trimmed_pending: int  # delivered, trimmed before acknowledged
    handed_back_waiting: int  # entries `pipeline dead retry` gave back, not yet read
    last_delivered_id: str

    @property
    def trimmed_total(self) -> int:
        """Entries known lost to trimming (a possible unread loss counts as one)."""
        unread = self.trimmed_unread
        if unread is None:
            unread = 1 if self.trimmed_unread_possible else 0
        return unread + self.trimmed_pending

    def as_json(self) -> dict[str, Any]:
        """Stable keys for ``pipeline stats --json``."""
        return asdict(self)


def _id(value: str) -> tuple[int, int]:
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)


def _before(stream_first: str, group_last: str) -> bool:
    return _id(group_last) < _id(stream_first)


def group_lags(redis: Redis, stream: str) -> list[GroupLag]:
    """Every group of ``stream``, in the order Redis lists them; [] when no stream."""
    try:
        info = redis.xinfo_stream(stream)
        groups = redis.xinfo_groups(stream)
    except ResponseError:  # no such stream
        return []
    length = int(info["length"])
    first = as_text(info["first-entry"][0]) if info.get("first-entry") else None
    last_generated = as_text(info["last-generated-id"])
    seconds, micros = redis.time()
    now_ms = seconds * 1000 + micros // 1000
    counted = {as_text(k): int(v) for k, v in redis.hgetall(trimmed_key(stream)).items()}
    out = []
    for g in groups:
        name, last = as_text(g["name"]), as_text(g["last-delivered-id"])
        pending = int(g["pending"])
        oldest = None
        trimmed_pending = counted.get(name, 0)
        if pending:
            summary = redis.xpending(stream, name)
            oldest = max(0.0, (now_ms - _id(as_text(summary["min"]))[0]) / 1000)
            if first is None:
                trimmed_pending += pending
            elif _before(first, as_text(summary["min"])):
                rows = redis.xpending_range(
                    stream, name, min="-", max=f"({first}", count=min(pending, _MAX_TRIMMED_SCAN)
                )
                trimmed_pending += len(rows)
        lag = g.get("lag")
        behind_the_trim = first is not None and _before(first, last)
        if first is None:  # empty stream: whatever was not read is gone
            behind_the_trim = _id(last) < _id(last_generated)
        unread: int | None = None
        if lag is not None:
            unread = max(0, int(lag) - length) if behind_the_trim else 0
        retry = retry_stream(stream, name)
        out.append(
            GroupLag(
                stream=stream,
                group=name,
                consumers=int(g["consumers"]),
                pending=pending,
                oldest_pending_seconds=oldest,
                lag=None if lag is None else int(lag),
                trimmed_unread=unread,
                trimmed_unread_possible=unread is None and behind_the_trim,
                trimmed_pending=trimmed_pending,
                handed_back_waiting=int(redis.xlen(retry)) if redis.exists(retry) else 0,
                last_delivered_id=last,
            )
        )
    return out
