"""Days named relative to the publication date: today, weekdays, parts of days."""

from __future__ import annotations

import re
from datetime import timedelta

from pipeline.enrich.dates.grammar.core import (
    DAY,
    DAY_WORD,
    DEICTIC_DAYS,
    MONTH,
    PART,
    WEEKDAY,
    YEAR,
    Context,
    Found,
    day_found,
    day_of,
    month_of,
    rule,
    valid_day,
)
from pipeline.enrich.dates.lexicon import (
    weekday_number,
)
from pipeline.enrich.dates.timex import (
    day_value,
)

__all__ = [
    "day_before",
    "deictic_day",
    "overnight",
    "part_weekday",
    "this_coming_weekday_date",
    "tonight",
    "weekday",
    "weekday_date",
]

# Days relative to the publication date ----------------------------------------------------


@rule(
    "deictic_day",
    rf"(?P<w>(?i:today|yesterday|tomorrow))(?:\s+(?P<p>{PART}))?",
)
def deictic_day(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "yesterday", "tomorrow night"."""
    day = ctx.anchor.shift_days(DEICTIC_DAYS[m["w"].lower()])
    return day_found(day, m["p"])


@rule("day_before", r"(?i:the\s+day\s+(?P<w>before\s+yesterday|after\s+tomorrow))")
def day_before(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "the day before yesterday"."""
    return day_found(ctx.anchor.shift_days(-2 if m["w"].lower().startswith("b") else 2))


@rule("tonight", r"(?i:tonight|last\s+night|this\s+(?P<p>morning|afternoon|evening))")
def tonight(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "tonight", "last night", "this morning"."""
    if m.group().lower().startswith("last"):
        return day_found(ctx.anchor.shift_days(-1), "night")
    return day_found(ctx.anchor.shift_days(0), m["p"] or "night")


@rule("overnight", r"(?i:overnight)(?!\s+(?:rate|loan|bank|market)s?)")
def overnight(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "overnight" -> last night."""
    return day_found(ctx.anchor.shift_days(-1), "night")


@rule(
    "weekday",
    rf"(?:(?P<rel>(?i:last|next|this|this\s+coming|this\s+past|coming|past))\s+)?(?P<w>{WEEKDAY})"
    rf"(?:\s+(?P<p>{PART}))?(?!s)",
)
def weekday(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "Saturday", "Sunday night", "last Monday", "next Friday"."""
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
    return day_found(day, m["p"])


@rule("part_weekday", rf"(?P<p>{PART})\s+(?:of\s+)?(?P<w>{WEEKDAY})")
def part_weekday(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "night Friday" (of "late night Friday") as that Friday night."""
    return day_found(ctx.anchor.weekday(weekday_number(m["w"]), ctx.tense(m)), m["p"])


@rule(
    "weekday_date",
    rf"(?P<w>{WEEKDAY})\s*,?\s+(?P<m>{MONTH})\s+(?P<d>{DAY}|{DAY_WORD})(?:\s*,?\s+(?P<y>{YEAR}))?",
)
def weekday_date(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "Friday, Aug. 7" and "Sunday, March eighth, 1998"."""
    month, day = month_of(m["m"]), day_of(m["d"])
    if not valid_day(None, month, day):
        return None
    given = m.groupdict().get("y")
    year = int(given) if given else ctx.anchor.month_year(month, ctx.tense(m), day)
    return Found("DATE", day_value(year, month, day))


@rule(
    "this_coming_weekday_date",
    rf"(?i:this\s+coming\s+)(?P<w>{WEEKDAY})\s*,?\s+(?P<m>{MONTH})\s+(?P<d>{DAY}|{DAY_WORD})",
)
def this_coming_weekday_date(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "this coming Sunday, March eighth"."""
    return weekday_date(m, ctx)
