"""TIMEX3 value strings: dates at a granularity, weeks, quarters, seasons, durations."""

from __future__ import annotations

from datetime import date

from pipeline.enrich.dates.lexicon import UNITS

__all__ = [
    "UNKNOWN_YEAR",
    "date_value",
    "day_value",
    "duration_value",
    "month_value",
    "quarter_value",
    "season_value",
    "week_value",
    "year_value",
]

UNKNOWN_YEAR = "XXXX"


def year_value(year: int | None) -> str:
    """``2009``, or ``XXXX`` when the year cannot be known."""
    return UNKNOWN_YEAR if year is None else f"{year:04d}"


def month_value(year: int | None, month: int) -> str:
    """``2012-12`` or ``XXXX-12``."""
    return f"{year_value(year)}-{month:02d}"


def day_value(year: int | None, month: int, day: int) -> str:
    """``2012-12-05`` or ``XXXX-12-05``."""
    return f"{year_value(year)}-{month:02d}-{day:02d}"


def date_value(value: date) -> str:
    """A calendar date as ``YYYY-MM-DD``."""
    return value.isoformat()


def week_value(value: date, weekend: bool = False) -> str:
    """The ISO week containing ``value`` (``2025-W48``), or its weekend (``2025-W48-WE``)."""
    iso = value.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}" + ("-WE" if weekend else "")


def quarter_value(year: int | None, quarter: int) -> str:
    """``1989-Q3``."""
    return f"{year_value(year)}-Q{quarter}"


def season_value(year: int | None, season: str) -> str:
    """``2012-SU``."""
    return f"{year_value(year)}-{season}"


def duration_value(count: float | None, unit: str) -> str:
    """``P1Y``, ``PT5H``, ``P2Y6M`` (for 2.5 years), ``PXD`` when the count is vague."""
    letter, is_time, factor = UNITS[unit]
    prefix = "PT" if is_time else "P"
    if letter == "WE":
        letter = "D"
        factor = 2 * factor
    if count is None:
        # TimeBank writes vague decades and centuries as PXE and PXC
        if factor == 10:
            return "PXE"
        if factor == 100:
            return "PXC"
        return f"{prefix}X{letter}"
    count = count * factor
    if count == int(count):
        return f"{prefix}{int(count)}{letter}"
    whole = int(count)
    # Halves are written in the next smaller unit, as TimeML does: 2 1/2 years is P2Y6M.
    smaller = {
        ("Y", False): "6M",
        ("M", False): "15D",
        ("W", False): "3DT12H",
        ("D", False): "T12H",
        ("H", True): "30M",
        ("M", True): "30S",
    }
    half = smaller.get((letter, is_time))
    if half is None or count - whole != 0.5:
        return f"{prefix}{count:g}{letter}"
    return f"{prefix}{whole}{letter}{half}" if whole else f"{prefix}{half}"
