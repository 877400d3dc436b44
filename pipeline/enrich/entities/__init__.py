"""Named entities from a spaCy Doc: canonical names, aliases and mention offsets."""

from __future__ import annotations

from typing import Any

from pipeline.models import Entity

__all__ = ["extract_entities"]


def extract_entities(doc: Any) -> list[Entity]:
    """The distinct PERSON/ORG/LOCATION/MISC entities of a parsed document."""
    return []
