"""Finding temporal expressions: run the grammar, keep the longest matches, add modifiers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import structlog

from pipeline.enrich.dates.grammar import RULES, Context, Found, Rule, text_words
from pipeline.enrich.dates.grammar.core import NEAR_AFTER, NEAR_BEFORE, WHOLE_TEXT_RULES
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
# The last word of every modifier: a head that ends in none of them has no modifier, and
# the thirteen searches above are skipped (most expressions have none).
_FINAL_WORDS = frozenset(
    re.split(r"\\s\+", alt)[-1].removesuffix("-?").removesuffix("-").lower()
    for words, _, _ in _MODIFIERS
    for alt in words.split("|")
)
_LAST_WORD = re.compile(r"([A-Za-z]+)-?\s*$")
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
    last = _LAST_WORD.search(head)
    if last is None or last.group(1).lower() not in _FINAL_WORDS:
        return None, None
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


def _merged(hits: Iterable[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Merged spans of text around each hit (sorted by start)."""
    spans: list[tuple[int, int]] = []
    for hit_start, hit_end in hits:
        start, end = max(0, hit_start - NEAR_BEFORE), min(size, hit_end + NEAR_AFTER)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _windows(near: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Merged spans of text around each match of ``near``."""
    return _merged(((m.start(), m.end()) for m in near.finditer(text)), len(text))


class _Scanner:
    """Where in one text each rule can match: the text around its trigger words as whole
    words (unit rules: around "day", "weeks"..., not the "day" in "Monday"; the rules on
    figures: around digits). Running a rule's regex over those windows only
    gives the matches it would find in the whole text (every match holds one of the
    rule's trigger words, and reaches at most NEAR_BEFORE/NEAR_AFTER characters around
    it; a match cut by a window's end is matched again on the whole text), at a fraction
    of the cost: one ``str.find`` pass per trigger word instead of one regex pass per
    rule over everything."""

    def __init__(self, text: str, words: frozenset[str]) -> None:
        self.text = text
        self.words = words
        lower = text.lower()
        # lower() can change a length ("İ"): then offsets would not hold; scan it all
        self.lower = lower if len(lower) == len(text) else None
        self._hits: dict[str, list[tuple[int, int]]] = {}
        self._windows: dict[object, list[tuple[int, int]] | None] = {}

    def _word_hits(self, word: str) -> list[tuple[int, int]]:
        """Where ``word`` is a whole letter run of the text (as ``text_words`` splits it)."""
        found = self._hits.get(word)
        if found is None:
            lower, n, found = self.lower or "", len(word), []
            i = lower.find(word)
            while i >= 0:
                if not (i and _ascii_letter(lower[i - 1])) and not _ascii_letter(
                    lower[i + n : i + n + 1]
                ):
                    found.append((i, i + n))
                i = lower.find(word, i + 1)
            self._hits[word] = found
        return found

    def windows(self, rule: Rule) -> list[tuple[int, int]] | None:
        """The spans to run ``rule`` on; None for the whole text."""
        if self.lower is None or rule.name in WHOLE_TEXT_RULES:
            if rule.near is None:
                return None
            if rule.near not in self._windows:
                self._windows[rule.near] = _windows(rule.near, self.text)
            return self._windows[rule.near]
        key = rule.triggers
        if key not in self._windows:
            if rule.triggers is None:
                hits = [m.span() for m in _DIGITS.finditer(self.text)]
            else:
                present = rule.triggers & self.words
                hits = sorted(h for word in present for h in self._word_hits(word))
            self._windows[key] = _merged(hits, len(self.text))
        return self._windows[key]


_DIGITS = re.compile(r"\d+")


def _ascii_letter(char: str) -> bool:
    return "a" <= char <= "z"


def find_dates(text: str, published: date | None) -> list[DateMention]:
    """Every temporal expression the grammar finds in ``text``, resolved against ``published``."""
    ctx = Context(Anchor(published), Sentences(text))
    words = text_words(text)
    scanner = _Scanner(text, words)
    matches = sorted(
        (m.start(), -m.end(), order, m)
        for order, rule in enumerate(RULES)
        if rule.may_match(words)
        for m in rule.finditer(text, scanner.windows(rule))
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
