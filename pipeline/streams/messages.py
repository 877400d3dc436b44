"""Validating stream entries into messages, by stream: an ``articles`` entry becomes an
``EnrichedArticle``, a ``dead`` entry a ``DeadLetter``. What no redelivery can fix (bad
JSON, a schema version this client does not know) is a ``PoisonEntry``."""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationError

from pipeline.models import READING, SCHEMA_VERSION, DeadLetter, EnrichedArticle
from pipeline.streams.reader import StreamEntry, parse_article

__all__ = [
    "Message",
    "PoisonEntry",
    "StreamKind",
    "parse_article",
    "stream_kind",
    "validate_entry",
]

StreamKind = Literal["articles", "dead"]
Message = EnrichedArticle | DeadLetter


class PoisonEntry(Exception):
    """An entry that can never be handled as it is; ``error`` names the kind of failure."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


def stream_kind(stream: str) -> StreamKind:
    """``dead`` for a dead-letter stream (``<prefix>dead``), else ``articles``."""
    return "dead" if stream.endswith("dead") else "articles"


def _summary(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top)"
    return f"{exc.error_count()} validation errors, first at {where}: {first['msg']}"


def _check_version(entry: StreamEntry) -> None:
    raw = entry.fields.get("v", "")
    if not raw.isdigit():
        raise PoisonEntry("MissingSchemaVersion", f"entry has no valid schema version v ({raw!r})")
    if int(raw) > SCHEMA_VERSION:
        raise PoisonEntry(
            "UnsupportedSchemaVersion",
            f"entry is schema v{raw}; this client reads v{SCHEMA_VERSION}. Upgrade "
            "news-pipeline in this service, then `pipeline dead retry --stage consume`",
        )


def validate_entry(entry: StreamEntry, kind: StreamKind) -> Message:
    """The entry's message, or ``PoisonEntry`` saying why it can never be one."""
    if kind == "dead":
        fields = {k: v for k, v in entry.fields.items() if v != "" or k in ("reason", "input")}
        try:
            return DeadLetter.model_validate(fields, context=READING)
        except ValidationError as exc:
            raise PoisonEntry("ValidationError", f"not a dead letter: {_summary(exc)}") from exc
    _check_version(entry)
    if "article" not in entry.fields:
        raise PoisonEntry("MissingArticle", "entry has no article field")
    try:
        article = parse_article(entry.fields["article"])
    except ValidationError as exc:
        reason = f"article does not match schema: {_summary(exc)}"
        raise PoisonEntry("ValidationError", reason) from exc
    envelope_id = entry.fields.get("id")
    if envelope_id is not None and envelope_id != article.id:
        raise PoisonEntry("ValidationError", f"entry id {envelope_id} != article id {article.id}")
    return article
