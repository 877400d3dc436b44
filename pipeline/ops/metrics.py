"""Prometheus metrics, read from Redis at scrape time.

The figures live in Redis (the write script's counters, stream lengths, RQ's registries,
feed health, the latency histograms of ``pipeline/telemetry``), so forked job processes
lose nothing. Served by ``pipeline worker``, ``schedule`` and ``pages`` when
PIPELINE_METRICS_PORT is set; the series read from Redis only by the process holding the
metrics lease (``lease.py``), so a sum over every scraped process counts each figure once.
Every process serves its own ``process_*`` series, ``pipeline_redis_up`` (whether it reached
Redis) and ``pipeline_metrics_lease_held``. With PIPELINE_METRICS_PORT_SPAN > 1 each process
takes the first free port of the range, so processes sharing a host network (scaled
containers with host networking) each get one.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from redis import Redis
from redis.exceptions import RedisError

from pipeline.errors import ConfigurationError
from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.records import OUTCOMES as PAGE_OUTCOMES
from pipeline.fetch.pages.records import read_outcomes
from pipeline.ops.lease import MetricsLease
from pipeline.ops.metric_families import extra_families
from pipeline.ops.stats import (
    OUTCOMES,
    feed_coverage,
    feed_states,
    near_index,
    queue_depths,
    read_counters,
)
from pipeline.queueing import BATCHES_MISSING
from pipeline.settings import Settings
from pipeline.streams.groups import group_lags

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

        missing = CounterMetricFamily(
            "pipeline_batches_missing",
            "Batch jobs that found their items gone and never written (an alarm: should stay 0)",
        )
        missing.add_metric([], counters.get(BATCHES_MISSING, 0))
        yield missing

        index = GaugeMetricFamily(
            "pipeline_neardup_index_articles",
            "Articles in the near-duplicate index (within PIPELINE_NEARDUP_DAYS)",
        )
        index.add_metric([], near_index(self.redis, s)["articles indexed"])
        yield index

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
        yield from self._consumer_groups()
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

    def _consumer_groups(self) -> Iterator[Metric]:
        labels = ["stream", "group"]
        pending = GaugeMetricFamily(
            "pipeline_consumer_pending", "Entries delivered, not yet acknowledged", labels=labels
        )
        oldest = GaugeMetricFamily(
            "pipeline_consumer_oldest_pending_seconds",
            "Age of the oldest pending entry (since written)",
            labels=labels,
        )
        lag = GaugeMetricFamily(
            "pipeline_consumer_lag",
            "Entries not yet delivered to the group (absent when unknown: Redis < 7)",
            labels=labels,
        )
        trimmed = GaugeMetricFamily(
            "pipeline_consumer_trimmed_unread",
            "Entries trimmed before the group handled them (unread or pending); "
            'exact="false" (Redis < 7): unread ones only flagged, counted as 1',
            labels=[*labels, "exact"],
        )
        for stream in (self.settings.articles_stream, self.settings.dead_stream):
            for g in group_lags(self.redis, stream):
                pending.add_metric([stream, g.group], g.pending)
                oldest.add_metric([stream, g.group], g.oldest_pending_seconds or 0.0)
                if g.lag is not None:
                    lag.add_metric([stream, g.group], g.lag)
                exact = "true" if g.trimmed_unread is not None else "false"
                trimmed.add_metric([stream, g.group, exact], g.trimmed_total)
        yield from (pending, oldest, lag, trimmed)


def serve_metrics(redis: Redis, settings: Settings) -> Any:
    """Start the metrics HTTP server on PIPELINE_METRICS_ADDR and the first free port of
    PIPELINE_METRICS_PORT and the PIPELINE_METRICS_PORT_SPAN - 1 after it (a daemon thread);
    does nothing when the port is 0. The server's ``server_port`` says which port it took;
    the lease is given up when the process exits."""
    if not settings.metrics_port:
        return None
    lease = MetricsLease(redis, settings)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(redis, settings, lease))
    ProcessCollector(registry=registry)
    first = settings.metrics_port
    last = first + settings.metrics_port_span - 1
    for port in range(first, last + 1):
        try:
            server, _thread = start_http_server(port, addr=settings.metrics_addr, registry=registry)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and port < last:
                continue
            ports = f"port {first}" if first == last else f"ports {first}-{last}"
            raise ConfigurationError(
                f"cannot serve metrics on {settings.metrics_addr}, {ports}: "
                f"{exc.strerror or exc}; set PIPELINE_METRICS_PORT to a free port "
                "(or PIPELINE_METRICS_PORT_SPAN to try more), or 0 to turn metrics off"
            ) from exc
        atexit.register(_release, lease)
        log.info("metrics_serving", addr=settings.metrics_addr, port=port, holder=lease.holder)
        return server
    return None  # unreachable: the span is at least one port


def _release(lease: MetricsLease) -> None:
    with contextlib.suppress(RedisError):  # else the lease runs out by itself
        lease.release()
