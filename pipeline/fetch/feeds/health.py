"""Per-feed health in Redis: validators, content hash, successes, failures, rate, gaps, next
poll; and the one-word state each feed is in.

Each feed is one hash at ``<prefix>feed:<hash of url>``; the set ``<prefix>feeds`` indexes
the URLs; ``<prefix>feeds:coverage`` counts gaps over every feed (for stats and metrics).
Times are UNIX seconds (UTC). How a poll changes a feed's health is in ``transitions``;
``load_health`` and ``save_health`` are the only I/O.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from redis import Redis

from pipeline.fetch.feeds.policy import PRIOR_ITEMS, PRIOR_SECONDS
from pipeline.settings import Settings

__all__ = [
    "FEED_STATES",
    "GAP_RECENT_SECONDS",
    "FeedHealth",
    "Outcome",
    "coverage_counters",
    "feed_key",
    "feed_state",
    "is_gapped",
    "is_silent",
    "list_health",
    "load_health",
    "load_many",
    "save_health",
]

Outcome = Literal["new", "not_modified", "unchanged", "error"]

# The words `pipeline feeds`, stats and metrics use, in the order an operator should look.
FEED_STATES = ("failing", "gapped", "silent", "new", "ok")
# A feed whose listing overflowed within this long is shown as gapped.
GAP_RECENT_SECONDS = 86_400.0
# A usual rate needs a few items to be trusted before silence is flagged.
_SILENCE_MIN_ITEMS = 5
_SILENCE_FACTOR = 4.0
_SILENCE_MIN_SECONDS = 6 * 3600.0

_FLOATS = {
    "first_seen",
    "last_fetch",
    "last_success",
    "last_error_at",
    "retry_after",
    "failure_weight",
    "next_poll",
    "interval",
    "hint_floor",
    "rate_items",
    "rate_seconds",
    "recent_items",
    "recent_seconds",
    "last_rate",
    "last_new_item",
    "newest_item_at",
    "usual_rate",
    "last_gap_at",
}
_INTS = {
    "last_error_status",
    "consecutive_failures",
    "items_counted",
    "items_total",
    "listed",
    "gaps",
    "last_gap_missed",
    "missed_total",
    "fetches",
    "successes",
}


@dataclass(frozen=True)
class FeedHealth:
    """Everything the pipeline knows about one feed's recent behaviour."""

    url: str
    name: str | None = None  # from the FEEDS file
    title: str | None = None  # from the feed itself
    etag: str | None = None  # sent back exactly as received
    last_modified: str | None = None  # sent back exactly as received
    content_hash: str | None = None  # of the last body parsed successfully
    first_seen: float | None = None
    last_fetch: float | None = None  # when the last poll started
    last_outcome: Outcome | None = None
    last_success: float | None = None  # when the last successful poll got its answer
    last_error_at: float | None = None  # when the last error happened (a timeout: its end)
    last_error: str | None = None
    last_error_kind: str | None = None  # "transient" or "permanent"
    last_error_status: int | None = None
    retry_after: float | None = None  # seconds the server asked to wait, on the last error
    last_warning: str | None = None  # e.g. a malformed feed that still yielded its entries
    failure_weight: float = 0.0
    consecutive_failures: int = 0
    next_poll: float | None = None
    interval: float | None = None  # the normal interval, before back-off and jitter
    hint_floor: float | None = None  # the feed's <ttl> / sy:updatePeriod, in seconds
    rate_items: float = PRIOR_ITEMS  # long-term rate: decayed sums, with a prior
    rate_seconds: float = PRIOR_SECONDS
    recent_items: float = 0.0  # recent rate: sums over the last few polls
    recent_seconds: float = 0.0
    last_rate: float = 0.0  # items/s between the last two successful polls
    items_counted: int = 0  # new items counted into the rate (a first fetch's backlog is not)
    items_total: int = 0  # items enqueued over the feed's life
    listed: int | None = None  # distinct items in the last listing parsed
    newest_item_at: float | None = None  # publication date of the newest item listed
    last_new_item: float | None = None
    usual_rate: float | None = None  # items/day when the last new item arrived
    gaps: int = 0  # polls that found every listed item new
    last_gap_at: float | None = None
    last_gap_missed: int | None = None  # items probably missed then (None: no dates to tell)
    missed_total: int = 0  # items probably missed over the feed's life (dated gaps only)
    fetches: int = 0
    successes: int = 0

    @property
    def rate_known(self) -> bool:
        """True once two successful polls have measured something (before: only the prior)."""
        return self.successes >= 2

    @property
    def rate_per_second(self) -> float:
        """Observed new items per second (decayed long-term average, with a prior)."""
        return self.rate_items / self.rate_seconds if self.rate_seconds > 0 else 0.0

    @property
    def measured_rate(self) -> float:
        """Items per second the last polls saw: the recent average, or the last poll's rate
        when higher (a feed that speeds up is followed at once); 0 before any measurement."""
        recent = self.recent_items / self.recent_seconds if self.recent_seconds > 0 else 0.0
        return max(recent, self.last_rate)

    @property
    def polling_rate(self) -> float:
        """The rate freshness is planned for: the higher of the long-term rate (with its
        prior) and the measured one."""
        return max(self.rate_per_second, self.measured_rate)

    @property
    def items_per_day(self) -> float:
        """Observed new items per day (long-term)."""
        return self.rate_per_second * 86_400.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict of every field, plus the derived rate."""
        rate = round(self.items_per_day, 2) if self.rate_known else None
        return {**asdict(self), "items_per_day": rate}


def feed_key(settings: Settings, url: str) -> str:
    """The Redis key of a feed's health hash."""
    return settings.key("feed", hashlib.sha1(url.encode("utf-8")).hexdigest())


