"""The output streams and their keys: the atomic write (Lua), reading entries, `Consumer`,
dead letters. Never imports enrichment (spaCy), HTTP or feed code: a downstream service
installs and imports only this."""

from pipeline.streams.consumer import Consumer, Delivery
from pipeline.streams.messages import Message, PoisonEntry, stream_kind, validate_entry
from pipeline.streams.reader import StreamEntry, decode_entry, latest_entries, parse_article
from pipeline.streams.running import RunSummary
from pipeline.streams.writer import BatchResult, BatchWriter, WriteOutcome

__all__ = [
    "BatchResult",
    "BatchWriter",
    "Consumer",
    "Delivery",
    "Message",
    "PoisonEntry",
    "RunSummary",
    "StreamEntry",
    "WriteOutcome",
    "decode_entry",
    "latest_entries",
    "parse_article",
    "stream_kind",
    "validate_entry",
]
