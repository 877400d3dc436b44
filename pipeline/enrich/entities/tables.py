"""Names in results and standings tables.

Sports pages end in tables: "NEW YORK 74 59 .556 -", "Puchon 3 1 0 6 1 10". The name
that heads a row of numbers is a team (an organisation), even when it is also a city,
and the small model either calls it a place or misses it. Rows of people (golf
leaderboards) keep the model's PERSON. In results lines a name followed by a country in
brackets ("Pete Sampras (U.S.) beat Jiri Novak (Czech Republic)") is a competitor, and
initials before a surname ("P. Simmons 4-38") are a player.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

from pipeline.enrich.entities.mentions import ORG_DESIGNATORS, Mention

__all__ = ["athletes", "initialled_names", "table_row_names"]

# A word of a name: capitalised ("Sampras", "Anne-Gaelle", "O'Brien") or an initial ("P.").
_NAME_WORD = re.compile(r"^[A-Z][\w'’.-]*$")
_MAX_NAME = 4
_INITIAL = re.compile(r"^[A-Z]\.$")
_INITIAL_BEFORE_NAME = re.compile(r"(?<![\w.])[A-Z]\.\s*[A-Z]")

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


def _name_before(words: Sequence[str], end: int) -> int:
    """Start of the capitalised name ending at ``end`` (exclusive); ``end`` when none."""
    start = end
    while start > 0 and end - start < _MAX_NAME and _NAME_WORD.match(words[start - 1]):
        start -= 1
    while start < end and words[start].lower() in STOP_WORDS:
        start += 1
    return start


def athletes(doc: Any, words: Sequence[str], mentions: list[Mention]) -> list[Mention]:
    """PERSON mentions for "Name (Country)" in results lines ("Pete Sampras (U.S.) beat
    ..."), where the model often sees a place or nothing."""
    found = []
    for place in mentions:
        if place.label != "LOCATION" or place.start < 2 or place.end >= len(words):
            continue
        if words[place.start - 1] != "(" or words[place.end] != ")":
            continue
        end = place.start - 1
        start = _name_before(words, end)
        name = [w.lower() for w in words[start:end]]
        if start == end or any(w in ORG_DESIGNATORS for w in name):
            continue
        span = doc[start:end]
        found.append(Mention(start, end, span.start_char, span.end_char, "PERSON", span.text))
    return found


def initialled_names(doc: Any, words: Sequence[str]) -> list[Mention]:
    """PERSON mentions for initials and a surname ("P. Simmons", "J. R. Smith"), the way
    scorecards and results lists write players."""
    found: list[Mention] = []
    if not _INITIAL_BEFORE_NAME.search(doc.text):
        return found  # most articles have none: skip the walk over every word
    i = 0
    while i < len(words):
        start = i
        while i < len(words) and _INITIAL.match(words[i]):
            i += 1
        if (
            i > start
            and i < len(words)
            and _NAME_WORD.match(words[i])
            and not _INITIAL.match(words[i])
            and words[i].lower() not in STOP_WORDS
        ):
            span = doc[start : i + 1]
            found.append(Mention(start, i + 1, span.start_char, span.end_char, "PERSON", span.text))
        i = max(i, start + 1)
    return found
