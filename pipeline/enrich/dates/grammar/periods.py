"""Weeks, months, seasons, quarters and years relative to the publication date."""

from __future__ import annotations

import re
from datetime import timedelta

from pipeline.enrich.dates.grammar.core import (
    CAL_UNIT,
    MONTH,
    NUM,
    SEASON,
    THE,
    UNIT,
    VAGUE,
    YEAR,
    Context,
    Found,
    month_of,
    rule,
)
from pipeline.enrich.dates.lexicon import (
    SEASONS,
    alternation,
    parse_number,
    parse_ordinal,
    parse_year_words,
    unit_of,
)
from pipeline.enrich.dates.resolve import Anchor, add_months
from pipeline.enrich.dates.tense import Tense
from pipeline.enrich.dates.timex import (
    date_value,
    duration_value,
    month_value,
    quarter_value,
    season_value,
    week_value,
    year_value,
)

__all__ = [
    "ago",
    "full_year",
    "half",
    "q_quarter",
    "quarter",
    "relative_month",
    "relative_unit",
    "season",
    "season_words_year",
    "the_quarter",
    "the_weekend",
    "year_ago",
    "year_end",
    "year_ended",
    "year_period",
]

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
    """Reads "last year", "this week", "next month", "the past year", "last weekend"."""
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
    """Reads "by year-end", "by the end of the month": this year or month, mod END."""
    dct = ctx.anchor.dct
    if (m["u"] or "year").lower() == "month":
        return Found("DATE", "XXXX-XX" if dct is None else month_value(dct.year, dct.month), "END")
    return Found("DATE", year_value(ctx.anchor.year), "END")


@rule(
    "full_year",
    r"(?i:the\s+(?:full|whole|entire)\s+year|(?<=for )the\s+year"
    r"(?!\s+(?:ended|ending|to|ago|before|after|earlier|later|of|in|that|when|since)\b))",
)
def full_year(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "the full year", "sales for the year": the year of publication."""
    return Found("DATE", year_value(ctx.anchor.year))


@rule("year_ended", r"(?i:the\s+(?:fiscal\s+)?year)(?=\s+(?:ended|ending|to)\b)")
def year_ended(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "the year ended March 31": a year-long period."""
    return Found("DURATION", "P1Y")


@rule("the_weekend", r"(?i:the\s+weekend)")
def the_weekend(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "over the weekend": the weekend just gone, or the coming one in a future sentence."""
    tense = ctx.tense(m)
    return Found("DATE", _weekend(ctx.anchor, 1 if tense == "FUTURE" else 0, tense or "PAST"))


@rule("relative_month", rf"(?P<rel>(?i:last|next|this|this\s+past))\s+(?P<m>{MONTH})")
def relative_month(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "last November", "next March", "this September"."""
    number = month_of(m["m"])
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
    """Reads "last summer", "this fall", "the spring of 1998", "winter 2009"."""
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
    """Reads "the winter of nineteen ninety-four"."""
    value = parse_year_words(m["y"])
    return None if value is None else Found("DATE", season_value(value, SEASONS[m["s"].lower()]))


# Quarters and halves ------------------------------------------------------------------------

_QUARTER_WORD = r"(?P<q>(?i:first|second|third|fourth|1st|2nd|3rd|4th))"
# "the" belongs to "the third quarter" but not to "the third-quarter results"
_THE_NOT_ADJECTIVE = r"(?i:the\s+(?!(?:fiscal\s+)?(?:first|second|third|fourth|1st|2nd|3rd|4th)-))"


@rule(
    "quarter",
    rf"(?:(?P<this>(?i:this\s+year's|last\s+year's|next\s+year's))\s+|{_THE_NOT_ADJECTIVE}?"
    rf"(?P<ago>(?i:year-(?:ago|earlier)\s+))?(?:(?P<y0>{YEAR})\s+)?(?i:fiscal\s+)?)?{_QUARTER_WORD}"
    rf"(?:-|\s+)(?i:(?:fiscal\s+)?quarter|period)(?!s)(?:\s+(?i:of\s+)?(?:(?i:fiscal\s+))?(?P<y>{YEAR}))?",
)
def quarter(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "the third quarter", "third-quarter", "the fourth quarter of 1998"."""
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
    """Reads "the 1988 period": the quarter the text is about, in that year."""
    if ctx.last_quarter is None:
        return Found("DATE", year_value(int(m["y"])))
    return Found("DATE", quarter_value(int(m["y"]), ctx.last_quarter[1]))


@rule("q_quarter", rf"(?P<q>Q[1-4])(?:\s+(?P<y>{YEAR}))?")
def q_quarter(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "Q3", "Q3 2023"."""
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
    """Reads "the quarter", "the latest quarter": the quarter the text is about."""
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
    """Reads "a year ago": last year, or last year's quarter when the text is about a quarter."""
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
    """Reads "the first half of 1998" -> 1998-H1."""
    number = 1 if m["h"].lower() == "first" else 2
    year_ = int(m["y"]) if m["y"] else ctx.anchor.year
    return Found("DATE", f"{year_value(year_)}-H{number}")


# Before and after the publication date by an amount ---------------------------------------


@rule(
    "ago",
    rf"(?P<n>{NUM}|{VAGUE})\s+(?P<u>{UNIT})(?:\s+(?i:or\s+so))?\s+(?P<dir>(?i:ago|from\s+now|hence))",
)
def ago(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "two years ago" -> a year, "10 days ago" -> a day, "two months ago" -> a month."""
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
    if unit == "year" and dct.year + n > 0:
        return Found("DATE", year_value(dct.year + n))
    if unit == "decade" and dct.year + 10 * n > 0:
        return Found("DATE", year_value(dct.year + 10 * n))
    if unit in ("hour", "minute", "second"):
        return Found("TIME", date_value(dct))
    return Found("DATE", "PAST_REF" if sign < 0 else "FUTURE_REF")
