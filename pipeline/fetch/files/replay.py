"""The producer side of replay: files in, batches on the queue, unreadable input dead-lettered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from redis import Redis

from pipeline.fetch.files.read import ReplayStats, replay_items
from pipeline.fetch.files.watch import FolderWatcher
from pipeline.fetch.pages.route import route_items
from pipeline.models import DeadLetter, RawItem
from pipeline.queueing import EnqueueSummary
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter
from pipeline.telemetry.histograms import Observations
from pipeline.telemetry.record import write_records

__all__ = ["ReplaySummary", "replay_paths", "watch_paths"]

log = structlog.get_logger()
_DEAD_FLUSH = 100


@dataclass
class ReplaySummary:
    """What a replay did: files read and skipped, items enqueued, items rejected."""

    stats: ReplayStats = field(default_factory=ReplayStats)
    enqueued: EnqueueSummary = field(default_factory=EnqueueSummary)
    dead_letters: int = 0
    pages: int = 0  # bare links of .jsonl files, queued for their page


class _DeadLetterBuffer:
    """Dead letters written in small batches through the atomic write (deduplicated)."""

    def __init__(self, writer: BatchWriter) -> None:
        self.writer = writer
        self.pending: list[DeadLetter] = []
        self.written = 0

    def add(self, letter: DeadLetter) -> None:
        log.warning("item_rejected", stage=letter.stage, source=letter.source, reason=letter.reason)
        self.pending.append(letter)
        if len(self.pending) >= _DEAD_FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            result = self.writer.write([], self.pending)
            written = sum(1 for o in result.dead if o.status == "dead")
            self.written += written
            self.pending = []
            write_records(self.writer.redis, self.writer.settings, None, {"dead": written})


def _split(items: Iterable[RawItem | DeadLetter], dead: _DeadLetterBuffer) -> Iterator[RawItem]:
    for item in items:
        if isinstance(item, DeadLetter):
            dead.add(item)
        else:
            yield item


def replay_paths(
    redis: Redis,
    settings: Settings,
    paths: Sequence[Path],
    *,
    on_item: Callable[[RawItem], None] | None = None,
) -> ReplaySummary:
    """Enqueue every readable item under ``paths``; dead-letter what cannot be read."""
    summary = ReplaySummary()
    dead = _DeadLetterBuffer(BatchWriter(redis, settings))
    timings = Observations()
    read = _timed(
        replay_items(paths, max_item_bytes=settings.max_item_bytes, stats=summary.stats), timings
    )
    items = _split(read, dead)
    if on_item is not None:
        items = _tap(items, on_item)
    routed = route_items(redis, settings, items)
    summary.enqueued, summary.pages = routed.enqueued, routed.pages
    dead.flush()
    write_records(redis, settings, timings)
    summary.dead_letters = dead.written
    return summary


def _timed(
    items: Iterable[RawItem | DeadLetter], timings: Observations
) -> Iterator[RawItem | DeadLetter]:
    """The items, each one's reading time (walk, read, decode) observed as the read stage."""
    source = iter(items)
    while True:
        started = time.perf_counter()
        try:
            item = next(source)
        except StopIteration:
            return
        timings.stage("read", time.perf_counter() - started, 1)
        yield item


def _tap(items: Iterator[RawItem], callback: Callable[[RawItem], None]) -> Iterator[RawItem]:
    for item in items:
        callback(item)
        yield item


def watch_paths(
    redis: Redis,
    settings: Settings,
    paths: Sequence[Path],
    *,
    interval: float = 2.0,
    settle_seconds: float = 1.0,
    stop: threading.Event | None = None,
    on_batch: Callable[[ReplaySummary], None] | None = None,
) -> ReplaySummary:
    """Keep enqueuing files as they appear under ``paths`` (polling), each file once."""
    stop = stop or threading.Event()
    total = ReplaySummary()
    watcher = FolderWatcher(paths, settle_seconds=settle_seconds)
    writer = BatchWriter(redis, settings)
    while not stop.is_set():
        new_files = watcher.poll()
        if new_files:
            summary = ReplaySummary()
            dead = _DeadLetterBuffer(writer)
            timings = Observations()
            read = replay_items(
                new_files, max_item_bytes=settings.max_item_bytes, stats=summary.stats
            )
            routed = route_items(redis, settings, _split(_timed(read, timings), dead))
            summary.enqueued, summary.pages = routed.enqueued, routed.pages
            dead.flush()
            write_records(redis, settings, timings)
            summary.dead_letters = dead.written
            log.info(
                "watch_files_enqueued",
                files=len(new_files),
                items=summary.stats.items,
                jobs=summary.enqueued.jobs,
                rejected=summary.stats.rejected,
            )
            _accumulate(total, summary)
            if on_batch is not None:
                on_batch(summary)
        stop.wait(interval)
    return total


def _accumulate(total: ReplaySummary, part: ReplaySummary) -> None:
    total.stats.files += part.stats.files
    total.stats.items += part.stats.items
    total.stats.rejected += part.stats.rejected
    total.stats.skipped += part.stats.skipped
    for suffix, count in part.stats.skipped_suffixes.items():
        total.stats.skipped_suffixes[suffix] = total.stats.skipped_suffixes.get(suffix, 0) + count
    total.enqueued.add(part.enqueued)
    total.dead_letters += part.dead_letters
    total.pages += part.pages
