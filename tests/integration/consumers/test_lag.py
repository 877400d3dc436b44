"""Group lag in `pipeline stats` and the metrics, on Redis 7 (exact) and 6.2 (flagged)."""

from __future__ import annotations

import json
import urllib.request

import pytest
import redis

from pipeline.cli import main
from pipeline.ops.localredis import free_port
from pipeline.ops.metrics import serve_metrics
from pipeline.settings import Settings
from pipeline.streams import Consumer
from pipeline.streams.groups import group_lags
from tests.integration.consumers.conftest import write_articles

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _redis7(client: redis.Redis) -> bool:
    return int(client.info("server")["redis_version"].split(".")[0]) >= 7


def _behind_and_trimmed(client: redis.Redis, settings: Settings) -> None:
    """10 entries; group slow reads 3 and acknowledges 1; fast reads all; then the
    stream is trimmed to its last 5: slow lost 2 pending and 2 unread entries."""
    write_articles(client, settings, 10)
    slow = Consumer(client, settings.articles_stream, "slow", "s")
    batch = slow.read(count=3)
    slow.ack(batch[:1])
    fast = Consumer(client, settings.articles_stream, "fast", "f")
    fast.ack(fast.read(count=100))
    client.xtrim(settings.articles_stream, maxlen=5, approximate=False)


def test_lag_and_trimmed_entries_per_group(
    both_servers: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exact counts on Redis 7; lag unknown and trimmed-unread flagged on 6.2."""
    client = redis.Redis.from_url(both_servers.redis_url)
    _behind_and_trimmed(client, both_servers)
    monkeypatch.setenv("PIPELINE_REDIS_URL", both_servers.redis_url)
    assert main(["--log-level", "ERROR", "stats", "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)["consumer groups"]["news:articles"]
    slow, fast = groups["slow"], groups["fast"]
    assert set(slow) == {
        "stream", "group", "consumers", "pending", "oldest_pending_seconds", "lag",
        "trimmed_unread", "trimmed_unread_possible", "trimmed_pending",
        "handed_back_waiting", "last_delivered_id",
    }  # fmt: skip
    assert slow["pending"] == 2 and slow["trimmed_pending"] == 2
    assert slow["oldest_pending_seconds"] is not None
    assert fast["pending"] == 0 and fast["trimmed_pending"] == 0
    if _redis7(client):
        assert (slow["lag"], slow["trimmed_unread"]) == (7, 2)
        assert (fast["lag"], fast["trimmed_unread"]) == (0, 0)
        assert not slow["trimmed_unread_possible"]
    else:
        assert slow["lag"] is None and slow["trimmed_unread"] is None
        assert slow["trimmed_unread_possible"] and not fast["trimmed_unread_possible"]

    assert main(["--log-level", "ERROR", "stats"]) == 0
    human = capsys.readouterr().out
    assert "news:articles slow: 1 consumers, 2 pending" in human
    assert "TRIMMED PENDING 2" in human


def test_metrics_show_pending_lag_and_trimmed_per_group(both_servers: Settings) -> None:
    """pipeline_consumer_{pending,lag,trimmed_unread}{group}; lag absent when unknown."""
    client = redis.Redis.from_url(both_servers.redis_url)
    _behind_and_trimmed(client, both_servers)
    settings = both_servers.model_copy(update={"metrics_port": free_port()})
    server = serve_metrics(client, settings)
    try:
        url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
    labels = 'group="slow",stream="news:articles"'
    assert f"pipeline_consumer_pending{{{labels}}} 2.0" in text
    if _redis7(client):
        assert f"pipeline_consumer_lag{{{labels}}} 7.0" in text
        assert f'pipeline_consumer_trimmed_unread{{exact="true",{labels}}} 4.0' in text
    else:
        assert "pipeline_consumer_lag{" not in text
        assert f'pipeline_consumer_trimmed_unread{{exact="false",{labels}}} 3.0' in text


def test_reclaiming_trimmed_pending_entries_counts_them(both_servers: Settings) -> None:
    """Entries trimmed while pending leave the pending list but stay counted."""
    client = redis.Redis.from_url(both_servers.redis_url)
    _behind_and_trimmed(client, both_servers)
    taker = Consumer(client, both_servers.articles_stream, "slow", "t", claim_idle_ms=0)
    assert taker.reclaim() == []  # both were trimmed: nothing to hand out
    [slow] = [g for g in group_lags(client, both_servers.articles_stream) if g.group == "slow"]
    assert slow.pending == 0 and slow.trimmed_pending == 2
