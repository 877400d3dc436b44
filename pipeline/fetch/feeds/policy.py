"""When to poll a feed next: pure arithmetic, no I/O.

The base interval follows the feed's observed rate of new items (about one new item per
poll), is never shorter than what the publisher asks for (``Cache-Control: max-age``,
``<ttl>``, ``sy:updatePeriod``), and stays within [MIN_INTERVAL, MAX_INTERVAL]. Failures
double it per consecutive failure up to MAX_INTERVAL; a feed always has a next poll.
``Retry-After`` is a floor for the next poll. Jitter spreads feeds so they do not align.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_INTERVAL",
    "JITTER",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "PRIOR_ITEMS",
    "PRIOR_SECONDS",
    "RATE_HALF_LIFE",
    "PollHints",
    "base_interval",
    "next_delay",
    "parse_max_age",
    "update_rate",
]

MIN_INTERVAL = 300.0
MAX_INTERVAL = 86_400.0
DEFAULT_INTERVAL = 3600.0
JITTER = 0.1  # +/- 10 % of the delay
RATE_HALF_LIFE = 7 * 86_400.0
# The rate estimate starts from a prior of one item an hour, worth four hours of watching,
# so one empty poll of a new feed does not send it straight to the daily ceiling.
PRIOR_SECONDS = 4 * DEFAULT_INTERVAL
PRIOR_ITEMS = 4.0

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class PollHints:
    """What the publisher said about polling, in seconds (None: said nothing)."""

    max_age: float | None = None
    ttl: float | None = None
    update_period: float | None = None
    retry_after: float | None = None

    @property
    def floor(self) -> float:
        """The shortest base interval the publisher's hints allow."""
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
    """Fold one observation into the decayed (items, seconds) sums of the rate estimate."""
    elapsed = max(elapsed, 0.0)
    factor = math.pow(0.5, elapsed / RATE_HALF_LIFE)
    return items * factor + new_items, seconds * factor + elapsed


def _clamp(value: float) -> float:
    return min(MAX_INTERVAL, max(MIN_INTERVAL, value))


def base_interval(
    *, rate_per_second: float, pinned: float | None = None, hints: PollHints | None = None
) -> float:
    """The interval between successful polls: pinned or about one new item per poll."""
    if pinned:
        desired = pinned
    elif rate_per_second > 0:
        desired = 1.0 / rate_per_second
    else:
        desired = MAX_INTERVAL
    if hints is not None:
        desired = max(desired, hints.floor)
    return _clamp(desired)


def next_delay(
    base: float,
    *,
    consecutive_failures: int = 0,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> float:
    """Seconds until the next poll: back-off, jitter in [-1, 1], Retry-After, bounds."""
    delay = base * math.pow(2.0, min(consecutive_failures, 32))
    delay = min(delay, MAX_INTERVAL) * (1.0 + JITTER * max(-1.0, min(1.0, jitter)))
    floor = max(MIN_INTERVAL, retry_after or 0.0)
    return min(MAX_INTERVAL, max(floor, delay))
