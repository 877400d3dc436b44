"""The consumer loop: read a batch, validate each entry by stream, call the handler,
acknowledge what it handled, and take poison entries out of the group's way."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from pipeline.streams.messages import PoisonEntry, validate_entry
from pipeline.streams.poison import dead_letter_entry
from pipeline.streams.reader import StreamEntry

if TYPE_CHECKING:
    from pipeline.streams.consumer import Consumer, Delivery

__all__ = ["BatchHandler", "EntryHandler", "Handler", "RunSummary", "run_consumer"]

log = structlog.get_logger()

# handler(message): an EnrichedArticle (articles stream) or a DeadLetter (dead stream)
Handler = Callable[[Any], object]
EntryHandler = Callable[[StreamEntry, Any], object]
# batch_handler(messages): one call per batch read (see Consumer.run_batches)
BatchHandler = Callable[[list[Any]], object]

_MAX_BACKOFF_S = 30.0

T = TypeVar("T")


@dataclass
class RunSummary:
    """What a run did with the entries it took."""

    handled: int = 0  # the handler returned: acknowledged
    failed: int = 0  # the handler raised: left pending, delivered again later
    dead_lettered: int = 0  # moved to the dead-letter stream (stage consume)
    skipped: int = 0  # dead-letter stream only: given up on, acknowledged and logged

    @property
    def taken(self) -> int:
        """Entries this run took, whatever became of them."""
        return self.handled + self.failed + self.dead_lettered + self.skipped


@contextmanager
def _stop_on_signals(stop: threading.Event, enabled: bool) -> Iterator[None]:
    """SIGTERM/SIGINT set ``stop`` for the block (main thread only), then the previous
    handlers come back."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("consumer_stopping", signal=signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _give_up(consumer: Consumer, delivery: Delivery, error: str, reason: str) -> bool:
    """Take an entry out of the group: dead-letter it (articles), or acknowledge and log it
    (a dead-letter stream never gets poison written back to it). True when dead-lettered."""
    entry = delivery.entry
    bound = log.bind(
        entry=entry.entry_id,
        stream=entry.stream,
        group=consumer.group,
        article_id=entry.fields.get("id") or entry.fields.get("article_id"),
        deliveries=delivery.deliveries,
        error=error,
        reason=reason,
    )
    if consumer.kind == "dead":
        consumer.ack([entry])
        bound.error("dead_letter_entry_skipped", hint="it stays in the dead-letter stream")
        return False
    letter = dead_letter_entry(
        consumer.redis,
        entry,
        group=consumer.group,
        dead_stream=consumer.dead_stream,
        error=error,
        reason=reason,
    )
    bound.error("entry_dead_lettered", dead_letter=letter)
    return True


_GONE = object()  # _prepare's answer for an entry taken out of the group


def _prepare(consumer: Consumer, delivery: Delivery, summary: RunSummary) -> Any:
    """The entry's message, or ``_GONE`` when it was dead-lettered (or skipped) instead:
    delivered too often without acknowledgement, or never valid."""
    n = delivery.deliveries
    if n > consumer.max_deliveries:
        reason = (
            f"delivered {n} times and never acknowledged: the members handling it died or "
            f"took longer than claim_idle_ms ({consumer.claim_idle_ms} ms)"
        )
        _count(summary, _give_up(consumer, delivery, "DeliveryLimitExceeded", reason))
        return _GONE
    try:
        return validate_entry(delivery.entry, consumer.kind)
    except PoisonEntry as poison:
        _count(summary, _give_up(consumer, delivery, poison.error, poison.reason))
        return _GONE


def _count(summary: RunSummary, dead_lettered: bool) -> None:
    if dead_lettered:
        summary.dead_lettered += 1
    else:
        summary.skipped += 1


def _handle(
    consumer: Consumer,
    delivery: Delivery,
    message: Any,
    handler: EntryHandler,
    summary: RunSummary,
) -> bool:
    """Call the handler on one entry; True when it is to be acknowledged."""
    entry, n = delivery.entry, delivery.deliveries
    try:
        handler(entry, message)
    except Exception as exc:
        if n < consumer.max_deliveries:
            summary.failed += 1
            log.warning(
                "handler_failed",
                entry=entry.entry_id,
                group=consumer.group,
                deliveries=n,
                max_deliveries=consumer.max_deliveries,
                error=f"{type(exc).__name__}: {exc}",
            )
        else:
            reason = f"handler failed on delivery {n} of {n}: {exc}"
            _count(summary, _give_up(consumer, delivery, type(exc).__name__, reason))
        return False
    summary.handled += 1
    return True


