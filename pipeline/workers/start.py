"""Worker start-up: resources load once, then RQ's work loop, restarted with back-off
whenever Redis goes away (RQ's loop quits on some Redis errors; a worker must not)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import structlog
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer

from pipeline.connection import open_redis, redacted
from pipeline.ops.metrics import serve_metrics
from pipeline.settings import Settings
from pipeline.signals import stop_on_signals
from pipeline.workers.liveness import ForkingLiveWorker, LiveWorker, worker_options
from pipeline.workers.runtime import init_runtime

__all__ = ["run_worker"]

log = structlog.get_logger()

_FIRST_WAIT = 1.0
_LONGEST_WAIT = 30.0
# a work loop that ran this long was healthy: the next restart waits the shortest time again
_HEALTHY_RUN = 60.0


def _make_worker(
    settings: Settings, names: Sequence[str], fork: bool
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
) -> bool:
    """Run an RQ worker on the pipeline's queues until SIGTERM/SIGINT (or, with
    ``burst``, until the queues are empty); returns whether it did any work.

    SimpleWorker runs jobs in this process (the batch pays no fork); ``fork=True``
    isolates each job in a child that shares the already-loaded model pages. When Redis
    goes away the work loop is started again, waiting 1 s, 2 s, ... up to 30 s between
    attempts; a job that was running is re-run by RQ once seen abandoned.
    """
    init_runtime(settings, redis)
    serve_metrics(redis, settings)
    names = list(queues) if queues else [settings.queue_name]
    worked = False
    wait = _FIRST_WAIT
    while True:
        started = time.monotonic()
        worker = None
        try:
            worker = _make_worker(settings, names, fork)
            worked |= bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
        except RedisError as exc:  # raised outside RQ's loop: start-up, teardown
            log.warning("worker_redis_error", error=str(exc))
        # RQ's signal handlers belong to the loop that just ended
        stop = stop_on_signals(threading.Event())
        if (worker is not None and worker.stopped_by_signal) or stop.is_set():
            return worked
        if burst and _drained(settings, names):
            return worked
        if time.monotonic() - started > _HEALTHY_RUN:
            wait = _FIRST_WAIT
        log.warning(
            "worker_restarting",
            reason="Redis unavailable",
            redis=redacted(settings.redis_url),
            wait_seconds=wait,
        )
        if stop.wait(wait):
            return worked
        wait = min(wait * 2, _LONGEST_WAIT)
