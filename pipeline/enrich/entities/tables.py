"""Names heading the rows of results and standings tables.

Sports pages end in tables: "NEW YORK 74 59 .556 -", "Puchon 3 1 0 6 1 10". The name
that heads a row of numbers is a team (an organisation), even when it is also a city,
and the small model either calls it a place or misses it. Rows of people (golf
leaderboards) keep the model's PERSON.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.enrich.entities.mentions import Mention

__all__ = ["table_row_names"]

# A capitalised name, then at least three numeric cells (scores, percentages, "1/2", "-").
_ROW = re.compile(
    r"^[ \t]*(?P<name>[A-Z][\w.'&-]*(?:[ \t]+[A-Z][\w.'&-]*){0,3})"
    r"(?:[ \t]+(?:-|[\d.]+(?:[-/:][\d.]+)?)){3,}[ \t]*$",
    re.MULTILINE,
)


def table_row_names(doc: Any, text: str) -> list[Mention]:
    """ORG mentions for the names heading table rows of numbers."""
    found = []
    for row in _ROW.finditer(text):
        start, end = row.span("name")
        span = doc.char_span(start, end)
        if span is not None:
            found.append(Mention(span.start, span.end, start, end, "ORG", span.text))
    return found
