"""Re-enqueueing dead letters after the operator has fixed their cause.

What a retry sends again, by stage (the README's "Dead letters" says the same):

- ``read``: the file is read again; a letter for one ``.jsonl`` line re-reads that line
  only, a letter for a whole file (not UTF-8, too large, ...) the whole file.
- ``validate``, ``normalize``, ``enrich``, ``page``, ``worker``: an item read from a file
  (it carries ``origin``) is read again from that file, its line only for a ``.jsonl``, so
  the corrected file is what is retried; when the file is gone, and for feed items, the
  stored input is sent again (it only succeeds if what failed was outside the item).
- ``consume``: the entry goes back to its consumer group only (pipeline/streams/poison.py).

Order, so that no failure loses an item: the letter's dedup key is dropped first (a retry
that fails again must be able to write a new letter), then the items are enqueued, and
only then is the letter deleted. A crash or a Redis error in between leaves the letter in
place beside its queued items; retrying it again is a repeat the atomic write ignores.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from pydantic import ValidationError
from redis import Redis

from pipeline.fetch.files.read import read_items
from pipeline.fetch.pages.route import route_items
from pipeline.models import DeadLetter, RawItem
from pipeline.settings import Settings
from pipeline.streams.deadletters import dead_letter_key, select_dead_letters
from pipeline.streams.poison import hand_back
from pipeline.streams.reader import StreamEntry
from pipeline.streams.writer import BatchWriter

__all__ = ["RetryResult", "retry_dead_letters"]

log = structlog.get_logger()


@dataclass
class RetryResult:
    """How a retry went."""

    retried: int = 0
    items: int = 0
    unretriable: int = 0


@dataclass
class _Retry:
    """What to enqueue for one dead letter, and the failures its file still has."""

    items: list[RawItem]
    still_bad: list[DeadLetter] = field(default_factory=list)
    reread: str | None = None  # the file (and line) read again, for the log


def _line_of(letter: DeadLetter) -> Any:
    try:
        return json.loads(letter.input).get("line")
    except (ValueError, AttributeError):
        return None


def _reread(path: Path, line: int | None, settings: Settings) -> _Retry | str:
    """The items of ``path`` (only those of ``line`` when given), or why it is still bad."""
    read = list(read_items(path, max_item_bytes=settings.max_item_bytes))
    raws = [i for i in read if isinstance(i, RawItem)]
    still_bad = [i for i in read if isinstance(i, DeadLetter)]
    where = str(path) if line is None else f"{path} line {line}"
    if line is not None:
        raws = [i for i in raws if i.origin_line == line]
        same = [d for d in still_bad if _line_of(d) == line]
        if same:
            return f"still unreadable: {same[0].reason}"
        if not raws:
            return f"{where} holds no item now (was the line removed?)"
        return _Retry(raws, [], where)
    if not raws:
        reason = still_bad[0].reason if still_bad else "no item in it"
        return f"still unreadable: {reason}"
    # other lines of a file read for the first time may fail: they become dead letters
    return _Retry(raws, still_bad, where)


def _items_to_retry(entry: StreamEntry, settings: Settings) -> _Retry | str:
    """What to enqueue again, or why this dead letter cannot be retried (then it stays)."""
    try:
        original: Any = json.loads(entry.fields.get("input", ""))
    except ValueError:
        return "its input is not JSON"
    if isinstance(original, dict) and "path" in original and "kind" not in original:
        # stage read: the input names the file (and line) that could not be read
        path = Path(str(original["path"]))
        if not path.exists():
            return f"{path} no longer exists"
        line = original.get("line")
        return _reread(path, line if isinstance(line, int) else None, settings)
    try:
        stored = RawItem.model_validate(original)
    except ValidationError as exc:
        return f"its input is not a valid item ({exc.error_count()} errors); fix it at the source"
    if stored.origin is not None:
        path = Path(stored.origin)
        if path.exists():
            return _reread(path, stored.origin_line, settings)
        log.warning(
            "dead_letter_origin_gone",
            entry=entry.entry_id,
            origin=stored.origin,
            reason="the file it was read from is gone: its stored input is sent again",
        )
    return _Retry([stored])


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
    from the dead-letter stream once their items are queued; if they fail again they
    come back as new entries. A Redis error propagates, leaving the letter in place."""
    result = RetryResult()
    writer = BatchWriter(redis, settings)
    for entry in select_dead_letters(redis, settings, entry_ids, stage):
        if entry.fields.get("stage") == "consume":
            _retry_consume(redis, settings, entry, result)
            continue
        retry = _items_to_retry(entry, settings)
        if isinstance(retry, str):
            log.warning("dead_letter_not_retried", entry=entry.entry_id, reason=retry)
            result.unretriable += 1
            continue
        f = entry.fields
        # 1. forget that this failure was reported, so a retry that fails again is written
        redis.delete(settings.key("deadseen", dead_letter_key(f["stage"], f["source"], f["input"])))
        # 2. enqueue (bare links to the page queue, as a replay does); a good line read
        # again is a repeat, which the atomic write counts and does not write twice
        routed = route_items(redis, settings, retry.items)
        if retry.still_bad:  # deduplicated: letters already listed are not doubled
            writer.write([], retry.still_bad)
        # 3. only now is the letter safe to delete
        redis.xdel(settings.dead_stream, entry.entry_id)
        result.items += routed.enqueued.items + routed.pages + routed.shared
        result.retried += 1
        log.info(
            "dead_letter_retried",
            entry=entry.entry_id,
            stage=f.get("stage"),
            items=len(retry.items),
            reread=retry.reread,
        )
    return result
