"""The grammar's machinery: rules, the context they read, building blocks, trigger words."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from pipeline.enrich.dates.lexicon import (
    MONTHS,
    NUMBER_WORDS,
    ORDINALS,
    PARTS_OF_DAY,
    SEASONS,
    VAGUE_COUNTS,
    WEEKDAYS,
    alternation,
    month_number,
)
from pipeline.enrich.dates.resolve import Anchor
from pipeline.enrich.dates.tense import Sentences, Tense, tense_at
from pipeline.enrich.dates.timex import date_value
from pipeline.models import TimexType

__all__ = [
    "CAL_UNIT",
    "DAY",
    "DAY_WORD",
    "DEICTIC_DAYS",
    "MONTH",
    "MONTH_BEFORE_DAY",
    "NEAR_AFTER",
    "NEAR_BEFORE",
    "NUM",
    "NUM_WORD",
    "PART",
    "RULES",
    "SEASON",
    "SHORT_YEAR",
    "THE",
    "UNIT",
    "VAGUE",
    "WEEKDAY",
    "WHOLE_TEXT_RULES",
    "YEAR",
    "Context",
    "Found",
    "Rule",
    "day_found",
    "day_of",
    "month_of",
    "rule",
    "text_words",
    "valid_day",
    "year_of",
]


@dataclass(frozen=True)
class Found:
    """What a rule makes of its match."""

    type: TimexType
    value: str
    mod: str | None = None


@dataclass
class Context:
    """The anchor, the sentences for tense, and what the text has said so far."""

    anchor: Anchor
    sentences: Sentences
    last_quarter: tuple[int | None, int] | None = None
    _tenses: dict[tuple[int, int], Tense | None] = field(default_factory=dict)

    def tense(self, match: re.Match[str]) -> Tense | None:
        """The tense of the sentence around the match (cached)."""
        key = match.span()
        if key not in self._tenses:
            self._tenses[key] = tense_at(self.sentences, *key)
        return self._tenses[key]


Builder = Callable[[re.Match[str], Context], Found | None]


@dataclass(frozen=True)
class Rule:
    """A named regex and the function that turns its match into a value."""

    name: str
    pattern: re.Pattern[str]
    build: Builder
    triggers: frozenset[str] | None = None
    near: re.Pattern[str] | None = None

    def may_match(self, words: frozenset[str]) -> bool:
        """False when none of the words the rule needs is in the text (a cheap pre-check)."""
        return self.triggers is None or not self.triggers.isdisjoint(words)

    def finditer(self, text: str, windows: list[tuple[int, int]] | None) -> Iterator[re.Match[str]]:
        """The rule's matches in ``text``, or only in ``windows`` (spans around ``near``)."""
        if windows is None:
            yield from self.pattern.finditer(text)
            return
        for start, end in windows:
            for match in self.pattern.finditer(text, start, end):
                if match.end() == end < len(text):
                    # the window cut the text: look again at the whole of it
                    whole = self.pattern.match(text, match.start())
                    if whole is not None:
                        yield whole
                    continue
                yield match


RULES: list[Rule] = []


def rule(name: str, regex: str) -> Callable[[Builder], Builder]:
    """Register ``build`` for ``regex`` (with word boundaries added) under ``name``."""

    def register(build: Builder) -> Builder:
        # an expression never runs across lines: "24\nJuly" is the end of one and a month
        spaced = regex.replace(r"\s", r"[^\S\n]")
        pattern = re.compile(rf"(?<![\w$£€#]){spaced}(?![\w-]|\.\d|,\d|%)")
        RULES.append(Rule(name, pattern, build, TRIGGERS.get(name), NEAR.get(name)))
        return build

    return register


# Building blocks ---------------------------------------------------------------------------

