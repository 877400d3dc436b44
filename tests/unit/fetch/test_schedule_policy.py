"""Scheduling policy, health transitions and the per-host pool: pure logic, no network."""

from __future__ import annotations

import threading
import time

import pytest

from pipeline.errors import PermanentFetchError, TransientFetchError
from pipeline.fetch.feeds.coverage import Gap
from pipeline.fetch.feeds.health import FeedHealth, is_silent
from pipeline.fetch.feeds.policy import (
    PollBounds,
    PollHints,
    base_interval,
    failure_delay,
    first_interval,
    jittered,
    parse_max_age,
)
from pipeline.fetch.feeds.pool import HostPool
from pipeline.fetch.feeds.transitions import (
    HARD_WEIGHT,
    NETWORK_WEIGHT,
    STATUS_WEIGHT,
    after_failure,
    after_success,
    failure_weight,
    schedule_next,
)
from pipeline.settings import Settings

HOUR = 3600.0
DAY = 86_400.0
# The documented defaults: 1 minute to 24 hours, new feeds start at 5 minutes.
B = PollBounds.from_settings(Settings())


def test_documented_defaults():
    """PIPELINE_FEED_MIN/MAX/START_INTERVAL default to 60 s, 24 h and 5 min."""
    assert (B.min, B.max, B.start) == (60.0, DAY, 300.0)


def test_interval_is_about_one_new_item_per_poll():
    """A feed with 6 items an hour is polled every 10 minutes."""
    assert base_interval(B, rate_per_second=6 / HOUR, listed=50) == pytest.approx(600)


def test_a_busy_feed_is_polled_before_it_can_overflow_its_listing():
    """A feed publishing every 10 s and listing 50 items is polled every 167 s (a third of
    a listing); listing 200 it is polled at the start interval: freshness alone wants no
    more."""
    assert base_interval(B, rate_per_second=0.1, listed=50) == pytest.approx(500 / 3)
    assert base_interval(B, rate_per_second=0.1, listed=200) == B.start
    # A feed that overflows even at the minimum gets the minimum.
    assert base_interval(B, rate_per_second=1.0, listed=50) == B.min


def test_interval_bounds():
    """Never more often than the minimum, never less than the maximum."""
    assert base_interval(B, rate_per_second=100 / HOUR, listed=1) == B.min
    assert base_interval(B, rate_per_second=0.0, listed=50) == B.max
    assert base_interval(B, rate_per_second=1e-6, listed=10, pinned=10) == B.min
    assert base_interval(B, rate_per_second=1e-6, listed=10, pinned=7 * DAY) == B.max
    tight = PollBounds(min=5, max=120, start=30)
    assert base_interval(tight, rate_per_second=0.0, listed=50) == 120


def test_publisher_hints_slow_polling_down_but_never_lose_items():
    """ttl, sy:updatePeriod and max-age are floors for freshness; when the feed would
    publish more than a third of its listing in that time, coverage wins."""
    busy = 60 / HOUR  # one a minute
    big = 500  # 500 listed: eight hours of items
    assert base_interval(B, rate_per_second=busy, listed=big, hints=PollHints(ttl=2 * HOUR)) == (
        2 * HOUR
    )
    hinted = PollHints(update_period=HOUR)
    assert base_interval(B, rate_per_second=busy, listed=big, hints=hinted) == HOUR
    assert base_interval(B, rate_per_second=busy, listed=big, hints=PollHints(max_age=900)) == 900
    # 50 listed: 50 minutes of items. A 2-hour ttl would lose 70 of every 120.
    small = base_interval(B, rate_per_second=busy, listed=50, hints=PollHints(ttl=2 * HOUR))
    assert small == pytest.approx(1000)
    quiet = 1 / DAY
    assert base_interval(B, rate_per_second=quiet, listed=50, hints=PollHints(ttl=HOUR)) == DAY


def test_a_pin_is_kept_unless_the_feed_would_overflow():
    """interval=15m in FEEDS is the interval, but not when the feed lists less than that."""
    assert base_interval(B, rate_per_second=6 / HOUR, listed=50, pinned=900) == 900
    assert base_interval(B, rate_per_second=0.1, listed=50, pinned=900) == pytest.approx(500 / 3)


