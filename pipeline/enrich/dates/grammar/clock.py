"""Times of day: clock times, noon and midnight, with the day they fall on."""

from __future__ import annotations

import re

from pipeline.enrich.dates.grammar.core import (
    DAY,
    DEICTIC_DAYS,
    MONTH,
    WEEKDAY,
    Context,
    Found,
    day_of,
    month_of,
    rule,
    valid_day,
)
from pipeline.enrich.dates.lexicon import (
    parse_number,
    weekday_number,
)
from pipeline.enrich.dates.timex import (
    date_value,
    day_value,
)

__all__ = ["clock", "noon", "oclock"]

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
    """Reads "10:35 a.m.", "5 p.m. EST, Nov. 6", "10 p.m. Wednesday"."""
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
        day = ctx.anchor.shift_days(DEICTIC_DAYS[m["dw"].lower()])
    elif m["m"]:
        month_, day_ = month_of(m["m"]), day_of(m["d"])
        if not valid_day(None, month_, day_):
            return "XXXX-XX-XX"
        return day_value(ctx.anchor.month_year(month_, ctx.tense(m), day_), month_, day_)
    else:
        day = ctx.anchor.dct
    return "XXXX-XX-XX" if day is None else date_value(day)


@rule("noon", rf"(?P<n>(?i:noon|midnight|midday)){_TIME_DAY}")
def noon(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "noon Thursday", "midnight"."""
    clock_ = "T24:00" if m["n"].lower() == "midnight" else "T12:00"
    return Found("TIME", _time_day(m, ctx) + clock_)


@rule(
    "oclock",
    r"(?P<h>(?i:[a-z]+|\d{1,2}))\s+(?i:o'clock|in\s+the\s+(?P<p>morning|afternoon|evening))",
)
def oclock(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "four o'clock", "4 in the morning"."""
    value = parse_number(m["h"])
    if value is None or not 1 <= value <= 12:
        return None
    hour = int(value) + (12 if m["p"] and m["p"].lower() != "morning" and value < 12 else 0)
    day = ctx.anchor.dct
    return Found("TIME", ("XXXX-XX-XX" if day is None else date_value(day)) + f"T{hour:02d}:00")
