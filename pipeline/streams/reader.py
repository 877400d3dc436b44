"""Reading stream entries: decoding them, and the latest ones of a stream."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis import Redis

from pipeline.models import READING, EnrichedArticle

__all__ = [
    "StreamEntry",
    "as_text",
    "decode_entry",
    "latest_entries",
    "parse_article",
    "recorded_entry",
]


def parse_article(raw: str | bytes) -> EnrichedArticle:
    """An article as the reading side validates it: unknown fields ignored, enumeration
    values added later within the schema version kept as strings."""
    return EnrichedArticle.model_validate_json(raw, context=READING)


@dataclass(frozen=True)
class StreamEntry:
    """One stream entry with its fields decoded to text; ``stream`` is where it was read
    (empty when the reader did not say)."""

    entry_id: str
    fields: dict[str, str]
    stream: str = ""

    def article(self) -> EnrichedArticle:
        """The article of an ``articles`` entry (unknown fields and enumeration values
        ignored or kept, as the versioning policy says)."""
        return parse_article(self.fields["article"])

    def as_json(self) -> dict[str, Any]:
        """The entry as printable JSON: nested JSON fields decoded."""
        out: dict[str, Any] = {"entry": self.entry_id}
        for name, value in self.fields.items():
            if name in ("article", "input") and value[:1] in "{[":
                try:
                    out[name] = json.loads(value)
                    continue
                except ValueError:
                    pass
            out[name] = value
        return out


def as_text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def decode_entry(entry_id: bytes | str, fields: dict[Any, Any], stream: str = "") -> StreamEntry:
    """A raw redis-py stream entry as a StreamEntry."""
    decoded = {as_text(k): as_text(v) for k, v in fields.items()}
    return StreamEntry(as_text(entry_id), decoded, stream)


def latest_entries(redis: Redis, stream: str, count: int) -> list[StreamEntry]:
    """The last ``count`` entries of a stream, oldest first."""
    raw = redis.xrevrange(stream, count=count)
    return [decode_entry(eid, fields) for eid, fields in reversed(raw)]


def recorded_entry(redis: Redis, stream: str, seen_key: str) -> StreamEntry | None:
    """The stream entry the write recorded for an article (its ``seen:<id>`` key), or
    None when the article is forgotten or its entry trimmed away."""
    entry_id = redis.hget(seen_key, "entry")
    if entry_id is None:
        return None
    raw = redis.xrange(stream, entry_id, entry_id)
    return decode_entry(*raw[0]) if raw else None