def test_first_interval_is_short_or_what_the_feed_declares():
    """A new feed starts at the start interval, or at its <ttl> / update period, shorter
    when its items' dates show it publishing fast; when its dates tell nothing, it is
    looked at again after the minimum, to measure it."""
    assert first_interval(B, listing_rate=1 / HOUR, listed=50) == B.start
    assert first_interval(B, listing_rate=None, listed=50) == B.min
    assert first_interval(B, listing_rate=None, listed=50, hints=PollHints(ttl=HOUR)) == HOUR
    declared_daily = PollHints(update_period=DAY)
    assert first_interval(B, listing_rate=None, listed=50, hints=declared_daily) == DAY
    assert first_interval(B, listing_rate=0.1, listed=50) == pytest.approx(500 / 3)
    fast_but_daily = first_interval(B, listing_rate=0.1, listed=50, hints=declared_daily)
    assert fast_but_daily == pytest.approx(500 / 3)
    assert first_interval(B, listing_rate=None, listed=50, pinned=900) == 900
    assert first_interval(B, listing_rate=None, listed=50, hints=PollHints(ttl=1)) == B.min


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


def test_back_off_starts_from_the_normal_interval():
    """The first failure waits the normal interval, each further one doubles it, up to the
    ceiling; never infinite."""
    delays = [failure_delay(B, 600, consecutive_failures=n, retry_after=None) for n in range(1, 13)]
    assert delays[:5] == [600, 1200, 2400, 4800, 9600]
    assert delays[-1] == B.max and max(delays) == B.max
    assert failure_delay(B, 600, consecutive_failures=10_000, retry_after=None) == B.max


def test_retry_after_is_honoured_as_given_within_the_bounds():
    """Retry-After: 30 means 30 s (not hours of back-off), kept within [min, max]."""
    wide = PollBounds(min=10, max=DAY, start=300)
    assert failure_delay(wide, 3600, consecutive_failures=5, retry_after=30) == 30
    assert failure_delay(B, 3600, consecutive_failures=1, retry_after=30) == B.min
    assert failure_delay(B, 600, consecutive_failures=1, retry_after=7200) == 7200
    assert failure_delay(B, 600, consecutive_failures=1, retry_after=3 * DAY) == B.max


def test_jitter_is_bounded():
    """Jitter moves a delay by at most 10 % and never out of the bounds."""
    assert jittered(B, 3600, 1.0) == pytest.approx(3960)
    assert jittered(B, 3600, -1.0) == pytest.approx(3240)
    assert jittered(B, 3600, 7.0) == pytest.approx(3960)
    assert jittered(B, B.min, -1.0) == B.min


def test_a_new_feed_that_fails_is_retried_at_its_start_interval():
    """One 500 on a new feed: the next poll is 5 minutes away, not hours."""
    failed = after_failure(
        FeedHealth(url="u"), now=0, reason="500", permanent=False, status=500, weight=1.0
    )
    planned = schedule_next(failed, now=0, bounds=B)
    assert planned.next_poll == B.start and planned.interval == B.start
    again = after_failure(planned, now=300, reason="500", permanent=False, status=500, weight=1)
    assert schedule_next(again, now=300, bounds=B).next_poll == 300 + 2 * B.start


def test_a_new_feed_answering_429_comes_back_when_asked():
    """429 with Retry-After: 120 on a new feed: the next poll is in 120 s."""
    failed = after_failure(
        FeedHealth(url="u"),
        now=50,
        reason="429",
        permanent=False,
        status=429,
        weight=1.0,
        retry_after=120,
    )
    planned = schedule_next(failed, now=50, bounds=B, hints=PollHints(retry_after=120), jitter=1)
    assert planned.next_poll == 170
    assert planned.retry_after == 120


def test_a_failing_feed_backs_off_from_its_own_interval():
    """A feed normally polled every 4 minutes is retried after 4, 8, 16 minutes."""
    health = FeedHealth(url="u", interval=240, successes=10, fetches=10, last_success=0)
    delays = []
    for n in range(3):
        health = after_failure(health, now=n, reason="x", permanent=False, status=503, weight=1)
        health = schedule_next(health, now=n, bounds=B)
        assert health.next_poll is not None
        delays.append(health.next_poll - n)
    assert delays == [240, 480, 960]


