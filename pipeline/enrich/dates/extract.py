"""Finding temporal expressions: run the grammar, keep the longest matches, add modifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import structlog

from pipeline.enrich.dates.grammar import RULES, Context, Found, text_words
from pipeline.enrich.dates.grammar.core import NEAR_AFTER, NEAR_BEFORE
from pipeline.enrich.dates.resolve import Anchor
from pipeline.enrich.dates.tense import Sentences
from pipeline.models import DateMention

log = structlog.get_logger()

__all__ = ["find_dates"]


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    order: int
    found: Found
    rule: str


# Modifiers written before an expression: (words, mod, applies to). TimeML keeps them in
# the extent.
_POINT, _SPAN, _COARSE = "point", "span", "coarse"
_MODIFIERS: list[tuple[str, str | None, str]] = [
    (
        r"the\s+very\s+beginning\s+of|the\s+beginning\s+of|the\s+start\s+of|beginning\s+of",
        "START",
        _POINT,
    ),
    (r"the\s+end\s+of|end\s+of|the\s+close\s+of|the\s+middle\s+of|middle\s+of", "END", _POINT),
    (r"early-?|the\s+early", "START", _POINT),
    (r"late-?|the\s+late", "END", _POINT),
    (r"mid-?|the\s+mid-", "MID", _POINT),
    (r"earlier", "START", _COARSE),
    (r"later", "END", _COARSE),
    (r"at\s+least|no\s+less\s+than", "EQUAL_OR_MORE", _SPAN),
    (r"up\s+to|no\s+more\s+than|at\s+most", "EQUAL_OR_LESS", _SPAN),
    (r"more\s+than|longer\s+than", "MORE_THAN", _SPAN),
    (r"less\s+than|fewer\s+than|shorter\s+than|under", "LESS_THAN", _SPAN),
    (r"nearly|almost", "LESS_THAN", _SPAN),
    (r"about|around|approximately|roughly|some", "APPROX", _SPAN),
]
_PREFIXES = [
    (re.compile(rf"(?i:(?<![\w-])(?:{words}))\s*$"), mod, kind) for words, mod, kind in _MODIFIERS
]
_HYPHEN_PREFIX = re.compile(r"(?i:\b(?:mid|late|early)-)$")
_MOD_WINDOW = 28
_DAY_VALUE = re.compile(r"\d{4}-\d\d-\d\d|XXXX-XX-XX")


def _kind(cand: _Candidate) -> str:
    if cand.found.type == "DURATION" or cand.rule == "ago":
        return _SPAN
    if _DAY_VALUE.match(cand.found.value):
        return _POINT  # "early Tuesday" but not "earlier Tuesday"
    return _COARSE


def _prefix(head: str, kind: str) -> tuple[re.Match[str] | None, str | None]:
    for regex, mod, applies in _PREFIXES:
        if applies != kind and not (applies == _POINT and kind == _COARSE):
            continue
        match = regex.search(head)
        if match is not None:
            return match, mod
    return None, None


def _with_modifier(text: str, cand: _Candidate, floor: int) -> _Candidate:
    if cand.found.value.endswith("_REF") or cand.found.type == "SET":
        return cand
    kind = _kind(cand)
    head_start = max(floor, cand.start - _MOD_WINDOW)
    head = text[head_start : cand.start]
    match, mod = _prefix(head, kind)
    if match is None:
        return cand
    found = Found(cand.found.type, cand.found.value, cand.found.mod or mod)
    return _Candidate(head_start + match.start(), cand.end, cand.order, found, cand.rule)


def _windows(near: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Merged spans of text around each match of ``near``."""
    spans: list[tuple[int, int]] = []
    for match in near.finditer(text):
        start, end = max(0, match.start() - NEAR_BEFORE), min(len(text), match.end() + NEAR_AFTER)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def find_dates(text: str, published: date | None) -> list[DateMention]:
    """Every temporal expression the grammar finds in ``text``, resolved against ``published``."""
    ctx = Context(Anchor(published), Sentences(text))
    words = text_words(text)
    windows: dict[re.Pattern[str], list[tuple[int, int]]] = {}
    for rule in RULES:
        if rule.near is not None and rule.near not in windows:
            windows[rule.near] = _windows(rule.near, text)
    matches = sorted(
        (m.start(), -m.end(), order, m)
        for order, rule in enumerate(RULES)
        if rule.may_match(words)
        for m in rule.finditer(text, None if rule.near is None else windows[rule.near])
    )
    candidates: list[_Candidate] = []
    for start, neg_end, order, match in matches:
        if (
            start
            and text[start - 1] == "-"
            and not _HYPHEN_PREFIX.search(text, max(0, start - 6), start)
        ):
            continue  # "A330-300", "1998-99": only "mid-", "late-", "early-" are let in
        try:
            found = RULES[order].build(match, ctx)
        except (ValueError, OverflowError):
            # calendar arithmetic out of range (a publication date near year 1 or 9999)
            log.debug("date_rule_failed", rule=RULES[order].name, exc_info=True)
            continue
        if found is not None:
            candidates.append(_Candidate(start, -neg_end, order, found, RULES[order].name))
    chosen: list[_Candidate] = []
    taken = bytearray(len(text))  # 1 where a chosen expression already is
    for cand in sorted(candidates, key=lambda c: (c.start - c.end, c.order, c.start)):
        if taken.find(1, cand.start, cand.end) == -1:
            chosen.append(cand)
            taken[cand.start : cand.end] = b"\x01" * (cand.end - cand.start)
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
