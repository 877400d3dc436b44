"""The scheduler: keep polling every feed of FEEDS on its own interval, one scheduler per Redis.

Each feed's next poll comes from its health (see ``policy``); due feeds go to a
``HostPool`` so no host sees more than ``settings.fetch_per_host`` fetches at once. FEEDS is
re-read when the file changes; a FEEDS that is missing, unreadable or lists no usable feed
is logged and waited for, never a reason to exit (a supervisor would restart it forever).
A lock in Redis with a TTL, renewed while running, keeps a second scheduler out. ``stop``
(set by SIGTERM/SIGINT) ends the loop: queued polls are dropped, fetches in flight get
``stop_grace`` seconds to finish and be recorded, the rest are abandoned (nothing is
recorded for them, so each feed keeps the next poll it had),
and the lock is released.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import structlog
from redis import Redis
from redis.exceptions import RedisError

from pipeline.errors import ConfigurationError, PipelineError
from pipeline.fetch.feeds.feedlist import FeedList, FeedSpec, load_feeds
from pipeline.fetch.feeds.fetcher import FeedOutcome, FetchContext, fetch_one
from pipeline.fetch.feeds.health import load_many
from pipeline.fetch.feeds.pool import HostPool

__all__ = [
    "Scheduler",
    "SchedulerLock",
    "SchedulerLocked",
    "SchedulerSummary",
]

log = structlog.get_logger()

_WAITING_HINT = "add feed URLs (one per line, or OPML); the file is re-read when it changes"

_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class SchedulerLocked(PipelineError):
    """Another scheduler holds the lock."""


class SchedulerLock:
    """A Redis lock with a TTL: only its owner token can renew or release it."""

    def __init__(self, redis: Redis, key: str, *, ttl: float) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = max(1000, int(ttl * 1000))
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        """Take the lock if nobody holds it."""
        return bool(self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def renew(self) -> bool:
        """Extend the TTL; False when the lock is no longer ours."""
        return bool(self.redis.eval(_RENEW_SCRIPT, 1, self.key, self.token, self.ttl_ms))

    def release(self) -> None:
        """Give the lock up if it is still ours."""
        self.redis.eval(_RELEASE_SCRIPT, 1, self.key, self.token)

    def holder(self) -> str | None:
        """Who holds the lock (host:pid:nonce), if anyone."""
        value = self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else None


@dataclass
class SchedulerSummary:
    """What a scheduler run did."""

    polls: Counter[str] = field(default_factory=Counter)
    items: int = 0
    reloads: int = 0
    lock_lost: bool = False
    dropped_on_stop: int = 0
    abandoned_on_stop: list[str] = field(default_factory=list)
    gaps: int = 0

    def count(self, outcome: FeedOutcome) -> None:
        """Add one poll's outcome."""
        self.polls[outcome.outcome] += 1
        self.items += outcome.enqueued
        self.gaps += outcome.gap


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Scheduler:
    """Polls the feeds of a FEEDS file forever, each when it is due."""

    def __init__(
        self,
        ctx: FetchContext,
        feeds_path: Path,
        *,
        workers: int = 16,
        lock_ttl: float = 30.0,
        max_sleep: float = 2.0,
        progress_every: float = 60.0,
        stop_grace: float = 3.0,
    ) -> None:
        self.ctx = ctx
        self.feeds_path = feeds_path
        self.lock = SchedulerLock(ctx.redis, ctx.settings.key("scheduler", "lock"), ttl=lock_ttl)
        self.lock_ttl = lock_ttl
        self.max_sleep = max_sleep
        self.progress_every = progress_every
        self.stop_grace = stop_grace
        self.wake = threading.Event()
        self.pool: HostPool[FeedOutcome] = HostPool(
            workers=workers, per_host=ctx.settings.fetch_per_host, on_done=self.wake.set
        )
        self.feeds: dict[str, FeedSpec] = {}
        self.due: dict[str, float] = {}
        self.summary = SchedulerSummary()
        self._file_state: tuple[int, int, int] | None = None
        self._digest = ""

    def load(self, feed_list: FeedList | None = None) -> FeedList:
        """(Re)read FEEDS (unless given) and schedule its feeds: known ones when their health
        says, new ones now."""
        self._file_state = _stat(self.feeds_path)
        if feed_list is None:
            feed_list = load_feeds(self.feeds_path)
            for problem in feed_list.problems:
                log.warning("feeds_line_skipped", path=str(self.feeds_path), problem=str(problem))
        added = [f for f in feed_list.feeds if f.url not in self.feeds]
        removed = set(self.feeds) - {f.url for f in feed_list.feeds}
        self.feeds = {f.url: f for f in feed_list.feeds}
        now = self.ctx.clock()
        for health in load_many(self.ctx.redis, self.ctx.settings, [f.url for f in added]):
            self.due[health.url] = health.next_poll if health.next_poll is not None else now
        for url in removed:
            self.due.pop(url, None)
        self._digest = feed_list.digest
        log.info(
            "feeds_loaded",
            path=str(self.feeds_path),
            feeds=len(self.feeds),
            added=len(added),
            removed=len(removed),
            skipped_lines=len(feed_list.problems),
        )
        if not self.feeds:
            log.warning(
                "feeds_none_usable", path=str(self.feeds_path), waiting=True, hint=_WAITING_HINT
            )
        return feed_list

    def load_or_wait(self) -> None:
        """First read of FEEDS: a file that cannot be read is logged, and the scheduler
        waits for it to change as it does for a file with no usable feed."""
        try:
            self.load()
        except ConfigurationError as exc:
            log.error(
                "feeds_unreadable",
                path=str(self.feeds_path),
                reason=str(exc),
                waiting=True,
                hint=_WAITING_HINT,
            )

    def reload_if_changed(self) -> bool:
        """Re-read FEEDS when the file changed; a broken file keeps the current list."""
        state = _stat(self.feeds_path)
        if state == self._file_state:
            return False
        self._file_state = state
        try:
            digest_before = self._digest
            self.load()
        except ConfigurationError as exc:
            log.error("feeds_reload_failed", path=str(self.feeds_path), reason=str(exc))
            return False
        except Exception as exc:  # a parser bug must not stop the polling of the current list
            log.exception("feeds_reload_failed", path=str(self.feeds_path), reason=repr(exc))
            return False
        if self._digest != digest_before:
            self.summary.reloads += 1
            return True
        return False

    def collect(self) -> list[FeedOutcome]:
        """Record the polls that finished: their next poll time and the counts."""
        outcomes = []
        for url, future in self.pool.take_results():
            exc = future.exception()
            if exc is not None:  # Redis trouble: nothing recorded, try again soon
                log.error("feed_not_recorded", feed=url, error=f"{type(exc).__name__}: {exc}")
                outcome = FeedOutcome(url, "error", error=str(exc))
                self.due[url] = self.ctx.clock() + 60.0
            else:
                outcome = future.result()
                if url in self.due and outcome.next_poll is not None:
                    self.due[url] = outcome.next_poll
            self.summary.count(outcome)
            outcomes.append(outcome)
        return outcomes

    def tick(self) -> int:
        """One round: reload FEEDS if changed, record finished polls, start due ones."""
        self.reload_if_changed()
        self.collect()
        now = self.ctx.clock()
        started = 0
        for url, due in self.due.items():
            if due <= now and not self.pool.busy(url):
                feed = self.feeds[url]
                if self.pool.submit(url, feed.host, partial(fetch_one, self.ctx, feed)):
                    started += 1
        return started

    def seconds_until_due(self) -> float:
        """Real seconds to sleep before the next feed is due (capped by ``max_sleep``)."""
        waiting = [d for u, d in self.due.items() if not self.pool.busy(u)]
        if not waiting:
            return self.max_sleep
        return max(0.0, min(self.max_sleep, min(waiting) - self.ctx.clock()))

    def _wait_for_lock(self, stop: threading.Event, exit_if_locked: bool) -> bool:
        told = False
        while not stop.is_set():
            if self.lock.acquire():
                log.info("scheduler_lock_acquired", owner=self.lock.token)
                return True
            holder = self.lock.holder()
            if exit_if_locked:
                raise SchedulerLocked(f"another scheduler holds the lock: {holder}")
            if not told:
                log.warning("scheduler_lock_held", holder=holder, waiting=True)
                told = True
            stop.wait(min(5.0, self.lock_ttl / 3))
        return False

    def run(self, stop: threading.Event, *, exit_if_locked: bool = False) -> SchedulerSummary:
        """Take the lock, then poll until ``stop`` is set; release everything on the way out."""
        if not self._wait_for_lock(stop, exit_if_locked):
            self.pool.close()
            return self.summary
        renew_every = self.lock_ttl / 3
        renewed = last_progress = time.monotonic()
        outage = 0
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() - renewed >= renew_every:
                        if not self.lock.renew():
                            log.error("scheduler_lock_lost", key=self.lock.key)
                            self.summary.lock_lost = True
                            break
                        renewed = time.monotonic()
                    self.wake.clear()  # before tick: a poll finishing during it wakes the wait
                    self.tick()
                    outage = 0
                except RedisError as exc:
                    # Keep running through a Redis outage; if it outlasts the lock's TTL,
                    # the next renewal finds the lock gone and the scheduler stops.
                    outage += 1
                    log.error("scheduler_redis_failed", error=str(exc), attempt=outage)
                    stop.wait(min(2.0**outage, renew_every))
                    continue
                if time.monotonic() - last_progress >= self.progress_every:
                    self._log_progress()
                    last_progress = time.monotonic()
                timeout = min(self.seconds_until_due(), renew_every)
                if timeout > 0:
                    self.wake.wait(timeout)
        finally:
            self.summary.dropped_on_stop = self.pool.cancel_queued()
            in_flight = self.pool.pending
            log.info(
                "scheduler_stopping", in_flight=in_flight, dropped=self.summary.dropped_on_stop
            )
            self.summary.abandoned_on_stop = self.pool.close(timeout=self.stop_grace)
            if self.summary.abandoned_on_stop:
                log.warning(
                    "scheduler_fetches_abandoned",
                    feeds=self.summary.abandoned_on_stop,
                    grace=self.stop_grace,
                )
            self.collect()
            if not self.summary.lock_lost:
                try:
                    self.lock.release()
                except RedisError as exc:  # it expires by itself after its TTL
                    log.error("scheduler_lock_not_released", error=str(exc))
            self._log_progress(event="scheduler_stopped")
        return self.summary

    def _log_progress(self, event: str = "scheduler_progress") -> None:
        now = self.ctx.clock()
        if not self.feeds and event == "scheduler_progress":
            log.warning(
                "scheduler_waiting_for_feeds", path=str(self.feeds_path), hint=_WAITING_HINT
            )
        log.info(
            event,
            feeds=len(self.feeds),
            due_now=sum(1 for d in self.due.values() if d <= now),
            in_flight=self.pool.pending,
            polls=dict(self.summary.polls),
            items_enqueued=self.summary.items,
            gaps=self.summary.gaps,
            reloads=self.summary.reloads,
        )
