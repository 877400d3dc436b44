"""Durations, present/past/future references, and sets (repeated times)."""

from __future__ import annotations

import re

from pipeline.enrich.dates.grammar.core import (
    MONTH,
    NUM,
    PART,
    THE,
    UNIT,
    VAGUE,
    WEEKDAY,
    Context,
    Found,
    month_of,
    rule,
)
from pipeline.enrich.dates.lexicon import (
    PARTS_OF_DAY,
    alternation,
    parse_number,
    unit_of,
    weekday_number,
)
from pipeline.enrich.dates.timex import (
    duration_value,
    month_value,
)

__all__ = [
    "adverb_set",
    "duration",
    "every_month",
    "every_unit",
    "every_weekday",
    "plural_units",
    "reference",
    "unit_long",
    "vague_duration",
]

# Durations --------------------------------------------------------------------------------

_SPAN_WORDS = ["past", "last", "next", "first", "latest", "coming", "previous", "final"]
_SPAN_PREFIX = (
    r"(?i:(?:the\s+)?(?:" + alternation([*_SPAN_WORDS, "following", "same", "remaining"]) + r")\s+)"
)


@rule(
    "duration",
    rf"(?:{_SPAN_PREFIX}|{THE}(?!{NUM}-))?(?P<n0>{NUM}\s+(?i:to|or)\s+)?(?P<n>{NUM})"
    r"(?:\s+(?i:more|additional|straight|consecutive|full))?"
    rf"(?:-|\s+)(?P<u>{UNIT})(?P<half>\s+(?i:and\s+a\s+half))?(?P<so>\s+(?i:or\s+so))?"
    r"(?!-old|\s+old)",
)
def duration(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "two weeks", "a two-year", "the past 20 years", "5 1/2 hours"."""
    count = parse_number(m["n"])
    if count is None:
        return None
    if m["half"]:
        count += 0.5
    unit = unit_of(m["u"])
    if m["n"].lower() in ("a", "an") and m.group().lower().startswith(("the", "past", "last")):
        return None
    text = ctx.sentences.text
    fraction = f"{m['n']}-{m['u']}" in m.group() and m["u"].lower().endswith("s")
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
    if m["n0"]:
        return Found("DURATION", duration_value(None, unit))  # "12 to 18 months": PXM
    return Found("DURATION", duration_value(count, unit), "APPROX" if m["so"] else None)


@rule("vague_duration", rf"(?:{_SPAN_PREFIX}|{THE})?(?P<n>{VAGUE})\s+(?P<u>{UNIT})")
def vague_duration(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "several days" -> PXD, "the next few years" -> PXY."""
    return Found("DURATION", duration_value(None, unit_of(m["u"])))


@rule(
    "plural_units",
    r"(?:(?P<pre>(?i:recent|coming|the\s+coming|the\s+past|past|the\s+last|the\s+next|"
    r"the\s+following|the\s+previous|the\s+early|the|for))\s+)?"
    r"(?P<u>(?i:seconds|minutes|hours|days|weeks|months|years|decades|centuries))"
    r"(?!\s+(?:of|old|later|ago|earlier|after|before))",
)
def plural_units(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "for years" -> PXY, "recent months" -> PXM, "in recent years" -> PAST_REF."""
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
    """Reads "decades-long", "year-long"."""
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
    """Reads "now" -> PRESENT_REF, "recently" -> PAST_REF, "the future" -> FUTURE_REF."""
    key = re.sub(r"\s+", " ", m.group().lower())
    if key == "current":
        after = ctx.sentences.text[m.end() : m.end() + 12].lower()
        if re.match(r"\s+(?:account|affairs|events|rate|form|season|members?|version)", after):
            return None
    return Found("DATE", _REFS[key])


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
    """Reads "rises daily" -> P1D; "a daily newspaper" is an adjective, not a time."""
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
    """Reads "every day" -> P1D, "twice a week" -> P1W, "each season" -> P1Y."""
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
    """Reads "every Thursday", "on Tuesdays", "Tuesday nights" -> XXXX-WXX-2TNI."""
    name = m["w"] or m["w2"]
    part = (m["p"] or m["p2"] or m["p3"] or "").lower().rstrip("s")
    suffix = "T" + PARTS_OF_DAY[part] if part else ""
    return Found("SET", f"XXXX-WXX-{weekday_number(name)}{suffix}")


@rule("every_month", rf"(?i:every|each)\s+(?P<m>{MONTH})")
def every_month(m: re.Match[str], ctx: Context) -> Found | None:
    """Reads "each July" -> XXXX-07."""
    return Found("SET", month_value(None, month_of(m["m"])))
