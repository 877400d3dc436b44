"""Dates written out: days, months, years, decades, centuries, holidays."""

from __future__ import annotations

import re
from datetime import date

from pipeline.enrich.dates.grammar.core import (
    DAY,
    DAY_WORD,
    MONTH,
    MONTH_BEFORE_DAY,
    NUM_WORD,
    SHORT_YEAR,
    THE,
    YEAR,
    Context,
    Found,
    day_of,
    month_of,
    rule,
    valid_day,
    year_of,
)
from pipeline.enrich.dates.holidays import FIXED, NAMES, date_of
from pipeline.enrich.dates.holidays import key as holiday_key
from pipeline.enrich.dates.lexicon import (
    alternation,
    parse_ordinal,
    parse_year_words,
)
from pipeline.enrich.dates.tense import Tense
from pipeline.enrich.dates.timex import (
    date_value,
    day_value,
    month_value,
    week_value,
    year_value,
)

__all__ = [
    "century",
    "day_month",
    "day_month_year",
    "decade",
    "decade_words",
    "fiscal_year",
    "holiday",
    "iso_date",
    "month",
    "month_day",
    "month_day_year",
    "month_relative_year",
    "month_year",
    "slash_date",
    "the_year",
    "week_of",
    "year",
    "year_words",
]

# Absolute dates ---------------------------------------------------------------------------


