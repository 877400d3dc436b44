"""Temporal expressions resolved against the publication date (TimeML TIMEX3 values).

``extract_dates`` runs a compact grammar (``grammar``: regexes over the text, each with a
function to a TIMEX3 value) and anchors relative expressions on ``published``, choosing
past or future from lexical tense cues in the sentence (``tense``). It needs no spaCy
``Doc``: the grammar does its own detection.
"""

from __future__ import annotations

from datetime import datetime

from pipeline.enrich.dates.extract import find_dates
from pipeline.models import DateMention

__all__ = ["extract_dates"]


def extract_dates(text: str, published: datetime | None) -> list[DateMention]:
    """Every temporal expression in ``text``, resolved against ``published``."""
    return find_dates(text, None if published is None else published.date())
