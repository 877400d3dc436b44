"""How one poll changes a feed's health: pure functions from (health, what happened) to
the new health. No I/O; ``fetcher`` calls them and ``health.save_health`` stores the result.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.errors import FetchError, PermanentFetchError
from pipeline.fetch.feeds.coverage import Gap, ListingDates
from pipeline.fetch.feeds.health import FeedHealth, Outcome
from pipeline.fetch.feeds.policy import (
    PollBounds,
    PollHints,
    base_interval,
    declared_interval,
    failure_delay,
    first_interval,
    jittered,
    update_rate,
    update_recent_rate,
)

__all__ = [
    "HARD_WEIGHT",
    "NETWORK_WEIGHT",
    "STATUS_WEIGHT",
    "after_failure",
    "after_success",
    "failure_weight",
    "schedule_next",
]

# Hard errors (refused address, malformed, too big, 401/403...) say something is wrong with
# the feed; 404/410/429/5xx may be a bad day; a DNS or connection hiccup is the lightest.
HARD_WEIGHT = 3.0
STATUS_WEIGHT = 1.0
NETWORK_WEIGHT = 0.5
_STATUS_ERRORS = frozenset({404, 408, 410, 429})


def failure_weight(error: FetchError) -> float:
    """How much one failure counts: hard errors > 404/429/5xx > network hiccups."""
    status = error.status
    if status is not None:
        return STATUS_WEIGHT if status in _STATUS_ERRORS or status >= 500 else HARD_WEIGHT
    return HARD_WEIGHT if isinstance(error, PermanentFetchError) else NETWORK_WEIGHT


def _with_gap(health: FeedHealth, gap: Gap | None, now: float) -> FeedHealth:
    if gap is None:
        return health
    return replace(
        health,
        gaps=health.gaps + 1,
        last_gap_at=now,
        last_gap_missed=gap.missed,
        missed_total=health.missed_total + (gap.missed or 0),
    )


def after_success(
    health: FeedHealth,
    *,
    now: float,
    started: float | None = None,
    outcome: Outcome,
    new_items: int = 0,
    etag: str | None = None,
    last_modified: str | None = None,
    content_hash: str | None = None,
    title: str | None = None,
    hint_floor: float | None = None,
    warning: str | None = None,
    listing: ListingDates | None = None,
    gap: Gap | None = None,
) -> FeedHealth:
    """The health after a successful poll (new items, 304, or an unchanged body) that
    started at ``started`` and got its answer at ``now``.

    ``listing`` is given when a body was parsed; ``gap`` when it shared no item with the
    previous listing, in which case the items it probably missed count into the rate too.
    """
    counted = health.last_success is not None  # a first fetch's backlog says nothing of rate
    rate_items, rate_seconds = health.rate_items, health.rate_seconds
    recent_items, recent_seconds = health.recent_items, health.recent_seconds
    last_rate = health.last_rate
    if counted and health.last_success is not None:
        published = new_items + ((gap.missed or 0) if gap else 0)
        elapsed = now - health.last_success
        rate_items, rate_seconds = update_rate(
            rate_items, rate_seconds, new_items=published, elapsed=elapsed
        )
        recent_items, recent_seconds = update_recent_rate(
            recent_items, recent_seconds, new_items=published, elapsed=elapsed
        )
        last_rate = published / elapsed if elapsed > 0 else last_rate
    parsed = outcome == "new"
    updated = replace(
        health,
        etag=etag or health.etag,
        last_modified=last_modified or health.last_modified,
        content_hash=content_hash or health.content_hash,
        title=title or health.title,
        hint_floor=hint_floor if parsed else health.hint_floor,
        last_warning=warning if parsed else health.last_warning,
        listed=listing.listed if listing is not None else health.listed,
        newest_item_at=listing.newest if listing is not None else health.newest_item_at,
        first_seen=health.first_seen or now,
        last_fetch=started if started is not None else now,
        last_outcome=outcome,
        last_success=now,
        failure_weight=health.failure_weight / 2 if health.failure_weight >= 0.01 else 0.0,
        consecutive_failures=0,
        rate_items=rate_items,
        rate_seconds=rate_seconds,
        recent_items=recent_items,
        recent_seconds=recent_seconds,
        last_rate=last_rate,
        items_counted=health.items_counted + (new_items if counted else 0),
        items_total=health.items_total + new_items,
        fetches=health.fetches + 1,
        successes=health.successes + 1,
    )
    if new_items:
        updated = replace(updated, last_new_item=now, usual_rate=updated.items_per_day)
    return _with_gap(updated, gap, now)


def after_failure(
    health: FeedHealth,
    *,
    now: float,
    started: float | None = None,
    reason: str,
    permanent: bool,
    status: int | None,
    weight: float,
    retry_after: float | None = None,
) -> FeedHealth:
    """The health after a failed poll that started at ``started``, dated ``now`` (when the
    error happened: a timeout is dated at its end, not at its start); validators
    and content hash are kept as they were."""
    return replace(
        health,
        first_seen=health.first_seen or now,
        last_fetch=started if started is not None else now,
        last_outcome="error",
        last_error_at=now,
        last_error=reason,
        last_error_kind="permanent" if permanent else "transient",
        last_error_status=status,
        retry_after=retry_after,
        failure_weight=health.failure_weight + weight,
        consecutive_failures=health.consecutive_failures + 1,
        fetches=health.fetches + 1,
    )


def schedule_next(
    health: FeedHealth,
    *,
    now: float,
    bounds: PollBounds,
    pinned: float | None = None,
    hints: PollHints | None = None,
    listing_rate: float | None = None,
    gap: Gap | None = None,
    jitter: float = 0.0,
) -> FeedHealth:
    """``health`` (after a poll that ended at ``now``) with its normal interval and next poll.

    After a failure: the server's Retry-After, else back-off from the normal interval.
    After a feed's first success: its start interval (see ``policy.first_interval``,
    which ``listing_rate``, from the items' dates, may shorten). Later: freshness and
    coverage from the measured rate, growing at most twofold per poll. A gap sends the
    next poll, and the normal interval, to the minimum at once.
    """
    hints = hints or PollHints(ttl=health.hint_floor)
    if health.last_outcome == "error":
        normal = health.interval or declared_interval(bounds, pinned=pinned, hints=hints)
        delay = failure_delay(
            bounds,
            normal,
            consecutive_failures=health.consecutive_failures,
            retry_after=hints.retry_after,
        )
        if hints.retry_after is None:  # the server's own time is kept as given
            delay = jittered(bounds, delay, jitter)
        return replace(health, interval=normal, next_poll=now + delay)
    if health.successes <= 1:
        base = first_interval(
            bounds, listing_rate=listing_rate, listed=health.listed, pinned=pinned, hints=hints
        )
    else:
        base = base_interval(
            bounds,
            rate_per_second=health.polling_rate,
            measured_rate=health.measured_rate,
            listed=health.listed,
            pinned=pinned,
            hints=hints,
            previous=health.interval,
        )
    if gap is not None:  # look again at once, and grow back from there
        return replace(health, interval=bounds.min, next_poll=now + bounds.min)
    return replace(health, interval=base, next_poll=now + jittered(bounds, base, jitter))
