"""Prometheus metrics served from Redis figures."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Callable

import pytest
import redis
from structlog.testing import capture_logs

from pipeline.errors import ConfigurationError
from pipeline.fetch.feeds.feedlist import FeedSpec
from pipeline.fetch.feeds.fetcher import fetch_all, open_context
from pipeline.fetch.feeds.health import FeedHealth, save_health
from pipeline.models import EnrichedArticle, utc_now
from pipeline.ops.localredis import free_port
from pipeline.ops.metrics import serve_metrics
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter
from tests.integration.feeds_server import FeedServer, Route, make_rss

pytestmark = pytest.mark.integration


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def test_metrics_report_outcomes_streams_and_queue(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    """A scrape shows what the write did, the stream lengths and the queue."""
    settings = make_settings(metrics_port=free_port())
    article = EnrichedArticle(
        id="a", source="t", kind="jsonl", text="x", fingerprint="f", fetched=utc_now()
    )
    writer = BatchWriter(redis_client, settings)
    writer.write([article])
    writer.write([article])
    redis_client.hincrby(settings.key("stats"), "batches_missing", 2)  # what a lost batch does
    server = serve_metrics(redis_client, settings)
    try:
        text = _scrape(settings.metrics_port)
    finally:
        server.shutdown()
    assert "pipeline_redis_up 1.0" in text
    assert 'pipeline_articles_total{outcome="new"} 1.0' in text
    assert 'pipeline_articles_total{outcome="repeat"} 1.0' in text
    assert 'pipeline_stream_length{stream="news:articles"} 1.0' in text
    assert 'pipeline_queue_jobs{state="queued"} 0.0' in text
    assert "pipeline_batches_missing_total 2.0" in text


def test_metrics_say_when_redis_is_down() -> None:
    """With Redis gone the endpoint still answers, with pipeline_redis_up 0."""
    settings = Settings(redis_url="redis://127.0.0.1:1/0", metrics_port=free_port())
    server = serve_metrics(redis.Redis.from_url(settings.redis_url), settings)
    try:
        assert "pipeline_redis_up 0.0" in _scrape(settings.metrics_port)
    finally:
        server.shutdown()


def test_no_server_when_the_port_is_zero(settings: Settings, redis_client: redis.Redis) -> None:
    """Metrics are off by default."""
    assert serve_metrics(redis_client, settings) is None


def test_metrics_count_feed_gaps(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    """Gaps detected over every feed, and the items they probably cost, are counters."""
    settings = make_settings(metrics_port=free_port())
    gapped = FeedHealth(url="https://b.example/busy", fetches=2, last_gap_at=time.time())
    save_health(redis_client, settings, gapped, counters={"gaps": 2, "missed": 45})
    server = serve_metrics(redis_client, settings)
    try:
        text = _scrape(settings.metrics_port)
    finally:
        server.shutdown()
    assert "pipeline_feed_gaps_total 2.0" in text
    assert "pipeline_feed_missed_items_total 45.0" in text
    assert 'pipeline_feeds{state="gapped"} 1.0' in text


def test_processes_sharing_a_host_network_each_take_a_port_of_the_span(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    """Scaled workers with host networking share one environment: with a span, each takes
    the next free port and says which; when the span is full the error says what to set."""
    first = free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", first))  # another process already serves the first port
    taken.listen()
    settings = make_settings(metrics_port=first, metrics_port_span=3)
    servers = []
    try:
        with capture_logs() as logs:
            servers = [serve_metrics(redis_client, settings) for _ in range(2)]
        ports = [server.server_port for server in servers]
        assert ports == [first + 1, first + 2]
        assert [e["port"] for e in logs if e["event"] == "metrics_serving"] == ports
        for port in ports:
            assert "pipeline_redis_up 1.0" in _scrape(port)
        with pytest.raises(ConfigurationError, match=f"ports {first}-{first + 2}.*SPAN"):
            serve_metrics(redis_client, settings)
    finally:
        taken.close()
        for server in servers:
            server.shutdown()
            server.server_close()


def test_metrics_count_feed_polls_by_outcome_and_host_and_time_parsing(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    server: FeedServer,
) -> None:
    """Two polls of a feed (new, then not modified) and one of a missing feed: polls by
    outcome, by host, and the parse's time in the read stage (shared over its items)."""
    settings = make_settings(metrics_port=free_port(), fetch_allow_private=True, pages=False)
    server.routes["/news"] = Route(make_rss([("a", "x"), ("b", "y"), ("c", "z")]))
    feeds = [FeedSpec(server.url("/news")), FeedSpec(server.url("/gone"))]
    with open_context(settings, redis_client) as ctx:
        fetch_all(ctx, feeds)
        fetch_all(ctx, feeds[:1])
    metrics = serve_metrics(redis_client, settings)
    try:
        text = _scrape(settings.metrics_port)
    finally:
        metrics.shutdown()
    assert 'pipeline_feed_fetches_total{outcome="new"} 1.0' in text
    assert 'pipeline_feed_fetches_total{outcome="not_modified"} 1.0' in text
    assert 'pipeline_feed_fetches_total{outcome="http_4xx"} 1.0' in text
    assert 'pipeline_feed_host_fetches_total{host="127.0.0.1",outcome="http_4xx"} 1.0' in text
    assert 'pipeline_feed_host_fetches_total{host="127.0.0.1",outcome="new"} 1.0' in text
    assert 'pipeline_stage_duration_seconds_count{stage="read"} 3.0' in text
    assert 'pipeline_items_in_total{kind="feed"} 3.0' in text
