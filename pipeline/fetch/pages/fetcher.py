"""The page fetcher: an asyncio loop with many pages in flight, feeding the ingest queue.

Each turn it claims what the frontier lets start now (per-host limits hold across every
fetcher process), runs each page as its own task (robots.txt, fetch, extraction in a
worker pool), and puts finished items on the ingest queue in batches. When the ingest
queue holds more than PIPELINE_PAGES_MAX_BACKLOG jobs it stops claiming (back-pressure):
NER sets the pace, Redis does not fill up. A task is settled in the frontier only after
its item is on the ingest queue, so a fetcher killed at any point loses nothing (the
lease runs out and another fetcher takes the page again).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import structlog
from redis import Redis

from pipeline.fetch.http import FetchLimits, build_async_client
from pipeline.fetch.http.guard import Resolver
from pipeline.fetch.pages.attempt import HTML_ACCEPT, AttemptContext, Outcome, Retry, attempt_page
from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.records import record_outcome, record_retry
from pipeline.fetch.pages.robots import UNREACHABLE_TTL, RobotsRules
from pipeline.models import RawItem
from pipeline.queueing import EnqueueSummary, enqueue_items, make_queue
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter
from pipeline.telemetry.record import write_records

__all__ = ["PAGE_MAX_BYTES", "FetcherSummary", "PageFetcher", "page_limits"]

log = structlog.get_logger()

PAGE_MAX_BYTES = 5 * 1024 * 1024
_TICK = 0.5  # the longest the loop sleeps before looking at the stop flag and the queue
_BACKLOG_CHECK = 0.5


def page_limits(settings: Settings) -> FetchLimits:
    """The feed fetch limits, with the page size cap."""
    limits = FetchLimits.from_settings(settings)
    return FetchLimits(
        timeout=limits.timeout,
        max_bytes=min(limits.max_bytes, PAGE_MAX_BYTES),
        max_redirects=limits.max_redirects,
        user_agent=limits.user_agent,
        allow_private=limits.allow_private,
        allowed_hosts=limits.allowed_hosts,
        proxy=limits.proxy,
    )


@dataclass
class FetcherSummary:
    """What one run of the fetcher did."""

    outcomes: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    dead_letters: int = 0
    enqueued: EnqueueSummary = field(default_factory=EnqueueSummary)

    @property
    def pages(self) -> int:
        """Links finished (page or fallback)."""
        return sum(self.outcomes.values())


class PageFetcher:
    """Claims links from the frontier, fetches their pages, enqueues the articles."""

    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        *,
        limits: FetchLimits | None = None,
        resolver: Resolver | None = None,
        extract_pool: Executor | None = None,
        backoff: float = 5.0,
        unreachable_ttl: float = UNREACHABLE_TTL,
        linger: float = 1.0,
        enqueue: Callable[[Redis, Settings, Iterable[RawItem]], EnqueueSummary] = enqueue_items,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.limits = limits or page_limits(settings)
        self.resolver = resolver
        self.extract_pool = extract_pool
        self.backoff = backoff
        self.unreachable_ttl = unreachable_ttl
        self.linger = linger
        self.enqueue = enqueue
        self.clock = clock
        self.frontier = Frontier(redis, settings)
        self.writer = BatchWriter(redis, settings)
        # a claimed page must be settled before its lease ends: fetch, robots.txt and a wait
        self.lease = 3 * self.limits.timeout + 60
        self.summary = FetcherSummary()
        self._backlog_at = 0.0
        self._paused = False

    def run(self, *, burst: bool = False, stop: threading.Event | None = None) -> FetcherSummary:
        """Fetch until ``stop`` is set, or (``burst``) until no page work is left."""
        asyncio.run(self.run_async(burst=burst, stop=stop or threading.Event()))
        return self.summary

    async def run_async(self, *, burst: bool, stop: threading.Event) -> None:
        """The loop; see the module's docstring."""
        capacity = self.settings.pages_in_flight
        client = build_async_client(
            self.limits, resolver=self.resolver, accept=HTML_ACCEPT, max_connections=capacity
        )
        robots = RobotsRules(
            client, self.limits, self.redis, self.settings, unreachable_ttl=self.unreachable_ttl
        )
        ctx = AttemptContext(
            client=client,
            limits=self.limits,
            robots=robots,
            extract_pool=self.extract_pool,
            retries=self.settings.pages_retries,
            backoff=self.backoff,
            clock=self.clock,
        )
        running: set[asyncio.Task[Outcome | Retry]] = set()
        buffer: list[Outcome] = []
        oldest = 0.0
        log.info("pages_fetcher_started", in_flight=capacity, burst=burst)
        try:
            while not stop.is_set():
                wake = None
                if len(running) < capacity and not await self._backlogged():
                    claim = await asyncio.to_thread(
                        self.frontier.claim,
                        now=self.clock(),
                        most=capacity - len(running),
                        lease=self.lease,
                    )
                    wake = claim.wake
                    for task in claim.tasks:
                        running.add(asyncio.create_task(attempt_page(ctx, task)))
                for done in [t for t in running if t.done()]:
                    running.discard(done)
                    result = done.result()
                    if isinstance(result, Retry):
                        await asyncio.to_thread(self._retry, result)
                    else:
                        oldest = oldest if buffer else time.monotonic()
                        buffer.append(result)
                        await asyncio.to_thread(self._free, result)
                full = len(buffer) >= self.settings.batch_size
                if buffer and (full or not running or time.monotonic() - oldest >= self.linger):
                    await asyncio.to_thread(self._flush, buffer)
                    buffer = []
                if burst and not running and not buffer:
                    depth = await asyncio.to_thread(self.frontier.depth)
                    if depth.empty:
                        break
                timeout = _TICK if wake is None else min(_TICK, max(0.0, wake - self.clock()))
                if buffer:
                    timeout = min(timeout, max(0.0, oldest + self.linger - time.monotonic()))
                if running:
                    await asyncio.wait(
                        running, timeout=timeout or 0.001, return_when=asyncio.FIRST_COMPLETED
                    )
                else:
                    await asyncio.sleep(timeout or 0.001)
            await self._drain(running, buffer)
        finally:
            await client.aclose()
            log.info("pages_fetcher_stopped", pages=self.summary.pages, **self.summary.outcomes)

    async def _drain(
        self, running: set[asyncio.Task[Outcome | Retry]], buffer: list[Outcome]
    ) -> None:
        """On stop: let pages in flight finish (each ends by its deadline), give back the
        rest untried, and put what finished on the queue."""
        if running:
            finished, unfinished = await asyncio.wait(running, timeout=self.limits.timeout + 5)
            for task in unfinished:
                task.cancel()
            for done in finished:
                result = done.result()
                if isinstance(result, Retry):
                    await asyncio.to_thread(self._retry, result)
                else:
                    buffer.append(result)
        if buffer:
            await asyncio.to_thread(self._flush, buffer)

    async def _backlogged(self) -> bool:
        """True while the ingest queue is longer than PIPELINE_PAGES_MAX_BACKLOG jobs."""
        now = time.monotonic()
        if now - self._backlog_at < _BACKLOG_CHECK:
            return self._paused
        self._backlog_at = now
        queued = await asyncio.to_thread(lambda: make_queue(self.redis, self.settings).count)
        paused = queued > self.settings.pages_max_backlog
        if paused != self._paused:
            event = "pages_paused_for_backlog" if paused else "pages_resumed"
            log.info(event, queued_jobs=queued, max_backlog=self.settings.pages_max_backlog)
            self._paused = paused
            self.redis.set(self.settings.key("pages", "paused"), int(paused), ex=60)
        return paused

    def _free(self, outcome: Outcome) -> None:
        """The request is over: the host may take the next one now, while the item waits
        for its batch."""
        delay = outcome.crawl_delay
        self.frontier.settle(
            outcome.task,
            "free",
            now=self.clock(),
            host_delay=delay if delay and delay > self.settings.pages_host_delay else None,
        )

    def _retry(self, retry: Retry) -> None:
        task = retry.task
        log.info("page_retry_scheduled", url=task.url, attempt=task.attempts, reason=retry.reason)
        record_retry(self.redis, self.settings, task.host, retry.reason)
        self.summary.retries += 1
        self.frontier.settle(
            task, "retry", now=self.clock(), due=retry.due, host_not_before=retry.host_not_before
        )

    def _flush(self, outcomes: list[Outcome]) -> None:
        """Items onto the ingest queue, dead letters into their stream, then settle."""
        items = [o.item for o in outcomes if o.item is not None]
        dead = [o.dead for o in outcomes if o.dead is not None]
        if items:
            self.summary.enqueued.add(self.enqueue(self.redis, self.settings, items))
        if dead:
            result = self.writer.write([], dead)
            written = sum(1 for d in result.dead if d.status == "dead")
            self.summary.dead_letters += written
            write_records(self.redis, self.settings, None, {"dead": written})
        now = self.clock()
        for outcome in outcomes:
            self.frontier.settle(outcome.task, "done", now=now)
            record_outcome(
                self.redis,
                self.settings,
                outcome.task.host,
                outcome.outcome,
                latency=outcome.latency,
                error=outcome.error,
            )
            counts = self.summary.outcomes
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        log.info("pages_enqueued", items=len(items), dead_letters=len(dead))
