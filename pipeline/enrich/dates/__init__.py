"""Temporal expressions resolved against the publication date (TimeML TIMEX3 values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.models import DateMention

__all__ = ["extract_dates"]


def extract_dates(text: str, published: datetime | None, doc: Any = None) -> list[DateMention]:
    """Every temporal expression in ``text``, resolved against ``published``."""
    return []