def _handle_batch(
    consumer: Consumer,
    batch: list[Delivery],
    handler: BatchHandler,
    summary: RunSummary,
) -> list[StreamEntry]:
    """One handler call for the batch's valid messages; when it raises, each entry is
    handled alone so only the failing ones count as failed deliveries."""
    ready = [(d, m) for d in batch if (m := _prepare(consumer, d, summary)) is not _GONE]
    if not ready:
        return []
    try:
        handler([m for _d, m in ready])
    except Exception as exc:
        log.warning("batch_handler_failed", size=len(ready), error=f"{type(exc).__name__}: {exc}")
        one_by_one: EntryHandler = lambda _entry, message: handler([message])  # noqa: E731
        return [d.entry for d, m in ready if _handle(consumer, d, m, one_by_one, summary)]
    summary.handled += len(ready)
    return [d.entry for d, _m in ready]


def run_consumer(
    consumer: Consumer,
    handler: EntryHandler | None,
    *,
    batch_handler: BatchHandler | None = None,
    count: int = 100,
    block_ms: int = 1000,
    limit: int = 0,
    stop: threading.Event | None = None,
    handle_signals: bool = True,
) -> RunSummary:
    """Handle entries until ``stop`` is set (SIGTERM and SIGINT set it when
    ``handle_signals``), or ``limit`` entries were taken (0: no limit). The entry (with
    ``batch_handler``: the batch) being handled is finished and everything handled is
    acknowledged before returning; then the member leaves its group if it holds nothing
    (the group's members idle past ``forget_idle_ms`` with nothing held are removed at
    the start)."""
    stop = stop or threading.Event()
    summary = RunSummary()
    to_ack: list[StreamEntry] = []
    backoff = 0.5
    forgotten = _tidy_members(consumer, consumer.forget_idle_members)
    if forgotten:
        log.info("consumer_forgot_idle_members", group=consumer.group, members=forgotten)
    with _stop_on_signals(stop, handle_signals):
        try:
            while not stop.is_set() and (limit == 0 or summary.taken < limit):
                want = count if limit == 0 else min(count, limit - summary.taken)
                try:
                    batch = consumer.deliver(want, block_ms, ack_first=to_ack)
                except (RedisConnectionError, RedisTimeoutError) as exc:
                    log.warning("consumer_redis_unavailable", error=str(exc), retry_in=backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF_S)
                    continue
                backoff, to_ack = 0.5, []
                if batch_handler is not None:
                    to_ack = _handle_batch(consumer, batch, batch_handler, summary)
                    continue
                assert handler is not None
                for delivery in batch:
                    if stop.is_set():
                        break  # left pending: another member takes it over
                    message = _prepare(consumer, delivery, summary)
                    if message is not _GONE and _handle(
                        consumer, delivery, message, handler, summary
                    ):
                        to_ack.append(delivery.entry)
        finally:
            if to_ack:
                consumer.ack(to_ack)
    left = _tidy_members(consumer, consumer.leave)
    if left is not None:
        event = "consumer_left_group" if left else "consumer_kept_pending_entries"
        log.info(event, group=consumer.group, member=consumer.name)
    log.info("consumer_stopped", group=consumer.group, stream=consumer.stream, **vars(summary))
    return summary


def _tidy_members(consumer: Consumer, step: Callable[[], T]) -> T | None:
    """Leave the group / forget gone members: housekeeping that never stops a run (a
    Redis that is down, or an ACL without EVAL and XGROUP DELCONSUMER, only logs)."""
    try:
        return step()
    except RedisError as exc:
        log.warning(
            "consumer_members_not_tidied",
            step=getattr(step, "__name__", "?"),
            group=consumer.group,
            member=consumer.name,
            error=str(exc),
            hint="the consumer user needs EVAL and XGROUP DELCONSUMER on the streams "
            "(config/redis/start-redis.sh); members that are gone stay listed meanwhile",
        )
        return None
