"""Moving an entry a consumer group cannot handle to the dead-letter stream, and handing
it back to that group (only) after the fix.

A poison entry leaves its group in one MULTI: the dead letter (stage ``consume``, the
group, ``source`` = ``<stream>:<entry id>``, the entry's fields as ``input``) is added and
the entry acknowledged together, so it is never both lost and still blocking.

Handing back: ``pipeline dead retry`` adds the original fields to the group's own retry
stream ``<stream>:retry:<group>``, which only that group reads (``Consumer`` reads it
beside the main stream), then deletes the dead letter: enqueue first, delete after. The
main stream is never written again, so every other group sees each entry exactly once.
"""

from __future__ import annotations

import json

from redis import Redis
from redis.exceptions import NoPermissionError, ResponseError

from pipeline.errors import ConfigurationError
from pipeline.models import format_utc, utc_now
from pipeline.streams.reader import StreamEntry, as_text

__all__ = ["ORIGIN_FIELD", "dead_letter_entry", "ensure_group", "hand_back", "retry_stream"]

# Field of a handed-back entry: the ``<stream>:<entry id>`` it was first read from.
ORIGIN_FIELD = "origin"


def retry_stream(stream: str, group: str) -> str:
    """The stream where ``group``'s handed-back entries of ``stream`` wait."""
    return f"{stream}:retry:{group}"


def ensure_group(redis: Redis, stream: str, group: str, start: str = "0") -> None:
    """Create the group (and the stream) unless it exists; a Redis user that may not
    create groups (the read-only consumer user) finds it made by the operator."""
    try:
        redis.xgroup_create(stream, group, id=start, mkstream=True)
    except NoPermissionError as exc:
        if not _group_exists(redis, stream, group):
            raise ConfigurationError(
                f"consumer group {group!r} does not exist on {stream} and this Redis user "
                "may not create it: ask the operator to run "
                f"XGROUP CREATE {stream} {group} {start} MKSTREAM"
            ) from exc
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _group_exists(redis: Redis, stream: str, group: str) -> bool:
    try:
        groups = redis.xinfo_groups(stream)
    except ResponseError:  # no such stream
        return False
    return any(as_text(g["name"]) == group for g in groups)


def dead_letter_entry(
    redis: Redis,
    entry: StreamEntry,
    *,
    group: str,
    dead_stream: str,
    error: str,
    reason: str,
) -> str:
    """Dead-letter ``entry`` for ``group`` and acknowledge it, in one MULTI; returns the
    dead letter's entry id. A handed-back entry also leaves its retry stream."""
    source = entry.fields.get(ORIGIN_FIELD) or f"{entry.stream}:{entry.entry_id}"
    original = {k: v for k, v in entry.fields.items() if k != ORIGIN_FIELD}
    letter = {
        "stage": "consume",
        "reason": reason,
        "error": error,
        "source": source,
        "at": format_utc(utc_now()),
        "input": json.dumps(original, ensure_ascii=False),
        "article_id": entry.fields.get("id", ""),
        "group": group,
    }
    pipe = redis.pipeline(transaction=True)
    pipe.xadd(dead_stream, letter)
    pipe.xack(entry.stream, group, entry.entry_id)
    if ORIGIN_FIELD in entry.fields:
        pipe.xdel(entry.stream, entry.entry_id)
    added, *_ = pipe.execute()
    return added.decode() if isinstance(added, bytes) else str(added)


def hand_back(redis: Redis, letter: StreamEntry) -> str:
    """Add a ``consume`` dead letter's entry to its group's retry stream; returns the new
    entry id. The caller deletes the dead letter afterwards."""
    source, group = letter.fields["source"], letter.fields.get("group", "")
    stream, _, _entry_id = source.rpartition(":")
    if not group or not stream:
        raise ValueError(f"dead letter {letter.entry_id} names no group or stream")
    fields = json.loads(letter.fields["input"])
    if not isinstance(fields, dict):
        raise ValueError(f"dead letter {letter.entry_id}: input is not an entry's fields")
    target = retry_stream(stream, group)
    ensure_group(redis, target, group)
    added = redis.xadd(target, {**fields, ORIGIN_FIELD: source})
    return added.decode() if isinstance(added, bytes) else str(added)
