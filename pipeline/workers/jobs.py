"""RQ job functions: thin, JSON arguments, one write per batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from rq import get_current_job

from pipeline.workers.batch import process_items
from pipeline.workers.runtime import get_runtime

__all__ = ["process_batch"]

log = structlog.get_logger()


def process_batch(items: list[dict[str, Any]]) -> dict[str, int]:
    """Normalise, enrich and write a batch of raw items; returns counts by outcome.

    Permanent failures become dead letters and the job succeeds; a Redis error
    propagates so RQ retries the job (the atomic write makes that safe).
    """
    runtime = get_runtime()
    job = get_current_job()
    bound = log.bind(job_id=job.id if job else None)
    processed = process_items(
        items,
        enricher=runtime.enricher,
        future_tolerance=timedelta(minutes=runtime.settings.future_tolerance_minutes),
    )
    result = runtime.writer.write(processed.articles, processed.dead)
    for letter in processed.dead:
        bound.warning(
            "item_dead_lettered",
            stage=letter.stage,
            reason=letter.reason,
            source=letter.source,
            article_id=letter.article_id,
        )
    counts = result.counts()
    bound.info("batch_written", items=len(items), **counts)
    return counts