def _index_key(settings: Settings) -> str:
    return settings.key("feeds")


def _coverage_key(settings: Settings) -> str:
    return settings.key("feeds", "coverage")


def _decode(url: str, raw: dict[bytes, bytes]) -> FeedHealth | None:
    if not raw:
        return None
    values: dict[str, Any] = {"url": url}
    known = {f.name for f in fields(FeedHealth)}
    for key_bytes, value_bytes in raw.items():
        key, value = key_bytes.decode(), value_bytes.decode("utf-8", "replace")
        if key not in known or key == "url":
            continue
        if key in _FLOATS:
            values[key] = float(value)
        elif key in _INTS:
            values[key] = int(value)
        else:
            values[key] = value
    return FeedHealth(**values)


def _encode(health: FeedHealth) -> dict[str, str]:
    return {
        key: (repr(value) if isinstance(value, float) else str(value))
        for key, value in asdict(health).items()
        if value is not None
    }


def load_health(redis: Redis, settings: Settings, url: str) -> FeedHealth:
    """The stored health of ``url``, or a fresh record when the feed is new."""
    return _decode(url, redis.hgetall(feed_key(settings, url))) or FeedHealth(url=url)


def load_many(redis: Redis, settings: Settings, urls: list[str]) -> list[FeedHealth]:
    """The health of several feeds in one round trip, fresh records for new ones."""
    with redis.pipeline(transaction=False) as pipe:
        for url in urls:
            pipe.hgetall(feed_key(settings, url))
        raws = pipe.execute()
    return [_decode(url, raw) or FeedHealth(url=url) for url, raw in zip(urls, raws, strict=True)]


def save_health(
    redis: Redis,
    settings: Settings,
    health: FeedHealth,
    *,
    counters: Mapping[str, int] | None = None,
) -> None:
    """Replace the stored health of a feed and index it, and add ``counters`` (e.g. a gap)
    to the coverage counters of every feed, atomically."""
    key = feed_key(settings, health.url)
    with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping=_encode(health))
        pipe.sadd(_index_key(settings), health.url)
        for name, amount in (counters or {}).items():
            if amount:
                pipe.hincrby(_coverage_key(settings), name, amount)
        pipe.execute()


def coverage_counters(redis: Redis, settings: Settings) -> dict[str, int]:
    """Totals over every feed: ``gaps`` detected and items ``missed`` (estimated)."""
    raw = redis.hgetall(_coverage_key(settings))
    counts = {k.decode(): int(v) for k, v in raw.items()}
    return {"gaps": counts.get("gaps", 0), "missed": counts.get("missed", 0)}


def list_health(redis: Redis, settings: Settings) -> list[FeedHealth]:
    """Every known feed's health, sorted by URL."""
    urls = sorted(u.decode() for u in redis.smembers(_index_key(settings)))
    return load_many(redis, settings, urls)


def is_silent(health: FeedHealth, now: float) -> bool:
    """True when a feed with an established rate has had no new item for far too long."""
    if health.items_counted < _SILENCE_MIN_ITEMS or not health.usual_rate:
        return False
    if health.last_new_item is None or health.usual_rate <= 0 or math.isnan(health.usual_rate):
        return False
    expected_gap = 86_400.0 / health.usual_rate
    silent_for = now - health.last_new_item
    return silent_for > max(_SILENCE_FACTOR * expected_gap, _SILENCE_MIN_SECONDS)


def is_gapped(health: FeedHealth, now: float) -> bool:
    """True when the feed's listing overflowed between two polls in the last day."""
    return health.last_gap_at is not None and now - health.last_gap_at <= GAP_RECENT_SECONDS


def feed_state(health: FeedHealth, now: float) -> str:
    """One word: new, ok, failing, gapped or silent."""
    if health.fetches == 0:
        return "new"
    if health.consecutive_failures:
        return "failing"
    if is_gapped(health, now):
        return "gapped"
    if is_silent(health, now):
        return "silent"
    return "ok"
