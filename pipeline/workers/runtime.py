"""Per-process resources of a worker: settings, Redis, the write script, the NER model.

Built once per worker process (before any fork, so children share the model pages)
and reused by every job.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from redis import Redis

from pipeline.enrich.enricher import Enricher
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter

__all__ = ["WorkerRuntime", "get_runtime", "init_runtime"]

log = structlog.get_logger()


@dataclass
class WorkerRuntime:
    """What a job needs, loaded once."""

    settings: Settings
    redis: Redis
    writer: BatchWriter
    enricher: Enricher | None


_runtime: WorkerRuntime | None = None


def init_runtime(settings: Settings, redis: Redis | None = None) -> WorkerRuntime:
    """Load (or replace) this process's runtime; the NER model loads here, once."""
    global _runtime
    connection = redis or Redis.from_url(settings.redis_url)
    enricher = Enricher(settings.ner_model) if settings.enrich else None
    _runtime = WorkerRuntime(settings, connection, BatchWriter(connection, settings), enricher)
    _warm_up(enricher)
    log.info("worker_runtime_loaded", enrich=settings.enrich, model=settings.ner_model)
    return _runtime


def _warm_up(enricher: Enricher | None) -> None:
    """Run one small item through every stage so lazily loaded resources (the language
    model, spaCy's first-call set-up) load here, once, and not in each forked job."""
    from pipeline.workers.batch import process_items

    sample = {
        "source": "warm-up",
        "kind": "text",
        "title": "Warm-up",
        "text": "Maria Silva said in Lisbon on Monday that the talks would go on.",
    }
    process_items([sample], enricher=enricher)


def get_runtime() -> WorkerRuntime:
    """This process's runtime, built from the environment on first use."""
    return _runtime or init_runtime(Settings())