def test_a_gap_sends_the_next_poll_to_the_minimum():
    """A poll that found every listed item new is followed by one at the minimum interval."""
    health = after_success(FeedHealth(url="u"), now=0, outcome="new", new_items=50)
    health = after_success(
        health, now=HOUR, outcome="new", new_items=50, gap=Gap(listed=50, missed=None)
    )
    planned = schedule_next(health, now=HOUR, bounds=B, gap=Gap(listed=50, missed=None), jitter=1)
    assert planned.next_poll == HOUR + B.min
    assert planned.gaps == 1 and planned.last_gap_at == HOUR


def test_missed_items_count_into_the_rate():
    """A gap with 310 items probably missed tells the rate that 360 were published."""
    first = after_success(FeedHealth(url="u"), now=0, outcome="new", new_items=50)
    with_gap = after_success(
        first, now=HOUR, outcome="new", new_items=50, gap=Gap(listed=50, missed=310)
    )
    assert with_gap.measured_rate == pytest.approx(360 / HOUR)
    assert with_gap.missed_total == 310 and with_gap.last_gap_missed == 310
    assert with_gap.items_total == 100  # only what was enqueued


def test_recent_rate_follows_a_feed_that_speeds_up():
    """A quiet feed that starts publishing every 10 s is followed from the first busy poll,
    and a burst is let go of within a few quiet polls."""
    health = after_success(FeedHealth(url="u"), now=0, outcome="new", new_items=20)
    t = 0.0
    for _ in range(48):  # two quiet days, polled hourly
        t += HOUR
        health = after_success(health, now=t, outcome="not_modified")
    t += 300
    health = after_success(health, now=t, outcome="new", new_items=30)
    assert health.measured_rate == pytest.approx(0.1)
    assert base_interval(B, rate_per_second=health.polling_rate, listed=50) == pytest.approx(
        500 / 3
    )
    for _ in range(12):
        t += HOUR
        health = after_success(health, now=t, outcome="not_modified")
    assert health.measured_rate < 1e-4
    assert base_interval(B, rate_per_second=health.polling_rate, listed=50) > HOUR


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
    assert first.polling_rate == pytest.approx(fresh.rate_per_second)
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


def test_error_time_is_when_it_happened():
    """A poll started at 100 that timed out at 130 is dated 130; its start is kept apart."""
    failed = after_failure(
        FeedHealth(url="u"),
        now=130,
        started=100,
        reason="timeout",
        permanent=False,
        status=None,
        weight=NETWORK_WEIGHT,
    )
    assert (failed.last_fetch, failed.last_error_at) == (100, 130)
    assert schedule_next(failed, now=130, bounds=B).next_poll == 130 + B.start


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
    assert pool.close() == []
    assert len(results) == 12 and all(f.exception() is None for _, f in results)
    assert peak == {"a": 2, "b": 2}
    finished_b = max(i for i, (key, _) in enumerate(results) if key.startswith("b"))
    assert finished_b < 6  # b's two tasks did not wait behind a's queue of ten


def test_pool_threads_stay_within_the_worker_count():
    """Hundreds of short tasks run on at most ``workers`` threads."""
    pool: HostPool[int] = HostPool(workers=4, per_host=4)
    for i in range(300):
        pool.submit(f"k{i}", f"h{i % 7}", lambda i=i: i)  # type: ignore[misc]
    assert pool.wait_idle(10)
    assert sorted(f.result() for _, f in pool.take_results()) == list(range(300))
    assert len(pool._threads) <= 4
    pool.close()


def test_pool_close_abandons_a_hung_task_after_the_grace():
    """close(timeout) returns within the grace with the hung task's key; the others finished."""
    release = threading.Event()
    pool: HostPool[str] = HostPool(workers=4, per_host=2)
    pool.submit("hung", "a", lambda: "done" if release.wait(60) else "late")
    pool.submit("quick", "b", lambda: "quick")
    started = time.monotonic()
    abandoned = pool.close(timeout=0.5)
    assert abandoned == ["hung"]
    assert time.monotonic() - started < 2
    assert ("quick" in {key for key, _ in pool.take_results()}) is True
    assert all(t.daemon for t in pool._threads)
    release.set()
