"""Counts per minute, kept in Redis for a little over an hour: the status page's throughput
sparkline, which a restarted page still shows whole.

One hash per minute, ``<prefix>telemetry:minute:<unix minute>``, fields by what was counted
(the atomic write's outcomes: ``new``, ``duplicate``, ``near_duplicate``, ``revision``,
``repeat``, ``dead``; and ``in``: items enqueued). Each key expires by itself.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis

from pipeline.settings import Settings

__all__ = ["KEEP_MINUTES", "MinuteCounts", "add_minute_counts", "read_minutes"]

KEEP_MINUTES = 75  # the hour shown, and a margin for clocks and late writers


def minute_key(settings: Settings, minute: int) -> str:
    """The hash of one minute (``minute``: UNIX seconds // 60)."""
    return settings.key("telemetry", "minute", str(minute))


def add_minute_counts(
    pipe: Any, settings: Settings, counts: Mapping[str, int], *, now: float | None = None
) -> None:
    """Queue the increments of this minute's counts on a Redis pipeline."""
    positive = {name: n for name, n in counts.items() if n > 0}
    if not positive:
        return
    key = minute_key(settings, int((time.time() if now is None else now) // 60))
    for name, amount in positive.items():
        pipe.hincrby(key, name, amount)
    pipe.expire(key, KEEP_MINUTES * 60)


@dataclass(frozen=True)
class MinuteCounts:
    """What was counted in one minute (``start``: UNIX seconds)."""

    start: int
    counts: dict[str, int]

    def get(self, *names: str) -> int:
        """The sum of the named counts."""
        return sum(self.counts.get(name, 0) for name in names)


def read_minutes(
    redis: Redis, settings: Settings, *, minutes: int = 60, now: float | None = None
) -> list[MinuteCounts]:
    """The last ``minutes`` minutes, oldest first, the current (partial) minute last;
    minutes with nothing counted are there with empty counts."""
    current = int((time.time() if now is None else now) // 60)
    span = range(current - minutes + 1, current + 1)
    with redis.pipeline(transaction=False) as pipe:
        for minute in span:
            pipe.hgetall(minute_key(settings, minute))
        replies = pipe.execute()
    return [
        MinuteCounts(minute * 60, {k.decode(): int(v) for k, v in raw.items()})
        for minute, raw in zip(span, replies, strict=True)
    ]
