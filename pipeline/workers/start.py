"""Worker start-up: resources load once, the page fetcher starts beside (its own process),
then RQ's work loop, restarted with back-off whenever Redis goes away (RQ's loop quits on
some Redis errors; a worker must not)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer

from pipeline.connection import ReconnectBackoff, open_redis, redacted
from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.service import start_fetcher_process
from pipeline.ops.metrics import serve_metrics
from pipeline.settings import Settings
from pipeline.signals import stop_on_signals
from pipeline.workers.liveness import ForkingLiveWorker, LiveWorker, worker_options
from pipeline.workers.runtime import init_runtime

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

__all__ = ["run_worker"]

log = structlog.get_logger()
_FETCHER_STOP_SECONDS = 60


def _make_worker(
    settings: Settings, names: Sequence[str], fork: bool, stop: threading.Event
) -> LiveWorker | ForkingLiveWorker:
    # RQ gets its own client: it raises the socket timeout for its blocking dequeue,
    # while the jobs' writes keep the short PIPELINE_REDIS_TIMEOUT
    connection = open_redis(settings)
    worker_class = ForkingLiveWorker if fork else LiveWorker
    worker = worker_class(
        [Queue(name, connection=connection, serializer=JSONSerializer) for name in names],
        connection=connection,
        serializer=JSONSerializer,
        **worker_options(settings),
    )
    worker.abandoned_after = settings.worker_abandoned_after
    worker.stop_event = stop
    if isinstance(worker, LiveWorker):
        worker.heartbeat_every = settings.worker_heartbeat
    return worker


def _drained(settings: Settings, names: Sequence[str]) -> bool:
    """True when Redis answers and the queues are empty (a burst worker may stop)."""
    try:
        redis = open_redis(settings)
        return all(Queue(name, connection=redis).count == 0 for name in names)
    except RedisError:
        return False


def run_worker(
    settings: Settings,
    redis: Redis,
    *,
    burst: bool = False,
    queues: Sequence[str] | None = None,
    fork: bool = False,
    pages: bool | None = None,
    stop: threading.Event | None = None,
) -> bool:
    """Run an RQ worker on the pipeline's queues until SIGTERM/SIGINT (or, with
    ``burst``, until the queues are empty); returns whether it did any work.

    SimpleWorker runs jobs in this process (the batch pays no fork); ``fork=True``
    isolates each job in a child that shares the already-loaded model pages. With
    ``pages`` (default: PIPELINE_PAGES) the page fetcher runs in a child process; with
    ``burst`` the worker then stops only once the page queue and the ingest queue are both
    empty and no page is in flight. When Redis goes away the work loop is started again,
    waiting 1 s, 2 s, ... up to 30 s between attempts; a job that was running is re-run by
    RQ once seen abandoned.

    ``stop`` is the event SIGTERM/SIGINT set; pass one whose handler is already installed
    so a signal that comes while the models load is not lost (a container's PID 1 ignores
    SIGTERM while it has no handler). A signal before RQ's loop starts ends the worker
    without taking a job.
    """
    stop = stop if stop is not None else stop_on_signals()
    init_runtime(settings, redis)
    serve_metrics(redis, settings)
    if stop.is_set():
        log.info("worker_stopped_before_start")
        return False
    names = list(queues) if queues else [settings.queue_name]
    fetcher = None
    # in burst mode with no page work at all, the fetcher would only start and stop
    if _pages_on(settings, pages) and not (burst and Frontier(redis, settings).depth().empty):
        fetcher = start_fetcher_process(settings, burst=burst)
    try:
        did_work, stopped = _work(settings, names, burst=burst, fork=fork, stop=stop)
        while burst and fetcher is not None and not stopped:
            # pages still in flight will add ingest jobs: keep draining until the fetcher,
            # which exits once no page work is left, has gone; then one last drain
            alive = fetcher.is_alive()
            if not alive:
                fetcher.join()
            time.sleep(0.2 if alive else 0)
            more, stopped = _work(settings, names, burst=burst, fork=fork, stop=stop)
            did_work = did_work or more
            if not alive:
                break
        return did_work
    finally:
        if fetcher is not None:
            _stop_fetcher(fetcher)


def _work(
    settings: Settings,
    names: Sequence[str],
    *,
    burst: bool,
    fork: bool,
    stop: threading.Event,
) -> tuple[bool, bool]:
    """RQ's work loop, started again with back-off when Redis goes away; returns whether
    it did any work and whether a signal stopped it."""
    worked = False
    backoff = ReconnectBackoff()
    while not stop.is_set():
        started = time.monotonic()
        worker = None
        try:
            worker = _make_worker(settings, names, fork, stop)
            worked |= bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
        except RedisError as exc:  # raised outside RQ's loop: start-up, teardown
            log.warning("worker_redis_error", error=str(exc))
        except StopRequested:
            # RQ's handler fired between its installation and its loop: RQ did not tear
            # down, so its scheduler child would outlive (and block the exit of) this one
            if worker is not None:
                _teardown_quietly(worker)
        # RQ's signal handlers belong to the loop that just ended
        stop_on_signals(stop)
        if stop.is_set():  # our handler or RQ's (LiveWorker.request_stop sets it too)
            return worked, True
        if burst and _drained(settings, names):
            return worked, False
        wait = backoff.next_wait(started)
        log.warning(
            "worker_restarting",
            reason="Redis unavailable",
            redis=redacted(settings.redis_url),
            wait_seconds=wait,
        )
        if stop.wait(wait):
            return worked, True
    return worked, True


def _teardown_quietly(worker: LiveWorker | ForkingLiveWorker) -> None:
    try:
        worker.teardown()  # type: ignore[no-untyped-call]
    except RedisError as exc:
        log.warning("worker_redis_error", error=str(exc))


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
