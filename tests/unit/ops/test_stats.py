"""`pipeline stats` figures from Redis records (fakeredis: logic only, no server semantics)."""

from __future__ import annotations

import time

import fakeredis
import pytest

from pipeline.fetch.feeds.health import FeedHealth, save_health
from pipeline.ops.stats import collect_stats
from pipeline.settings import Settings


@pytest.fixture
def redis() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


def test_counters_and_stream_lengths(redis: fakeredis.FakeRedis) -> None:
    """Write counters become the articles section; stream lengths come from the streams."""
    settings = Settings()
    redis.hset(settings.key("stats"), mapping={"new": 7, "duplicate": 2, "repeat": 3, "dead": 1})
    for i in range(4):
        redis.xadd(settings.articles_stream, {"id": str(i)})
    redis.xadd(settings.dead_stream, {"stage": "read"})
    figures = collect_stats(redis, settings)
    assert figures["streams"][settings.articles_stream] == 4
    assert figures["streams"][settings.dead_stream] == 1
    assert figures["articles"] == {
        "written new": 7,
        "exact copies": 2,
        "near copies": 0,
        "revisions": 0,
        "repeats (not rewritten)": 3,
        "dead letters": 1,
        "batches lost (ALARM)": 0,
    }
    assert figures["queue"]["queued jobs"] == 0
    assert figures["workers"] == {"alive": 0, "busy": 0}


def test_feeds_are_counted_by_health_state(redis: fakeredis.FakeRedis) -> None:
    """A feed never fetched is new, one failing now is failing, a healthy one is ok."""
    settings = Settings()
    now = time.time()
    save_health(redis, settings, FeedHealth(url="https://a.example/new"))
    save_health(
        redis,
        settings,
        FeedHealth(url="https://b.example/ok", fetches=3, successes=3, last_success=now),
    )
    save_health(
        redis,
        settings,
        FeedHealth(url="https://c.example/bad", fetches=2, consecutive_failures=2),
    )
    assert collect_stats(redis, settings)["feeds"] == {
        "failing": 1,
        "gapped": 0,
        "silent": 0,
        "new": 1,
        "ok": 1,
    }


def test_prefix_keeps_pipelines_apart(redis: fakeredis.FakeRedis) -> None:
    """Two pipelines with different prefixes in one Redis never see each other's figures."""
    one, two = Settings(prefix="one:"), Settings(prefix="two:")
    redis.hset(one.key("stats"), mapping={"new": 5})
    assert collect_stats(redis, two)["articles"]["written new"] == 0
    assert collect_stats(redis, one)["articles"]["written new"] == 5
