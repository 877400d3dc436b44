"""Figures for ``pipeline stats``: streams, counters, queue depths, workers."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from redis import Redis
from rq import Worker
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from pipeline.fetch.feeds.health import FEED_STATES, coverage_counters, feed_state, list_health
from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.records import read_outcomes
from pipeline.queueing import BATCHES_MISSING, make_queue
from pipeline.settings import Settings
from pipeline.streams.groups import group_lags

__all__ = [
    "FEED_STATES",
    "OUTCOMES",
    "collect_stats",
    "consumer_groups",
    "feed_coverage",
    "feed_states",
    "near_index",
    "page_figures",
    "queue_depths",
    "read_counters",
]

# the statuses the atomic write counts (pipeline/streams/write_batch.lua)
OUTCOMES = ("new", "duplicate", "near_duplicate", "revision", "repeat", "dead")


def read_counters(redis: Redis, settings: Settings) -> dict[str, int]:
    """The write script's counters: how many items ended in each outcome."""
    return {k.decode(): int(v) for k, v in redis.hgetall(settings.key("stats")).items()}


def queue_depths(redis: Redis, settings: Settings) -> dict[str, int]:
    """Jobs of the ingest queue by state."""
    queue = make_queue(redis, settings)
    kw: dict[str, Any] = {"queue": queue}
    return {
        "queued": queue.count,
        "running": StartedJobRegistry(**kw).count,
        "scheduled": ScheduledJobRegistry(**kw).count,  # type: ignore[no-untyped-call]
        "deferred": DeferredJobRegistry(**kw).count,
        "failed": FailedJobRegistry(**kw).count,
    }


def consumer_groups(redis: Redis, settings: Settings) -> dict[str, dict[str, dict[str, Any]]]:
    """Per stream, per group: pending, oldest pending age, lag, trimmed entries
    (``GroupLag.as_json`` keys; stable for ``pipeline stats --json``)."""
    return {
        stream: {lag.group: lag.as_json() for lag in group_lags(redis, stream)}
        for stream in (settings.articles_stream, settings.dead_stream)
    }


def near_index(redis: Redis, settings: Settings) -> dict[str, Any]:
    """How many articles a near copy can be linked to now (those indexed within the
    window, counted per 1/168th of it by the write), and over what window."""
    window_ms = int(settings.neardup_days * 86_400 * 1000)
    slot = max(1.0, window_ms / 168)  # as the write script counts them
    since = (time.time() * 1000 - window_ms) // slot
    per_slot = redis.hgetall(settings.key("nd", "count"))
    return {
        "articles indexed": sum(int(n) for at, n in per_slot.items() if int(at) > since),
        "window (days)": settings.neardup_days,
    }


def feed_states(redis: Redis, settings: Settings) -> dict[str, int]:
    """How many known feeds are in each health state."""
    now = time.time()
    states = Counter(feed_state(health, now) for health in list_health(redis, settings))
    return {state: states.get(state, 0) for state in FEED_STATES}


def page_figures(redis: Redis, settings: Settings) -> dict[str, Any]:
    """The page fetcher's figures, stable keys: work waiting, and links by outcome."""
    depth = Frontier(redis, settings).depth()
    outcomes = read_outcomes(redis, settings)
    paused = redis.get(settings.key("pages", "paused"))
    return {
        "enabled": settings.pages,
        "queued": depth.queued,
        "in_flight": depth.in_flight,
        "retry_waiting": depth.retry_waiting,
        "paused_for_backlog": paused == b"1",
        "hosts": int(redis.scard(settings.key("pages", "hostnames"))),
        **outcomes,
    }


def feed_coverage(redis: Redis, settings: Settings) -> dict[str, int]:
    """Feed gaps over every feed: polls that found every listed item new, and the items
    probably missed in them (estimated from the items' dates where feeds give them)."""
    return coverage_counters(redis, settings)


def _feed_gaps_section(redis: Redis, settings: Settings) -> dict[str, int]:
    coverage = feed_coverage(redis, settings)
    return {
        "gaps detected": coverage["gaps"],
        "items probably missed (estimated)": coverage["missed"],
    }


def collect_stats(redis: Redis, settings: Settings) -> dict[str, dict[str, Any]]:
    """Every figure an operator looks at first, grouped by section."""
    counters = read_counters(redis, settings)
    depths = queue_depths(redis, settings)
    workers = Worker.all(queue=make_queue(redis, settings))
    return {
        "streams": {
            settings.articles_stream: redis.xlen(settings.articles_stream),
            settings.dead_stream: redis.xlen(settings.dead_stream),
        },
        "consumer groups": consumer_groups(redis, settings),
        "articles": {
            "written new": counters.get("new", 0),
            "exact copies": counters.get("duplicate", 0),
            "near copies": counters.get("near_duplicate", 0),
            "revisions": counters.get("revision", 0),
            "repeats (not rewritten)": counters.get("repeat", 0),
            "dead letters": counters.get("dead", 0),
            # an alarm: should stay 0 (see the README, "Reliability")
            "batches lost (ALARM)": counters.get(BATCHES_MISSING, 0),
        },
        "near-duplicate index": near_index(redis, settings),
        "queue": {
            "name": settings.queue_name,
            "queued jobs": depths["queued"],
            "running": depths["running"],
            "scheduled retries": depths["scheduled"],
            "deferred": depths["deferred"],
            "failed": depths["failed"],
        },
        "feeds": feed_states(redis, settings),
        "feed gaps": _feed_gaps_section(redis, settings),
        "pages": page_figures(redis, settings),
        "workers": {
            "alive": len(workers),
            "busy": sum(1 for w in workers if w.get_state() == "busy"),
        },
    }
