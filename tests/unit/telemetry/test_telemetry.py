"""Histograms and per-minute counts kept in Redis (logic on fakeredis)."""

from __future__ import annotations

import fakeredis
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from structlog.testing import capture_logs

from pipeline.settings import Settings
from pipeline.telemetry.histograms import (
    BATCH_ITEMS,
    STAGE_SECONDS,
    Observations,
    read_histogram,
)
from pipeline.telemetry.minutes import KEEP_MINUTES, read_minutes
from pipeline.telemetry.record import write_records

SETTINGS = Settings()


def test_a_value_on_a_bound_counts_in_that_bucket_and_beyond_the_last_in_inf() -> None:
    """Prometheus buckets are upper-inclusive (le)."""
    assert STAGE_SECONDS.bound(0.001) == "0.001"
    assert STAGE_SECONDS.bound(0.0011) == "0.0025"
    assert STAGE_SECONDS.bound(0) == "0.0001"
    assert STAGE_SECONDS.bound(31) == "+Inf"


def test_a_batch_stage_is_shared_over_its_articles_and_buckets_are_cumulative() -> None:
    """0.5 s of NER over 100 articles: 100 observations of 5 ms; sum 0.5 s."""
    redis = fakeredis.FakeRedis()
    timings = Observations()
    timings.stage("ner", 0.5, 100)
    timings.stage("write", 0.002, 0)  # nothing written: nothing observed
    timings.observe(BATCH_ITEMS, 100)
    assert write_records(redis, SETTINGS, timings)
    assert not timings  # cleared once written
    timings.stage("ner", 2.0, 1)
    write_records(redis, SETTINGS, timings)

    ner = read_histogram(redis, SETTINGS, STAGE_SECONDS)["ner"]
    assert ner.count == 101
    assert ner.sum == pytest.approx(2.5)
    buckets = dict(ner.buckets)
    assert buckets["0.0025"] == 0 and buckets["0.005"] == 100 and buckets["2.5"] == 101
    assert buckets["+Inf"] == 101
    assert list(read_histogram(redis, SETTINGS, STAGE_SECONDS)) == ["ner"]
    assert read_histogram(redis, SETTINGS, BATCH_ITEMS)[""].count == 1


def test_minutes_come_back_in_order_with_gaps_and_expire_by_themselves() -> None:
    """The last hour, oldest first, empty minutes included; every key has a TTL."""
    redis = fakeredis.FakeRedis()
    now = 1_800_000_000.0
    write_records(redis, SETTINGS, None, {"new": 3, "dead": 0}, now=now - 120)
    write_records(redis, SETTINGS, None, {"new": 2, "in": 5}, now=now)
    write_records(redis, SETTINGS, None, {"new": 1}, now=now)
    minutes = read_minutes(redis, SETTINGS, now=now)
    assert len(minutes) == 60
    assert minutes[-1].counts == {"new": 3, "in": 5}
    assert minutes[-3].counts == {"new": 3}  # a zero is not stored
    assert minutes[-2].counts == {}
    assert minutes[-1].start == int(now // 60) * 60
    for key in redis.keys(SETTINGS.key("telemetry", "minute", "*")):
        assert 0 < redis.ttl(key) <= KEEP_MINUTES * 60


def test_a_redis_error_is_logged_never_raised() -> None:
    """The work the figures describe is done: losing them must not fail it."""

    class Down(fakeredis.FakeRedis):
        def pipeline(self, *args: object, **kwargs: object) -> object:
            raise RedisConnectionError("gone")

    timings = Observations()
    timings.stage("write", 0.01, 1)
    with capture_logs() as logs:
        assert write_records(Down(), SETTINGS, timings, {"new": 1}) is False
    assert logs[0]["event"] == "telemetry_not_recorded"
