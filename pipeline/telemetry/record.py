"""Writing what a process gathered: one pipelined round trip, never a failure for the caller.

Telemetry is written after the work it describes (a batch written, a page settled), so a
Redis error here has nothing left to protect: it is logged and the figures of that one unit
of work are lost, while the work itself stands.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from redis import Redis
from redis.exceptions import RedisError

from pipeline.settings import Settings
from pipeline.telemetry.histograms import Observations
from pipeline.telemetry.minutes import add_minute_counts

__all__ = ["write_records"]

log = structlog.get_logger()


def write_records(
    redis: Redis,
    settings: Settings,
    observations: Observations | None = None,
    minute_counts: Mapping[str, int] | None = None,
    *,
    now: float | None = None,
) -> bool:
    """Add ``observations`` and this minute's ``minute_counts`` in one round trip; returns
    False (and logs) when Redis refused, True otherwise."""
    if not observations and not minute_counts:
        return True
    try:
        with redis.pipeline(transaction=False) as pipe:
            if observations:
                observations.add_to(pipe, settings)
            if minute_counts:
                add_minute_counts(pipe, settings, minute_counts, now=now)
            pipe.execute()
    except RedisError as exc:
        log.warning("telemetry_not_recorded", error=str(exc))
        return False
    if observations:
        observations.clear()
    return True
