"""Normalisation stages: ``RawItem -> Article``, pure functions, no I/O."""

from pipeline.normalize.article import normalize_item

__all__ = ["normalize_item"]
