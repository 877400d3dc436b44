"""Everything the status page shows, read from Redis in one pass, with read commands only
(the page works with a Redis user allowed nothing else)."""

from __future__ import annotations

import json
import time
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError
from rq import worker_registration
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from pipeline.fetch.feeds.health import FEED_STATES, feed_state, list_health
from pipeline.fetch.feeds.records import read_feed_hosts
from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.records import read_hosts
from pipeline.ops.metric_families import oldest_job_age
from pipeline.ops.stats import read_counters
from pipeline.ops.web.views import (
    ArticleView,
    DeadLetterView,
    FeedView,
    GroupView,
    HostView,
    Status,
)
from pipeline.queueing import make_queue
from pipeline.settings import Settings
from pipeline.streams.deadletters import list_dead_letters
from pipeline.streams.reader import StreamEntry, as_text, decode_entry, latest_entries
from pipeline.telemetry.minutes import read_minutes

__all__ = ["Status", "read_groups", "read_status"]

_FEED_OK = {"new", "not_modified", "unchanged"}


def read_status(redis: Redis, settings: Settings, *, articles: int = 20, dead: int = 10) -> Status:
    """Read every figure and list the page shows."""
    now = time.time()
    health = list_health(redis, settings)
    states = [feed_state(h, now) for h in health]
    depth = Frontier(redis, settings).depth()
    return Status(
        at=now,
        settings=settings,
        counters=read_counters(redis, settings),
        queue=_queue(redis, settings),
        oldest_job_seconds=oldest_job_age(redis, settings, now),
        pages={
            "queued": depth.queued,
            "in flight": depth.in_flight,
            "retry waiting": depth.retry_waiting,
        },
        workers=_workers(redis, settings),
        streams={
            settings.articles_stream: int(redis.xlen(settings.articles_stream)),
            settings.dead_stream: int(redis.xlen(settings.dead_stream)),
        },
        minutes=read_minutes(redis, settings, now=now),
        feed_states={state: states.count(state) for state in FEED_STATES},
        articles=_articles(redis, settings, articles),
        feeds=sorted(
            (
                _feed(h, state)
                for h, state in zip(health, states, strict=True)
                if state in ("failing", "gapped")
            ),
            key=lambda f: (f.state != "failing", -f.failures, f.url),
        )[:25],
        hosts=_hosts(redis, settings),
        dead=[_dead(e) for e in list_dead_letters(redis, settings, count=dead)],
        groups=read_groups(redis, settings.articles_stream),
    )


def _queue(redis: Redis, settings: Settings) -> dict[str, int]:
    # counted without rq's clean-up (which writes): the page only reads
    queue = make_queue(redis, settings)
    kw: dict[str, Any] = {"queue": queue}
    return {
        "queued": int(queue.count),
        "running": StartedJobRegistry(**kw).get_job_count(cleanup=False),
        "scheduled": ScheduledJobRegistry(**kw).get_job_count(cleanup=False),  # type: ignore[no-untyped-call]
        "deferred": DeferredJobRegistry(**kw).get_job_count(cleanup=False),
        "failed": FailedJobRegistry(**kw).get_job_count(cleanup=False),
    }


def _workers(redis: Redis, settings: Settings) -> dict[str, int]:
    keys = sorted(worker_registration.get_keys(queue=make_queue(redis, settings)))
    with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hget(key, "state")
        states = [as_text(s) for s in pipe.execute() if s is not None]  # gone: not counted
    busy = states.count("busy")
    return {"alive": len(states), "busy": busy}


def _articles(redis: Redis, settings: Settings, count: int) -> list[ArticleView]:
    views = []
    for entry in reversed(latest_entries(redis, settings.articles_stream, count)):
        article = _article_json(entry)
        if article is None:
            continue
        original = article.get("duplicate_of")
        title, at = _original(redis, settings, str(original)) if original else (None, None)
        views.append(ArticleView(entry.entry_id, article, title, at))
    return views


def _article_json(entry: StreamEntry) -> dict[str, Any] | None:
    try:
        value = json.loads(entry.fields.get("article", ""))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _original(redis: Redis, settings: Settings, article_id: str) -> tuple[str | None, str | None]:
    """The title and entry of the article a copy repeats, while the stream still holds it."""
    entry = redis.hget(settings.key("seen", article_id), "entry")
    if not entry:
        return None, None
    found = redis.xrange(settings.articles_stream, min=entry, max=entry)
    if not found:
        return None, as_text(entry)
    article = _article_json(decode_entry(*found[0]))
    return (str(article.get("title") or "") if article else None), as_text(entry)


def _feed(health: Any, state: str) -> FeedView:
    return FeedView(
        url=health.url,
        name=health.title or health.name,
        state=state,
        reason=health.last_error if state == "failing" else _gap_reason(health),
        status=health.last_error_status,
        failures=health.consecutive_failures,
        since=health.last_error_at if state == "failing" else health.last_gap_at,
        next_poll=health.next_poll,
    )


def _gap_reason(health: Any) -> str:
    missed = health.last_gap_missed
    about = f"about {missed} items" if missed is not None else "an unknown number of items"
    return f"every listed item was new: {about} probably missed"


def _hosts(redis: Redis, settings: Settings, most: int = 15) -> list[HostView]:
    views = []
    for host, counts in read_feed_hosts(redis, settings).items():
        failures = {k: n for k, n in counts.items() if k not in _FEED_OK and n}
        if failures:
            views.append(HostView(host, "feeds", sum(counts.values()), failures))
    for record in read_hosts(redis, settings):
        failures = {k: n for k, n in record.outcomes.items() if k != "page" and n}
        if failures or record.retries:
            if record.retries:
                failures["retries"] = record.retries
            views.append(
                HostView(
                    record.host,
                    "pages",
                    record.pages + record.fallbacks,
                    failures,
                    record.last_error,
                    float(record.last_at) if record.last_at else None,
                )
            )
    views.sort(key=lambda v: (-sum(v.failures.values()), v.host))
    return views[:most]


def _dead(entry: StreamEntry) -> DeadLetterView:
    f = entry.fields
    return DeadLetterView(
        entry.entry_id,
        f.get("at", ""),
        f.get("stage", ""),
        f.get("source", ""),
        f.get("error", ""),
        f.get("reason", ""),
    )


def read_groups(redis: Redis, stream: str) -> list[GroupView]:
    """The consumer groups of ``stream`` with pending entries and lag (XINFO GROUPS)."""
    try:
        groups = redis.xinfo_groups(stream)
    except ResponseError:  # no such stream yet
        return []
    views = []
    for g in groups:
        lag = g.get("lag")
        views.append(
            GroupView(
                name=as_text(g["name"]),
                consumers=int(g.get("consumers", 0)),
                pending=int(g.get("pending", 0)),
                lag=int(lag) if lag is not None else None,
                last_delivered=as_text(g.get("last-delivered-id", b"")),
            )
        )
    return sorted(views, key=lambda v: v.name)
