"""Fetch one feed end to end, or a list of them with a per-host concurrency limit.

One poll: conditional GET -> unchanged body check -> parse -> seen-item filter -> enqueue
-> health update with the next poll time. A feed's failure is recorded in its health and
logged (never a dead letter), and never stops the other feeds.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import httpx
import structlog
from redis import Redis
from redis.exceptions import RedisError

from pipeline.errors import FetchError, PermanentFetchError
from pipeline.fetch import http as fetch_http
from pipeline.fetch.feeds.coverage import Gap, find_gap, listing_dates
from pipeline.fetch.feeds.failures import classify_failure
from pipeline.fetch.feeds.feedlist import FeedSpec
from pipeline.fetch.feeds.health import FeedHealth, load_health, save_health
from pipeline.fetch.feeds.items import filter_seen, mark_seen
from pipeline.fetch.feeds.outcome import FeedOutcome
from pipeline.fetch.feeds.parse import feed as feedparse
from pipeline.fetch.feeds.policy import PollBounds, PollHints, parse_max_age
from pipeline.fetch.feeds.pool import HostPool
from pipeline.fetch.feeds.records import record_poll
from pipeline.fetch.feeds.transitions import (
    HARD_WEIGHT,
    after_failure,
    after_success,
    failure_weight,
    schedule_next,
)
from pipeline.models import RawItem
from pipeline.settings import Settings

__all__ = [
    "EnqueueFn",
    "FeedOutcome",
    "FetchContext",
    "default_enqueue",
    "fetch_all",
    "fetch_one",
    "open_context",
]

log = structlog.get_logger()


class EnqueueFn(Protocol):
    """Puts items on the queue; returns how many jobs it created."""

    def __call__(self, redis: Redis, settings: Settings, items: Sequence[RawItem]) -> int: ...


def default_enqueue(redis: Redis, settings: Settings, items: Sequence[RawItem]) -> int:
    """Enqueue through the producers' door: items whose text is short go to the page queue
    (their page is fetched), the rest in batched RQ jobs; returns the jobs created."""
    from pipeline.fetch.pages.route import route_items  # the RQ stack only when items go out

    return route_items(redis, settings, items).enqueued.jobs


@dataclass
class FetchContext:
    """What polling needs, built once per command: clients, settings and seams."""

    settings: Settings
    redis: Redis
    client: httpx.Client
    limits: fetch_http.FetchLimits
    enqueue: EnqueueFn = default_enqueue
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)

    @property
    def bounds(self) -> PollBounds:
        """The polling interval bounds from the settings."""
        return PollBounds.from_settings(self.settings)


@contextmanager
def open_context(
    settings: Settings, redis: Redis, *, enqueue: EnqueueFn = default_enqueue
) -> Iterator[FetchContext]:
    """A FetchContext with a guarded HTTP client built from ``settings``; closes the client."""
    limits = fetch_http.FetchLimits.from_settings(settings)
    with fetch_http.build_client(limits) as client:
        yield FetchContext(
            settings=settings, redis=redis, client=client, limits=limits, enqueue=enqueue
        )


@dataclass(frozen=True)
class _Polled:
    """One poll's result before its next poll is planned."""

    outcome: FeedOutcome
    health: FeedHealth
    hints: PollHints
    at: float  # when the answer (or the error) came
    listing_rate: float | None = None
    gap: Gap | None = None
    kind: str = ""  # the poll's outcome for the counters: POLL_OUTCOMES
    parse_seconds: float | None = None
    items: int = 0


def _poll(ctx: FetchContext, feed: FeedSpec, health: FeedHealth, started: float) -> _Polled:
    response = fetch_http.fetch_feed(
        ctx.client,
        feed.url,
        limits=ctx.limits,
        etag=health.etag,
        last_modified=health.last_modified,
    )
    now = ctx.clock()
    hints = PollHints(
        max_age=parse_max_age(response.headers.get("cache-control")), ttl=health.hint_floor
    )
    validators: dict[str, Any] = {"etag": response.etag, "last_modified": response.last_modified}
    if response.status == 304 or response.body is None:
        health = after_success(
            health, now=now, started=started, outcome="not_modified", **validators
        )
        return _Polled(
            FeedOutcome(feed.url, "not_modified"), health, hints, now, kind="not_modified"
        )
    body_hash = hashlib.blake2b(response.body, digest_size=20).hexdigest()
    if body_hash == health.content_hash:
        health = after_success(health, now=now, started=started, outcome="unchanged", **validators)
        return _Polled(FeedOutcome(feed.url, "unchanged"), health, hints, now, kind="unchanged")
    parse_started = time.perf_counter()
    parsed = feedparse.parse_feed(
        response.body,
        feed_url=feed.url,
        content_type=response.headers.get("content-type"),
        fetched=datetime.fromtimestamp(now, UTC),
    )
    parse_seconds = time.perf_counter() - parse_started
    items = parsed.items
    if feed.name and not parsed.title:
        items = [
            i if i.source_name else i.model_copy(update={"source_name": feed.name}) for i in items
        ]
    seen = filter_seen(ctx.redis, ctx.settings, feed.url, items)
    jobs = ctx.enqueue(ctx.redis, ctx.settings, seen.to_enqueue) if seen.to_enqueue else 0
    mark_seen(ctx.redis, ctx.settings, seen)  # only after the queue has them
    declared = PollHints(ttl=parsed.ttl_seconds, update_period=parsed.update_period_seconds)
    hints = replace(hints, ttl=declared.ttl, update_period=declared.update_period)
    listing = listing_dates((i.published for i in items), listed=seen.listed, now=now)
    previous_listed = health.listed if health.listed is not None else min(health.items_total, 1)
    gap = find_gap(
        previous_listed=previous_listed,
        known=seen.known,
        listing=listing,
        previous_newest=health.newest_item_at,
        previous_poll=health.last_success,
    )
    health = after_success(
        health,
        now=now,
        started=started,
        outcome="new",
        new_items=len(seen.new),
        content_hash=body_hash,
        title=parsed.title,
        hint_floor=declared.floor or None,
        warning=parsed.warning,
        listing=listing,
        gap=gap,
        **validators,
    )
    outcome = FeedOutcome(
        feed.url,
        "new",
        new_items=len(seen.new),
        changed_items=len(seen.changed),
        skipped_items=seen.skipped,
        jobs=jobs,
        warning=parsed.warning,
        gap=gap is not None,
        missed=gap.missed if gap else None,
    )
    return _Polled(
        outcome,
        health,
        hints,
        now,
        listing.rate_per_second,
        gap,
        kind="new",
        parse_seconds=parse_seconds,
        items=len(items),
    )


