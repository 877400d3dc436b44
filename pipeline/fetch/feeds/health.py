"""Per-feed health in Redis: validators, content hash, successes, failures, rate, next poll.

Each feed is one hash at ``<prefix>feed:<hash of url>``; the set ``<prefix>feeds`` indexes
the URLs. Times are UNIX seconds (UTC). The transitions (``after_success``,
``after_failure``) are pure; ``load_health`` and ``save_health`` are the only I/O.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from redis import Redis

from pipeline.errors import FetchError, PermanentFetchError
from pipeline.fetch.feeds.policy import PRIOR_ITEMS, PRIOR_SECONDS, update_rate
from pipeline.settings import Settings

__all__ = [
    "HARD_WEIGHT",
    "NETWORK_WEIGHT",
    "STATUS_WEIGHT",
    "FeedHealth",
    "after_failure",
    "after_success",
    "failure_weight",
    "feed_key",
    "feed_state",
    "is_silent",
    "list_health",
    "load_health",
    "load_many",
    "save_health",
]

Outcome = Literal["new", "not_modified", "unchanged", "error"]

# Hard errors (refused address, malformed, too big, 401/403...) say something is wrong with
# the feed; 404/410/429/5xx may be a bad day; a DNS or connection hiccup is the lightest.
HARD_WEIGHT = 3.0
STATUS_WEIGHT = 1.0
NETWORK_WEIGHT = 0.5
_STATUS_ERRORS = frozenset({404, 408, 410, 429})
# A usual rate needs a few items to be trusted before silence is flagged.
_SILENCE_MIN_ITEMS = 5
_SILENCE_FACTOR = 4.0
_SILENCE_MIN_SECONDS = 6 * 3600.0

_FLOATS = {
    "first_seen",
    "last_fetch",
    "last_success",
    "last_error_at",
    "failure_weight",
    "next_poll",
    "interval",
    "hint_floor",
    "rate_items",
    "rate_seconds",
    "last_new_item",
    "usual_rate",
}
_INTS = {
    "last_error_status",
    "consecutive_failures",
    "items_counted",
    "items_total",
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
    last_fetch: float | None = None
    last_outcome: Outcome | None = None
    last_success: float | None = None
    last_error_at: float | None = None
    last_error: str | None = None
    last_error_kind: str | None = None  # "transient" or "permanent"
    last_error_status: int | None = None
    last_warning: str | None = None  # e.g. a malformed feed that still yielded its entries
    failure_weight: float = 0.0
    consecutive_failures: int = 0
    next_poll: float | None = None
    interval: float | None = None  # base interval before back-off and jitter
    hint_floor: float | None = None  # the feed's <ttl> / sy:updatePeriod, in seconds
    rate_items: float = PRIOR_ITEMS
    rate_seconds: float = PRIOR_SECONDS
    items_counted: int = 0  # new items counted into the rate (a first fetch's backlog is not)
    items_total: int = 0  # items enqueued over the feed's life
    last_new_item: float | None = None
    usual_rate: float | None = None  # items/day when the last new item arrived
    fetches: int = 0
    successes: int = 0

    @property
    def rate_known(self) -> bool:
        """True once two successful polls have measured something (before: only the prior)."""
        return self.successes >= 2

    @property
    def rate_per_second(self) -> float:
        """Observed new items per second (decayed average, with a prior)."""
        return self.rate_items / self.rate_seconds if self.rate_seconds > 0 else 0.0

    @property
    def items_per_day(self) -> float:
        """Observed new items per day."""
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


def save_health(redis: Redis, settings: Settings, health: FeedHealth) -> None:
    """Replace the stored health of a feed and index it, atomically."""
    key = feed_key(settings, health.url)
    with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping=_encode(health))
        pipe.sadd(_index_key(settings), health.url)
        pipe.execute()


def list_health(redis: Redis, settings: Settings) -> list[FeedHealth]:
    """Every known feed's health, sorted by URL."""
    urls = sorted(u.decode() for u in redis.smembers(_index_key(settings)))
    return load_many(redis, settings, urls)


def failure_weight(error: FetchError) -> float:
    """How much one failure counts: hard errors > 404/429/5xx > network hiccups."""
    status = error.status
    if status is not None:
        return STATUS_WEIGHT if status in _STATUS_ERRORS or status >= 500 else HARD_WEIGHT
    return HARD_WEIGHT if isinstance(error, PermanentFetchError) else NETWORK_WEIGHT


def after_success(
    health: FeedHealth,
    *,
    now: float,
    outcome: Outcome,
    new_items: int = 0,
    etag: str | None = None,
    last_modified: str | None = None,
    content_hash: str | None = None,
    title: str | None = None,
    hint_floor: float | None = None,
    warning: str | None = None,
) -> FeedHealth:
    """The health after a successful poll (new items, 304, or an unchanged body)."""
    counted = health.last_success is not None  # a first fetch's backlog says nothing of rate
    rate_items, rate_seconds = health.rate_items, health.rate_seconds
    if counted and health.last_success is not None:
        rate_items, rate_seconds = update_rate(
            rate_items, rate_seconds, new_items=new_items, elapsed=now - health.last_success
        )
    updated = replace(
        health,
        etag=etag or health.etag,
        last_modified=last_modified or health.last_modified,
        content_hash=content_hash or health.content_hash,
        title=title or health.title,
        hint_floor=hint_floor if outcome == "new" else health.hint_floor,
        last_warning=warning if outcome == "new" else health.last_warning,
        first_seen=health.first_seen or now,
        last_fetch=now,
        last_outcome=outcome,
        last_success=now,
        failure_weight=health.failure_weight / 2 if health.failure_weight >= 0.01 else 0.0,
        consecutive_failures=0,
        rate_items=rate_items,
        rate_seconds=rate_seconds,
        items_counted=health.items_counted + (new_items if counted else 0),
        items_total=health.items_total + new_items,
        fetches=health.fetches + 1,
        successes=health.successes + 1,
    )
    if new_items:
        updated = replace(updated, last_new_item=now, usual_rate=updated.items_per_day)
    return updated


def after_failure(
    health: FeedHealth,
    *,
    now: float,
    reason: str,
    permanent: bool,
    status: int | None,
    weight: float,
) -> FeedHealth:
    """The health after a failed poll; validators and content hash are kept as they were."""
    return replace(
        health,
        first_seen=health.first_seen or now,
        last_fetch=now,
        last_outcome="error",
        last_error_at=now,
        last_error=reason,
        last_error_kind="permanent" if permanent else "transient",
        last_error_status=status,
        failure_weight=health.failure_weight + weight,
        consecutive_failures=health.consecutive_failures + 1,
        fetches=health.fetches + 1,
    )


def is_silent(health: FeedHealth, now: float) -> bool:
    """True when a feed with an established rate has had no new item for far too long."""
    if health.items_counted < _SILENCE_MIN_ITEMS or not health.usual_rate:
        return False
    if health.last_new_item is None or health.usual_rate <= 0 or math.isnan(health.usual_rate):
        return False
    expected_gap = 86_400.0 / health.usual_rate
    silent_for = now - health.last_new_item
    return silent_for > max(_SILENCE_FACTOR * expected_gap, _SILENCE_MIN_SECONDS)


def feed_state(health: FeedHealth, now: float) -> str:
    """One word: new, ok, failing or silent."""
    if health.fetches == 0:
        return "new"
    if health.consecutive_failures:
        return "failing"
    if is_silent(health, now):
        return "silent"
    return "ok"
