"""Dropping dead letters an operator has read and will not retry: input that can never be
right (a line of junk, a file that is not an article). What each letter said goes to the
log; its deduplication key stays, so the same bad input read again (a folder replayed)
is not reported again while the key lives (``PIPELINE_SEEN_DAYS``). The write counters
keep counting it: ``dead`` in ``pipeline stats`` is history, not the stream's length."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from redis import Redis

from pipeline.settings import Settings
from pipeline.streams.deadletters import select_dead_letters
from pipeline.streams.reader import StreamEntry

__all__ = ["drop_dead_letters"]

log = structlog.get_logger()


def drop_dead_letters(
    redis: Redis,
    settings: Settings,
    *,
    entry_ids: Sequence[str] | None = None,
    stage: str | None = None,
) -> list[StreamEntry]:
    """Delete dead letters (given ids, or all of a stage, or all) from the dead-letter
    stream; returns those deleted, each logged first."""
    dropped = []
    for entry in select_dead_letters(redis, settings, entry_ids, stage):
        f = entry.fields
        log.info(
            "dead_letter_dropped",
            entry=entry.entry_id,
            stage=f.get("stage"),
            source=f.get("source"),
            reason=f.get("reason"),
            article_id=f.get("article_id") or None,
        )
        if redis.xdel(settings.dead_stream, entry.entry_id):
            dropped.append(entry)
    return dropped
