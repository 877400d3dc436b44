"""Scheduling policy, health transitions and the per-host pool: pure logic, no network."""

from __future__ import annotations

import threading
import time

import pytest

from pipeline.errors import PermanentFetchError, TransientFetchError
from pipeline.fetch.feeds.health import (
    HARD_WEIGHT,
    NETWORK_WEIGHT,
    STATUS_WEIGHT,
    FeedHealth,
    after_failure,
    after_success,
    failure_weight,
    is_silent,
)
from pipeline.fetch.feeds.policy import (
    MAX_INTERVAL,
    MIN_INTERVAL,
    PollHints,
    base_interval,
    next_delay,
    parse_max_age,
)
from pipeline.fetch.feeds.pool import HostPool

HOUR = 3600.0
DAY = 86_400.0


def test_interval_is_about_one_new_item_per_poll():
    """A feed with 6 items an hour is polled every 10 minutes."""
    assert base_interval(rate_per_second=6 / HOUR) == pytest.approx(600)


def test_interval_bounds():
    """Never more often than every 5 minutes, never less than daily."""
    assert base_interval(rate_per_second=100 / HOUR) == MIN_INTERVAL
    assert base_interval(rate_per_second=0.0) == MAX_INTERVAL
    assert base_interval(rate_per_second=1.0, pinned=10) == MIN_INTERVAL
    assert base_interval(rate_per_second=1.0, pinned=7 * DAY) == MAX_INTERVAL


def test_publisher_hints_are_floors():
    """ttl, sy:updatePeriod and max-age slow a busy feed down, never speed a quiet one up."""
    busy = 60 / HOUR
    assert base_interval(rate_per_second=busy, hints=PollHints(ttl=2 * HOUR)) == 2 * HOUR
    assert base_interval(rate_per_second=busy, hints=PollHints(update_period=HOUR)) == HOUR
    assert base_interval(rate_per_second=busy, hints=PollHints(max_age=900)) == 900
    quiet = 1 / DAY
    assert base_interval(rate_per_second=quiet, hints=PollHints(ttl=HOUR)) == DAY


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=600", 600),
        ("public, s-maxage=10, max-age=300", 300),
        ('private, max-age="120"', 120),
        ("no-cache", None),
        (None, None),
    ],
)
def test_max_age(header: str | None, seconds: float | None):
    """max-age is read from Cache-Control."""
    assert parse_max_age(header) == seconds


def test_back_off_doubles_to_the_ceiling():
    """Consecutive failures double the delay, capped at 24 hours, never infinite."""
    delays = [next_delay(600, consecutive_failures=n) for n in range(12)]
    assert delays[:5] == [600, 1200, 2400, 4800, 9600]
    assert delays[-1] == MAX_INTERVAL and max(delays) == MAX_INTERVAL
    assert next_delay(600, consecutive_failures=10_000) == MAX_INTERVAL


def test_retry_after_is_a_floor_and_jitter_is_bounded():
    """Retry-After pushes the next poll out; jitter moves it by at most 10 %."""
    assert next_delay(600, consecutive_failures=1, retry_after=7200) == 7200
    assert next_delay(600, retry_after=3 * DAY) == MAX_INTERVAL
    assert next_delay(3600, jitter=1.0) == pytest.approx(3960)
    assert next_delay(3600, jitter=-1.0) == pytest.approx(3240)
    assert next_delay(MIN_INTERVAL, jitter=-1.0) == MIN_INTERVAL


def test_failure_weights():
    """Hard errors weigh more than 404/429/5xx, which weigh more than network hiccups."""
    assert failure_weight(PermanentFetchError("too big")) == HARD_WEIGHT
    assert failure_weight(PermanentFetchError("forbidden", status=403)) == HARD_WEIGHT
    assert failure_weight(PermanentFetchError("gone", status=404)) == STATUS_WEIGHT
    assert failure_weight(TransientFetchError("busy", status=429)) == STATUS_WEIGHT
    assert failure_weight(TransientFetchError("oops", status=502)) == STATUS_WEIGHT
    assert failure_weight(TransientFetchError("name resolution failed")) == NETWORK_WEIGHT
    assert HARD_WEIGHT > STATUS_WEIGHT > NETWORK_WEIGHT


def test_first_fetch_backlog_does_not_count_as_rate():
    """A first fetch with 50 items does not make a feed look busy; later new items do."""
    fresh = FeedHealth(url="u")
    first = after_success(fresh, now=0, outcome="new", new_items=50)
    assert first.items_per_day == pytest.approx(fresh.items_per_day)
    assert first.items_total == 50 and first.items_counted == 0
    later = after_success(first, now=HOUR, outcome="new", new_items=20)
    assert later.items_per_day > first.items_per_day
    assert later.items_counted == 20


def test_success_keeps_validators_and_halves_failure_weight():
    """A 304 keeps the stored ETag; a success after failures resets the streak."""
    health = after_success(FeedHealth(url="u"), now=0, outcome="new", etag='"v1"')
    for i in range(3):
        health = after_failure(
            health, now=i + 1, reason="503", permanent=False, status=503, weight=1.0
        )
    assert health.etag == '"v1"' and health.consecutive_failures == 3
    health = after_success(health, now=10, outcome="not_modified")
    assert health.etag == '"v1"'
    assert health.consecutive_failures == 0 and health.failure_weight == 1.5
    assert health.last_error == "503"  # the last error stays visible


def test_silence_is_relative_to_the_usual_rate():
    """A 24-a-day feed quiet for a day is silent; a weekly feed quiet for a day is not."""
    busy = FeedHealth(url="u", items_counted=100, usual_rate=24.0, last_new_item=0.0)
    assert not is_silent(busy, now=6 * HOUR)
    assert is_silent(busy, now=DAY)
    weekly = FeedHealth(url="w", items_counted=10, usual_rate=1 / 7, last_new_item=0.0)
    assert not is_silent(weekly, now=DAY)
    assert is_silent(weekly, now=29 * DAY)
    newcomer = FeedHealth(url="n", items_counted=2, usual_rate=24.0, last_new_item=0.0)
    assert not is_silent(newcomer, now=30 * DAY)


def test_pool_limits_each_host_and_runs_hosts_in_parallel():
    """Tasks of one host never exceed per_host at once; another host is not held up."""
    lock = threading.Lock()
    active: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}

    def task(host: str) -> str:
        with lock:
            active[host] += 1
            peak[host] = max(peak[host], active[host])
        time.sleep(0.05)
        with lock:
            active[host] -= 1
        return host

    pool: HostPool[str] = HostPool(workers=8, per_host=2)
    for i in range(10):
        assert pool.submit(f"a{i}", "a", lambda: task("a"))
    assert not pool.submit("a0", "a", lambda: task("a"))  # already queued: not twice
    for i in range(2):
        pool.submit(f"b{i}", "b", lambda: task("b"))
    assert pool.wait_idle(10)
    results = pool.take_results()
    pool.close()
    assert len(results) == 12 and all(f.exception() is None for _, f in results)
    assert peak == {"a": 2, "b": 2}
    finished_b = max(i for i, (key, _) in enumerate(results) if key.startswith("b"))
    assert finished_b < 6  # b's two tasks did not wait behind a's queue of ten
