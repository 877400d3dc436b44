"""Exact de-duplication and revisions, decided atomically with the stream write."""

from pipeline.dedup.writer import BatchResult, BatchWriter, WriteOutcome

__all__ = ["BatchResult", "BatchWriter", "WriteOutcome"]
