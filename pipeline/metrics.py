"""Prometheus metrics, read from Redis at scrape time.

The figures live in Redis (the write script's counters, stream lengths, RQ's registries,
feed health), so any process can serve them and forked job processes lose nothing.
Served by ``pipeline worker`` and ``pipeline schedule`` when PIPELINE_METRICS_PORT is set;
with PIPELINE_METRICS_PORT_SPAN > 1 each process takes the first free port of the range, so
processes sharing a host network (scaled containers with host networking) each get one.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from redis import Redis
from redis.exceptions import RedisError

from pipeline.errors import ConfigurationError
from pipeline.opstats import OUTCOMES, feed_states, queue_depths, read_counters
from pipeline.settings import Settings

__all__ = ["PipelineCollector", "serve_metrics"]

log = structlog.get_logger()


class PipelineCollector:
    """Collects the pipeline's figures from Redis on every scrape."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        """Yield every metric; ``pipeline_redis_up`` 0 when Redis does not answer."""
        up = GaugeMetricFamily("pipeline_redis_up", "1 when Redis answered this scrape")
        try:
            metrics = list(self._collect())
        except RedisError as exc:
            log.warning("metrics_redis_unavailable", error=str(exc))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
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


def serve_metrics(redis: Redis, settings: Settings) -> Any:
    """Start the metrics HTTP server on PIPELINE_METRICS_ADDR and the first free port of
    PIPELINE_METRICS_PORT and the PIPELINE_METRICS_PORT_SPAN - 1 after it (a daemon thread);
    does nothing when the port is 0. The server's ``server_port`` says which port it took."""
    if not settings.metrics_port:
        return None
    registry = CollectorRegistry(auto_describe=True)
    registry.register(PipelineCollector(redis, settings))
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
        log.info("metrics_serving", addr=settings.metrics_addr, port=port)
        return server
    return None  # unreachable: the span is at least one port
