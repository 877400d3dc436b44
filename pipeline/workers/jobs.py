"""RQ job functions: thin, JSON arguments, one write per batch."""

from __future__ import annotations

import json
from datetime import timedelta
from types import TracebackType
from typing import Any, NoReturn

import structlog
from rq import get_current_job
from rq.job import Job

from pipeline.errors import BatchMissing
from pipeline.models import DeadLetter
from pipeline.queueing import BATCHES_MISSING, load_payload
from pipeline.streams.writer import written_marker_key
from pipeline.workers.batch import process_items
from pipeline.workers.runtime import get_runtime

__all__ = ["dead_letter_failed_batch", "process_batch"]

log = structlog.get_logger()


def process_batch(batch: str) -> dict[str, int]:
    """Normalise, enrich and write a batch of raw items (``batch`` is the key of their
    payload); returns counts by outcome.

    Permanent failures become dead letters and the job succeeds; a Redis error
    propagates so RQ retries the job (the atomic write makes that safe).
    """
    runtime = get_runtime()
    job = get_current_job()
    bound = log.bind(job_id=job.id if job else None)
    items = load_payload(runtime.redis, batch)
    if items is None:
        if runtime.redis.exists(written_marker_key(batch)):
            # written by an earlier run of this job that died before RQ recorded it
            bound.info("batch_already_written")
            return {}
        _raise_batch_missing(runtime.redis, runtime.settings.key("stats"), batch, job)
    processed = process_items(
        items,
        enricher=runtime.enricher,
        future_tolerance=timedelta(minutes=runtime.settings.future_tolerance_minutes),
    )
    result = runtime.writer.write(
        processed.articles,
        processed.dead,
        payload_key=batch,
    )
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


def _raise_batch_missing(redis: Any, stats_key: str, batch: str, job: Job | None) -> NoReturn:
    """Neither the items nor the written-marker: they were lost before any run wrote
    them. Count it, log an error naming the batch's source, and fail the job for good
    (a retry cannot bring the items back)."""
    redis.hincrby(stats_key, BATCHES_MISSING, 1)
    description = job.description if job else batch
    log.error(
        "batch_missing",
        job_id=job.id if job else None,
        payload_key=batch,
        batch=description,
        reason="the batch's items are gone and no write landed them: replay its source",
    )
    if job is not None:
        job.retries_left = 0  # RQ reads this when the job fails: straight to the failed registry
    raise BatchMissing(
        f"{description}: items missing from {batch} and never written (expired or deleted "
        "before the job ran); replay the source"
    )


def dead_letter_failed_batch(
    job: Job,
    connection: Any,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> None:
    """RQ failure callback: once a batch has used up its retries, every item in it
    becomes a dead letter, so a job that keeps crashing loses nothing silently."""
    if job.should_retry:
        return
    runtime = get_runtime()
    key = job.args[0] if job.args else None
    items = load_payload(runtime.redis, key) if isinstance(key, str) else None
    if not items:
        return
    reason = f"batch job {job.id} failed after its retries: {exc_value!r}"
    letters = [
        DeadLetter(
            stage="worker",
            reason=reason,
            error=exc_type.__name__ if exc_type else "Unknown",
            source=str(item.get("source", "unknown")) if isinstance(item, dict) else "unknown",
            input=json.dumps(item, ensure_ascii=False, default=str),
        )
        for item in items
    ]
    runtime.writer.write([], letters, payload_key=key)
    log.error("batch_dead_lettered", job_id=job.id, items=len(letters), reason=reason)
