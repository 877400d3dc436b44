"""`pipeline fetch` and `pipeline feeds` as a user runs them."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.fetch.feeds.health import FeedHealth, load_health, save_health
from pipeline.settings import Settings
from tests.conftest import RedisServer
from tests.integration.feeds_server import FeedServer, Route, make_rss

pytestmark = pytest.mark.integration


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer, redis_client: object
) -> Settings:
    monkeypatch.setenv("PIPELINE_REDIS_URL", redis_server.url)
    monkeypatch.setenv("PIPELINE_FETCH_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("PIPELINE_FETCH_TIMEOUT", "5")
    return Settings()


def test_fetch_says_per_feed_what_happened(
    server: FeedServer, env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """New items, not modified and errors are each reported, and the exit status is 0."""
    server.routes["/news"] = Route(make_rss([("a", "x"), ("b", "y")]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"# my feeds\n{server.url('/news')}\n{server.url('/gone')}\nftp://nope/\n")
    assert main(["fetch", "--feeds", str(feeds)]) == 0
    out, err = capsys.readouterr()
    assert f"new items     {server.url('/news')}: 2 new, 0 changed, 0 seen" in out
    assert f"error         {server.url('/gone')}" in out and "(HTTP 404)" in out
    assert "line 4: only http and https feeds are supported" in err
    assert main(["fetch", "--feeds", str(feeds)]) == 0
    out, _ = capsys.readouterr()
    assert f"not modified  {server.url('/news')}" in out
    assert "2 feeds: 0 with items, 1 not modified, 0 unchanged, 1 errors; 0 items enqueued" in out


def test_fetch_and_feeds_skip_a_malformed_line_with_its_number(
    server: FeedServer, env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A malformed URL in FEEDS is one skipped line on stderr for both commands, no traceback."""
    server.routes["/news"] = Route(make_rss([("a", "x")]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"http://[::1/feed\n{server.url('/news')}\n")
    for argv in (["fetch", "--feeds", str(feeds)], ["feeds", "--feeds", str(feeds)]):
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert "line 1: not a valid URL (Invalid IPv6 URL)" in err
        assert server.url("/news") in out


def test_fetch_json_lines(
    server: FeedServer, env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """--json prints one object per feed with its outcome and counts."""
    server.routes["/news"] = Route(make_rss([("a", "x")]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(server.url("/news") + "\n")
    assert main(["fetch", "--feeds", str(feeds), "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip())
    assert (record["outcome"], record["new_items"], record["enqueued"]) == ("new", 1, 1)


def test_fetch_bad_usage_and_unreachable_redis_are_errors(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A missing FEEDS file or a file with no usable feed is bad usage; no Redis is status 3."""
    assert main(["fetch", "--feeds", str(tmp_path / "missing.txt")]) == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\nnot a url\n")
    assert main(["fetch", "--feeds", str(empty)]) == 2
    good = tmp_path / "good.txt"
    good.write_text("http://127.0.0.1:9/feed\n")
    monkeypatch.setenv("PIPELINE_REDIS_URL", "redis://127.0.0.1:9/0")
    assert main(["fetch", "--feeds", str(good)]) == 3


def test_feeds_lists_health_and_flags_silent_feeds(
    env: Settings, redis_client: object, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    """`pipeline feeds` shows each feed's state, its last error and why, and silent feeds."""
    now = time.time()
    busy_then_quiet = FeedHealth(
        url="https://quiet.example/rss",
        title="Quiet",
        fetches=40,
        successes=40,
        last_success=now - 600,
        items_counted=200,
        usual_rate=24.0,
        last_new_item=now - 3 * 86_400,
        next_poll=now + 900,
    )
    failing = replace(
        FeedHealth(url="https://down.example/rss"),
        fetches=3,
        last_error="HTTP 503 Service Unavailable",
        last_error_at=now - 60,
        last_error_kind="transient",
        last_error_status=503,
        consecutive_failures=3,
        failure_weight=3.0,
        next_poll=now + 4 * 3600,
    )
    for health in (busy_then_quiet, failing):
        save_health(redis_client, env, health)  # type: ignore[arg-type]
    assert main(["feeds"]) == 0
    out = capsys.readouterr().out
    assert "SILENT   https://quiet.example/rss  (Quiet)" in out
    assert "silent: no new item for 3d, usually 24.0/day" in out
    assert "FAILING  https://down.example/rss" in out
    assert "next poll in 4h | items/day not known yet | failure weight 3.0 (3 in a row)" in out
    assert "(transient HTTP 503): HTTP 503 Service Unavailable" in out
    assert main(["feeds", "--json"]) == 0
    records = {r["url"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["https://quiet.example/rss"]["silent"] is True
    assert records["https://down.example/rss"]["state"] == "failing"
    assert records["https://down.example/rss"]["failure_weight"] == 3.0
    assert records["https://down.example/rss"]["items_per_day"] is None
    assert main(["feeds", "--silent", "--json"]) == 0
    assert [r["url"] for r in json.loads(capsys.readouterr().out)] == ["https://quiet.example/rss"]
    only = tmp_path / "feeds.txt"
    only.write_text("https://quiet.example/rss\nhttps://never.example/rss\n")
    assert main(["feeds", "--feeds", str(only), "--json"]) == 0
    states = {r["url"]: r["state"] for r in json.loads(capsys.readouterr().out)}
    assert states == {"https://quiet.example/rss": "silent", "https://never.example/rss": "new"}


def test_feeds_shows_failing_and_gapped_first_with_retry_after(
    env: Settings, redis_client: object, capsys: pytest.CaptureFixture[str]
):
    """`pipeline feeds` lists failing feeds, then gapped ones, then the rest; shows the
    server's Retry-After and the gap; --failing and --gapped keep only those."""
    now = time.time()
    ok = FeedHealth(
        url="https://a.example/ok", fetches=9, successes=9, last_success=now - 60, interval=300
    )
    gapped = FeedHealth(
        url="https://b.example/busy",
        fetches=9,
        successes=9,
        last_success=now - 30,
        listed=50,
        gaps=3,
        last_gap_at=now - 30,
        last_gap_missed=310,
        missed_total=400,
    )
    throttled = FeedHealth(
        url="https://c.example/throttled",
        fetches=1,
        consecutive_failures=1,
        failure_weight=1.0,
        last_error="server answered 429 Too Many Requests",
        last_error_at=now - 5,
        last_error_kind="transient",
        last_error_status=429,
        retry_after=30.0,
        next_poll=now + 25,
    )
    for health in (ok, gapped, throttled):
        save_health(redis_client, env, health)  # type: ignore[arg-type]
    assert main(["feeds"]) == 0
    out = capsys.readouterr().out
    heads = [line.split()[0] for line in out.splitlines() if not line.startswith(" ")]
    assert heads[:3] == ["FAILING", "GAPPED", "OK"]
    assert "(transient HTTP 429): server answered 429 Too Many Requests;" in out
    assert "server asked to wait 30s (Retry-After)" in out
    assert "no listed item (of 50) seen before, ~310 items probably missed;" in out
    assert "3 gaps, ~400 missed in all" in out
    assert out.splitlines()[-1] == "1 failing, 1 gapped, 1 ok"
    assert main(["feeds", "--failing", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["url"] for r in records] == [throttled.url]
    assert records[0]["retry_after"] == 30.0
    assert main(["feeds", "--gapped", "--failing", "--json"]) == 0
    assert [r["url"] for r in json.loads(capsys.readouterr().out)] == [throttled.url, gapped.url]


def test_stats_count_feed_gaps(
    env: Settings, redis_client: object, capsys: pytest.CaptureFixture[str]
):
    """`pipeline stats` counts gaps over every feed and the items they probably cost."""
    save_health(
        redis_client,  # type: ignore[arg-type]
        env,
        FeedHealth(url="https://b.example/busy", fetches=2, last_gap_at=time.time()),
        counters={"gaps": 1, "missed": 310},
    )
    assert main(["stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["feed gaps"] == {"gaps detected": 1, "items probably missed (estimated)": 310}
    assert figures["feeds"]["gapped"] == 1
    assert main(["stats"]) == 0
    assert "gaps detected" in capsys.readouterr().out


def test_interval_settings_come_from_the_environment(
    server: FeedServer,
    env: Settings,
    redis_client: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    """PIPELINE_FEED_START_INTERVAL sets a new (hourly) feed's next poll; a minimum above
    the maximum is a usage error that names both settings."""
    hourly = [time.time() - n * 3600 for n in range(5)]
    server.routes["/news"] = Route(make_rss([(f"a{n}", "x") for n in range(5)], dates=hourly))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(server.url("/news") + "\n")
    monkeypatch.setenv("PIPELINE_FEED_START_INTERVAL", "120")
    assert main(["fetch", "--feeds", str(feeds)]) == 0
    health = load_health(redis_client, env, server.url("/news"))  # type: ignore[arg-type]
    assert health.next_poll is not None and health.last_success is not None
    assert 108 <= health.next_poll - health.last_success <= 132  # 120 s +/- 10 % jitter
    monkeypatch.setenv("PIPELINE_FEED_MIN_INTERVAL", "600")
    monkeypatch.setenv("PIPELINE_FEED_MAX_INTERVAL", "300")
    capsys.readouterr()
    assert main(["fetch", "--feeds", str(feeds)]) == 2
    err = capsys.readouterr().err
    assert "PIPELINE_FEED_MIN_INTERVAL must not exceed PIPELINE_FEED_MAX_INTERVAL" in err
