"""RQ job functions: thin, JSON arguments, one write per batch."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta
from types import TracebackType
from typing import Any, NoReturn

import structlog
from rq import get_current_job
from rq.job import Job

from pipeline.errors import BatchMissing
from pipeline.models import DeadLetter, EnrichedArticle
from pipeline.queueing import BATCHES_MISSING, load_payload
from pipeline.streams.writer import PendingWrite, written_marker_key
from pipeline.telemetry.histograms import BATCH_ITEMS, BATCH_SECONDS, Observations
from pipeline.telemetry.record import write_records
from pipeline.workers.batch import ProcessedBatch, enrich_articles, process_items
from pipeline.workers.runtime import get_runtime

__all__ = ["dead_letter_failed_batch", "process_batch"]

log = structlog.get_logger()


# A batch is normalised, enriched and written in parts: while Redis runs one part's write
# (on the other core), the worker already works on the next part. Nothing overlaps the
# last part's write, so that part is small: the job waits for a few articles, not 25.
PART = 25
TAIL = 5


def split_parts(items: list[Any]) -> list[list[Any]]:
    """``items`` in parts of PART, the last cut down to TAIL (at least one part)."""
    parts = [items[i : i + PART] for i in range(0, len(items), PART)] or [[]]
    if len(parts[-1]) > TAIL:
        last = parts.pop()
        parts += [last[:-TAIL], last[-TAIL:]]
    return parts


Late = list[tuple[Any, EnrichedArticle]]


def _collect(pending: PendingWrite, processed: ProcessedBatch, counts: Counter[str]) -> Late:
    """Wait for a part's write; count its outcomes; return the articles it handed back."""
    result = pending.result()
    counts.update(result.counts())
    return [
        (processed.inputs[i], processed.articles[i])
        for i, outcome in enumerate(result.articles)
        if outcome.status == "unenriched"
    ]


def process_batch(batch: str) -> dict[str, int]:
    """Normalise, enrich and write a batch of raw items (``batch`` is the key of their
    payload); returns counts by outcome.

    Permanent failures become dead letters and the job succeeds; a Redis error
    propagates so RQ retries the job (the atomic write makes that safe).
    """
    runtime = get_runtime()
    job = get_current_job()
    bound = log.bind(job_id=job.id if job else None)
    started = time.perf_counter()
    items = load_payload(runtime.redis, batch)
    if items is None:
        if runtime.redis.exists(written_marker_key(batch)):
            # written by an earlier run of this job that died before RQ recorded it
            bound.info("batch_already_written")
            return {}
        _raise_batch_missing(runtime.redis, runtime.settings.key("stats"), batch, job)
    writer = runtime.writer
    timings = Observations()
    writing = 0.0  # seconds spent sending writes and waiting for their results
    written = 0
    parts = split_parts(items)
    counts: Counter[str] = Counter()
    dead: list[DeadLetter] = []
    late: Late = []
    in_flight: list[tuple[PendingWrite, ProcessedBatch]] = []  # at most one write
    try:
        for n, part in enumerate(parts):
            processed = process_items(
                part,
                enricher=runtime.enricher,
                future_tolerance=timedelta(minutes=runtime.settings.future_tolerance_minutes),
                # what is already seen unchanged is not enriched (the write still decides)
                seen_unchanged=writer.seen_unchanged if runtime.enricher else None,
                on_stage=timings.stage,
            )
            mark = time.perf_counter()
            while in_flight:
                late += _collect(*in_flight.pop(), counts)
            # the last part's write drops the payload, unless an article still waits
            last = n == len(parts) - 1
            sent = writer.send(
                processed.articles,
                processed.dead,
                payload_key=batch if last and not late else None,
                signatures=processed.signatures,
                unenriched=processed.unenriched,
            )
            in_flight.append((sent, processed))
            writing += time.perf_counter() - mark
            written += len(processed.articles) + len(processed.dead)
            dead += processed.dead
        mark = time.perf_counter()
        while in_flight:
            late += _collect(*in_flight.pop(), counts)
        writing += time.perf_counter() - mark
    finally:
        for write, _ in in_flight:  # a part failed while a write was in flight: read it
            write.result()
    if late:
        # taken for repeats, but new by the time of the write (their seen key expired):
        # enriched now and written in a second round, which also drops the payload
        second = enrich_articles(late, runtime.enricher, on_stage=timings.stage)
        mark = time.perf_counter()
        again = writer.write(
            second.articles, second.dead, payload_key=batch, signatures=second.signatures
        )
        writing += time.perf_counter() - mark
        counts.update(again.counts())
        dead += second.dead
        bound.info("batch_second_round", items=len(late))
    counts.pop("unenriched", None)
    finished = time.perf_counter()
    timings.stage("write", writing, written)
    timings.observe(BATCH_ITEMS, len(items))
    timings.observe(BATCH_SECONDS, finished - started)
    for letter in dead:
        bound.warning(
            "item_dead_lettered",
            stage=letter.stage,
            reason=letter.reason,
            source=letter.source,
            article_id=letter.article_id,
        )
    # after the write: the batch stands even if these figures cannot be recorded
    write_records(runtime.redis, runtime.settings, timings, dict(counts))
    bound.info("batch_written", items=len(items), **counts)
    return dict(counts)


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
