"""Re-enqueueing dead letters after the operator has fixed their cause."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from pydantic import ValidationError
from redis import Redis

from pipeline.fetch.files.read import read_items
from pipeline.models import DeadLetter, RawItem
from pipeline.queueing import enqueue_items
from pipeline.settings import Settings
from pipeline.streams.deadletters import dead_letter_key, scan_dead_letters
from pipeline.streams.poison import hand_back
from pipeline.streams.reader import StreamEntry, decode_entry
from pipeline.streams.writer import BatchWriter

__all__ = ["RetryResult", "retry_dead_letters"]

log = structlog.get_logger()


@dataclass
class RetryResult:
    """How a retry went."""

    retried: int = 0
    items: int = 0
    unretriable: int = 0


def _line_of(letter: DeadLetter) -> Any:
    try:
        return json.loads(letter.input).get("line")
    except (ValueError, AttributeError):
        return None


def _items_to_retry(
    entry: StreamEntry, settings: Settings
) -> tuple[list[RawItem], list[DeadLetter]] | str:
    """What to enqueue again and which failures the file still has, or why this dead
    letter cannot be retried (then it stays where it is)."""
    try:
        original: Any = json.loads(entry.fields.get("input", ""))
    except ValueError:
        return "its input is not JSON"
    if isinstance(original, dict) and "path" in original and "kind" not in original:
        path = Path(str(original["path"]))
        if not path.exists():
            return f"{path} no longer exists"
        items = list(read_items(path, max_item_bytes=settings.max_item_bytes))
        raws = [i for i in items if isinstance(i, RawItem)]
        still_bad = [i for i in items if isinstance(i, DeadLetter)]
        line = original.get("line")
        same = [d for d in still_bad if line is None or _line_of(d) == line]
        if same and (line is not None or not raws):
            return f"still unreadable: {same[0].reason}"
        return raws, still_bad
    try:
        return [RawItem.model_validate(original)], []
    except ValidationError as exc:
        return f"its input is not a valid item ({exc.error_count()} errors); fix it at the source"


def _retry_consume(
    redis: Redis, settings: Settings, entry: StreamEntry, result: RetryResult
) -> None:
    """A consumer group's poison entry goes back to that group only (its retry stream,
    see pipeline/streams/poison.py): enqueue first, delete after."""
    try:
        handed = hand_back(redis, entry)
    except (KeyError, ValueError) as exc:
        log.warning("dead_letter_not_retried", entry=entry.entry_id, reason=str(exc))
        result.unretriable += 1
        return
    redis.xdel(settings.dead_stream, entry.entry_id)
    result.retried += 1
    result.items += 1
    log.info(
        "dead_letter_handed_back",
        entry=entry.entry_id,
        group=entry.fields.get("group"),
        retry_entry=handed,
    )


def retry_dead_letters(
    redis: Redis,
    settings: Settings,
    *,
    entry_ids: Sequence[str] | None = None,
    stage: str | None = None,
) -> RetryResult:
    """Re-enqueue dead letters (given ids, or all of a stage, or all) and remove them
    from the dead-letter stream; if they fail again they come back as new entries."""
    result = RetryResult()
    if entry_ids:
        entries = [
            decode_entry(eid, fields)
            for eid in entry_ids
            for eid, fields in redis.xrange(settings.dead_stream, min=eid, max=eid)
        ]
    else:
        entries = [
            e
            for e in scan_dead_letters(redis, settings.dead_stream)
            if stage is None or e.fields.get("stage") == stage
        ]
    writer = BatchWriter(redis, settings)
    for entry in entries:
        if entry.fields.get("stage") == "consume":
            _retry_consume(redis, settings, entry, result)
            continue
        retry = _items_to_retry(entry, settings)
        if isinstance(retry, str):
            log.warning("dead_letter_not_retried", entry=entry.entry_id, reason=retry)
            result.unretriable += 1
            continue
        items, still_bad = retry
        f = entry.fields
        redis.delete(settings.key("deadseen", dead_letter_key(f["stage"], f["source"], f["input"])))
        redis.xdel(settings.dead_stream, entry.entry_id)
        # other lines of the file that still fail stay (or come back) as dead letters:
        # the write is deduplicated, so ones already listed are not doubled
        writer.write([], still_bad)
        # a .jsonl line is retried by re-reading its file: its good lines come back as
        # repeats, which the atomic write counts and does not write again
        result.items += enqueue_items(redis, settings, items).items
        result.retried += 1
        log.info("dead_letter_retried", entry=entry.entry_id, items=len(items))
    return result
