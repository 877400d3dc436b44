"""The metric families read from Redis beyond the write counters: items in, the oldest job,
stage latency and batch histograms, feed polls and page fetches by outcome and by host,
workers. Called by ``PipelineCollector`` at scrape time (only in the lease holder)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import get_args

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from redis import Redis
from rq import Worker
from rq.job import Job
from rq.utils import utcparse

from pipeline.fetch.feeds.records import POLL_OUTCOMES, read_feed_hosts, read_poll_outcomes
from pipeline.fetch.pages.records import OUTCOMES as PAGE_OUTCOMES
from pipeline.fetch.pages.records import read_hosts
from pipeline.models import RawItem
from pipeline.queueing import items_in_key, make_queue
from pipeline.settings import Settings
from pipeline.telemetry.histograms import HISTOGRAMS, STAGES, HistogramSpec, read_histogram

__all__ = ["TOP_HOSTS", "extra_families", "top_hosts"]

# Hosts get a series each only among the busiest and the most failing: a label set that
# stays bounded however many hosts the feeds link to. The totals have no host label.
TOP_HOSTS = 10
ITEM_KINDS: tuple[str, ...] = get_args(RawItem.model_fields["kind"].annotation)
_FEED_OK = frozenset({"new", "not_modified", "unchanged"})
_PAGE_OK = frozenset({"page"})


def extra_families(redis: Redis, settings: Settings) -> Iterator[Metric]:
    """Every family of this module, in the order the exposition lists them."""
    yield _items_in(redis, settings)
    yield _oldest_job(redis, settings)
    yield from _workers(redis, settings)
    for spec in HISTOGRAMS:
        yield _histogram(redis, settings, spec)
    yield from _feed_polls(redis, settings)
    yield _page_hosts(redis, settings)


def _items_in(redis: Redis, settings: Settings) -> Metric:
    raw = {k.decode(): int(v) for k, v in redis.hgetall(items_in_key(settings)).items()}
    family = CounterMetricFamily(
        "pipeline_items_in", "Items put on the ingest queue, by kind of input", labels=["kind"]
    )
    for kind in sorted(set(ITEM_KINDS) | set(raw)):
        family.add_metric([kind], raw.get(kind, 0))
    return family


def oldest_job_age(redis: Redis, settings: Settings, now: float | None = None) -> float:
    """Seconds the oldest queued ingest job has waited (0 when the queue is empty)."""
    queue = make_queue(redis, settings)
    for job_id in queue.get_job_ids(0, 5):  # a deleted job can leave its id behind
        enqueued = redis.hget(Job.key_for(job_id), "enqueued_at")
        if enqueued:
            at = utcparse(enqueued.decode()).timestamp()
            return max(0.0, (time.time() if now is None else now) - at)
    return 0.0


def _oldest_job(redis: Redis, settings: Settings) -> Metric:
    family = GaugeMetricFamily(
        "pipeline_queue_oldest_job_age_seconds",
        "Seconds the oldest job of the ingest queue has waited (0: empty queue)",
    )
    family.add_metric([], oldest_job_age(redis, settings))
    return family


def _workers(redis: Redis, settings: Settings) -> Iterator[Metric]:
    workers = Worker.all(queue=make_queue(redis, settings))
    busy = sum(1 for w in workers if w.get_state() == "busy")
    family = GaugeMetricFamily(
        "pipeline_workers", "RQ workers registered on the ingest queue", labels=["state"]
    )
    family.add_metric(["busy"], busy)
    family.add_metric(["idle"], len(workers) - busy)
    yield family


def _histogram(redis: Redis, settings: Settings, spec: HistogramSpec) -> Metric:
    labels = [spec.label] if spec.label else []
    family = HistogramMetricFamily(f"pipeline_{spec.name}", spec.help, labels=labels)
    stored = read_histogram(redis, settings, spec)
    # every stage is listed, observed or not, so a dashboard shows a stage that stopped
    wanted = list(STAGES) if spec.label == "stage" else [""]
    for label in [*wanted, *(name for name in stored if name not in wanted)]:
        counts = stored.get(label)
        buckets = counts.buckets if counts else [(b, 0) for b in _bounds(spec)]
        family.add_metric(
            [label] if labels else [],
            [(bound, float(count)) for bound, count in buckets],
            counts.sum if counts else 0.0,
        )
    return family


def _bounds(spec: HistogramSpec) -> list[str]:
    return [*(repr(float(b)) for b in spec.buckets), "+Inf"]


def top_hosts(
    per_host: Mapping[str, Mapping[str, int]], ok: frozenset[str], most: int = TOP_HOSTS
) -> list[str]:
    """The ``most`` busiest hosts and the ``most`` with the most failures, busiest first."""
    total = {host: sum(counts.values()) for host, counts in per_host.items()}
    failed = {
        host: sum(n for name, n in counts.items() if name not in ok)
        for host, counts in per_host.items()
    }
    busiest = sorted(total, key=lambda h: (-total[h], h))[:most]
    failing = [h for h in sorted(failed, key=lambda h: (-failed[h], h)) if failed[h]][:most]
    return sorted(set(busiest) | set(failing), key=lambda h: (-total[h], h))


def _feed_polls(redis: Redis, settings: Settings) -> Iterator[Metric]:
    totals = CounterMetricFamily(
        "pipeline_feed_fetches",
        "Feed polls by outcome (what worked, or why not)",
        labels=["outcome"],
    )
    for outcome, count in read_poll_outcomes(redis, settings).items():
        totals.add_metric([outcome], count)
    yield totals
    per_host = read_feed_hosts(redis, settings)
    hosts = CounterMetricFamily(
        "pipeline_feed_host_fetches",
        f"Feed polls by host and outcome (the {TOP_HOSTS} busiest and most failing hosts)",
        labels=["host", "outcome"],
    )
    for host in top_hosts(per_host, _FEED_OK):
        for outcome in POLL_OUTCOMES:
            hosts.add_metric([host, outcome], per_host[host].get(outcome, 0))
    yield hosts


def _page_hosts(redis: Redis, settings: Settings) -> Metric:
    per_host = {record.host: record.outcomes for record in read_hosts(redis, settings)}
    family = CounterMetricFamily(
        "pipeline_page_host_fetches",
        f"Page fetches by host and outcome (the {TOP_HOSTS} busiest and most failing hosts)",
        labels=["host", "outcome"],
    )
    for host in top_hosts(per_host, _PAGE_OK):
        for outcome in PAGE_OUTCOMES:
            family.add_metric([host, outcome], per_host[host].get(outcome, 0))
    return family
