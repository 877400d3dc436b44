"""The grammar: each rule is a regex and a function from its match to a TIMEX3 type and value.

Regexes are case-sensitive where capitals tell names apart ("May", "March", "Sun") and use
``(?i:...)`` for ordinary words. Rules may overlap: the caller keeps the longest match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from pipeline.enrich.dates import holidays
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
    parse_number,
    parse_ordinal,
    parse_year_words,
    unit_of,
    weekday_number,
)
from pipeline.enrich.dates.resolve import Anchor, add_months
from pipeline.enrich.dates.tense import Sentences, Tense, tense_at
from pipeline.enrich.dates.timex import (
    date_value,
    day_value,
    duration_value,
    month_value,
    quarter_value,
    season_value,
    week_value,
    year_value,
)

__all__ = ["RULES", "Context", "Found", "Rule", "text_words"]

TimexType = Literal["DATE", "TIME", "DURATION", "SET"]


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

    def may_match(self, words: frozenset[str]) -> bool:
        """False when none of the words the rule needs is in the text (a cheap pre-check)."""
        return self.triggers is None or not self.triggers.isdisjoint(words)


RULES: list[Rule] = []


def rule(name: str, regex: str) -> Callable[[Builder], Builder]:
    """Register ``build`` for ``regex`` (with word boundaries added) under ``name``."""

    def register(build: Builder) -> Builder:
        pattern = re.compile(rf"(?<![\w$£€#]){regex}(?![\w-]|\.\d|,\d|%)")
        RULES.append(Rule(name, pattern, build, TRIGGERS.get(name)))
        return build

    return register


# Building blocks ---------------------------------------------------------------------------

_MONTH_NAMES = [m.capitalize() for m in MONTHS if len(m) > 3 or m == "may"]
_MONTH_ABBR = [m.capitalize() + r"\." for m in MONTHS if len(m) <= 4 and m != "may"]
MONTH = "(?:" + "|".join([*sorted(_MONTH_NAMES, key=len, reverse=True), *_MONTH_ABBR]) + ")"
MONTH_ABBR_FIX = {"Sept.": "sept"}
WEEKDAY = "(?:" + "|".join(d.capitalize() for d in WEEKDAYS if len(d) > 5) + ")"
DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
DAY_WORD = "(?i:" + alternation(k for k in ORDINALS if not k[0].isdigit()) + ")"
YEAR = r"(?:1[5-9]\d\d|20\d\d)"
SHORT_YEAR = r"(?:'\d\d)"
_NUM_WORD = alternation(w for w in NUMBER_WORDS if w not in ("a", "an"))
NUM = (
    rf"(?:\d{{1,3}}(?:\.\d+)?(?: 1/2)?|(?i:a\s+(?:hundred|thousand|dozen)|(?:a\s+)?couple\s+of)"
    rf"|(?i:{_NUM_WORD})(?:[- ](?i:{_NUM_WORD}))*|(?i:a|an))"
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
_TRIGGER_LISTS: dict[str, frozenset[str]] = {
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
TRIGGERS = _TRIGGER_LISTS
_WORDS = re.compile(r"[a-z]+")


def text_words(text: str) -> frozenset[str]:
    """The lower-case letter runs of ``text``, for ``Rule.may_match``."""
    return frozenset(_WORDS.findall(text.lower()))


def _month(text: str) -> int:
    return month_number(MONTH_ABBR_FIX.get(text, text))


def _day(text: str) -> int:
    digits = re.match(r"\d+", text)
    if digits:
        return int(digits.group())
    return ORDINALS[text.lower()]


def _year(text: str, anchor: Anchor) -> int:
    if text.startswith("'"):
        short = int(text[1:])
        century = (anchor.year or 2000) // 100 * 100
        year = century + short
        return year - 100 if anchor.year is not None and year > anchor.year + 10 else year
    return int(text)


def _valid_day(year: int | None, month: int, day: int) -> bool:
    try:
        date(year or 2000, month, day)
    except ValueError:
        return False
    return True


# Absolute dates ---------------------------------------------------------------------------


@rule(
    "month_day_year", rf"(?P<m>{MONTH})\s+(?P<d>{DAY}|{DAY_WORD})\s*,?\s+(?P<y>{YEAR}|{SHORT_YEAR})"
)
def month_day_year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "October 7, 2023", "Aug. 7, 1998"."""
    year, month, day = _year(m["y"], ctx.anchor), _month(m["m"]), _day(m["d"])
    return Found("DATE", day_value(year, month, day)) if _valid_day(year, month, day) else None


@rule("day_month_year", rf"(?P<d>{DAY})\s+(?:of\s+)?(?P<m>{MONTH})\s*,?\s+(?P<y>{YEAR})")
def day_month_year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "7 October 2023"."""
    return month_day_year(m, ctx)


@rule("month_day", rf"(?P<m>{MONTH})\s+(?P<d>{DAY}|{DAY_WORD})(?!\s*(?:,\s*)?\d)")
def month_day(m: re.Match[str], ctx: Context) -> Found | None:
    """ "January 20": the year comes from the publication date and the tense."""
    month, day = _month(m["m"]), _day(m["d"])
    if not _valid_day(None, month, day):
        return None
    return Found("DATE", day_value(ctx.anchor.month_year(month, ctx.tense(m), day), month, day))


@rule("day_month", rf"(?P<d>{DAY})\s+(?:of\s+)?(?P<m>{MONTH})")
def day_month(m: re.Match[str], ctx: Context) -> Found | None:
    """ "7 October"."""
    return month_day(m, ctx)


@rule("month_year", rf"(?P<m>{MONTH})\s*,?\s+(?:of\s+)?(?P<y>{YEAR}|{SHORT_YEAR})")
def month_year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "July 1998"."""
    return Found("DATE", month_value(_year(m["y"], ctx.anchor), _month(m["m"])))


