"""Histograms whose bucket counts live in Redis.

Why Redis and not prometheus-client's multiprocess mode: the observations come from many
processes that share no directory (forked RQ work-horses, one per job with ``--fork``; the
spawned page fetcher; ``pipeline schedule``; a ``pipeline replay`` in another container).
Multiprocess mode keeps one file per process id, so a forking worker would leave a file per
job behind and every scrape would read them all. Counts in Redis cost a few HINCRBYs in a
round trip the process makes anyway, survive any process, and are served once, by the
process holding the metrics lease (``pipeline/ops/lease.py``).

Layout: one hash per histogram, ``<prefix>telemetry:hist:<name>``, with the fields
``<label>|<upper bound>`` (the count of observations in that bucket alone, not cumulative),
``<label>|+Inf`` and ``<label>|sum`` (the count is the buckets' total).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from pipeline.settings import Settings

__all__ = [
    "BATCH_ITEMS",
    "BATCH_SECONDS",
    "HISTOGRAMS",
    "STAGES",
    "STAGE_SECONDS",
    "HistogramCounts",
    "HistogramSpec",
    "Observations",
    "read_histogram",
]

# The stages an article goes through, in order. ``read``: a file read and decoded, or a
# feed body parsed (shared over its items); ``page_fetch``: one page, robots.txt to
# extraction; the worker's stages are timed per batch and shared over its articles.
STAGES = ("read", "page_fetch", "normalize", "ner", "dates", "write")


@dataclass(frozen=True)
class HistogramSpec:
    """A histogram's name (without the ``pipeline_`` prefix), help, buckets and label."""

    name: str
    help: str
    buckets: tuple[float, ...]
    label: str | None = None

    def bound(self, value: float) -> str:
        """The bucket an observation falls in, by its upper bound (``le``)."""
        index = bisect.bisect_left(self.buckets, value)
        return "+Inf" if index == len(self.buckets) else _le(self.buckets[index])


def _le(bound: float) -> str:
    return repr(float(bound))


STAGE_SECONDS = HistogramSpec(
    "stage_duration_seconds",
    "Seconds one article spent in a stage (a batch's time shared over its articles)",
    (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
     2.5, 5.0, 10.0, 30.0),
    label="stage",
)  # fmt: skip
BATCH_ITEMS = HistogramSpec(
    "batch_items",
    "Items per batch job",
    (1, 5, 10, 25, 50, 100, 250, 500, 1000, 10_000),
)
BATCH_SECONDS = HistogramSpec(
    "batch_duration_seconds",
    "Seconds a batch job took, from its items' load to the end of the atomic write",
    (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)
HISTOGRAMS = (STAGE_SECONDS, BATCH_ITEMS, BATCH_SECONDS)


def histogram_key(settings: Settings, spec: HistogramSpec) -> str:
    """The Redis hash holding a histogram's counts."""
    return settings.key("telemetry", "hist", spec.name)


@dataclass
class Observations:
    """Observations gathered in a process, written to Redis in one round trip."""

    counts: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    sums: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))

    def observe(
        self, spec: HistogramSpec, value: float, *, label: str = "", times: int = 1
    ) -> None:
        """Count ``value`` ``times`` times (a batch stage observes its per-article share
        once per article); the sum grows by ``value * times``."""
        if times <= 0 or math.isnan(value):
            return
        value = max(0.0, value)
        self.counts[(spec.name, label)][spec.bound(value)] += times
        self.sums[(spec.name, label)] += value * times

    def stage(self, stage: str, seconds: float, items: int) -> None:
        """A stage took ``seconds`` over ``items`` articles: each gets an equal share."""
        if items > 0:
            self.observe(STAGE_SECONDS, seconds / items, label=stage, times=items)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def add_to(self, pipe: Any, settings: Settings) -> None:
        """Queue the increments on a Redis pipeline (the caller executes it)."""
        specs = {spec.name: spec for spec in HISTOGRAMS}
        for (name, label), buckets in self.counts.items():
            key = histogram_key(settings, specs[name])
            for bucket, amount in buckets.items():
                pipe.hincrby(key, f"{label}|{bucket}", amount)
            pipe.hincrbyfloat(key, f"{label}|sum", self.sums[(name, label)])

    def clear(self) -> None:
        """Forget what was gathered (after it was written)."""
        self.counts.clear()
        self.sums.clear()


@dataclass(frozen=True)
class HistogramCounts:
    """One labelled histogram as Prometheus reads it: cumulative buckets, sum, count."""

    buckets: list[tuple[str, int]]  # (upper bound, cumulative count), "+Inf" last
    sum: float
    count: int


def read_histogram(
    redis: Redis, settings: Settings, spec: HistogramSpec
) -> dict[str, HistogramCounts]:
    """Every label's histogram, buckets made cumulative (labels never observed are absent)."""
    raw = redis.hgetall(histogram_key(settings, spec))
    return parse_histogram(spec, {k.decode(): v.decode() for k, v in raw.items()})


def parse_histogram(spec: HistogramSpec, fields: Mapping[str, str]) -> dict[str, HistogramCounts]:
    """The stored fields of one histogram, by label."""
    by_label: dict[str, dict[str, str]] = defaultdict(dict)
    for name, value in fields.items():
        label, _, part = name.rpartition("|")
        by_label[label][part] = value
    out = {}
    for label, parts in sorted(by_label.items()):
        running = 0
        buckets = []
        for bound in [*(_le(b) for b in spec.buckets), "+Inf"]:
            running += int(parts.get(bound, 0))
            buckets.append((bound, running))
        out[label] = HistogramCounts(buckets, float(parts.get("sum", 0.0)), running)
    return out
