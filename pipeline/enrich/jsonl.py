"""The ``pipeline enrich`` contract: JSON lines in, one enriched JSON line out per line.

Input lines carry ``id``, ``text`` and ``published`` (ISO 8601 date or date-time; naive
means UTC; empty or missing means unknown); other fields pass through. A line that
cannot be processed becomes ``{"id": ..., "error": "..."}`` and the stream goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from pipeline.enrich.enricher import Enricher, EnrichInput

__all__ = ["enrich_lines", "parse_published"]


@dataclass(frozen=True)
class _Parsed:
    record: dict[str, Any] | None
    item: EnrichInput | None
    error: str | None


def parse_published(value: object) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; None for empty or missing."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"'published' must be an ISO 8601 string, not {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"'published' is not ISO 8601: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:00:00-05:00 is in year 10000 in UTC
        raise ValueError(f"'published' is out of range once in UTC: {value!r}") from exc


def _parse_line(line: str) -> _Parsed:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return _Parsed(None, None, f"not JSON: {exc}")
    except RecursionError:
        return _Parsed(None, None, "JSON nested too deeply to read; flatten the line")
    if not isinstance(record, dict):
        return _Parsed(None, None, f"not a JSON object but {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str):
        return _Parsed(record, None, "missing 'text' (a string)")
    try:
        published = parse_published(record.get("published"))
    except ValueError as exc:
        return _Parsed(record, None, str(exc))
    language = record.get("language")
    return _Parsed(
        record,
        EnrichInput(
            text=text, published=published, language=language if isinstance(language, str) else None
        ),
        None,
    )


def _error_line(record: dict[str, Any] | None, error: str) -> str:
    return json.dumps(
        {"id": None if record is None else record.get("id"), "error": error}, ensure_ascii=False
    )


def enrich_lines(
    lines: Iterable[str], enricher: Enricher, *, batch_size: int = 64
) -> Iterator[str]:
    """Enriched JSON lines (no newline), exactly one per input line, in order."""
    source = iter(lines)
    while batch := list(islice(source, batch_size)):
        parsed = [_parse_line(line) for line in batch]
        todo = [p.item for p in parsed if p.item is not None]
        results = iter(enricher.enrich(todo))
        for p in parsed:
            if p.item is None or p.record is None:
                yield _error_line(p.record, p.error or "cannot be processed")
                continue
            result = next(results)
            if result.error is not None:
                yield _error_line(p.record, result.error)
                continue
            out = dict(p.record)
            out["entities"] = [e.model_dump(mode="json") for e in result.entities]
            out["dates"] = [d.model_dump(mode="json", exclude_none=True) for d in result.dates]
            try:
                yield json.dumps(out, ensure_ascii=False)
            except RecursionError:  # read just under the limit, too deep to write back
                yield _error_line(p.record, "JSON nested too deeply to write; flatten the line")
