"""Worker start-up: resources load once, the page fetcher starts beside (its own process),
then RQ's work loop."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.serializers import JSONSerializer

from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.service import start_fetcher_process
from pipeline.ops.metrics import serve_metrics
from pipeline.settings import Settings
from pipeline.workers.runtime import init_runtime

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

__all__ = ["run_worker"]

log = structlog.get_logger()
_FETCHER_STOP_SECONDS = 60


def run_worker(
    settings: Settings,
    redis: Redis,
    *,
    burst: bool = False,
    queues: Sequence[str] | None = None,
    fork: bool = False,
    pages: bool | None = None,
) -> bool:
    """Run an RQ worker on the pipeline's queues; returns whether it did any work.

    SimpleWorker runs jobs in this process (the batch pays no fork); ``fork=True``
    isolates each job in a child that shares the already-loaded model pages. With
    ``pages`` (default: PIPELINE_PAGES) the page fetcher runs in a child process; with
    ``burst`` the worker then stops only once the page queue and the ingest queue are both
    empty and no page is in flight.
    """
    init_runtime(settings, redis)
    serve_metrics(redis, settings)
    worker_class = Worker if fork else SimpleWorker
    names = list(queues) if queues else [settings.queue_name]

    def work() -> tuple[bool, bool]:
        worker = worker_class(
            [Queue(name, connection=redis, serializer=JSONSerializer) for name in names],
            connection=redis,
            serializer=JSONSerializer,
        )
        did = bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
        return did, bool(getattr(worker, "_stop_requested", False))

    fetcher = None
    # in burst mode with no page work at all, the fetcher would only start and stop
    if _pages_on(settings, pages) and not (burst and Frontier(redis, settings).depth().empty):
        fetcher = start_fetcher_process(settings, burst=burst)
    try:
        did_work, stopped = work()
        while burst and fetcher is not None and not stopped:
            # pages still in flight will add ingest jobs: keep draining until the fetcher,
            # which exits once no page work is left, has gone; then one last drain
            alive = fetcher.is_alive()
            if not alive:
                fetcher.join()
            time.sleep(0.2 if alive else 0)
            more, stopped = work()
            did_work = did_work or more
            if not alive:
                break
        return did_work
    finally:
        if fetcher is not None:
            _stop_fetcher(fetcher)


def _pages_on(settings: Settings, pages: bool | None) -> bool:
    return settings.pages if pages is None else pages and settings.pages


def _stop_fetcher(process: BaseProcess) -> None:
    if process.is_alive():
        process.terminate()  # SIGTERM: it finishes the pages in flight and enqueues them
        process.join(_FETCHER_STOP_SECONDS)
    if process.is_alive():
        log.warning("pages_fetcher_killed", pid=process.pid)
        process.kill()
        process.join(5)
    if process.exitcode not in (0, None, -15):
        log.warning("pages_fetcher_failed", exitcode=process.exitcode)
