"""The sink process: a ``Consumer`` whose handler upserts each article into PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import psycopg
import structlog
from redis import Redis

from examples.pg_sink.store import create_tables, store_articles
from pipeline.models import EnrichedArticle
from pipeline.settings import Settings
from pipeline.streams import Consumer, RunSummary

__all__ = ["DEFAULT_DSN", "run_sink", "sink_dsn"]

log = structlog.get_logger()

DEFAULT_DSN = "postgresql://127.0.0.1:5432/test"


def sink_dsn() -> str:
    """PIPELINE_SINK_DSN, else the local default."""
    return os.environ.get("PIPELINE_SINK_DSN") or DEFAULT_DSN


def _idle_watch(stop: threading.Event, last: list[float], idle: float) -> None:
    while not stop.wait(0.2):
        if time.monotonic() - last[0] >= idle:
            stop.set()


def run_sink(
    redis: Redis,
    conn: psycopg.Connection[Any],
    settings: Settings,
    *,
    group: str = "pg-sink",
    until_idle: float | None = None,
    stop: threading.Event | None = None,
    limit: int = 0,
    **consumer_options: Any,
) -> RunSummary:
    """Store every article of the stream until SIGTERM (or ``until_idle`` seconds with
    nothing new, or ``limit`` entries), one transaction per batch read. A failed write
    raises: the batch is retried one article at a time, and a failing article is
    delivered again later (dead-lettered after ``max_deliveries``)."""
    create_tables(conn)
    consumer = Consumer(
        redis, settings.articles_stream, group, dead_stream=settings.dead_stream, **consumer_options
    )
    stop = stop or threading.Event()
    last = [time.monotonic()]

    def handle(articles: list[EnrichedArticle]) -> None:
        store_articles(conn, articles)  # one transaction per batch read
        last[0] = time.monotonic()

    if until_idle is not None:
        threading.Thread(target=_idle_watch, args=(stop, last, until_idle), daemon=True).start()
    summary = consumer.run_batches(handle, stop=stop, block_ms=200, limit=limit)
    log.info("sink_stopped", group=group, **vars(summary))
    return summary