_NOT_ABBREVIATED = ("may", "june", "july")  # "in June." ends a sentence
_MONTH_NAMES = [m.capitalize() for m in MONTHS if len(m) > 3 or m == "may"]
_MONTH_ABBR = [m.capitalize() + "." for m in MONTHS if len(m) <= 4 and m not in _NOT_ABBREVIATED]
MONTH = "(?:" + alternation([*_MONTH_NAMES, *_MONTH_ABBR]) + ")"
# Before a day number an abbreviation needs no full stop: "Nov 29" (not "Mar" or "Sun" alone).
_MONTH_BARE_ABBR = [m.capitalize() for m in MONTHS if len(m) <= 4 and m not in _NOT_ABBREVIATED]
MONTH_BEFORE_DAY = "(?:" + alternation([*_MONTH_NAMES, *_MONTH_ABBR, *_MONTH_BARE_ABBR]) + ")"
WEEKDAY = "(?:" + alternation(d.capitalize() for d in WEEKDAYS if len(d) > 5) + ")"
DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
DAY_WORD = "(?i:" + alternation(k for k in ORDINALS if not k[0].isdigit()) + ")"
YEAR = r"(?:1[5-9]\d\d|20\d\d)"
SHORT_YEAR = r"(?:'\d\d)"
NUM_WORD = alternation(w for w in NUMBER_WORDS if w not in ("a", "an"))
_ONES = alternation(w for w, n in NUMBER_WORDS.items() if 1 <= n <= 9 and w not in ("a", "an"))
_TENS = alternation(w for w, n in NUMBER_WORDS.items() if n in range(20, 100, 10))
_SMALL = alternation(w for w, n in NUMBER_WORDS.items() if n <= 19 and w not in ("a", "an"))
# A count in words is "twenty-four", "fifteen", "two hundred", "two thousand": never "three
# one", which is two counts ("three one-day matches").
_NUM_WORDS = (
    rf"(?:(?:{_TENS})(?:[- ](?:{_ONES}))?|{_SMALL}|dozen)"
    rf"(?:\s+(?:hundred|thousand)(?:\s+(?:and\s+)?(?:{_TENS}|{_SMALL}))?)?"
)
NUM = (
    rf"(?:\d{{1,3}}(?:\.\d+)?(?: 1/2)?|(?i:a\s+(?:hundred|thousand|dozen)|(?:a\s+)?couple\s+of)"
    rf"|(?i:{_NUM_WORDS})|(?i:a|an))"
)
VAGUE = "(?i:" + alternation(VAGUE_COUNTS) + ")"
UNIT = (
    r"(?i:seconds?|minutes?|hours?|days?|nights?|weeks?|weekends?|fortnights?|months?"
    r"|quarters?|years?|decades?|centuries|century|millenni(?:um|a))"
)
CAL_UNIT = r"(?i:week|weekend|month|year|quarter|decade|century)"
PART = "(?i:" + alternation(PARTS_OF_DAY) + ")"
SEASON = "(?i:" + alternation(SEASONS) + ")"
THE = r"(?i:the\s+)"


# Words a rule cannot match without (lower case, as ``text_words`` splits them); running a
# regex over the whole text costs far more than this set lookup. Rules not listed always run.
_MONTH_WORDS = frozenset(MONTHS)
_WEEKDAY_WORDS = frozenset(WEEKDAYS) | {d + "s" for d in WEEKDAYS}
_UNIT_WORDS = frozenset({"second", "minute", "hour", "day", "night", "week", "weekend"})
_UNIT_WORDS |= {"fortnight", "month", "quarter", "year", "decade", "century", "centuries"}
_UNIT_WORDS |= {"millennium", "millennia"} | {u + "s" for u in _UNIT_WORDS}
_PART_WORDS = frozenset(PARTS_OF_DAY)
TRIGGERS: dict[str, frozenset[str]] = {
    "month_day_year": _MONTH_WORDS,
    "day_month_year": _MONTH_WORDS,
    "month_day": _MONTH_WORDS,
    "day_month": _MONTH_WORDS,
    "month_year": _MONTH_WORDS,
    "month": _MONTH_WORDS,
    "month_relative_year": _MONTH_WORDS,
    "week_of": _MONTH_WORDS,
    "relative_month": _MONTH_WORDS,
    "every_month": _MONTH_WORDS,
    "weekday_date": _MONTH_WORDS,
    "this_coming_weekday_date": _MONTH_WORDS,
    "year_words": frozenset({"nineteen", "twenty", "thousand"}),
    "century": frozenset({"century"}),
    "decade_words": frozenset({"twenties", "thirties", "forties", "fifties", "sixties"})
    | {"seventies", "eighties", "nineties"},
    "deictic_day": frozenset({"today", "yesterday", "tomorrow"}),
    "day_before": frozenset({"yesterday", "tomorrow"}),
    "tonight": frozenset({"tonight", "night", "morning", "afternoon", "evening"}),
    "overnight": frozenset({"overnight"}),
    "weekday": _WEEKDAY_WORDS,
    "part_weekday": _WEEKDAY_WORDS,
    "every_weekday": _WEEKDAY_WORDS,
    "relative_unit": _UNIT_WORDS,
    "year_end": frozenset({"end"}),
    "full_year": frozenset({"full", "whole", "entire"}),
    "year_ended": frozenset({"year"}),
    "the_weekend": frozenset({"weekend"}),
    "season": frozenset(SEASONS),
    "season_words_year": frozenset(SEASONS),
    "quarter": frozenset({"quarter", "period"}),
    "year_period": frozenset({"quarter", "period"}),
    "the_quarter": frozenset({"quarter", "period"}),
    "q_quarter": frozenset({"q"}),
    "year_ago": frozenset({"year"}),
    "half": frozenset({"half"}),
    "ago": frozenset({"ago", "now", "hence"}),
    "duration": _UNIT_WORDS,
    "vague_duration": _UNIT_WORDS,
    "plural_units": _UNIT_WORDS,
    "unit_long": frozenset({"long"}),
    "noon": frozenset({"noon", "midnight", "midday"}),
    "oclock": frozenset({"clock"}) | _PART_WORDS,
    "adverb_set": frozenset({"hourly", "daily", "nightly", "weekly", "monthly", "quarterly"})
    | {"annually", "yearly"},
    "every_unit": frozenset({"every", "each", "per"}),
    "fiscal_year": frozenset({"fiscal", "fy"}),
    "the_year": frozenset({"year"}),
    "holiday": frozenset({"christmas", "thanksgiving", "easter", "halloween", "year", "day"})
    | {"valentine", "independence", "july", "fourth", "veterans", "boxing", "labor", "memorial"},
    "reference": frozenset({"now", "currently", "current", "presently", "present", "nowadays"})
    | {"days", "moment", "time", "recently", "past", "lately", "future", "term"},
}

