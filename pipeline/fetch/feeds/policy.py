"""When to poll a feed next: pure arithmetic, no I/O.

Two aims set a feed's base interval. *Coverage*: the feed must not publish more than it
lists between two polls, or items fall off its listing unseen; the interval is at most
``COVERAGE_SHARE`` of the time the feed takes to publish a whole listing (measured, or
read from its items' dates on a first poll). *Freshness*:
about one new item per poll, never more often than the start interval for freshness
alone, and never more often than the publisher's hints (``Cache-Control: max-age``,
``<ttl>``, ``sy:updatePeriod``) or a pinned interval ask. The shorter of the two wins, so
a hint or a pin can slow polling down but never make the pipeline lose items. Everything
stays within [min, max] (``PollBounds``).

After a failure the delay starts from the feed's normal interval and doubles with each
further consecutive failure; a ``Retry-After`` is honoured as given (within the bounds).
A gap (every listed item new) sends the next poll to the minimum interval at once.
Jitter spreads feeds so they do not align.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from pipeline.settings import Settings

__all__ = [
    "COVERAGE_SHARE",
    "GROWTH",
    "JITTER",
    "PRIOR_ITEMS",
    "PRIOR_SECONDS",
    "RATE_HALF_LIFE",
    "RECENT_WEIGHT",
    "PollBounds",
    "PollHints",
    "base_interval",
    "declared_interval",
    "failure_delay",
    "first_interval",
    "jittered",
    "parse_max_age",
    "update_rate",
    "update_recent_rate",
]

JITTER = 0.1  # +/- 10 % of the delay
# Poll when the feed has published at most a third of a listing: room for one failed poll
# (the retry comes a normal interval later) plus jitter, before anything falls off.
COVERAGE_SHARE = 1 / 3
RATE_HALF_LIFE = 7 * 86_400.0
# The long-term rate starts from a prior of one item an hour, worth four hours of watching,
# so one empty poll of a new feed does not send it straight to the ceiling.
PRIOR_SECONDS = 4 * 3600.0
PRIOR_ITEMS = 4.0
# The recent rate forgets half of what it knew at each poll: it follows a feed that changes
# pace within a few polls, where the long-term rate would take days.
RECENT_WEIGHT = 0.5
# An interval grows at most this much from one poll to the next, so a rate measured over a
# short window (after a gap, say) is checked over longer ones before it is trusted.
GROWTH = 2.0

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class PollBounds:
    """The interval limits, in seconds: never below ``min``, never above ``max``;
    ``start`` is where a new feed begins and the shortest interval freshness alone picks."""

    min: float
    max: float
    start: float

    @classmethod
    def from_settings(cls, settings: Settings) -> PollBounds:
        """PIPELINE_FEED_MIN_INTERVAL, _MAX_INTERVAL and _START_INTERVAL."""
        return cls(
            min=settings.feed_min_interval,
            max=settings.feed_max_interval,
            start=settings.feed_start_interval,
        )

    def clamp(self, seconds: float) -> float:
        """``seconds`` brought within [min, max]."""
        return min(self.max, max(self.min, seconds))


@dataclass(frozen=True)
class PollHints:
    """What the publisher said about polling, in seconds (None: said nothing)."""

    max_age: float | None = None
    ttl: float | None = None
    update_period: float | None = None
    retry_after: float | None = None

    @property
    def floor(self) -> float:
        """The shortest interval the publisher's hints ask for (0: no hint)."""
        return max((v for v in (self.max_age, self.ttl, self.update_period) if v), default=0.0)


def parse_max_age(cache_control: str | None) -> float | None:
    """Seconds of ``max-age`` in a Cache-Control header, or None."""
    if not cache_control:
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def update_rate(
    items: float, seconds: float, *, new_items: int, elapsed: float
) -> tuple[float, float]:
    """Fold one observation into the decayed (items, seconds) sums of the long-term rate."""
    elapsed = max(elapsed, 0.0)
    factor = math.pow(0.5, elapsed / RATE_HALF_LIFE)
    return items * factor + new_items, seconds * factor + elapsed


def update_recent_rate(
    items: float, seconds: float, *, new_items: int, elapsed: float
) -> tuple[float, float]:
    """Fold one observation into the (items, seconds) sums of the recent rate."""
    return items * RECENT_WEIGHT + new_items, seconds * RECENT_WEIGHT + max(elapsed, 0.0)


def _coverage(rate_per_second: float, listed: int | None) -> float:
    """Seconds in which the feed publishes ``COVERAGE_SHARE`` of its listing (inf: no limit)."""
    if rate_per_second <= 0 or not listed:
        return math.inf
    return COVERAGE_SHARE * listed / rate_per_second


def base_interval(
    bounds: PollBounds,
    *,
    rate_per_second: float,
    listed: int | None,
    measured_rate: float | None = None,
    pinned: float | None = None,
    hints: PollHints | None = None,
    previous: float | None = None,
) -> float:
    """The interval between successful polls: the shorter of freshness and coverage, and at
    most ``GROWTH`` times the ``previous`` one.

    Freshness follows ``rate_per_second`` (which may lean on a prior); coverage follows
    ``measured_rate`` (what polls actually saw; ``rate_per_second`` when not given), so a
    guess never overrides what the publisher asked for.
    """
    if pinned:
        freshness = pinned
    else:
        one_item = 1.0 / rate_per_second if rate_per_second > 0 else math.inf
        freshness = max(one_item, bounds.start, hints.floor if hints else 0.0)
    coverage_rate = rate_per_second if measured_rate is None else measured_rate
    desired = min(freshness, _coverage(coverage_rate, listed))
    if previous:
        desired = min(desired, GROWTH * previous)
    return bounds.clamp(desired)


def declared_interval(
    bounds: PollBounds, *, pinned: float | None = None, hints: PollHints | None = None
) -> float:
    """A feed's interval before anything is measured: pinned, else what the feed declares,
    else the start interval."""
    return bounds.clamp(pinned or (hints.floor if hints else 0.0) or bounds.start)


def first_interval(
    bounds: PollBounds,
    *,
    listing_rate: float | None,
    listed: int | None,
    pinned: float | None = None,
    hints: PollHints | None = None,
) -> float:
    """The interval after a feed's first poll: pinned, else what it declares, else the start
    interval; shorter when its items' dates say it would overflow its listing before then.
    A listing whose dates tell nothing (none, or all alike) is looked at again after the
    minimum interval, to measure the feed (``GROWTH`` then stretches the interval)."""
    if pinned or (hints and hints.floor) or listing_rate is not None:
        desired = declared_interval(bounds, pinned=pinned, hints=hints)
    else:
        desired = bounds.min
    return bounds.clamp(min(desired, _coverage(listing_rate or 0.0, listed)))


def failure_delay(
    bounds: PollBounds, normal: float, *, consecutive_failures: int, retry_after: float | None
) -> float:
    """Seconds until the poll after a failure: the server's Retry-After when it gave one,
    else the normal interval doubled for each failure after the first."""
    if retry_after is not None:
        return bounds.clamp(retry_after)
    doublings = min(max(consecutive_failures - 1, 0), 32)
    return bounds.clamp(normal * math.pow(2.0, doublings))


def jittered(bounds: PollBounds, delay: float, jitter: float) -> float:
    """``delay`` moved by jitter in [-1, 1] (at most ``JITTER`` of it), within the bounds."""
    return bounds.clamp(delay * (1.0 + JITTER * max(-1.0, min(1.0, jitter))))
