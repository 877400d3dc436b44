"""Feed-health records round-trip through Redis hashes (fakeredis: logic only)."""

from __future__ import annotations

import fakeredis

from pipeline.fetch.feeds.health import FeedHealth, list_health, load_health, load_many, save_health
from pipeline.settings import Settings


def test_a_record_comes_back_as_it_was_saved() -> None:
    """Floats, ints, text and unset fields survive; the feed is indexed."""
    redis, settings = fakeredis.FakeRedis(), Settings()
    health = FeedHealth(
        url="https://example.org/feed",
        name="Example",
        etag='W/"abc"',
        last_success=1_700_000_000.25,
        consecutive_failures=2,
        interval=900.0,
        last_error="server answered 503 Service Unavailable",
        last_error_status=503,
    )
    save_health(redis, settings, health)
    assert load_health(redis, settings, health.url) == health
    assert list_health(redis, settings) == [health]


def test_an_unknown_feed_is_a_fresh_record() -> None:
    """A feed never seen has no fetches, no failures and no next poll."""
    redis, settings = fakeredis.FakeRedis(), Settings()
    fresh = load_health(redis, settings, "https://new.example/rss")
    assert fresh == FeedHealth(url="https://new.example/rss")
    assert fresh.fetches == 0 and fresh.next_poll is None


def test_saving_replaces_fields_that_went_away() -> None:
    """An error cleared by a later success is gone from the stored record, not left behind."""
    redis, settings = fakeredis.FakeRedis(), Settings()
    url = "https://example.org/feed"
    save_health(redis, settings, FeedHealth(url=url, last_error="timeout", consecutive_failures=1))
    save_health(redis, settings, FeedHealth(url=url, successes=1))
    assert load_many(redis, settings, [url]) == [FeedHealth(url=url, successes=1)]
