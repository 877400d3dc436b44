"""Running the page fetcher: in the foreground (``pipeline pages``) or as a child process
of ``pipeline worker``, so NER jobs never wait on the network and the fetcher's event
loop never waits on NER. Only the standard library at import time: the worker start-up
imports this module, and the HTTP stack loads in the child."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from pipeline.fetch.pages.fetcher import FetcherSummary
    from pipeline.settings import Settings

__all__ = ["PoolKind", "extract_pool", "run_pages", "start_fetcher_process"]

PoolKind = Literal["process", "thread"]


def extract_pool(kind: PoolKind = "thread", workers: int | None = None) -> Executor:
    """Where extraction runs: threads (the default: extraction and fetching share one core,
    leaving the others to NER; the cheaper per page in bench/pages.py) or processes (every
    core, for a machine that runs only the page fetcher)."""
    count = workers or max(1, min(2, os.cpu_count() or 1))
    if kind == "thread":
        return ThreadPoolExecutor(count, thread_name_prefix="extract")
    return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))


def run_pages(
    settings: Settings,
    *,
    burst: bool = False,
    stop: threading.Event | None = None,
    pool: PoolKind = "thread",
) -> FetcherSummary:
    """Fetch pages until stopped (or, with ``burst``, until no page work is left).

    When Redis goes away the fetcher starts again, waiting 1 s, 2 s, ... up to 30 s between
    attempts, like the worker: pages claimed meanwhile return to the frontier when their
    lease runs out. A burst run stops at the first Redis error instead."""
    import structlog
    from redis import Redis
    from redis.exceptions import RedisError

    from pipeline.connection import ReconnectBackoff, redacted
    from pipeline.fetch.pages.fetcher import FetcherSummary, PageFetcher

    stop = stop or threading.Event()
    backoff = ReconnectBackoff()
    while True:
        redis = Redis.from_url(settings.redis_url)
        executor = extract_pool(pool)
        started = time.monotonic()
        try:
            return PageFetcher(settings, redis, extract_pool=executor).run(burst=burst, stop=stop)
        except RedisError as exc:
            if burst:
                raise
            wait = backoff.next_wait(started)
            structlog.get_logger().warning(
                "pages_fetcher_restarting",
                reason="Redis unavailable",
                error=str(exc),
                redis=redacted(settings.redis_url),
                wait_seconds=wait,
            )
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
            redis.close()
        if stop.wait(wait):
            return FetcherSummary()


def _watch_parent(parent: int, stop: threading.Event) -> None:
    # A worker killed with SIGKILL cannot stop its fetcher: the fetcher notices instead.
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def _child(settings: Settings, burst: bool, parent: int, log_level: str) -> None:
    from pipeline.logs import configure_logging
    from pipeline.signals import stop_on_signals

    configure_logging(log_level)
    stop = stop_on_signals()
    threading.Thread(target=_watch_parent, args=(parent, stop), daemon=True).start()
    run_pages(settings, burst=burst, stop=stop)


def start_fetcher_process(settings: Settings, *, burst: bool) -> BaseProcess:
    """The page fetcher in a child process (spawned: it shares nothing with the worker)."""
    context = multiprocessing.get_context("spawn")
    from pipeline.logs import current_level

    level = current_level()
    process = context.Process(
        target=_child,
        args=(settings, burst, os.getpid(), level),
        name="pipeline-pages",
        daemon=False,  # it has its own extraction processes; it stops itself
    )
    process.start()
    return process