_BARE_MONTH_BEFORE = re.compile(
    r"(?i:\b(?:in|since|until|till|by|of|from|to|through|during|before|after|early|late|mid|"
    r"last|next|this|and|or|between|for|on|until|end|beginning|start|middle|-)\s*)$"
)


@rule("month", rf"(?P<m>{MONTH})")
def month(m: re.Match[str], ctx: Context) -> Found | None:
    """ "in January": the closest such month in the sentence's tense."""
    name = m["m"]
    if name in ("May", "March") or "." in name:
        head = ctx.sentences.text[max(0, m.start() - 16) : m.start()]
        if not _BARE_MONTH_BEFORE.search(head):
            return None
    number = _month(name)
    return Found("DATE", month_value(ctx.anchor.month_year(number, ctx.tense(m)), number))


@rule(
    "month_relative_year",
    rf"(?P<m>{MONTH})(?:\s+(?P<d>{DAY}))?\s*,?\s+(?:of\s+)?(?P<rel>(?i:last|this|next))\s+(?i:year)",
)
def month_relative_year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "June last year", "January 5 next year"."""
    offset = {"last": -1, "this": 0, "next": 1}[m["rel"].lower()]
    year_ = None if ctx.anchor.year is None else ctx.anchor.year + offset
    month_ = _month(m["m"])
    if m["d"]:
        day = _day(m["d"])
        return (
            Found("DATE", day_value(year_, month_, day)) if _valid_day(year_, month_, day) else None
        )
    return Found("DATE", month_value(year_, month_))


@rule("week_of", rf"(?i:the\s+week\s+of\s+)(?P<m>{MONTH})\s+(?P<d>{DAY})(?:\s*,?\s+(?P<y>{YEAR}))?")
def week_of(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the week of March 6" -> that date's ISO week."""
    month_, day = _month(m["m"]), _day(m["d"])
    year_ = int(m["y"]) if m["y"] else ctx.anchor.month_year(month_, ctx.tense(m), day)
    if year_ is None:
        return Found("DATE", "XXXX-WXX")
    if not _valid_day(year_, month_, day):
        return None
    return Found("DATE", week_value(date(year_, month_, day)))


@rule("iso_date", r"(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)")
def iso_date(m: re.Match[str], ctx: Context) -> Found | None:
    """ "2023-10-07"."""
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    return Found("DATE", day_value(year, month, day)) if _valid_day(year, month, day) else None


@rule("slash_date", r"(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])/(?P<y>\d{4}|\d\d)")
def slash_date(m: re.Match[str], ctx: Context) -> Found | None:
    """ "10/7/2023", "10/7/98" (US order)."""
    year = int(m["y"]) if len(m["y"]) == 4 else _year("'" + m["y"], ctx.anchor)
    month, day = int(m["m"]), int(m["d"])
    return Found("DATE", day_value(year, month, day)) if _valid_day(year, month, day) else None


_NOT_AFTER_YEAR = re.compile(
    r"\s*(?:(?i:people|persons|men|women|children|troops|soldiers|workers|employees|jobs|"
    r"shares|units|cars|vehicles|homes|houses|miles|kilometers|km|meters|metres|feet|tons|"
    r"tonnes|barrels|acres|pounds|dollars|euros|yen|rubles|points|votes|members|residents|"
    r"students|delegates|police|officers|cases|deaths|hostages|prisoners|refugees|"
    r"passengers|patients|rooms|beds|seats|calories|hours|minutes|days|years|"
    r"to\s+\d|and\s+\d|or\s+\d|GMT|EST|EDT|PST|UTC|hrs|a\.m|p\.m)\b)"
)
_NOT_BEFORE_YEAR = re.compile(
    r"(?i:(?:\$|£|€|#|No\.|number|than|about|some|nearly|almost|over|under|of|at|only|"
    r"just|around|roughly|approximately|all|top|page|flight|route|room|model|Boeing|"
    r"Airbus)\s*|(?-i:[A-Z]{2,})\s*)$"
)


@rule("year", rf"(?P<y>{YEAR})")
def year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "in 2009": a four-digit number read as a year unless it counts or prices something."""
    text = ctx.sentences.text
    after = _NOT_AFTER_YEAR.match(text, m.end())
    before = _NOT_BEFORE_YEAR.search(text[max(0, m.start() - 12) : m.start()])
    if after or before:
        value = int(m["y"])
        # "of 1998" and "at 1998" are years in news, but "than 2000" and "of 2000 people" are not.
        year_word_before = before and before.group().strip().lower() in ("of", "at", "over")
        if after or not (year_word_before and 1900 <= value <= 2100):
            return None
    return Found("DATE", year_value(int(m["y"])))


@rule(
    "fiscal_year",
    rf"(?i:fiscal(?:\s+year)?|FY)\s*(?P<y>{YEAR}|{SHORT_YEAR}|(?<=FY)\d\d)",
)
def fiscal_year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "fiscal 1998", "FY2023": the fiscal year, written as its year."""
    text = m["y"] if len(m["y"]) != 2 else "'" + m["y"]
    return Found("DATE", year_value(_year(text, ctx.anchor)))


