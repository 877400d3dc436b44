"""The output streams and their keys: the atomic write (Lua), reading entries, `Consumer`,
dead letters. Never imports enrichment (spaCy), HTTP or feed code: a downstream service
installs and imports only this."""

from pipeline.streams.consumer import Consumer
from pipeline.streams.reader import StreamEntry, decode_entry, latest_entries
from pipeline.streams.writer import BatchResult, BatchWriter, WriteOutcome

__all__ = [
    "BatchResult",
    "BatchWriter",
    "Consumer",
    "StreamEntry",
    "WriteOutcome",
    "decode_entry",
    "latest_entries",
]
