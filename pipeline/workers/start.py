"""Worker start-up: resources load once, then RQ's work loop."""

from __future__ import annotations

from collections.abc import Sequence

from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.serializers import JSONSerializer

from pipeline.ops.metrics import serve_metrics
from pipeline.settings import Settings
from pipeline.workers.runtime import init_runtime

__all__ = ["run_worker"]


def run_worker(
    settings: Settings,
    redis: Redis,
    *,
    burst: bool = False,
    queues: Sequence[str] | None = None,
    fork: bool = False,
) -> bool:
    """Run an RQ worker on the pipeline's queues; returns whether it did any work.

    SimpleWorker runs jobs in this process (the batch pays no fork); ``fork=True``
    isolates each job in a child that shares the already-loaded model pages.
    """
    init_runtime(settings, redis)
    serve_metrics(redis, settings)
    worker_class = Worker if fork else SimpleWorker
    names = list(queues) if queues else [settings.queue_name]
    worker = worker_class(
        [Queue(name, connection=redis, serializer=JSONSerializer) for name in names],
        connection=redis,
        serializer=JSONSerializer,
    )
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
