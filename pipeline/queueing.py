"""The one producer path: files and feeds hand their RawItems here, and they go onto the RQ
queue in batches with deterministic job ids."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from redis import Redis
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from pipeline.models import RawItem
from pipeline.settings import Settings
from pipeline.telemetry.minutes import add_minute_counts

__all__ = [
    "BATCHES_MISSING",
    "FAILURE_TTL",
    "PROCESS_BATCH",
    "EnqueueSummary",
    "batch_job_id",
    "enqueue_items",
    "items_in_key",
    "load_payload",
    "make_queue",
    "payload_key",
]

# Referenced by name so producers never import the enrichment stack.
PROCESS_BATCH = "pipeline.workers.jobs.process_batch"
ON_BATCH_FAILED = Callback("pipeline.workers.jobs.dead_letter_failed_batch")
# A job in one of these states will still run: enqueuing its batch again would double the work.
_PENDING = {b"queued", b"started", b"deferred", b"scheduled"}
# The first retry goes straight back on the queue: the Redis client has already retried
# the failed command with back-off, and an abandoned job (its worker died) should not wait
# for RQ's scheduler, whose lock a dead worker may hold for a minute. Later ones back off.
_RETRY_INTERVALS = [0, 10, 30, 60, 120]
_JOBS_PER_ROUND_TRIP = 16
# How long a batch job that failed for good stays in RQ's failed registry (re-queueable).
# Its items are dead letters by then (dead_letter_failed_batch), and its written-marker
# outlives it (pipeline.streams.writer.MARKER_MIN_TTL).
FAILURE_TTL = 7 * 86_400
# the stats-hash field counting batches whose items were gone before any write landed them
BATCHES_MISSING = "batches_missing"


@dataclass
class EnqueueSummary:
    """What one enqueue call did."""

    jobs: int = 0
    items: int = 0
    skipped_pending: int = 0

    def add(self, other: EnqueueSummary) -> None:
        self.jobs += other.jobs
        self.items += other.items
        self.skipped_pending += other.skipped_pending


def make_queue(redis: Redis, settings: Settings) -> Queue:
    """The pipeline's ingest queue, JSON-serialised (never pickle)."""
    return Queue(settings.queue_name, connection=redis, serializer=JSONSerializer)


def batch_job_id(payload: Sequence[str]) -> str:
    """A job id that depends only on the batch content, so a repeated replay finds it."""
    digest = hashlib.blake2b(digest_size=16)
    for item in payload:
        digest.update(item.encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return f"batch-{digest.hexdigest()}"


def _item_json(item: RawItem) -> tuple[str, str]:
    """An item's JSON without its fetch time (its identity: the same files replayed twice
    are one batch) and with it (what the worker reads), from one dump of the item.

    ASCII-escaped, so a lone surrogate from a badly encoded file survives the trip through
    Redis (the worker dead-letters it with the rest of the item)."""
    data = item.model_dump(mode="json")
    fetched = data.pop("fetched", None)
    identity = json.dumps(data, separators=(",", ":"))
    return identity, f'{identity[:-1]},"fetched":{json.dumps(fetched)}}}'


def _batches(items: Iterable[RawItem], size: int) -> Iterator[list[RawItem]]:
    source = iter(items)
    while batch := list(islice(source, size)):
        yield batch


def payload_key(settings: Settings, job_id: str) -> str:
    """Where a batch's items wait for their job: the job itself carries only this key."""
    return settings.key("batch", job_id)


def enqueue_items(redis: Redis, settings: Settings, items: Iterable[RawItem]) -> EnqueueSummary:
    """Enqueue items in jobs of ``settings.batch_size``; a batch whose job is still pending
    is not enqueued again.

    The items (JSON) go to their own key, written in the same transaction as the job; the
    job's argument is that key. RQ compresses and rewrites a job's data on every state
    change, which for 100 articles cost more than normalising them.

    The items never expire while their job can still run: a queued or scheduled RQ job has
    no expiry, so neither has its payload; the atomic write that lands the batch (or turns
    a failed batch into dead letters) replaces the payload by a written-marker."""
    queue = make_queue(redis, settings)
    summary = EnqueueSummary()
    retry = None
    if settings.job_retries:
        # a retried batch (its worker died, or Redis blinked) goes ahead of newer ones
        retry = Retry(max=settings.job_retries, interval=_RETRY_INTERVALS, enqueue_at_front=True)
    for group in _batches_of_batches(items, settings.batch_size, _JOBS_PER_ROUND_TRIP):
        # each item is dumped once, for its batch's id and its payload (the producer shares
        # the machine's cores with the workers and Redis)
        dumped = [[_item_json(item) for item in batch] for batch in group]
        job_ids = [batch_job_id([identity for identity, _ in batch]) for batch in dumped]
        with redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hget(Job.key_for(job_id), "status")
            statuses = pipe.execute()
        to_enqueue = []
        payloads: dict[str, str] = {}
        kinds: Counter[str] = Counter()
        for batch, items_json, job_id, status in zip(group, dumped, job_ids, statuses, strict=True):
            if status in _PENDING:
                summary.skipped_pending += 1
                continue
            key = payload_key(settings, job_id)
            payloads[key] = f"[{','.join(full for _, full in items_json)}]"
            to_enqueue.append(
                Queue.prepare_data(
                    PROCESS_BATCH,
                    args=(key,),
                    job_id=job_id,
                    timeout=settings.job_timeout,
                    retry=retry,
                    result_ttl=3600,
                    ttl=None,  # a queued batch waits for a worker however long it takes
                    failure_ttl=FAILURE_TTL,
                    on_failure=ON_BATCH_FAILED,
                    description=f"process_batch({len(batch)} items from {batch[0].source})",
                )
            )
            summary.jobs += 1
            summary.items += len(batch)
            kinds.update(item.kind for item in batch)
        if to_enqueue:
            with redis.pipeline() as pipe:  # MULTI: payloads, jobs and their count land together
                for key, payload in payloads.items():
                    pipe.set(key, payload)
                queue.enqueue_many(to_enqueue, pipeline=pipe)
                for kind, count in kinds.items():
                    pipe.hincrby(items_in_key(settings), kind, count)
                add_minute_counts(pipe, settings, {"in": kinds.total()})
                pipe.execute()
    return summary


def items_in_key(settings: Settings) -> str:
    """The hash counting items enqueued, by kind (``pipeline_items_in_total``)."""
    return settings.key("telemetry", "items_in")


def load_payload(redis: Redis, key: str) -> list[dict[str, Any]] | None:
    """The items of a batch, or None when they are gone: written by an earlier run of the
    job (its written-marker says so) or lost (no marker: an alarm, see process_batch)."""
    raw = redis.get(key)
    return None if raw is None else list(json.loads(raw))


def _batches_of_batches(
    items: Iterable[RawItem], size: int, per_group: int
) -> Iterator[list[list[RawItem]]]:
    """Batches of ``size`` items, grouped for one enqueue round trip each. The first group
    is one batch, then 2, 4, ... up to ``per_group``: idle workers get the first job as
    soon as its items are read, not after ``per_group`` batches are."""
    batches = _batches(items, size)
    group_size = 1
    while group := list(islice(batches, group_size)):
        yield group
        group_size = min(per_group, group_size * 2)