@rule(
    "month_day_year",
    rf"(?P<m>{MONTH_BEFORE_DAY})\s+(?P<d>{DAY}|{DAY_WORD})\s*,?\s+(?P<y>{YEAR}|{SHORT_YEAR})",
)
def month_day_year(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "October 7, 2023", "Aug. 7, 1998"."""
    year, month, day = year_of(m["y"], ctx.anchor), month_of(m["m"]), day_of(m["d"])
    return Found("DATE", day_value(year, month, day)) if valid_day(year, month, day) else None


@rule("day_month_year", rf"(?P<d>{DAY})\s+(?:of\s+)?(?P<m>{MONTH})\s*,?\s+(?P<y>{YEAR})")
def day_month_year(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "7 October 2023"."""
    return month_day_year(m, ctx)


@rule("month_day", rf"(?P<m>{MONTH_BEFORE_DAY})\s+(?P<d>{DAY}|{DAY_WORD})(?!\s*(?:,\s*)?\d)")
def month_day(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "January 20": the year comes from the publication date and the tense."""
    month, day = month_of(m["m"]), day_of(m["d"])
    if not valid_day(None, month, day):
        return None
    return Found("DATE", day_value(ctx.anchor.month_year(month, ctx.tense(m), day), month, day))


@rule("day_month", rf"(?P<d>{DAY})\s+(?:of\s+)?(?P<m>{MONTH})")
def day_month(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "7 October"."""
    return month_day(m, ctx)


@rule("month_year", rf"(?P<m>{MONTH})\s*,?\s+(?:of\s+)?(?P<y>{YEAR}|{SHORT_YEAR})")
def month_year(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "July 1998"."""
    return Found("DATE", month_value(year_of(m["y"], ctx.anchor), month_of(m["m"])))


_BARE_MONTH_BEFORE = re.compile(
    r"(?i:\b(?:in|since|until|till|by|of|from|to|through|during|before|after|early|late|mid|"
    r"last|next|this|and|or|between|for|on|until|end|beginning|start|middle|-)\s*)$"
)


@rule("month", rf"(?P<m>{MONTH})")
def month(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "in January": the closest such month in the sentence's tense."""
    name = m["m"]
    if name in ("May", "March") or "." in name:
        head = ctx.sentences.text[max(0, m.start() - 16) : m.start()]
        if not _BARE_MONTH_BEFORE.search(head):
            return None
    number = month_of(name)
    return Found("DATE", month_value(ctx.anchor.month_year(number, ctx.tense(m)), number))


@rule(
    "month_relative_year",
    rf"(?P<m>{MONTH})(?:\s+(?P<d>{DAY}))?\s*,?\s+(?:of\s+)?(?P<rel>(?i:last|this|next))\s+(?i:year)",
)
def month_relative_year(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "June last year", "January 5 next year"."""
    offset = {"last": -1, "this": 0, "next": 1}[m["rel"].lower()]
    year_ = None if ctx.anchor.year is None else ctx.anchor.year + offset
    month_ = month_of(m["m"])
    if m["d"]:
        day = day_of(m["d"])
        return (
            Found("DATE", day_value(year_, month_, day)) if valid_day(year_, month_, day) else None
        )
    return Found("DATE", month_value(year_, month_))


@rule("week_of", rf"(?i:the\s+week\s+of\s+)(?P<m>{MONTH})\s+(?P<d>{DAY})(?:\s*,?\s+(?P<y>{YEAR}))?")
def week_of(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "the week of March 6" -> that date's ISO week."""
    month_, day = month_of(m["m"]), day_of(m["d"])
    year_ = int(m["y"]) if m["y"] else ctx.anchor.month_year(month_, ctx.tense(m), day)
    if year_ is None:
        return Found("DATE", "XXXX-WXX")
    if not valid_day(year_, month_, day):
        return None
    return Found("DATE", week_value(date(year_, month_, day)))


@rule(
    "iso_date",
    r"(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)"
    r"(?:T(?P<h>[01]\d|2[0-3]):(?P<mi>[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?(?P<z>Z|[+-]\d\d:?\d\d)?)?",
)
def iso_date(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "2023-10-07"."""
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    if not valid_day(year, month, day):
        return None
    if m["h"]:
        zone = "Z" if m["z"] in ("Z", "+00:00", "+0000") else ""
        return Found("TIME", f"{day_value(year, month, day)}T{m['h']}:{m['mi']}{zone}")
    return Found("DATE", day_value(year, month, day))


@rule("slash_date", r"(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])/(?P<y>\d{4}|\d\d)")
def slash_date(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "10/7/2023", "10/7/98" (US order)."""
    year = int(m["y"]) if len(m["y"]) == 4 else year_of("'" + m["y"], ctx.anchor)
    month, day = int(m["m"]), int(m["d"])
    return Found("DATE", day_value(year, month, day)) if valid_day(year, month, day) else None


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
    """Reads "in 2009": a four-digit number read as a year unless it counts or prices something."""
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
    """Reads "fiscal 1998", "FY2023": the fiscal year, written as its year."""
    text = m["y"] if len(m["y"]) != 2 else "'" + m["y"]
    return Found("DATE", year_value(year_of(text, ctx.anchor)))


@rule(
    "year_words",
    r"(?:(?i:the\s+year\s+))?(?P<y>(?i:nineteen|twenty)[- ](?i:[a-z]+(?:[- ][a-z]+)?)"
    rf"|(?i:two\s+thousand(?:\s+and)?(?:\s+(?:{NUM_WORD}))?))",
)
def year_words(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "nineteen ninety-six", "the year two thousand"."""
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
    """Reads "the year 2000"."""
    return Found("DATE", year_value(int(m["y"])))


@rule(
    "decade",
    rf"(?:{THE}(?P<early>(?i:early|mid|late)[- ]?)?)?"
    r"(?P<y>1[5-9]\d0|20[0-9]0|'\d0|(?:(?<=[Tt]he )|(?<=early )|(?<=mid-)|(?<=late ))\d0)'?s",
)
def decade(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "the 1990s" -> 199, "the early 1980s" -> 198 (mod START), "the '90s", "the 90s"."""
    text = m["y"]
    if len(text) == 2:  # "the 90s"
        text = "'" + text
    value = year_of(text, ctx.anchor) if text.startswith("'") else int(text)
    mod = {"early": "START", "mid": "MID", "late": "END"}.get(
        (m["early"] or "").strip(" -").lower()
    )
    return Found("DATE", str(value // 10), mod)


_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6}
_DECADE_WORDS.update({"seventies": 7, "eighties": 8, "nineties": 9})


@rule(
    "decade_words",
    rf"{THE}(?P<early>(?i:early|mid|late)[- ]?)?(?P<w>(?i:{'|'.join(_DECADE_WORDS)}))",
)
def decade_words(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "the nineties" -> 199: the latest such decade that has begun by publication."""
    digit = _DECADE_WORDS[m["w"].lower()]
    mod = {"early": "START", "mid": "MID", "late": "END"}.get(
        (m["early"] or "").strip(" -").lower()
    )
    if ctx.anchor.year is None:
        return Found("DATE", f"XX{digit}", mod)
    decade_ = ctx.anchor.year // 100 * 10 + digit
    return Found("DATE", str(decade_ - 10 if decade_ * 10 > ctx.anchor.year else decade_), mod)


@rule(
    "century",
    rf"(?:{THE})?(?P<o>\d{{1,2}}(?:st|nd|rd|th)|(?i:[a-z]+(?:-[a-z]+)?))[- ](?i:century)",
)
def century(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "the 20th century" -> 19."""
    ordinal = parse_ordinal(m["o"])
    return None if ordinal is None else Found("DATE", f"{ordinal - 1:02d}")


# Holidays ---------------------------------------------------------------------------------


@rule(
    "holiday",
    rf"(?:(?P<rel>(?i:last|next|this))\s+)?(?P<h>{alternation(NAMES)})"
    rf"(?:\s*,?\s+(?P<y>{YEAR}))?",
)
def holiday(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "Christmas", "Thanksgiving Day", "last Thanksgiving", "Easter 2024"."""
    name = m["h"]
    dct = ctx.anchor.dct
    if m["y"]:
        year_: int | None = int(m["y"])
    elif dct is None:
        year_ = None
    else:
        this_year = date_of(name, dct.year)
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
        fixed = FIXED.get(holiday_key(name))
        return Found("DATE", day_value(None, *fixed) if fixed else "XXXX-XX-XX")
    return Found("DATE", date_value(date_of(name, year_)))
