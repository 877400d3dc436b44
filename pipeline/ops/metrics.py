"""Prometheus metrics, read from Redis at scrape time.

The figures live in Redis (the write script's counters, stream lengths, RQ's registries,
feed health, the latency histograms of ``pipeline/telemetry``), so forked job processes
lose nothing. Served by ``pipeline worker``, ``schedule`` and ``pages`` when
PIPELINE_METRICS_PORT is set; the series read from Redis only by the process holding the
metrics lease (``lease.py``), so a sum over every scraped process counts each figure once.
Every process serves its own ``process_*`` series, ``pipeline_redis_up`` (whether it reached
Redis) and ``pipeline_metrics_lease_held``.
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from redis import Redis
from redis.exceptions import RedisError

from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.records import OUTCOMES as PAGE_OUTCOMES
from pipeline.fetch.pages.records import read_outcomes
from pipeline.ops.lease import MetricsLease
from pipeline.ops.metric_families import extra_families
from pipeline.ops.stats import OUTCOMES, feed_coverage, feed_states, queue_depths, read_counters
from pipeline.settings import Settings

__all__ = ["PipelineCollector", "serve_metrics"]

log = structlog.get_logger()


class PipelineCollector:
    """Collects the pipeline's figures from Redis on every scrape; with a ``lease``, only
    while this process holds it."""

    def __init__(self, redis: Redis, settings: Settings, lease: MetricsLease | None = None):
        self.redis = redis
        self.settings = settings
        self.lease = lease

    def collect(self) -> Iterator[Metric]:
        """Yield every metric; ``pipeline_redis_up`` 0 when Redis does not answer."""
        up = GaugeMetricFamily(
            "pipeline_redis_up", "1 when this process reached Redis at this scrape"
        )
        held = GaugeMetricFamily(
            "pipeline_metrics_lease_held",
            "1 in the one process serving the series read from Redis",
        )
        try:
            serving = self.lease.hold() if self.lease is not None else True
            metrics = list(self._collect()) if serving else []
        except RedisError as exc:
            log.warning("metrics_redis_unavailable", error=str(exc))
            up.add_metric([], 0)
            held.add_metric([], 0)
            yield up
            yield held
            return
        up.add_metric([], 1)
        held.add_metric([], 1 if serving else 0)
        yield up
        yield held
        yield from metrics

    def _collect(self) -> Iterator[Metric]:
        s = self.settings
        counters = read_counters(self.redis, s)
        articles = CounterMetricFamily(
            "pipeline_articles", "Items by outcome of the atomic write", labels=["outcome"]
        )
        for outcome in OUTCOMES:
            articles.add_metric([outcome], counters.get(outcome, 0))
        yield articles

        streams = GaugeMetricFamily(
            "pipeline_stream_length", "Entries in a stream", labels=["stream"]
        )
        for stream in (s.articles_stream, s.dead_stream):
            streams.add_metric([stream], self.redis.xlen(stream))
        yield streams

        depths = GaugeMetricFamily("pipeline_queue_jobs", "Jobs by state", labels=["state"])
        for state, count in queue_depths(self.redis, s).items():
            depths.add_metric([state], count)
        yield depths

        feeds = GaugeMetricFamily("pipeline_feeds", "Known feeds by health state", labels=["state"])
        for state, count in feed_states(self.redis, s).items():
            feeds.add_metric([state], count)
        yield feeds
        yield from self._feed_gaps()
        yield from self._pages()
        yield from extra_families(self.redis, s)

    def _feed_gaps(self) -> Iterator[Metric]:
        coverage = feed_coverage(self.redis, self.settings)
        gaps = CounterMetricFamily(
            "pipeline_feed_gaps", "Polls that found every listed item of a feed new"
        )
        gaps.add_metric([], coverage["gaps"])
        yield gaps
        missed = CounterMetricFamily(
            "pipeline_feed_missed_items", "Items probably missed in feed gaps (from item dates)"
        )
        missed.add_metric([], coverage["missed"])
        yield missed

    def _pages(self) -> Iterator[Metric]:
        s = self.settings
        counts = read_outcomes(self.redis, s)
        pages = CounterMetricFamily(
            "pipeline_page_fetches",
            "Links whose page was fetched (page) or not used, by reason",
            labels=["outcome"],
        )
        for outcome in PAGE_OUTCOMES:
            pages.add_metric([outcome], counts[outcome])
        yield pages

        depth = Frontier(self.redis, s).depth()
        waiting = GaugeMetricFamily("pipeline_page_queue", "Page work by state", labels=["state"])
        waiting.add_metric(["queued"], depth.queued)
        waiting.add_metric(["in_flight"], depth.in_flight)
        waiting.add_metric(["retry_waiting"], depth.retry_waiting)
        yield waiting


def serve_metrics(redis: Redis, settings: Settings) -> Any:
    """Start the metrics HTTP server on PIPELINE_METRICS_ADDR:PORT (a daemon thread);
    does nothing when the port is 0. The lease is given up when the process exits."""
    if not settings.metrics_port:
        return None
    lease = MetricsLease(redis, settings)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(redis, settings, lease))
    ProcessCollector(registry=registry)
    server, _thread = start_http_server(
        settings.metrics_port, addr=settings.metrics_addr, registry=registry
    )
    atexit.register(_release, lease)
    log.info(
        "metrics_serving",
        addr=settings.metrics_addr,
        port=settings.metrics_port,
        holder=lease.holder,
    )
    return server


def _release(lease: MetricsLease) -> None:
    with contextlib.suppress(RedisError):  # else the lease runs out by itself
        lease.release()
