"""Finding temporal expressions: run the grammar, keep the longest matches, add modifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pipeline.enrich.dates.patterns import RULES, Context, Found
from pipeline.enrich.dates.resolve import Anchor
from pipeline.enrich.dates.tense import Sentences
from pipeline.models import DateMention

__all__ = ["find_dates"]


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    order: int
    found: Found


# Modifiers written before an expression, kept in its extent as TimeML does.
_POINT_MODS: list[tuple[str, str | None]] = [
    (r"early|earlier|the\s+early|the\s+beginning\s+of|the\s+start\s+of|beginning\s+of", "START"),
    (r"late|the\s+late|the\s+end\s+of|end\s+of|the\s+close\s+of", "END"),
    (r"mid-?|the\s+middle\s+of|the\s+mid-|middle\s+of", "MID"),
    (r"later", None),
    (r"about|around|approximately|roughly|some", "APPROX"),
]
_SPAN_MODS: list[tuple[str, str | None]] = [
    (r"more\s+than|over|longer\s+than", "MORE_THAN"),
    (r"less\s+than|under|fewer\s+than|shorter\s+than", "LESS_THAN"),
    (r"nearly|almost", "LESS_THAN"),
    (r"at\s+least|no\s+less\s+than", "EQUAL_OR_MORE"),
    (r"up\s+to|no\s+more\s+than|at\s+most", "EQUAL_OR_LESS"),
    (r"about|around|approximately|roughly|some|an\s+estimated", "APPROX"),
]


def _prefix_regex(mods: list[tuple[str, str | None]]) -> list[tuple[re.Pattern[str], str | None]]:
    return [(re.compile(rf"(?i:(?<![\w-])(?:{words}))\s*$"), mod) for words, mod in mods]


_POINT_PREFIXES = _prefix_regex(_POINT_MODS)
_SPAN_PREFIXES = _prefix_regex(_SPAN_MODS)
_MOD_WINDOW = 24


def _with_modifier(text: str, cand: _Candidate, floor: int) -> _Candidate:
    prefixes = _SPAN_PREFIXES if cand.found.type == "DURATION" else _POINT_PREFIXES
    head_start = max(floor, cand.start - _MOD_WINDOW)
    head = text[head_start : cand.start]
    for regex, mod in prefixes:
        match = regex.search(head)
        if match is None:
            continue
        if cand.found.type in ("DATE", "TIME") and cand.found.value.endswith("_REF"):
            return cand
        if cand.found.mod is not None:
            mod = cand.found.mod
        found = Found(cand.found.type, cand.found.value, mod)
        return _Candidate(head_start + match.start(), cand.end, cand.order, found)
    return cand


def find_dates(text: str, published: date | None) -> list[DateMention]:
    """Every temporal expression the grammar finds in ``text``, resolved against ``published``."""
    ctx = Context(Anchor(published), Sentences(text))
    matches = sorted(
        (m.start(), -m.end(), order, m)
        for order, rule in enumerate(RULES)
        for m in rule.pattern.finditer(text)
    )
    candidates: list[_Candidate] = []
    for start, neg_end, order, match in matches:
        found = RULES[order].build(match, ctx)
        if found is not None:
            candidates.append(_Candidate(start, -neg_end, order, found))
    chosen: list[_Candidate] = []
    taken: list[tuple[int, int]] = []
    for cand in sorted(candidates, key=lambda c: (c.start - c.end, c.order, c.start)):
        if all(cand.end <= s or cand.start >= e for s, e in taken):
            chosen.append(cand)
            taken.append((cand.start, cand.end))
    chosen.sort(key=lambda c: c.start)
    mentions: list[DateMention] = []
    floor = 0
    for cand in chosen:
        cand = _with_modifier(text, cand, floor)
        floor = cand.end
        mentions.append(
            DateMention(
                text=text[cand.start : cand.end],
                start=cand.start,
                end=cand.end,
                type=cand.found.type,
                value=cand.found.value,
                mod=cand.found.mod,
            )
        )
    return mentions
