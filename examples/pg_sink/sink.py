"""The sink process: a ``Consumer`` whose handler upserts each article into PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import psycopg
import structlog
from redis import Redis

from examples.pg_sink.store import create_tables, store_article
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
    **consumer_options: Any,
) -> RunSummary:
    """Store every article of the stream until SIGTERM (or ``until_idle`` seconds with
    nothing new). A failed database write raises: the entry is delivered again later."""
    create_tables(conn)
    consumer = Consumer(
        redis, settings.articles_stream, group, dead_stream=settings.dead_stream, **consumer_options
    )
    stop = stop or threading.Event()
    last = [time.monotonic()]

    def handle(article: EnrichedArticle) -> None:
        store_article(conn, article)
        last[0] = time.monotonic()

    if until_idle is not None:
        threading.Thread(target=_idle_watch, args=(stop, last, until_idle), daemon=True).start()
    summary = consumer.run(handle, stop=stop, block_ms=200)
    log.info("sink_stopped", group=group, **vars(summary))
    return summary
