"""The scheduler: due feeds, FEEDS reloads, the single-scheduler lock, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from structlog.testing import capture_logs

from pipeline.fetch.feeds.fetcher import FetchContext
from pipeline.fetch.feeds.health import load_health
from pipeline.fetch.feeds.schedule import Scheduler, SchedulerLock, SchedulerLocked
from pipeline.fetch.http import FetchLimits, build_client
from pipeline.ops.localredis import find_redis_server, free_port
from pipeline.settings import Settings
from tests.conftest import RedisServer
from tests.integration.feeds_server import (
    FakeClock,
    FeedServer,
    NoJitter,
    Recorder,
    Route,
    make_rss,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ctx(
    make_settings: Callable[..., Settings], redis_client: redis_lib.Redis
) -> Iterator[FetchContext]:
    settings = make_settings(fetch_allow_private=True, fetch_timeout=5)
    limits = FetchLimits.from_settings(settings)
    with build_client(limits) as client:
        yield FetchContext(
            settings=settings,
            redis=redis_client,
            client=client,
            limits=limits,
            enqueue=Recorder(),
            clock=FakeClock(),
            rng=NoJitter(),
        )


def _write(path: Path, text: str, stamp: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(stamp, stamp))  # a distinct mtime even within one clock tick


def _settle(scheduler: Scheduler) -> None:
    assert scheduler.pool.wait_idle(10)
    scheduler.collect()


def test_due_feeds_are_polled_and_wait_for_their_interval(
    server: FeedServer, ctx: FetchContext, tmp_path: Path
):
    """Each feed is polled when due, not before, with the interval its health says."""
    server.routes["/a"] = Route(make_rss([("a1", "t")]))
    feeds = tmp_path / "feeds.txt"
    _write(feeds, f"{server.url('/a')} interval=10m\n", 1)
    scheduler = Scheduler(ctx, feeds)
    scheduler.load()
    assert scheduler.tick() == 1
    _settle(scheduler)
    clock: FakeClock = ctx.clock  # type: ignore[assignment]
    clock.t += 599
    assert scheduler.tick() == 0
    clock.t += 1
    assert scheduler.tick() == 1
    _settle(scheduler)
    assert [r.answered for r in server.hits("/a")] == [200, 304]
    assert scheduler.summary.polls == {"new": 1, "not_modified": 1}
    scheduler.pool.close()


def test_feeds_file_change_is_picked_up(server: FeedServer, ctx: FetchContext, tmp_path: Path):
    """Adding a feed to FEEDS schedules it at once; a removed feed is no longer polled."""
    server.routes["/a"] = Route(make_rss([("a1", "t")]))
    server.routes["/b"] = Route(make_rss([("b1", "t")]))
    feeds = tmp_path / "feeds.txt"
    _write(feeds, server.url("/a") + "\n", 1_000_000_000)
    scheduler = Scheduler(ctx, feeds)
    scheduler.load()
    scheduler.tick()
    _settle(scheduler)
    _write(feeds, server.url("/b") + "\n", 2_000_000_000)
    assert scheduler.tick() == 1
    _settle(scheduler)
    assert list(scheduler.feeds) == [server.url("/b")]
    assert scheduler.summary.reloads == 1
    ctx.clock.t += 86_400 * 2  # type: ignore[attr-defined]
    scheduler.tick()
    _settle(scheduler)
    assert len(server.hits("/a")) == 1 and len(server.hits("/b")) == 2
    scheduler.pool.close()


def test_broken_feeds_file_keeps_the_current_list(
    server: FeedServer, ctx: FetchContext, tmp_path: Path
):
    """An unreadable FEEDS during a run is logged and the feeds already known keep going."""
    server.routes["/a"] = Route(make_rss([("a1", "t")]))
    feeds = tmp_path / "feeds.opml"
    _write(feeds, f'<opml><body><outline xmlUrl="{server.url("/a")}"/></body></opml>', 1)
    scheduler = Scheduler(ctx, feeds)
    scheduler.load()
    _write(feeds, "<opml><body><outline", 2)
    scheduler.tick()
    _settle(scheduler)
    assert list(scheduler.feeds) == [server.url("/a")]
    assert len(server.hits("/a")) == 1
    scheduler.pool.close()


def test_a_malformed_line_added_while_running_is_skipped_and_reported(
    server: FeedServer, ctx: FetchContext, tmp_path: Path
):
    """``http://[::1/feed`` appended to a watched FEEDS: the reload neither crashes nor drops
    the list; the new good line is picked up and the bad one is logged with its number."""
    server.routes["/a"] = Route(make_rss([("a1", "t")]))
    server.routes["/b"] = Route(make_rss([("b1", "t")]))
    feeds = tmp_path / "feeds.txt"
    _write(feeds, server.url("/a") + "\n", 1_000_000_000)
    scheduler = Scheduler(ctx, feeds)
    scheduler.load()
    _write(feeds, f"{server.url('/a')}\nhttp://[::1/feed\n{server.url('/b')}\n", 2_000_000_000)
    with capture_logs() as logs:
        scheduler.tick()
        _settle(scheduler)
    assert list(scheduler.feeds) == [server.url("/a"), server.url("/b")]
    assert len(server.hits("/b")) == 1
    (skipped,) = [e for e in logs if e["event"] == "feeds_line_skipped"]
    assert skipped["problem"].startswith("line 2: not a valid URL")
    scheduler.pool.close()


def test_a_second_scheduler_is_refused(ctx: FetchContext, tmp_path: Path):
    """While one scheduler holds the lock, another exits (or waits) and says who holds it."""
    feeds = tmp_path / "feeds.txt"
    _write(feeds, "http://127.0.0.1:9/feed\n", 1)
    first = SchedulerLock(ctx.redis, ctx.settings.key("scheduler", "lock"), ttl=30)
    assert first.acquire()
    second = Scheduler(ctx, feeds)
    second.load()
    with pytest.raises(SchedulerLocked, match=first.token):
        second.run(threading.Event(), exit_if_locked=True)
    stop = threading.Event()
    waiting = threading.Thread(target=second.run, args=(stop,))
    second.max_sleep = 0.05
    waiting.start()
    time.sleep(0.3)
    assert ctx.redis.get(first.key) == first.token.encode()  # still waiting, not taken
    stop.set()
    waiting.join(5)
    assert not waiting.is_alive()
    first.release()
    assert ctx.redis.get(first.key) is None


def test_lock_renewal_only_by_its_owner(ctx: FetchContext):
    """A lock taken over by someone else is not renewed nor released by the old owner."""
    key = ctx.settings.key("scheduler", "lock")
    mine = SchedulerLock(ctx.redis, key, ttl=30)
    assert mine.acquire() and mine.renew()
    ctx.redis.set(key, "someone-else")
    assert not mine.renew()
    mine.release()
    assert ctx.redis.get(key) == b"someone-else"


def _spawn(
    redis_server: RedisServer,
    feeds: Path,
    prefix: str,
    *extra: str,
    env_extra: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PIPELINE_REDIS_URL": redis_server.url,
        "PIPELINE_PREFIX": prefix,
        "PIPELINE_FETCH_ALLOW_PRIVATE": "true",
        "PIPELINE_LOG_LEVEL": "INFO",
        **(env_extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--log-json", "schedule", "--feeds", str(feeds), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_finishes_in_flight_fetches_and_releases_the_lock(
    server: FeedServer, redis_server: RedisServer, redis_client: Any, tmp_path: Path
):
    """SIGTERM: the slow fetch in flight completes and is recorded, the lock is released."""
    server.routes["/slow"] = Route(make_rss([("s1", "t")]), delay=1.5)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(server.url("/slow") + "\n")
    proc = _spawn(redis_server, feeds, "sig:")
    try:
        deadline = time.monotonic() + 20
        while not server.hits("/slow"):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the scheduler never fetched"
            time.sleep(0.05)
        other = _spawn(redis_server, feeds, "sig:", "--exit-if-locked")
        _, other_err = other.communicate(timeout=30)
        assert other.returncode == 4
        assert "another scheduler holds the lock" in other_err
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "scheduler_stopped" in err
    settings = Settings(redis_url=redis_server.url, prefix="sig:")
    health = load_health(redis_client, settings, server.url("/slow"))
    assert health.last_outcome == "new"  # the fetch in flight was finished and recorded
    assert redis_client.get(settings.key("scheduler", "lock")) is None


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_sigterm_abandons_a_hung_fetch_and_ends_within_seconds(
    server: FeedServer, redis_server: RedisServer, redis_client: Any, tmp_path: Path
):
    """A poll hangs (no answer within the 30 s fetch timeout); SIGTERM still ends the
    scheduler within a few seconds, releases the lock, and records nothing for the
    abandoned poll: the feed keeps the schedule it had."""
    server.routes["/hang"] = Route(make_rss([("h1", "t")]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(server.url("/hang") + "\n")
    settings = Settings(redis_url=redis_server.url, prefix="hang:")
    fast = {
        "PIPELINE_FEED_MIN_INTERVAL": "1",
        "PIPELINE_FEED_START_INTERVAL": "1",
        "PIPELINE_FETCH_TIMEOUT": "30",
    }
    proc = _spawn(redis_server, feeds, "hang:", env_extra=fast)
    try:
        url = server.url("/hang")
        _wait_for(lambda: load_health(redis_client, settings, url).fetches == 1, proc, "a poll")
        before = load_health(redis_client, settings, url)
        server.routes["/hang"] = Route(make_rss([("h1", "t")]), delay=120)
        _wait_for(lambda: len(server.hits("/hang")) == 2, proc, "the hung poll")
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _, err = proc.communicate(timeout=20)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert took < 6, f"the scheduler took {took:.1f} s to stop"
    assert "scheduler_fetches_abandoned" in err and "scheduler_stopped" in err
    assert load_health(redis_client, settings, url) == before  # its schedule, untouched
    assert redis_client.get(settings.key("scheduler", "lock")) is None


def test_scheduler_rides_out_a_redis_outage(server: FeedServer, tmp_path: Path):
    """With Redis gone the scheduler logs the failure and keeps running; stop still works."""
    binary = find_redis_server()
    assert binary is not None
    own = RedisServer(binary, free_port(), str(tmp_path))
    try:
        settings = Settings(redis_url=own.url, fetch_allow_private=True, fetch_timeout=5)
        limits = FetchLimits.from_settings(settings)
        server.routes["/a"] = Route(make_rss([("a1", "t")]))
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/a") + "\n")
        with build_client(limits) as client, capture_logs() as logs:
            ctx = FetchContext(
                settings=settings,
                redis=own.client(),
                client=client,
                limits=limits,
                enqueue=Recorder(),
            )
            scheduler = Scheduler(ctx, feeds, lock_ttl=3, max_sleep=0.1)
            scheduler.load()
            stop = threading.Event()
            running = threading.Thread(target=scheduler.run, args=(stop,))
            running.start()
            deadline = time.monotonic() + 10
            while not server.hits("/a") and time.monotonic() < deadline:
                time.sleep(0.05)
            own.stop()
            time.sleep(1.5)
            assert running.is_alive()
            stop.set()
            running.join(10)
        assert not running.is_alive()
        events = [e["event"] for e in logs]
        assert "scheduler_redis_failed" in events
        assert events[-1] == "scheduler_stopped"
    finally:
        own.stop()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("feeds.txt", "# Feeds polled by the scheduler: one URL per line.\n"),  # no usable feed
        ("feeds.opml", "<opml><body><outline"),  # malformed
        ("feeds.txt", None),  # missing
    ],
    ids=["empty", "broken", "missing"],
)
def test_scheduler_without_usable_feeds_waits_and_rereads_the_file(
    server: FeedServer, redis_server: RedisServer, tmp_path: Path, name: str, content: str | None
):
    """Under a supervisor (compose's restart policy) a scheduler that exited on an empty
    or broken FEEDS would be restarted forever: it says what is wrong, keeps running, and
    polls the feeds as soon as the file lists some."""
    server.routes["/late"] = Route(make_rss([("l1", "t")]))
    feeds = tmp_path / name
    if content is not None:
        feeds.write_text(content)
    log_path = tmp_path / "scheduler.log"
    env = {
        **os.environ,
        "PIPELINE_REDIS_URL": redis_server.url,
        "PIPELINE_PREFIX": "wait:",
        "PIPELINE_FETCH_ALLOW_PRIVATE": "true",
    }
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--log-json", "schedule", "--feeds", str(feeds)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            text=True,
        )
    try:
        waiting_event = (
            "feeds_none_usable" if name == "feeds.txt" and content else "feeds_unreadable"
        )
        deadline = time.monotonic() + 20
        while waiting_event not in log_path.read_text():
            assert proc.poll() is None, f"the scheduler exited: {log_path.read_text()}"
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        time.sleep(1.0)
        assert proc.poll() is None, f"the scheduler exited: {log_path.read_text()}"
        assert not server.hits("/late")
        listed = feeds.with_suffix(".txt")
        listed.write_text(f"# added while the scheduler runs\n{server.url('/late')}\n")
        if listed != feeds:
            listed.replace(feeds)  # the broken OPML is replaced by a plain list
        deadline = time.monotonic() + 20
        while not server.hits("/late"):
            assert proc.poll() is None, f"the scheduler exited: {log_path.read_text()}"
            assert time.monotonic() < deadline, f"never polled: {log_path.read_text()}"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log_path.read_text()
    assert '"waiting": true' in log_path.read_text()
