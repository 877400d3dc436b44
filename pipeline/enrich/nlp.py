"""Loading the spaCy pipeline once per process, with only what NER needs."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["load_nlp"]


@lru_cache(maxsize=4)
def load_nlp(model_name: str) -> Any:
    """Load an installed spaCy pipeline by package name (never downloads)."""
    import spacy

    return spacy.load(model_name)