@rule(
    "year_words",
    r"(?:(?i:the\s+year\s+))?(?P<y>(?i:nineteen|twenty)[- ](?i:[a-z]+(?:[- ][a-z]+)?)"
    rf"|(?i:two\s+thousand(?:\s+and)?(?:\s+(?:{_NUM_WORD}))?))",
)
def year_words(m: re.Match[str], ctx: Context) -> Found | None:
    """ "nineteen ninety-six", "the year two thousand"."""
    value = parse_year_words(m["y"])
    if value is None or not (1900 <= value <= 2100):
        return None
    if not m.group().lower().startswith("the year") and value % 100 < 10 and value < 2000:
        return None  # "nineteen five" is rarely a year; "twenty six" is a count
    if not m.group().lower().startswith("the year") and value >= 2000:
        return None
    return Found("DATE", year_value(value))


@rule("the_year", rf"(?i:the\s+year\s+)(?P<y>{YEAR})")
def the_year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the year 2000"."""
    return Found("DATE", year_value(int(m["y"])))


@rule("decade", rf"(?:{THE}(?P<early>(?i:early|mid|late)[- ]?)?)?(?P<y>1[5-9]\d0|20[0-9]0|'\d0)'?s")
def decade(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the 1990s" -> 199, "the early 1980s" -> 198 (mod START)."""
    text = m["y"]
    value = _year(text, ctx.anchor) if text.startswith("'") else int(text)
    mod = {"early": "START", "mid": "MID", "late": "END"}.get(
        (m["early"] or "").strip(" -").lower()
    )
    return Found("DATE", str(value // 10), mod)


@rule(
    "century",
    rf"(?:{THE})?(?P<o>\d{{1,2}}(?:st|nd|rd|th)|(?i:[a-z]+(?:-[a-z]+)?))[- ](?i:century)",
)
def century(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the 20th century" -> 19."""
    ordinal = parse_ordinal(m["o"])
    return None if ordinal is None else Found("DATE", f"{ordinal - 1:02d}")


# Days relative to the publication date ----------------------------------------------------


def _day_found(day: date | None, part: str | None = None, mod: str | None = None) -> Found:
    value = "XXXX-XX-XX" if day is None else date_value(day)
    if part:
        return Found("TIME", value + "T" + PARTS_OF_DAY[part.lower()], mod)
    return Found("DATE", value, mod)


_DEICTIC_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}


@rule(
    "deictic_day",
    rf"(?P<w>(?i:today|yesterday|tomorrow))(?:\s+(?P<p>{PART}))?",
)
def deictic_day(m: re.Match[str], ctx: Context) -> Found | None:
    """ "yesterday", "tomorrow night"."""
    day = ctx.anchor.shift_days(_DEICTIC_DAYS[m["w"].lower()])
    return _day_found(day, m["p"])


@rule("day_before", r"(?i:the\s+day\s+(?P<w>before\s+yesterday|after\s+tomorrow))")
def day_before(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the day before yesterday"."""
    return _day_found(ctx.anchor.shift_days(-2 if m["w"].lower().startswith("b") else 2))


@rule("tonight", r"(?i:tonight|last\s+night|this\s+(?P<p>morning|afternoon|evening))")
def tonight(m: re.Match[str], ctx: Context) -> Found | None:
    """ "tonight", "last night", "this morning"."""
    if m.group().lower().startswith("last"):
        return _day_found(ctx.anchor.shift_days(-1), "night")
    return _day_found(ctx.anchor.shift_days(0), m["p"] or "night")


@rule("overnight", r"(?i:overnight)(?!\s+(?:rate|loan|bank|market)s?)")
def overnight(m: re.Match[str], ctx: Context) -> Found | None:
    """ "overnight" -> last night."""
    return _day_found(ctx.anchor.shift_days(-1), "night")


@rule(
    "weekday",
    rf"(?:(?P<rel>(?i:last|next|this|this\s+coming|this\s+past|coming|past))\s+)?(?P<w>{WEEKDAY})"
    rf"(?:\s+(?P<p>{PART}))?(?!s)",
)
def weekday(m: re.Match[str], ctx: Context) -> Found | None:
    """ "Saturday", "Sunday night", "last Monday", "next Friday"."""
    number = weekday_number(m["w"])
    rel = (m["rel"] or "").lower()
    anchor = ctx.anchor
    if rel in ("last", "this past", "past"):
        day = anchor.weekday(number, "PAST")
        if day is not None and day == anchor.dct:
            day -= timedelta(days=7)
    elif rel in ("next", "coming", "this coming"):
        day = anchor.weekday(number, "FUTURE")
        if day is not None and day == anchor.dct:
            day += timedelta(days=7)
    elif rel == "this":
        day = anchor.weekday_near(number, 0)
    else:
        day = anchor.weekday(number, ctx.tense(m))
    return _day_found(day, m["p"])


@rule("part_weekday", rf"(?P<p>{PART})\s+(?:of\s+)?(?P<w>{WEEKDAY})")
def part_weekday(m: re.Match[str], ctx: Context) -> Found | None:
    """ "late night Friday" without the "late": "night Friday"."""
    return _day_found(ctx.anchor.weekday(weekday_number(m["w"]), ctx.tense(m)), m["p"])


@rule(
    "weekday_date",
    rf"(?P<w>{WEEKDAY})\s*,?\s+(?P<m>{MONTH})\s+(?P<d>{DAY}|{DAY_WORD})(?:\s*,?\s+(?P<y>{YEAR}))?",
)
def weekday_date(m: re.Match[str], ctx: Context) -> Found | None:
    """ "Friday, Aug. 7" and "Sunday, March eighth, 1998"."""
    month, day = _month(m["m"]), _day(m["d"])
    if not _valid_day(None, month, day):
        return None
    given = m.groupdict().get("y")
    year = int(given) if given else ctx.anchor.month_year(month, ctx.tense(m), day)
    return Found("DATE", day_value(year, month, day))


@rule(
    "this_coming_weekday_date",
    rf"(?i:this\s+coming\s+)(?P<w>{WEEKDAY})\s*,?\s+(?P<m>{MONTH})\s+(?P<d>{DAY}|{DAY_WORD})",
)
def this_coming_weekday_date(m: re.Match[str], ctx: Context) -> Found | None:
    """ "this coming Sunday, March eighth"."""
    return weekday_date(m, ctx)


# Calendar units relative to the publication date ------------------------------------------

_OFFSETS = {
    "last": -1,
    "past": -1,
    "previous": -1,
    "preceding": -1,
    "prior": -1,
    "this": 0,
    "current": 0,
    "present": 0,
    "next": 1,
    "coming": 1,
    "following": 1,
}
REL = "(?i:" + alternation(_OFFSETS) + ")"


def _unit_date(unit: str, offset: int, ctx: Context, tense: Tense | None) -> Found | None:
    anchor = ctx.anchor
    dct = anchor.dct
    if unit == "year":
        return Found("DATE", year_value(None if dct is None else dct.year + offset))
    if unit == "month":
        if dct is None:
            return Found("DATE", "XXXX-XX")
        return Found("DATE", month_value(*add_months(dct.year, dct.month, offset)))
    if unit == "week":
        if dct is None:
            return Found("DATE", "XXXX-WXX")
        return Found("DATE", week_value(dct + timedelta(weeks=offset)))
    if unit == "weekend":
        return Found("DATE", _weekend(anchor, offset, tense))
    if unit == "quarter":
        quarter = anchor.quarter()
        if dct is None or quarter is None:
            return Found("DATE", "XXXX-QX")
        year, month = add_months(dct.year, quarter * 3 - 2, 3 * offset)
        ctx.last_quarter = (year, (month - 1) // 3 + 1)
        return Found("DATE", quarter_value(*ctx.last_quarter))
    if unit == "decade":
        return Found("DATE", "XXX" if dct is None else str(dct.year // 10 + offset))
    if unit == "century":
        return Found("DATE", "XX" if dct is None else f"{dct.year // 100 + offset:02d}")
    return None


def _weekend(anchor: Anchor, offset: int, tense: Tense | None) -> str:
    dct = anchor.dct
    if dct is None:
        return "XXXX-WXX-WE"
    weekday = dct.isoweekday()
    if offset < 0 or (offset == 0 and tense == "PAST" and weekday < 6):
        # the weekend just gone: the Sunday before the publication day
        return week_value(dct - timedelta(days=weekday), weekend=True)
    if offset > 0:
        return week_value(dct + timedelta(weeks=1), weekend=True)
    return week_value(dct, weekend=True)


@rule(
    "relative_unit",
    rf"(?:{THE})?(?P<rel>{REL})\s+(?:(?i:fiscal|calendar)\s+)?(?P<u>{CAL_UNIT})(?!s)",
)
def relative_unit(m: re.Match[str], ctx: Context) -> Found | None:
    """ "last year", "this week", "next month", "the past year", "last weekend"."""
    offset = _OFFSETS[m["rel"].lower()]
    unit = unit_of(m["u"])
    if m["rel"].lower() == "past" and not m.group().lower().startswith("the"):
        return None  # "past year" alone is usually a duration
    if unit in ("decade", "century") and m["rel"].lower() in ("past", "last"):
        return Found("DURATION", duration_value(1, unit))  # "the past decade" is P10Y
    return _unit_date(unit, offset, ctx, ctx.tense(m))


@rule(
    "year_end",
    r"(?i:(?:the\s+)?end\s+of\s+the\s+(?P<u>year|month)|(?P<y>year)[- ]end|year's\s+end)",
)
def year_end(m: re.Match[str], ctx: Context) -> Found | None:
    """ "by year-end", "by the end of the month": this year or month, mod END."""
    dct = ctx.anchor.dct
    if (m["u"] or "year").lower() == "month":
        return Found("DATE", "XXXX-XX" if dct is None else month_value(dct.year, dct.month), "END")
    return Found("DATE", year_value(ctx.anchor.year), "END")


@rule("full_year", r"(?i:the\s+(?:full|whole|entire)\s+year)")
def full_year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the full year": the year of publication."""
    return Found("DATE", year_value(ctx.anchor.year))


@rule("year_ended", r"(?i:the\s+(?:fiscal\s+)?year)(?=\s+(?:ended|ending|to)\b)")
def year_ended(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the year ended March 31": a year-long period."""
    return Found("DURATION", "P1Y")


@rule("the_weekend", r"(?i:the\s+weekend)")
def the_weekend(m: re.Match[str], ctx: Context) -> Found | None:
    """ "over the weekend": the weekend just gone, or the coming one in a future sentence."""
    tense = ctx.tense(m)
    return Found("DATE", _weekend(ctx.anchor, 1 if tense == "FUTURE" else 0, tense or "PAST"))


@rule("relative_month", rf"(?P<rel>(?i:last|next|this|this\s+past))\s+(?P<m>{MONTH})")
def relative_month(m: re.Match[str], ctx: Context) -> Found | None:
    """ "last November", "next March", "this September"."""
    number = _month(m["m"])
    dct = ctx.anchor.dct
    if dct is None:
        return Found("DATE", month_value(None, number))
    rel = m["rel"].lower()
    year_ = dct.year
    if rel.startswith("last") or rel == "this past":
        year_ = dct.year if number < dct.month else dct.year - 1
    elif rel == "next":
        year_ = dct.year if number > dct.month else dct.year + 1
    return Found("DATE", month_value(year_, number))


@rule(
    "season",
    rf"(?:(?P<rel>(?i:last|next|this|this\s+past|the|the\s+coming|the\s+past|the\s+last|"
    rf"the\s+early|the\s+late))\s+)?(?P<s>{SEASON})(?:\s+(?:of\s+)?(?P<y>{YEAR}))?(?!s)",
)
def season(m: re.Match[str], ctx: Context) -> Found | None:
    """ "last summer", "this fall", "the spring of 1998", "winter 2009"."""
    code = SEASONS[m["s"].lower()]
    rel = (m["rel"] or "").lower()
    if m["y"]:
        return Found("DATE", season_value(int(m["y"]), code))
    if not rel:
        return None  # a bare "spring" or "fall" is as often a noun or a verb
    offset = (
        -1 if ("last" in rel or "past" in rel) else 1 if ("next" in rel or "coming" in rel) else 0
    )
    mod = "START" if "early" in rel else "END" if "late" in rel else None
    tense = None if rel.startswith("this") else ctx.tense(m)
    return Found("DATE", season_value(ctx.anchor.season_year(code, offset, tense), code), mod)


@rule(
    "season_words_year",
    rf"(?:{THE})?(?P<s>{SEASON})\s+of\s+(?P<y>(?i:nineteen|twenty)[- ][a-z]+(?:[- ][a-z]+)?)",
)
def season_words_year(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the winter of nineteen ninety-four"."""
    value = parse_year_words(m["y"])
    return None if value is None else Found("DATE", season_value(value, SEASONS[m["s"].lower()]))


# Quarters and halves ------------------------------------------------------------------------

_QUARTER_WORD = r"(?P<q>(?i:first|second|third|fourth|1st|2nd|3rd|4th))"


@rule(
    "quarter",
    rf"(?:(?P<this>(?i:this\s+year's|last\s+year's|next\s+year's))\s+|(?i:the\s+)?"
    rf"(?P<ago>(?i:year-(?:ago|earlier)\s+))?(?:(?P<y0>{YEAR})\s+)?(?i:fiscal\s+)?)?{_QUARTER_WORD}"
    rf"(?:-|\s+)(?i:(?:fiscal\s+)?quarter|period)(?!s)(?:\s+(?i:of\s+)?(?:(?i:fiscal\s+))?(?P<y>{YEAR}))?",
)
def quarter(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the third quarter", "third-quarter", "the fourth quarter of 1998"."""
    number = parse_ordinal(m["q"]) or 1
    if m["y"] or m["y0"]:
        year_: int | None = int(m["y"] or m["y0"])
    else:
        year_ = ctx.anchor.quarter_year(number, ctx.tense(m))
        this = (m["this"] or "").lower()
        if year_ is not None and (this.startswith("last") or m["ago"]):
            year_ -= 1
        elif year_ is not None and this.startswith("next"):
            year_ += 1
    _remember_quarter(ctx, year_, number)
    return Found("DATE", quarter_value(year_, number))


def _remember_quarter(ctx: Context, year_: int | None, number: int) -> None:
    """Keep the quarter the text reports on; a forecast for a later quarter is not one."""
    dct = ctx.anchor.dct
    if dct is None or year_ is None or (year_, number) <= (dct.year, (dct.month - 1) // 3 + 1):
        ctx.last_quarter = (year_, number)


@rule("year_period", rf"(?i:the\s+)(?P<y>{YEAR})\s+(?i:period|quarter)(?!s)")
def year_period(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the 1988 period": the quarter the text is about, in that year."""
    if ctx.last_quarter is None:
        return Found("DATE", year_value(int(m["y"])))
    return Found("DATE", quarter_value(int(m["y"]), ctx.last_quarter[1]))


@rule("q_quarter", rf"(?P<q>Q[1-4])(?:\s+(?P<y>{YEAR}))?")
def q_quarter(m: re.Match[str], ctx: Context) -> Found | None:
    """ "Q3", "Q3 2023"."""
    number = int(m["q"][1])
    year_ = int(m["y"]) if m["y"] else ctx.anchor.quarter_year(number, ctx.tense(m))
    ctx.last_quarter = (year_, number)
    return Found("DATE", quarter_value(year_, number))


@rule(
    "the_quarter",
    r"(?i:the\s+(?:(?:latest|recent|most\s+recent|just-ended|just\s+ended|same|fiscal|"
    r"year-(?:ago|earlier))\s+)?(?:quarter|period))(?!s)",
)
def the_quarter(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the quarter", "the latest quarter": the quarter the text is about."""
    text = m.group().lower()
    if "period" in text and ctx.last_quarter is None:
        return None
    if ctx.last_quarter is None:
        dct = ctx.anchor.dct
        if dct is None:
            return Found("DATE", "XXXX-QX")
        # results are reported after the quarter ends: the quarter before publication
        year_, month_ = add_months(dct.year, ((dct.month - 1) // 3) * 3 + 1, -3)
        ctx.last_quarter = (year_, (month_ - 1) // 3 + 1)
    year_q, number = ctx.last_quarter
    if "year-" in text and year_q is not None:
        return Found("DATE", quarter_value(year_q - 1, number))
    return Found("DATE", quarter_value(year_q, number))


@rule(
    "year_ago",
    r"(?i:(?:a|one)\s+year\s+(?:ago|earlier|before)|year-(?:ago|earlier)(?=\s+(?:period|quarter|"
    r"levels?|figures?|results?|month|nine|six|three|first|second|third|fourth)|\b))",
)
def year_ago(m: re.Match[str], ctx: Context) -> Found | None:
    """ "a year ago": last year, or last year's quarter when the text is about a quarter."""
    if ctx.last_quarter is not None:
        year_, number = ctx.last_quarter
        if year_ is not None:
            return Found("DATE", quarter_value(year_ - 1, number))
    dct = ctx.anchor.dct
    return Found("DATE", year_value(None if dct is None else dct.year - 1))


@rule(
    "half",
    rf"(?:{THE})?(?P<h>(?i:first|second))(?:-|\s+)(?i:half)(?:\s+(?i:of)\s+(?P<y>{YEAR}))?",
)
def half(m: re.Match[str], ctx: Context) -> Found | None:
    """ "the first half of 1998" -> 1998-H1."""
    number = 1 if m["h"].lower() == "first" else 2
    year_ = int(m["y"]) if m["y"] else ctx.anchor.year
    return Found("DATE", f"{year_value(year_)}-H{number}")


# Before and after the publication date by an amount ---------------------------------------


@rule(
    "ago",
    rf"(?P<n>{NUM}|{VAGUE})\s+(?P<u>{UNIT})\s+(?P<dir>(?i:ago|from\s+now|hence))",
)
def ago(m: re.Match[str], ctx: Context) -> Found | None:
    """ "two years ago" -> the year, "10 days ago" -> the day, "two months ago" -> the month."""
    count = parse_number(m["n"])
    unit = unit_of(m["u"])
    # "three days later" is anchored on another event, not on publication: the duration
    # rule takes "three days" (TimeBank marks it so)
    sign = -1 if m["dir"].lower() == "ago" else 1
    dct = ctx.anchor.dct
    if count is None or count != int(count) or dct is None:
        return Found("DATE", "PAST_REF" if sign < 0 else "FUTURE_REF")
    n = int(count) * sign
    if unit in ("day", "night"):
        return Found("DATE", date_value(dct + timedelta(days=n)))
    if unit in ("week", "fortnight"):
        return Found(
            "DATE", date_value(dct + timedelta(weeks=n * (2 if unit == "fortnight" else 1)))
        )
    if unit == "month":
        return Found("DATE", month_value(*add_months(dct.year, dct.month, n)))
    if unit == "year":
        return Found("DATE", year_value(dct.year + n))
    if unit == "decade":
        return Found("DATE", year_value(dct.year + 10 * n))
    if unit in ("hour", "minute", "second"):
        return Found("TIME", date_value(dct))
    return Found("DATE", "PAST_REF" if sign < 0 else "FUTURE_REF")


# Durations --------------------------------------------------------------------------------

_SPAN_PREFIX = (
    r"(?i:(?:the\s+)?(?:past|last|next|first|latest|coming|previous|final|following|same"
    r"|remaining)\s+)"
)


@rule(
    "duration",
    rf"(?:{_SPAN_PREFIX}|{THE}(?!{NUM}-))?(?P<n>{NUM})"
    r"(?:\s+(?i:more|additional|straight|consecutive|full))?"
    rf"(?:-|\s+)(?P<u>{UNIT})(?P<half>\s+(?i:and\s+a\s+half))?(?!-old|\s+old)",
)
def duration(m: re.Match[str], ctx: Context) -> Found | None:
    """ "two weeks", "a two-year", "the past 20 years", "5 1/2 hours", "a minute and a half"."""
    count = parse_number(m["n"])
    if count is None:
        return None
    if m["half"]:
        count += 0.5
    unit = unit_of(m["u"])
    if m["n"].lower() in ("a", "an") and m.group().lower().startswith(("the", "past", "last")):
        return None
    text = ctx.sentences.text
    fraction = m.group(m.lastindex or 0) and f"{m['n']}-{m['u']}" in m.group()
    if unit == "quarter" and (fraction or text.startswith(" of", m.end())):
        return None  # "three-quarters of its food", "a quarter of the market": fractions
    if unit == "second" and m["n"].lower() in ("a", "an", "one"):
        return None  # "a second group"
    if m["n"].lower() in ("a", "an", "one") and unit in ("year", "month", "week", "day"):
        before = text[max(0, m.start() - 24) : m.start()]
        if re.search(
            r"(?:[\d%]|\b(?:million|billion|trillion|cents?|dollars?|times|percent|"
            r"shares?|barrels?|tons?)),?\s*$",
            before,
            re.IGNORECASE,
        ):
            return Found("SET", duration_value(1, unit))
    return Found("DURATION", duration_value(count, unit))


@rule("vague_duration", rf"(?:{_SPAN_PREFIX}|{THE})?(?P<n>{VAGUE})\s+(?P<u>{UNIT})")
def vague_duration(m: re.Match[str], ctx: Context) -> Found | None:
    """ "several days" -> PXD, "the next few years" -> PXY."""
    return Found("DURATION", duration_value(None, unit_of(m["u"])))


@rule(
    "plural_units",
    r"(?:(?P<pre>(?i:recent|coming|the\s+coming|the\s+past|past|the\s+last|the\s+next|"
    r"the\s+following|the\s+previous|the\s+early|the|for))\s+)?"
    r"(?P<u>(?i:seconds|minutes|hours|days|weeks|months|years|decades|centuries))"
    r"(?!\s+(?:of|old|later|ago|earlier|after|before))",
)
def plural_units(m: re.Match[str], ctx: Context) -> Found | None:
    """ "for years" -> PXY, "recent months" -> PXM, "in recent years" -> PAST_REF."""
    pre = (m["pre"] or "").lower()
    unit = unit_of(m["u"])
    if pre == "recent" and unit == "year":
        return Found("DATE", "PAST_REF")
    if pre == "the":
        return None
    if pre == "for":
        # keep "for" out of the extent: the match is the unit word only
        return Found("DURATION", duration_value(None, unit))
    return Found("DURATION", duration_value(None, unit))


@rule("unit_long", r"(?P<u>(?i:year|decade|month|week|day|century|hour))s?-long")
def unit_long(m: re.Match[str], ctx: Context) -> Found | None:
    """ "decades-long", "year-long"."""
    plural = m.group().lower().split("-")[0].endswith("s")
    return Found("DURATION", duration_value(None if plural else 1, unit_of(m["u"])))


# Present, past and future references -----------------------------------------------------

# Measured on TimeBank: "previously", "formerly", "soon", bare "recent" and "future" are
# marked in TimeML less often than not, so they are left out.
_REFS = {
    "now": "PRESENT_REF",
    "currently": "PRESENT_REF",
    "current": "PRESENT_REF",
    "presently": "PRESENT_REF",
    "at present": "PRESENT_REF",
    "nowadays": "PRESENT_REF",
    "these days": "PRESENT_REF",
    "at the moment": "PRESENT_REF",
    "at this time": "PRESENT_REF",
    "recently": "PAST_REF",
    "the past": "PAST_REF",
    "lately": "PAST_REF",
    "the future": "FUTURE_REF",
    "the near future": "FUTURE_REF",
    "the short term": "FUTURE_REF",
    "the long term": "FUTURE_REF",
}


@rule("reference", "(?i:" + alternation(_REFS) + ")")
def reference(m: re.Match[str], ctx: Context) -> Found | None:
    """ "now", "currently" -> PRESENT_REF; "recently" -> PAST_REF; "the future" -> FUTURE_REF."""
    key = re.sub(r"\s+", " ", m.group().lower())
    if key == "current":
        after = ctx.sentences.text[m.end() : m.end() + 12].lower()
        if re.match(r"\s+(?:account|affairs|events|rate|form|season|members?|version)", after):
            return None
    return Found("DATE", _REFS[key])


# Times of day -----------------------------------------------------------------------------

AMPM = r"(?i:a\.m\.?|p\.m\.?|am\b|pm\b)"
TZ = r"(?:\s+(?:GMT|UTC|EST|EDT|CST|CDT|MST|MDT|PST|PDT|BST|CET))"


def _clock(hour: int, minute: int, ampm: str | None) -> str | None:
    if ampm:
        if not 1 <= hour <= 12:
            return None
        if ampm.lower().startswith("p") and hour != 12:
            hour += 12
        elif ampm.lower().startswith("a") and hour == 12:
            hour = 0
    if hour > 24 or minute > 59:
        return None
    return f"T{hour:02d}:{minute:02d}"


_TIME_DAY = (
    rf"(?:\s*,?\s+(?:(?i:on\s+))?(?:(?P<w>{WEEKDAY})|(?P<dw>(?i:today|yesterday|tomorrow))"
    rf"|(?P<m>{MONTH})\s+(?P<d>{DAY})))?"
)


@rule(
    "clock",
    rf"(?P<h>[012]?\d)(?::(?P<mi>[0-5]\d))?\s*(?P<ap>{AMPM})?{TZ}?{_TIME_DAY}",
)
def clock(m: re.Match[str], ctx: Context) -> Found | None:
    """ "10:35 a.m.", "5 p.m. EST, Nov. 6", "10 p.m. Wednesday"."""
    if not m["ap"] and not m["mi"]:
        return None
    if not m["ap"] and not re.match(TZ, ctx.sentences.text[m.start("mi") + 2 :]):
        before = ctx.sentences.text[max(0, m.start() - 4) : m.start()].lower()
        if not before.endswith(("at ", "by ")):
            return None
    clock_ = _clock(int(m["h"]), int(m["mi"] or 0), m["ap"])
    if clock_ is None:
        return None
    return Found("TIME", _time_day(m, ctx) + clock_)


def _time_day(m: re.Match[str], ctx: Context) -> str:
    if m["w"]:
        day = ctx.anchor.weekday(weekday_number(m["w"]), ctx.tense(m))
    elif m["dw"]:
        day = ctx.anchor.shift_days(_DEICTIC_DAYS[m["dw"].lower()])
    elif m["m"]:
        month_, day_ = _month(m["m"]), _day(m["d"])
        if not _valid_day(None, month_, day_):
            return "XXXX-XX-XX"
        return day_value(ctx.anchor.month_year(month_, ctx.tense(m), day_), month_, day_)
    else:
        day = ctx.anchor.dct
    return "XXXX-XX-XX" if day is None else date_value(day)


@rule("noon", rf"(?P<n>(?i:noon|midnight|midday)){_TIME_DAY}")
def noon(m: re.Match[str], ctx: Context) -> Found | None:
    """ "noon Thursday", "midnight"."""
    clock_ = "T24:00" if m["n"].lower() == "midnight" else "T12:00"
    return Found("TIME", _time_day(m, ctx) + clock_)


@rule(
    "oclock",
    r"(?P<h>(?i:[a-z]+|\d{1,2}))\s+(?i:o'clock|in\s+the\s+(?P<p>morning|afternoon|evening))",
)
def oclock(m: re.Match[str], ctx: Context) -> Found | None:
    """ "four o'clock", "4 in the morning"."""
    value = parse_number(m["h"])
    if value is None or not 1 <= value <= 12:
        return None
    hour = int(value) + (12 if m["p"] and m["p"].lower() != "morning" and value < 12 else 0)
    day = ctx.anchor.dct
    return Found("TIME", ("XXXX-XX-XX" if day is None else date_value(day)) + f"T{hour:02d}:00")


# Sets -------------------------------------------------------------------------------------

_ADVERB_SETS = {
    "hourly": "PT1H",
    "daily": "P1D",
    "nightly": "P1D",
    "weekly": "P1W",
    "monthly": "P1M",
    "quarterly": "P3M",
    "annually": "P1Y",
    "yearly": "P1Y",
    "annual": "P1Y",
}


_FUNCTION_WORD = re.compile(
    r"\s+(?:and|or|but|to|in|on|at|since|through|for|by|from|with|until|over|as|of|the|a|an)\b"
)


@rule("adverb_set", "(?i:hourly|daily|nightly|weekly|monthly|quarterly|annually|yearly)")
def adverb_set(m: re.Match[str], ctx: Context) -> Found | None:
    """ "rises daily" -> P1D; "a daily newspaper" is an adjective, not a time."""
    rest = ctx.sentences.text[m.end() : m.end() + 12]
    if re.match(r"\s+[a-z]", rest) and not _FUNCTION_WORD.match(rest):
        return None
    return Found("SET", _ADVERB_SETS[m.group().lower()])


@rule(
    "every_unit",
    rf"(?P<f>(?i:once|twice|three\s+times|several\s+times)\s+(?:a|an|per|each|every)\s+|"
    rf"(?i:every|each|per)\s+(?P<n>{NUM}\s+)?)(?P<u>(?i:second|minute|hour|day|night|week|"
    rf"weekend|month|quarter|year|decade|season))(?!s)",
)
def every_unit(m: re.Match[str], ctx: Context) -> Found | None:
    """ "every day" -> P1D, "twice a week" -> P1W, "each season" -> P1Y."""
    unit = m["u"].lower()
    if unit == "season":
        return Found("SET", "P1Y")
    count = parse_number(m["n"]) if m["n"] else 1
    return Found("SET", duration_value(count or 1, unit_of(unit)))


@rule(
    "every_weekday",
    rf"(?:(?i:every|each)\s+)?(?P<w>{WEEKDAY})(?:s(?:\s+(?P<p>{PART}s?))?|\s+(?P<p3>{PART})s)|"
    rf"(?i:every|each)\s+(?P<w2>{WEEKDAY})(?:\s+(?P<p2>{PART}))?",
)
def every_weekday(m: re.Match[str], ctx: Context) -> Found | None:
    """ "every Thursday", "on Tuesdays", "Tuesday nights" -> XXXX-WXX-2TNI."""
    name = m["w"] or m["w2"]
    part = (m["p"] or m["p2"] or m["p3"] or "").lower().rstrip("s")
    suffix = "T" + PARTS_OF_DAY[part] if part else ""
    return Found("SET", f"XXXX-WXX-{weekday_number(name)}{suffix}")


@rule("every_month", rf"(?i:every|each)\s+(?P<m>{MONTH})")
def every_month(m: re.Match[str], ctx: Context) -> Found | None:
    """ "each July" -> XXXX-07."""
    return Found("SET", month_value(None, _month(m["m"])))


# Holidays ---------------------------------------------------------------------------------


@rule(
    "holiday",
    rf"(?:(?P<rel>(?i:last|next|this))\s+)?(?P<h>{alternation(holidays.NAMES)})"
    rf"(?:\s*,?\s+(?P<y>{YEAR}))?",
)
def holiday(m: re.Match[str], ctx: Context) -> Found | None:
    """ "Christmas", "Thanksgiving Day", "last Thanksgiving", "Easter 2024"."""
    name = m["h"]
    dct = ctx.anchor.dct
    if m["y"]:
        year_: int | None = int(m["y"])
    elif dct is None:
        year_ = None
    else:
        this_year = holidays.date_of(name, dct.year)
        rel = (m["rel"] or "").lower()
        tense: Tense | None = (
            "PAST" if rel == "last" else "FUTURE" if rel == "next" else ctx.tense(m)
        )
        year_ = dct.year
        if tense == "PAST" and this_year > dct:
            year_ -= 1
        elif tense == "FUTURE" and this_year < dct:
            year_ += 1
    if year_ is None:
        fixed = holidays.FIXED.get(holidays.key(name))
        return Found("DATE", day_value(None, *fixed) if fixed else "XXXX-XX-XX")
    return Found("DATE", date_value(holidays.date_of(name, year_)))