def _failed(health: FeedHealth, started: float, now: float, exc: Exception) -> _Polled:
    if isinstance(exc, FetchError):
        reason, status, weight = exc.reason, exc.status, failure_weight(exc)
        permanent, retry_after = isinstance(exc, PermanentFetchError), exc.retry_after
    else:  # a bug must cost this feed, never the others
        reason, status, weight = f"unexpected {type(exc).__name__}: {exc}", None, HARD_WEIGHT
        permanent, retry_after = True, None
    health = after_failure(
        health,
        now=now,
        started=started,
        reason=reason,
        permanent=permanent,
        status=status,
        weight=weight,
        retry_after=retry_after,
    )
    outcome = FeedOutcome(health.url, "error", error=reason, error_status=status)
    hints = PollHints(ttl=health.hint_floor, retry_after=retry_after)
    return _Polled(outcome, health, hints, now, kind=classify_failure(exc))


def fetch_one(ctx: FetchContext, feed: FeedSpec) -> FeedOutcome:
    """Poll one feed once, enqueue its new items, record its health and next poll."""
    bound = log.bind(feed=feed.url)
    started_monotonic = time.monotonic()
    started = ctx.clock()
    health = load_health(ctx.redis, ctx.settings, feed.url)
    if feed.name and health.name != feed.name:
        health = replace(health, name=feed.name)
    before = health
    try:
        polled = _poll(ctx, feed, health, started)
    except RedisError:
        raise  # nothing can be recorded; the caller reports it
    except Exception as exc:
        if not isinstance(exc, FetchError):
            bound.exception("feed_crashed")
        polled = _failed(health, started, ctx.clock(), exc)  # dated when it happened
    health = schedule_next(
        polled.health,
        now=polled.at,
        bounds=ctx.bounds,
        pinned=feed.interval,
        hints=polled.hints,
        listing_rate=polled.listing_rate,
        gap=polled.gap,
        jitter=ctx.rng.uniform(-1.0, 1.0),
    )
    gap = polled.gap
    counters = {"gaps": 1, "missed": gap.missed or 0} if gap else None
    save_health(ctx.redis, ctx.settings, health, counters=counters)
    record_poll(
        ctx.redis,
        ctx.settings,
        feed.host,
        polled.kind,
        parse_seconds=polled.parse_seconds,
        items=polled.items,
    )
    outcome = replace(
        polled.outcome, next_poll=health.next_poll, elapsed=time.monotonic() - started_monotonic
    )
    next_in = round((health.next_poll or polled.at) - polled.at)
    if outcome.outcome == "error":
        bound.warning(
            "feed_failed",
            reason=outcome.error,
            status=outcome.error_status,
            failures=health.consecutive_failures,
            retry_after=health.retry_after,
            retry_in=next_in,
        )
        return outcome
    if gap is not None:
        bound.warning(
            "feed_gap",
            listed=gap.listed,
            missed_estimate=gap.missed,
            since_last_success=round(polled.at - (before.last_success or polled.at)),
            next_in=next_in,
        )
    bound.info(
        "feed_fetched",
        outcome=outcome.outcome,
        new=outcome.new_items,
        changed=outcome.changed_items,
        warning=outcome.warning,
        next_in=next_in,
    )
    return outcome


def _crashed(url: str, exc: BaseException) -> FeedOutcome:
    log.error("feed_not_recorded", feed=url, error=f"{type(exc).__name__}: {exc}")
    return FeedOutcome(url, "error", error=f"not recorded: {type(exc).__name__}: {exc}")


def fetch_all(
    ctx: FetchContext, feeds: Sequence[FeedSpec], *, workers: int = 16
) -> list[FeedOutcome]:
    """Poll every feed once, at most ``settings.fetch_per_host`` at a time per host."""
    pool: HostPool[FeedOutcome] = HostPool(workers=workers, per_host=ctx.settings.fetch_per_host)
    try:
        for feed in feeds:
            pool.submit(feed.url, feed.host, partial(fetch_one, ctx, feed))
        pool.wait_idle()
        by_url: dict[str, FeedOutcome] = {}
        for url, future in pool.take_results():
            exc = future.exception()
            by_url[url] = _crashed(url, exc) if exc is not None else future.result()
    finally:
        pool.close()
    return [by_url[feed.url] for feed in feeds]