# A rule whose trigger words gate it for the whole text, not only around them: "sales for
# the year" is the year of publication only in a text that speaks of "the full year".
WHOLE_TEXT_RULES = frozenset({"full_year"})

# Rules whose every match holds a unit word ("two weeks", "a year ago") are run only on
# windows around unit words: most of a text is far from any.
UNIT_NEAR = re.compile(
    r"(?i:second|minute|hour|day|night|week|fortnight|month|quarter|year|decade|centur|millenni)"
)
NEAR_BEFORE, NEAR_AFTER = 60, 40  # characters a match may reach before and after its unit
NEAR = {
    name: UNIT_NEAR
    for name in ("duration", "vague_duration", "plural_units", "ago", "relative_unit", "unit_long")
}
_WORDS = re.compile(r"[a-z]+")


def text_words(text: str) -> frozenset[str]:
    """The lower-case letter runs of ``text``, for ``Rule.may_match``."""
    return frozenset(_WORDS.findall(text.lower()))


def month_of(text: str) -> int:
    """1-12 for a month name as written."""
    return month_number(text)


def day_of(text: str) -> int:
    """The day of the month, written "7", "7th" or "seventh"."""
    digits = re.match(r"\d+", text)
    if digits:
        return int(digits.group())
    return ORDINALS[text.lower()]


def year_of(text: str, anchor: Anchor) -> int:
    """A year written "1998", or "'98" (the nearest such year to publication)."""
    if text.startswith("'"):
        short = int(text[1:])
        here = anchor.year
        if here is None:
            return 1900 + short if short > 30 else 2000 + short
        # the nearest year ending so: '07 is 2007 in 1996, '98 is 1998 in 2025
        century = here // 100 * 100
        return min(
            (century - 100 + short, century + short, century + 100 + short),
            key=lambda y: abs(y - here),
        )
    return int(text)


def valid_day(year: int | None, month: int, day: int) -> bool:
    """Whether the day exists (any leap year when the year is unknown)."""
    try:
        date(year or 2000, month, day)
    except ValueError:
        return False
    return True


def day_found(day: date | None, part: str | None = None, mod: str | None = None) -> Found:
    """A day as a DATE, or with a part of day ("night") as a TIME."""
    value = "XXXX-XX-XX" if day is None else date_value(day)
    if part:
        return Found("TIME", value + "T" + PARTS_OF_DAY[part.lower()], mod)
    return Found("DATE", value, mod)


DEICTIC_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}
